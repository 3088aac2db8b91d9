"""The progression chart in "History": POEM scores and photo findings over time as a LINE image
(signed /media links) and one plain sentence on the trend; nothing without consent or records."""

import secrets

from bot.domain import schedule
from bot.engine import media
from bot.engine.router import Feature
from bot.views import charts
from bot.views.cards import text_message
from storage import reminders as reminder_rows


def chart_messages(ctx):
    if not ctx.consented():
        return []
    poem_points, photo_points = charts.points(ctx.db, ctx.user_id)
    if not poem_points and not photo_points:
        return []
    tz = schedule.zone(reminder_rows.user_tz(ctx.db, ctx.user_id))
    png = charts.render(poem_points, photo_points, ctx.lang, tz)
    ref = secrets.token_urlsafe(12)
    media.store(ctx.settings, ctx.user_id, "chart", ref, png, ctx.now())
    media.store(ctx.settings, ctx.user_id, "chart", f"{ref}-preview", charts.preview(png), ctx.now())
    original = media.media_url(ctx.settings, ctx.user_id, "chart", ref, ctx.now())
    trend = charts.trend_sentence(poem_points, photo_points, ctx.lang)
    if not (original.startswith("https://") or ctx.settings.simulator):
        # LINE shows images from https only: with real credentials but no https ADAI_PUBLIC_URL
        # the link goes in the text. (The simulator's emulator takes loopback http links.)
        return [text_message(f"{trend}\n{original}")]
    image = {"type": "image", "originalContentUrl": original,
             "previewImageUrl": media.media_url(ctx.settings, ctx.user_id, "chart", f"{ref}-preview", ctx.now())}
    return [image, text_message(trend)]


FEATURE = Feature("charts", history=(chart_messages,))

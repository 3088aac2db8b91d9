"""The follow-up feature's commands, postbacks and location handler, and register(), which puts
them into the shared tables (bot.commands.COMMANDS, bot.postbacks.ACTIONS,
bot.handlers.MESSAGE_HANDLERS, bot.conversation.HISTORY_PARTS).

Postback actions: checkin (start/resume POEM), poem (one answer), checkin_later,
checkin_settings, checkin_day, checkin_time (datetime picker), reminders_pause, reminders_stop,
reminders_resume, followup (answer to the 48 h follow-up), clinics, referral, referral_revoke.
"""

import datetime as dt
import secrets

from bot import charts, clinics, commands, handlers, media, poem, postbacks, referral, reminders
from bot.cards import postback, text_message
from bot.commands import Command
from storage import assessments, consent
from storage import poem as poem_store
from storage import reminders as reminder_rows

DAY_FORMAT = {"ja": "%m月%d日（{day}）%H:%M", "en": "{day} %d %b, %H:%M"}
URGENT_RECENT = dt.timedelta(days=3)  # an urgent result this recent puts same-day clinics first
CHART_RESULTS = 60


def when_text(ctx, instant, tz_name):
    local = instant.astimezone(reminders.zone(tz_name))
    day = ctx.t(f"day.{local.weekday()}")
    return local.strftime(DAY_FORMAT.get(ctx.lang, DAY_FORMAT["en"])).format(day=day)


def _consented(ctx, refusal_key):
    if consent.given(ctx.db, ctx.user_id):
        return True
    ctx.answer(text_message(ctx.t(refusal_key)))
    return False


# --- check-in settings, pause, stop, resume -------------------------------------------------

def settings(ctx, rest=""):
    if not _consented(ctx, "settings.no_consent"):
        return
    row = reminder_rows.get(ctx.db, ctx.user_id, reminder_rows.CHECKIN) or \
        reminders.enable_checkin(ctx.db, ctx.user_id, ctx.now())
    state = ctx.t("settings.state.active")
    if row["state"] == reminder_rows.STOPPED:
        state = ctx.t("settings.state.stopped")
    elif row["paused_until"]:
        state = ctx.t("settings.state.paused",
                      until=when_text(ctx, reminders.parse_instant(row["paused_until"]), row["tz"]))
    days = [postback(ctx.t(f"day.{d}"), f"action=checkin_day&d={d}", ctx.t(f"day.{d}")) for d in range(7)]
    picker = {"type": "datetimepicker", "label": ctx.t("settings.time"), "data": "action=checkin_time",
              "mode": "time", "initial": row["local_time"]}
    if row["state"] == reminder_rows.STOPPED:
        ends = [postback(ctx.t("settings.resume"), "action=reminders_resume", ctx.t("settings.resume"))]
    else:
        ends = [postback(ctx.t("settings.pause"), "action=reminders_pause", ctx.t("settings.pause")),
                postback(ctx.t("settings.stop"), "action=reminders_stop", ctx.t("settings.stop"))]
    text = ctx.t("settings.show", day=ctx.t(f"day.{row['weekday']}"), time=row["local_time"],
                 tz=row["tz"], state=state)
    ctx.answer(text_message(text, days + [picker] + ends))


def _saved(ctx, row, key="settings.saved"):
    when = when_text(ctx, reminders.parse_instant(row["next_due_at"]), row["tz"])
    ctx.answer(text_message(ctx.t(key, when=when)))


def set_day(ctx, params):
    if _consented(ctx, "settings.no_consent") and params.get("d", "").isdigit():
        _saved(ctx, reminders.set_day(ctx.db, ctx.user_id, int(params["d"]), ctx.now()))


def set_time(ctx, params):
    if not _consented(ctx, "settings.no_consent"):
        return
    try:
        row = reminders.set_time(ctx.db, ctx.user_id, params.get("picked_time", ""), ctx.now())
    except ValueError:
        settings(ctx)
        return
    _saved(ctx, row, "settings.saved_quiet" if row["quiet_ok"] else "settings.saved")


def pause(ctx, params=None):
    if _consented(ctx, "settings.no_consent"):
        _saved(ctx, reminders.pause(ctx.db, ctx.user_id, ctx.now()), "settings.paused")


def stop(ctx, params_or_rest=None):
    if _consented(ctx, "settings.no_consent"):
        reminders.stop(ctx.db, ctx.user_id, ctx.now())
        ctx.answer(text_message(ctx.t("settings.stopped")))


def resume(ctx, params_or_rest=None):
    if _consented(ctx, "settings.no_consent"):
        _saved(ctx, reminders.resume(ctx.db, ctx.user_id, ctx.now()), "settings.resumed")


def set_timezone(ctx, rest=""):
    """`timezone Europe/London`: the zone reminders and check-in weeks follow."""
    if not _consented(ctx, "settings.no_consent"):
        return
    name = rest.strip()
    try:
        row = reminders.set_timezone(ctx.db, ctx.user_id, _zone_name(name), ctx.now())
    except reminders.UnknownTimeZone:
        ctx.answer(text_message(ctx.t("settings.tz_unknown", tz=name or "-")))
        return
    _saved(ctx, row)


def _zone_name(text):
    """Commands arrive lower-cased; zone names are not, so match them case-insensitively."""
    import zoneinfo

    return {z.lower(): z for z in zoneinfo.available_timezones()}.get(text.lower(), text)


def later(ctx, params=None):
    ctx.answer(text_message(ctx.t("checkin.later_ok")))


def followup_answer(ctx, params):
    if params.get("answer") == "seen":
        ctx.answer(text_message(ctx.t("followup.thanks_seen"),
                                [{"type": "camera", "label": ctx.t("followup.photo")}]))
        return
    find = ctx.t("conv.btn_clinic")
    ctx.answer(text_message(ctx.t("followup.thanks_not_yet"), [postback(find, "action=clinics", find)]))


# --- clinics ----------------------------------------------------------------------------------

def clinics_ask(ctx, params_or_rest=None):
    ctx.answer(clinics.location_request(ctx.lang))


def _directory(ctx):
    features = ctx.services.features
    if "clinics" not in features:
        features["clinics"] = clinics.load(ctx.config.extra.get("clinics_csv"))
    return features["clinics"]


def _urgent_recently(ctx):
    latest = assessments.recent(ctx.db, ctx.user_id, 1) if consent.given(ctx.db, ctx.user_id) else []
    return bool(latest) and latest[0]["level"] == "urgent" and \
        ctx.now() - reminders.parse_instant(latest[0]["created_at"]) <= URGENT_RECENT


def on_location(ctx):
    """A shared location answers with the nearest clinics; the location itself is not stored."""
    message = ctx.message
    try:
        lat, lon = float(message["latitude"]), float(message["longitude"])
    except (KeyError, TypeError, ValueError):
        clinics_ask(ctx)
        return
    urgent = _urgent_recently(ctx)
    ranked = clinics.nearest(_directory(ctx), lat, lon, urgent_first=urgent)
    ctx.answer(clinics.answer_messages(ranked, ctx.lang, urgent_first=urgent))


# --- summary for the doctor ------------------------------------------------------------------

def referral_make(ctx, params_or_rest=None):
    if not _consented(ctx, "referral.no_consent"):
        return
    url, _ = referral.create_link(ctx.config, ctx.db, ctx.user_id, ctx.now())
    days = round(referral.ttl(ctx.config).total_seconds() / 86400)
    ctx.answer(text_message(ctx.t("referral.made", days=days, url=url)))


def referral_revoke(ctx, params_or_rest=None):
    from storage import referrals

    count = referrals.revoke_all(ctx.db, ctx.user_id, ctx.now())
    ctx.answer(text_message(ctx.t("referral.revoked", count=count)))


# --- the chart in "History" --------------------------------------------------------------------

def chart_points(db, user_id):
    """(POEM points, photo-result points), oldest first, for bot.charts.render."""
    poem_points = [{"at": reminders.parse_instant(c["completed_at"]), "score": c["score"]}
                   for c in poem_store.history(db, user_id)]
    photo_points = [{"at": reminders.parse_instant(a["created_at"]),
                     "lesion_fraction": a["lesion_fraction"] or 0.0, "p_not_ad": a["p_not_ad"] or 0.0,
                     "level": a["level"]}
                    for a in reversed(assessments.recent(db, user_id, CHART_RESULTS))
                    if a["quality"] == "ok"]
    return poem_points, photo_points


def chart_messages(ctx):
    """HISTORY_PARTS entry: the progression chart as a LINE image (signed links) and one
    plain sentence on the trend; nothing without consent or without any record."""
    if not consent.given(ctx.db, ctx.user_id):
        return []
    poem_points, photo_points = chart_points(ctx.db, ctx.user_id)
    if not poem_points and not photo_points:
        return []
    tz = reminders.user_zone(ctx.db, ctx.user_id)
    png = charts.render(poem_points, photo_points, ctx.lang, tz)
    ref = secrets.token_urlsafe(12)
    media.store(ctx.config, ctx.user_id, "chart", ref, png, ctx.now())
    media.store(ctx.config, ctx.user_id, "chart", f"{ref}-preview", charts.preview(png), ctx.now())
    ttl = float(ctx.config.extra.get("media_ttl_s", media.TOKEN_TTL))
    original = media.media_url(ctx.config, ctx.user_id, "chart", ref, ctx.now(), ttl)
    trend = charts.trend_sentence(poem_points, photo_points, ctx.lang)
    if not original.startswith("https://"):
        # LINE shows images from https only; without ADAI_PUBLIC_URL (local simulator) the
        # link goes in the text instead.
        return [text_message(f"{trend}\n{original}")]
    image = {"type": "image", "originalContentUrl": original,
             "previewImageUrl": media.media_url(ctx.config, ctx.user_id, "chart", f"{ref}-preview", ctx.now(), ttl)}
    return [image, text_message(trend)]


# --- the tables ---------------------------------------------------------------------------------

FOLLOWUP_COMMANDS = [
    Command("checkin", ("チェックイン",), ("check-in", "checkin"),
            "週1回の質問（POEM）に答えます", "answer the weekly questions (POEM)",
            lambda ctx, rest="": poem.start(ctx)),
    Command("checkin_settings", ("チェックイン設定", "リマインダー設定"), ("check-in settings", "reminder settings"),
            "チェックインの曜日・時間を変えます", "change the day and time of check-ins", settings),
    Command("reminders_stop", ("リマインダー停止", "リマインダーを止める"), ("stop reminders",),
            "リマインダーを止めます", "stop reminders", stop),
    Command("reminders_resume", ("リマインダー再開",), ("resume reminders",),
            "リマインダーを再開します", "turn reminders back on", resume),
    Command("timezone", ("タイムゾーン",), ("time zone", "timezone"),
            "タイムゾーンを変えます（例：タイムゾーン Asia/Tokyo）", "set your time zone (e.g. timezone Europe/London)",
            set_timezone),
    Command("clinics", ("病院を探す", "病院", "クリニック"), ("find a clinic", "clinics", "clinic"),
            "近くの医療機関を探します", "find clinics near you", clinics_ask),
    Command("referral", ("医師へのまとめ", "まとめを作る"), ("summary for my doctor", "doctor summary"),
            "医師に見せるまとめのリンクを作ります", "make a summary link for your doctor", referral_make),
    Command("referral_revoke", ("まとめを取り消す",), ("revoke summary",),
            "まとめのリンクを無効にします", "turn off summary links", referral_revoke),
]

FOLLOWUP_ACTIONS = {
    "checkin": lambda ctx, params: poem.start(ctx),
    "poem": poem.on_answer,
    "checkin_later": later,
    "checkin_settings": lambda ctx, params: settings(ctx),
    "checkin_day": set_day,
    "checkin_time": set_time,
    "reminders_pause": pause,
    "reminders_stop": stop,
    "reminders_resume": resume,
    "followup": followup_answer,
    "clinics": clinics_ask,
    "referral": referral_make,
    "referral_revoke": referral_revoke,
}


def register():
    """Idempotent: create_app calls it for every app."""
    from bot import conversation

    names = {command.name for command in FOLLOWUP_COMMANDS}
    commands.COMMANDS[:] = [c for c in commands.COMMANDS if c.name not in names] + FOLLOWUP_COMMANDS
    postbacks.ACTIONS.update(FOLLOWUP_ACTIONS)
    handlers.MESSAGE_HANDLERS["location"] = on_location
    if chart_messages not in conversation.HISTORY_PARTS:
        conversation.HISTORY_PARTS.append(chart_messages)

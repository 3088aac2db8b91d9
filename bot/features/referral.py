""""Make a summary for my doctor": a signed, revocable, expiring link to a printable page.

The token signs a referral id (random, 24 bytes) and an expiry with a key of its own purpose.
The page and its pictures are served only while the referral row exists, is not revoked and has
not expired; every query on the page is filtered by that row's user_id, so nothing of another
user is reachable, and deleting the user deletes the row (storage.users.forget).
"""

import datetime as dt
import re

from flask import Blueprint, Response, abort, current_app, render_template
from bot.engine import media
from bot.engine.gone import link_gone, private
from bot.engine.router import Command, Feature
from bot.texts import t
from bot.tokens import BadToken, derive_key, sign, verify
from bot.views import charts, summary
from bot.views.summary import user_zone
from bot.views.cards import text_message
from bot.views.fonts import cjk_font_path
from storage import assessments, files, users
from storage import poem as poem_store
from storage import referrals

MAX_ASSESSMENTS = 20
PICTURES = ("photo", "overlay")


def key_for(settings):
    return derive_key(settings.channel_secret, "referral")


def ttl(settings):
    return dt.timedelta(days=float(settings.referral_days))


def create_link(settings, db, user_id, now):
    """A new referral row and its signed URL."""
    expires = now + ttl(settings)
    row = referrals.create(db, user_id, now, expires)
    token = sign(key_for(settings), {"i": row["id"], "e": int(expires.timestamp())})
    return f"{settings.base_url}/referral/{token}", row


# --- in chat ------------------------------------------------------------------------------------

def referral_make(ctx, params_or_rest=None):
    if not ctx.consented("referral.no_consent"):
        return
    url, _ = create_link(ctx.settings, ctx.db, ctx.user_id, ctx.now())
    days = round(ttl(ctx.settings).total_seconds() / 86400)
    ctx.answer(text_message(ctx.t("referral.made", days=days, url=url)))


def referral_revoke(ctx, params_or_rest=None):
    count = referrals.revoke_all(ctx.db, ctx.user_id, ctx.now())
    ctx.answer(text_message(ctx.t("referral.revoked", count=count)))


# --- the page -----------------------------------------------------------------------------------


def _live_referral(token):
    """(services, referral row) or 404 for anything wrong, revoked or expired."""
    services = current_app.extensions["adai"]
    now = services.clock.now()
    try:
        payload = verify(key_for(services.settings), token, now=now.timestamp())
    except BadToken:
        abort(link_gone())
    row = referrals.live(services.db(), str(payload.get("i", "")), now)
    if row is None:
        abort(link_gone())
    return services, row


bp = Blueprint("referral", __name__, template_folder="templates")


bp.after_request(private)


@bp.get("/referral/<token>")
def page(token):
    services, row = _live_referral(token)
    db, user_id = services.db(), row["user_id"]
    lang, tz = users.lang(db, user_id), user_zone(db, user_id)
    rows = assessments.recent(db, user_id, MAX_ASSESSMENTS)
    checkins = poem_store.history(db, user_id)
    return render_template(
        "referral.html", lang=lang, token=token, t=lambda key, **kw: t(key, lang, **kw),
        assessments=[summary.assessment_view(r, lang, tz) for r in rows],
        checkins=summary.checkin_views(checkins, lang, tz),
        models=rows[0]["models"] if rows else {}, validated=bool(rows and rows[0]["validated"]),
        expires=summary.local(row["expires_at"], tz), made=summary.local(services.clock.now().isoformat(), tz),
    )


@bp.get("/referral/<token>/<kind>/<ref>.jpg")
def picture(token, kind, ref):
    """A photo or overlay of this referral's patient, as a JPEG thumbnail for the page."""
    services, row = _live_referral(token)
    if kind not in PICTURES or not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", ref):
        abort(link_gone())
    owned = services.db().execute(
        f"SELECT 1 FROM assessments WHERE user_id = ? AND {kind}_ref = ?", [row["user_id"], ref]
    ).fetchone()
    if not owned:
        abort(link_gone())
    path = media.picture_path(files.user_dir(services.settings.files_dir, row["user_id"]), kind, ref,
                              services.overlay_drawer)
    if not path.is_file():
        abort(link_gone())
    return Response(summary.thumbnail(path.read_bytes()), mimetype="image/jpeg")


@bp.get("/referral/<token>/chart.png")
def chart(token):
    services, row = _live_referral(token)
    db, user_id = services.db(), row["user_id"]
    poem_points, photo_points = charts.points(db, user_id)
    png = charts.render(poem_points, photo_points, users.lang(db, user_id), user_zone(db, user_id),
                        clinician=True)
    return Response(png, mimetype="image/png")


@bp.get("/referral/<token>/font.ttf")
def font(token):
    """The page's Japanese font (IPAex Gothic), so it renders on machines without CJK fonts."""
    _live_referral(token)
    return Response(cjk_font_path().read_bytes(), mimetype="font/ttf")


FEATURE = Feature(
    "referral",
    commands=(
        Command("referral", ("医師へのまとめ", "まとめを作る"), ("summary for my doctor", "doctor summary"),
                "医師に見せるまとめのリンクを作ります", "make a summary link for your doctor", referral_make),
        Command("referral_revoke", ("まとめを取り消す",), ("revoke summary",),
                "まとめのリンクを無効にします", "turn off summary links", referral_revoke),
    ),
    actions={"referral": referral_make, "referral_revoke": referral_revoke},
    blueprints=(bp,),
)

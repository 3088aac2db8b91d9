"""One small function per event kind, in tables. Features register their functions here
(EVENT_HANDLERS, MESSAGE_HANDLERS) or in bot.postbacks.ACTIONS / bot.commands.COMMANDS."""

import logging

from bot import commands, photos, postbacks
from bot.line_api import LineRejected
from storage import image_sets, users

log = logging.getLogger(__name__)


# --- events ---------------------------------------------------------------------------

def on_unfollow(ctx):
    users.unfollow(ctx.db, ctx.user_id, ctx.now())  # LINE gives no reply token here


def on_message(ctx):
    kind = ctx.message.get("type")
    handler = MESSAGE_HANDLERS.get(kind, on_unsupported_message)
    handler(ctx)


def on_postback(ctx):
    postbacks.dispatch(ctx, ctx.event.get("postback") or {})


def on_ignored(ctx):
    """Events that need nothing from us (unsend, read receipts, beacons…)."""


def profile_lang(ctx) -> str | None:
    """ja or en from the user's LINE profile; None when LINE does not tell us (the stored or
    default language then stays)."""
    try:
        language = ctx.line.profile(ctx.user_id).get("language") or ""
    except Exception as e:  # noqa: BLE001 — a greeting in the default language is fine
        log.info("profile unavailable: %s", type(e).__name__)
        return None
    if not language:
        return None
    return "en" if language.startswith("en") else "ja"


# "follow" is bot.consent.on_follow (greeting and consent), registered by bot.conversation.
EVENT_HANDLERS = {
    "unfollow": on_unfollow,
    "message": on_message,
    "postback": on_postback,
    "unsend": on_ignored,
    "videoPlayComplete": on_ignored,
    "beacon": on_ignored,
    "accountLink": on_ignored,
    "membership": on_ignored,
}


# --- messages ---------------------------------------------------------------------------

def on_text(ctx):
    commands.on_text(ctx, ctx.message.get("text", ""))


def on_image(ctx):
    """Download the photo (or every photo of an image set, once the last part is here) and
    hand the bytes to the photo seam."""
    message = ctx.message
    image_set = message.get("imageSet")
    if image_set and int(image_set.get("total", 1)) > 1:
        message_ids = image_sets.add_part(ctx.db, image_set, message["id"], ctx.user_id, ctx.now())
        if message_ids is None:
            return  # more parts to come; the last one triggers the photo seam
    else:
        message_ids = [message["id"]]
    answer_photos(ctx, message_ids, image_set)


def answer_photos(ctx, message_ids, image_set=None):
    """Download the photos and hand them to the photo seam; then forget the set's parts (a
    crash before that replays the event, which finds the same parts again)."""
    ctx.loading(30)
    try:
        images = [ctx.line.content(message_id) for message_id in message_ids]
    except LineRejected:  # content expired or never uploaded
        ctx.answer({"type": "text", "text": ctx.t("core.photo_unavailable")})
    else:
        photos.on_photo(ctx, images)
    if image_set:
        image_sets.finish(ctx.db, image_set)


def on_sticker(ctx):
    ctx.answer({"type": "text", "text": ctx.t("core.sticker")})


def on_unsupported_message(ctx):
    ctx.answer({"type": "text", "text": ctx.t("core.unsupported")})


MESSAGE_HANDLERS = {
    "text": on_text,
    "image": on_image,
    # "location" is bot.followup_commands.on_location (clinics nearby).
    "sticker": on_sticker,
    "video": on_unsupported_message,
    "audio": on_unsupported_message,
    "file": on_unsupported_message,
}


# --- groups and rooms: health talk is one-to-one only ----------------------------------

def group_note(ctx):
    """Group and room chats: one short note, and nothing stored about anyone."""
    ctx.answer({"type": "text", "text": ctx.t("core.group_only_personal")})


GROUP_HANDLERS = {
    "join": group_note,
    "message": group_note,
    "postback": group_note,
}


# --- dispatch --------------------------------------------------------------------------

def dispatch(ctx):
    kind = ctx.event.get("type")
    if ctx.source_type in ("group", "room"):
        table = GROUP_HANDLERS
    else:
        table = EVENT_HANDLERS
    handler = table.get(kind)
    if handler is None:
        log.info("no handler for %s event from a %s; ignored", kind, ctx.source_type)
        return
    handler(ctx)

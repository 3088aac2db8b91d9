"""What every chat needs: unfollow, stickers, message kinds we do not handle, events that need
nothing, and group and room chats (health talk is one-to-one only)."""

from bot.engine.router import ANY, Feature
from storage import users


def on_unfollow(ctx):
    users.unfollow(ctx.db, ctx.user_id, ctx.now())  # LINE gives no reply token here


def on_ignored(ctx):
    """Events that need nothing from us (unsend, read receipts, beacons…)."""


def on_sticker(ctx):
    ctx.answer({"type": "text", "text": ctx.t("core.sticker")})


def on_unsupported_message(ctx):
    ctx.answer({"type": "text", "text": ctx.t("core.unsupported")})


def group_note(ctx):
    """Group and room chats: one short note, and nothing stored about anyone."""
    ctx.answer({"type": "text", "text": ctx.t("core.group_only_personal")})


FEATURE = Feature(
    "core",
    events={
        "unfollow": on_unfollow,
        "unsend": on_ignored,
        "videoPlayComplete": on_ignored,
        "beacon": on_ignored,
        "accountLink": on_ignored,
        "membership": on_ignored,
    },
    messages={
        "sticker": on_sticker,
        "video": on_unsupported_message,
        "audio": on_unsupported_message,
        "file": on_unsupported_message,
        ANY: on_unsupported_message,
    },
    group_events={"join": group_note, "message": group_note, "postback": group_note},
)

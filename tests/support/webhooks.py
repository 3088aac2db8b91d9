"""LINE-shaped webhook events and signed bodies, as in the Messaging API reference.

Plain builders take every id explicitly; `Events` (fixture `events`) mints reply tokens
from the emulator and stamps events with the test clock, which is what tests usually want.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time

DESTINATION = "Uf00dc0ffee0000000000000000000000"


def sign(body: bytes | str, secret: str) -> str:
    if isinstance(body, str):
        body = body.encode()
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def user_id() -> str:
    return "U" + secrets.token_hex(16)


def new_id() -> str:
    return str(int(time.time() * 1000)) + str(secrets.randbelow(10**6)).zfill(6)


def source(user=None, group=None, room=None) -> dict:
    if group:
        return {"type": "group", "groupId": group, "userId": user} if user else {"type": "group", "groupId": group}
    if room:
        return {"type": "room", "roomId": room, "userId": user} if user else {"type": "room", "roomId": room}
    return {"type": "user", "userId": user or user_id()}


def event(kind, *, user=None, group=None, room=None, reply_token=None, timestamp_ms=None,
          event_id=None, mode="active", redelivery=False, **fields) -> dict:
    body = {
        "type": kind,
        "mode": mode,
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "source": source(user, group, room),
        "webhookEventId": event_id or "01" + secrets.token_hex(12).upper(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply_token is not None:
        body["replyToken"] = reply_token
    body.update(fields)
    return body


def follow(**kw):
    return event("follow", follow={"isUnblocked": False}, **kw)


def unfollow(**kw):
    kw.pop("reply_token", None)  # LINE sends no reply token on unfollow
    return event("unfollow", **kw)


def join(**kw):
    return event("join", **kw)


def text(text, **kw):
    message = {"id": new_id(), "type": "text", "quoteToken": secrets.token_urlsafe(24), "text": text}
    return event("message", message=message, **kw)


def image(message_id=None, image_set=None, **kw):
    """image_set: (set_id, index, total) for photos sent together."""
    message = {
        "id": message_id or new_id(),
        "type": "image",
        "quoteToken": secrets.token_urlsafe(24),
        "contentProvider": {"type": "line"},
    }
    if image_set:
        set_id, index, total = image_set
        message["imageSet"] = {"id": set_id, "index": index, "total": total}
    return event("message", message=message, **kw)


def video(**kw):
    message = {"id": new_id(), "type": "video", "quoteToken": secrets.token_urlsafe(24),
               "duration": 6000, "contentProvider": {"type": "line"}}
    return event("message", message=message, **kw)


def audio(**kw):
    message = {"id": new_id(), "type": "audio", "duration": 3000, "contentProvider": {"type": "line"}}
    return event("message", message=message, **kw)


def file(**kw):
    message = {"id": new_id(), "type": "file", "fileName": "notes.pdf", "fileSize": 2048}
    return event("message", message=message, **kw)


def sticker(**kw):
    message = {"id": new_id(), "type": "sticker", "quoteToken": secrets.token_urlsafe(24),
               "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC", "keywords": ["happy"]}
    return event("message", message=message, **kw)


def location(latitude=38.2547, longitude=140.8740, **kw):
    message = {"id": new_id(), "type": "location", "title": "my place",
               "address": "Sendai, Miyagi", "latitude": latitude, "longitude": longitude}
    return event("message", message=message, **kw)


def postback(data, params=None, **kw):
    body = {"data": data}
    if params:
        body["params"] = params
    return event("postback", postback=body, **kw)


def body(*events, destination=DESTINATION) -> bytes:
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()


def signed(secret, *events) -> tuple[bytes, dict]:
    """(body, headers) ready to POST to /callback."""
    raw = body(*events)
    return raw, {"Content-Type": "application/json", "X-Line-Signature": sign(raw, secret)}


class Events:
    """Builders bound to the emulator (reply tokens it will accept) and a clock."""

    def __init__(self, emulator, clock=None):
        self.emulator = emulator
        self.clock = clock

    def _kw(self, kw, with_token=True):
        kw.setdefault("user", user_id())
        if self.clock is not None:
            kw.setdefault("timestamp_ms", int(self.clock.now().timestamp() * 1000))
        if with_token and "reply_token" not in kw:
            to = kw.get("group") or kw.get("room") or kw["user"]
            kw["reply_token"] = self.emulator.issue_reply_token(to)
        return kw

    def __getattr__(self, name):
        builder = globals()[name]
        if not callable(builder):
            raise AttributeError(name)

        def build(*args, **kw):
            return builder(*args, **self._kw(kw, with_token=name not in ("unfollow",)))

        return build

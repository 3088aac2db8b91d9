"""GET /simulator: a chat page where you act as a LINE user (simulator mode only).

The page asks this blueprint for a LINE-shaped event signed with the local channel secret,
POSTs it to /callback exactly as LINE would, and reads what the bot sent from the
in-process LINE emulator. Photos are handed to the emulator as message content, so the
bot downloads them through the real SDK as in production.
"""
from __future__ import annotations

import base64
import binascii
import json
import secrets

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file

from bot.tokens import signature
from bot.views import richmenu
from bot.views.fonts import cjk_font_path

bp = Blueprint("simulator", __name__, template_folder="templates", static_folder="static",
               static_url_path="/simulator/static")
# Against DNS rebinding: a page on another name that resolves to 127.0.0.1 must not reach the
# routes that sign events for any user and read anyone's messages.
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]", "::1"}


@bp.before_request
def loopback_names_only():
    if _host_name(request.host) not in LOOPBACK_NAMES:
        abort(403)


def _host_name(host: str) -> str:
    """The Host header without its port ("[::1]:8000" -> "[::1]")."""
    host = host.lower()
    return host.split("]")[0] + "]" if host.startswith("[") else host.split(":")[0]

# Bigger than the bot accepts (inference's 20 MB), so an oversized photo reaches the bot and
# gets its answer, as from LINE, rather than a silent refusal here.
MAX_PHOTO_BYTES = 30 * 1024 * 1024
MAX_IMAGE_SET = 20  # LINE sends up to 20 photos picked together as one image set
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" '
           'fill="#06c755"/><circle cx="16" cy="16" r="8" fill="#fff"/><circle cx="16" cy="16" r="4" '
           'fill="#e65100"/></svg>')


class BadSimulatorEvent(ValueError):
    """The page asked for an event kind or field the simulator does not make."""


def _services():
    services = current_app.extensions["adai"]
    if services.emulator is None:  # only the in-process emulator can be read back
        abort(404)
    return services


@bp.get("/simulator")
def page():
    _services()
    return render_template("simulator.html")


@bp.get("/simulator/font.ttf")
def font():
    """IPAex Gothic, so Japanese renders on a machine without CJK fonts."""
    return send_file(cjk_font_path(), mimetype="font/ttf", max_age=86400)


@bp.get("/simulator/favicon.svg")
@bp.get("/favicon.ico")
def favicon():
    return current_app.response_class(FAVICON, mimetype="image/svg+xml")


@bp.get("/simulator/richmenu.png")
def richmenu_image():
    return current_app.response_class(richmenu.draw_image(), mimetype="image/png")


@bp.get("/simulator/api/richmenu")
def richmenu_areas():
    return jsonify(richmenu.menu_body())


@bp.post("/simulator/api/profile")
def profile():
    fields = request.get_json(force=True)
    _services().emulator.set_profile(_user(fields), display_name="Simulator", language=fields.get("language", "ja"))
    return jsonify({"ok": True})


@bp.post("/simulator/api/event")
def signed_event():
    """{user, kind, ...} -> {body, signature}: what LINE would POST to /callback."""
    services = _services()
    fields = request.get_json(force=True)
    user = _user(fields)
    try:
        built = EVENT_BUILDERS[fields.get("kind")](services.emulator, fields)
    except (KeyError, BadSimulatorEvent, binascii.Error, TypeError) as error:
        return jsonify({"error": str(error)}), 400
    events = [{
        "mode": "active",
        "timestamp": int(services.clock.now().timestamp() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01SIM" + secrets.token_hex(10).upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": services.emulator.issue_reply_token(user),
        **message,
    } for message in (built if isinstance(built, list) else [built])]
    body = json.dumps({"destination": "Usimulator", "events": events}, ensure_ascii=False)
    return jsonify({"body": body, "signature": signature(body.encode(), services.settings.channel_secret)})


@bp.get("/simulator/api/messages")
def messages():
    """Everything the bot sent to this user from index `since` on."""
    user = _user(request.args)
    since = request.args.get("since", default=0, type=int)
    return jsonify(_services().emulator.sent_json(to=user, since=since))


def _user(fields) -> str:
    user = str(fields.get("user", ""))
    if not (user.startswith("U") and len(user) == 33):
        abort(400)
    return user


def _message_id() -> str:
    return str(secrets.randbelow(10**18))


def _follow(emulator, fields) -> dict:
    return {"type": "follow", "follow": {"isUnblocked": False}}


def _text(emulator, fields) -> dict:
    text = str(fields.get("text", ""))
    if not text:
        raise BadSimulatorEvent("empty text")
    return {"type": "message", "message": {"id": _message_id(), "type": "text", "text": text,
                                           "quoteToken": secrets.token_urlsafe(16)}}


def _content(emulator, fields, default_type) -> str:
    """The file's bytes handed to the emulator as message content; its message id."""
    data = base64.b64decode(fields.get("content") or fields.get("image", ""), validate=True)
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise BadSimulatorEvent("file missing or over 30 MB")
    message_id = _message_id()
    emulator.add_content(message_id, data, fields.get("contentType") or default_type)
    return message_id


def _image(emulator, fields, image_set=None) -> dict:
    message = {"id": _content(emulator, fields, "image/jpeg"), "type": "image",
               "quoteToken": secrets.token_urlsafe(16), "contentProvider": {"type": "line"}}
    if image_set:
        message["imageSet"] = image_set
    return {"type": "message", "message": message}


def _images(emulator, fields) -> list[dict]:
    """Several photos picked together: one image set, one event per photo, as LINE sends them."""
    photos = list(fields.get("images") or [])
    if not 2 <= len(photos) <= MAX_IMAGE_SET:
        raise BadSimulatorEvent(f"an image set has 2 to {MAX_IMAGE_SET} photos")
    set_id = secrets.token_hex(16).upper()
    return [_image(emulator, photo, {"id": set_id, "index": index, "total": len(photos)})
            for index, photo in enumerate(photos, start=1)]


def _media(kind):
    def build(emulator, fields) -> dict:
        message = {"id": _content(emulator, fields, "application/octet-stream"), "type": kind,
                   "contentProvider": {"type": "line"}}
        if kind == "file":
            message.update(fileName=str(fields.get("fileName") or "file")[:200],
                           fileSize=len(base64.b64decode(fields["content"])))
        else:
            message["duration"] = 1000
        return {"type": "message", "message": message}
    return build


def _sticker(emulator, fields) -> dict:
    return {"type": "message", "message": {"id": _message_id(), "type": "sticker", "packageId": "446",
                                           "stickerId": "1988", "stickerResourceType": "STATIC",
                                           "quoteToken": secrets.token_urlsafe(16)}}


def _postback(emulator, fields) -> dict:
    postback = {"data": str(fields.get("data", ""))}
    params = {k: str(v) for k, v in (fields.get("params") or {}).items() if k in ("date", "time", "datetime")}
    if params:  # the date/time picker's choice, as LINE puts it
        postback["params"] = params
    return {"type": "postback", "postback": postback}


def _location(emulator, fields) -> dict:
    try:
        lat, lon = float(fields["latitude"]), float(fields["longitude"])
    except (KeyError, TypeError, ValueError) as error:
        raise BadSimulatorEvent("latitude and longitude are numbers") from error
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadSimulatorEvent("latitude or longitude out of range")
    return {"type": "message", "message": {"id": _message_id(), "type": "location", "title": "Simulator location",
                                           "address": f"{lat:.5f}, {lon:.5f}", "latitude": lat, "longitude": lon}}


EVENT_BUILDERS = {
    "follow": _follow,
    "text": _text,
    "image": _image,
    "images": _images,
    "video": _media("video"),
    "audio": _media("audio"),
    "file": _media("file"),
    "sticker": _sticker,
    "postback": _postback,
    "location": _location,
}

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

MAX_PHOTO_BYTES = 10 * 1024 * 1024


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
        message = EVENT_BUILDERS[fields.get("kind")](services.emulator, fields)
    except (KeyError, BadSimulatorEvent, binascii.Error) as error:
        return jsonify({"error": str(error)}), 400
    event = {
        "mode": "active",
        "timestamp": int(services.clock.now().timestamp() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01SIM" + secrets.token_hex(10).upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": services.emulator.issue_reply_token(user),
        **message,
    }
    body = json.dumps({"destination": "Usimulator", "events": [event]}, ensure_ascii=False)
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


def _image(emulator, fields) -> dict:
    data = base64.b64decode(fields.get("image", ""), validate=True)
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise BadSimulatorEvent("photo missing or too large")
    message_id = _message_id()
    emulator.add_content(message_id, data, fields.get("contentType") or "image/jpeg")
    return {"type": "message", "message": {"id": message_id, "type": "image", "quoteToken": secrets.token_urlsafe(16),
                                           "contentProvider": {"type": "line"}}}


def _postback(emulator, fields) -> dict:
    return {"type": "postback", "postback": {"data": str(fields.get("data", ""))}}


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
    "postback": _postback,
    "location": _location,
}

"""Signed, expiring links to a user's pictures (charts, photos, crops, overlays).

A token is `base64url(json payload) . base64url(HMAC-SHA256(payload))`. The payload names a
pseudonymous user key (storage.files.user_key: the name of the user's folder, never the id),
a kind, a reference and an expiry; the file it reaches (`<kind>-<ref>.<ext>` in that folder) is
derived from those signed fields only, so a token can never point into another user's folder. Any failure — malformed, altered, expired, unknown file — is
the same 404.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import time

from flask import Blueprint, Response, abort, current_app

from storage import files

TOKEN_TTL = 24 * 3600
KINDS = {"chart": "image/png", "photo": "image/jpeg", "crop": "image/jpeg", "overlay": "image/jpeg"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
REF_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class BadToken(ValueError):
    """A token that is malformed, altered, signed with another key, or for an unknown kind."""


class ExpiredToken(BadToken):
    """A well-signed token past its expiry."""


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret, purpose):
    """One key per purpose from the app's secret, so a media token is never a referral token."""
    return hmac.new(secret.encode() if isinstance(secret, str) else secret,
                    purpose.encode(), hashlib.sha256).digest()


def sign(key, payload):
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{mac}"


def verify(key, token, now=None):
    """The payload of a token signed with key and not yet expired; BadToken otherwise."""
    try:
        body, mac = token.split(".")
        expected = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(mac, expected):
            raise BadToken("signature")
        payload = json.loads(_unb64(body))
        expires = float(payload["e"])
    except BadToken:
        raise
    except (ValueError, KeyError, TypeError, UnicodeError) as error:
        raise BadToken("malformed") from error
    if (time.time() if now is None else now) >= expires:
        raise ExpiredToken("expired")
    return payload


def media_token(key, user_id, kind, ref, ttl=TOKEN_TTL, now=None):
    check_kind_ref(kind, ref)
    expires = int((time.time() if now is None else now) + ttl)
    return sign(key, {"u": files.user_key(user_id), "k": kind, "r": ref, "e": expires})


def check_kind_ref(kind, ref):
    if kind not in KINDS or not REF_PATTERN.match(ref or ""):
        raise BadToken(f"kind {kind!r} or reference not allowed")


# --- links and files ---------------------------------------------------------------------------

def key_for(config):
    return derive_key(config.channel_secret, "media")


def media_url(config, user_id, kind, ref, now, ttl=TOKEN_TTL):
    """The signed https link (in production) to a stored picture; now: an aware datetime."""
    token = media_token(key_for(config), user_id, kind, ref, ttl=ttl, now=now.timestamp())
    return f"{config.base_url}/media/{token}"


def file_name(kind, ref):
    return f"{kind}-{ref}.{EXTENSIONS[KINDS[kind]]}"


def store(config, user_id, kind, ref, data: bytes, now=None):
    """Write a picture into the user's folder (removed with the user by storage.users.forget).
    now (the app clock's aware datetime) dates the file, so retention ages it by that clock."""
    check_kind_ref(kind, ref)
    path = files.user_dir(config.data_dir, user_id, create=True) / file_name(kind, ref)
    path.write_bytes(data)
    if now is not None:
        os.utime(path, (now.timestamp(), now.timestamp()))
    return path


def resolve(config, token, now):
    """The file a token points to, or BadToken. Only signed fields build the path."""
    payload = verify(key_for(config), token, now=now.timestamp())
    kind, ref, user = payload.get("k"), payload.get("r"), str(payload.get("u", ""))
    check_kind_ref(kind, ref)
    if not re.fullmatch(r"[0-9a-f]{32}", user):
        raise BadToken("user key")
    path = files.key_dir(config.data_dir, user) / file_name(kind, ref)
    if not path.is_file():
        raise BadToken("no such file")
    return path


def content_type(data: bytes):
    """From the bytes, not the name: a 'photo' may have arrived as PNG."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "application/octet-stream"


bp = Blueprint("media", __name__)


@bp.get("/media/<token>")
def serve(token):
    services = current_app.extensions["adai"]
    try:
        path = resolve(services.config, token, services.clock.now())
    except BadToken:
        abort(404)
    data = path.read_bytes()
    response = Response(data, mimetype=content_type(data))
    # Health pictures: never cached by shared caches, never indexed, never sniffed.
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

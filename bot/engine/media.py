"""Users' pictures (photos, overlays, charts): stored in the user's folder, reached by signed,
expiring links, served at GET /media/<token>.

The token (bot.tokens) names a pseudonymous user key (storage.files.user_key: the name of the
user's folder, a keyed hash, never the id), a kind, a reference and an expiry; the file it reaches
(`<kind>-<ref>.<ext>` in that folder) is derived from those signed fields only, so a token can
never point into another user's folder. Any failure (malformed, altered, expired, unknown file)
is the same 404.

An overlay is drawn the first time someone opens it (`picture_path`): the worker keeps what it
is drawn from (`overlay-<ref>.json`, inference/overlay_data.py: verdict, crops, captions, the
segmenter's masks) beside the photo, and the first reader (the patient's link, the clinic's
viewer, a referral page) draws the JPEG and keeps it with the photo's date. The clinic's label
page starts from the same masks (`overlay_source`). Most overlays are never opened; drawing
each one with the photo cost half as much CPU as the models (RELIABILITY.md, issue 23).
"""

import logging
import os
import re
import secrets
import time
from concurrent.futures import CancelledError, ThreadPoolExecutor

from flask import Blueprint, Response, abort, current_app

from bot.engine.gone import link_gone, private
from bot.settings import Settings
from bot.tokens import BadToken, derive_key, sign, verify
from inference import overlay_data
from inference.errors import InferenceError
from storage import files

log = logging.getLogger(__name__)

KINDS = {"chart": "image/png", "photo": "image/jpeg", "crop": "image/jpeg", "overlay": "image/jpeg"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
REF_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def check_kind_ref(kind, ref):
    if kind not in KINDS or not REF_PATTERN.match(ref or ""):
        raise BadToken(f"kind {kind!r} or reference not allowed")


def media_token(key, user_key, kind, ref, ttl=Settings.media_link_ttl_s, now=None):
    """user_key: storage.files.user_key(data_dir, user_id), the user's folder name."""
    check_kind_ref(kind, ref)
    expires = int((time.time() if now is None else now) + ttl)
    return sign(key, {"u": user_key, "k": kind, "r": ref, "e": expires})


def key_for(settings):
    return derive_key(settings.channel_secret, "media")


def media_url(settings, user_id, kind, ref, now, ttl=None):
    """The signed https link (in production) to a stored picture; now: an aware datetime;
    ttl: seconds (default settings.media_link_ttl_s)."""
    ttl = settings.media_link_ttl_s if ttl is None else ttl
    token = media_token(key_for(settings), files.user_key(settings.files_dir, user_id), kind, ref, ttl=ttl,
                        now=now.timestamp())
    return f"{settings.base_url}/media/{token}"


def file_name(kind, ref):
    return f"{kind}-{ref}.{EXTENSIONS[KINDS[kind]]}"


def overlay_data_name(ref):
    """What the overlay of photo `ref` and the label page's starting mask are drawn from."""
    return f"overlay-{ref}.json"


def store(settings, user_id, kind, ref, data: bytes, now=None):
    """Write a picture into the user's folder (removed with the user by storage.users.forget).
    now (the app clock's aware datetime) dates the file, so retention ages it by that clock."""
    check_kind_ref(kind, ref)
    return _keep(settings, user_id, file_name(kind, ref), data, now)


def store_overlay_data(settings, user_id, ref, data: bytes, now=None):
    """Keep what the overlay of photo `ref` is drawn from (drawn when first opened), as `store`."""
    check_kind_ref("overlay", ref)
    return _keep(settings, user_id, overlay_data_name(ref), data, now)


def _keep(settings, user_id, name, data: bytes, now):
    path = files.user_dir(settings.files_dir, user_id, create=True) / name
    files.write_private(path, data)
    if now is not None:
        os.utime(path, (now.timestamp(), now.timestamp()))
    return path


class OverlayDrawer:
    """Draws overlays on one thread of its own, one at a time: glibc gives each thread its own
    malloc arena and keeps what it freed, so the web server's 16 threads each drawing grew it by
    ~300 MB (bench/bench_photo_parts.py: 96 overlays from 16 threads +301 MB, through this +9 MB)."""

    def __init__(self, metrics=None):
        self.metrics = metrics
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="overlay-draw")

    def draw(self, data: bytes, photo: bytes) -> bytes:
        began = time.perf_counter()
        try:
            jpeg = self._executor.submit(overlay_data.render_jpeg, data, photo).result()
        except (RuntimeError, CancelledError):  # the app is stopping: drawn here, as without a drawer
            return overlay_data.render_jpeg(data, photo)
        if self.metrics is not None:
            self.metrics.overlay_drawn(time.perf_counter() - began)
        return jpeg

    def close(self):
        self._executor.shutdown(wait=False, cancel_futures=True)


def picture_path(folder, kind, ref, drawer: OverlayDrawer | None = None):
    """The stored picture of this kind in the user's folder; an overlay not drawn yet is drawn
    now (by the app's `drawer`; without one, here). The path may not exist (nothing stored, or
    nothing to draw from): callers check."""
    path = folder / file_name(kind, ref)
    if kind != "overlay" or path.is_file():
        return path
    source = folder / overlay_data_name(ref)
    try:
        stat, data = source.stat(), source.read_bytes()
        photo = (folder / file_name("photo", ref)).read_bytes()
    except FileNotFoundError:  # never kept (no consent, disk full), or the user deleted
        return path
    try:
        jpeg = drawer.draw(data, photo) if drawer is not None else overlay_data.render_jpeg(data, photo)
    except (overlay_data.OverlayDataError, InferenceError) as error:
        log.error("overlay not drawn: %s", type(error).__name__)
        return path
    # Written under a temporary name and renamed: a reader at the same moment sees the whole
    # picture or none. Dated like the data (the photo's date), so retention ages it alike.
    temporary = folder / f".{path.name}.{secrets.token_hex(4)}"
    try:
        files.write_private(temporary, jpeg)
        os.utime(temporary, (stat.st_mtime, stat.st_mtime))
        os.replace(temporary, path)
    except FileNotFoundError:  # the user's folder was deleted meanwhile
        temporary.unlink(missing_ok=True)
    return path


def overlay_source(folder, ref):
    """(what the overlay of photo `ref` is drawn from, as an Assessment with its masks, the data
    file's mtime), or None when none was kept or it cannot be read."""
    source = folder / overlay_data_name(ref)
    try:
        return overlay_data.loads(source.read_bytes()), source.stat().st_mtime
    except FileNotFoundError:
        return None
    except overlay_data.OverlayDataError as error:
        log.error("overlay data unreadable: %s", error)
        return None


def resolve(settings, token, now, drawer=None):
    """The file a token points to, or BadToken. Only signed fields build the path."""
    payload = verify(key_for(settings), token, now=now.timestamp())
    kind, ref, user = payload.get("k"), payload.get("r"), str(payload.get("u", ""))
    check_kind_ref(kind, ref)
    if not re.fullmatch(r"[0-9a-f]{32}", user):
        raise BadToken("user key")
    path = picture_path(files.key_dir(settings.files_dir, user), kind, ref, drawer)
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
        path = resolve(services.settings, token, services.clock.now(), services.overlay_drawer)
    except BadToken:
        abort(link_gone())
    data = path.read_bytes()
    # Health pictures: never kept by any cache (a deleted picture must not show from the
    # browser's), never indexed, never sniffed, never framed.
    return private(Response(data, mimetype=content_type(data)))

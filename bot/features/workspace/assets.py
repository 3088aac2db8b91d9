"""The workspace's static files (CSS, JS, the font) as cacheable URLs: each URL names a hash of
the file's content (?v=…), so a browser keeps it for good and a changed file is a new URL."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import request, url_for

from bot.views.fonts import cjk_font_path

STATIC = Path(__file__).resolve().parent / "static"
ENDPOINTS = {"workspace.static", "workspace.font"}
FOREVER = 365 * 24 * 3600


@lru_cache(maxsize=None)
def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def version_of(endpoint, filename=None) -> str:
    return _version(cjk_font_path() if endpoint == "workspace.font" else STATIC / filename)


def url(filename=None) -> str:
    """url_for a static file (or the font, with no filename) with its content's version."""
    if filename is None:
        return url_for("workspace.font", v=version_of("workspace.font"))
    return url_for("workspace.static", filename=filename, v=version_of("workspace.static", filename))


def cacheable(response):
    """Immutable under the URL of its current version; any other URL revalidates (ETag)."""
    filename = (request.view_args or {}).get("filename")
    try:
        current = request.args.get("v") == version_of(request.endpoint, filename)
    except OSError:
        current = False
    response.headers["Cache-Control"] = f"public, max-age={FOREVER}, immutable" if current else "no-cache"
    return response

"""GET /healthz: is the database answering and are the models there?"""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from storage import inbox

bp = Blueprint("health", __name__)


def models_state(models_dir: Path) -> str:
    manifest = Path(models_dir) / "manifest.json"
    if not manifest.exists():
        return "missing manifest.json"
    try:
        models = json.loads(manifest.read_text())["models"]
        missing = [m["file"] for m in models.values() if not (Path(models_dir) / m["file"]).exists()]
        if missing:
            return f"missing {', '.join(missing)}"
        corrupt = [m["file"] for m in models.values()
                   if m.get("sha256") and file_sha256(Path(models_dir) / m["file"]) != m["sha256"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return "unreadable manifest.json"
    return f"corrupt {', '.join(corrupt)} (sha256 differs from manifest.json)" if corrupt else "ok"


@lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Hashed once per file version (size, mtime), so frequent probes stay cheap."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


@bp.get("/healthz")
def healthz():
    services = current_app.extensions["adai"]
    try:
        counts = inbox.counts(services.db())
        database = "ok"
    except Exception as e:  # noqa: BLE001
        counts, database = {}, f"error: {type(e).__name__}"
    models = models_state(services.settings.models_dir)
    ok = database == "ok" and models == "ok"
    body = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "models": models,
        "inbox": counts,
        "mode": "simulator" if services.settings.simulator else "line",
    }
    if services.emulator is not None:  # simulator mode: where the built-in LINE lives
        body["emulator"] = services.emulator.url
    return jsonify(body), 200 if ok else 503

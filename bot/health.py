"""GET /healthz: is the database answering and are the models there?"""

import json
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
    except (ValueError, KeyError, TypeError):
        return "unreadable manifest.json"
    return f"missing {', '.join(missing)}" if missing else "ok"


@bp.get("/healthz")
def healthz():
    services = current_app.extensions["adai"]
    try:
        counts = inbox.counts(services.db())
        database = "ok"
    except Exception as e:  # noqa: BLE001
        counts, database = {}, f"error: {type(e).__name__}"
    models = models_state(services.config.models_dir)
    ok = database == "ok" and models == "ok"
    body = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "models": models,
        "inbox": counts,
        "mode": "simulator" if services.config.simulator else "line",
    }
    if services.emulator is not None:  # simulator mode: where the built-in LINE lives
        body["emulator"] = services.emulator.url
    return jsonify(body), 200 if ok else 503

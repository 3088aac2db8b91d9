"""GET /healthz: is the database answering and are the models there?

The manifest is read by the pipeline's own reader (inference.manifest.load_manifest: schema,
entries, classes, sizes, the familiarity block), so "ok" means Pipeline.from_dir would load it;
only the files' hashes are checked here, cached per file version, so frequent probes stay cheap.
`model_version` names the model set this process answers with (engine/model_sets.py); the
files checked are those of the models folder's current version (inference/versions.py);
`fleet_model_versions` counts the live `serve`/`worker` processes per version they answer with
(storage/nodes.py): one key means the fleet has converged.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from inference.errors import ModelManifestError
from inference.manifest import MANIFEST, load_manifest
from inference.versions import current_dir
from storage import inbox, nodes

bp = Blueprint("health", __name__)


def models_state(models_dir: Path) -> str:
    try:
        stat = (Path(models_dir) / MANIFEST).stat()
    except FileNotFoundError:
        return f"missing {MANIFEST}"
    manifest = _manifest(str(models_dir), stat.st_size, stat.st_mtime_ns)
    if isinstance(manifest, str):
        return manifest
    specs = (manifest.segmenter, manifest.classifier)
    missing = [spec.path.name for spec in specs if not spec.path.is_file()]
    if missing:
        return f"missing {', '.join(missing)}"
    corrupt = [spec.path.name for spec in specs if file_sha256(spec.path) != spec.sha256]
    return f"corrupt {', '.join(corrupt)} (sha256 differs from {MANIFEST})" if corrupt else "ok"


@lru_cache(maxsize=16)
def _manifest(models_dir: str, size: int, mtime_ns: int):
    """The manifest read once per version of its file (a probe every few seconds re-read and
    re-checked its JSON: ~3 ms of CPU each, RELIABILITY.md); or why it cannot be loaded."""
    try:
        return load_manifest(Path(models_dir), check_hashes=False)
    except ModelManifestError as error:
        return f"{MANIFEST} not loadable: {error}"


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
        fleet = nodes.versions(services.db(), services.clock.now())
        database = "ok"
    except Exception as e:  # noqa: BLE001
        counts, fleet, database = {}, {}, f"error: {type(e).__name__}"
    models = models_state(current_dir(services.settings.models_dir))
    ok = database == "ok" and models == "ok"
    body = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "models": models,
        "model_version": services.model_version(),  # the set this process answers with
        "fleet_model_versions": fleet,  # {version: live serve/worker processes answering with it}
        "inbox": counts,
        "mode": "simulator" if services.settings.simulator else "line",
    }
    if services.emulator is not None:  # simulator mode: where the built-in LINE lives
        body["emulator"] = services.emulator.url
    return jsonify(body), 200 if ok else 503

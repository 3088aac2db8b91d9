"""`python -m models install SRC [--models-dir DIR]`, `rollback`, `versions`: model sets as versions.

install: SRC is any folder with a manifest.json and the files it names (the repository's
models/ qualifies). The set is copied into DIR/versions/.incoming-*, checked there as
Pipeline.from_dir checks it (schema, every file's sha256, the familiarity and validation
blocks) and loaded once (onnxruntime refuses a truncated or corrupt model); only then is it
renamed to DIR/versions/<id> and DIR/current switched to it with one os.replace of a symlink.
A refused set changes nothing. Running processes (bot/engine/services.py) notice the switch and
load the new set beside the old one.

The first install into a plain folder (manifest.json at DIR, as models/ is) keeps that plain set
as the first version, so `rollback` can return to it. rollback: back to the version before the
current one (the order of installs, DIR/versions/history.json). versions: the installed sets.
The layout and the version id: inference/versions.py.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import secrets
import shutil
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from inference import Pipeline
from inference.errors import ModelManifestError
from inference.manifest import MANIFEST, load_manifest
from inference.versions import CURRENT, VERSIONS, current_set, version_id

HISTORY = "history.json"
EXTRA_FILES = ("VALIDATION.md", "MODEL_CARD.md")  # copied with the set when SRC has them


class ModelSetRefused(RuntimeError):
    """The set would not load (a bad manifest, a file missing, truncated or corrupt)."""


def default_models_dir() -> Path:
    return Path(os.environ.get("ADAI_MODELS_DIR") or "models")


@contextmanager
def _locked(models_dir: Path):
    """One install or rollback at a time on this folder."""
    versions = models_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    with open(versions / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield versions


def check(folder: Path) -> None:
    """Load the set as the bot would; ModelSetRefused (with the reason) when it would not."""
    try:
        load_manifest(folder)
        Pipeline.from_dir(folder, threads=1)
    except ModelManifestError as error:
        raise ModelSetRefused(str(error)) from error
    except Exception as error:  # noqa: BLE001 — onnxruntime's own kinds (InvalidProtobuf, Fail…)
        raise ModelSetRefused(f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:400]}") from error


def set_files(src: Path) -> list[str]:
    """manifest.json and the files its entries name (plus the set's own notes, when there)."""
    try:
        entries = json.loads((src / MANIFEST).read_text(encoding="utf-8")).get("models") or {}
    except (OSError, ValueError, AttributeError) as error:
        raise ModelSetRefused(f"cannot read {src / MANIFEST}: {error}") from error
    named = [entry.get("file") for entry in entries.values() if isinstance(entry, dict)]
    if not all(isinstance(name, str) and name and Path(name).name == name for name in named):
        raise ModelSetRefused(f"{src / MANIFEST}: every model entry must name a file in the folder")
    return [MANIFEST, *named, *[name for name in EXTRA_FILES if (src / name).is_file()]]


def _copy_checked(src: Path, versions: Path) -> str:
    """Copy the set into versions/, check the copy; its version id (folder versions/<id>)."""
    incoming = versions / f".incoming-{secrets.token_hex(4)}"
    incoming.mkdir()
    try:
        for name in set_files(src):
            try:
                shutil.copyfile(src / name, incoming / name)
            except OSError as error:
                raise ModelSetRefused(f"cannot copy {src / name}: {error}") from error
        check(incoming)
        vid = version_id(incoming)
        if (versions / vid).is_dir():
            shutil.rmtree(incoming)  # the same set, installed before (and checked then)
        else:
            os.rename(incoming, versions / vid)
        return vid
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise


def _history(versions: Path) -> dict:
    try:
        return json.loads((versions / HISTORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"stack": [], "log": []}


def _write_history(versions: Path, history: dict) -> None:
    tmp = versions / f".{HISTORY}.{secrets.token_hex(4)}"
    tmp.write_text(json.dumps(history, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, versions / HISTORY)


def switch(models_dir: Path, vid: str) -> None:
    """Point DIR/current at versions/<vid>, atomically (readers see the old or the new link)."""
    tmp = models_dir / f".{CURRENT}-{secrets.token_hex(4)}"
    os.symlink(f"{VERSIONS}/{vid}", tmp)
    os.replace(tmp, models_dir / CURRENT)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def install(src, models_dir) -> str:
    """Check and install the set in `src`, make it current; its version id."""
    src, models_dir = Path(src), Path(models_dir)
    with _locked(models_dir) as versions:
        history = _history(versions)
        if not history["stack"] and not (models_dir / CURRENT).exists() and (models_dir / MANIFEST).is_file():
            try:  # the plain set at DIR becomes the first version (rollback returns to it)
                base = _copy_checked(models_dir, versions)
                history["stack"].append(base)
                history["log"].append({"id": base, "at": _now(), "action": "kept", "source": str(models_dir)})
            except ModelSetRefused:
                pass  # a broken plain set is not worth returning to
        vid = _copy_checked(src, versions)
        switch(models_dir, vid)
        if history["stack"][-1:] != [vid]:
            history["stack"].append(vid)
        history["log"].append({"id": vid, "at": _now(), "action": "install", "source": str(src.resolve())})
        _write_history(versions, history)
        return vid


def rollback(models_dir) -> str:
    """Back to the version installed before the current one; its id."""
    models_dir = Path(models_dir)
    with _locked(models_dir) as versions:
        history = _history(versions)
        current, _ = current_set(models_dir)
        stack = [vid for vid in history["stack"] if (versions / vid).is_dir()]
        while stack and stack[-1] != current:
            stack.pop()  # entries after the current one (a rollback interrupted before its log)
        if len(stack) < 2:
            raise ModelSetRefused("no earlier version to roll back to")
        stack.pop()
        previous = stack[-1]
        check(versions / previous)
        switch(models_dir, previous)
        history["stack"] = stack
        history["log"].append({"id": previous, "at": _now(), "action": "rollback", "from": current})
        _write_history(versions, history)
        return previous


def versions(models_dir) -> list[dict]:
    """Every installed set, oldest install first: id, current, models, validated, installed."""
    models_dir = Path(models_dir)
    folder = models_dir / VERSIONS
    current, _ = current_set(models_dir)
    log = _history(folder)["log"] if folder.is_dir() else []
    installed, order = {}, {}
    for entry in log:
        installed.setdefault(entry["id"], entry["at"])
        order.setdefault(entry["id"], len(order))
    found = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                   key=lambda p: (order.get(p.name, len(order)), p.name)) if folder.is_dir() else []
    rows = []
    for path in found:
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        entries = manifest.get("models") or {}
        rows.append({"id": path.name, "current": path.name == current, "installed": installed.get(path.name),
                     "validated": bool(manifest.get("validated")),
                     **{kind: f"{e.get('name')}@{e.get('version')}" for kind, e in entries.items() if isinstance(e, dict)}})
    if not rows and current:  # a plain folder, nothing installed
        rows.append({"id": current, "current": True, "installed": None, "plain": True})
    return rows


def _parser(prog: str, src: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m models {prog}")
    if src:
        parser.add_argument("src", type=Path, help="a folder with manifest.json and the files it names")
    parser.add_argument("--models-dir", type=Path, default=None, help="default $ADAI_MODELS_DIR or ./models")
    return parser


def _run(action) -> int:
    try:
        print(action())
    except ModelSetRefused as error:
        print(f"error: {error}; nothing changed", file=sys.stderr)
        return 1
    return 0


def install_main(argv=None) -> int:
    args = _parser("install", True).parse_args(argv)
    return _run(lambda: install(args.src, args.models_dir or default_models_dir()))


def rollback_main(argv=None) -> int:
    args = _parser("rollback", False).parse_args(argv)
    return _run(lambda: rollback(args.models_dir or default_models_dir()))


def versions_main(argv=None) -> int:
    parser = _parser("versions", False)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = versions(args.models_dir or default_models_dir())
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for row in rows:
        print(f"{'*' if row['current'] else ' '} {row['id']}  {row.get('installed') or '-':25}  "
              f"{'validated' if row.get('validated') else 'not validated':13}  {row.get('classifier', '')}")
    return 0

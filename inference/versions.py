"""Which model set a models folder holds now, and its version id.

A models folder (ADAI_MODELS_DIR) is either a plain set (manifest.json and the ONNX files it
names, as the repository's models/ is) or a folder of installed versions that
`python -m models install` keeps (models/versions.py):

    DIR/versions/<id>/manifest.json, *.onnx   one folder per installed set, never changed
    DIR/current -> versions/<id>              the set in use; switched atomically (os.replace)

`current_set(DIR)` answers (version id, folder) for either layout, so a reader always loads
one whole set. A version id is the short sha256 of the set's manifest.json (which names every
file's sha256, the familiarity block and any signed validation), so the same set has the same
id on every node and a re-signed set is a new version.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from inference.manifest import MANIFEST

CURRENT = "current"
VERSIONS = "versions"
ID_LENGTH = 12


def version_id(models_dir) -> str | None:
    """The short sha256 of `models_dir`/manifest.json; None when there is none to read."""
    try:
        data = (Path(models_dir) / MANIFEST).read_bytes()
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest()[:ID_LENGTH]


def current_set(models_dir) -> tuple[str | None, Path]:
    """(version id, folder of that set): the installed version `current` points at, else the
    plain set in `models_dir` itself (id from its manifest; None without a manifest)."""
    models_dir = Path(models_dir)
    try:
        target = os.readlink(models_dir / CURRENT)
    except OSError:  # no `current`: a plain folder (or nothing installed yet)
        return version_id(models_dir), models_dir
    folder = models_dir / target
    return folder.name, folder


def current_dir(models_dir) -> Path:
    """The folder of the set in use (what Pipeline.from_dir should load)."""
    return current_set(models_dir)[1]

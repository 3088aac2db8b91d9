"""Read and verify models/manifest.json (schema 2) without importing models/ or torch.

Checks: schema, both entries present, sha256 of each ONNX file, the class lists the pipeline
relies on, the `familiarity` block (statistics and thresholds of the `unfamiliar` verdict,
inference/familiarity.py) and, once a session exists, that the model's input name, channels,
fixed dimensions and outputs agree. Any disagreement is a ModelManifestError.
`validated: true` needs a signed `validation` block (inference/validation.py) and the other
way round: the flag alone never makes the bot say more.
Schema 2 (this one): the classifier has a second output, `features`, and the familiarity
block is required; a schema-1 folder predates the `unfamiliar` verdict and is refused.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from inference.errors import ModelManifestError
from inference.familiarity import Familiarity, from_block
from inference.validation import Validation
from inference.validation import from_block as validation_from_block

SCHEMA = 2
FEATURES_OUTPUT = "features"  # the classifier's pooled features, input of the familiarity check
MANIFEST = "manifest.json"
CLASSES = {"segmenter": ["background", "skin", "lesion"], "classifier": ["AD", "IM", "HI", "MF"]}
REQUIRED = ("file", "name", "version", "sha256", "input_name", "input_size", "mean", "std",
            "classes")


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    path: Path
    name: str
    version: str
    sha256: str
    input_name: str
    input_size: tuple[int, int]  # (height, width)
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    classes: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Manifest:
    validated: bool
    segmenter: ModelSpec
    classifier: ModelSpec
    familiarity: Familiarity | None  # None only when read with require_familiarity=False
    validation: Validation | None = None  # a clinic's signed check of these very models


def load_manifest(models_dir, check_hashes: bool = True,
                  require_familiarity: bool = True) -> Manifest:
    """The checked manifest. require_familiarity=False ignores the familiarity block (it may not
    be written yet: models/familiarity.py fits it by running these very models)."""
    models_dir = Path(models_dir)
    path = models_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelManifestError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ModelManifestError(
            f"{path}: expected schema {SCHEMA} (a schema-1 folder has no familiarity check; "
            "re-export it with python -m models export and calibrate)")
    entries = data.get("models") or {}
    specs = {kind: _spec(models_dir, kind, entries.get(kind), check_hashes) for kind in CLASSES}
    familiarity = from_block(data.get("familiarity"), CLASSES["classifier"]) \
        if require_familiarity else None
    validated = data.get("validated", False)
    if validated is not ("validation" in data):
        raise ModelManifestError(f"{path}: validated is {validated!r} but the validation block is "
                                 f"{'there' if 'validation' in data else 'missing'}; only "
                                 "python -m models validate --sign writes both")
    validation = validation_from_block(
        data["validation"], {kind: spec.sha256 for kind, spec in specs.items()},
        data.get("familiarity")) if validated else None
    return Manifest(validated=validated, familiarity=familiarity, validation=validation, **specs)


def _spec(models_dir: Path, kind: str, entry, check_hashes: bool) -> ModelSpec:
    if not isinstance(entry, dict) or any(key not in entry for key in REQUIRED):
        raise ModelManifestError(f"{kind}: entry missing or lacks one of {REQUIRED}")
    if list(entry["classes"]) != CLASSES[kind]:
        raise ModelManifestError(f"{kind}: classes {entry['classes']} != {CLASSES[kind]}")
    size = entry["input_size"]
    if len(size) != 2 or any(int(v) < 16 for v in size):
        raise ModelManifestError(f"{kind}: input_size {size} is not [height, width]")
    path = models_dir / entry["file"]
    if check_hashes and file_sha256(path) != entry["sha256"]:
        raise ModelManifestError(f"{kind}: sha256 of {path} disagrees with the manifest")
    return ModelSpec(kind=kind, path=path, name=str(entry["name"]), version=str(entry["version"]),
                     sha256=entry["sha256"], input_name=str(entry["input_name"]),
                     input_size=(int(size[0]), int(size[1])),
                     mean=tuple(float(v) for v in entry["mean"]),
                     std=tuple(float(v) for v in entry["std"]),
                     classes=tuple(entry["classes"]))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ModelManifestError(f"cannot read {path}: {exc}") from exc
    return digest.hexdigest()


def check_session(spec: ModelSpec, session) -> None:
    """The ONNX model's own input must be the manifest's: name, 3 channels, fixed dims equal."""
    inputs = {i.name: i.shape for i in session.get_inputs()}
    if spec.input_name not in inputs:
        raise ModelManifestError(f"{spec.kind}: input {spec.input_name!r} not in {list(inputs)}")
    shape = inputs[spec.input_name]
    if len(shape) != 4 or shape[1] != 3:
        raise ModelManifestError(f"{spec.kind}: input shape {shape} is not [N, 3, H, W]")
    for fixed, wanted in zip(shape[2:], spec.input_size):
        if isinstance(fixed, int) and fixed != wanted:
            raise ModelManifestError(f"{spec.kind}: model input {shape} != input_size {spec.input_size}")
    outputs = session.get_outputs()
    channels = outputs[0].shape[1] if len(outputs[0].shape) > 1 else None
    if isinstance(channels, int) and channels != len(spec.classes):
        raise ModelManifestError(f"{spec.kind}: {channels} outputs for {len(spec.classes)} classes")
    if spec.kind == "classifier" and FEATURES_OUTPUT not in {o.name for o in outputs}:
        raise ModelManifestError(f"classifier: no {FEATURES_OUTPUT!r} output (schema {SCHEMA})")


def feature_dim(session) -> int | None:
    """Width of the classifier's `features` output, when the model fixes it."""
    width = next(o.shape for o in session.get_outputs() if o.name == FEATURES_OUTPUT)[-1]
    return width if isinstance(width, int) else None

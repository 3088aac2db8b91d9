"""models/manifest.json: what each ONNX file is, its hash, and what it may be used for.

No torch here: the manifest helpers run wherever the ONNX files are read.
"""
from __future__ import annotations

import json
from pathlib import Path

# One checking reader for the bot and the toolkit: the inference package's (it must not
# import models/, so models/ uses it rather than keeping a second copy of the checks).
from inference.manifest import CLASSES, MANIFEST, SCHEMA
from inference.manifest import ModelManifestError as ManifestError
from inference.manifest import file_sha256 as sha256
from inference.manifest import load_manifest as _checked

VERSION = "0.1.0"
FILES = {"segmenter": "segmenter.onnx", "classifier": "classifier.onnx"}
NAMES = {"segmenter": "adai-seg-deeplabv3plus-mobilenetv2",
         "classifier": "adai-cls-mobilenetv2"}
OUTPUTS = {"segmenter": "logits, shape [N, 3, H, W], same H and W as the input",
           "classifier": "logits, shape [N, 4]; features, shape [N, 1280] (pooled, for the "
                         "familiarity check)"}
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
INTENDED_USE = (
    "Research and engineering test bench for the AD-AI LINE bot pipeline (segment skin and lesion, "
    "crop by the 80/10 rule, classify AD / impetigo / herpes (eczema herpeticum, Kaposi "
    "varicelliform eruption) / mycosis fungoides). Trained and tested on synthetic (phantom) "
    "images only; NOT clinically validated; not for diagnosis. A clinic must retrain on its own "
    "labelled photos and validate before any clinical use.")
PHANTOM_TRAINING_DATA = (
    "Synthetic phone-photo phantoms from models/phantom (python -m models phantom), "
    "no real patient photos; see models/MODEL_CARD.md for the exact sets, seeds and steps.")


def model_entry(models_dir: Path, kind: str, input_size, version: str = VERSION,
                trained_on: str | None = None) -> dict:
    """`trained_on`: "phantom" or "photos" (what calibrate checks its folders against)."""
    path = Path(models_dir) / FILES[kind]
    entry = {"file": FILES[kind], "name": NAMES[kind], "version": version, "sha256": sha256(path),
             "input_name": "image", "input_size": [int(v) for v in input_size],
             "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "classes": CLASSES[kind],
             "output": OUTPUTS[kind]}
    if trained_on:
        entry["trained_on"] = trained_on
    return entry


def dumps(data: dict) -> str:
    """JSON with two-space indents, but each list of numbers on one line: the familiarity
    statistics are tens of thousands of numbers, one per line would bury the rest."""
    def inline(value, depth):
        pad = "  " * depth
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = [f'{pad}  {json.dumps(k)}: {inline(v, depth + 1)}' for k, v in value.items()]
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        if isinstance(value, list) and value and not all(isinstance(v, (int, float)) for v in value):
            return "[\n" + ",\n".join(f"{pad}  {inline(v, depth + 1)}" for v in value) + f"\n{pad}]"
        return json.dumps(value, ensure_ascii=False, separators=(",", ":") if isinstance(value, list) else None)
    return inline(data, 0) + "\n"


def write_manifest(models_dir: Path, files: dict, training_data: str | None = None,
                   intended_use: str = INTENDED_USE) -> dict:
    """Write manifest.json for the ONNX files in `models_dir`; `files[kind]["input_size"]` = [h, w]."""
    models_dir = Path(models_dir)
    data = {"schema": SCHEMA, "validated": False, "intended_use": intended_use,
            "training_data": training_data or PHANTOM_TRAINING_DATA,
            "models": {kind: model_entry(models_dir, kind, files[kind]["input_size"],
                                         trained_on=files[kind].get("trained_on"))
                       for kind in FILES}}
    (models_dir / MANIFEST).write_text(dumps(data), encoding="utf-8")
    return data


def load_manifest(models_dir: Path, check_hashes: bool = True) -> dict:
    """manifest.json as written (a dict), after the inference package's checks (schema,
    entries, class lists, input sizes and, unless told not to, each file's sha256)."""
    _checked(models_dir, check_hashes=check_hashes)
    return json.loads((Path(models_dir) / MANIFEST).read_text(encoding="utf-8"))

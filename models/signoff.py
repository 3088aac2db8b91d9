"""A clinician's sign-off: the manifest's `validation` block, written only when the numbers
meet the rules of inference/validation.py (the same rules the bot's manifest reader checks).

A refused sign-off leaves manifest.json exactly as it was.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict
from pathlib import Path

from inference.manifest import MANIFEST
from inference.validation import block_digest, from_block, sign_off_problems
from models import manifest


class SignOffRefused(RuntimeError):
    """The validation may not be signed (too few patients, wide intervals, phantom photos)."""


def problems(result: dict) -> list[str]:
    """Why `result` (models/validate.run) may not be signed; empty when it may."""
    summary = result["summary"]
    class_patients = {cls: entry["patients"] for cls, entry in summary["counts"].items()}
    found = sign_off_problems(class_patients, {"sensitivity": summary["sensitivity"],
                                               "specificity": summary["specificity"]})
    if result["synthetic"]:
        found.append("the photos are phantoms (meta.jsonl): not a clinic's photos")
    return found


def describe(result: dict) -> str:
    summary = result["summary"]
    return (f"{summary['photos']} photos of {summary['patients']} patients held out from training "
            f"({Path(result['data']).name}, labelled by the clinic); AD-vs-others on the "
            f"{summary['scored_photos']} photos of {summary['scored_patients']} patients labelled "
            "AD, IM, HI or MF")


def block(result: dict, models_dir: Path, clinic: str, signed_by: str, date: str | None = None,
          description: str | None = None) -> dict:
    data = manifest.load_manifest(models_dir)
    summary = result["summary"]
    return {
        "data": description or describe(result), "clinic": clinic, "signed_by": signed_by,
        "date": date or dt.date.today().isoformat(),
        "models": {kind: entry["sha256"] for kind, entry in data["models"].items()},
        "familiarity": block_digest(data.get("familiarity")),
        "photos": summary["scored_photos"], "patients": summary["scored_patients"],
        "counts": summary["counts"],
        "sensitivity": asdict(summary["sensitivity"]), "specificity": asdict(summary["specificity"]),
        "recall": {cls: asdict(r) for cls, r in summary["recall"].items()},
        "abstention": summary["abstention"], "outcomes": summary["outcomes"]["all"],
    }


def sign(result: dict, models_dir: Path, clinic: str, signed_by: str, **details) -> dict:
    """Write the signed block into models_dir/manifest.json, or raise SignOffRefused."""
    if not clinic.strip() or not signed_by.strip():
        raise SignOffRefused("a sign-off names the clinic (--clinic) and the clinician (--sign)")
    found = problems(result)
    if found:
        raise SignOffRefused("; ".join(found))
    models_dir = Path(models_dir)
    signed = block(result, models_dir, clinic.strip(), signed_by.strip(), **details)
    if result.get("sha256", signed["models"]) != signed["models"]:
        raise SignOffRefused(f"the model files in {models_dir} changed since they were run; "
                             "validate again")
    data = manifest.load_manifest(models_dir)
    # The reader's own checks, before anything is written.
    from_block(signed, signed["models"], data.get("familiarity"))
    data.update({"validated": True, "validation": signed})
    path = models_dir / MANIFEST
    tmp = path.with_suffix(".tmp")
    tmp.write_text(manifest.dumps(data), encoding="utf-8")
    os.replace(tmp, path)  # atomic: a manifest is never half written
    manifest.load_manifest(models_dir)  # and reads back whole
    return signed


def signed_block(models_dir: Path) -> dict | None:
    """The validation block a manifest holds now (None: not signed)."""
    return json.loads((Path(models_dir) / MANIFEST).read_text(encoding="utf-8")).get("validation")

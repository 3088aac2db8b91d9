"""Shadow monitoring: per model version, the AI's guess against what the clinic's clinicians said.

`python -m models monitor --clinic ID` prints it as JSON (for a scheduler); the clinic
workspace's summary page shows the same (bot/features/workspace/labelling.py). For every model
version that answered the clinic's labelled photos (storage.clinic_labels.for_export: agreed
labels of research-consented patients; assessments.model_version):
- a confusion matrix: the clinicians' label (rows) against the AI's guess (columns; `none`:
  the AI named no class: the quality gate, not judged, unfamiliar);
- AD vs others with a complication (IM, HI, MF) as the positive class, as the sign-off measures
  it (models/evaluate.binary_counts: no guess counts as wrong): sensitivity and specificity with
  Wilson 95 % intervals; the abstention rate; n.
A version signed by a clinic (its validation block names sensitivity [value, low, high]) whose
live sensitivity falls below the signed lower bound on MIN_LABELLED or more labelled photos of
the four classes raises an alert: admins see it, and the audit records it once per version.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

import numpy as np

from models.clinic_labels import CLASSES, CLINIC_LABELS
from models.evaluate import binary_counts
from models.intervals import wilson
from storage import audit, clinic_labels

MIN_LABELLED = 30  # labelled photos (AD, IM, HI, MF) before a live sensitivity may raise an alert
NONE = "none"      # the AI named no class
UNRECORDED = "unrecorded"  # results stored before model versions were recorded


def rate(hits: int, of: int) -> dict:
    low, high = wilson(hits, of)
    return {"value": hits / of if of else None, "low": low, "high": high, "hits": hits, "of": of}


def _signed_sensitivity(models_json) -> list | None:
    try:
        models = json.loads(models_json) if isinstance(models_json, str) else (models_json or {})
    except ValueError:
        return None
    found = (models.get("validation") or {}).get("sensitivity") if models.get("validated") else None
    return list(found) if found else None


def by_version(photos: list[dict]) -> list[dict]:
    """photos: storage.clinic_labels.for_export rows. One summary per model version, newest
    first (by the last photo it answered)."""
    groups: dict[str, list[dict]] = {}
    for photo in photos:
        groups.setdefault(photo.get("model_version") or UNRECORDED, []).append(photo)
    out = [summary(version, rows) for version, rows in groups.items()]
    return sorted(out, key=lambda s: s["last"], reverse=True)


def summary(version: str, photos: list[dict]) -> dict:
    confusion = {lab: dict.fromkeys((*CLASSES, NONE), 0) for lab in CLINIC_LABELS}
    truth, pred = [], []
    for photo in photos:
        (label,) = photo["diagnoses"]  # for_export keeps only agreed labels
        guess = photo.get("top") if photo.get("quality") == "ok" and photo.get("top") in CLASSES else NONE
        confusion.setdefault(label, dict.fromkeys((*CLASSES, NONE), 0))[guess] += 1
        if label in CLASSES:
            truth.append(CLASSES.index(label))
            pred.append(CLASSES.index(guess) if guess != NONE else -1)
    binary = binary_counts(np.array(truth, dtype=int), np.array(pred, dtype=int))
    signed = next((s for s in map(_signed_sensitivity, (p.get("models") for p in photos)) if s), None)
    sensitivity = rate(binary["true_positives"], binary["positives"])
    alert = bool(signed and len(truth) >= MIN_LABELLED and sensitivity["value"] is not None
                 and sensitivity["value"] < signed[1])
    return {
        "version": version, "n": len(photos), "scored": len(truth),
        "confusion": {lab: row for lab, row in confusion.items() if any(row.values())},
        "sensitivity": sensitivity,
        "specificity": rate(binary["true_negatives"], binary["negatives"]),
        "abstention": rate(sum(1 for p in pred if p < 0), len(pred)),
        "signed_sensitivity": signed,  # [value, low, high] of the signed validation, or None
        "alert": alert,
        "last": max(p.get("updated_at") or "" for p in photos),
    }


def check(db, clinic_id: str, now) -> list[dict]:
    """The clinic's summaries; a new alert is written to the audit (once per version)."""
    summaries = by_version(clinic_labels.for_export(db, clinic_id))
    for s in summaries:
        if s["alert"] and audit.latest_prefix(db, clinic_id, audit.MODEL_ALERT, f"{s['version']}:") is None:
            audit.add(db, now, audit.MODEL_ALERT,
                      f"{s['version']}: sensitivity {s['sensitivity']['value']:.2f} on {s['scored']} photos "
                      f"< signed lower bound {s['signed_sensitivity'][1]:.2f}", clinic_id=clinic_id)
    return summaries


def main(argv=None) -> int:
    from models.dataset import _settings
    from storage.db import open_db

    parser = argparse.ArgumentParser(prog="python -m models monitor")
    parser.add_argument("--clinic", required=True, help="the clinic's id (clinics CSV)")
    args = parser.parse_args(argv)
    db = open_db(_settings().database)
    try:
        summaries = check(db, args.clinic, datetime.now(timezone.utc))
    finally:
        db.conn.close()
    json.dump({"clinic": args.clinic, "versions": summaries}, sys.stdout, indent=1)
    print()
    return 2 if any(s["alert"] for s in summaries) else 0

"""The shipped pipeline on a clinic's held-out patients: what it answered, counted.

Every photo of the test folder goes through `inference.Pipeline.assess` exactly as the bot
sends it (the real ONNX models of the models folder, the photo gate, the familiarity check).
AD-vs-others is scored as models/evaluate.py scores it (a complication is the positive class,
no result counts as wrong), over the photos labelled AD, IM, HI or MF; photos labelled
healthy, other or unusable are counted, with what the pipeline said about them, not scored.
numpy only (no torch).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from inference.errors import InferenceError
from inference.validation import Rate
from models import data
from models.clinic_labels import CLASSES, CLINIC_LABELS
from models.evaluate import binary_counts, scores
from models.intervals import wilson

# What the pipeline did with a photo, by its verdict (inference.quality, inference.familiarity).
NAMED, UNFAMILIAR, REFUSED, NO_RESULT = "named a class", "abstained (unfamiliar)", \
    "refused (photo gate)", "no result (no skin or lesion found)"
OUTCOMES = (NAMED, UNFAMILIAR, REFUSED, NO_RESULT)
VERDICT_OUTCOME = {"ok": NAMED, "unfamiliar": UNFAMILIAR, "no_skin": NO_RESULT,
                   "no_lesion": NO_RESULT, "lesion_too_small": NO_RESULT}
RELIABILITY_BINS = 10


class NoPatientColumn(data.DatasetError):
    """The test folder's labels.csv does not say whose each photo is."""


def read_test_items(data_dir: Path) -> list[data.Item]:
    items = data.read_items(data_dir)
    if not all(item.patient for item in items):
        raise NoPatientColumn(f"{Path(data_dir) / 'labels.csv'}: needs a patient column (counts "
                              "and the sign-off are per patient)")
    return items


def assess_items(pipeline, items: list[data.Item]) -> list[dict]:
    """One row per photo: its label, patient, the pipeline's verdict and probabilities."""
    rows = []
    for item in items:
        try:
            result = pipeline.assess(item.image.read_bytes())
            verdict, probabilities = result.quality, dict(result.probabilities)
        except InferenceError as exc:  # a file the bot would refuse too (not an image, too big)
            verdict, probabilities = f"refused:{exc.code}", {}
        rows.append({"id": item.id, "label": item.label, "patient": item.patient,
                     "verdict": verdict, "outcome": VERDICT_OUTCOME.get(verdict, REFUSED),
                     "probabilities": probabilities if verdict == "ok" else {}})
    return rows


def rate(hits: int, of: int) -> Rate:
    low, high = wilson(hits, of)
    return Rate(value=hits / of if of else 0.0, low=low, high=high, hits=hits, of=of)


def counts(rows: list[dict]) -> dict:
    """label -> photos and patients, in the clinic's label order."""
    out = {}
    for label in CLINIC_LABELS + tuple(sorted({r["label"] for r in rows} - set(CLINIC_LABELS))):
        mine = [r for r in rows if r["label"] == label]
        if mine:
            out[label] = {"photos": len(mine), "patients": len({r["patient"] for r in mine})}
    return out


def outcomes(rows: list[dict]) -> dict:
    """label -> outcome -> photos, and `all` over every photo."""
    table: dict = {}
    for row in rows:
        table.setdefault(row["label"], dict.fromkeys(OUTCOMES, 0))[row["outcome"]] += 1
    table["all"] = {outcome: sum(cells[outcome] for cells in table.values()) for outcome in OUTCOMES}
    return table


def scored(rows: list[dict]):
    """(rows, truth, prediction, P(not AD)) of the photos labelled with one of the 4 classes."""
    rows = [r for r in rows if r["label"] in CLASSES]
    truth = np.array([CLASSES.index(r["label"]) for r in rows], dtype=int)
    pred = np.array([CLASSES.index(max(r["probabilities"], key=r["probabilities"].get))
                     if r["probabilities"] else -1 for r in rows], dtype=int)
    p_not_ad = np.array([1 - r["probabilities"]["AD"] if r["probabilities"] else np.nan
                         for r in rows], dtype=float)
    return rows, truth, pred, p_not_ad


def reliability(truth: np.ndarray, p_not_ad: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict]:
    """P(not AD) of the photos that got a result, binned: mean predicted vs observed share of
    complications, per bin with photos."""
    answered = ~np.isnan(p_not_ad)
    positive, p = truth[answered] != 0, p_not_ad[answered]
    index = np.minimum((p * bins).astype(int), bins - 1)
    return [{"low": b / bins, "high": (b + 1) / bins, "photos": int((index == b).sum()),
             "predicted": float(p[index == b].mean()), "observed": float(positive[index == b].mean())}
            for b in range(bins) if (index == b).any()]


def summarise(rows: list[dict]) -> dict:
    mine, truth, pred, p_not_ad = scored(rows)
    binary = binary_counts(truth, pred)
    recall = {cls: rate(int(np.sum((truth == i) & (pred == i))), int(np.sum(truth == i)))
              for i, cls in enumerate(CLASSES) if np.any(truth == i)}
    outcome_table = outcomes(rows)
    return {
        "photos": len(rows), "patients": len({r["patient"] for r in rows}),
        "scored_photos": len(mine), "scored_patients": len({r["patient"] for r in mine}),
        "counts": counts(rows),
        "sensitivity": rate(binary["true_positives"], binary["positives"]),
        "specificity": rate(binary["true_negatives"], binary["negatives"]),
        "scores": scores(truth, pred, np.nan_to_num(p_not_ad, nan=0.5)) if len(mine) else {},
        "recall": recall,
        "outcomes": outcome_table,
        "abstention": {"all": 1 - outcome_table.get("all", {}).get(NAMED, 0) / max(1, len(rows)),
                       "scored": 1 - int(np.sum(pred >= 0)) / max(1, len(mine))},
        "reliability": reliability(truth, p_not_ad),
    }


def run(data_dir: Path, models_dir: Path, threads: int = 2) -> dict:
    from inference import Pipeline
    items = read_test_items(data_dir)
    pipeline = Pipeline.from_dir(models_dir, threads=threads)
    rows = assess_items(pipeline, items)
    return {"data": str(data_dir), "models_dir": str(models_dir), "models": pipeline.models,
            "sha256": {spec.kind: spec.sha256
                       for spec in (pipeline.manifest.segmenter, pipeline.manifest.classifier)},
            "synthetic": data.is_phantom(data_dir), "rows": rows,
            "summary": summarise(rows)}

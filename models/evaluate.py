"""The AD-AI paper's protocol on a held-out test set, through the shipped inference package.

    python -m models evaluate [--data data/phantom-test] [--n 600] [--seed 1001]

For every photo: classify (a) the whole photo, (b) manual crops — windows chosen by the 80/10
rule on the ground-truth mask — and (c) automatic crops — `inference.Pipeline.assess` on the
photo's bytes, end to end. Reports AD-vs-others sensitivity, specificity, accuracy and AUC,
four-class accuracy, macro-F1 and confusion matrices, overall and per distance stratum, and
the segmenter's skin and lesion IoU. A photo without a mask gets (a) and (c) only: no manual
crops and no IoU; the report says how many there were. Phantom photos without a lesion
(labels `healthy`, `background`) count toward IoU and the verdicts, not the classification.
Then the real photographs: every photo of the held-out part of models/realset and its
variants through the same pipeline, counted per hand label as named a class, no rash found,
abstained (`unfamiliar`) or refused by the photo gate.
Writes models/EVALUATION.md, models/card/evaluation.json and the plot models/card/evaluation.png.
numpy only (no torch, no sklearn).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from inference.combine import combine
from inference.errors import InferenceError
from models import data, realphotos

CLASSES = list(data.LABELS)
METHODS = {"whole": "(a) whole photo", "manual": "(b) manual crops", "auto": "(c) automatic crops"}
STRATA = ("close", "medium", "long")
DEFAULT_DATA = Path("data/phantom-test")
TEST_SEED = 1001   # training sets use other seeds (make train: 1)
TEST_N = 600


# --- metrics (numpy) ----------------------------------------------------------------------

def confusion(truth: np.ndarray, pred: np.ndarray, n: int = len(CLASSES)) -> np.ndarray:
    """Rows truth, columns prediction; a prediction of -1 (no result) lands in no column."""
    matrix = np.zeros((n, n), dtype=int)
    for t, p in zip(truth, pred):
        if p >= 0:
            matrix[t, p] += 1
    return matrix


def macro_f1(truth: np.ndarray, pred: np.ndarray, n: int = len(CLASSES)) -> float:
    scores = []
    for c in range(n):
        tp = np.sum((pred == c) & (truth == c))
        fp = np.sum((pred == c) & (truth != c))
        fn = np.sum((pred != c) & (truth == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return float(np.mean(scores))


def auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann–Whitney probability that a positive outranks a negative (ties ½)."""
    pos, neg = score[positive], score[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    i = 0
    while i < len(score):  # average ranks over ties
        j = i
        while j + 1 < len(score) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[positive].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def roc_curve(positive: np.ndarray, score: np.ndarray):
    thresholds = np.concatenate([[np.inf], np.unique(score)[::-1]])
    tpr = [np.mean(score[positive] >= t) for t in thresholds]
    fpr = [np.mean(score[~positive] >= t) for t in thresholds]
    return np.array(fpr), np.array(tpr)


def binary_counts(truth: np.ndarray, pred: np.ndarray) -> dict:
    """AD vs others with 'other' (a complication, IM/HI/MF) as the positive class: true
    positives of the positives, true negatives of the negatives. A prediction of -1 (no
    result) counts as wrong on either side."""
    positive = truth != 0
    said_positive = np.where(pred >= 0, pred != 0, ~positive)
    return {"true_positives": int(np.sum(positive & said_positive)), "positives": int(positive.sum()),
            "true_negatives": int(np.sum(~positive & ~said_positive)),
            "negatives": int((~positive).sum())}


def scores(truth: np.ndarray, pred: np.ndarray, p_not_ad: np.ndarray) -> dict:
    """AD vs others with 'other' (a complication, IM/HI/MF) as the positive class."""
    counts = binary_counts(truth, pred)
    tp, tn, positive = counts["true_positives"], counts["true_negatives"], truth != 0
    return {
        "n": int(len(truth)),
        "no_result": int(np.sum(pred < 0)),
        "sensitivity": float(tp / max(1, counts["positives"])),
        "specificity": float(tn / max(1, counts["negatives"])),
        "binary_accuracy": float((tp + tn) / max(1, len(truth))),
        "auc": auc(positive, p_not_ad),
        "accuracy4": float(np.mean(pred == truth)) if len(truth) else float("nan"),
        "macro_f1": macro_f1(truth, pred),
        "confusion": confusion(truth, pred).tolist(),
    }


class IoU:
    """Intersection and union summed over the whole test set, per class."""

    def __init__(self):
        self.inter, self.union, self.per_image = {}, {}, {}

    def add(self, name: str, pred: np.ndarray, truth: np.ndarray):
        inter, union = np.logical_and(pred, truth).sum(), np.logical_or(pred, truth).sum()
        self.inter[name] = self.inter.get(name, 0) + int(inter)
        self.union[name] = self.union.get(name, 0) + int(union)
        if union:
            self.per_image.setdefault(name, []).append(inter / union)

    def result(self) -> dict:
        return {name: {"pooled": self.inter[name] / max(1, self.union[name]),
                       "mean_per_image": float(np.mean(self.per_image.get(name, [np.nan])))}
                for name in self.inter}


# --- one photo ----------------------------------------------------------------------------

def probs_vector(probs: dict | None) -> np.ndarray | None:
    return None if not probs else np.array([probs[c] for c in CLASSES])


def manual_boxes(mask: np.ndarray, image_size: tuple[int, int], grid_long_side: int):
    """80/10 windows on the ground-truth mask, on the same grid the pipeline uses, in image pixels."""
    scale = grid_long_side / max(mask.shape)
    grid = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))
    small = np.asarray(Image.fromarray(mask).resize(grid, Image.NEAREST))
    fx, fy = image_size[0] / grid[0], image_size[1] / grid[1]
    return [(x0 * fx, y0 * fy, x1 * fx, y1 * fy) for x0, y0, x1, y1 in data.crop_boxes(small)]


def phantom_spots(meta: dict, truth: np.ndarray) -> np.ndarray | None:
    """The moles and freckles of a phantom photo (bool, full size), or None if not a phantom.

    The phantom does not list its spots, so the photo is rendered again from its seed with the
    generator's own `skin.draw_spots` recorded on the way; the re-rendered mask must equal the
    stored one, which proves the spots belong to this very photo."""
    if not {"seed", "label", "distance"} <= set(meta):
        return None
    import importlib
    phantom_render = importlib.import_module("models.phantom.render")  # the module, not render()
    skin = importlib.import_module("models.phantom.skin")
    recorded, original = [], skin.draw_spots

    def recording(*args, **kwargs):
        spots = original(*args, **kwargs)
        recorded.extend(spots)
        return spots

    skin.draw_spots = recording
    try:
        again = phantom_render.render(meta["seed"], meta["label"], meta["distance"])
    finally:
        skin.draw_spots = original
    if again.mask.shape != truth.shape or not np.array_equal(again.mask, truth):
        return None
    spots = np.zeros(truth.shape, bool)
    for _, alpha, _ in recorded:
        spots |= alpha > 0.25
    return spots & (truth == data.SKIN)  # spots on healthy skin only


def grid_any(mask: np.ndarray, grid_shape) -> np.ndarray:
    """A full-size bool mask on the coarser mask grid: a cell is set if any pixel in it is."""
    ys = (np.arange(mask.shape[0]) * grid_shape[0] // mask.shape[0])
    xs = (np.arange(mask.shape[1]) * grid_shape[1] // mask.shape[1])
    out = np.zeros(grid_shape, bool)
    py, px = np.nonzero(mask)
    out[ys[py], xs[px]] = True
    return out


def dilate(mask: np.ndarray, steps: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(steps):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


FAR_FROM_LESION = 6      # grid pixels (about 2 % of the long side)
MIN_FALSE_REGION = 8     # grid pixels: the pipeline's own "no lesion" threshold


def distractor_checks(masks, gt: np.ndarray, spots: np.ndarray | None, counters: dict) -> None:
    """Lesion predicted on healthy skin: on moles/freckles, and anywhere away from the lesion."""
    healthy = gt == data.SKIN
    counters["fp_lesion_on_healthy"] += int((masks.lesion & healthy).sum())
    counters["healthy"] += int(healthy.sum())
    far = masks.lesion & ~dilate(gt == data.LESION, FAR_FROM_LESION)
    counters["photos_false_region"] += int(far.sum() >= MIN_FALSE_REGION)
    if spots is not None and spots.any():
        cells = grid_any(spots, masks.lesion.shape) & ~dilate(gt == data.LESION, 1)
        hit = cells & masks.lesion
        counters["spot_cells"] += int(cells.sum())
        counters["spot_cells_marked"] += int(hit.sum())
        counters["photos_with_spots"] += 1
        counters["photos_spot_marked"] += int(hit.sum() >= 1)


def evaluate_item(pipeline, item: data.Item, meta: dict, iou: IoU, counters: dict,
                  check_spots: bool = True) -> dict:
    raw = item.image.read_bytes()
    assessment = pipeline.assess(raw)
    image = assessment.image  # the pipeline's own decoded, upright, reduced photo
    grid_long = max(pipeline.manifest.segmenter.input_size)
    truth = None if item.mask is None else data.open_mask(item.mask)
    whole = pipeline.classify_regions(image, [(0, 0, image.width, image.height)])[0]
    boxes = [] if truth is None else manual_boxes(truth, image.size, grid_long)
    manual = combine(pipeline.classify_regions(image, boxes)) if boxes else None
    masks = getattr(assessment, "masks", None)
    if masks is not None and truth is None:
        # Passed the photo gate but has no mask to score: kept out of the IoU's photo count.
        counters["unmasked_segmented"] = counters.get("unmasked_segmented", 0) + 1
    elif masks is not None:
        gt = np.asarray(Image.fromarray(truth).resize(masks.lesion.shape[::-1], Image.NEAREST))
        iou.add("skin", masks.skin, gt != data.BACKGROUND)
        iou.add("lesion", masks.lesion, gt == data.LESION)
        distractor_checks(masks, gt, phantom_spots(meta, truth) if check_spots else None, counters)
    counters["quality"][assessment.quality] = counters["quality"].get(assessment.quality, 0) + 1
    signals = familiarity_signals(assessment)
    if item.label not in CLASSES:  # a phantom photo without a lesion: verdicts, not classes
        no_lesion = counters.setdefault("no_lesion_photos", {})
        no_lesion[assessment.quality] = no_lesion.get(assessment.quality, 0) + 1
        return {"id": item.id, "label": None, "masked": truth is not None, "ms": assessment.stages_ms}
    return {"id": item.id, "label": CLASSES.index(item.label), "distance": item.distance,
            "masked": truth is not None,
            "whole": probs_vector(whole), "manual": probs_vector(manual),
            "auto": probs_vector(assessment.probabilities if assessment.quality == "ok" else None),
            "familiarity": signals, "ms": assessment.stages_ms}


def method_scores(rows: list[dict], method: str) -> dict:
    rows = scored_rows(rows, method)
    truth = np.array([r["label"] for r in rows])
    probs = [r[method] for r in rows]
    pred = np.array([-1 if p is None else int(np.argmax(p)) for p in probs])
    p_not_ad = np.array([0.5 if p is None else 1 - p[0] for p in probs])
    return scores(truth, pred, p_not_ad)


def scored_rows(rows: list[dict], method: str) -> list[dict]:
    """Manual crops need a hand-drawn mask: photos without one are not scored for (b)."""
    rows = [r for r in rows if r["label"] is not None]  # phantom photos without a lesion
    return [r for r in rows if r.get("masked", True)] if method == "manual" else rows


def summarise(rows: list[dict]) -> dict:
    rows = [r for r in rows if r["label"] is not None]
    strata = [s for s in STRATA if any(r["distance"] == s for r in rows)]
    return {method: {"all": method_scores(rows, method),
                     **{s: method_scores([r for r in rows if r["distance"] == s], method)
                        for s in strata}}
            for method in METHODS}


# --- the run ------------------------------------------------------------------------------

def ensure_test_set(path: Path, n: int, seed: int, workers: int) -> None:
    if (path / "labels.csv").is_file():
        return
    from models import phantom
    print(f"generating the phantom test set: {n} images, seed {seed} -> {path}", flush=True)
    phantom.write_dataset(path, n, seed, workers=workers)


def read_meta(path: Path) -> dict:
    meta_file = path / "meta.jsonl"
    if not meta_file.is_file():
        return {}
    with open(meta_file, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return {row["id"]: row for row in rows}


LATENCY_ROUNDS = 5  # rounds of 50 runs; the quietest round's median is reported (shared CPUs)


def latencies(models_dir: Path) -> dict:
    from models import export, manifest
    man = manifest.load_manifest(models_dir)
    out = {"load_average_1min": os.getloadavg()[0], "rounds": LATENCY_ROUNDS,
           "measured_at": time.strftime("%Y-%m-%d %H:%M")}
    for kind, batch in (("segmenter", 1), ("classifier", 1), ("classifier", 3)):
        entry = man["models"][kind]
        shape = (batch, 3, *entry["input_size"])
        medians, fastest = [], []
        for _ in range(LATENCY_ROUNDS):
            times = export.latency_times(models_dir / entry["file"], shape)
            medians.append(float(np.median(times)))
            fastest.append(min(times))  # of the same runs, so never above a round's median
        key = kind if batch == 1 else f"{kind}_batch{batch}"
        out[f"{key}_ms"] = min(medians)
        out[f"{key}_median_of_rounds_ms"] = float(np.median(medians))
        out[f"{key}_min_ms"] = min(fastest)
        out[f"{kind}_mb"] = (models_dir / entry["file"]).stat().st_size / 1e6
    return out


OUTCOMES = {"ok": "named a class", "no_lesion": "no rash found", "no_skin": "no rash found",
            "unfamiliar": "abstained", "lesion_too_small": "refused (come closer)"}


@dataclass(frozen=True)
class Refused:
    """A photo the decoder refused, counted like a verdict of the photo gate."""
    quality: str
    top: None = None
    familiarity_score: None = None


def familiarity_signals(assessment) -> dict | None:
    """The familiarity check's inputs for a photo that reached the classifier (else None)."""
    if assessment.familiarity_score is None:
        return None
    return {"score": assessment.familiarity_score, "outlier": assessment.outlier_probability,
            "lesion_fraction": assessment.lesion_fraction}


def real_photos(pipeline, part: str = "heldout", seed: int = 0, limit: int | None = None,
                signals: list | None = None, root: Path = realphotos.REALSET) -> dict:
    """Per hand label: how the pipeline answered the real photos and their variants; the
    familiarity signals of those that reached the classifier are appended to `signals`."""
    table: dict = {}
    for photo in realphotos.photos(part, root)[:limit]:
        for name, blob in realphotos.variants(photo, seed=seed):
            try:
                result = pipeline.assess(blob)
            except InferenceError as error:
                # e.g. the half-size variant of a 112-pixel photo: the bot asks for a bigger one
                result = Refused(type(error).__name__)
            if signals is not None and familiarity_signals(result):
                signals.append(familiarity_signals(result))
            outcome = OUTCOMES.get(result.quality, "refused (photo gate)")
            counts = table.setdefault(photo.label, {"photos": 0, "sources": set(), "outcomes": {},
                                                    "top": {}, "verdicts": {}})
            counts["photos"] += 1
            counts["sources"].add(photo.id)
            counts["outcomes"][outcome] = counts["outcomes"].get(outcome, 0) + 1
            counts["verdicts"][result.quality] = counts["verdicts"].get(result.quality, 0) + 1
            if result.top:
                counts["top"][result.top] = counts["top"].get(result.top, 0) + 1
    for counts in table.values():
        counts["sources"] = len(counts["sources"])
    return table


def run(data_dir: Path, models_dir: Path, limit: int | None = None, check_spots: bool = True,
        real_limit: int | None = None) -> dict:
    from inference import Pipeline
    pipeline = Pipeline.from_dir(models_dir, threads=2)
    items = data.read_items(data_dir)
    items = items[:limit] if limit else items
    meta = read_meta(data_dir)
    iou = IoU()
    counters = {"fp_lesion_on_healthy": 0, "healthy": 0, "photos_false_region": 0,
                "spot_cells": 0, "spot_cells_marked": 0, "photos_with_spots": 0,
                "photos_spot_marked": 0, "quality": {}}
    rows, start = [], time.time()
    for i, item in enumerate(items, 1):
        rows.append(evaluate_item(pipeline, item, meta.get(item.id, {}), iou, counters, check_spots))
        if i % 50 == 0 or i == len(items):
            print(f"evaluated {i}/{len(items)} photos in {time.time() - start:.0f}s", flush=True)
    real_signals: list = []
    totals = [r["ms"]["total"] for r in rows]
    unmasked = sum(not r["masked"] for r in rows)
    # Only when there are any, so a fully masked set's evaluation.json stays as it was.
    without_masks = {"unmasked": unmasked} if unmasked else {}
    if unmasked:
        print(f"{unmasked} of {len(rows)} photos had no mask: (a) and (c) only, no (b) and no IoU",
              flush=True)
    return {"n": len(rows), **without_masks, "data": str(data_dir), "models_dir": str(models_dir),
            "synthetic": data.is_phantom(data_dir), "summary": summarise(rows),
            "iou": iou.result(), "counters": counters,
            "assess_ms_median": float(np.median(totals)), "assess_ms_p90": float(np.percentile(totals, 90)),
            "real_photos": real_photos(pipeline, limit=real_limit, signals=real_signals),
            "real_signals": real_signals, "latency": latencies(models_dir), "rows": rows}

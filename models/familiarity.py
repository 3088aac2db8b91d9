"""Fit and calibrate the `unfamiliar` verdict (inference/familiarity.py) for exported models.

    python -m models calibrate [--models models] [--train data/phantom-train]
                               [--heldout data/phantom-calib] [--real models/realset]

1. Statistics: the exported classifier's pooled features of the training photos' 80/10-rule
   crops (on the hand-drawn mask, else on the shipped segmenter's) give a mean, the top
   principal components, class means and within-class variances in that subspace, and the
   mean squared residual off it.
2. Thresholds, on photos the statistics never saw: held-out phantom photos (a fresh seed,
   rendered when the folder is missing) and the *training* part of the real-photo set with
   its variants (the held-out part is for evaluation only). The photo-score limit is the
   smallest that lets PHANTOM_JUDGED of the held-out phantom photos be judged; the lesion
   fraction limit is the largest the held-out phantom photos reach, plus a margin. The
   outlier probe's limit lets the largest share of held-out phantom photos through (of
   PROBE_SHARES) that still flags REAL_FLAGGED of the real training-part photos reaching the
   classifier, each scored by a probe fitted without its own package: a real photo from a
   source the probe never saw is what the bot meets. The lesion-contrast limit (CIELAB ΔE*ab
   between the lesion found and the skin around it over the skin's L*, inference/contrast.py) is the
   CONTRAST_SHARE quantile of the held-out phantom photos' contrast: the lesions the models
   learned to see are that visible; the real training-part photos below it are counted.
   `--only contrast` refits that one limit and keeps the rest of the block as it is.
3. Both go into manifest.json's `familiarity` block; the curves behind the choice go to
   models/card/familiarity.json and the operating-point plots models/card/operating_point.png
   (feature score) and operating_point_probe.png (outlier probe).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from inference import Pipeline
from inference.familiarity import CONTRAST
from inference.manifest import CLASSES, MANIFEST
from models import data, realphotos
from models import manifest as manifest_json

COMPONENTS = 32
PHANTOM_JUDGED = 0.995         # share of held-out phantom photos the feature limit lets through
PROBE_SHARES = (0.98, 0.99, 0.995)  # candidate shares of held-out phantom photos the probe passes
REAL_FLAGGED = 0.9             # issue 10: at most 1 in 10 real photos may be named a class
LESION_MARGIN = 0.05
CONTRAST_SHARE = 0.005         # share of held-out phantom lesions the contrast limit may stop
CALIBRATION_SEED = 2           # the held-out phantom photos: never seed 1 (training) nor 1001 (test)
DEFAULT_HELDOUT = Path("data/phantom-calib")  # rendered from CALIBRATION_SEED when missing
CARD = Path("models/card")


def _assess_all(pipeline: Pipeline, blobs, progress: str = "") -> list[dict]:
    """Quality, lesion fraction and crop features of each photo (bytes, from any iterable);
    a photo the decoder refuses (too small, say) is a row without features."""
    from inference.errors import InferenceError
    rows = []
    started = time.time()
    for i, blob in enumerate(blobs):
        try:
            result = pipeline.assess(blob)
        except InferenceError as error:
            rows.append({"quality": type(error).__name__, "lesion_fraction": 0.0, "features": None})
            continue
        rows.append({"quality": result.quality, "lesion_fraction": result.lesion_fraction,
                     "lesion_contrast": result.lesion_contrast,
                     "features": result.crop_features if result.crops else None})
        if progress and (i + 1) % 200 == 0:
            print(f"{progress}: {i + 1} photos, {time.time() - started:.0f} s", flush=True)
    return rows


def training_rows(pipeline: Pipeline, items, mask_side: int = 256) -> list[dict]:
    """Features of each training photo's rule crops (the windows the classifier learned from)."""
    from inference import classify
    rows = []
    for item in items:
        image = data.open_rgb(item.image, max_side=1024)
        mask = data.open_mask(item.mask) if item.mask else data.predicted_mask(pipeline, item.image)
        scale = mask_side / max(mask.shape)
        grid = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))
        small = np.asarray(Image.fromarray(mask).resize(grid, Image.NEAREST))
        fx, fy = image.width / small.shape[1], image.height / small.shape[0]
        boxes = [(x0 * fx, y0 * fy, x1 * fx, y1 * fy) for x0, y0, x1, y1 in data.crop_boxes(small)]
        if boxes:
            _, features = classify.run(pipeline.classifier, pipeline.manifest.classifier, image, boxes)
            rows.append({"features": features, "label": item.label})
    return rows


def _skin_coloured(image: Image.Image) -> np.ndarray:
    """Pixels of a red-to-orange hue, saturated and lit: where a segmenter may see skin."""
    hsv = np.asarray(image.convert("HSV")).astype(int)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return ((hue < 30) | (hue > 230)) & (sat > 40) & (val > 50)


def outlier_boxes(image: Image.Image, n: int, rng: np.random.Generator) -> list[tuple]:
    """Random square crops (10-50 % of the short side), mostly over skin-coloured regions:
    the real-photo crops most likely to pass for a lesion."""
    width, height = image.size
    skin = _skin_coloured(image)
    boxes = []
    for _ in range(n * 30):
        if len(boxes) == n:
            break
        side = rng.uniform(0.1, 0.5) * min(width, height)
        x0, y0 = rng.uniform(0, width - side), rng.uniform(0, height - side)
        if skin[int(y0):int(y0 + side), int(x0):int(x0 + side)].mean() > 0.3 or rng.random() < 0.3:
            boxes.append((x0, y0, x0 + side, y0 + side))
    return boxes


# The outlier probe also sees the real crops under a warm and a cool cast, so that a colour
# cast alone does not make a real photo look like a training photo.
CASTS = ((1.12, 1.0, 0.88), (0.88, 1.0, 1.12))


def cast(pixels: np.ndarray, gains) -> np.ndarray:
    return np.clip(pixels.astype(np.float32) * np.asarray(gains, np.float32), 0, 255).astype(np.uint8)


def outlier_features(pipeline: Pipeline, realset: Path, per_cast: int = 20,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Classifier features of crops of the real-photo set's training part, under each cast,
    and each crop's source package."""
    from inference import classify
    rng = np.random.default_rng(seed)
    found, packages = [], []
    for photo in realphotos.photos("train", realset):
        rgb = np.asarray(Image.open(photo.path).convert("RGB"))
        for gains in ((1.0, 1.0, 1.0), *CASTS):
            image = Image.fromarray(cast(rgb, gains))
            boxes = outlier_boxes(image, per_cast, rng)
            if boxes:
                found.append(classify.run(pipeline.classifier, pipeline.manifest.classifier,
                                          image, boxes)[1])
                packages += [photo.package] * len(boxes)
    return (np.concatenate(found) if found else np.zeros((0, 0))), np.array(packages)


def fit_probe(inliers: np.ndarray, outliers: np.ndarray, steps: int = 400, rate: float = 0.1,
              l2: float = 1e-2) -> dict:
    """Logistic regression, classes weighted equally: 1 = a real-photo crop, 0 = a training crop."""
    x = np.concatenate([inliers, outliers]).astype(np.float64)
    y = np.concatenate([np.zeros(len(inliers)), np.ones(len(outliers))])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    weight = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (1 - y).sum()))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(z @ w + b, -50, 50)))
        g = (p - y) * weight
        w -= rate * (z.T @ g / len(y) + l2 * w)
        b -= rate * float(g.mean())
    return {"mean": _round(mean), "scale": _round(scale), "weights": _round(w), "bias": float(b),
            "inliers": int(len(inliers)), "outliers": int(len(outliers))}


def fit_statistics(rows: list[dict], components: int = COMPONENTS) -> dict:
    """The block's statistics from the crops of training photos (rows with features and label)."""
    classes = CLASSES["classifier"]
    feats, labels = [], []
    for row in rows:
        if row["features"] is not None and row["label"] in classes:
            feats.append(row["features"])
            labels += [row["label"]] * len(row["features"])
    if not feats:
        raise data.DatasetError("no training crops: cannot fit the familiarity statistics")
    x = np.concatenate(feats).astype(np.float64)
    components = min(components, len(x) - 1, x.shape[1])
    labels = np.array(labels)
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    basis = vt[:components]
    z = (x - mean) @ basis.T
    class_means = {c: z[labels == c].mean(axis=0) for c in classes if (labels == c).any()}
    missing = [c for c in classes if c not in class_means]
    if missing:
        raise data.DatasetError(f"no training crops of {missing}: cannot fit class means")
    within = np.concatenate([z[labels == c] - class_means[c] for c in classes])
    residual = ((x - mean) - z @ basis) ** 2
    return {"feature": "classifier output 'features': global average pool before the head",
            "crops": int(len(x)), "mean": _round(mean), "components": [_round(r) for r in basis],
            "class_means": {c: _round(class_means[c]) for c in classes},
            "variances": _round(within.var(axis=0) + 1e-6),
            "residual_scale": float(residual.sum(axis=1).mean())}


def _round(values) -> list[float]:
    return [float(f"{v:.5g}") for v in np.asarray(values).ravel()]


def model_of(block: dict, thresholds: dict | None = None):
    """The inference-side check for `block` (loose limits until they are chosen)."""
    from inference.familiarity import from_block
    loose = {"photo_score": 1e9, "max_lesion_fraction": 1.0, "max_outlier_probability": 1.0}
    return from_block({**block, "thresholds": thresholds or loose}, CLASSES["classifier"])


def signals(model, rows: list[dict]) -> list[dict]:
    """The check's inputs for each photo that reached the classifier, computed once."""
    return [{"score": model.photo_score_of(r["features"]),
             "outlier": model.outlier_probability(r["features"]),
             "lesion_fraction": r["lesion_fraction"]} for r in rows if r["features"] is not None]


def reasons(model, found: list[dict]) -> list[str | None]:
    """Why each photo is unfamiliar under `model`'s limits (None: judged)."""
    return [model.reason(s["lesion_fraction"], s["score"], s["outlier"]) for s in found]


class CalibrationError(RuntimeError):
    """No held-out phantom photo reached the classifier: no limit can be chosen."""


def _quantile(values, share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(np.ceil(share * len(values))) - 1)]


def choose_thresholds(phantom: list[dict], judged: float = PHANTOM_JUDGED,
                      probe_share: float = PROBE_SHARES[0]) -> dict:
    """Limits from the held-out phantom photos' signals (see the module's docstring)."""
    if not phantom:
        raise CalibrationError("no held-out phantom photo reached the classifier")
    return {"photo_score": float(f"{_quantile([s['score'] for s in phantom], judged) * 1.0001:.6g}"),
            "max_lesion_fraction": float(min(1.0, max(s["lesion_fraction"] for s in phantom)
                                             + LESION_MARGIN)),
            "max_outlier_probability": float(f"{_quantile([s['outlier'] for s in phantom], probe_share):.4g}")}


def contrast_limit(phantom_rows: list[dict], real_rows: list[dict]) -> tuple[float, dict]:
    """The least lesion contrast (ΔE*ab / L*) a photo needs to be judged: the CONTRAST_SHARE quantile
    of the held-out phantom photos that reached the classifier (`_assess_all` rows of a pipeline
    without the check), and what it stops of those and of the real training-part photos."""
    def contrasts(rows):
        return [r["lesion_contrast"] for r in rows
                if r["features"] is not None and r.get("lesion_contrast") is not None]
    phantom, real = contrasts(phantom_rows), contrasts(real_rows)
    if not phantom:
        raise CalibrationError("no held-out phantom photo reached the classifier")
    limit = float(f"{_quantile(phantom, CONTRAST_SHARE) * 0.9999:.6g}")  # that photo passes
    stopped = [r for r in real_rows if r["features"] is not None
               and r.get("lesion_contrast") is not None and r["lesion_contrast"] < limit]
    return limit, {
        "measure": "CIELAB dE76 between the mean colour of the lesion found and of the skin "
                   "around it, over that skin's L*, on the mask grid (inference/contrast.py)",
        "share": CONTRAST_SHARE,
        "phantom_heldout": {"measured": len(phantom),
                            "below": sum(c < limit for c in phantom),
                            "quantiles": {f"{q:g}": round(float(np.quantile(phantom, q)), 4)
                                          for q in (0.005, 0.01, 0.05, 0.5)}},
        "real_train": {"measured": len(real), "below": len(stopped),
                       "below_ids": sorted({r.get("id", "?") for r in stopped})},
        "rule": f"min_lesion_contrast: the {CONTRAST_SHARE:.1%} quantile of the lesion contrast of "
                "held-out phantom photos reaching the classifier"}


def out_of_source(block: dict, inliers: np.ndarray, outliers: np.ndarray, packages: np.ndarray,
                  real_rows: list[dict]) -> list[float]:
    """Probe probability of each real training-part photo that reached the classifier, from a
    probe fitted without the crops of that photo's package."""
    probes: dict = {}
    found = []
    for row in real_rows:
        if row["features"] is None or not (packages != row["package"]).any():
            continue  # no other package's crops: no probe can be fitted without this one
        if row["package"] not in probes:
            probe = fit_probe(inliers, outliers[packages != row["package"]])
            probes[row["package"]] = model_of({**block, "probe": probe})
        found.append(probes[row["package"]].outlier_probability(row["features"]))
    return found


def choose_probe_share(phantom: list[dict], real_outlier: list[float]) -> tuple[float, dict]:
    """The largest of PROBE_SHARES whose limit flags REAL_FLAGGED of `real_outlier` (the
    most cautious when no real photo reached the classifier), and the share flagged at each."""
    flagged = {}
    for share in PROBE_SHARES:
        limit = _quantile([s["outlier"] for s in phantom], share)
        flagged[share] = sum(p > limit for p in real_outlier)
    passing = [s for s in PROBE_SHARES if real_outlier and flagged[s] >= REAL_FLAGGED * len(real_outlier)]
    return (max(passing) if passing else PROBE_SHARES[0]), flagged


def curve(model, phantom: list[dict], real: list[dict], points: int = 60) -> dict:
    """Share of phantom photos judged and of real photos flagged, per photo-score limit (the
    other limits as in `model`)."""
    found = [s["score"] for s in phantom + real]
    limits = np.geomspace(max(min(found), 1e-3), max(found) * 1.05, points)

    def share(rows: list[dict], limit: float, flagged: bool) -> float:
        marks = reasons(replace(model, photo_score=float(limit)), rows)
        return float(np.mean([(m is not None) == flagged for m in marks])) if marks else float("nan")

    return {"limits": [float(t) for t in limits],
            "phantom_judged": [share(phantom, t, False) for t in limits],
            "real_flagged": [share(real, t, True) for t in limits]}


def probe_curve(model, phantom: list[dict], real_outlier: list[float], points: int = 50) -> dict:
    """Share of phantom photos judged (the other limits as in `model`) and of real photos
    flagged by the out-of-source probe alone, per outlier-probability limit."""
    limits = np.linspace(0.0, 1.0, points + 1)[1:]
    judged = [float(np.mean([m is None for m in reasons(replace(model, max_outlier_probability=float(t)),
                                                        phantom)])) for t in limits]
    flagged = [float(np.mean([p > t for p in real_outlier])) if real_outlier else float("nan")
               for t in limits]
    return {"limits": [float(t) for t in limits], "phantom_judged": judged, "real_flagged": flagged,
            "phantom": len(phantom), "real": len(real_outlier)}


def draw_operating_point(limits, lines: dict, shipped: float, title: str, out: Path,
                         xlabel: str = "photo familiarity score limit (mean over crops)",
                         log: bool = True) -> None:
    """Shares of photos (one line per label in `lines`) against a limit."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, NullFormatter
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for label, values in lines.items():
        ax.plot(limits, values, label=label)
    ax.axvline(shipped, color="k", ls="--", lw=1, label=f"shipped limit {shipped:.3g}")
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of photos")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="center right", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def plot(curves: dict, thresholds: dict, out: Path) -> None:
    real = "real photos (training part + variants) flagged unfamiliar"
    if all(np.isnan(v) for v in curves["real_flagged"]):
        # The segmenter stops every one of them first; say so rather than draw an empty line.
        real = "real photos (training part): none reached the classifier"
    draw_operating_point(curves["limits"], {
        "held-out phantom photos judged": curves["phantom_judged"], real: curves["real_flagged"]},
        thresholds["photo_score"], "Operating point of the 'unfamiliar' verdict", out)


def plot_probe(curves: dict, thresholds: dict, out: Path) -> None:
    real = (f"real photos (training part, {curves['real']} reached the classifier) flagged\n"
            "by a probe fitted without their package")
    if not curves["real"]:
        real = "real photos (training part): none reached the classifier"
    draw_operating_point(curves["limits"], {
        f"held-out phantom photos judged ({curves['phantom']})": curves["phantom_judged"],
        real: curves["real_flagged"]},
        thresholds["max_outlier_probability"], "The outlier probe's limit", out,
        xlabel="outlier probe limit (mean probability over crops that the photo is real)", log=False)


def phantom_folder(folder: Path, n: int, seed: int = CALIBRATION_SEED) -> Path:
    if not (folder / "labels.csv").is_file():
        from models.phantom.dataset import write_dataset
        print(f"rendering {n} held-out phantom photos (seed {seed}) into {folder}", flush=True)
        write_dataset(folder, n=n, seed=seed, workers=2)
    return folder


def lesion_items(folder: Path, limit: int | None = None) -> list:
    items = [i for i in data.read_items(folder) if i.label in CLASSES["classifier"]]
    return items[:limit] if limit else items


class CalibrationDataMismatch(data.DatasetError):
    """A classifier that learned from photos, calibrated on phantom folders (the defaults)."""


def check_folders(models_dir: Path, train: Path, heldout: Path) -> None:
    """The statistics must describe what the classifier learned from: after a clinic retrains
    on its photos, phantom folders would make every real photo look unfamiliar, or set
    limits that mean nothing, without any error."""
    entry = json.loads((Path(models_dir) / MANIFEST).read_text(encoding="utf-8"))["models"]["classifier"]
    # The default held-out folder is phantom even before calibrate renders it.
    phantom = [str(f) for f in (train, heldout) if data.is_phantom(f) or Path(f) == DEFAULT_HELDOUT]
    if entry.get("trained_on") == "photos" and phantom:
        raise CalibrationDataMismatch(
            f"the classifier in {models_dir} learned from photos, but {', '.join(phantom)} is a phantom "
            "folder: calibrate with --train on its training folder and --heldout on held-out patients "
            "(python -m models split makes DIR/train and DIR/calib)")


def calibrate(models_dir: Path, train: Path, heldout: Path, realset: Path,
              n_train: int = 800, n_heldout: int = 1500, card: Path = CARD,
              n_real: int | None = None) -> dict:
    check_folders(models_dir, train, heldout)
    pipeline = Pipeline.from_dir(models_dir, require_familiarity=False)
    items = lesion_items(train, n_train)
    print(f"statistics from {len(items)} training photos", flush=True)
    rows = training_rows(pipeline, items)
    block = fit_statistics(rows)
    held = lesion_items(phantom_folder(heldout, n_heldout))
    phantom_rows = _assess_all(pipeline, (i.image.read_bytes() for i in held), "held-out phantom")
    check_heldout(heldout, phantom_rows)  # before the minutes over the real set
    outliers, packages = outlier_features(pipeline, realset)
    print(f"outlier probe: {len(outliers)} real-photo crops against the training crops", flush=True)
    inliers = np.concatenate([r["features"] for r in rows])
    block["probe"] = fit_probe(inliers, outliers)
    real_rows = real_training_rows(pipeline, realset, n_real)
    loose = model_of(block)
    phantom, real = signals(loose, phantom_rows), signals(loose, real_rows)
    real_outlier = out_of_source(block, inliers, outliers, packages, real_rows)
    probe_share, flagged_at = choose_probe_share(phantom, real_outlier)
    thresholds = choose_thresholds(phantom, probe_share=probe_share)
    thresholds[CONTRAST], contrast = contrast_limit(phantom_rows, real_rows)
    model = replace(loose, photo_score=thresholds["photo_score"],
                    max_lesion_fraction=thresholds["max_lesion_fraction"],
                    max_outlier_probability=thresholds["max_outlier_probability"])
    curves = curve(model, phantom, real)
    probe_curves = probe_curve(model, phantom, real_outlier)
    phantom_marks, real_marks = reasons(model, phantom), reasons(model, real)
    summary = {
        # A clinic calibrates on its own held-out patients (`models split` makes DIR/calib).
        "phantom_heldout": {"folder": str(heldout), "photos": len(phantom_rows),
                            "seed": CALIBRATION_SEED if Path(heldout) == DEFAULT_HELDOUT else None,
                            "classified": len(phantom_marks),
                            "judged": sum(m is None for m in phantom_marks),
                            "reasons": _count(m for m in phantom_marks if m)},
        "real_train": {"photos": len(real_rows), "classified": len(real_marks),
                       "flagged": sum(m is not None for m in real_marks),
                       "reasons": _count(m for m in real_marks if m),
                       "verdicts": _count(r["quality"] for r in real_rows),
                       "probe_out_of_source": {"classified": len(real_outlier),
                                               "flagged_at_share": {f"{s:g}": int(n) for s, n in flagged_at.items()}}},
        "probe_share": probe_share,
        "rule": f"photo_score: smallest limit judging {PHANTOM_JUDGED:.1%} of held-out phantom "
                f"photos; max_outlier_probability: their {probe_share:.1%} quantile, the largest "
                f"of {', '.join(f'{s:.1%}' for s in PROBE_SHARES)} at which a probe fitted without "
                f"a real training photo's package still flags {REAL_FLAGGED:.0%} of those reaching "
                f"the classifier; max_lesion_fraction: their largest + {LESION_MARGIN}; "
                + contrast["rule"],
        "lesion_contrast": contrast,
    }
    block = {**block, "thresholds": thresholds, "calibration": summary}
    write_block(models_dir, block)
    card.mkdir(parents=True, exist_ok=True)
    (card / "familiarity.json").write_text(json.dumps({"summary": summary, "thresholds": thresholds,
                                                       "curves": curves, "probe_curves": probe_curves},
                                                      indent=1) + "\n")
    plot(curves, thresholds, card / "operating_point.png")
    plot_probe(probe_curves, thresholds, card / "operating_point_probe.png")
    return summary


def check_heldout(heldout: Path, phantom_rows: list[dict]) -> None:
    """No limit can be chosen unless some held-out photo reached the classifier: say why not."""
    if any(r["features"] is not None for r in phantom_rows):
        return
    verdicts = ", ".join(f"{k} {n}" for k, n in sorted(_count(r["quality"] for r in phantom_rows).items()))
    raise CalibrationError(
        f"no held-out photo in {heldout} reached the classifier ({len(phantom_rows)} photos with a lesion "
        f"label; verdicts: {verdicts or 'none'}): the segmenter finds no rule crop on them (too few "
        "training steps, or a held-out folder without lesions); train longer or give --heldout "
        "more photos with a lesion")


def real_training_rows(pipeline: Pipeline, realset: Path, n_real: int | None = None) -> list[dict]:
    """`_assess_all` rows of every variant of the real set's training part (never `heldout`)."""
    rows = []
    for photo in realphotos.photos("train", realset)[:n_real]:
        names, blobs = zip(*realphotos.variants(photo))
        rows += [{**row, "package": photo.package, "id": f"{photo.id}/{name}"}
                 for name, row in zip(names, _assess_all(pipeline, blobs))]
    return rows


def calibrate_contrast(models_dir: Path, heldout: Path, realset: Path, n_heldout: int = 1500,
                       n_real: int | None = None) -> dict:
    """Refit only the lesion-contrast limit of the manifest's familiarity block (the rest as it
    is): the same photos and rule as a full `calibrate`, without refitting the statistics."""
    check_folders(models_dir, heldout, heldout)
    block = json.loads((Path(models_dir) / MANIFEST).read_text(encoding="utf-8")).get("familiarity")
    if not isinstance(block, dict) or "calibration" not in block:
        raise data.DatasetError(f"{models_dir}: no calibrated familiarity block; run a full calibrate")
    pipeline = Pipeline.from_dir(models_dir, require_familiarity=False)
    held = lesion_items(phantom_folder(heldout, n_heldout))
    phantom_rows = _assess_all(pipeline, (i.image.read_bytes() for i in held), "held-out phantom")
    check_heldout(heldout, phantom_rows)
    limit, contrast = contrast_limit(phantom_rows, real_training_rows(pipeline, realset, n_real))
    calibration = dict(block["calibration"])
    rule = calibration.get("rule", "").split("; " + contrast["rule"].split(":")[0])[0]
    calibration.update(rule=f"{rule}; {contrast['rule']}", lesion_contrast=contrast)
    write_block(models_dir, {**block, "thresholds": {**block["thresholds"], CONTRAST: limit},
                             "calibration": calibration})
    return contrast


def _count(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def write_block(models_dir: Path, block: dict) -> None:
    path = Path(models_dir) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("familiarity") != block and "validation" in manifest:
        # A sign-off holds only for the limits it was measured with (inference/validation.py
        # refuses a stale one, and the bot would not start): new limits withdraw it, and the
        # bot says "not clinically validated" until the clinic validates again.
        del manifest["validation"]
        manifest["validated"] = False
        print("note: the signed validation was measured with the old limits and is withdrawn; "
              "run python -m models validate --sign again", flush=True)
    manifest["familiarity"] = block
    path.write_text(manifest_json.dumps(manifest), encoding="utf-8")
    Pipeline.from_dir(models_dir)  # the block as written must load (shapes, values)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--train", type=Path, default=Path("data/phantom-train"))
    parser.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT,
                        help="photos with a lesion the models never saw, for the limits (default: "
                             "phantom photos of seed 2, rendered if missing; after retraining on a "
                             "clinic's photos: the calib part of `python -m models split`)")
    parser.add_argument("--real", type=Path, default=realphotos.REALSET)
    parser.add_argument("--n-train", type=int, default=800)
    parser.add_argument("--n-heldout", type=int, default=1500)
    parser.add_argument("--card", type=Path, default=CARD)
    parser.add_argument("--only", choices=["contrast"],
                        help="refit only this limit (the lesion contrast) and keep the rest of the block")
    args = parser.parse_args(argv)
    try:
        if args.only == "contrast":
            summary = calibrate_contrast(args.models, args.heldout, args.real, args.n_heldout)
        else:
            summary = calibrate(args.models, args.train, args.heldout, args.real, args.n_train,
                                args.n_heldout, args.card)
    except (data.DatasetError, CalibrationError) as exc:  # the folders' problem, said plainly
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=1))
    return 0

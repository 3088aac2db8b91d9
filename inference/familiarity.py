"""Is this photo like the photos the models learned from? If not, the verdict is `unfamiliar`.

A model trained on synthetic phantom photos cannot judge a real photograph unlike anything it
saw, and its softmax stays confident all the same; it must say so instead of naming a disease.
The statistics below come from the training photos and the thresholds from held-out phantom
photos and the training part of the real-photo set (`models/familiarity.py`); both travel in
the manifest's `familiarity` block, so a model and its limits are always shipped together.

Signals (any one makes a photo unfamiliar):
- crop features: the classifier's pooled features of each crop are projected on the principal
  components of the training crops' features. Score = mean of (a) the Mahalanobis distance to
  the nearest class mean inside that subspace (per component, so about 1 for training crops)
  and (b) the squared residual off the subspace, scaled so that training crops average 1:
  what the training features never spanned. The photo's score is the mean over its crops.
- lesion fraction above anything the phantom photos hold (a frame that is all "lesion").
- outlier probe: a logistic regression on the same features, fitted to tell the training
  crops from crops of real photographs (the training part of models/realset: photos without
  skin and faces, skin-coloured regions first, under white-balance casts): "outlier
  exposure". The photo's probability of being real is the mean over its crops.
(A third signal, how far a white-balance cast moves the answer, was tried and dropped: it
stopped none of 980 held-out phantom photos and tripled the classifier's work.)

The block also carries `thresholds.min_lesion_contrast`, the least colour difference
between the lesion the segmenter found and the skin around it (CIELAB ΔE*ab over the skin's
L*) for the lesion to count as one (inference/contrast.py; below it the verdict is `no_lesion`, before any class is
named). It is calibrated with the other limits, so a sign-off covers it too; a block written
before it existed has none, and the check is then off (0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.errors import ModelManifestError

UNFAMILIAR = "unfamiliar"
REASON_FEATURES = "features"
REASON_LESION_FRACTION = "lesion_fraction"
REASON_OUTLIER = "outlier_probe"
STATISTICS = ("mean", "components", "class_means", "variances", "residual_scale", "probe")
PROBE = ("mean", "scale", "weights", "bias")
THRESHOLDS = ("photo_score", "max_lesion_fraction", "max_outlier_probability")
CONTRAST = "min_lesion_contrast"  # optional in THRESHOLDS' dict: absent = 0, the check off


@dataclass(frozen=True)
class Familiarity:
    mean: np.ndarray          # (D,) training feature mean
    components: np.ndarray    # (K, D) orthonormal principal directions
    class_means: np.ndarray   # (C, K) per class, in the subspace
    variances: np.ndarray     # (K,) within-class variance per component
    residual_scale: float     # mean squared residual of the training crops
    photo_score: float        # a photo scoring above this is unfamiliar
    max_lesion_fraction: float
    probe_mean: np.ndarray    # (D,) the probe's input standardisation
    probe_scale: np.ndarray   # (D,)
    probe_weights: np.ndarray  # (D,)
    probe_bias: float
    max_outlier_probability: float  # 1.0 turns the signal off
    min_lesion_contrast: float = 0.0  # ΔE*ab / L*; a lesion found below it is none (0: off)

    @property
    def feature_dim(self) -> int:
        return int(self.mean.shape[0])

    def crop_scores(self, features: np.ndarray) -> np.ndarray:
        """(N,) scores of N crops' features (N, D); about 1 for crops like the training ones."""
        centred = np.asarray(features, dtype=np.float64) - self.mean
        z = centred @ self.components.T
        deltas = z[:, None, :] - self.class_means[None, :, :]
        mahalanobis = (deltas ** 2 / self.variances).mean(axis=2).min(axis=1)
        residual = ((centred - z @ self.components) ** 2).sum(axis=1) / self.residual_scale
        return (mahalanobis + residual) / 2

    def photo_score_of(self, features: np.ndarray) -> float:
        return float(self.crop_scores(features).mean())

    def outlier_probability(self, features: np.ndarray) -> float:
        """The probe's mean probability that the crops come from a real photograph."""
        z = (np.asarray(features, dtype=np.float64) - self.probe_mean) / self.probe_scale
        logits = np.clip(z @ self.probe_weights + self.probe_bias, -50, 50)
        return float((1 / (1 + np.exp(-logits))).mean())

    def reason(self, lesion_fraction: float, score: float | None,
               outlier: float | None = None) -> str | None:
        """Why a photo is unfamiliar (a REASON_* code), or None when the models may judge it."""
        if lesion_fraction > self.max_lesion_fraction:
            return REASON_LESION_FRACTION
        if score is not None and score > self.photo_score:
            return REASON_FEATURES
        if outlier is not None and outlier > self.max_outlier_probability:
            return REASON_OUTLIER
        return None


def from_block(block, classes) -> Familiarity:
    """Check and read the manifest's `familiarity` block; any flaw is a ModelManifestError."""
    if not isinstance(block, dict):
        raise ModelManifestError("familiarity: block missing (re-run python -m models calibrate)")
    missing = [key for key in (*STATISTICS, "thresholds") if key not in block]
    if missing:
        raise ModelManifestError(f"familiarity: missing {missing}")
    thresholds = block["thresholds"]
    if not isinstance(thresholds, dict) or any(k not in thresholds for k in THRESHOLDS):
        raise ModelManifestError(f"familiarity: thresholds must hold {THRESHOLDS}")
    mean = _array(block, "mean", 1)
    components = _array(block, "components", 2)
    variances = _array(block, "variances", 1)
    class_means = block["class_means"]
    if not isinstance(class_means, dict) or list(class_means) != list(classes):
        raise ModelManifestError(f"familiarity: class_means must be keyed {list(classes)}")
    means = np.stack([_vector(f"class_means.{c}", class_means[c]) for c in classes])
    k, d = components.shape
    if d != mean.shape[0] or variances.shape != (k,) or means.shape != (len(classes), k):
        raise ModelManifestError(
            f"familiarity: shapes disagree (mean {mean.shape}, components {components.shape}, "
            f"variances {variances.shape}, class_means {means.shape})")
    if not (variances > 0).all():
        raise ModelManifestError("familiarity: variances must be positive")
    residual_scale = _positive("residual_scale", block["residual_scale"])
    probe = block["probe"]
    if not isinstance(probe, dict) or any(key not in probe for key in PROBE):
        raise ModelManifestError(f"familiarity: probe must hold {PROBE}")
    probe_arrays = [_vector(f"probe.{key}", probe[key]) for key in ("mean", "scale", "weights")]
    if any(a.shape != mean.shape for a in probe_arrays) or not (probe_arrays[1] > 0).all():
        raise ModelManifestError("familiarity: probe mean, scale (positive) and weights need "
                                 f"{mean.shape[0]} numbers each")
    probe_bias = _number("probe.bias", probe["bias"])
    return Familiarity(mean=mean, components=components, class_means=means, variances=variances,
                       residual_scale=residual_scale,
                       photo_score=_positive("thresholds.photo_score", thresholds["photo_score"]),
                       max_lesion_fraction=_positive("thresholds.max_lesion_fraction",
                                                     thresholds["max_lesion_fraction"]),
                       probe_mean=probe_arrays[0], probe_scale=probe_arrays[1],
                       probe_weights=probe_arrays[2], probe_bias=probe_bias,
                       max_outlier_probability=_positive("thresholds.max_outlier_probability",
                                                         thresholds["max_outlier_probability"]),
                       min_lesion_contrast=_non_negative(f"thresholds.{CONTRAST}",
                                                         thresholds.get(CONTRAST, 0.0)))


def _vector(name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ModelManifestError(f"familiarity: {name} is not numeric") from exc
    if array.ndim != 1 or not np.isfinite(array).all() or array.size == 0:
        raise ModelManifestError(f"familiarity: {name} must be a list of finite numbers")
    return array


def _array(block: dict, name: str, ndim: int) -> np.ndarray:
    if ndim == 1:
        return _vector(name, block[name])
    rows = block[name]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise ModelManifestError(f"familiarity: {name} must be a list of rows")
    if len({len(r) for r in rows}) != 1:
        raise ModelManifestError(f"familiarity: rows of {name} differ in length")
    return np.stack([_vector(f"{name}[{i}]", row) for i, row in enumerate(rows)])


def _number(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ModelManifestError(f"familiarity: {name} is not a number") from exc
    if not np.isfinite(number):
        raise ModelManifestError(f"familiarity: {name} must be a finite number")
    return number


def _non_negative(name: str, value) -> float:
    number = _number(name, value)
    if number < 0:
        raise ModelManifestError(f"familiarity: {name} must not be negative")
    return number


def _positive(name: str, value) -> float:
    number = _number(name, value)
    if number <= 0:
        raise ModelManifestError(f"familiarity: {name} must be a positive number")
    return number

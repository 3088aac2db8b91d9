"""The result of one assessment, and its JSON form (DESIGN.md, fixed).

When the quality gate stops a photo before the models, the fractions are None (null in JSON),
and crops, probabilities, top and p_not_ad are empty/None: only `quality` is meaningful.
After segmentation (no_skin, no_lesion, lesion_too_small) the fractions are filled in;
`no_lesion` also stands for a lesion found that does not differ in colour from the skin
around it (inference/contrast.py).
`unfamiliar` (the photo is unlike the training photos) keeps the fractions and the
familiarity score but names no class: crops and probabilities empty, top null.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from inference.overlay import caption_options, render_jpeg, render_png
from inference.quality import OK
from inference.segment import Masks

BASELINE = "AD"
# The keys of timings_ms in to_dict() and the stages each sums; stages_ms keeps every stage
# (decode, refine, quality, segment, crops, classify, total) for benchmarks.
REPORTED_TIMINGS = {"decode": ("decode", "refine"), "segment": ("segment",),
                    "classify": ("classify",), "total": ("total",)}


@dataclass(frozen=True)
class Crop:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels of the upright full-size photo
    probabilities: dict[str, float]

    @property
    def top(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)

    def to_dict(self) -> dict:
        return {"box": [int(v) for v in self.box], "probabilities": _rounded(self.probabilities)}


@dataclass
class Assessment:
    quality: str
    skin_fraction: float | None
    lesion_fraction: float | None
    crops: list[Crop]
    probabilities: dict[str, float]
    models: dict
    stages_ms: dict[str, float] = field(default_factory=dict)
    full_size: tuple[int, int] | None = None
    # The familiarity check (inference/familiarity.py): the photo's signals, and why it was
    # `unfamiliar` (None when it was not, or was not checked). Never part of the JSON.
    familiarity_score: float | None = None
    outlier_probability: float | None = None  # the probe's "this is a real photo"
    unfamiliar_reason: str | None = None
    # CIELAB ΔE*ab between the lesion found and the skin around it, over its L* (contrast.py); a
    # "lesion" below the manifest's limit is `no_lesion`. Never part of the JSON.
    lesion_contrast: float | None = None
    crop_features: object = field(default=None, repr=False, compare=False)
    captions: dict = field(default_factory=dict, repr=False, compare=False)  # verdict -> overlay lines
    # Kept for the overlay picture; never part of the JSON.
    masks: Masks | None = field(default=None, repr=False, compare=False)
    image: Image.Image | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.quality == OK

    @property
    def top(self) -> str | None:
        return max(self.probabilities, key=self.probabilities.get) if self.probabilities else None

    @property
    def p_not_ad(self) -> float | None:
        return 1.0 - self.probabilities[BASELINE] if self.probabilities else None

    @property
    def timings_ms(self) -> dict[str, float]:
        return {key: round(sum(self.stages_ms.get(stage, 0.0) for stage in stages), 1)
                for key, stages in REPORTED_TIMINGS.items()}

    def to_dict(self) -> dict:
        return {
            "quality": self.quality,
            "skin_fraction": _round(self.skin_fraction),
            "lesion_fraction": _round(self.lesion_fraction),
            "crops": [crop.to_dict() for crop in self.crops],
            "probabilities": _rounded(self.probabilities),
            "top": self.top,
            "p_not_ad": _round(self.p_not_ad),
            "models": dict(self.models),
            "timings_ms": self.timings_ms,
        }

    def overlay_png(self, lines: list[str] | None = None) -> bytes:
        """The overlay picture drawn on the reduced photo this assessment was made from;
        `lines`: the caption in the reader's language (inference/overlay.py)."""
        return render_png(self.image, self, **({"lines": lines} if lines else caption_options(self, self.captions)))

    def overlay_jpeg(self, lines: list[str] | None = None) -> bytes:
        """The same picture as JPEG (what the bot stores: small and fast to encode)."""
        return render_jpeg(self.image, self, **({"lines": lines} if lines else caption_options(self, self.captions)))


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _rounded(probs: dict[str, float]) -> dict[str, float]:
    return {name: _round(p) for name, p in probs.items()}

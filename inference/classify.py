"""Class probabilities for boxes of an RGB image, one batched classifier run."""
from __future__ import annotations

import numpy as np
from PIL import Image

from inference.manifest import FEATURES_OUTPUT
from inference.preprocess import softmax, to_input


def crop_pixels(image: Image.Image, boxes, size: tuple[int, int]) -> np.ndarray:
    """uint8 [N, H, W, 3]: each box (float pixels of `image`) cut and resized in one step."""
    height, width = size
    return np.stack([np.asarray(image.resize((width, height), Image.Resampling.BILINEAR,
                                             box=tuple(float(v) for v in box), reducing_gap=2.0))
                     for box in boxes])


def _named(spec, rows) -> list[dict[str, float]]:
    return [{name: float(p) for name, p in zip(spec.classes, row)} for row in rows]


def run(session, spec, image: Image.Image, boxes) -> tuple[list[dict[str, float]], np.ndarray]:
    """Per box: class probabilities, and the pooled features (N, D) the familiarity check reads."""
    if not boxes:
        return [], np.zeros((0, 0), dtype=np.float32)
    x = to_input(crop_pixels(image, boxes, spec.input_size), spec.mean, spec.std)
    logits, features = session.run(["logits", FEATURES_OUTPUT], {spec.input_name: x})
    return _named(spec, softmax(logits.astype(np.float64), axis=1)), features


def probabilities(session, spec, image: Image.Image, boxes) -> list[dict[str, float]]:
    return run(session, spec, image, boxes)[0]

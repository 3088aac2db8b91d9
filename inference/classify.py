"""Class probabilities for boxes of an RGB image, one batched classifier run."""
from __future__ import annotations

import numpy as np
from PIL import Image

from inference.preprocess import softmax, to_input


def crop_pixels(image: Image.Image, boxes, size: tuple[int, int]) -> np.ndarray:
    """uint8 [N, H, W, 3]: each box (float pixels of `image`) cut and resized in one step."""
    height, width = size
    return np.stack([np.asarray(image.resize((width, height), Image.Resampling.BILINEAR,
                                             box=tuple(float(v) for v in box), reducing_gap=2.0))
                     for box in boxes])


def probabilities(session, spec, image: Image.Image, boxes) -> list[dict[str, float]]:
    if not boxes:
        return []
    x = to_input(crop_pixels(image, boxes, spec.input_size), spec.mean, spec.std)
    probs = softmax(session.run(None, {spec.input_name: x})[0].astype(np.float64), axis=1)
    return [{name: float(p) for name, p in zip(spec.classes, row)} for row in probs]

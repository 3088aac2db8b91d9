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


# White-balance casts each crop is also classified under (the familiarity check's stability
# signal): the models were trained with casts of ±15 %, so on photos like their training
# photos a 12 % cast hardly moves the answer; on a real photo it often flips it.
CASTS = ((1.12, 1.0, 0.88), (0.88, 1.0, 1.12))


def cast(pixels: np.ndarray, gains) -> np.ndarray:
    return np.clip(pixels.astype(np.float32) * np.asarray(gains, np.float32), 0, 255).astype(np.uint8)


def _named(spec, rows) -> list[dict[str, float]]:
    return [{name: float(p) for name, p in zip(spec.classes, row)} for row in rows]


def run(session, spec, image: Image.Image, boxes, casts=()) -> tuple:
    """Per box: class probabilities and the pooled features (N, D) the familiarity check reads;
    with `casts`, also the probabilities of each box under each white-balance cast, all in
    one batched run: (probs, features, [probs under cast 1, ...])."""
    if not boxes:
        return [], np.zeros((0, 0), dtype=np.float32), [[] for _ in casts]
    pixels = crop_pixels(image, boxes, spec.input_size)
    batch = np.concatenate([pixels, *[cast(pixels, gains) for gains in casts]])
    logits, features = session.run(["logits", FEATURES_OUTPUT],
                                   {spec.input_name: to_input(batch, spec.mean, spec.std)})
    probs = softmax(logits.astype(np.float64), axis=1)
    n = len(boxes)
    return (_named(spec, probs[:n]), features[:n],
            [_named(spec, probs[n * (i + 1):n * (i + 2)]) for i in range(len(casts))])


def probabilities(session, spec, image: Image.Image, boxes) -> list[dict[str, float]]:
    return run(session, spec, image, boxes)[0]

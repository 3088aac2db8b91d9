"""RGB pixels → the models' float32 NCHW input: pixel/255, then (x - mean) / std."""
from __future__ import annotations

import numpy as np


def to_input(pixels: np.ndarray, mean, std) -> np.ndarray:
    """`pixels` uint8 of shape [N, H, W, 3] (or [H, W, 3]) → float32 [N, 3, H, W]."""
    batch = pixels[None] if pixels.ndim == 3 else pixels
    scale = np.float32(1 / 255)
    x = batch.astype(np.float32) * scale
    x -= np.asarray(mean, dtype=np.float32)
    x /= np.asarray(std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)

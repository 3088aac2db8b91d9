"""The quality gate: is this photo worth running the models on, and did they find a rash?

Each verdict is a stable code the bot maps to retake guidance. Before the models (on the
reduced image): too_small, too_dark, too_bright, blurry. After segmentation: no_skin,
no_lesion ("no rash found") and lesion_too_small ("come closer": lesion seen, but no window
passes the 80/10 rule). The checks run in table order; the first that fails is the verdict.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

OK = "ok"
NO_LESION = "no_lesion"
MIN_SIDE = 256            # upright full-size short side below which nothing can be judged
DARK_MEAN = 40.0          # mean luminance 0..255 ...
DARK_HIGHLIGHTS = 64.0    # ... and the 99th percentile below this: nothing in the frame is lit.
                          # The mean alone refused well-lit photos of the darkest skin tones
                          # (Monk 9-10 fill the frame at a mean near 30); an underexposed photo
                          # has no bright part at all.
BRIGHT_MEAN = 225.0
BRIGHT_CLIPPED = 0.5      # or this share of pixels at ≥ 250 (blown-out flash)
BLUR_SIDE = 512           # the Laplacian is measured at this long side, so the threshold is scale-free
BLUR_VARIANCE = 6.0       # variance of the 4-neighbour Laplacian (0..255 grey) below which it is blurry;
                          # low on purpose: smooth skin close-ups must not read as blurry
MIN_SKIN_FRACTION = 0.05
MIN_LESION_PIXELS = 8     # mask pixels; fewer is segmentation noise, not a rash


def grey_for_gate(image: Image.Image) -> np.ndarray:
    """Luminance at BLUR_SIDE long side (float32), the one array every photo check reads."""
    grey = image.convert("L")
    ratio = BLUR_SIDE / max(grey.size)
    if ratio < 1:
        size = (max(1, round(grey.width * ratio)), max(1, round(grey.height * ratio)))
        grey = grey.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(grey, dtype=np.float32)


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when there are no sharp edges anywhere."""
    lap = (4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1]
           - grey[1:-1, :-2] - grey[1:-1, 2:])
    return float(lap.var())


def _too_small(grey, full_size) -> bool:
    return min(full_size) < MIN_SIDE


def _too_dark(grey, full_size) -> bool:
    return float(grey.mean()) < DARK_MEAN and float(np.percentile(grey, 99)) < DARK_HIGHLIGHTS


def _too_bright(grey, full_size) -> bool:
    return float(grey.mean()) > BRIGHT_MEAN or float((grey >= 250).mean()) > BRIGHT_CLIPPED


def _blurry(grey, full_size) -> bool:
    return laplacian_variance(grey) < BLUR_VARIANCE


PHOTO_CHECKS = [("too_small", _too_small), ("too_dark", _too_dark),
                ("too_bright", _too_bright), ("blurry", _blurry)]


def check_photo(image: Image.Image, full_size: tuple[int, int]) -> str:
    """Verdict on the reduced upright photo before any model runs."""
    grey = grey_for_gate(image)
    return next((code for code, fails in PHOTO_CHECKS if fails(grey, full_size)), OK)


def _no_skin(skin, lesion, windows) -> bool:
    return float(skin.mean()) < MIN_SKIN_FRACTION


def _no_lesion(skin, lesion, windows) -> bool:
    return int(lesion.sum()) < MIN_LESION_PIXELS


def _lesion_too_small(skin, lesion, windows) -> bool:
    return not windows


MASK_CHECKS = [("no_skin", _no_skin), (NO_LESION, _no_lesion),
               ("lesion_too_small", _lesion_too_small)]


def check_masks(skin: np.ndarray, lesion: np.ndarray, windows: list) -> str:
    """Verdict after segmentation and window selection (masks are boolean, skin includes lesion)."""
    return next((code for code, fails in MASK_CHECKS if fails(skin, lesion, windows)), OK)

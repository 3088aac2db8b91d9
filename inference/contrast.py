"""Is the lesion the segmenter found visible at all? Its colour contrast with the skin around it.

A rash differs in colour from the skin beside it: redder, browner, paler, crusted. The shipped
segmenter, trained on painted phantom lesions, also marks faint streaks of healthy real skin as
"lesion" (the dermapred forearm close-up: 2.8 % of the frame, at a colour difference with the
skin beside it that no phantom lesion on skin that light has). Such a "lesion" is no rash
found: the verdict is `no_lesion` and no class is named.

The contrast is measured on the segmenter's mask grid (the photo resized to the grid, each
grid pixel the mean of the photo's pixels it covers, so the same pixels the masks describe):
the CIELAB colour difference ΔE*ab (CIE76) between the mean colour of the lesion pixels and the
mean colour of the skin ring around them (skin, not lesion, within RING mask pixels of a lesion
pixel), divided by the ring's lightness L*. Relative, because the colour a lesion can show
scales with the skin's lightness: melanin hides redness, and on the darkest phantom skin a
lesion differs from the skin by under 1 ΔE, on light skin by 4 or more. One limit then serves
every skin tone instead of stopping the darkest skin's lesions first. The limit is the
manifest's `familiarity.thresholds.min_lesion_contrast`, set by `python -m models calibrate`
from held-out phantom photos with a lesion (models/familiarity.py).
"""
from __future__ import annotations

import numpy as np
from PIL import Image

RING = 6             # mask pixels (long side 256): the skin "around" a lesion
MIN_RING_PIXELS = 8  # fewer skin pixels around the lesion: the contrast cannot be measured
MIN_LIGHTNESS = 1.0  # L* floor of the divisor (a black "skin" ring)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB [..., 3] → CIELAB [..., 3] (D65 white)."""
    c = rgb.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ np.array([[0.4124564, 0.2126729, 0.0193339],
                             [0.3575761, 0.7151522, 0.1191920],
                             [0.1804375, 0.0721750, 0.9503041]])
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by a (2r+1)-square, separable: numpy only."""
    out = mask.copy()
    for axis in (0, 1):
        grown = out.copy()
        for shift in range(1, radius + 1):
            grown |= _shifted(out, shift, axis) | _shifted(out, -shift, axis)
        out = grown
    return out


def _shifted(mask: np.ndarray, shift: int, axis: int) -> np.ndarray:
    out = np.zeros_like(mask)
    if axis == 0:
        if shift > 0:
            out[shift:] = mask[:-shift]
        else:
            out[:shift] = mask[-shift:]
    elif shift > 0:
        out[:, shift:] = mask[:, :-shift]
    else:
        out[:, :shift] = mask[:, -shift:]
    return out


def lesion_contrast(image: Image.Image, skin: np.ndarray, lesion: np.ndarray) -> float | None:
    """ΔE*ab between the lesion pixels and the skin ring around them over the ring's L*, on the
    mask grid; None when there is no lesion or too little skin around it to compare with."""
    if not lesion.any():
        return None
    ring = dilate(lesion, RING) & skin & ~lesion
    if int(ring.sum()) < MIN_RING_PIXELS:
        return None
    height, width = lesion.shape
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    small = np.asarray(rgb.resize((width, height), Image.Resampling.BOX))  # area means
    around = srgb_to_lab(small[ring]).mean(axis=0)
    difference = srgb_to_lab(small[lesion]).mean(axis=0) - around
    return float(np.linalg.norm(difference) / max(float(around[0]), MIN_LIGHTNESS))

"""Generated phone-like photos for inference tests and benchmarks.

A patch of beige skin (an ellipse) on a blue-grey background with red lesion discs, plus
sensor-like noise, encoded as JPEG with an optional EXIF orientation. The colours are the ones
the dev colour-rule segmenter (tests/support/devmodels.py) reads as skin and lesion, so where
the lesion *is* is known exactly, in upright pixels.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageOps

BACKGROUND = (70, 80, 100)
SKIN = (222, 180, 150)
LESION = (200, 60, 60)
# What the decoder applies for each EXIF orientation, inverted: stored = INVERSE[o](upright).
INVERSE = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_270}


def skin_photo(size=(1200, 900), skin_box=None, lesions=((0.5, 0.5, 0.08),), noise=8.0,
               seed=0) -> Image.Image:
    """Upright RGB photo; `lesions` are (cx, cy, r) as fractions of width, width, width."""
    width, height = size
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    box = skin_box or (0.1, 0.1, 0.9, 0.9)
    draw.ellipse((box[0] * width, box[1] * height, box[2] * width, box[3] * height), fill=SKIN)
    for cx, cy, r in lesions:
        radius = r * width
        draw.ellipse((cx * width - radius, cy * height - radius, cx * width + radius,
                      cy * height + radius), fill=LESION)
    return add_noise(image, noise, seed)


def add_noise(image: Image.Image, sigma: float, seed: int = 0) -> Image.Image:
    if sigma <= 0:
        return image
    rng = np.random.default_rng(seed)
    pixels = np.asarray(image, dtype=np.float32)
    pixels = pixels + rng.normal(0, sigma, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def encode(image: Image.Image, fmt: str = "JPEG", orientation: int | None = None, **params) -> bytes:
    """Encode; with `orientation`, store the pixels so that EXIF-upright shows `image`."""
    if orientation is not None:
        if INVERSE[orientation] is not None:
            image = image.transpose(INVERSE[orientation])
        exif = Image.Exif()
        exif[0x0112] = orientation
        params["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def phone_jpeg(size=(4000, 3000), target_mb=3.0, seed=0, lesions=((0.55, 0.45, 0.05),),
               base: Image.Image | None = None) -> bytes:
    """A 12 MP phone-like JPEG of about `target_mb` MB: texture and noise set the file size.

    `base` (e.g. a phantom photo) is scaled to fill `size` instead of the drawn skin patch.
    """
    width, height = size
    rng = np.random.default_rng(seed)
    if base is None:
        image = skin_photo(size, lesions=lesions, noise=0)
    else:
        image = ImageOps.fit(base.convert("RGB"), size, Image.Resampling.BICUBIC)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = (12 * np.sin(xx / 180 + seed) * np.cos(yy / 240)).astype(np.float32)
    pixels = np.asarray(image, dtype=np.float32) + shade[..., None]
    # More noise, more bytes: measured at quality 90 on this scene (MB → σ).
    sigma = float(np.interp(target_mb, [0.7, 1.3, 2.1, 3.2, 4.3, 5.2], [1.5, 3, 5, 8, 12, 15.5]))
    pixels += rng.normal(0, sigma, pixels.shape).astype(np.float32)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return encode(image, "JPEG", quality=90)

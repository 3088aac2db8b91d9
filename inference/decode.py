"""Bytes → upright RGB image at reduced scale, or a typed refusal.

A 12 MP phone JPEG is never decoded at full size: `Image.draft` asks libjpeg for a 1/2, 1/4
or 1/8 scaled decode (DCT scaling), chosen so the long side stays ≥ DECODE_LONG_SIDE. The
draft is requested in the stored orientation, *before* the EXIF transpose, because the
transpose needs pixels and would force a full decode. Every box the pipeline reports is in
pixels of the upright full-size photo (`Decoded.full_size`), mapped with `Decoded.scale`.
"""
from __future__ import annotations

import functools
import io
import math
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image

from inference.errors import (CorruptImage, FileTooLarge, ImageTooLarge, ImageTooSmall,
                              UnsupportedImage)

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
MIN_SIDE = 64
# Long side of the decoded (reduced) image: crops for the classifier are cut from it, so it is
# kept well above the classifier's input size; 960 makes 4000×3000 and 4032×3024 decode at 1/4.
DECODE_LONG_SIDE = 960
DRAFTABLE = ("JPEG", "MPO")
FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]  # JPEG also yields MPO (multi-picture phone JPEGs)
# Neutral grey behind transparent pixels, so the exposure gate judges only the photo.
MATTE = (128, 128, 128)
ORIENTATION_TAG = 0x0112
TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
             4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
             6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
             8: Image.Transpose.ROTATE_90}
# Errors Pillow raises on broken data (struct.error derives from Exception only).
BROKEN = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError, struct.error)


@functools.cache
def _register_heif() -> list[str]:
    """HEIC/AVIF are read only when pillow-heif is installed (iPhones send HEIC)."""
    try:
        import pillow_heif
    except ImportError:
        return []
    pillow_heif.register_heif_opener()
    return ["HEIF"]


@dataclass(frozen=True)
class Decoded:
    """The upright photo at reduced scale, and the size of the upright full-size photo."""

    image: Image.Image          # RGB, upright, long side about DECODE_LONG_SIDE (or less)
    full_size: tuple[int, int]  # (width, height) of the upright photo at full resolution
    format: str

    @property
    def scale(self) -> tuple[float, float]:
        """Full-size pixels per decoded pixel, (x, y)."""
        return (self.full_size[0] / self.image.width, self.full_size[1] / self.image.height)

    def to_image_box(self, box) -> tuple[float, float, float, float]:
        """A box in full-size pixels → the same box in pixels of `self.image`."""
        sx, sy = self.scale
        x0, y0, x1, y1 = box
        return (x0 / sx, y0 / sy, x1 / sx, y1 / sy)


def decode(data: bytes, long_side: int = DECODE_LONG_SIDE) -> Decoded:
    """Decode `data` into an upright RGB image whose long side is about `long_side`."""
    _check_bytes(data)
    image = _open(data)
    stored_size = image.size
    _check_size(stored_size)
    try:
        if image.format not in DRAFTABLE:
            image.load()  # PNG/WebP may keep EXIF after the pixels; read them first, strictly
        orientation = _orientation(image)
        _draft(image, long_side)
        image.load()
        rgb = _to_rgb(image)
    except BROKEN as exc:
        raise CorruptImage(f"the image data is broken or truncated ({exc})") from exc
    full_size = _upright_size(stored_size, orientation)
    rgb = _shrink(rgb, long_side)
    if orientation in TRANSPOSE:
        rgb = rgb.transpose(TRANSPOSE[orientation])
    return Decoded(image=rgb, full_size=full_size, format=image.format)


def _check_bytes(data: bytes) -> None:
    if not data:
        raise UnsupportedImage("the file is empty")
    if len(data) > MAX_BYTES:
        raise FileTooLarge(f"{len(data)} bytes; at most {MAX_BYTES} are accepted")


def _open(data: bytes) -> Image.Image:
    """Read the header only (Image.open is lazy); pixels come later, after the draft.

    Pillow may warn (DecompressionBombWarning) about a header over ~89 MP before our own
    MAX_PIXELS refusal; no warnings filter is touched here, since that is not thread-safe.
    """
    try:
        return Image.open(io.BytesIO(data), formats=FORMATS + _register_heif())
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(str(exc)) from exc
    except Image.UnidentifiedImageError as exc:
        raise UnsupportedImage("not a JPEG, PNG, WebP, GIF or HEIC image") from exc
    except BROKEN as exc:
        raise CorruptImage(f"the image header is broken ({exc})") from exc


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(f"{width}×{height} declares more than {MAX_PIXELS} pixels")
    if min(width, height) < MIN_SIDE:
        raise ImageTooSmall(f"{width}×{height}; each side needs at least {MIN_SIDE} pixels")


def _orientation(image: Image.Image) -> int:
    """EXIF orientation; for JPEG read from the APP1 header without touching pixels."""
    try:
        return int(image.getexif().get(ORIENTATION_TAG, 1))
    except (SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error):
        return 1  # a broken EXIF block must not lose the photo


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _draft(image: Image.Image, long_side: int) -> None:
    """Ask JPEG for the coarsest DCT scale that keeps the long side ≥ `long_side`.

    The request is in stored (pre-transpose) pixels; the ratio is the same either way.
    """
    if image.format not in DRAFTABLE:
        return
    width, height = image.size
    ratio = long_side / max(width, height)
    if ratio >= 1:
        return
    mode = "RGB" if image.mode in ("RGB", "YCbCr") else image.mode
    image.draft(mode, (math.ceil(width * ratio), math.ceil(height * ratio)))


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any mode Pillow gives us → 8-bit RGB, with transparency flattened onto MATTE."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _deep_grey_to_rgb(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, MATTE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def _deep_grey_to_rgb(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey: Pillow's convert would clip at 255, so scale to the range."""
    values = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
    grey = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    return Image.fromarray(grey, "L").convert("RGB")


def _shrink(image: Image.Image, long_side: int) -> Image.Image:
    """Formats without DCT scaling (PNG, WebP, GIF) arrive full size: reduce by an integer factor."""
    factor = max(image.size) // long_side
    return image.reduce(factor) if factor >= 2 else image

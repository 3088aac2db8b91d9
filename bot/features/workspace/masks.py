"""Label masks: 0 background, 1 skin, 2 lesion per pixel, at the size the photo is painted on
(its upright thumbnail, pages.WORK_PX). The browser sends the mask as a PNG whose red channel
holds the class; stored as a greyscale PNG of the same values in the patient's folder."""

import base64
import binascii
import io

import numpy as np
from PIL import Image, ImageOps

BACKGROUND, SKIN, LESION = 0, 1, 2
COLOURS = np.array([[0, 0, 0, 0], [30, 136, 229, 70], [229, 57, 53, 150]], dtype=np.uint8)  # RGBA, as label.js
DATA_URL = "data:image/png;base64,"
MAX_MASK_BYTES = 4 * 1024 * 1024


class BadMask(ValueError):
    """The mask sent is not a PNG of the photo's size holding only 0, 1 and 2."""


def work_size(photo: bytes, longest: int) -> tuple[int, int]:
    """The size the photo is shown and painted at: upright, thumbnailed as summary.thumbnail does."""
    with Image.open(io.BytesIO(photo)) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((longest, longest))
        return image.size


def from_model(masks, size) -> np.ndarray:
    """The segmenter's masks (inference Masks, or None) as classes at `size` (width, height)."""
    classes = np.zeros((size[1], size[0]), np.uint8)
    if masks is None:
        return classes
    model = np.where(masks.lesion, LESION, np.where(masks.skin, SKIN, BACKGROUND)).astype(np.uint8)
    return np.asarray(Image.fromarray(model).resize(size, Image.Resampling.NEAREST))


def png(classes: np.ndarray) -> bytes:
    """Classes as a greyscale PNG (pixel value = class)."""
    out = io.BytesIO()
    Image.fromarray(classes.astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()


def coloured(classes: np.ndarray) -> bytes:
    """Classes as a see-through colour PNG to lay over the photo (skin blue, lesion red)."""
    out = io.BytesIO()
    Image.fromarray(COLOURS[np.clip(classes, 0, 2)], mode="RGBA").save(out, format="PNG")
    return out.getvalue()


def from_browser(data_url: str, size) -> np.ndarray:
    """The painted mask from the form (a PNG data URL, class in the red channel)."""
    if not data_url.startswith(DATA_URL) or len(data_url) > MAX_MASK_BYTES:
        raise BadMask("not a PNG data URL")
    try:
        raw = base64.b64decode(data_url[len(DATA_URL):], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or image.size != tuple(size):
                raise BadMask(f"expected a {size} PNG")
            classes = np.asarray(image.convert("RGBA"))[:, :, 0].copy()
    except (binascii.Error, OSError) as error:
        raise BadMask("unreadable") from error
    if classes.max(initial=0) > LESION:
        raise BadMask("values other than 0, 1, 2")
    return classes


def read(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))

"""Label masks: 0 background, 1 skin, 2 lesion per pixel, at the size the photo is painted on
(its upright thumbnail, pages.WORK_PX). The browser sends the mask as a PNG whose red channel
holds the class; stored as a greyscale PNG of the same values in the patient's folder."""

import base64
import binascii
import io

import numpy as np
from PIL import Image

from storage import clinic_labels

BACKGROUND, SKIN, LESION = clinic_labels.BACKGROUND, clinic_labels.SKIN, clinic_labels.LESION
COLOURS = np.array([[0, 0, 0, 0], [30, 136, 229, 70], [229, 57, 53, 150]], dtype=np.uint8)  # RGBA, as label.js
DATA_URL = "data:image/png;base64,"
MAX_MASK_BYTES = 4 * 1024 * 1024
# The label form: the mask's data URL, form-encoded (+, / and = take 3 bytes each), and a few
# short fields.
MAX_FORM_BYTES = MAX_MASK_BYTES * 3 // 2 + 64 * 1024


class BadMask(ValueError):
    """The mask sent is not a PNG of the photo's size holding only 0, 1 and 2."""


# One definition of the stored format, in storage (the worker writes the model's mask too).
from storage.clinic_labels import classes_png as png  # noqa: E402,F401
from storage.clinic_labels import model_classes as from_model  # noqa: E402,F401
from storage.clinic_labels import work_size  # noqa: E402,F401


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

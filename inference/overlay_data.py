"""What an overlay is drawn from, as a few KB of JSON, so that it can be drawn later.

The bot keeps this beside the photo and draws the overlay the first time someone opens it
(bot/engine/media.py): most overlays are never opened, and drawing one at assessment time cost
about half as much CPU as the models themselves (RELIABILITY.md, issue 23). The JSON holds the
verdict, the crops, the models, the captions in the reader's language and the segmenter's masks
at their own resolution (a small PNG, one bit each for skin and lesion); the photo itself is
decoded again, by the pipeline's own decode, when the overlay is drawn. The picture drawn from
it is the one `Assessment.overlay_jpeg()` draws (same bytes: tests/test_overlay_data.py).
"""
from __future__ import annotations

import base64
import io
import json

import numpy as np
from PIL import Image

from inference.assessment import Assessment, Crop
from inference.decode import decode
from inference.segment import Masks

VERSION = 1
SKIN_BIT, LESION_BIT = 1, 2


class OverlayDataError(ValueError):
    """The stored overlay data cannot be read (damaged, or written by an unknown version)."""


def dumps(assessment: Assessment) -> bytes:
    """The overlay's drawing data for this assessment (its masks still attached)."""
    masks = assessment.masks
    data = {
        "v": VERSION,
        "quality": assessment.quality,
        "crops": [{"box": [int(v) for v in c.box], "probabilities": dict(c.probabilities)} for c in assessment.crops],
        "probabilities": dict(assessment.probabilities),
        "models": dict(assessment.models),
        "full_size": list(assessment.full_size) if assessment.full_size else None,
        "captions": assessment.captions or {},
        "masks": None if masks is None else _mask_png(masks),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def loads(raw: bytes) -> Assessment:
    """The assessment as far as the overlay needs it (no image: the caller decodes the photo)."""
    try:
        data = json.loads(raw)
        if data.get("v") != VERSION:
            raise OverlayDataError(f"overlay data version {data.get('v')!r}")
        return Assessment(
            quality=data["quality"], skin_fraction=None, lesion_fraction=None,
            crops=[Crop(box=tuple(c["box"]), probabilities=c["probabilities"]) for c in data["crops"]],
            probabilities=data["probabilities"], models=data["models"],
            full_size=tuple(data["full_size"]) if data["full_size"] else None,
            captions=data["captions"], masks=None if data["masks"] is None else _masks(data["masks"]))
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        if isinstance(error, OverlayDataError):
            raise
        raise OverlayDataError(f"overlay data unreadable: {type(error).__name__}") from error


def render_jpeg(raw: bytes, photo: bytes) -> bytes:
    """The overlay JPEG from its stored data and the photo it was made from."""
    assessment = loads(raw)
    assessment.image = decode(photo).image
    return assessment.overlay_jpeg()


def _mask_png(masks: Masks) -> str:
    bits = masks.skin.astype(np.uint8) * SKIN_BIT | masks.lesion.astype(np.uint8) * LESION_BIT
    buffer = io.BytesIO()
    Image.fromarray(bits).save(buffer, "PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _masks(encoded: str) -> Masks:
    bits = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded, validate=True))))
    return Masks(skin=(bits & SKIN_BIT).astype(bool), lesion=(bits & LESION_BIT).astype(bool))

"""Backgrounds cut from real photographs: the TRAINING part of the project's real-photo set
(models/realset/train/*.jpg). The held-out part (models/realset/heldout/) is for evaluation
only and is never read here. Only the train photos labelled `no_skin` in SOURCES.csv are
used, so a crop of one is background (0) in the mask: a real face cut in as "background"
would teach the segmenter that skin is not skin. And only those of BACKGROUND_PACKAGES, the
photos the shipped models learned with: a photo added to the set later (for the outlier
probe) must not change the pictures of every phantom seed, or a seed's test set would no
longer be the one its report measured.

The sorted file list is read once per process and decoded photos are kept in memory
(a few dozen small images); the crop, flip, scale and colour jitter come from the caller's
rng, so a render stays deterministic for its seed."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from models import realphotos

from .fields import F32
from .skin import srgb_to_linear

REALSET_TRAIN = Path(__file__).resolve().parents[1] / "realset" / "train"
BACKGROUND_PACKAGES = ("Debian opencv-doc", "imgaug (PyPI)")
_DECODED: dict[Path, Image.Image] = {}


@lru_cache(maxsize=1)
def files(folder: Path = REALSET_TRAIN) -> tuple[Path, ...]:
    """The sorted `no_skin` train photos (empty if the set is absent: the procedural scenes
    stand in)."""
    folder = Path(folder)
    if not (folder.parent / "SOURCES.csv").is_file():
        return ()
    return tuple(sorted(photo.path for photo in realphotos.photos(folder.name, folder.parent)
                        if photo.label == "no_skin" and photo.package in BACKGROUND_PACKAGES))


def _photo(path: Path) -> Image.Image:
    if path not in _DECODED:
        with Image.open(path) as im:
            _DECODED[path] = ImageOps.exif_transpose(im).convert("RGB")
    return _DECODED[path]


def crop(rng: np.random.Generator, h: int, w: int):
    """(h, w, 3) linear RGB cut from a real train photo, and its name; None if there are none."""
    paths = files()
    if not paths:
        return None, None
    path = paths[int(rng.integers(len(paths)))]
    im = _photo(path)
    aspect = w / h
    # a random window: 35-100 % of the photo's short side, the target's aspect
    side = rng.uniform(0.35, 1.0)
    ch = min(im.height, im.width / aspect) * side
    cw = ch * aspect
    x0 = rng.uniform(0, im.width - cw)
    y0 = rng.uniform(0, im.height - ch)
    out = im.resize((w, h), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
    if rng.random() < 0.5:
        out = out.transpose(Image.FLIP_LEFT_RIGHT)
    if rng.random() < 0.2:
        out = out.transpose(Image.FLIP_TOP_BOTTOM)
    a = srgb_to_linear(np.asarray(out, F32) / 255)
    # colour jitter: exposure, per-channel gain, saturation
    gain = rng.uniform(0.7, 1.25) * rng.uniform(0.9, 1.1, 3)
    lum = a.mean(axis=2, keepdims=True)
    sat = F32(rng.uniform(0.7, 1.2))
    a = (lum + (a - lum) * sat) * gain.astype(F32)
    return np.clip(a, 0, 1.5).astype(F32), path.stem

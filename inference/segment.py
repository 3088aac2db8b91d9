"""Skin and lesion masks from the segmenter (classes background, skin, lesion).

The reduced photo is resized to the manifest's input size and the per-pixel argmax is mapped
back onto a mask grid with the photo's own aspect ratio (long side = the model's long side),
so that windows chosen on the grid are square in the photo.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from inference.preprocess import to_input

SKIN, LESION = 1, 2


@dataclass(frozen=True)
class Masks:
    skin: np.ndarray    # bool [H, W], includes lesion pixels (a lesion is skin)
    lesion: np.ndarray  # bool [H, W]

    @property
    def shape(self) -> tuple[int, int]:
        return self.skin.shape

    @property
    def skin_fraction(self) -> float:
        return float(self.skin.mean())

    @property
    def lesion_fraction(self) -> float:
        return float(self.lesion.mean())


def model_input(image: Image.Image, spec) -> np.ndarray:
    height, width = spec.input_size
    resized = image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return to_input(np.asarray(resized), spec.mean, spec.std)


def class_map(session, spec, image: Image.Image) -> np.ndarray:
    logits = session.run(None, {spec.input_name: model_input(image, spec)})[0]
    return logits[0].argmax(axis=0).astype(np.uint8)


def grid_size(photo_size: tuple[int, int], spec) -> tuple[int, int]:
    """(width, height) of the mask grid: the photo's aspect, long side = the model's long side."""
    long_side = max(spec.input_size)
    width, height = photo_size
    ratio = long_side / max(width, height)
    return (max(1, round(width * ratio)), max(1, round(height * ratio)))


def masks_from_classes(classes: np.ndarray, grid: tuple[int, int]) -> Masks:
    resized = np.asarray(Image.fromarray(classes).resize(grid, Image.Resampling.NEAREST))
    lesion = resized == LESION
    return Masks(skin=(resized == SKIN) | lesion, lesion=lesion)


def segment(session, spec, image: Image.Image) -> Masks:
    return masks_from_classes(class_map(session, spec, image), grid_size(image.size, spec))

"""Draw the held-out real photos through the shipped pipeline, as the patient's overlay shows them.

    python -m models overlays [--models models] [--out models/card/real_overlays.jpg]

One tile per photo of the held-out part of models/realset (the photo as shipped, no variant),
with the overlay the bot draws: skin tint, lesion outline and hatch, crops, and the verdict
(English footer). A sheet to look at: the counts are in EVALUATION.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from inference import Pipeline, overlay
from inference.errors import InferenceError
from models import realphotos

TILE = 420  # each overlay fits in a TILE × TILE cell (the footer included)
COLUMNS = 6
SMALLEST = 360  # smaller photos are enlarged for drawing only, so their footer stays legible


def tiles(pipeline: Pipeline, photos) -> list[Image.Image]:
    out = []
    for photo in photos:
        image = Image.open(photo.path).convert("RGB")
        if max(image.size) < SMALLEST:
            factor = SMALLEST / max(image.size)
            image = image.resize((round(image.width * factor), round(image.height * factor)),
                                 Image.Resampling.LANCZOS)
        try:
            picture = overlay.render(image, pipeline.assess(photo.read()))
        except InferenceError as error:  # a photo the decoder refuses is drawn as it is
            picture = _labelled(image, f"refused: {type(error).__name__}")
        picture.thumbnail((TILE, TILE - 16))
        out.append(_labelled(picture, f"{photo.id} ({photo.label})"))
    return out


def _labelled(picture: Image.Image, text: str) -> Image.Image:
    framed = Image.new("RGB", (picture.width, picture.height + 16), "white")
    framed.paste(picture, (0, 16))
    ImageDraw.Draw(framed).text((2, 2), text, fill="black", font=overlay.font(12))
    return framed


def sheet(pictures: list[Image.Image]) -> Image.Image:
    rows = (len(pictures) + COLUMNS - 1) // COLUMNS
    canvas = Image.new("RGB", (COLUMNS * TILE, rows * TILE), "white")
    for i, picture in enumerate(pictures):
        canvas.paste(picture, ((i % COLUMNS) * TILE, (i // COLUMNS) * TILE))
    return canvas


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models overlays", description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--out", type=Path, default=Path("models/card/real_overlays.jpg"))
    args = parser.parse_args(argv)
    pipeline = Pipeline.from_dir(args.models)
    photos = sorted(realphotos.photos("heldout"), key=lambda p: (p.label, p.id))
    sheet(tiles(pipeline, photos)).save(args.out, quality=85)
    print(f"wrote {args.out} ({len(photos)} held-out real photos)")
    return 0

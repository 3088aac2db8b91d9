"""`python -m models phantom --out DIR --n N --seed S [--workers W]` and
`--contact-sheet PNG` (a grid: each photo above its colourised mask)."""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

from .dataset import write_dataset
from .render import DISTANCES, LABELS, render

MASK_COLOURS = np.array([[30, 30, 30], [225, 190, 150], [220, 40, 60]], np.uint8)
SHEET_TONES = (2, 8)


def colourise(mask: np.ndarray) -> np.ndarray:
    return MASK_COLOURS[mask]


def contact_sheet(path, seed: int = 0, thumb: int = 200, tones=SHEET_TONES) -> Image.Image:
    """Classes down the rows, distance x tone across the columns."""
    cols = [(d, t) for d in DISTANCES for t in tones]
    cap = 16
    sheet = Image.new("RGB", (len(cols) * (thumb + 4) + 4, len(LABELS) * (2 * thumb + cap + 6) + 4), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for r, label in enumerate(LABELS):
        for c, (distance, tone) in enumerate(cols):
            s = render(seed * 1000 + r * 37 + c, label, distance, tone=tone)
            x = 4 + c * (thumb + 4)
            y = 4 + r * (2 * thumb + cap + 6)
            sheet.paste(_thumb(s.image, thumb), (x, y))
            sheet.paste(_thumb(colourise(s.mask), thumb, Image.NEAREST), (x, y + thumb))
            draw.text((x + 2, y + 2 * thumb + 2), f"{label} {distance} Monk {tone} {s.meta['body_part']}", fill=(0, 0, 0))
    sheet.save(path, optimize=True)
    return sheet


def _thumb(a, size, resample=Image.LANCZOS):
    im = Image.fromarray(a)
    im.thumbnail((size, size), resample)
    tile = Image.new("RGB", (size, size), (255, 255, 255))
    tile.paste(im, ((size - im.width) // 2, (size - im.height) // 2))
    return tile


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m models phantom", description="Write a phantom data set.")
    p.add_argument("--out", help="output folder (images/, masks/, labels.csv, meta.jsonl)")
    p.add_argument("--n", type=int, default=120, help="number of images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--contact-sheet", metavar="PNG", help="draw a contact sheet instead")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    t0 = time.perf_counter()
    if args.contact_sheet:
        contact_sheet(args.contact_sheet, args.seed)
        print(f"contact sheet -> {args.contact_sheet} ({time.perf_counter() - t0:.1f} s)")
        return 0
    if not args.out:
        parser().error("--out is required (or --contact-sheet)")
    write_dataset(args.out, args.n, args.seed, workers=args.workers)
    dt = time.perf_counter() - t0
    print(f"{args.n} phantom images -> {args.out} ({dt:.1f} s, {dt / max(args.n, 1):.3f} s/image)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

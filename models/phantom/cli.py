"""`python -m models phantom --out DIR --n N --seed S [--workers W]` and
`--contact-sheet PNG` (a grid: each photo above its colourised mask)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from . import realbg
from .dataset import write_dataset
from .render import DISTANCES, HEALTHY, LABELS, NO_SKIN, render

MASK_COLOURS = np.array([[30, 30, 30], [225, 190, 150], [220, 40, 60]], np.uint8)
SHEET_TONES = (2, 8)


def colourise(mask: np.ndarray) -> np.ndarray:
    return MASK_COLOURS[mask]


def _find(seed: int, label: str, distance: str, tone: int, want, tries: int = 40):
    """The first render from `seed` on whose meta satisfies `want` (e.g. a face on a real scene)."""
    for i in range(tries):
        s = render(seed + i, label, distance, tone=tone)
        if want(s.meta):
            return s
    return s


def _real(meta):
    return any(str(b).startswith("real:") for b in meta["background"])


def contact_sheet(path, seed: int = 0, thumb: int = 200, tones=SHEET_TONES) -> Image.Image:
    """Lesion classes, healthy skin and no-skin scenes down the rows, distance x tone across;
    the healthy rows show faces and hands, long shots on real backgrounds among them."""
    cols = [(d, t) for d in DISTANCES for t in tones]
    rows = [(label, None) for label in LABELS] + [
        (HEALTHY, lambda m: m["body_part"] == "face"), (HEALTHY, lambda m: m["body_part"] == "hand"),
        (HEALTHY, lambda m: m["body_part"] in ("forearm", "leg") and _real(m)), (NO_SKIN, None)]
    cap = 16
    sheet = Image.new("RGB", (len(cols) * (thumb + 4) + 4, len(rows) * (2 * thumb + cap + 6) + 4), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for r, (label, want) in enumerate(rows):
        for c, (distance, tone) in enumerate(cols):
            base = seed * 1000 + r * 37 + c
            s = render(base, label, distance, tone=tone) if want is None else _find(base * 50, label, distance, tone, want)
            x = 4 + c * (thumb + 4)
            y = 4 + r * (2 * thumb + cap + 6)
            sheet.paste(_thumb(s.image, thumb), (x, y))
            sheet.paste(_thumb(colourise(s.mask), thumb, Image.NEAREST), (x, y + thumb))
            where = "real" if _real(s.meta) else "room"
            draw.text((x + 2, y + 2 * thumb + 2), f"{label} {distance} M{tone} {s.meta['body_part'] or '-'} {where}", fill=(0, 0, 0))
    sheet.save(path, optimize=True)
    return sheet


def phantom_vs_real(path, seed: int = 0, thumb: int = 220, n_real: int = 4) -> Image.Image:
    """Top row: real photos from models/realset/train (never the held-out part); rows below:
    phantom photos (healthy face, hand, hairy forearm, a lesion, a no-skin scene)."""
    reals = realbg.files()
    picks = [reals[i] for i in np.linspace(0, len(reals) - 1, n_real).astype(int)] if reals else []
    phantoms = [
        _find(seed * 100 + 1, HEALTHY, "long", 3, lambda m: m["body_part"] == "face" and _real(m)),
        _find(seed * 100 + 2, HEALTHY, "medium", 6, lambda m: m["body_part"] == "hand"),
        _find(seed * 100 + 3, HEALTHY, "close", 2, lambda m: m["body_part"] == "forearm"),
        _find(seed * 100 + 4, HEALTHY, "medium", 8, lambda m: m["body_part"] == "face"),
        _find(seed * 100 + 5, HEALTHY, "long", 5, lambda m: m["body_part"] == "hand" and _real(m)),
        _find(seed * 100 + 6, "AD", "medium", 4, lambda m: True),
        _find(seed * 100 + 7, "IM", "long", 7, lambda m: m["body_part"] == "face"),
        _find(seed * 100 + 8, NO_SKIN, "medium", 5, _real),
    ]
    cols = 4
    cap = 14
    rows = 1 + (len(phantoms) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (thumb + 4) + 4, rows * (thumb + cap + 4) + 4), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    tiles = [(np.asarray(Image.open(p).convert("RGB")), f"REAL {p.stem}") for p in picks]
    tiles += [None] * (cols - len(tiles))
    tiles += [(s.image, f"phantom {s.label} {s.meta['body_part'] or 'no skin'}") for s in phantoms]
    for i, tile in enumerate(tiles):
        if tile is None:
            continue
        x, y = 4 + (i % cols) * (thumb + 4), 4 + (i // cols) * (thumb + cap + 4)
        sheet.paste(_thumb(tile[0], thumb), (x, y))
        draw.text((x + 2, y + thumb + 1), tile[1], fill=(0, 0, 0))
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
    p.add_argument("--vs-real", metavar="PNG", help="with --contact-sheet: also draw phantom photos "
                   "beside real train photos (default: phantom_vs_real.png beside the sheet)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    t0 = time.perf_counter()
    if args.contact_sheet:
        contact_sheet(args.contact_sheet, args.seed)
        vs = args.vs_real or str(Path(args.contact_sheet).with_name("phantom_vs_real.png"))
        phantom_vs_real(vs, args.seed)
        print(f"contact sheets -> {args.contact_sheet}, {vs} ({time.perf_counter() - t0:.1f} s)")
        return 0
    if not args.out:
        parser().error("--out is required (or --contact-sheet)")
    write_dataset(args.out, args.n, args.seed, workers=args.workers)
    dt = time.perf_counter() - t0
    print(f"{args.n} phantom images -> {args.out} ({dt:.1f} s, {dt / max(args.n, 1):.3f} s/image)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

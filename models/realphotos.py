"""The project's real-photo check set (models/realset): real photographs, never synthetic.

Photos shipped inside packages (SOURCES.csv: package, version, path, licence), labelled by hand
`no_skin`, `healthy_skin` or `rash`, and split **by source package** into `train` (phantom
backgrounds, calibration of the `unfamiliar` verdict) and `heldout` (evaluation only). Each photo
also yields transformed variants for evaluation: crops, white balance, JPEG quality and scale,
drawn from a seed so a report can be reproduced.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REALSET = Path(__file__).resolve().parent / "realset"
PARTS = ("train", "heldout")
LABELS = ("no_skin", "healthy_skin", "rash")


class RealSetError(ValueError):
    """SOURCES.csv and the folder disagree (a photo missing, an unknown label or part)."""


@dataclass(frozen=True)
class RealPhoto:
    id: str
    part: str
    label: str
    package: str
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()


def photos(part: str | None = None, root: Path = REALSET) -> list[RealPhoto]:
    """Every photo of the set (or of one part), in SOURCES.csv order."""
    found = []
    with open(root / "SOURCES.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["part"] not in PARTS or row["label"] not in LABELS:
                raise RealSetError(f"{row['id']}: part {row['part']!r} or label {row['label']!r}")
            path = root / row["part"] / f"{row['id']}.jpg"
            if not path.is_file():
                raise RealSetError(f"{row['id']}: {path} missing")
            if part in (None, row["part"]):
                found.append(RealPhoto(row["id"], row["part"], row["label"], row["package"], path))
    return found


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _crop(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    side = rng.uniform(0.4, 0.8)
    w, h = image.size
    cw, ch = int(w * side), int(h * side)
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return image.crop((x0, y0, x0 + cw, y0 + ch))


def _white_balance(image: Image.Image, gains) -> Image.Image:
    rgb = np.asarray(image, dtype=np.float32) * np.asarray(gains, dtype=np.float32)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _scale(image: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


WHITE_BALANCE = {"warm": (1.10, 1.0, 0.90), "cool": (0.90, 1.0, 1.10), "green": (0.95, 1.08, 0.95)}


def variants(photo: RealPhoto, seed: int = 0, crops: int = 3) -> list[tuple[str, bytes]]:
    """(name, JPEG bytes): the photo itself, `crops` random crops, three white balances, JPEG
    quality 30 and 60, and scale ×0.5 and ×2 (small package photos then pass the size gate)."""
    image = Image.open(photo.path).convert("RGB")
    rng = np.random.default_rng([seed, sum(photo.id.encode())])
    out = [("original", photo.read())]
    out += [(f"crop{i}", _jpeg(_crop(image, rng))) for i in range(crops)]
    out += [(f"wb_{name}", _jpeg(_white_balance(image, gains))) for name, gains in WHITE_BALANCE.items()]
    out += [(f"jpeg{q}", _jpeg(image, q)) for q in (30, 60)]
    out += [(f"scale{f:g}", _jpeg(_scale(image, f))) for f in (0.5, 2.0)]
    return out

"""A tiny phantom "clinic" folder in the layout a clinic's export writes (images/, masks/,
labels.csv with a `patient` column), for tests and for trying `python -m models validate`
and `python -m models train --data` without a clinic.

Phantoms only: no number measured on it is clinical accuracy, and meta.jsonl marks it as
synthetic so that reports say so and a sign-off is refused. The phantom draws no "other"
condition: `other` rows are healthy-skin phantoms, `unusable` rows dark, blurred phantoms;
they exercise the bookkeeping of those labels, not the models.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter

from models.clinic_labels import CLASSES, HEALTHY, OTHER, PATIENT, UNUSABLE
from models.phantom.dataset import sample_seed
from models.phantom.render import render

DISTANCES = ("close", "medium")


def _photo(seed: int, label: str, distance: str, max_side: int):
    """(jpeg bytes, mask image) of one phantom, shrunk to max_side."""
    phantom = render(seed, HEALTHY if label in (OTHER, UNUSABLE) else label, distance)
    image = Image.open(io.BytesIO(phantom.jpeg)).convert("RGB")
    scale = max_side / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    image = image.resize(size, Image.BILINEAR)
    if label == UNUSABLE:  # what a clinician cannot judge: dark and out of focus
        image = ImageEnhance.Brightness(image.filter(ImageFilter.GaussianBlur(6))).enhance(0.08)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue(), Image.fromarray(phantom.mask).resize(size, Image.NEAREST)


def write_clinic_set(out_dir, patients_per_class: int = 2, photos_per_patient: int = 1,
                     extra=(HEALTHY, OTHER, UNUSABLE), seed: int = 11, max_side: int = 480) -> Path:
    """patients_per_class patients of each of AD, IM, HI, MF (photos_per_patient photos each)
    and one patient for each label in `extra`; patient ids are random-looking, as an
    export's are."""
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    people = [(label, n) for label in CLASSES for n in range(patients_per_class)]
    people += [(label, 0) for label in extra]
    rows, meta = [], []
    for number, (label, _) in enumerate(people):
        patient = f"p{sample_seed(seed, number) % 16**8:08x}"
        for shot in range(photos_per_patient):
            index = number * photos_per_patient + shot
            photo_seed, distance = sample_seed(seed + 1, index), DISTANCES[index % len(DISTANCES)]
            jpeg, mask = _photo(photo_seed, label, distance, max_side)
            photo_id = f"c{index:04d}"
            (out / "images" / f"{photo_id}.jpg").write_bytes(jpeg)
            mask.save(out / "masks" / f"{photo_id}.png")
            rows.append((photo_id, label, patient))
            meta.append({"id": photo_id, "phantom_seed": photo_seed, "label": label,
                         "phantom_distance": distance})
    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label", PATIENT])
        writer.writerows(rows)
    (out / "meta.jsonl").write_text("".join(json.dumps(m) + "\n" for m in meta), encoding="utf-8")
    return out

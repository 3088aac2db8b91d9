"""`python -m models dataset export --out DIR [--clinic ID]` and `dataset purge-withdrawn DIR`.

export: the clinic's labelled photos of patients who agreed to research use (storage.clinic_labels)
→ the folder layout `python -m models train --data DIR` reads (models/data.py):

    DIR/images/<id>.jpg   the photo, upright, re-encoded: no EXIF or other metadata
    DIR/masks/<id>.png    the clinician's mask (0 background, 1 skin, 2 lesion) at the photo's size
    DIR/labels.csv        id,label,patient — label as the clinicians agreed (models/clinic_labels.py),
                          patient a random id per patient, the same within one export, so that
                          splits keep a patient's photos on one side
    DIR/export.json       which photos this export holds (also recorded in the database) and
                          the model version that answered each (`model_versions`: id -> version)

Ids are random; no LINE id, date or clinic note leaves the database. The folder and its files
are the owner's only (0700/0600), like the photos they came from.

purge-withdrawn: removes from an export folder every photo whose patient has since withdrawn
research consent, withdrawn consent to records, or deleted their data.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import secrets
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from bot.settings import Settings, from_env
from storage import audit, clinic_labels, datasets, files
from storage.db import now_iso, open_db
from storage.research import mask_file

MANIFEST = "export.json"
PHOTO_FILE = "photo-{ref}.jpg"  # as bot/engine/media.py names a stored photo


class ExportFolderNotEmpty(FileExistsError):
    """`--out` names a folder with files in it: an export never mixes with other photos."""


class NotAnExport(FileNotFoundError):
    """The folder has no export.json: it was not written by `dataset export`."""


def _settings() -> Settings:
    return Settings(**from_env())


def export(db, files_dir, out: Path, now, clinic_id=None) -> dict:
    """Write the export; returns its manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ExportFolderNotEmpty(str(out))
    for folder in (out / "images", out / "masks"):
        files.private_mkdir(folder)
    patients: dict[str, str] = {}
    rows, items, made_by = [], [], {}
    for photo in clinic_labels.for_export(db, clinic_id):
        source = files.user_dir(files_dir, photo["user_id"]) / PHOTO_FILE.format(ref=photo["photo_ref"])
        if not source.is_file():
            continue
        item_id = secrets.token_hex(8)
        size = _write_image(source, out / "images" / f"{item_id}.jpg")
        mask = files.user_dir(files_dir, photo["user_id"]) / mask_file(photo["mask_ref"] or "-")
        if photo["mask_ref"] and mask.is_file():
            _write_mask(mask, size, out / "masks" / f"{item_id}.png")
        patient = patients.setdefault(photo["user_id"], "p" + secrets.token_hex(6))
        (diagnosis,) = photo["diagnoses"]
        rows.append({"id": item_id, "label": diagnosis, "patient": patient})
        items.append((item_id, photo["user_id"], photo["assessment_id"]))
        made_by[item_id] = photo["model_version"]
    _write_labels(out, rows)
    export_id = datasets.record(db, now, clinic_id, items)
    manifest = {"export_id": export_id, "made_at": now_iso(now), "clinic": clinic_id,
                "photos": [row["id"] for row in rows], "patients": len(patients),
                "model_versions": made_by}
    files.write_private(out / MANIFEST, json.dumps(manifest, indent=2).encode())
    audit.add(db, now, audit.EXPORT, export_id, clinic_id=clinic_id)
    return manifest


def _write_image(source: Path, target: Path) -> tuple[int, int]:
    """Upright RGB, re-encoded without any metadata (EXIF: camera, time, place)."""
    with Image.open(source) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=95)
    files.write_private(target, out.getvalue())
    return upright.size


def _write_mask(source: Path, size, target: Path):
    """The mask was painted on the photo's thumbnail: scale it to the photo, classes kept."""
    with Image.open(source) as mask:
        classes = mask.convert("L").resize(size, Image.Resampling.NEAREST)
    out = io.BytesIO()
    Image.fromarray(np.asarray(classes, np.uint8), mode="L").save(out, format="PNG")
    files.write_private(target, out.getvalue())


def _write_labels(out: Path, rows: list[dict]):
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=["id", "label", "patient"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    files.write_private(out / "labels.csv", text.getvalue().encode())


def purge_withdrawn(db, folder: Path) -> list[str]:
    """Remove photos whose patients no longer agree; returns the ids removed."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise NotAnExport(str(folder / MANIFEST))
    manifest = json.loads((folder / MANIFEST).read_text())
    keep = datasets.still_consented(db, manifest["export_id"])
    gone = [item for item in manifest["photos"] if item not in keep]
    for item in gone:
        for path in [*(folder / "images").glob(f"{item}.*"), folder / "masks" / f"{item}.png"]:
            path.unlink(missing_ok=True)
    with open(folder / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["id"] not in gone]
    _write_labels(folder, rows)
    manifest["photos"] = [item for item in manifest["photos"] if item in keep]
    if "model_versions" in manifest:
        manifest["model_versions"] = {k: v for k, v in manifest["model_versions"].items() if k in keep}
    files.write_private(folder / MANIFEST, json.dumps(manifest, indent=2).encode())
    return gone


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models dataset")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("export", help="labelled, research-consented clinic photos -> a training folder")
    made.add_argument("--out", type=Path, required=True)
    made.add_argument("--clinic", default=None, help="only this clinic's labels (default: every clinic's)")
    purge = commands.add_parser("purge-withdrawn", help="remove withdrawn patients' photos from an export")
    purge.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    settings = _settings()
    db = open_db(settings.database)
    try:
        if args.command == "export":
            manifest = export(db, settings.files_dir, args.out, datetime.now(timezone.utc), args.clinic)
            print(f"exported {len(manifest['photos'])} photos of {manifest['patients']} patients to {args.out} "
                  f"({manifest['export_id']})")
        else:
            gone = purge_withdrawn(db, args.folder)
            print(f"removed {len(gone)} photos of withdrawn patients from {args.folder}")
    except (ExportFolderNotEmpty, NotAnExport) as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

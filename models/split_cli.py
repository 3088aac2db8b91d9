"""python -m models split --data EXPORT --out DIR [--test-fraction 0.2] [--calib-fraction 0.1] [--seed 1]

Holds out patients: DIR/train, DIR/calib and DIR/test, each in the layout `python -m models
train --data` reads (images/, masks/, labels.csv with every column kept), every patient's
photos in one of them (`models.data.split_by_patient`, seeded). Train on DIR/train; set the
`unfamiliar` limits with `python -m models calibrate --train DIR/train --heldout DIR/calib`
(patients the models never saw, and not the test patients: limits chosen on the test part
would flatter its numbers); run `python -m models validate --data DIR/test` last. After
`dataset purge-withdrawn EXPORT`, split again (the files are copies).
"""
from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

from models import data

PARTS = ("train", "calib", "test")


class OutputNotEmpty(FileExistsError):
    """--out names a folder with files in it: a split never mixes with other photos."""


def _rows(folder: Path) -> tuple[list[str], dict[str, dict]]:
    with open(folder / "labels.csv", newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        return list(reader.fieldnames or []), {row["id"].strip(): row for row in reader}


def write_part(source: Path, target: Path, items: list[data.Item]) -> None:
    header, rows = _rows(source)
    (target / "images").mkdir(parents=True)
    (target / "masks").mkdir()
    for item in items:
        shutil.copyfile(item.image, target / "images" / item.image.name)
        if item.mask is not None:
            shutil.copyfile(item.mask, target / "masks" / item.mask.name)
    with open(target / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows[item.id] for item in items)


def split(source: Path, out: Path, test_fraction: float, seed: int,
          calib_fraction: float = 0.1) -> dict[str, list[data.Item]]:
    items = data.read_items(source)
    if not all(item.patient for item in items):
        raise data.DatasetError(f"{source / 'labels.csv'}: needs a patient column to hold out "
                                "patients")
    if out.exists() and any(out.iterdir()):
        raise OutputNotEmpty(str(out))
    fractions = (1 - test_fraction - calib_fraction, calib_fraction, test_fraction)
    if min(fractions) < 0 or fractions[0] <= 0:
        raise data.DatasetError(f"--test-fraction {test_fraction} and --calib-fraction {calib_fraction} "
                                "leave no patients to train on")
    parts = dict(zip(PARTS, data.split_by_patient(items, fractions, seed)))
    for name, part in parts.items():
        write_part(source, out / name, part)
    return parts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models split", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="an export folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--test-fraction", type=float, default=0.2, help="share of the patients")
    parser.add_argument("--calib-fraction", type=float, default=0.1,
                        help="share of the patients for `calibrate --heldout` (the unfamiliar limits)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        parts = split(args.data, args.out, args.test_fraction, args.seed, args.calib_fraction)
    except (data.DatasetError, OutputNotEmpty) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, part in parts.items():
        print(f"{args.out / name}: {len(part)} photos of {len({i.patient for i in part})} patients")
    if not parts["calib"]:
        print(f"note: {args.out / 'calib'} holds no patient; raise --calib-fraction before "
              "calibrating on it", file=sys.stderr)
    return 0

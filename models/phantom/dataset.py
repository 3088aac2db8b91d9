"""Write a phantom data set in the layout of docs/ARCHITECTURE.md:
images/<id>.jpg, masks/<id>.png, labels.csv (id,label,distance,tone), meta.jsonl."""
from __future__ import annotations

import csv
import json
import multiprocessing as mp
from pathlib import Path

import numpy as np
from PIL import Image

from .render import DISTANCES, HEALTHY, LABELS, NO_SKIN, render

LESION_CELLS = [(lab, dist) for dist in DISTANCES for lab in LABELS]
# One cycle of 36: every class x distance twice (24 lesion photos, 2/3), 9 healthy (25 %, three
# per distance) and 3 with no skin (8.3 %), interleaved in blocks of 12 (8 lesion, 3 healthy,
# 1 background) so that any run of a dozen or more photos keeps the mix.
_BLOCK = "LHLLHLBLLHLL"


def _cells():
    lesion = iter(LESION_CELLS * 2)
    healthy = iter([(HEALTHY, d) for d in DISTANCES] * 3)
    empty = iter([(NO_SKIN, d) for d in DISTANCES])
    pick = {"L": lesion, "H": healthy, "B": empty}
    return [next(pick[c]) for c in _BLOCK * 3]


CELLS = _cells()


def sample_seed(seed: int, index: int) -> int:
    """Independent per-image seed, so sets made with different seeds never overlap."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def image_id(index: int) -> str:
    return f"ph{index:06d}"


def _job(args):
    out_dir, seed, index, balanced = args
    label, distance = CELLS[index % len(CELLS)] if balanced else (None, None)
    s = render(sample_seed(seed, index), label, distance)
    iid = image_id(index)
    (out_dir / "images" / f"{iid}.jpg").write_bytes(s.jpeg)
    Image.fromarray(s.mask).save(out_dir / "masks" / f"{iid}.png", optimize=False, compress_level=1)
    meta = {"id": iid, **s.meta}
    return iid, s.label, s.meta["distance"], s.meta["tone"], meta


def write_dataset(out_dir, n: int, seed: int, workers: int = 1, balanced: bool = True) -> Path:
    """Render n samples into out_dir; balanced=True cycles class x distance cells."""
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    (out_dir / "masks").mkdir(parents=True, exist_ok=True)
    jobs = [(out_dir, int(seed), i, balanced) for i in range(int(n))]
    if workers > 1 and n > 1:
        with mp.get_context("spawn").Pool(workers) as pool:
            rows = pool.map(_job, jobs, chunksize=max(1, min(16, n // (workers * 4) or 1)))
    else:
        rows = [_job(j) for j in jobs]
    with open(out_dir / "labels.csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["id", "label", "distance", "tone"])
        for iid, label, distance, tone, _ in rows:
            wr.writerow([iid, label, distance, tone])
    with open(out_dir / "meta.jsonl", "w") as f:
        for *_, meta in rows:
            f.write(json.dumps(meta) + "\n")
    return out_dir

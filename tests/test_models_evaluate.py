"""`python -m models evaluate` on a folder of the user's own photos (no phantom meta.jsonl).

Runs the real evaluation with the committed models (onnxruntime only, no torch) and reads the
report it writes to tmp_path; models/EVALUATION.md is never touched.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from models import evaluate_cli

COMMITTED = Path(__file__).resolve().parents[1] / "models"
pytestmark = pytest.mark.skipif(not (COMMITTED / "manifest.json").is_file(),
                                reason="needs the committed models")


def photo_folder(root: Path, synthetic: bool) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rows = ["id,label"]
    for i, (label, size) in enumerate([("AD", (420, 300)), ("IM", (300, 500))]):
        image = Image.new("RGB", size, (205, 160, 130))
        mask = Image.new("L", size, 1)
        box = (size[0] // 3, size[1] // 3, size[0] // 2, size[1] // 2)
        ImageDraw.Draw(image).ellipse(box, fill=(190, 50, 50))
        ImageDraw.Draw(mask).ellipse(box, fill=2)
        image.save(root / "images" / f"photo {i}.png")
        mask.save(root / "masks" / f"photo {i}.png")
        rows.append(f"photo {i},{label}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    if synthetic:
        (root / "meta.jsonl").write_text("")
    return root


@pytest.mark.parametrize("synthetic, says, never", [
    (False, "(not a phantom set)", ["Synthetic images only", "python -m models phantom"]),
    (True, "**Synthetic images only.**", ["(not a phantom set)"]),
])
def test_report_says_what_the_photos_are(tmp_path, synthetic, says, never):
    data_dir = photo_folder(tmp_path / "set", synthetic)
    report = tmp_path / "EVALUATION.md"
    assert evaluate_cli.main(["--data", str(data_dir), "--models", str(COMMITTED), "--report",
                          str(report), "--card", str(tmp_path / "card"), "--no-spot-check",
                          "--real-photos", "1"]) == 0
    text = report.read_text(encoding="utf-8")
    assert says in text and f"python -m models evaluate --data {data_dir}" in text
    for phrase in never:
        assert phrase not in text
    assert "| (c) automatic crops | all | 2 |" in text
    # the first held-out real photo (an astronaut's portrait) and its 10 variants
    assert "## Real photographs (held-out part of models/realset)" in text
    assert "| healthy_skin | 11 (1) |" in text


def test_a_real_photo_the_decoder_refuses_counts_as_refused_and_the_rest_still_run(tmp_path):
    """A 100-pixel real photo: its half-size variant and small crops are below the decoder's
    64 pixels (ImageTooSmall); the evaluation counts it as refused by the photo gate, names nothing,
    and goes on with the other variants instead of stopping."""
    from inference import Pipeline
    from models import evaluate, realphotos
    (face,) = [p for p in realphotos.photos("heldout") if p.id == "mpl_grace_hopper"]
    (tmp_path / "heldout").mkdir()
    small = Image.open(face.path).convert("RGB")
    small.thumbnail((100, 100))
    small.save(tmp_path / "heldout" / "tiny.jpg")
    (tmp_path / "SOURCES.csv").write_text(
        "id,part,label,package,version,path,licence\n"
        "tiny,heldout,healthy_skin,matplotlib (PyPI),3.11.2,grace_hopper.jpg,public domain\n")
    table = evaluate.real_photos(Pipeline.from_dir(COMMITTED), root=tmp_path)
    counts = table["healthy_skin"]
    assert counts["photos"] == len(realphotos.variants(realphotos.photos("heldout", tmp_path)[0]))
    assert counts["verdicts"].get("ImageTooSmall", 0) >= 1  # half size, and small crops
    assert sum(counts["verdicts"].values()) == counts["photos"]
    assert set(counts["verdicts"]) - {"ImageTooSmall"}  # the others were assessed
    assert counts["outcomes"]["refused (photo gate)"] >= counts["verdicts"]["ImageTooSmall"]
    assert counts["top"] == {}


def test_the_real_overlay_sheet_draws_every_held_out_photo(tmp_path):
    """`python -m models overlays`: one tile per held-out real photo, small ones included."""
    from models import real_overlays, realphotos
    out = tmp_path / "sheet.jpg"
    assert real_overlays.main(["--models", str(COMMITTED), "--out", str(out)]) == 0
    count = len(realphotos.photos("heldout"))
    rows = -(-count // real_overlays.COLUMNS)
    assert Image.open(out).size == (real_overlays.COLUMNS * real_overlays.TILE, rows * real_overlays.TILE)
    # the last row is filled only as far as the photos go: its right end stays white
    last = np.asarray(Image.open(out).convert("L"))[-real_overlays.TILE:, -20:]
    assert count % real_overlays.COLUMNS == 0 or last.min() > 240

"""Labelled photos without a hand-drawn mask: the classifier trains and is evaluated on the crops
the shipped segmenter chooses (the AD-AI paper's automatic crops); the segmenter needs masks.

A clinic-like folder (no meta.jsonl) of phantom photos, some masks dropped. Uses the committed
models as the crop segmenter; checkpoints and reports go to tmp_path only.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

torch = pytest.importorskip("torch", reason="training needs requirements-train.txt")

from models import data, evaluate, evaluate_cli, train  # noqa: E402
from models.phantom.render import render  # noqa: E402

COMMITTED = Path(__file__).resolve().parents[1] / "models"
pytestmark = pytest.mark.skipif(not (COMMITTED / "manifest.json").is_file(),
                                reason="needs the committed models")
PHOTOS = [(21, "AD", "close"), (22, "IM", "medium"), (23, "HI", "close"), (24, "MF", "medium"),
          (25, "AD", "long"), (26, "IM", "close")]
UNMASKED = {"p25", "p26"}
TINY = ["--cls-steps", "2", "--cls-batch", "4", "--seg-steps", "2", "--seg-batch", "2",
        "--log-every", "1", "--threads", "2", "--crop-segmenter", str(COMMITTED)]


def clinic_folder(root: Path, without_mask: set[str]) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rows = ["id,label,distance"]
    for seed, label, distance in PHOTOS:
        sample = render(seed, label, distance)
        (root / "images" / f"p{seed}.jpg").write_bytes(sample.jpeg)
        if f"p{seed}" not in without_mask:
            Image.fromarray(sample.mask).save(root / "masks" / f"p{seed}.png")
        rows.append(f"p{seed},{label},{distance}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def partly_masked(tmp_path_factory):
    return clinic_folder(tmp_path_factory.mktemp("partly"), UNMASKED)


@pytest.fixture(scope="module")
def unmasked(tmp_path_factory):
    return clinic_folder(tmp_path_factory.mktemp("none"), {f"p{seed}" for seed, _, _ in PHOTOS})


def test_unmasked_photos_give_the_classifier_crops_chosen_on_predicted_masks(partly_masked):
    recipe = train.RECIPES["classifier"]
    items = data.read_items(partly_masked)
    masked = [item for item in items if item.mask is not None]
    assert {item.id for item in items} - {item.id for item in masked} == UNMASKED
    only_masked = train.load_records(recipe, masked, workers=0, crop_segmenter=COMMITTED)
    everything = train.load_records(recipe, items, workers=0, crop_segmenter=COMMITTED)
    assert len(everything) == len(items) > len(only_masked) == len(masked)
    crops = sum(len(c) for c, _ in everything)
    assert crops > sum(len(c) for c, _ in only_masked)
    context = round(recipe.size * data.CROP_CONTEXT)
    for photo_crops, label in everything[len(masked):]:
        assert label in range(len(data.LABELS))
        assert all(c.shape == (context, context, 3) for c in photo_crops)
    # The segmenter still learns from the masked photos only.
    assert len(train.load_records(train.RECIPES["segmenter"], items, workers=0)) == len(masked)


def test_predicted_mask_is_on_the_segmenters_grid_with_a_lesion(partly_masked):
    from inference import Pipeline
    pipeline = Pipeline.from_dir(COMMITTED)
    mask = data.predicted_mask(pipeline, partly_masked / "images" / "p25.jpg")
    assert max(mask.shape) == max(pipeline.manifest.segmenter.input_size)
    assert set(mask.ravel().tolist()) <= {data.BACKGROUND, data.SKIN, data.LESION}
    assert (mask == data.LESION).any() and data.crop_boxes(mask)


def test_without_any_mask_the_segmenter_is_skipped_and_the_classifier_trains(unmasked, tmp_path):
    assert train.main(["--data", str(unmasked), "--checkpoints", str(tmp_path), *TINY]) == 0
    log = (tmp_path / "train.log").read_text()
    assert "segmenter: skipped" in log and "no training photos with a mask" in log
    assert f"{len(PHOTOS)} photos without a mask cropped on the masks predicted by {COMMITTED}" in log
    assert not (tmp_path / "segmenter.pt").exists()
    state = torch.load(tmp_path / "classifier.pt", map_location="cpu", weights_only=False)
    assert state["step"] == 2 and state["n_train"] + state["n_val"] == len(PHOTOS)
    # Asked for the segmenter alone, a folder without masks is an error, not a silent skip.
    assert train.main(["--data", str(unmasked), "--checkpoints", str(tmp_path / "seg"),
                       "--what", "segmenter", *TINY]) == 2


def test_evaluation_reports_the_unmasked_photos(partly_masked, tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate, "LATENCY_ROUNDS", 1)  # speed is not under test here
    report = tmp_path / "EVALUATION.md"
    assert evaluate_cli.main(["--data", str(partly_masked), "--models", str(COMMITTED), "--report",
                          str(report), "--card", str(tmp_path / "card"), "--real-photos", "1"]) == 0
    text = report.read_text(encoding="utf-8")
    n, without = len(PHOTOS), len(UNMASKED)
    assert f"**{without} of the {n} photos had no mask.**" in text
    assert f"| (a) whole photo | all | {n} |" in text
    assert f"| (b) manual crops | all | {n - without} |" in text
    assert f"| (c) automatic crops | all | {n} |" in text
    result = json.loads((tmp_path / "card" / "evaluation.json").read_text())
    assert result["unmasked"] == without and result["n"] == n
    assert result["summary"]["manual"]["all"]["n"] == n - without

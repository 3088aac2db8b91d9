"""A "lesion" that does not differ in colour from the skin around it is no rash (issue 20, part 6).

The dermapred forearm (models/realset/heldout/dp_forearm.jpg): healthy skin, where the shipped
segmenter marks a faint streak as lesion and the classifier said "MF". The lesion-contrast
limit (inference/contrast.py; manifest familiarity.thresholds.min_lesion_contrast, set by
`python -m models calibrate`) makes it `no_lesion`, and names no class.
Real parts: the committed models, the real photo, the phantom generator.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference import Pipeline
from inference.contrast import lesion_contrast, srgb_to_lab
from inference.errors import ModelManifestError
from inference.familiarity import CONTRAST
from models import familiarity, realphotos

MODELS = Path("models")
FOREARM = next(p for p in realphotos.photos("heldout") if p.id == "dp_forearm")


def copy_models(target: Path, **thresholds) -> Path:
    """The committed models in `target`, with some familiarity thresholds changed (None: removed)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("segmenter.onnx", "classifier.onnx"):
        shutil.copy(MODELS / name, target / name)
    manifest = json.loads((MODELS / "manifest.json").read_text())
    limits = manifest["familiarity"]["thresholds"]
    for key, value in thresholds.items():
        limits.pop(key) if value is None else limits.__setitem__(key, value)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


@pytest.fixture(scope="module")
def shipped():
    return Pipeline.from_dir(MODELS)


@pytest.fixture(scope="module")
def phantom_photos(tmp_path_factory):
    """Phantom photos with a lesion, of a seed no training or calibration set used."""
    from models.phantom.dataset import write_dataset
    folder = write_dataset(tmp_path_factory.mktemp("phantom"), 12, seed=4242, workers=1)
    return [item.image.read_bytes() for item in familiarity.lesion_items(folder)]


def test_the_shipped_limit_is_calibrated_by_the_rule_and_recorded():
    block = json.loads((MODELS / "manifest.json").read_text())["familiarity"]
    limit = block["thresholds"][CONTRAST]
    contrast = block["calibration"]["lesion_contrast"]
    assert limit > 0 and contrast["share"] == familiarity.CONTRAST_SHARE
    phantom = contrast["phantom_heldout"]
    assert phantom["measured"] >= 900  # seed 2's held-out photos that reached the classifier
    assert phantom["below"] <= familiarity.CONTRAST_SHARE * phantom["measured"]
    assert "min_lesion_contrast" in block["calibration"]["rule"]
    assert contrast["real_train"]["measured"] > 0  # checked against the training part only


def test_the_forearm_names_no_class(shipped):
    result = shipped.assess(FOREARM.read())
    assert result.quality == "no_lesion"
    assert result.lesion_contrast < shipped.familiarity.min_lesion_contrast
    as_json = result.to_dict()
    assert as_json["top"] is None and as_json["probabilities"] == {} and as_json["crops"] == []
    assert result.lesion_fraction > 0.01  # the segmenter's streak is still there, and drawn


def test_the_forearm_s_variants_name_no_class_but_two_known_gaps(shipped):
    """JPEG quality and scale do not bring the class back. Two variants still get "MF" (the
    lesion found stands out more in one random crop, and under the cool cast it sits just above
    the limit): known gaps, written in EVALUATION.md; none may be added, and none is herpes."""
    named = {name: shipped.assess(blob).top for name, blob in realphotos.variants(FOREARM)}
    named = {name: top for name, top in named.items() if top}
    assert set(named) <= {"crop2", "wb_cool"} and "HI" not in named.values()


def test_phantom_lesions_still_pass(shipped, phantom_photos):
    results = [shipped.assess(blob) for blob in phantom_photos]
    measured = [r for r in results if r.lesion_contrast is not None]
    assert len(measured) >= 6
    limit = shipped.familiarity.min_lesion_contrast
    assert all(r.lesion_contrast >= limit for r in measured)
    assert sum(r.top is not None for r in results) >= len(results) - 1


def test_the_limit_is_read_from_the_manifest(tmp_path):
    data = FOREARM.read()
    off = Pipeline.from_dir(copy_models(tmp_path / "off", **{CONTRAST: 0.0}))
    assert off.familiarity.min_lesion_contrast == 0.0
    assert off.assess(data).quality == "ok"  # what the forearm got before the check
    absent = Pipeline.from_dir(copy_models(tmp_path / "absent", **{CONTRAST: None}))
    assert absent.familiarity.min_lesion_contrast == 0.0  # a block from before the check
    measured = off.assess(data).lesion_contrast
    just_above = Pipeline.from_dir(copy_models(tmp_path / "above", **{CONTRAST: measured * 0.99}))
    assert just_above.assess(data).quality == "ok"
    just_below = Pipeline.from_dir(copy_models(tmp_path / "below", **{CONTRAST: measured * 1.01}))
    assert just_below.assess(data).quality == "no_lesion"


@pytest.mark.parametrize("value", [-1.0, "faint", float("nan")])
def test_a_bad_limit_is_a_manifest_error(tmp_path, value):
    with pytest.raises(ModelManifestError, match=CONTRAST):
        Pipeline.from_dir(copy_models(tmp_path / "models", **{CONTRAST: value}))


def skin_with_patch(lesion_colour, skin_colour=(224, 180, 160)):
    image = Image.new("RGB", (256, 192), skin_colour)
    ImageDraw.Draw(image).rectangle((96, 64, 160, 128), fill=lesion_colour)
    skin = np.ones((192, 256), bool)
    lesion = np.zeros_like(skin)
    lesion[64:129, 96:161] = True
    return image, skin, lesion


def test_contrast_is_the_colour_difference_with_the_skin_around_the_lesion():
    image, skin, lesion = skin_with_patch((200, 110, 100))
    skin_lab = srgb_to_lab(np.array([224, 180, 160], np.uint8))
    delta_e = np.linalg.norm(srgb_to_lab(np.array([200, 110, 100], np.uint8)) - skin_lab)
    # relative to the skin's lightness L*: the same patch on darker skin counts for more
    assert lesion_contrast(image, skin, lesion) == pytest.approx(delta_e / skin_lab[0], rel=0.02)
    same, skin, lesion = skin_with_patch((224, 180, 160))
    assert lesion_contrast(same, skin, lesion) == pytest.approx(0.0, abs=1e-6)


def test_contrast_cannot_be_measured_without_skin_around_the_lesion():
    image, skin, lesion = skin_with_patch((200, 110, 100))
    assert lesion_contrast(image, skin, np.zeros_like(lesion)) is None  # no lesion
    assert lesion_contrast(image, lesion, lesion) is None  # all the skin is lesion


def test_the_contrast_limit_is_the_phantom_quantile_and_counts_real_photos_below():
    phantom = [{"features": 1, "lesion_contrast": float(c)} for c in range(1, 201)]
    real = [{"features": 1, "lesion_contrast": 0.5, "id": "a/original"},
            {"features": None, "lesion_contrast": 0.5, "id": "b/original"},  # not classified
            {"features": 1, "lesion_contrast": 30.0, "id": "c/original"}]
    limit, summary = familiarity.contrast_limit(phantom, real)
    assert limit == pytest.approx(1.0, rel=1e-3)  # 0.5 % of 200: the lowest photo, which passes
    assert summary["phantom_heldout"]["below"] == 0
    assert summary["real_train"] == {"measured": 2, "below": 1, "below_ids": ["a/original"]}


@pytest.fixture(scope="module")
def tiny_phantom(tmp_path_factory):
    from models.phantom.dataset import write_dataset
    return write_dataset(tmp_path_factory.mktemp("calib"), 8, seed=5, workers=1)


def test_a_full_calibrate_writes_the_contrast_limit_by_its_rule(tmp_path, tiny_phantom):
    folder = copy_models(tmp_path / "models")
    summary = familiarity.calibrate(folder, tiny_phantom, tiny_phantom, realphotos.REALSET, n_train=8,
                                    n_heldout=8, card=tmp_path / "card", n_real=2)
    block = json.loads((folder / "manifest.json").read_text())["familiarity"]
    contrast = summary["lesion_contrast"]
    assert block["thresholds"][CONTRAST] > 0 and block["calibration"]["lesion_contrast"] == contrast
    assert contrast["phantom_heldout"]["below"] <= familiarity.CONTRAST_SHARE * contrast["phantom_heldout"]["measured"]
    assert Pipeline.from_dir(folder).familiarity.min_lesion_contrast == block["thresholds"][CONTRAST]


def test_only_contrast_refits_that_limit_and_keeps_the_rest(tmp_path, tiny_phantom):
    folder = copy_models(tmp_path / "models", **{CONTRAST: None})
    before = json.loads((folder / "manifest.json").read_text())["familiarity"]
    familiarity.calibrate_contrast(folder, tiny_phantom, realphotos.REALSET, n_real=2)
    after = json.loads((folder / "manifest.json").read_text())["familiarity"]
    assert after["thresholds"].pop(CONTRAST) > 0
    assert after["thresholds"] == before["thresholds"]
    assert {k: v for k, v in after.items() if k not in ("thresholds", "calibration")} == \
        {k: v for k, v in before.items() if k not in ("thresholds", "calibration")}
    assert after["calibration"]["rule"].count("min_lesion_contrast") == 1  # replaced, not appended

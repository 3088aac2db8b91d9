"""The `unfamiliar` verdict: the manifest's familiarity block, its calibration, and real photos.

Real parts: the committed models, real photographs from models/realset, the phantom generator.
"""
from __future__ import annotations

import io
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference import Pipeline
from inference.errors import ImageTooSmall, ModelManifestError
from inference.familiarity import from_block
from models import familiarity, realphotos
from models.phantom.dataset import write_dataset
from tests.support.devmodels import build_dev_models
from tests.test_validation_manifest import _set  # a change: the value at a dotted path

MODELS = Path("models")


def copy_models(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in ("segmenter.onnx", "classifier.onnx", "manifest.json"):
        shutil.copy(MODELS / name, target / name)
    return target


@pytest.fixture(scope="module")
def shipped():
    return Pipeline.from_dir(MODELS)


def edit_block(folder: Path, change) -> Path:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest["familiarity"])
    path.write_text(json.dumps(manifest))
    return folder


CORRUPTIONS = {
    "block_missing": lambda b: b.clear(),
    "mean_missing": lambda b: b.pop("mean"),
    "mean_not_numeric": lambda b: b["mean"].__setitem__(0, "x"),
    "mean_nan": lambda b: b["mean"].__setitem__(0, float("nan")),
    "components_ragged": lambda b: b["components"][0].pop(),
    "components_wrong_width": lambda b: b.update(components=[r[:-1] for r in b["components"]]),
    "variance_zero": lambda b: b["variances"].__setitem__(0, 0.0),
    "class_missing": lambda b: b["class_means"].pop("MF"),
    "residual_negative": lambda b: b.update(residual_scale=-1),
    "thresholds_missing": lambda b: b.pop("thresholds"),
    "limit_missing": lambda b: b["thresholds"].pop("photo_score"),
    "probe_limit_missing": lambda b: b["thresholds"].pop("max_outlier_probability"),
    "probe_weights_short": lambda b: b["probe"]["weights"].pop(),
    "limit_text": lambda b: b["thresholds"].update(max_lesion_fraction="high"),
}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_a_missing_or_corrupt_statistic_is_a_manifest_error(tmp_path, name):
    folder = edit_block(copy_models(tmp_path), CORRUPTIONS[name])
    with pytest.raises(ModelManifestError) as failed:
        Pipeline.from_dir(folder)
    assert failed.value.code == "model_manifest"
    assert "familiarity" in str(failed.value)


def test_a_schema_1_folder_is_refused_with_what_to_do(tmp_path):
    folder = copy_models(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["schema"] = 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelManifestError, match="calibrate"):
        Pipeline.from_dir(folder)


def test_shipped_limits_were_calibrated_on_phantom_and_real_training_photos():
    block = json.loads((MODELS / "manifest.json").read_text())["familiarity"]
    calibration = block["calibration"]
    phantom = calibration["phantom_heldout"]
    assert phantom["judged"] / phantom["classified"] >= 0.95  # of those reaching the classifier
    real = calibration["real_train"]
    assert real["flagged"] >= 0.9 * real["classified"]
    # the probe's share was chosen by the rule: real photos flagged out of source at that share
    share, out_of_source = calibration["probe_share"], real["probe_out_of_source"]
    assert share in familiarity.PROBE_SHARES
    if share != familiarity.PROBE_SHARES[0]:
        assert out_of_source["flagged_at_share"][f"{share:g}"] >= 0.9 * out_of_source["classified"] > 0
    # the training part holds real skin for the probe, and the held-out part does too
    labels = {(photo.part, photo.label) for photo in realphotos.photos()}
    assert {("train", "healthy_skin"), ("heldout", "healthy_skin")} <= labels


def phantom_signals(outliers):
    return [{"score": 1.0, "outlier": o, "lesion_fraction": 0.2} for o in outliers]


def test_the_probe_passes_more_phantom_photos_only_while_real_ones_stay_flagged():
    phantom = phantom_signals(np.linspace(0.0, 0.5, 1000))  # 99.5 % quantile ~0.4975
    # real photos (out of source) far above every candidate limit: the largest share
    share, flagged = familiarity.choose_probe_share(phantom, [0.9] * 10)
    assert share == max(familiarity.PROBE_SHARES) and flagged[share] == 10
    # 2 of 10 between the 98 % and 99 % limits: at 99 % only 8 of 10 would be flagged
    share, flagged = familiarity.choose_probe_share(phantom, [0.9] * 8 + [0.492] * 2)
    assert share == 0.98 and flagged[0.99] == 8
    # 1 of 10 there: 9 of 10 flagged is enough at every share, so the largest
    share, _ = familiarity.choose_probe_share(phantom, [0.9] * 9 + [0.492])
    assert share == 0.995
    # 2 of 10 between the 99 % and 99.5 % limits
    share, _ = familiarity.choose_probe_share(phantom, [0.9] * 8 + [0.4960, 0.4960])
    assert share == 0.99
    # no real photo reached the classifier: nothing to go on, the most cautious share
    assert familiarity.choose_probe_share(phantom, [])[0] == familiarity.PROBE_SHARES[0]


@pytest.mark.parametrize("label", ["healthy_skin", "no_skin"])
def test_held_out_real_photos_rarely_get_a_disease_and_never_an_urgent_one(shipped, label):
    """Issue 10: of the held-out real photos and their variants, at most 1 in 10 of each kind
    is named a class, and the image alone never makes one urgent."""
    named, total = [], 0
    for photo in realphotos.photos("heldout"):
        if photo.label != label:
            continue
        for name, blob in realphotos.variants(photo):
            total += 1
            try:
                result = shipped.assess(blob).to_dict()
            except ImageTooSmall:  # a half-size variant of a 112-pixel face: nothing is named
                continue
            assert result["top"] != "HI"
            if result["top"] is not None:
                named.append(f"{photo.id}/{name}")
            elif result["quality"] == "unfamiliar":
                assert result["probabilities"] == {} and result["crops"] == []
    assert total >= 30 and len(named) <= 0.1 * total, named


def test_real_set_is_split_by_source_package():
    parts = {}
    for photo in realphotos.photos():
        parts.setdefault(photo.package, set()).add(photo.part)
    assert all(len(p) == 1 for p in parts.values()), parts
    assert {p for ps in parts.values() for p in ps} == {"train", "heldout"}


def test_variants_are_decodable_and_seeded():
    photo = realphotos.photos("heldout")[0]
    first, again = realphotos.variants(photo, seed=3), realphotos.variants(photo, seed=3)
    assert [n for n, _ in first] == [n for n, _ in again]
    assert all(a == b for (_, a), (_, b) in zip(first, again))
    sizes = {name: Image.open(io.BytesIO(blob)).size for name, blob in first}
    assert sizes["scale2"][0] == 2 * sizes["original"][0]


def test_calibrate_writes_a_block_the_pipeline_loads(tmp_path):
    folder = copy_models(tmp_path / "models")
    phantom = write_dataset(tmp_path / "phantom", 8, seed=5)
    summary = familiarity.calibrate(folder, phantom, phantom, realphotos.REALSET, n_train=8,
                                    n_heldout=8, card=tmp_path / "card", n_real=2)
    pipeline = Pipeline.from_dir(folder)
    assert pipeline.familiarity.components.shape[1] == pipeline.familiarity.feature_dim
    assert summary["phantom_heldout"]["classified"] > 0
    assert summary["real_train"]["photos"] == 2 * len(realphotos.variants(realphotos.photos("train")[0]))
    assert (tmp_path / "card" / "operating_point.png").stat().st_size > 1000
    assert (tmp_path / "card" / "operating_point_probe.png").stat().st_size > 1000
    # the first two training photos have no skin and reach no classifier: the cautious share
    assert summary["real_train"]["probe_out_of_source"]["classified"] == 0
    assert summary["probe_share"] == familiarity.PROBE_SHARES[0]
    curves = json.loads((tmp_path / "card" / "familiarity.json").read_text())["curves"]
    assert len(curves["limits"]) == len(curves["phantom_judged"]) == len(curves["real_flagged"])


def test_a_clinic_calibrates_on_its_own_split_not_on_the_phantom(tmp_path):
    """The clinic's flow (MODEL_CARD): export -> split -> train -> calibrate --train DIR/train
    --heldout DIR/calib -> validate DIR/test. The shipped models stand in for retrained ones."""
    from models import split_cli
    from models.phantom.clinic import write_clinic_set
    export = write_clinic_set(tmp_path / "export", patients_per_class=6)
    assert split_cli.main(["--data", str(export), "--out", str(tmp_path / "split"),
                           "--test-fraction", "0.15", "--calib-fraction", "0.25"]) == 0
    calib = tmp_path / "split" / "calib"
    folder = copy_models(tmp_path / "models")
    summary = familiarity.calibrate(folder, tmp_path / "split" / "train", calib, realphotos.REALSET,
                                    card=tmp_path / "card", n_real=1)
    held = summary["phantom_heldout"]
    assert held["folder"] == str(calib) and held["seed"] is None  # not the phantom's seed 2
    assert held["photos"] == len(familiarity.lesion_items(calib)) > 0
    Pipeline.from_dir(folder)  # the block loads


def test_a_classifier_trained_on_photos_is_not_calibrated_on_phantom_folders(tmp_path, capsys):
    folder = copy_models(tmp_path / "models")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["classifier"]["trained_on"] = "photos"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    phantom = write_dataset(tmp_path / "phantom", 2, seed=5)
    before = (folder / "manifest.json").read_bytes()
    assert familiarity.main(["--models", str(folder), "--train", str(phantom), "--heldout", str(phantom),
                             "--card", str(tmp_path / "card")]) == 2
    assert "learned from photos" in capsys.readouterr().err
    assert (folder / "manifest.json").read_bytes() == before  # nothing written


def test_new_limits_withdraw_a_sign_off_measured_with_the_old_ones(tmp_path):
    from tests.support.validation import sign_copy
    folder = copy_models(tmp_path / "models")
    sign_copy(folder, wrong_per_class=1)
    assert Pipeline.from_dir(folder).models["validation"]
    block = json.loads((folder / "manifest.json").read_text())["familiarity"]
    block["thresholds"] = {**block["thresholds"], "photo_score": block["thresholds"]["photo_score"] * 2}
    familiarity.write_block(folder, block)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "validation" not in manifest and manifest["validated"] is False
    assert Pipeline.from_dir(folder).models.get("validation") is None  # loads, and claims nothing


def assess_all_lesion_frame(tmp_path):
    """Red everywhere (the dev segmenter's lesion colour), textured so it is not "blurry"."""
    pipeline = Pipeline.from_dir(build_dev_models(tmp_path))
    rng = np.random.default_rng(0)
    pixels = np.clip(np.array([200, 40, 40]) + rng.normal(0, 12, (600, 800, 3)), 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "JPEG", quality=92)
    return pipeline.assess(buffer.getvalue())


def test_a_frame_that_is_all_lesion_is_unfamiliar(tmp_path):
    result = assess_all_lesion_frame(tmp_path)
    assert result.quality == "unfamiliar" and result.unfamiliar_reason == "lesion_fraction"
    assert result.to_dict()["top"] is None and result.crops == []


def test_overlay_of_an_unjudged_photo_says_why_and_keeps_a_full_frame_lesion_visible(tmp_path):
    from inference import overlay
    result = assess_all_lesion_frame(tmp_path)
    plain = Image.open(io.BytesIO(result.overlay_png())).convert("RGB")
    japanese = Image.open(io.BytesIO(result.overlay_png(["判定できません", "凡例"]))).convert("RGB")
    assert plain.getpixel((2, 2)) == overlay.BANNER == japanese.getpixel((2, 2))
    assert plain.size[0] == 800
    # the lesion fills the frame: its outline runs along the border, the hatch marks the inside
    inside = np.asarray(plain)[200:400, 300:500].astype(int)
    magenta_ish = (inside[..., 2] - inside[..., 1]) > 40
    assert 0.05 < magenta_ish.mean() < 0.5


def test_red_berries_on_concrete_are_not_herpes_any_more_but_for_one_variant(shipped):
    """A real photo from Pillow's tests: grey concrete taken for skin, red berries for herpes.
    Under a looser probe limit 5 of its 11 variants were called HI (the image alone "urgent");
    it now trains the probe and the limit is the rule's 98 %. The half-size variant is still
    called HI (EVALUATION.md's notes): a known gap, kept visible here rather than hidden."""
    (photo,) = [p for p in realphotos.photos("train") if p.id == "pl_shells_berries"]
    named = {name: shipped.assess(blob).top for name, blob in realphotos.variants(photo)}
    assert [name for name, top in named.items() if top] == ["scale0.5"], named


# --- the crop-feature signal and the photo's aggregation over crops -----------------------------

def hand_block(**thresholds) -> dict:
    """Two features, one principal direction (the first axis): every number below by hand."""
    return {"mean": [0.0, 0.0], "components": [[1.0, 0.0]], "variances": [4.0], "residual_scale": 3.0,
            "class_means": {"AD": [0.0], "IM": [10.0]},
            "probe": {"mean": [0.0, 0.0], "scale": [1.0, 1.0], "weights": [1.0, 0.0], "bias": 0.0},
            "thresholds": {"photo_score": 2.0, "max_lesion_fraction": 0.7,
                           "max_outlier_probability": 0.9, **thresholds}}


def test_a_crop_score_is_the_mean_of_nearest_class_distance_and_scaled_residual():
    block = from_block(hand_block(), ["AD", "IM"])
    # (2, 3): 2 along the component, 2²/4 = 1 from AD (IM: 8²/4 = 16); residual 3²/3 = 3
    assert block.crop_scores(np.array([[2.0, 3.0]])) == pytest.approx([(1 + 3) / 2])
    assert block.crop_scores(np.array([[10.0, 0.0]])) == pytest.approx([0.0])  # on IM's mean


def test_the_photo_score_and_the_probe_are_means_over_the_crops_not_max_or_median():
    block = from_block(hand_block(), ["AD", "IM"])
    crops = np.array([[2.0, 0.0], [4.0, 0.0], [0.0, 3.0 * np.sqrt(6)]])  # scores 0.5, 2, 9
    assert block.crop_scores(crops) == pytest.approx([0.5, 2.0, 9.0])
    assert block.photo_score_of(crops) == pytest.approx(23 / 6)  # median 2, max 9, sum 11.5
    # the probe's logit is the first feature: 0, 0 and 50 (clipped) -> 0.5, 0.5, 1
    probe_crops = np.array([[0.0, 1.0], [0.0, -1.0], [80.0, 0.0]])
    assert block.outlier_probability(probe_crops) == pytest.approx(2 / 3)


@pytest.mark.parametrize("score, reason", [(2.01, "features"), (2.0, None), (0.1, None)])
def test_a_photo_scoring_above_the_limit_is_unfamiliar_for_its_features(score, reason):
    block = from_block(hand_block(), ["AD", "IM"])
    assert block.reason(0.2, score, 0.5) == reason
    assert block.reason(0.2, score, None) == reason  # the probe's absence changes nothing
    assert block.reason(0.8, score, 0.5) == "lesion_fraction"
    assert block.reason(0.2, 0.1, 0.95) == "outlier_probe"


def dev_pipeline_with(folder: Path, **thresholds) -> Pipeline:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["familiarity"]["thresholds"].update(thresholds)
    path.write_text(json.dumps(manifest))
    return Pipeline.from_dir(folder)


def two_lesion_photo() -> bytes:
    """The dev models' AD colours: skin filling the frame, two round lesions far apart."""
    from tests.support import phone_photos
    from tests.support.chat import PHOTO_COLOURS
    skin, lesion = PHOTO_COLOURS["AD"]
    image = Image.new("RGB", (800, 600), skin)
    draw = ImageDraw.Draw(image)
    for x, y in ((200, 300), (600, 300)):
        draw.ellipse((x - 90, y - 90, x + 90, y + 90), fill=lesion)
    return phone_photos.encode(phone_photos.add_noise(image, 6, 0), "JPEG", quality=90)


def test_the_pipeline_names_no_class_for_a_photo_whose_crop_features_are_unfamiliar(tmp_path):
    """The `features` reason reached through assess(): only the photo-score limit is near (the
    probe is off, the lesion limit far), and the score is the mean over the photo's crops."""
    folder = build_dev_models(tmp_path)
    data = two_lesion_photo()
    judged = Pipeline.from_dir(folder).assess(data)
    assert judged.quality == "ok" and judged.top == "AD" and len(judged.crops) >= 2
    score = judged.familiarity_score
    assert score == pytest.approx(
        Pipeline.from_dir(folder).familiarity.crop_scores(judged.crop_features).mean())
    assert score > 0

    stopped = dev_pipeline_with(folder, photo_score=score * 0.99).assess(data)
    assert stopped.quality == "unfamiliar" and stopped.unfamiliar_reason == "features"
    result = stopped.to_dict()
    assert result["top"] is None and result["probabilities"] == {} and result["crops"] == []
    passed = dev_pipeline_with(folder, photo_score=score * 1.01).assess(data)
    assert passed.quality == "ok" and passed.top == "AD"


def test_calibrate_says_plainly_when_no_held_out_photo_reaches_the_classifier(tmp_path, capsys):
    """A few training steps leave a segmenter that finds no rule crop (the clinic's loop test):
    `calibrate --heldout` exits 2 with the reason, before any work on the real set (here a
    folder that does not exist), not with an IndexError; the manifest is unchanged."""
    folder = copy_models(tmp_path / "models")
    manifest = (folder / "manifest.json").read_bytes()
    train = write_dataset(tmp_path / "train", 8, seed=5)
    heldout = shutil.copytree(train, tmp_path / "heldout")
    for item in familiarity.lesion_items(heldout):  # grey photos: no skin, so no crop
        Image.new("RGB", Image.open(item.image).size, (128, 128, 128)).save(item.image)
    code = familiarity.main(["--models", str(folder), "--train", str(train), "--heldout", str(heldout),
                             "--real", str(tmp_path / "no-realset"), "--n-train", "8", "--card", str(tmp_path / "card")])
    error = capsys.readouterr().err
    assert code == 2 and error.startswith(f"error: no held-out photo in {heldout} reached the classifier")
    assert "; verdicts: " in error and "Traceback" not in error and "IndexError" not in error
    assert (folder / "manifest.json").read_bytes() == manifest and not (tmp_path / "card").exists()


# A flawed block is refused with the field named, so whoever calibrated knows what to fix.
FLAWS = [
    (lambda b: b.clear(), "familiarity: block missing (re-run python -m models calibrate)"),
    (_set("mean", ["x", 0.0]), "familiarity: mean is not numeric"),
    (_set("components", "rows"), "familiarity: components must be a list of rows"),
    (_set("components", []), "familiarity: components must be a list of rows"),
    (_set("components", [[1.0, 0.0], 5]), "familiarity: components must be a list of rows"),
    (_set("components", [[1.0, "x"]]), "familiarity: components[0] is not numeric"),
    (_set("class_means.AD", ["x"]), "familiarity: class_means.AD is not numeric"),
    (_set("class_means", {"AD": [0.0, 0.0], "IM": [10.0, 0.0]}),
     "familiarity: shapes disagree (mean (2,), components (1, 2), variances (1,), class_means (2, 2))"),
    (_set("variances", [0.0]), "familiarity: variances must be positive"),
    (_set("residual_scale", "x"), "familiarity: residual_scale is not a number"),
    (_set("residual_scale", 0), "familiarity: residual_scale must be a positive number"),
    (lambda b: b["probe"].pop("bias"), "familiarity: probe must hold ('mean', 'scale', 'weights', 'bias')"),
    (_set("probe.weights", ["x", 0.0]), "familiarity: probe.weights is not numeric"),
    (_set("probe.scale", [0.0, 1.0]), "familiarity: probe mean, scale (positive) and weights need 2 numbers each"),
    (_set("probe.bias", "x"), "familiarity: probe.bias is not a number"),
    (_set("probe.bias", float("nan")), "familiarity: probe.bias must be a finite number"),
    (_set("thresholds.photo_score", "x"), "familiarity: thresholds.photo_score is not a number"),
    (_set("thresholds.max_lesion_fraction", "x"), "familiarity: thresholds.max_lesion_fraction is not a number"),
    (_set("thresholds.max_outlier_probability", "x"),
     "familiarity: thresholds.max_outlier_probability is not a number"),
    (_set("thresholds.min_lesion_contrast", "x"), "familiarity: thresholds.min_lesion_contrast is not a number"),
    (_set("thresholds.min_lesion_contrast", -1), "familiarity: thresholds.min_lesion_contrast must not be negative"),
]


@pytest.mark.parametrize("change, message", FLAWS, ids=[m.split(": ", 1)[1][:40] + f"-{i}" for i, (_, m) in enumerate(FLAWS)])
def test_a_flawed_block_is_refused_naming_what_to_fix(change, message):
    block = hand_block()
    change(block)
    with pytest.raises(ModelManifestError) as refused:
        from_block(block or None, ["AD", "IM"])  # a cleared block: none at all
    assert str(refused.value) == message


def test_the_lesion_contrast_limit_is_read_and_off_when_absent():
    assert from_block(hand_block(min_lesion_contrast=12.5), ["AD", "IM"]).min_lesion_contrast == 12.5
    assert from_block(hand_block(), ["AD", "IM"]).min_lesion_contrast == 0.0


def test_the_probe_adds_its_bias_and_a_far_out_crop_overflows_nothing():
    block = from_block(hand_block(), ["AD", "IM"])
    biased = from_block({**hand_block(), "probe": {**hand_block()["probe"], "bias": 2.0}}, ["AD", "IM"])
    assert biased.outlier_probability(np.array([[0.0, 0.0]])) == pytest.approx(1 / (1 + np.exp(-2.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the logit's clip keeps exp() finite
        assert block.outlier_probability(np.array([[-1000.0, 0.0]])) == pytest.approx(0.0, abs=1e-20)


def test_a_photo_exactly_at_a_limit_is_still_judged():
    block = from_block(hand_block(), ["AD", "IM"])
    assert block.reason(0.7, 0.1, 0.5) is None  # max_lesion_fraction 0.7
    assert block.reason(0.2, 0.1, 0.9) is None  # max_outlier_probability 0.9
    assert block.reason(0.70001, 0.1, 0.5) == "lesion_fraction"
    assert block.reason(0.2, 0.1, 0.90001) == "outlier_probe"

"""CI smoke test of the model toolkit: phantom set -> train a few steps -> ONNX -> inference.

Real parts only: the phantom generator, the training loop, the exporter, onnxruntime and the
shipped inference.Pipeline. Sizes are tiny so it runs in well under a minute on 2 cores.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch", reason="training needs requirements-train.txt")

from inference import manifest as inference_manifest  # noqa: E402
from models import export, familiarity, manifest, phantom, train  # noqa: E402

TINY = ["--seg-steps", "2", "--seg-batch", "2", "--cls-steps", "2", "--cls-batch", "4",
        "--log-every", "1", "--save-every", "1", "--threads", "2"]


@pytest.fixture(scope="module")
def phantom_set(tmp_path_factory):
    return phantom.write_dataset(tmp_path_factory.mktemp("phantom"), 8, seed=3)


@pytest.fixture(scope="module")
def trained(phantom_set, tmp_path_factory):
    checkpoints = tmp_path_factory.mktemp("checkpoints")
    assert train.main(["--data", str(phantom_set), "--checkpoints", str(checkpoints), *TINY]) == 0
    return checkpoints


@pytest.fixture(scope="module")
def exported(trained, phantom_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "new" / "folder"  # export makes its folder
    export.export_all(trained, out)
    # Two steps leave the segmenter near chance (no held-out photo reaches the classifier, so
    # no limit can be calibrated: tests/test_familiarity.py calibrates the shipped models).
    # The statistics are fitted on the exported classifier; the limits are set by hand.
    pipeline = familiarity.Pipeline.from_dir(out, require_familiarity=False)
    rows = familiarity.training_rows(pipeline, familiarity.lesion_items(phantom_set))
    block = familiarity.fit_statistics(rows)
    outliers, _ = familiarity.outlier_features(pipeline, familiarity.realphotos.REALSET, per_cast=2)
    block["probe"] = familiarity.fit_probe(np.concatenate([r["features"] for r in rows]), outliers,
                                           steps=5)
    familiarity.write_block(out, {**block, "thresholds": {
        "photo_score": 1e6, "max_lesion_fraction": 1.0, "max_outlier_probability": 1.0}})
    return out


def test_export_writes_nothing_when_a_checkpoint_is_missing(trained, tmp_path):
    only_segmenter = tmp_path / "checkpoints"
    only_segmenter.mkdir()
    (only_segmenter / "segmenter.pt").write_bytes((trained / "segmenter.pt").read_bytes())
    out = tmp_path / "models"
    out.mkdir()
    with pytest.raises(FileNotFoundError):
        export.export_all(only_segmenter, out)
    assert list(out.iterdir()) == []


def test_export_keep_segmenter_replaces_only_the_classifier(exported, trained, tmp_path):
    out = tmp_path / "models"
    out.mkdir()
    for name in ("segmenter.onnx", "classifier.onnx", "manifest.json"):
        (out / name).write_bytes((exported / name).read_bytes())
    old = json.loads((out / "manifest.json").read_text())
    old["training_data"] = "segmenter: the kept recipe; classifier: the old recipe."
    old["models"]["segmenter"]["trained_on"] = "photos"  # as if a clinic had trained it
    (out / "manifest.json").write_text(json.dumps(old))
    (out / "classifier.onnx").write_bytes(b"an old classifier")  # stale file, replaced
    only_classifier = tmp_path / "checkpoints"
    only_classifier.mkdir()
    (only_classifier / "classifier.pt").write_bytes((trained / "classifier.pt").read_bytes())

    export.export_all(only_classifier, out, keep="segmenter")
    written = json.loads((out / "manifest.json").read_text())
    inference_manifest.load_manifest(out, require_familiarity=False)  # both hashes check out
    assert (out / "segmenter.onnx").read_bytes() == (exported / "segmenter.onnx").read_bytes()
    assert (out / "classifier.onnx").read_bytes() != b"an old classifier"
    assert written["models"]["classifier"]["sha256"] == manifest.sha256(out / "classifier.onnx")
    assert written["training_data"].startswith("segmenter: the kept recipe; classifier: ")
    assert "2 steps of batch 4" in written["training_data"]  # the new classifier's recipe
    assert "familiarity" not in written  # the old statistics described the old classifier
    assert written["models"]["classifier"]["trained_on"] == "phantom"  # from its checkpoint
    assert written["models"]["segmenter"]["trained_on"] == "photos"  # kept as its manifest had it


def test_export_keep_refuses_a_kept_file_its_manifest_does_not_describe(exported, trained, tmp_path):
    out = tmp_path / "models"
    out.mkdir()
    for name in ("segmenter.onnx", "classifier.onnx", "manifest.json"):
        (out / name).write_bytes((exported / name).read_bytes())
    (out / "segmenter.onnx").write_bytes(b"not the segmenter the manifest names")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert export.main(["--checkpoints", str(trained), "--out", str(out), "--keep", "segmenter"]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    (out / "manifest.json").unlink()  # no manifest: nothing says which segmenter this is
    with pytest.raises(export.KeptModelMismatch):
        export.export_all(trained, out, keep="segmenter")


def test_training_logs_and_checkpoints(trained):
    log = (trained / "train.log").read_text()
    assert "segmenter step 2/2" in log and "classifier step 2/2" in log
    for kind in ("segmenter", "classifier"):
        state = torch.load(trained / f"{kind}.pt", weights_only=False)
        assert state["step"] == 2 and state["recipe"]["seed"] == 1


def test_rerun_with_same_arguments_resumes_instead_of_retraining(phantom_set, trained):
    assert train.main(["--data", str(phantom_set), "--checkpoints", str(trained), *TINY]) == 0
    assert (trained / "train.log").read_text().count("already trained (2 steps)") == 2


def test_interrupted_run_resumes_to_the_same_weights(phantom_set, tmp_path):
    args = ["--data", str(phantom_set), "--what", "segmenter", "--seg-steps", "2",
            "--seg-batch", "2", "--threads", "2"]
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    assert train.main([*args, "--checkpoints", str(straight)]) == 0
    # A zero-minute deadline stops after the first step with a checkpoint; exit 3 = resumable.
    assert train.main([*args, "--checkpoints", str(interrupted), "--deadline-minutes", "0"]) == 3
    assert torch.load(interrupted / "segmenter.pt", weights_only=False)["step"] == 1
    assert train.main([*args, "--checkpoints", str(interrupted)]) == 0
    assert "resuming at step 1/2" in (interrupted / "train.log").read_text()
    a = torch.load(straight / "segmenter.pt", weights_only=False)["model"]
    b = torch.load(interrupted / "segmenter.pt", weights_only=False)["model"]
    for key in a:
        assert torch.allclose(a[key].float(), b[key].float(), atol=1e-5), key


def test_the_segmenter_alone_on_a_folder_without_masks_is_a_clear_error(tmp_path, capsys):
    # (--what both trains the classifier on such a folder: tests/test_models_unmasked.py)
    (tmp_path / "images").mkdir()
    Image.new("RGB", (300, 200), (200, 150, 120)).save(tmp_path / "images" / "a.png")
    (tmp_path / "labels.csv").write_text("id,label\na,AD\n")
    assert train.main(["--data", str(tmp_path), "--checkpoints", str(tmp_path / "ck"),
                       "--what", "segmenter", *TINY]) == 2
    assert "no training photos with a mask (masks/<id>.png) for the segmenter" in capsys.readouterr().err


def test_export_writes_manifest_that_matches_the_files(exported):
    data = manifest.load_manifest(exported)
    assert data["validated"] is False
    seg, cls = data["models"]["segmenter"], data["models"]["classifier"]
    assert seg["sha256"] == manifest.sha256(exported / "segmenter.onnx")
    assert cls["classes"] == ["AD", "IM", "HI", "MF"]
    assert "synthetic phantom" in data["training_data"]
    for kind in ("segmenter", "classifier"):
        assert (exported / manifest.FILES[kind]).stat().st_size < 10e6


def test_onnx_segmenter_has_dynamic_height_and_width(exported):
    session = export.session(exported / "segmenter.onnx")
    x = np.zeros((1, 3, 200, 328), np.float32)
    assert session.run(None, {"image": x})[0].shape == (1, 3, 200, 328)
    classifier = export.session(exported / "classifier.onnx")
    assert classifier.run(None, {"image": np.zeros((3, 3, 160, 160), np.float32)})[0].shape == (3, 4)


def test_manifest_rejects_a_changed_model(exported, tmp_path):
    for name in ("segmenter.onnx", "classifier.onnx", "manifest.json"):
        (tmp_path / name).write_bytes((exported / name).read_bytes())
    with open(tmp_path / "classifier.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(manifest.ManifestError, match="sha256"):
        manifest.load_manifest(tmp_path)


def test_inference_pipeline_runs_the_exported_models(exported, phantom_set):
    from inference import Pipeline
    pipeline = Pipeline.from_dir(exported)
    photo = next((phantom_set / "images").glob("*.jpg")).read_bytes()
    result = pipeline.assess(photo).to_dict()
    assert result["models"]["validated"] is False
    assert result["models"]["segmenter"] == "adai-seg-deeplabv3plus-mobilenetv2@0.1.0"
    assert result["quality"] in {"ok", "no_skin", "no_lesion", "lesion_too_small", "blurry",
                                 "too_dark", "too_bright"}
    json.dumps(result)
    # Two training steps decide nothing, but the exported classifier must already give the
    # pipeline a proper distribution over the manifest's four classes.
    image = Image.open(io.BytesIO(photo)).convert("RGB")
    (whole,) = pipeline.classify_regions(image, [(0, 0, image.width, image.height)])
    assert list(whole) == ["AD", "IM", "HI", "MF"]
    assert sum(whole.values()) == pytest.approx(1, abs=1e-3) and min(whole.values()) >= 0

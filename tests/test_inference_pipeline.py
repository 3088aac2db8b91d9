"""Pipeline end to end on real onnxruntime sessions, and the CLI as a real subprocess.

Geometry tests use the dev colour-rule pair (tests/support/devmodels.py), whose masks are
known from the picture; contract tests use the committed models when models/manifest.json
exists, else the dev pair.
"""
import io
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference import Pipeline
from inference.decode import decode
from inference.pipeline import crop_source
from inference.errors import InferenceError, ModelManifestError
from tests.support.devmodels import build_dev_models
from tests.support.phone_photos import encode, skin_photo

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "models"
QUALITY_CODES = {"ok", "too_dark", "too_bright", "blurry", "too_small", "no_skin", "no_lesion",
                 "lesion_too_small"}
DESIGN_KEYS = ["quality", "skin_fraction", "lesion_fraction", "crops", "probabilities", "top",
               "p_not_ad", "models", "timings_ms"]


@pytest.fixture(scope="module")
def dev_dir(tmp_path_factory):
    return build_dev_models(tmp_path_factory.mktemp("devmodels"))


@pytest.fixture(scope="module")
def dev_pipeline(dev_dir):
    return Pipeline.from_dir(dev_dir)


@pytest.fixture(scope="module")
def pipeline(dev_dir):
    return Pipeline.from_dir(COMMITTED if (COMMITTED / "manifest.json").exists() else dev_dir)


def photo_bytes(lesion=(0.6, 0.4, 0.05), size=(1200, 900), **params):
    return encode(skin_photo(size, lesions=[lesion]), "JPEG", quality=92, **params)


def test_to_dict_is_designs_json(pipeline):
    result = pipeline.assess(photo_bytes())
    data = json.loads(json.dumps(result.to_dict()))
    assert list(data) == DESIGN_KEYS
    assert data["quality"] in QUALITY_CODES
    assert set(data["models"]) == {"segmenter", "classifier", "validated"}
    assert data["models"]["validated"] is False
    assert all("@" in data["models"][kind] for kind in ("segmenter", "classifier"))
    assert list(data["timings_ms"]) == ["decode", "segment", "classify", "total"]
    if data["quality"] == "ok":
        assert list(data["probabilities"]) == ["AD", "IM", "HI", "MF"]
        assert sum(data["probabilities"].values()) == pytest.approx(1, abs=1e-3)
        assert data["p_not_ad"] == pytest.approx(1 - data["probabilities"]["AD"], abs=1e-3)
        assert data["top"] == max(data["probabilities"], key=data["probabilities"].get)
        assert 1 <= len(data["crops"]) <= 3
        for crop in data["crops"]:
            x0, y0, x1, y1 = crop["box"]
            assert 0 <= x0 < x1 <= 1200 and 0 <= y0 < y1 <= 900


def test_dev_pipeline_finds_the_lesion(dev_pipeline):
    result = dev_pipeline.assess(photo_bytes())
    assert result.quality == "ok"
    assert 0.35 < result.skin_fraction < 0.6
    assert 0.01 < result.lesion_fraction < 0.05
    assert result.top == "AD"
    assert result.p_not_ad == pytest.approx(1 - result.probabilities["AD"])


def test_segment_photo_gives_the_masks_assess_would_without_the_gate(dev_pipeline):
    data = photo_bytes()
    masks = dev_pipeline.segment_photo(data)
    assert np.array_equal(masks.lesion, dev_pipeline.assess(data).masks.lesion)
    assert np.array_equal(masks.skin, dev_pipeline.assess(data).masks.skin)
    # A photo the gate refuses still gets the segmenter's view (a clinician labels it anyway).
    dark = encode(Image.fromarray(np.asarray(skin_photo()) // 8), "JPEG")
    assert dev_pipeline.assess(dark).quality == "too_dark" and dev_pipeline.assess(dark).masks is None
    assert dev_pipeline.segment_photo(dark).skin.shape == masks.skin.shape
    with pytest.raises(InferenceError):
        dev_pipeline.segment_photo(data[:3000])


def contains(box, point):
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_boxes_land_on_the_lesion_of_the_upright_photo(dev_pipeline, orientation):
    cx, cy, r = 0.72, 0.3, 0.05
    result = dev_pipeline.assess(photo_bytes((cx, cy, r), orientation=orientation))
    assert result.quality == "ok"
    assert result.full_size == (1200, 900)
    centre, radius = (cx * 1200, cy * 900), r * 1200
    assert contains(result.crops[0].box, centre)
    for crop in result.crops:
        x0, y0, x1, y1 = crop.box
        nearest = (min(max(centre[0], x0), x1), min(max(centre[1], y0), y1))
        assert np.hypot(nearest[0] - centre[0], nearest[1] - centre[1]) < radius


def test_twelve_megapixel_boxes_are_in_full_size_pixels(dev_pipeline):
    data = encode(skin_photo((4000, 3000), lesions=[(0.3, 0.6, 0.04)], noise=0), "JPEG", quality=85)
    result = dev_pipeline.assess(data)
    assert result.quality == "ok"
    x0, y0, x1, y1 = result.crops[0].box
    assert contains(result.crops[0].box, (1200, 1800))
    assert 320 <= x1 - x0 <= 1500  # around a lesion 320 px across, in 4000-px coordinates


def test_small_crops_of_a_big_photo_are_cut_from_a_finer_decode():
    data = encode(skin_photo((4000, 3000), noise=0), "JPEG", quality=80)
    decoded = decode(data)
    assert crop_source(data, decoded, [(0, 0, 800, 800)], 160) is decoded  # 200 decoded px
    finer = crop_source(data, decoded, [(0, 0, 800, 800), (100, 100, 300, 300)], 160)
    assert finer.full_size == decoded.full_size
    assert finer.scale[0] < decoded.scale[0]
    assert 200 / finer.scale[0] >= 80  # the 200-px crop now has ≥ half the classifier's side


def test_refused_input_raises_its_code(pipeline):
    with pytest.raises(InferenceError) as refused:
        pipeline.assess(photo_bytes()[:3000])
    assert refused.value.code == "corrupt_image"


def test_assess_is_thread_safe(dev_pipeline):
    photos = [photo_bytes((0.3 + 0.1 * i, 0.4, 0.04)) for i in range(4)]
    expected = [dev_pipeline.assess(p).to_dict() for p in photos]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: dev_pipeline.assess(p).to_dict(), photos * 3))
    for i, got in enumerate(results):
        want = expected[i % 4]
        assert got["crops"] == want["crops"] and got["probabilities"] == want["probabilities"]


def test_classify_regions_on_a_whole_photo(dev_pipeline):
    image = skin_photo((640, 480))
    probs = dev_pipeline.classify_regions(image, [(0, 0, 640, 480), (250, 170, 390, 310)])
    assert len(probs) == 2
    for p in probs:
        assert list(p) == ["AD", "IM", "HI", "MF"] and sum(p.values()) == pytest.approx(1)


def test_classify_regions_needs_no_boxes(dev_pipeline):
    assert dev_pipeline.classify_regions(skin_photo((200, 200)), []) == []


def tamper(dev_dir, tmp_path, change):
    target = tmp_path / "models"
    shutil.copytree(dev_dir, target)
    manifest = json.loads((target / "manifest.json").read_text())
    change(target, manifest)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


TAMPERING = {
    "hash": lambda d, m: (d / "classifier.onnx").write_bytes((d / "classifier.onnx").read_bytes() + b"x"),
    "classes": lambda d, m: m["models"]["classifier"].update(classes=["AD", "IM", "HI"]),
    "input_name": lambda d, m: m["models"]["segmenter"].update(input_name="pixels"),
    "input_size": lambda d, m: m["models"]["classifier"].update(input_size=[128, 128]),
    "schema": lambda d, m: m.update(schema=1),
    "missing_file": lambda d, m: (d / "segmenter.onnx").unlink(),
}


@pytest.mark.parametrize("name", TAMPERING)
def test_manifest_disagreement_is_a_manifest_error(dev_dir, tmp_path, name):
    with pytest.raises(ModelManifestError) as failed:
        Pipeline.from_dir(tamper(dev_dir, tmp_path, TAMPERING[name]))
    assert failed.value.code == "model_manifest"


def test_overlay_shows_masks_and_boxes(dev_pipeline):
    data = photo_bytes((0.5, 0.5, 0.06))
    result = dev_pipeline.assess(data)
    for png in (dev_pipeline.overlay(data, result), result.overlay_png()):
        picture = Image.open(io.BytesIO(png))
        assert picture.format == "PNG" and picture.width == 1080 and picture.height > 810
        pixels = np.asarray(picture.convert("RGB"), dtype=int)
        photo = np.asarray(Image.open(io.BytesIO(data)).convert("RGB").resize((1080, 810)), dtype=int)
        # The lesion keeps its own colours (a tint would hide its texture) ...
        assert np.abs(pixels[405, 540] - photo[405, 540]).max() < 12
        # ... inside a magenta outline, and the skin around it is tinted blue.
        magenta = (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] > 110)
        assert magenta.sum() > 300
        assert pixels[100, 100][2] > photo[100, 100][2]
        yellow = (pixels[..., 0] > 230) & (pixels[..., 1] > 200) & (pixels[..., 2] < 60)
        assert yellow.sum() > 1000  # the crop boxes and labels


def test_overlays_can_be_drawn_from_several_threads(dev_pipeline):
    results = [dev_pipeline.assess(photo_bytes((0.3 + 0.3 * i, 0.5, 0.05))) for i in range(2)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pictures = list(pool.map(lambda r: r.overlay_png(), results * 2))
    assert all(Image.open(io.BytesIO(png)).size[0] == 1080 for png in pictures)
    assert pictures[:2] == pictures[2:] and pictures[0] != pictures[1]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "inference", "assess", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_cli_prints_json_and_writes_the_overlay(dev_dir, tmp_path):
    image, overlay = tmp_path / "photo.jpg", tmp_path / "out.png"
    image.write_bytes(photo_bytes())
    done = run_cli(image, "--json", "--overlay", overlay, "--models", dev_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert list(result) == DESIGN_KEYS and result["quality"] == "ok"
    assert Image.open(overlay).format == "PNG"


@pytest.mark.parametrize("content, code, status", [
    (b"hello, this is text\n", "unsupported_image", 2),
    (b"", "unsupported_image", 2),
    (photo_bytes()[:5000], "corrupt_image", 2),
])
def test_cli_refusal_is_json_and_non_zero(dev_dir, tmp_path, content, code, status):
    image = tmp_path / "input.jpg"
    image.write_bytes(content)
    done = run_cli(image, "--json", "--models", dev_dir)
    assert done.returncode == status
    assert json.loads(done.stdout)["error"] == code
    assert "Traceback" not in done.stderr + done.stdout


def test_cli_missing_file_and_missing_models(tmp_path, dev_dir):
    missing = run_cli(tmp_path / "nope.jpg", "--models", dev_dir)
    assert missing.returncode == 2 and json.loads(missing.stdout)["error"] == "file_unreadable"
    image = tmp_path / "photo.jpg"
    image.write_bytes(photo_bytes())
    no_models = run_cli(image, "--models", tmp_path / "empty")
    assert no_models.returncode == 3 and json.loads(no_models.stdout)["error"] == "model_manifest"
    assert "Traceback" not in no_models.stderr


needs_committed_models = pytest.mark.skipif(not (COMMITTED / "manifest.json").exists(),
                                            reason="models/manifest.json not committed yet")


@needs_committed_models
@pytest.mark.parametrize("distance, orientation", [("close", 1), ("long", 1), ("medium", 6)])
def test_committed_models_crop_the_phantom_lesion(pipeline, distance, orientation):
    from models.phantom import render
    sample = render(11, "HI", distance)
    upright = Image.fromarray(sample.image)
    data = sample.jpeg if orientation == 1 else encode(upright, "JPEG", orientation=orientation,
                                                       quality=90)
    result = pipeline.assess(data)
    assert result.quality == "ok"
    assert result.full_size == upright.size
    lesion = sample.mask == 2
    for crop in result.crops:
        x0, y0, x1, y1 = crop.box
        assert lesion[y0:y1, x0:x1].mean() >= 0.05  # the crop sits on the true lesion

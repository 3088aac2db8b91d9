"""Every quality verdict, on generated photos: before the models and after segmentation."""
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from inference.pipeline import Pipeline
from inference.quality import check_masks, check_photo
from tests.support.devmodels import build_dev_models
from tests.support.phone_photos import BACKGROUND, add_noise, encode, skin_photo


@pytest.fixture(scope="module")
def dev_pipeline(tmp_path_factory):
    return Pipeline.from_dir(build_dev_models(tmp_path_factory.mktemp("devmodels")))


def scaled(image: Image.Image, factor: float) -> Image.Image:
    return Image.fromarray(np.clip(np.asarray(image, np.float32) * factor, 0, 255).astype(np.uint8))


def long_shot_with_tiny_lesion():
    return skin_photo((1600, 1200), lesions=[(0.5, 0.5, 0.006)])


def low_resolution_with_small_lesion():
    """400×300: the lesion is clear in the masks, but any window around it would be < 96 px."""
    return skin_photo((400, 300), lesions=[(0.5, 0.5, 0.03)])


PHOTOS = {
    "ok": (lambda: skin_photo(), "ok"),
    "ok_without_noise": (lambda: skin_photo(noise=0), "ok"),
    "too_small": (lambda: skin_photo((240, 180)), "too_small"),
    "too_dark": (lambda: scaled(skin_photo(), 0.15), "too_dark"),
    "too_bright": (lambda: add_noise(Image.new("RGB", (1200, 900), (245, 245, 240)), 4), "too_bright"),
    "blown_out_flash": (lambda: add_noise(skin_photo(noise=0).point(lambda v: min(255, v * 3)), 2),
                        "too_bright"),
    "blurry": (lambda: skin_photo().filter(ImageFilter.GaussianBlur(5)), "blurry"),
}


@pytest.mark.parametrize("name", PHOTOS)
def test_photo_verdicts(name):
    make, verdict = PHOTOS[name]
    image = make()
    assert check_photo(image, image.size) == verdict


MONK_10 = (41, 36, 32)  # the darkest swatch of the Monk Skin Tone scale (models/phantom/skin.py)


def darkest_skin_in_daylight() -> Image.Image:
    """A rash on the darkest skin tone filling the frame in shade, a lit wall behind: exposed
    for the light, yet its mean luminance (about 33) is below the mean-only gate's 40."""
    image = Image.new("RGB", (1200, 900), tuple(round(0.8 * c) for c in MONK_10))
    ImageDraw.Draw(image).rectangle((0, 0, 1200, 30), fill=(205, 200, 190))
    ImageDraw.Draw(image).ellipse((520, 370, 680, 530), fill=(70, 40, 45))
    return add_noise(image, 6)


def test_the_darkest_skin_tone_is_not_too_dark_when_the_photo_is_lit():
    lit = darkest_skin_in_daylight()
    assert np.asarray(lit.convert("L"), np.float32).mean() < 40  # the mean-only gate's limit
    assert check_photo(lit, lit.size) == "ok"
    dim = scaled(lit, 0.3)  # the same scene in a dark room: nothing in the frame is lit
    assert check_photo(dim, dim.size) == "too_dark"


@pytest.mark.parametrize("name", ["too_small", "too_dark", "too_bright", "blurry"])
def test_photo_verdicts_stop_before_the_models(dev_pipeline, name):
    make, verdict = PHOTOS[name]
    result = dev_pipeline.assess(encode(make(), "PNG", compress_level=1))
    assert result.quality == verdict
    as_json = result.to_dict()
    assert as_json["skin_fraction"] is None and as_json["lesion_fraction"] is None
    assert as_json["crops"] == [] and as_json["probabilities"] == {}
    assert as_json["top"] is None and as_json["p_not_ad"] is None
    assert "segment" not in result.stages_ms


def mask(shape=(48, 64), box=None):
    out = np.zeros(shape, bool)
    if box:
        x0, y0, x1, y1 = box
        out[y0:y1, x0:x1] = True
    return out


@pytest.mark.parametrize("skin_box, lesion_box, windows, verdict", [
    (None, None, [], "no_skin"),
    ((0, 0, 10, 10), (2, 2, 6, 6), [(0, 0, 8, 8)], "no_skin"),   # 100 px of 3072 < 5 %
    ((0, 0, 64, 48), None, [], "no_lesion"),
    ((0, 0, 64, 48), (10, 10, 12, 13), [], "no_lesion"),          # 6 px: noise, not a rash
    ((0, 0, 64, 48), (10, 10, 13, 13), [], "lesion_too_small"),   # 9 px seen, no window passes
    ((0, 0, 64, 48), (10, 10, 20, 20), [(8, 8, 22, 22)], "ok"),
])
def test_mask_verdicts(skin_box, lesion_box, windows, verdict):
    assert check_masks(mask(box=skin_box), mask(box=lesion_box), windows) == verdict


SCENES = {
    "no_skin": (lambda: add_noise(Image.new("RGB", (1200, 900), BACKGROUND), 10), "no_skin"),
    "no_lesion": (lambda: skin_photo(lesions=[]), "no_lesion"),
    "lesion_too_small": (long_shot_with_tiny_lesion, "lesion_too_small"),
    "lesion_too_small_low_res": (low_resolution_with_small_lesion, "lesion_too_small"),
    "ok": (lambda: skin_photo(), "ok"),
}


@pytest.mark.parametrize("name", SCENES)
def test_verdicts_after_segmentation(dev_pipeline, name):
    make, verdict = SCENES[name]
    result = dev_pipeline.assess(encode(make(), "JPEG", quality=92))
    assert result.quality == verdict
    assert result.skin_fraction is not None and result.lesion_fraction is not None
    assert bool(result.crops) == (verdict == "ok")
    assert bool(result.probabilities) == (verdict == "ok")

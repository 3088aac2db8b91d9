"""The quality gate's limits at their edges (inference/quality.py): each verdict starts exactly
where its constant says, with the checks in table order (too_small, too_dark, too_bright,
blurry). Grey photos made pixel by pixel, so the mean, the 99th percentile and the clipped share
are known exactly; tests/test_inference_quality.py has the photo-like cases."""
import numpy as np
import pytest
from PIL import Image

from inference import quality
from inference.quality import check_masks, check_photo, grey_for_gate

BIG = (4000, 3000)  # the full-size photo the reduced one stands for: never too small


def grey_photo(values: dict[int, float], shape=(300, 400)) -> Image.Image:
    """An 8-bit grey photo holding each value on its share of the pixels (shares sum to 1)."""
    pixels = np.concatenate([np.full(round(share * shape[0] * shape[1]), value, np.uint8)
                             for value, share in values.items()])
    assert pixels.size == shape[0] * shape[1]
    return Image.fromarray(pixels.reshape(shape), "L")


PASSES = ("blurry", "ok")  # flat photos are blurry, two-tone ones have an edge: past the light checks


def verdict(values: dict[int, float], full_size=BIG) -> str:
    found = check_photo(grey_photo(values), full_size)
    return "passes" if found in PASSES else found


@pytest.mark.parametrize("short_side, expected", [(255, "too_small"), (256, "passes")])
def test_too_small_below_256_pixels_on_the_short_side(short_side, expected):
    assert verdict({128: 1.0}, (short_side, 4000)) == expected
    assert verdict({128: 1.0}, (4000, short_side)) == expected


@pytest.mark.parametrize("values, expected", [
    ({39: 1.0}, "too_dark"),                  # mean 39, nothing lit
    ({40: 1.0}, "passes"),                    # mean 40 is not below 40
    ({28: 0.97, 63: 0.03}, "too_dark"),       # the brightest 1 % at 63: still nothing lit
    ({28: 0.97, 64: 0.03}, "passes"),         # ... at 64: a lit part (the darkest skin, lit)
    ({20: 0.985, 63: 0.0125, 255: 0.0025}, "too_dark"),  # a few bright pixels are not the 99th percentile
])
def test_too_dark_needs_a_low_mean_and_no_lit_part(values, expected):
    assert verdict(values) == expected


@pytest.mark.parametrize("values, expected", [
    ({225: 1.0}, "passes"),                   # mean 225 is not above 225
    ({226: 1.0}, "too_bright"),
    ({250: 0.5, 100: 0.5}, "passes"),         # half the pixels clipped is not more than half
    ({250: 0.6, 100: 0.4}, "too_bright"),     # 250 counts as clipped (mean 190)
    ({249: 0.6, 100: 0.4}, "passes"),         # 249 does not
])
def test_too_bright_by_mean_or_by_clipped_share(values, expected):
    assert verdict(values) == expected


def test_a_sharp_photo_at_the_edge_of_dark_and_bright_is_ok():
    rng = np.random.default_rng(0)
    sharp = Image.fromarray(rng.integers(60, 200, (300, 400), dtype=np.uint8), "L")
    assert check_photo(sharp, BIG) == "ok"
    assert check_photo(sharp, (256, 256)) == "ok"


def test_blurry_below_the_laplacian_limit():
    blurry = dict(quality.PHOTO_CHECKS)["blurry"]
    checker = (np.indices((64, 64)).sum(axis=0) % 2).astype(np.float32)  # Laplacian ±4a: variance 16a²
    assert quality.laplacian_variance(checker * 0.6) == pytest.approx(16 * 0.36, rel=1e-5)
    assert blurry(checker * 0.6, BIG)                  # 5.76 < 6
    assert not blurry(checker * 0.625, BIG)            # 6.25


def test_the_gate_reads_a_grey_copy_at_512_on_the_long_side():
    assert grey_for_gate(Image.new("RGB", (1024, 768), (10, 200, 30))).shape == (384, 512)
    small = grey_for_gate(Image.new("RGB", (400, 300), (10, 200, 30)))
    assert small.shape == (300, 400) and small.dtype == np.float32
    assert grey_for_gate(Image.new("L", (512, 100), 7)).shape == (100, 512)  # 512 already: as it is
    assert grey_for_gate(Image.new("L", (4000, 2), 7)).shape == (1, 512)  # never 0 rows
    assert grey_for_gate(Image.new("L", (2, 4000), 7)).shape == (512, 1)
    # luminance, not one channel: pure green is bright, pure blue dark
    assert grey_for_gate(Image.new("RGB", (10, 10), (0, 255, 0)))[0, 0] == 150
    assert grey_for_gate(Image.new("RGB", (10, 10), (0, 0, 255)))[0, 0] == 29


def test_reducing_averages_fine_detail_instead_of_sampling_it():
    """A 1-pixel checkerboard at twice the size becomes an even grey (nearest-neighbour
    sampling would keep it black and white, and call every such photo sharp)."""
    board = ((np.indices((1024, 2048)).sum(axis=0) % 2) * 255).astype(np.uint8)
    grey = grey_for_gate(Image.fromarray(board, "L"))
    assert grey.shape == (256, 512) and grey.std() < 5 and abs(grey.mean() - 127.5) < 3


@pytest.mark.parametrize("skin_px, expected", [(19, "no_skin"), (20, "lesion_too_small")])
def test_no_skin_below_5_percent(skin_px, expected):
    skin = np.zeros(400, bool)
    skin[:skin_px] = True
    lesion = np.zeros(400, bool)
    lesion[:8] = True
    assert check_masks(skin.reshape(20, 20), lesion.reshape(20, 20), []) == expected

"""Decode: awkward but valid files come out as upright 8-bit RGB; broken ones are refused by code."""
import io

import numpy as np
import pytest
from PIL import Image

from inference import decode as decode_module
from inference.decode import MATTE, decode
from inference.errors import InferenceError
from tests.support.broken_files import BROKEN
from tests.support.phone_photos import encode, skin_photo

RED = (220, 30, 30)


def _save(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def cmyk_jpeg():
    return _save(Image.new("CMYK", (200, 150), (0, 255, 255, 0)), "JPEG", quality=95)


def palette_png_with_transparency():
    image = Image.new("P", (200, 150), 0)
    image.putpalette([0, 0, 0, *RED] + [0, 0, 0] * 254)
    image.paste(1, (0, 0, 100, 150))  # left half red, right half transparent index 0
    return _save(image, "PNG", transparency=0)


def png_16bit_grey():
    return _save(Image.fromarray(np.full((150, 200), 32768, dtype=np.uint16)), "PNG")


def la_grey_alpha():
    image = Image.new("LA", (200, 150), (200, 255))
    image.paste((200, 0), (100, 0, 200, 150))  # right half fully transparent
    return _save(image, "PNG")


def animated_gif():
    frames = [Image.new("RGB", (200, 150), RED), Image.new("RGB", (200, 150), (0, 0, 255))]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def webp():
    return _save(Image.new("RGB", (200, 150), RED), "WEBP", quality=95)


def grey_jpeg():
    return _save(Image.new("L", (200, 150), 90), "JPEG")


def rgba_png():
    image = Image.new("RGBA", (200, 150), RED + (255,))
    image.paste((0, 0, 0, 0), (100, 0, 200, 150))
    return _save(image, "PNG")


# (file maker, expected colour at the left quarter, at the right quarter)
AWKWARD = {
    "cmyk_jpeg": (cmyk_jpeg, (255, 0, 0), (255, 0, 0)),
    "palette_png_transparency": (palette_png_with_transparency, RED, MATTE),
    "png_16bit": (png_16bit_grey, (128, 128, 128), (128, 128, 128)),
    "la_grey_alpha": (la_grey_alpha, (200, 200, 200), MATTE),
    "animated_gif_first_frame": (animated_gif, RED, RED),
    "webp": (webp, RED, RED),
    "grey_jpeg": (grey_jpeg, (90, 90, 90), (90, 90, 90)),
    "rgba_png": (rgba_png, RED, MATTE),
}


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_files_decode_to_rgb(name):
    make, left, right = AWKWARD[name]
    decoded = decode(make())
    assert decoded.image.mode == "RGB"
    assert decoded.full_size == (200, 150) == decoded.image.size
    pixels = np.asarray(decoded.image, dtype=int)
    assert np.abs(pixels[75, 50] - left).max() <= 30, pixels[75, 50]
    assert np.abs(pixels[75, 150] - right).max() <= 30, pixels[75, 150]


@pytest.mark.parametrize("name", BROKEN)
def test_broken_files_are_refused_with_their_code(name):
    make, code = BROKEN[name]
    with pytest.raises(InferenceError) as refused:
        decode(make())
    assert refused.value.code == code
    assert refused.value.to_dict() == {"error": code, "message": refused.value.message}


def test_64_px_is_accepted():
    assert decode(_save(Image.new("RGB", (64, 64), RED), "PNG")).full_size == (64, 64)


def test_twelve_megapixel_jpeg_is_decoded_at_reduced_scale():
    data = encode(Image.new("RGB", (4000, 3000), RED), "JPEG", quality=80)
    decoded = decode(data)
    assert decoded.full_size == (4000, 3000)
    assert decoded.image.size == (1000, 750)  # DCT-scaled 1/4, never the full 12 MP
    assert decoded.scale == (4.0, 4.0)


def test_large_png_is_reduced_after_decoding():
    decoded = decode(_save(Image.new("RGB", (3000, 2000), RED), "PNG"))
    assert decoded.full_size == (3000, 2000)
    assert decoded.image.size == (1000, 667)


def _marker_photo() -> Image.Image:
    """Upright 320×240: red block top-left, blue block bottom-right, grey elsewhere."""
    image = Image.new("RGB", (320, 240), (128, 128, 128))
    image.paste(RED, (0, 0, 80, 60))
    image.paste((0, 0, 255), (240, 180, 320, 240))
    return image


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_gives_the_upright_photo(orientation, fmt):
    decoded = decode(encode(_marker_photo(), fmt, orientation=orientation))
    assert decoded.full_size == (320, 240) == decoded.image.size
    pixels = np.asarray(decoded.image, dtype=int)
    assert np.abs(pixels[20, 20] - RED).max() < 40
    assert np.abs(pixels[220, 300] - (0, 0, 255)).max() < 40


@pytest.mark.parametrize("orientation", [6, 8])
def test_rotated_twelve_megapixel_jpeg_reports_upright_full_size(orientation):
    data = encode(Image.new("RGB", (3000, 4000), RED), "JPEG", orientation=orientation, quality=70)
    decoded = decode(data)
    assert decoded.full_size == (3000, 4000)
    assert decoded.image.size == (750, 1000)


def test_broken_exif_block_still_decodes(monkeypatch):
    data = encode(_marker_photo(), "JPEG", orientation=6)
    exif_start = data.index(b"Exif\x00\x00")
    garbled = data[:exif_start + 6] + b"\x00" * 20 + data[exif_start + 26:]
    assert decode(garbled).full_size in ((320, 240), (240, 320))


def test_heic_is_refused_as_unsupported_without_pillow_heif():
    if decode_module._register_heif():
        pytest.skip("pillow-heif is installed; HEIC is read")
    heic_like = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)
    with pytest.raises(InferenceError) as refused:
        decode(heic_like)
    assert refused.value.code == "unsupported_image"


@pytest.mark.parametrize("fmt, params", [
    ("JPEG", {"progressive": True, "quality": 80}),
    ("MPO", {"save_all": True, "append_images": [Image.new("RGB", (4000, 3000))]}),
])
def test_progressive_and_multi_picture_jpegs_are_draft_decoded(fmt, params):
    data = _save(Image.new("RGB", (4000, 3000), RED), fmt, **params)
    decoded = decode(data)
    assert decoded.format in ("JPEG", "MPO")
    assert decoded.full_size == (4000, 3000) and decoded.image.size == (1000, 750)

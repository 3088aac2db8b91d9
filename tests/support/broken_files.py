"""Files the decoder must refuse, each with the stable code it gets (inference/errors.py).

Shared by tests/test_inference_decode.py (the decoder), tests/test_bad_input.py (the bot's
answers) and bench/bench_inference.py (how fast each is refused).
"""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from tests.support.phone_photos import encode, skin_photo

RED = (220, 30, 30)


def _save(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A real small PNG whose IHDR is rewritten to declare another size (valid CRC)."""
    data = bytearray(_save(Image.new("RGB", (64, 64)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(_save(Image.new("RGB", (64, 64)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _truncated_jpeg() -> bytes:
    data = encode(skin_photo((400, 300)), "JPEG", quality=90)
    return data[: len(data) // 2]


def _truncated_png() -> bytes:
    data = _save(skin_photo((400, 300)), "PNG")
    return data[: len(data) // 2]


def _corrupt_png_idat() -> bytes:
    data = bytearray(_save(skin_photo((400, 300)), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 40:idat + 400] = bytes(360)  # zeroed compressed stream, CRC now wrong
    return bytes(data)


BROKEN = {
    "zero_bytes": (lambda: b"", "unsupported_image"),
    "text_file": (lambda: "これは画像ではありません\nnot an image\n".encode() * 20, "unsupported_image"),
    "pdf_header": (lambda: b"%PDF-1.7\n" + bytes(500), "unsupported_image"),
    "truncated_jpeg": (_truncated_jpeg, "corrupt_image"),
    "truncated_png": (_truncated_png, "corrupt_image"),
    "corrupt_png_data": (_corrupt_png_idat, "corrupt_image"),
    "png_bomb_60mp": (lambda: _png_declaring(10000, 6000), "image_too_large"),
    "png_bomb_400mp": (lambda: _png_declaring(20000, 20000), "image_too_large"),
    "jpeg_bomb_60mp": (lambda: _jpeg_declaring(10000, 6000), "image_too_large"),
    "side_63px": (lambda: _save(Image.new("RGB", (63, 400), RED), "PNG"), "image_too_small"),
    "jpeg_63px": (lambda: _save(Image.new("RGB", (400, 63), RED), "JPEG"), "image_too_small"),
    "over_20mb": (lambda: b"\xff\xd8\xff\xe0" + bytes(20 * 1024 * 1024), "file_too_large"),
}

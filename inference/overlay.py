"""The overlay picture: what the extraction did, readable on a phone.

Skin is lightly tinted blue; the lesion keeps its own colours inside a magenta outline with a
white halo (a filled tint hid the very texture a clinician wants to see) and a light magenta
hatch, so a lesion that fills the frame, whose outline then runs along the border, still
shows; each chosen crop is a thick yellow box labelled with its rank and top class; a footer
lists each crop's probability, the verdict, the photo-level result and which (unvalidated)
models made it. A photo the models did not judge (`unfamiliar`, no rash found, ...) gets a
banner saying why and no class. The caller may pass the banner and footer lines in the
user's language (`lines`); Japanese is drawn with the IPAex font from matplotlib-fontja.
"""
from __future__ import annotations

import importlib.resources
import io
import threading
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inference.validation import STATEMENT, statement

LONG_SIDE = 1080
SKIN_TINT = (40, 150, 255)
LESION_TINT = (255, 0, 150)
SKIN_ALPHA = 0.22  # light enough to still see the skin itself
OUTLINE_WIDTH = 3
BOX_COLOUR = (255, 220, 0)
INK, PAPER = (255, 255, 255), (20, 20, 20)
HATCH_SPACING = 14        # pixels between the hatch's diagonal lines
HATCH_ALPHA = 0.35
BANNER = (120, 120, 120)
FONT_FILES = ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# English for the command line; the bot passes its own lines in the user's language.
NOT_JUDGED = {
    "unfamiliar": "Not judged: this photo is unlike the photos the models learned from, "
                  "so no disease is named.",
    "no_lesion": "No rash found in this photo; no disease is named.",
    "no_skin": "Too little skin in this photo: fill the picture with the skin that has the rash.",
    "lesion_too_small": "The rash is too small in this photo: come closer.",
    "too_small": "The photo is too small to judge: send it at full size.",
    "too_dark": "The photo is too dark to judge: take it in daylight.",
    "too_bright": "The photo is too bright to judge: avoid direct light and flash.",
    "blurry": "The photo is blurred: hold the phone still and tap to focus.",
}


_fonts = threading.local()  # a FreeType face is not shared between threads


def font(size: int, cjk: bool = False) -> ImageFont.ImageFont:
    cache = _fonts.__dict__.setdefault("by_size", {})
    if (size, cjk) not in cache:
        cache[(size, cjk)] = _load_font(size, cjk)
    return cache[(size, cjk)]


def _cjk_font_file() -> str | None:
    try:
        path = importlib.resources.files("matplotlib_fontja") / "fonts" / "ipaexg.ttf"
    except ModuleNotFoundError:
        return None
    return str(path) if path.is_file() else None


def _needs_cjk(lines) -> bool:
    return any(ord(ch) > 0x2E7F for line in lines for ch in line)


def _load_font(size: int, cjk: bool = False) -> ImageFont.ImageFont:
    for name in ((_cjk_font_file(),) if cjk else ()) + FONT_FILES:
        if name is None:
            continue
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def render_png(image: Image.Image, assessment, lines: list[str] | None = None, **options) -> bytes:
    picture = render(image, assessment, lines, **options)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def render_jpeg(image: Image.Image, assessment, quality: int = 85,
                lines: list[str] | None = None, **options) -> bytes:
    """The overlay the bot stores for every photo: a photo compresses ~10x better and ~40x
    faster as JPEG than as PNG (bench/load.py: PNG encoding capped the bot near 3 photos/s)."""
    picture = render(image, assessment, lines, **options)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def render(image: Image.Image, assessment, lines: list[str] | None = None,
           models: list[str] | None = None, box: str = "{n} {top}") -> Image.Image:
    """`lines`: the footer's first lines (result, crops, legend) in the user's language; for a
    photo that was not judged, lines[0] is the banner (why). `models`: the model lines in that
    language (None: English); they always end the footer. `box`: each crop's label ({n}, {top}).

    The picture (banner, photo, footer) is allocated once and the photo is tinted in it with one
    composite (_tint): two blends, two composites, two pastes, two mask upscales and the copies
    into a new picture for banner and footer were three quarters of an overlay's CPU
    (bench/bench_photo_parts.py measures overlay_jpeg())."""
    photo = _fit(image if image.mode == "RGB" else image.convert("RGB"))  # only read from
    width, height = photo.size
    lines = list(lines) if lines else _footer_lines(assessment)
    banner = None
    if not assessment.ok and lines:
        banner, lines = _banner_band(lines[0], width), lines[1:]
    footer = _footer_band(tuple(lines + (list(models) if models else _model_lines(assessment.models))), width)
    top = banner.height if banner else 0
    picture = Image.new("RGB", (width, top + height + footer.height), None)  # all pasted over
    picture.paste(photo, (0, top))
    if assessment.masks is not None:
        layer = _tint(assessment.masks, photo.size)
        picture.paste(layer, (0, top), layer)
    draw = ImageDraw.Draw(picture)
    full_w = (assessment.full_size or image.size)[0]
    for rank, crop in enumerate(assessment.crops, start=1):
        _draw_crop(draw, photo.size, top, box.format(n=rank, top=crop.top), crop, width / full_w)
    # Pasted last: a box drawn past the photo's edge is cut there, as on a picture of its own.
    if banner:
        picture.paste(banner, (0, 0))
    picture.paste(footer, (0, top + height))
    return picture


def _fit(image: Image.Image) -> Image.Image:
    """At most LONG_SIDE; never enlarged (that adds no detail, only ~50 ms of drawing)."""
    ratio = LONG_SIDE / max(image.size)
    if ratio >= 1:
        return image
    size = (round(image.width * ratio), round(image.height * ratio))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


# The four tints as one layer, pasted once: a blend then a composite through a 0/255 mask is one
# composite through a mask of alpha * 255, and the layer is premultiplied ('RGBa'), which PIL
# pastes three times faster than an 'RGBA' one. Each pixel's key (its bits below) picks its
# tint pixel from a table: the two cuts at half sit where they fall in the upscaled 'La' pair read
# as 16 bit (bits 7 and 15, shifted to 0 and 8), then the hatch, the outline and the halo.
SKIN_BIT, HATCH_BIT, RING_BIT, HALO_BIT, LESION_BIT = 0x1, 0x2, 0x4, 0x8, 0x100


def _premultiplied(colour: tuple, alpha: float) -> tuple:
    """(r, g, b, a) of a tint: its colour multiplied by its alpha, what an 'RGBa' pixel holds."""
    a = round(alpha * 255)
    return tuple(c * a / 255 for c in colour) + (a,)


def _over(under: tuple, over: tuple) -> tuple:
    """Two premultiplied tints laid one over the other, as one."""
    return tuple(o + u * (1 - over[3] / 255) for u, o in zip(under, over))


def _tint_pixel(key: int) -> tuple:
    """The outline and the halo cover everything (outside the lesion: no lesion bit there); the
    hatch is laid over the skin's tint where both cuts hold (both bilinear values exactly half),
    as the blends one after the other did."""
    if key & RING_BIT:
        return _premultiplied(LESION_TINT, 1.0)
    if key & HALO_BIT:
        return _premultiplied(INK, 1.0)
    tint = _premultiplied(SKIN_TINT, SKIN_ALPHA) if key & SKIN_BIT else _premultiplied((0, 0, 0), 0.0)
    if key & LESION_BIT and key & HATCH_BIT:
        tint = _over(tint, _premultiplied(LESION_TINT, HATCH_ALPHA))
    return tint


# One 32-bit 'RGBa' pixel per key: np.take of these is the layer's pixels.
TINT_PIXELS = np.array([[round(v) for v in _tint_pixel(key)] for key in range(2 * LESION_BIT)],
                       np.uint8).view(np.uint32).ravel()
TINT_PIXELS.flags.writeable = False


def _tint(masks, size) -> Image.Image:
    """The 'RGBa' layer to paste through itself: skin (not lesion) light blue, the lesion's hatch
    light magenta, a magenta outline OUTLINE_WIDTH wide around the lesion and a one-pixel white
    halo outside it.

    Both bool grids are upscaled in one resize, as the two bands of an 'La' picture (not 'LA',
    whose resize premultiplies), bilinear and then cut at half: the smooth edge (NEAREST looks
    blocky)."""
    width, height = size
    grids = np.stack([masks.skin & ~masks.lesion, masks.lesion], axis=-1).astype(np.uint8) * 255
    pair = Image.frombytes("La", grids.shape[1::-1], grids.tobytes()).resize(size, Image.Resampling.BILINEAR)
    halves = np.frombuffer(pair.tobytes(), "<u2").reshape(height, width)
    key = (halves >> 7) & (SKIN_BIT | LESION_BIT)
    key |= _hatch(size)
    lesion = halves >= 0x8000
    rows, cols = np.flatnonzero(lesion.any(axis=1)), np.flatnonzero(lesion.any(axis=0))
    if rows.size:  # the outline and halo, worked out around the lesion only
        margin = OUTLINE_WIDTH + 1
        window = (slice(max(0, rows[0] - margin), rows[-1] + margin + 1),
                  slice(max(0, cols[0] - margin), cols[-1] + margin + 1))
        inside = lesion[window]
        ring = _dilate(inside, OUTLINE_WIDTH)
        halo = _dilate(ring, 1) & ~ring
        key[window] |= (ring & ~inside).view(np.uint8) * RING_BIT | halo.view(np.uint8) * HALO_BIT
    return Image.frombuffer("RGBa", size, np.take(TINT_PIXELS, key), "raw", "RGBa", 0, 1)


@lru_cache(maxsize=8)
def _hatch(size) -> np.ndarray:
    """HATCH_BIT on thin diagonal lines (1 in HATCH_SPACING pixels, two pixels wide), else 0;
    cached per size (read only), as photos share a few sizes."""
    width, height = size
    diagonal = (np.arange(width)[None, :] + np.arange(height)[:, None]) % HATCH_SPACING
    hatch = np.where(diagonal < 2, HATCH_BIT, 0).astype(np.uint8)
    hatch.flags.writeable = False
    return hatch


def _banner_band(text: str, width: int) -> Image.Image:
    """A band across the top saying why the photo was not judged."""
    size = max(18, width // 40)
    face = font(size, _needs_cjk([text]))
    lines = _wrap(text, face, width - size)
    line_h = int(size * 1.4)
    band = Image.new("RGB", (width, line_h * len(lines) + size), BANNER)
    draw = ImageDraw.Draw(band)
    for i, line in enumerate(lines):
        draw.text((size // 2, size // 2 + i * line_h), line, fill=INK, font=face)
    return band


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """MaxFilter(2 * radius + 1) of a bool grid, as two separable numpy passes: PIL's rank filter
    took ~120 ms on a 1080 px mask, this takes a few tenths."""
    wide = mask.copy()
    for d in range(1, radius + 1):
        np.maximum(wide[:, d:], mask[:, :-d], out=wide[:, d:])
        np.maximum(wide[:, :-d], mask[:, d:], out=wide[:, :-d])
    out = wide.copy()
    for d in range(1, radius + 1):
        np.maximum(out[d:], wide[:-d], out=out[d:])
        np.maximum(out[:-d], wide[d:], out=out[:-d])
    return out


def _draw_crop(draw: ImageDraw.ImageDraw, size, top: int, text: str, crop, scale: float):
    """On the photo of `size`, `top` pixels down the picture."""
    x0, y0, x1, y1 = (v * scale for v in crop.box)
    y0, y1 = y0 + top, y1 + top
    width = max(4, size[0] // 180)
    draw.rectangle((x0, y0, x1, y1), outline=PAPER, width=width + 4)
    draw.rectangle((x0 + 2, y0 + 2, x1 - 2, y1 - 2), outline=BOX_COLOUR, width=width)
    font_size = max(22, size[0] // 32)
    left, upper, right, lower = _bbox(font(font_size), text)
    pad = font_size // 5
    # Inside the box's top-left corner, so labels of neighbouring boxes rarely collide.
    tx = min(max(0, x0 + width + 2), size[0] - (right - left) - 2 * pad)
    ty = min(max(top, y0 + width + 2), top + size[1] - (lower - upper) - 2 * pad)
    draw.rectangle((tx, ty, tx + right - left + 2 * pad, ty + lower - upper + 2 * pad), fill=BOX_COLOUR)
    draw.text((tx + pad - left, ty + pad - upper), text, fill=PAPER, font=font(font_size))


def caption_lines(assessment, captions: dict | None) -> list[str] | None:
    """The footer lines for this assessment from the caller's captions (None: none given).

    captions[verdict] is a list of lines in the reader's language that may name {top} (the
    class, spelled out by captions["classes"]), {p_not_ad} (a percentage) and {crops} (each
    crop as captions["crop"], which may name {n}, {name} and {p}, joined by two spaces;
    captions["no_crops"] when there is none)."""
    templates = (captions or {}).get(assessment.quality)
    if not templates:
        return None
    names = captions.get("classes") or {}
    crop = captions.get("crop", "{n} {name} {p}")
    crops = "  ".join(crop.format(n=i, name=names.get(c.top, c.top), p=f"{c.probabilities[c.top]:.0%}")
                      for i, c in enumerate(assessment.crops or (), start=1))
    fields = {"top": names.get(assessment.top, assessment.top or ""),
              "p_not_ad": "" if assessment.p_not_ad is None else f"{assessment.p_not_ad:.0%}",
              "crops": crops or captions.get("no_crops", "-")}
    return [line.format(**fields) for line in templates]


def caption_options(assessment, captions: dict | None) -> dict:
    """render()'s keyword arguments from the caller's captions: `lines` (caption_lines),
    `models` from captions["models"] (lines that may name {segmenter}, {classifier} and
    {validated}, the last spelled by captions["checked"] (filled with what a signed validation
    measured, inference/validation.py) / captions["not_validated"]) and
    `box` from captions["box"] (e.g. "{n}": the class is named in the footer)."""
    captions = captions or {}
    options = {}
    lines = caption_lines(assessment, captions)
    if lines:
        options["lines"] = lines
    if captions.get("models"):
        models = assessment.models or {}
        # Signed: exactly what the models were checked on; never a bare "validated".
        validated = statement(models, captions.get("checked", STATEMENT)) \
            or ("" if models.get("validated") else captions.get("not_validated", ""))
        options["models"] = [line.format(segmenter=models.get("segmenter", "?"),
                                         classifier=models.get("classifier", "?"), validated=validated)
                             for line in captions["models"]]
    if captions.get("box"):
        options["box"] = captions["box"]
    return options


def _footer_lines(assessment) -> list[str]:
    """English, for the command line (the bot passes its own lines)."""
    legend = "blue = skin   magenta line and hatch = lesion   yellow = crops"
    if not assessment.ok:
        return [NOT_JUDGED.get(assessment.quality, f"not judged: {assessment.quality}"), legend]
    result = f"{assessment.top} (not AD {assessment.p_not_ad:.0%})"
    crops = "  ".join(f"{i} {c.top} {c.probabilities[c.top]:.0%}"
                      for i, c in enumerate(assessment.crops, start=1))
    return [f"quality: {assessment.quality}   result: {result}", f"crops: {crops or 'none'}", legend]


def _model_lines(models: dict) -> list[str]:
    validated = statement(models) or ("" if models.get("validated") else "NOT clinically validated")
    return [f"segmenter {models.get('segmenter')}",
            f"classifier {models.get('classifier')} · {validated}"]


@lru_cache(maxsize=32)
def _footer_band(footer: tuple[str, ...], width: int) -> Image.Image:
    """The footer's lines drawn on their band; remembered (read only: only pasted), as the same
    lines come back at the same widths (a phone's photo size; in shadow mode no number at all):
    drawing Japanese was a quarter of an overlay's CPU."""
    size = max(16, width // 48)
    face = font(size, _needs_cjk(footer))
    lines = [part for line in footer for part in _wrap(line, face, width - size)]
    line_h = int(size * 1.4)
    band = Image.new("RGB", (width, line_h * len(lines) + size), PAPER)
    draw = ImageDraw.Draw(band)
    for i, line in enumerate(lines):
        draw.text((size // 2, size // 2 + i * line_h), line, fill=INK, font=face)
    return band


@lru_cache(maxsize=4096)
def _length(face, text: str) -> float:
    """face.getlength, remembered: the same captions are measured for every overlay (wrapping
    Japanese measures each growing line, a third of an overlay's CPU without this)."""
    return face.getlength(text)


@lru_cache(maxsize=1024)
def _bbox(face, text: str) -> tuple:
    """draw.textbbox((0, 0), text, face) on an RGB picture, remembered as _length: the same few
    crop labels are measured for every overlay."""
    return face.getbbox(text, "L")


def _wrap(text: str, face, width: int) -> list[str]:
    """Greedy wrap at spaces; Japanese, and a word wider than the picture (a model name on a
    narrow photo), wrap between characters."""
    if _needs_cjk([text]):
        return _greedy(list(text), "", face, width)
    words = [piece for word in text.split(" ")
             for piece in (_greedy(list(word), "", face, width) if _length(face, word) > width else [word])]
    return _greedy(words, " ", face, width)


def _greedy(words: list[str], joiner: str, face, width: int) -> list[str]:
    lines, current = [], ""
    for word in words:
        candidate = f"{current}{joiner}{word}" if current else word
        if current and _length(face, candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return lines + [current]

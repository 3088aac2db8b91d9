"""The default rich menu: a 3 x 2 grid drawn with Pillow, labels in Japanese and English.

`python -m bot richmenu install` calls install(line): create the menu, upload the
image, make it the default for every user. The simulator page shows the same menu.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

from PIL import Image, ImageDraw, ImageFont

from bot.views.fonts import cjk_font_path
from bot.texts.conversation import EN, JA

SIZE = (2500, 1686)  # LINE's large menu
COLUMNS, ROWS = 3, 2
BACKGROUND = (250, 247, 242)
INK = (45, 52, 54)
ACCENT = (0, 137, 123)
LINE_COLOUR = (214, 208, 200)


@dataclass(frozen=True)
class Tile:
    label: str  # text key in bot/texts/conversation.py
    action: dict  # LINE action object (label filled in from the text)
    icon: str  # name in ICONS


TILES = (
    # LINE's URL scheme that opens the camera inside the chat.
    Tile("conv.menu_photo", {"type": "uri", "uri": "https://line.me/R/nv/camera/"}, "camera"),
    Tile("conv.menu_history", {"type": "postback", "data": "action=history"}, "clock"),
    Tile("conv.menu_clinic", {"type": "postback", "data": "action=clinics"}, "cross"),
    Tile("conv.menu_checkin", {"type": "postback", "data": "action=checkin"}, "calendar"),
    Tile("conv.menu_privacy", {"type": "postback", "data": "action=consent"}, "lock"),
    Tile("conv.menu_help", {"type": "postback", "data": "action=help"}, "question"),
)


def cell_bounds(index: int) -> tuple[int, int, int, int]:
    width, height = SIZE[0] // COLUMNS, SIZE[1] // ROWS
    col, row = index % COLUMNS, index // COLUMNS
    x1 = SIZE[0] if col == COLUMNS - 1 else (col + 1) * width
    y1 = SIZE[1] if row == ROWS - 1 else (row + 1) * height
    return col * width, row * height, x1, y1


def menu_body() -> dict:
    """The rich menu object for POST /v2/bot/richmenu."""
    areas = []
    for index, tile in enumerate(TILES):
        x0, y0, x1, y1 = cell_bounds(index)
        # One menu for every language: a tap sends no text of its own (a displayText would put
        # Japanese in an English user's chat); the label is for screen readers.
        action = dict(tile.action, label=JA[tile.label][:20])
        areas.append({"bounds": {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}, "action": action})
    return {
        "size": {"width": SIZE[0], "height": SIZE[1]},
        "selected": True,
        "name": "adai-main",
        "chatBarText": "メニュー / Menu",
        "areas": areas,
    }


def _camera(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    draw.rounded_rectangle((cx - r, cy - r * 0.65, cx + r, cy + r * 0.75), radius=r * 0.2, outline=ACCENT, width=14)
    draw.rectangle((cx - r * 0.35, cy - r * 0.85, cx + r * 0.35, cy - r * 0.65), fill=ACCENT)
    draw.ellipse((cx - r * 0.42, cy - r * 0.37, cx + r * 0.42, cy + r * 0.47), outline=ACCENT, width=14)


def _clock(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ACCENT, width=14)
    draw.line((cx, cy, cx, cy - r * 0.6), fill=ACCENT, width=14)
    draw.line((cx, cy, cx + r * 0.45, cy + r * 0.2), fill=ACCENT, width=14)


def _cross(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    a = r * 0.32
    draw.polygon(
        [(cx - a, cy - r), (cx + a, cy - r), (cx + a, cy - a), (cx + r, cy - a), (cx + r, cy + a),
         (cx + a, cy + a), (cx + a, cy + r), (cx - a, cy + r), (cx - a, cy + a), (cx - r, cy + a),
         (cx - r, cy - a), (cx - a, cy - a)],
        outline=ACCENT, width=14,
    )


def _calendar(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    draw.rounded_rectangle((cx - r, cy - r * 0.8, cx + r, cy + r), radius=r * 0.12, outline=ACCENT, width=14)
    draw.line((cx - r, cy - r * 0.35, cx + r, cy - r * 0.35), fill=ACCENT, width=14)
    for dx in (-0.5, 0.5):
        draw.line((cx + dx * r, cy - r, cx + dx * r, cy - r * 0.6), fill=ACCENT, width=14)
    draw.line((cx - r * 0.45, cy + r * 0.3, cx - r * 0.1, cy + r * 0.65, cx + r * 0.5, cy), fill=ACCENT, width=14)


def _lock(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    draw.rounded_rectangle((cx - r * 0.8, cy - r * 0.1, cx + r * 0.8, cy + r), radius=r * 0.12, outline=ACCENT, width=14)
    draw.arc((cx - r * 0.5, cy - r, cx + r * 0.5, cy + r * 0.1), start=180, end=360, fill=ACCENT, width=14)
    for dx in (-0.5, 0.5):
        draw.line((cx + dx * r, cy - r * 0.45, cx + dx * r, cy - r * 0.1), fill=ACCENT, width=14)
    draw.ellipse((cx - r * 0.12, cy + r * 0.3, cx + r * 0.12, cy + r * 0.54), fill=ACCENT)


def _question(draw: ImageDraw.ImageDraw, cx: int, cy: int, r: int) -> None:
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=ACCENT, width=14)
    font = ImageFont.truetype(str(cjk_font_path()), int(r * 1.3))
    draw.text((cx, cy + r * 0.05), "?", font=font, fill=ACCENT, anchor="mm")


ICONS: dict[str, Callable[[ImageDraw.ImageDraw, int, int, int], None]] = {
    "camera": _camera, "clock": _clock, "cross": _cross,
    "calendar": _calendar, "lock": _lock, "question": _question,
}


def draw_image() -> bytes:
    """The menu picture as PNG bytes (under LINE's 1 MB limit)."""
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    font_path = str(cjk_font_path())
    big, small = ImageFont.truetype(font_path, 104), ImageFont.truetype(font_path, 64)
    for index, tile in enumerate(TILES):
        x0, y0, x1, y1 = cell_bounds(index)
        cx = (x0 + x1) // 2
        draw.rectangle((x0, y0, x1, y1), outline=LINE_COLOUR, width=4)
        ICONS[tile.icon](draw, cx, y0 + 270, 150)
        draw.text((cx, y0 + 560), JA[tile.label], font=big, fill=INK, anchor="mm")
        draw.text((cx, y0 + 680), EN[tile.label], font=small, fill=(110, 110, 110), anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def install(line) -> str:
    """Create the menu, upload its image and make it every user's default; returns its id."""
    menu_id = line.create_rich_menu(menu_body())
    line.set_rich_menu_image(menu_id, draw_image(), "image/png")
    line.set_default_rich_menu(menu_id)
    return menu_id

"""The rich menu: drawn with the bundled IPAex font, installed through the API by the CLI."""
import io

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from bot import __main__ as cli
from bot.engine.router import Router, parse_postback
from bot.features import DEFAULT
from bot.views import richmenu
from bot.views.fonts import cjk_font_path
from bot.texts.conversation import JA
from tests.support import SECRET, TOKEN


def rendered(text: str) -> Image.Image:
    image = Image.new("L", (400, 120), 0)
    ImageDraw.Draw(image).text((10, 10), text, font=ImageFont.truetype(str(cjk_font_path()), 80), fill=255)
    return image


def test_font_comes_from_the_installed_package_not_the_system():
    path = cjk_font_path()
    assert path.name == "ipaexg.ttf" and "matplotlib_fontja" in path.parts


@pytest.mark.parametrize("tile", richmenu.TILES, ids=lambda tile: tile.label)
def test_every_japanese_label_has_real_glyphs(tile):
    """A missing glyph draws the font's 'notdef' box: every character must differ from it."""
    tofu = rendered("\ue000")
    for char in JA[tile.label]:
        assert ImageChops.difference(rendered(char), tofu).getbbox() is not None, char


def test_image_is_a_large_menu_under_one_megabyte():
    data = richmenu.draw_image()
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == richmenu.SIZE == (2500, 1686)
    assert len(data) < 1024 * 1024


def test_areas_tile_the_image_and_every_postback_has_a_handler(app):
    body = richmenu.menu_body()
    area = sum(a["bounds"]["width"] * a["bounds"]["height"] for a in body["areas"])
    assert area == 2500 * 1686 and len(body["areas"]) == 6
    for entry in body["areas"]:
        action = entry["action"]
        if action["type"] == "postback":
            assert parse_postback(action["data"])["action"] in Router(DEFAULT).actions
        else:
            assert action["uri"].startswith("https://")


def test_cli_installs_the_menu_as_everyones_default(emulator, monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", SECRET)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("LINE_API_BASE_URL", emulator.url)
    assert cli.main(["richmenu", "install"]) == 0
    menu_id = emulator.default_rich_menu
    assert menu_id is not None
    assert emulator.rich_menus[menu_id]["chatBarText"] == "メニュー / Menu"
    assert emulator.rich_menu_images[menu_id] == richmenu.draw_image()


def test_cli_refuses_in_simulator_mode(monkeypatch, capsys):
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADAI_SIMULATOR", "1")
    assert cli.main(["richmenu", "install"]) == 1
    assert "simulator" in capsys.readouterr().out


def test_a_tap_puts_no_japanese_text_in_an_english_users_chat():
    """Issue 12 item 9: the one default menu serves every language, so a tap sends no text of
    its own (no displayText, no message action); the bot answers in the user's language."""
    for entry in richmenu.menu_body()["areas"]:
        action = entry["action"]
        assert "displayText" not in action and action["type"] != "message", action

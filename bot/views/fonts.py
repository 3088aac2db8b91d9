"""The CJK font we draw and serve with: IPAex Gothic as shipped by matplotlib-fontja.

Found through the installed package, never a system font, so Japanese renders the
same on a bare server, in CI and in a headless browser.
"""
from __future__ import annotations

import importlib.resources
from pathlib import Path


class CJKFontMissing(RuntimeError):
    """matplotlib-fontja is not installed or no longer ships its IPAex font."""


def cjk_font_path() -> Path:
    try:
        fonts = importlib.resources.files("matplotlib_fontja") / "fonts"
    except ModuleNotFoundError as exc:
        raise CJKFontMissing("install matplotlib-fontja (requirements.txt)") from exc
    path = Path(str(fonts / "ipaexg.ttf"))
    if not path.is_file():
        raise CJKFontMissing(f"no ipaexg.ttf in {fonts}")
    return path

"""Texts the patient reads, Japanese (default) and English.

One module per feature in this package, each with `JA` and `EN` dicts; `t(key, lang)`
finds the key in whichever module defines it (modules are collected on first use).
"""

import importlib
import pkgutil
import string

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"
_catalog: dict[str, dict[str, str]] | None = None


class UnknownText(KeyError):
    """No module in bot/texts defines this key."""


class DuplicateText(RuntimeError):
    """Two text modules define the same key."""


def catalog() -> dict[str, dict[str, str]]:
    global _catalog
    if _catalog is None:
        merged = {lang: {} for lang in LANGS}
        for info in pkgutil.iter_modules(__path__):
            module = importlib.import_module(f"{__name__}.{info.name}")
            for lang, table in (("ja", getattr(module, "JA", {})), ("en", getattr(module, "EN", {}))):
                clash = merged[lang].keys() & table.keys()
                if clash:
                    raise DuplicateText(f"{info.name} redefines {sorted(clash)}")
                merged[lang].update(table)
        _catalog = merged
    return _catalog


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The text for key in lang (falling back to Japanese), with {placeholders} filled."""
    texts = catalog()
    template = texts.get(lang, {}).get(key) or texts[DEFAULT_LANG].get(key)
    if template is None:
        raise UnknownText(key)
    return template.format(**values) if values else template


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}

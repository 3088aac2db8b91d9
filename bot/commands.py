"""Text commands: a table of small functions. Each entry has the words that call it
(ja, en) and a help line (ja, en). Features append their Command entries to COMMANDS."""

import unicodedata
from dataclasses import dataclass
from typing import Callable

from bot.texts import t


@dataclass(frozen=True)
class Command:
    name: str
    words_ja: tuple[str, ...]
    words_en: tuple[str, ...]
    help_ja: str
    help_en: str
    function: Callable  # function(ctx, rest: str)

    @property
    def words(self) -> tuple[str, ...]:
        return self.words_ja + self.words_en


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, no surrounding blanks."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def help_command(ctx, rest=""):
    lines = [t("core.help_intro", ctx.lang)]
    for command in COMMANDS:
        word = (command.words_en if ctx.lang == "en" else command.words_ja)[0]
        helptext = command.help_en if ctx.lang == "en" else command.help_ja
        lines.append(t("core.help_line", ctx.lang, word=word, help=helptext))
    ctx.answer({"type": "text", "text": "\n".join(lines)})


COMMANDS: list[Command] = [
    Command("help", ("使い方", "ヘルプ"), ("help", "?"), "この使い方を表示します", "show this help", help_command),
]


def find(text: str) -> tuple[Command | None, str]:
    """The command a message starts with (longest word wins), and the rest of the message."""
    said = normalize(text)
    best, best_word = None, ""
    for command in COMMANDS:
        for word in command.words:
            w = normalize(word)
            if (said == w or said.startswith(w + " ")) and len(w) > len(best_word):
                best, best_word = command, w
    return best, said[len(best_word):].strip() if best else said


# Text that is no command goes to each of these in turn, function(ctx, text) -> True when
# it took the message (e.g. a dialogue waiting for a free-text answer); else the help.
TEXT_HOOKS: list[Callable] = []


def on_text(ctx, text: str):
    command, rest = find(text)
    if command is not None:
        command.function(ctx, rest)
        return
    for hook in TEXT_HOOKS:
        if hook(ctx, text):
            return
    help_command(ctx)

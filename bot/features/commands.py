"""Text messages and the commands everyone has: help, language, delete my data.

A text goes to `on_text`: over MAX_TEXT_CHARS it is refused; else the router finds the command
its first words name (every feature's `commands`); anything else is the answer to a question
that waits (engine/pending.py: the feature's `replies`), or else gets the help.
"""

from bot.engine import pending
from bot.engine.router import Command, Feature
from bot.views.cards import postback, text_message
from storage import users

MAX_TEXT_CHARS = 2000
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


def on_text(ctx):
    text = ctx.message.get("text", "")
    if len(text or "") > MAX_TEXT_CHARS:
        ctx.answer(text_message(ctx.t("conv.too_long", limit=MAX_TEXT_CHARS)))
        return
    command, rest = ctx.router.find_command(text)
    if command is not None:
        command.function(ctx, rest)
        return
    waiting = pending.waiting(ctx)
    reply = ctx.router.replies.get(waiting[0]) if waiting else None
    if reply is None:
        help_command(ctx)
        return
    reply(ctx, text, waiting[1])


def help_command(ctx, rest=""):
    lines = [ctx.t("core.help_intro")]
    for command in ctx.router.commands:
        word = (command.words_en if ctx.lang == "en" else command.words_ja)[0]
        helptext = command.help_en if ctx.lang == "en" else command.help_ja
        lines.append(ctx.t("core.help_line", word=word, help=helptext))
    ctx.answer({"type": "text", "text": "\n".join(lines)})


# --- delete my data --------------------------------------------------------------------

def delete_ask(ctx, rest: str = ""):
    yes, no = ctx.t("conv.qr_delete_yes"), ctx.t("conv.qr_cancel")
    ctx.answer(text_message(
        ctx.t("conv.delete_confirm"),
        [postback(yes, "action=delete&confirm=yes", yes), postback(no, "action=delete&confirm=no", no)],
    ))


def delete_postback(ctx, params: dict):
    if params.get("confirm") != "yes":
        ctx.answer(text_message(ctx.t("conv.delete_cancelled")))
        return
    # Answer first: sending records a row under the user's id, which forget() then erases.
    # Should forget() fail, the event is replayed; the answer is not sent twice.
    ctx.answer(text_message(ctx.t("conv.delete_done")))
    users.forget(ctx.db, ctx.user_id, ctx.settings.files_dir)
    pending.forget(ctx)


# --- language --------------------------------------------------------------------------

def language_ask(ctx, rest: str = ""):
    choice = {"ja": "ja", "日本語": "ja", "en": "en", "english": "en"}.get(rest.strip().lower())
    if choice:
        language_set(ctx, {"v": choice})
        return
    ctx.answer(text_message(
        ctx.t("conv.language_choose"),
        [postback(name, f"action=lang&v={code}", name) for code, name in LANGUAGE_NAMES.items()],
    ))


def language_set(ctx, params: dict):
    lang = params.get("v")
    if lang not in LANGUAGE_NAMES:
        language_ask(ctx)
        return
    users.set_lang(ctx.db, ctx.user_id, lang, ctx.now())
    ctx.lang = lang
    ctx.answer(text_message(ctx.t("conv.language_set")))


FEATURE = Feature(
    "commands",
    messages={"text": on_text},
    commands=(
        Command("help", ("使い方", "ヘルプ"), ("help", "?"), "この使い方を表示します", "show this help",
                help_command),
        Command("delete", ("データを削除", "データ削除"), ("delete my data", "delete"),
                "あなたのデータをすべて削除します", "delete all your data", delete_ask),
        Command("language", ("言語", "言語設定"), ("language",), "言語を変えます（日本語／English）",
                "change the language (Japanese/English)", language_ask),
    ),
    actions={
        "help": lambda ctx, params: help_command(ctx),
        "delete": delete_postback,
        "lang": language_set,
    },
)

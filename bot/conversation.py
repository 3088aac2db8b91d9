"""The conversation's commands and postbacks, and register(), which puts them in the tables.

Commands (text, ja/en) and rich-menu postbacks reach the same small functions: help,
history, delete my data, language, consent; red-flag answers; the limit on text
length.
"""
from __future__ import annotations

from datetime import datetime

from bot import commands, consent, handlers, postbacks, redflags, reminders, worker
from bot.abuse import MAX_TEXT_CHARS, text_too_long
from bot.cards import postback, result_card, text_message, yes_no
from bot.commands import Command
from bot.triage import triage
from storage import assessments, users
from storage import consent as consent_store

HISTORY_LIMIT = 5


# --- history ---------------------------------------------------------------------------

def history_lines(ctx) -> list[dict]:
    """Recent results, newest first, with the date in the user's zone and the level."""
    if not consent_store.given(ctx.db, ctx.user_id):
        return [text_message(ctx.t("conv.history_no_consent"))]
    rows = assessments.recent(ctx.db, ctx.user_id, HISTORY_LIMIT)
    if not rows:
        return [text_message(ctx.t("conv.history_empty"))]
    lines = [ctx.t("conv.history_header")]
    tz = reminders.user_zone(ctx.db, ctx.user_id)
    for row in rows:
        when = datetime.fromisoformat(row["created_at"]).astimezone(tz)
        lines.append(ctx.t(
            "conv.history_line", date=when.strftime("%Y-%m-%d %H:%M"),
            level=ctx.t(f"conv.level_{row['level']}"), finding=ctx.t(f"conv.cls_{row['finding']}"),
        ))
    return [text_message("\n".join(lines))]


# function(ctx) -> list of messages; the follow-up feature appends its chart here.
HISTORY_PARTS = [history_lines]


def history(ctx, rest: str = ""):
    ctx.answer([message for part in HISTORY_PARTS for message in part(ctx)][:5])


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
    users.forget(ctx.db, ctx.user_id, ctx.config.data_dir)


# --- language --------------------------------------------------------------------------

LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}


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


# --- red flags -------------------------------------------------------------------------

def red_flags(ctx, params: dict):
    """One step of the questionnaire: ask the next question, or show the updated card."""
    try:
        state = redflags.decode(params)
    except redflags.BadRedFlagState:
        ctx.answer(text_message(ctx.t("conv.rf_expired")))
        return
    flag = state.next_question()
    if flag is None:
        _updated_card(ctx, state)
        return
    question = ctx.t(f"conv.rf_q_{flag}")
    if not state.answered():
        question = f"{ctx.t('conv.rf_intro')}\n{question}"
    ctx.answer(text_message(question, yes_no(
        ctx.lang, redflags.encode(state.answer(flag, True)), redflags.encode(state.answer(flag, False)),
    )))


def _updated_card(ctx, state: redflags.RedFlagState):
    answers = state.answered()
    result = triage(state.probabilities, answers)
    overlay_url = None
    if state.assessment_id is not None and consent_store.given(ctx.db, ctx.user_id):
        if assessments.set_flags(ctx.db, ctx.user_id, state.assessment_id, answers, result.level, result.finding):
            overlay_url = _overlay_link(ctx, state.assessment_id)
    card = result_card(ctx.lang, result, state.probabilities, state.models, overlay_url=overlay_url)
    # Urgent care leads: the card (whose header says "today") comes before the thanks.
    first, second = (card, text_message(ctx.t("conv.rf_updated"))) if result.level == "urgent" \
        else (text_message(ctx.t("conv.rf_updated")), card)
    ctx.answer([first, second])


def _overlay_link(ctx, assessment_id: int) -> str | None:
    from bot.photos import overlay_link

    row = assessments.get(ctx.db, ctx.user_id, assessment_id)
    return overlay_link(ctx, row["overlay_ref"]) if row and row["overlay_ref"] else None


# --- abuse limits ---------------------------------------------------------------------

def on_text(ctx):
    if text_too_long(ctx.message.get("text", "")):
        ctx.answer(text_message(ctx.t("conv.too_long", limit=MAX_TEXT_CHARS)))
        return
    handlers.on_text(ctx)


def coming_soon(ctx, params: dict):
    ctx.answer(text_message(ctx.t("conv.coming_soon")))


# --- the tables ------------------------------------------------------------------------

CONVERSATION_COMMANDS = [
    Command("history", ("履歴", "りれき"), ("history",), "最近の結果を表示します", "show recent results", history),
    Command("delete", ("データを削除", "データ削除"), ("delete my data", "delete"),
            "あなたのデータをすべて削除します", "delete all your data", delete_ask),
    Command("language", ("言語", "言語設定"), ("language",), "言語を変えます（日本語／English）",
            "change the language (Japanese/English)", language_ask),
    Command("consent", ("同意", "同意・データ"), ("consent",), "記録の保存への同意を確認・変更します",
            "see or change your consent to keep records", consent.consent_command),
]

ACTIONS = {
    "consent": consent.on_consent_postback,
    "help": lambda ctx, params: commands.help_command(ctx),
    "history": lambda ctx, params: history(ctx),
    "delete": delete_postback,
    "lang": language_set,
    redflags.ACTION: red_flags,
}

# Buttons on our card and menu whose handlers belong to the follow-up feature (issue 6);
# until it registers them, the patient hears that they are coming.
PLACEHOLDER_ACTIONS = ("clinics", "checkin")


def register():
    """Put the conversation into the tables (idempotent: create_app runs it every time)."""
    handlers.EVENT_HANDLERS["follow"] = consent.on_follow
    handlers.MESSAGE_HANDLERS["text"] = on_text
    names = {command.name for command in CONVERSATION_COMMANDS}
    commands.COMMANDS[:] = [c for c in commands.COMMANDS if c.name not in names] + CONVERSATION_COMMANDS
    postbacks.ACTIONS.update(ACTIONS)
    for name in PLACEHOLDER_ACTIONS:
        postbacks.ACTIONS.setdefault(name, coming_soon)
    if consent.purge_expired not in worker.MAINTENANCE:
        worker.MAINTENANCE.append(consent.purge_expired)

"""The red-flag questions after a result (yes/no quick replies), then the updated card: the
four acute ones, and the two slow ones (CLINICAL.md) when the image gave no concern. In shadow
mode (models no clinician validated) the answers decide the level; the image only raises it.
A result left unanswered is resumed from the next day's reminder ("action=rf_resume").

The questionnaire's state travels, signed, in the postback data (bot/domain/redflags.py), so it works the
same for a patient who has not consented (nothing is stored for them) and survives restarts.
The question asked last also waits in memory (engine/pending.py), so that a typed 「はい」/"no"
answers it and any other text asks it again.
"""

import datetime as dt

from bot.domain import redflags as rules
from bot.domain import schedule
from bot.domain.triage import shadow_mode, triage
from bot.engine import media, pending
from bot.engine.router import Feature, normalize, parse_postback
from bot.tokens import derive_key
from bot.views.cards import red_flag_question, result_card, text_message
from inference.errors import ModelManifestError
from storage import assessments
from storage import reminders as reminder_rows


def red_flags(ctx, params: dict):
    """One step of the questionnaire: ask the next question, or show the updated card."""
    try:
        state = rules.decode(params, _key(ctx))
    except rules.BadRedFlagState:
        ctx.answer(text_message(ctx.t("conv.rf_expired")))
        return
    if state.next_question() is None:
        pending.forget(ctx, rules.ACTION)
        _updated_card(ctx, state)
        return
    ask(ctx, state)


def ask(ctx, state: rules.RedFlagState):
    """Ask the next question; it waits for a tap or a typed yes/no."""
    key = _key(ctx)
    pending.ask(ctx, rules.ACTION, rules.encode(state, key))
    ctx.answer(red_flag_question(ctx.lang, state, key))


def _key(ctx) -> bytes:
    """The key of the questions' signed postback data (the photos feature derives the same)."""
    return derive_key(ctx.settings.channel_secret, rules.ACTION)


# Typed answers (NFKC, lower case, without trailing punctuation), both languages whatever the
# user's: a Japanese user may type "yes".
YES_WORDS = {"はい", "うん", "ある", "あります", "yes", "y", "yeah", "yep"}
NO_WORDS = {"いいえ", "いや", "ううん", "ない", "ありません", "no", "n", "nope"}


def typed_answer(ctx, text: str, data: str):
    """A text while a question waits: yes or no answers it; anything else asks it again."""
    try:
        state = rules.decode(parse_postback(data), _key(ctx))
    except rules.BadRedFlagState:
        pending.forget(ctx, rules.ACTION)
        return
    flag = state.next_question()
    word = normalize(text).rstrip("。.!！")
    if flag is None or word not in YES_WORDS | NO_WORDS:
        ask(ctx, state)
        return
    red_flags(ctx, parse_postback(rules.encode(state.answer(flag, word in YES_WORDS), _key(ctx))))


def _updated_card(ctx, state: rules.RedFlagState):
    answers = state.answered()
    preview = ctx.settings.research_preview and not state.models.get("validated")
    result = triage(state.probabilities, answers, shadow=shadow_mode(state.models, preview))
    overlay_url = None
    if state.assessment_id is not None and ctx.consented():
        if assessments.set_flags(ctx.db, ctx.user_id, state.assessment_id, answers, result.level,
                                 result.finding, result.finding_source):
            overlay_url = _overlay_link(ctx, state.assessment_id)
    card = result_card(ctx.lang, result, state.probabilities, _with_validation(ctx, state.models),
                       overlay_url=overlay_url, research_preview=preview,
                       answers=answers, photo_time=_photo_time(ctx, state.taken_at))
    # One order whatever the level: the card (urgent care leads), then the thanks.
    ctx.answer([card, text_message(ctx.t("conv.rf_updated"))])


def _with_validation(ctx, models: dict) -> dict:
    """The postback data carries the model names and the validated flag, not what a clinic
    checked them on (300 characters); a validated result takes those numbers from the running
    models when they are the ones named. Otherwise the card claims nothing beyond the flag."""
    if not (models.get("validated") and models.get("classifier") and models.get("segmenter")):
        return models
    try:
        live = ctx.pipeline().models
    except (ModelManifestError, OSError, ValueError, RuntimeError):
        return models
    # Names may arrive shortened to fit the data (bot/domain/redflags.encode).
    same = all(str(live.get(kind, "")).startswith(models[kind]) for kind in ("classifier", "segmenter"))
    return {**models, "validation": live["validation"]} if same and live.get("validation") else models


def resume(ctx, params: dict):
    """The reminder's "answer now": the questions of a stored result left unanswered, from the
    first. The id is checked against the user (assessments.get), so no signature is needed."""
    try:
        row = assessments.get(ctx.db, ctx.user_id, int(params.get("a", "")))
    except ValueError:
        row = None
    if row is None or row["flags"] is not None or not ctx.consented():
        ctx.answer(text_message(ctx.t("conv.rf_expired")))
        return
    state = rules.from_stored(row, int(dt.datetime.fromisoformat(row["created_at"]).timestamp()),
                              ctx.settings.research_preview)
    ask(ctx, state)


def _photo_time(ctx, taken_at: int | None) -> str | None:
    """"2026-12-01 09:30" on the user's clock (their check-in zone, else Japan's): the one date
    form of the history, the summary and the workspace."""
    if taken_at is None:
        return None
    tz = schedule.zone(reminder_rows.user_tz(ctx.db, ctx.user_id))
    return dt.datetime.fromtimestamp(taken_at, tz).strftime("%Y-%m-%d %H:%M")


def _overlay_link(ctx, assessment_id: int) -> str | None:
    row = assessments.get(ctx.db, ctx.user_id, assessment_id)
    if not (row and row["overlay_ref"]):
        return None
    return media.media_url(ctx.settings, ctx.user_id, "overlay", row["overlay_ref"], ctx.now())


FEATURE = Feature("redflags", actions={rules.ACTION: red_flags, rules.RESUME: resume},
                  replies={rules.ACTION: typed_answer})

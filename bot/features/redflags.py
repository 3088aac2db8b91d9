"""The four red-flag questions after a result (yes/no quick replies), then the updated card.

The questionnaire's state travels in the postback data (bot/domain/redflags.py), so it works the
same for a patient who has not consented (nothing is stored for them) and survives restarts.
"""

from bot.domain import redflags as rules
from bot.domain.triage import triage
from bot.engine import media
from bot.engine.router import Feature
from bot.views.cards import red_flag_question, result_card, text_message
from storage import assessments


def red_flags(ctx, params: dict):
    """One step of the questionnaire: ask the next question, or show the updated card."""
    try:
        state = rules.decode(params)
    except rules.BadRedFlagState:
        ctx.answer(text_message(ctx.t("conv.rf_expired")))
        return
    if state.next_question() is None:
        _updated_card(ctx, state)
        return
    ctx.answer(red_flag_question(ctx.lang, state))


def _updated_card(ctx, state: rules.RedFlagState):
    answers = state.answered()
    result = triage(state.probabilities, answers)
    overlay_url = None
    if state.assessment_id is not None and ctx.consented():
        if assessments.set_flags(ctx.db, ctx.user_id, state.assessment_id, answers, result.level, result.finding):
            overlay_url = _overlay_link(ctx, state.assessment_id)
    card = result_card(ctx.lang, result, state.probabilities, state.models, overlay_url=overlay_url)
    # Urgent care leads: the card (whose header says "today") comes before the thanks.
    first, second = (card, text_message(ctx.t("conv.rf_updated"))) if result.level == "urgent" \
        else (text_message(ctx.t("conv.rf_updated")), card)
    ctx.answer([first, second])


def _overlay_link(ctx, assessment_id: int) -> str | None:
    row = assessments.get(ctx.db, ctx.user_id, assessment_id)
    if not (row and row["overlay_ref"]):
        return None
    return media.media_url(ctx.settings, ctx.user_id, "overlay", row["overlay_ref"], ctx.now())


FEATURE = Feature("redflags", actions={rules.ACTION: red_flags})

"""History: recent results, then whatever other features add (the router's `history` parts,
e.g. the progression chart), at most five messages."""

from datetime import datetime

from bot.domain import schedule
from bot.engine.router import Command, Feature
from bot.views.cards import text_message
from bot.views.findings import finding_text, level_text
from storage import assessments
from storage import consent as consent_store
from storage import reminders as reminder_rows

HISTORY_LIMIT = 5


def history_lines(ctx) -> list[dict]:
    """Recent results, newest first, with the date in the user's zone and the level."""
    if not consent_store.given(ctx.db, ctx.user_id):
        return [text_message(ctx.t("conv.history_no_consent"))]
    rows = assessments.recent(ctx.db, ctx.user_id, HISTORY_LIMIT)
    if not rows:
        return [text_message(ctx.t("conv.history_empty"))]
    lines = [ctx.t("conv.history_header")]
    tz = schedule.zone(reminder_rows.user_tz(ctx.db, ctx.user_id))
    for row in rows:
        when = datetime.fromisoformat(row["created_at"]).astimezone(tz)
        lines.append(ctx.t(
            "conv.history_line", date=when.strftime("%Y-%m-%d %H:%M"),
            level=level_text(row, ctx.lang), finding=finding_text(row, ctx.lang),
        ))
    return [text_message("\n".join(lines))]


def history(ctx, rest: str = ""):
    ctx.answer([message for part in ctx.router.history for message in part(ctx)][:5])


FEATURE = Feature(
    "history",
    commands=(Command("history", ("履歴", "りれき"), ("history",), "最近の結果を表示します",
                      "show recent results", history),),
    actions={"history": lambda ctx, params: history(ctx)},
    history=(history_lines,),
)

"""The weekly check-in: POEM's seven questions one by one as quick replies (postbacks
action=checkin to start or resume, action=poem to answer); answers live in storage.poem, the
scoring is bot/domain/poem.py. While a question waits (engine/pending.py) a typed choice
("毎日", "1-2 days") answers it and any other text asks it again."""

import re

from bot.domain import schedule
from bot.domain.poem import (
    CHOICES, QUESTIONS, InvalidAnswer, band, change, check_answer, next_question, no_improvement, score,
)
from bot.domain.schedule import parse_instant
from bot.engine import pending
from bot.engine.router import Command, Feature, normalize
from bot.texts import t
from bot.views.cards import postback, text_message
from storage import assessments
from storage import poem as store
from storage import reminders as reminder_rows


def _choices(ctx, checkin_id, question):
    return [postback(ctx.t(f"poem.a.{choice}"), f"action=poem&c={checkin_id}&q={question}&a={value}",
                     ctx.t(f"poem.a.{choice}"))
            for value, choice in enumerate(CHOICES)]


def question_message(ctx, checkin_id, question, lead=None):
    """The question with its choices; it now waits for a tap or a typed choice."""
    pending.ask(ctx, "poem", f"{checkin_id}:{question}")
    text = ctx.t("poem.q", n=question + 1, what=ctx.t(f"poem.q.{QUESTIONS[question]}"))
    return text_message(f"{lead}\n\n{text}" if lead else text, _choices(ctx, checkin_id, question))


def _typed(text: str) -> str:
    return re.sub(r"[\s。.!！]", "", normalize(text).replace("〜", "-").replace("~", "-"))


def typed_choice(ctx, text: str, data: str):
    """A text while a POEM question waits: a choice's words (either language) answer it."""
    checkin_id, question = (int(x) for x in data.split(":"))
    said = _typed(text)
    for value, choice in enumerate(CHOICES):
        if said in {_typed(t(f"poem.a.{choice}", lang)) for lang in ("ja", "en")}:
            on_answer(ctx, {"c": checkin_id, "q": question, "a": value})
            return
    ctx.answer(question_message(ctx, checkin_id, question))


def start(ctx, params=None):
    """Start this week's check-in, or resume a half-answered one where it stopped."""
    if not ctx.consented("poem.no_consent"):
        return
    open_one = store.in_progress(ctx.db, ctx.user_id)
    if open_one and any(answer is not None for answer in open_one["answers"]):
        ctx.answer(question_message(ctx, open_one["id"], next_question(open_one["answers"]),
                                    lead=ctx.t("poem.resume")))
        return
    week = schedule.week_of(ctx.now(), reminder_rows.user_tz(ctx.db, ctx.user_id) or schedule.DEFAULT_TZ)
    row = store.start(ctx.db, ctx.user_id, week, ctx.now())
    ctx.answer(question_message(ctx, row["id"], 0, lead=ctx.t("poem.intro")))


def on_answer(ctx, params):
    """Store one answer (a late tap on an earlier question just corrects it), then ask the next
    open question or finish."""
    try:
        question, value = check_answer(params.get("q", -1), params.get("a", -1))
        row = store.by_id(ctx.db, int(params.get("c", 0)))
    except (InvalidAnswer, ValueError):
        row = None
    if row is None or row["user_id"] != ctx.user_id:
        start(ctx)
        return
    was_scored = row["score"] is not None
    row = store.answer(ctx.db, row["id"], question, value, ctx.now())
    following = next_question(row["answers"])
    if following is not None:
        ctx.answer(question_message(ctx, row["id"], following))
        return
    finish(ctx, row, replaced=was_scored)


def finish(ctx, row, replaced=False):
    pending.forget(ctx, "poem")
    total = score(row["answers"])
    name = band(total)
    store.complete(ctx.db, row["id"], total, name, ctx.now())
    earlier = store.previous(ctx.db, ctx.user_id, row["week"])
    lines = [ctx.t("poem.result", score=total, band=ctx.t(f"poem.band.{name}"))]
    if replaced:
        lines.append(ctx.t("poem.replaced"))
    if earlier is None:
        lines.append(ctx.t("poem.change.first"))
    else:
        lines.append(ctx.t(f"poem.change.{change(earlier['score'], total)}",
                           previous=earlier["score"], delta=abs(total - earlier["score"])))
    camera = [{"type": "camera", "label": ctx.t("poem.camera")},
              {"type": "cameraRoll", "label": ctx.t("poem.camera_roll")}]
    messages = [text_message("\n".join(lines)), text_message(ctx.t("poem.photo_invite"), camera)]
    ctx.answer(messages + _trend_prompt(ctx))


# Photo results read for the trend (a few months of weekly photos).
TREND_PHOTOS = 60


def _trend_prompt(ctx) -> list[dict]:
    """The slow red flag of the trend (CLINICAL.md): 4 weeks or more of check-ins without
    improvement prompt a dermatologist, once per episode (check-ins after the last prompt)."""
    since = store.last_trend_prompt(ctx.db, ctx.user_id)
    checkins = [{"at": parse_instant(c["completed_at"]), "score": c["score"]}
                for c in store.history(ctx.db, ctx.user_id) if since is None or c["completed_at"] > since]
    photos = [{"at": parse_instant(a["created_at"]), "lesion_fraction": a["lesion_fraction"]}
              for a in reversed(assessments.recent(ctx.db, ctx.user_id, TREND_PHOTOS))
              if since is None or a["created_at"] > since]
    checkins.sort(key=lambda c: c["at"])
    if not no_improvement(checkins, photos):
        return []
    store.add_trend_prompt(ctx.db, ctx.user_id, ctx.now(), checkins[0]["score"], checkins[-1]["score"])
    text = ctx.t("poem.trend_prompt", first=checkins[0]["score"], last=checkins[-1]["score"])
    if sum(1 for p in photos if p["at"] >= checkins[0]["at"] and p["lesion_fraction"] is not None) >= 2:
        text += "\n" + ctx.t("poem.trend_photos")
    clinic = ctx.t("poem.trend_clinic")
    return [text_message(text, [postback(clinic, "action=clinics", clinic)])]


FEATURE = Feature(
    "poem",
    commands=(Command("checkin", ("チェックイン",), ("check-in", "checkin"),
                      "週1回の質問（POEM）に答えます", "answer the weekly questions (POEM)",
                      lambda ctx, rest="": start(ctx)),),
    actions={"checkin": lambda ctx, params: start(ctx), "poem": on_answer},
    replies={"poem": typed_choice},
)

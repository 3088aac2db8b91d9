"""POEM (Patient-Oriented Eczema Measure, University of Nottingham): scoring and the check-in flow.

Scoring and bands follow ../shared/CLINICAL.md (Charman et al. 2004; banding Charman et al. 2013).
The chat flow asks the seven questions one by one as quick replies; answers live in storage.poem.
"""

QUESTIONS = ("itchy", "sleep", "bleeding", "weeping", "cracked", "flaking", "dry")

# Answer choices in the order they are offered; the index is the item score.
CHOICES = ("no_days", "days_1_2", "days_3_4", "days_5_6", "every_day")

# (lowest total, band) — a total belongs to the last band whose lowest total it reaches.
BANDS = (
    (0, "clear"),
    (3, "mild"),
    (8, "moderate"),
    (17, "severe"),
    (25, "very_severe"),
)

# A change of about 3 points or more is one a patient notices (CLINICAL.md).
NOTICEABLE_CHANGE = 3
MAX_SCORE = 4 * len(QUESTIONS)


class IncompletePoem(ValueError):
    """Scoring was asked for before all seven questions had an answer."""


class InvalidAnswer(ValueError):
    """An answer outside 0..4 or a question number outside 0..6."""


def check_answer(question, answer):
    if not (0 <= int(question) < len(QUESTIONS)) or not (0 <= int(answer) < len(CHOICES)):
        raise InvalidAnswer(f"question {question!r}, answer {answer!r}")
    return int(question), int(answer)


def score(answers):
    """Total 0–28 from seven item scores 0–4."""
    if len(answers) != len(QUESTIONS) or any(a is None for a in answers):
        raise IncompletePoem(f"{sum(a is not None for a in answers)} of {len(QUESTIONS)} answered")
    for number, answer in enumerate(answers):
        check_answer(number, answer)
    return sum(int(a) for a in answers)


def band(total):
    if not 0 <= total <= MAX_SCORE:
        raise InvalidAnswer(f"total {total} outside 0..{MAX_SCORE}")
    return [name for lowest, name in BANDS if total >= lowest][-1]


def change(previous, current):
    """'better', 'worse' or 'same' — the sign of a change only counts from 3 points on."""
    if previous is None:
        return None
    delta = current - previous
    if delta <= -NOTICEABLE_CHANGE:
        return "better"
    if delta >= NOTICEABLE_CHANGE:
        return "worse"
    return "same"


def next_question(answers):
    """Index of the first unanswered question, or None when all are answered."""
    return next((i for i, a in enumerate(answers) if a is None), None)


# --- the chat flow (postbacks: action=checkin to start or resume, action=poem to answer) ------

def _choices(ctx, checkin_id, question):
    from bot.cards import postback

    return [postback(ctx.t(f"poem.a.{choice}"), f"action=poem&c={checkin_id}&q={question}&a={value}",
                     ctx.t(f"poem.a.{choice}"))
            for value, choice in enumerate(CHOICES)]


def question_message(ctx, checkin_id, question, lead=None):
    from bot.cards import text_message

    text = ctx.t("poem.q", n=question + 1, what=ctx.t(f"poem.q.{QUESTIONS[question]}"))
    return text_message(f"{lead}\n\n{text}" if lead else text, _choices(ctx, checkin_id, question))


def start(ctx, params=None):
    """Start this week's check-in, or resume a half-answered one where it stopped."""
    from bot import reminders
    from bot.cards import text_message
    from storage import consent
    from storage import poem as store

    if not consent.given(ctx.db, ctx.user_id):
        ctx.answer(text_message(ctx.t("poem.no_consent")))
        return
    open_one = store.in_progress(ctx.db, ctx.user_id)
    if open_one and any(answer is not None for answer in open_one["answers"]):
        ctx.answer(question_message(ctx, open_one["id"], next_question(open_one["answers"]),
                                    lead=ctx.t("poem.resume")))
        return
    week = reminders.week_of(ctx.now(), reminders.user_tz(ctx.db, ctx.user_id))
    row = store.start(ctx.db, ctx.user_id, week, ctx.now())
    ctx.answer(question_message(ctx, row["id"], 0, lead=ctx.t("poem.intro")))


def on_answer(ctx, params):
    """Store one answer (a late tap on an earlier question just corrects it), then ask the next
    open question or finish."""
    from storage import poem as store

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
    from bot.cards import text_message
    from storage import poem as store

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
    ctx.answer([text_message("\n".join(lines)), text_message(ctx.t("poem.photo_invite"), camera)])

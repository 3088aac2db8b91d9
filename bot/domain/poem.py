"""POEM (Patient-Oriented Eczema Measure, University of Nottingham): scoring, the check-in flow
and the slow red flag read from the trend (no improvement over 4 weeks or more).

Scoring and bands follow ../shared/CLINICAL.md (Charman et al. 2004; banding Charman et al. 2013).
Pure: no I/O. The chat flow that asks the questions is bot/features/poem.py.
"""

import datetime as dt

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


# Slow red flag (CLINICAL.md): check-ins over 4 weeks or more with no improvement.
TREND_SPAN = dt.timedelta(days=28)


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


def no_improvement(checkins: list[dict], photos: list[dict]) -> bool:
    """The slow red flag of the trend: check-ins spanning TREND_SPAN or more whose POEM did not
    come down by NOTICEABLE_CHANGE from its starting value, and whose photographed rash is not
    smaller (first and last photo of the same span; with fewer than two photos, POEM alone).
    checkins: {"at": datetime, "score": int}, photos: {"at": datetime, "lesion_fraction":
    float}, both oldest first and from one episode (after the last prompt)."""
    if len(checkins) < 2 or checkins[-1]["at"] - checkins[0]["at"] < TREND_SPAN:
        return False
    if checkins[0]["score"] - checkins[-1]["score"] >= NOTICEABLE_CHANGE:
        return False
    span = [p for p in photos if checkins[0]["at"] - dt.timedelta(days=7) <= p["at"] <= checkins[-1]["at"]
            and p["lesion_fraction"] is not None]
    return len(span) < 2 or span[-1]["lesion_fraction"] >= span[0]["lesion_fraction"]

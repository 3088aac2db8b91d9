"""Risk level from a model result and the patient's red-flag answers (pure, no I/O).

The level is the higher of the image level and the red-flag level (CLINICAL.md).
Everything that decides a level sits in the tables below so that a clinician can read and
change it in one place; tests/test_triage.py walks them row by row.

Shadow mode (CLINICAL.md, "Models that no clinician has validated"): while the models carry
no signed validation, the image may raise concern (a complication at or above its
threshold) but never reassures. Without such a concern the level comes from the answers
alone, and until they are all given it is QUESTIONS ("questions not answered"), never
routine. A validated model (or a research preview) gets the full verdict, where unanswered
questions count as no.
"""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("routine", "soon", "urgent")
# The level of a result whose level must come from answers not given yet. It ranks above
# routine (a photo set's most serious photo) and is never shown or counted as routine.
QUESTIONS = "questions"
RANKS = ("routine", QUESTIONS, "soon", "urgent")
CLASSES = ("AD", "IM", "HI", "MF")
# The finding (and image level) of a photo the models did not judge (`unfamiliar`), or whose
# image gave nothing in shadow mode: the answers alone decide the level, and no disease is named.
NOT_JUDGED = "none"
# The finding of a slow red flag (CLINICAL.md): a rash a dermatologist should see within weeks.
SLOW = "slow"
FLAGS = ("fever", "blisters", "spreading", "eyes")  # the acute questions, in the order asked
SLOW_FLAGS = ("lasting", "patch")  # asked after the acute ones when the image gave no concern
ALL_FLAGS = FLAGS + SLOW_FLAGS
# Where a result's finding came from: the photo, the patient's answers, or neither.
FROM_IMAGE, FROM_ANSWERS, FROM_NOWHERE = "image", "answers", "none"

# class -> (probability at or above which the class decides the level, level).
# A validated model's top guess decides the level even below its threshold; in shadow mode
# only a class at or above its threshold raises concern.
IMAGE_RULES = {
    # Eczema herpeticum costs sight or life when missed and one extra visit when
    # over-called, so it triggers well below an even split.
    "HI": (0.30, "urgent"),
    # Impetigo is contagious and needs treatment within days, not today: a
    # moderate threshold keeps "see a doctor soon" meaningful.
    "IM": (0.40, "soon"),
    # Mycosis fungoides is slow; the harm is years of mistaking it for eczema, so
    # a moderate threshold asks for a dermatologist appointment, not the ER.
    "MF": (0.40, "soon"),
}

# (flags that must all be "yes", level, reason). Every matching row counts; the highest wins.
FLAG_RULES = (
    # Clustered blisters / punched-out sores: suspected eczema herpeticum (NICE CG57).
    (frozenset({"blisters"}), "urgent", "rf_blisters"),
    # Fever with fast-spreading redness: deep infection or sepsis (NICE NG190).
    (frozenset({"fever", "spreading"}), "urgent", "rf_sepsis"),
    # Any warning sign near the eyes: same-day eye and skin care (NICE CG57).
    (frozenset({"eyes", "fever"}), "urgent", "rf_eyes"),
    (frozenset({"eyes", "spreading"}), "urgent", "rf_eyes"),
    # Feeling unwell is the stronger sign of infection; crusts alone are not (NG190).
    (frozenset({"fever"}), "soon", "rf_fever"),
    # Rapidly worsening eczema: possible infection, see a doctor within days.
    (frozenset({"spreading"}), "soon", "rf_spreading"),
    # Eczema near the eyes deserves a doctor's look even without other signs.
    (frozenset({"eyes"}), "soon", "rf_eyes_only"),
    # Slow red flags (NICE CG57: diagnosis uncertain, not controlled by treatment): a
    # dermatologist within weeks, for MF and other look-alikes the acute questions miss.
    (frozenset({"lasting"}), "soon", "rf_lasting"),
    (frozenset({"patch"}), "soon", "rf_patch"),
)
SLOW_REASONS = ("rf_lasting", "rf_patch")


@dataclass(frozen=True)
class Triage:
    level: str  # routine | questions | soon | urgent
    finding: str  # whose advice the patient gets: AD | IM | HI | MF | slow | none
    reasons: tuple[str, ...]  # text keys, most serious first
    image_level: str  # routine | soon | urgent, or none: the image decided nothing
    flag_level: str
    finding_source: str = FROM_IMAGE  # image | answers | none
    shadow: bool = False  # the image could only raise concern (no signed validation)

    @property
    def pending(self) -> bool:
        """The level waits for answers (shown as "questions not answered")."""
        return self.level == QUESTIONS


def shadow_mode(models: dict, research_preview: bool = False) -> bool:
    """The image may raise concern but never reassures: no clinician signed a validation of
    these models (the manifest's `validated` needs a signed block), and no research preview (a
    study under ethics approval, ADAI_RESEARCH_PREVIEW) is running."""
    return not ((models or {}).get("validated") or research_preview)


def rank(level: str) -> int:
    return RANKS.index(level)


def higher(a: str, b: str) -> str:
    return a if rank(a) >= rank(b) else b


def image_level(probabilities: dict[str, float], shadow: bool = False) -> tuple[str, str]:
    """(level, finding) for the photo alone. In shadow mode a photo without a complication at
    or above its threshold gives (NOT_JUDGED, NOT_JUDGED): it decides nothing."""
    top = max(CLASSES, key=lambda c: probabilities.get(c, 0.0))
    matches = [
        (LEVELS.index(level), probabilities.get(code, 0.0), code)
        for code, (threshold, level) in IMAGE_RULES.items()
        if probabilities.get(code, 0.0) >= threshold or (code == top and not shadow)
    ]
    if not matches:
        return (NOT_JUDGED, NOT_JUDGED) if shadow else ("routine", "AD")
    level_rank, _, code = max(matches)
    return LEVELS[level_rank], code


def concern(probabilities: dict[str, float] | None, shadow: bool = False) -> bool:
    """Did the image raise a concern (a complication's level)? Then only the acute questions
    follow; otherwise the slow ones too."""
    return probabilities is not None and image_level(probabilities, shadow)[0] in ("soon", "urgent")


def questions(probabilities: dict[str, float] | None, shadow: bool = False) -> tuple[str, ...]:
    """The questions asked after this photo, in order."""
    return FLAGS if concern(probabilities, shadow) else ALL_FLAGS


def flag_level(answers: dict[str, bool]) -> tuple[str, tuple[str, ...]]:
    """(level, reasons) for the red-flag answers given; those not given count as no here."""
    yes = {flag for flag, value in answers.items() if value}
    hits = [(level, reason) for needed, level, reason in FLAG_RULES if needed <= yes]
    hits.sort(key=lambda hit: LEVELS.index(hit[0]), reverse=True)
    reasons = tuple(dict.fromkeys(reason for _, reason in hits))
    return (hits[0][0] if hits else "routine"), reasons


def _answer_finding(rf_reasons: tuple[str, ...]) -> str:
    """The finding the answers point at: herpes for blisters, a dermatologist's look for a slow
    red flag alone; otherwise none (the advice is the level's general one)."""
    if "rf_blisters" in rf_reasons:
        return "HI"
    if rf_reasons and all(reason in SLOW_REASONS for reason in rf_reasons):
        return SLOW
    return NOT_JUDGED


def triage(probabilities: dict[str, float] | None, answers: dict[str, bool] | None = None,
           *, shadow: bool = False) -> Triage:
    """probabilities=None: the photo was not judged. shadow: the models carry no signed
    validation, so the image may raise the level but never sets it to routine."""
    answers = answers or {}
    rf_level, rf_reasons = flag_level(answers)
    if probabilities is None:
        img_level, img_finding, img_reason = NOT_JUDGED, NOT_JUDGED, "img_not_judged"
    else:
        img_level, img_finding = image_level(probabilities, shadow)
        img_reason = ("img_no_concern" if img_finding == NOT_JUDGED
                      else f"img_may_{img_finding}" if shadow else f"img_{img_finding}")
    if img_level == NOT_JUDGED:
        # The answers alone decide; until every question is answered, "no" is not assumed.
        unanswered = any(flag not in answers for flag in ALL_FLAGS)
        finding = _answer_finding(rf_reasons)
        level = QUESTIONS if rf_level == "routine" and unanswered else rf_level
        lead = ("questions_pending",) if level == QUESTIONS else ("answers_clear",) if level == "routine" else ()
        source = FROM_ANSWERS if finding != NOT_JUDGED else FROM_NOWHERE
        return Triage(level, finding, lead + rf_reasons + (img_reason,), NOT_JUDGED, rf_level,
                      source, shadow)
    # Blisters point at herpes whatever the photo says: the patient must get the HI advice.
    if "rf_blisters" in rf_reasons and img_finding != "HI":
        finding, source = "HI", FROM_ANSWERS
    elif img_level == "routine" and rf_reasons and all(r in SLOW_REASONS for r in rf_reasons):
        finding, source = SLOW, FROM_ANSWERS
    else:
        finding, source = img_finding, FROM_IMAGE
    flags_first = LEVELS.index(rf_level) > LEVELS.index(img_level)
    reasons = rf_reasons + (img_reason,) if flags_first else (img_reason,) + rf_reasons
    return Triage(higher(img_level, rf_level), finding, reasons, img_level, rf_level, source, shadow)


# (level, finding) -> advice text key; a finding without its own row uses the level's "other".
ADVICE = {
    ("urgent", "HI"): "advice_urgent_HI",
    ("soon", "IM"): "advice_soon_IM",
    ("soon", "MF"): "advice_soon_MF",
    ("soon", SLOW): "advice_soon_slow",
    ("routine", "AD"): "advice_routine_AD",
}


def advice_key(result: Triage) -> str:
    if result.level == QUESTIONS:
        return "advice_questions"
    if result.shadow and result.level == "routine":
        # Routine from the answers alone: the unvalidated image ruled nothing out.
        return "advice_routine_shadow"
    return ADVICE.get((result.level, result.finding), f"advice_{result.level}_other")

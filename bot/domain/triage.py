"""Risk level from a model result and the patient's red-flag answers (pure, no I/O).

The level is the higher of the image level and the red-flag level (CLINICAL.md).
Everything that decides a level sits in the two tables below so that a clinician
can read and change it in one place; tests/test_triage.py walks them row by row.
"""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("routine", "soon", "urgent")
CLASSES = ("AD", "IM", "HI", "MF")
# The finding (and image level) of a photo the models did not judge (`unfamiliar`): the
# answers alone decide the level, and no disease is named.
NOT_JUDGED = "none"
FLAGS = ("fever", "blisters", "spreading", "eyes")  # the order the questions are asked in

# class -> (probability at or above which the class decides the level, level).
# A class that is the model's top guess decides the level even below its threshold.
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
)


@dataclass(frozen=True)
class Triage:
    level: str  # routine | soon | urgent
    finding: str  # the class whose advice the patient gets: AD | IM | HI | MF
    reasons: tuple[str, ...]  # text keys, most serious first
    image_level: str
    flag_level: str


def higher(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


def image_level(probabilities: dict[str, float]) -> tuple[str, str]:
    """(level, finding) for the photo alone."""
    top = max(CLASSES, key=lambda c: probabilities.get(c, 0.0))
    matches = [
        (LEVELS.index(level), probabilities.get(code, 0.0), code)
        for code, (threshold, level) in IMAGE_RULES.items()
        if probabilities.get(code, 0.0) >= threshold or code == top
    ]
    if not matches:
        return "routine", "AD"
    rank, _, code = max(matches)
    return LEVELS[rank], code


def flag_level(answers: dict[str, bool]) -> tuple[str, tuple[str, ...]]:
    """(level, reasons) for the red-flag answers; unanswered questions count as no."""
    yes = {flag for flag, value in answers.items() if value}
    hits = [(level, reason) for needed, level, reason in FLAG_RULES if needed <= yes]
    hits.sort(key=lambda hit: LEVELS.index(hit[0]), reverse=True)
    reasons = tuple(dict.fromkeys(reason for _, reason in hits))
    return (hits[0][0] if hits else "routine"), reasons


def triage(probabilities: dict[str, float] | None, answers: dict[str, bool] | None = None) -> Triage:
    """probabilities=None: the photo was not judged; the level comes from the answers alone."""
    rf_level, rf_reasons = flag_level(answers or {})
    if probabilities is None:
        finding = "HI" if "rf_blisters" in rf_reasons else NOT_JUDGED
        return Triage(rf_level, finding, rf_reasons + ("img_not_judged",), NOT_JUDGED, rf_level)
    img_level, img_finding = image_level(probabilities)
    # Blisters point at herpes whatever the photo says: the patient must get the HI advice.
    finding = "HI" if "rf_blisters" in rf_reasons else img_finding
    image_reason = f"img_{img_finding}"
    flags_first = LEVELS.index(rf_level) > LEVELS.index(img_level)
    reasons = rf_reasons + (image_reason,) if flags_first else (image_reason,) + rf_reasons
    return Triage(higher(img_level, rf_level), finding, reasons, img_level, rf_level)


# (level, finding) -> advice text key; a finding without its own row uses the level's "other".
ADVICE = {
    ("urgent", "HI"): "advice_urgent_HI",
    ("soon", "IM"): "advice_soon_IM",
    ("soon", "MF"): "advice_soon_MF",
    ("routine", "AD"): "advice_routine_AD",
}


def advice_key(result: Triage) -> str:
    return ADVICE.get((result.level, result.finding), f"advice_{result.level}_other")

"""bot.triage: the risk level tables, row by row (CLINICAL.md)."""
import pytest

from bot.domain.triage import (
    ADVICE, ALL_FLAGS, FLAGS, IMAGE_RULES, LEVELS, QUESTIONS, SLOW, advice_key, flag_level, image_level,
    questions, shadow_mode, triage,
)


def probs(ad=0.0, im=0.0, hi=0.0, mf=0.0):
    return {"AD": ad, "IM": im, "HI": hi, "MF": mf}


@pytest.mark.parametrize(
    "p, level, finding",
    [
        (probs(ad=0.97, im=0.01, hi=0.01, mf=0.01), "routine", "AD"),
        (probs(ad=0.71, hi=0.29), "routine", "AD"),  # just under the HI threshold
        (probs(ad=0.70, hi=0.30), "urgent", "HI"),  # HI fires at 0.30 even when AD is on top
        (probs(ad=0.61, im=0.39), "routine", "AD"),
        (probs(ad=0.60, im=0.40), "soon", "IM"),
        (probs(ad=0.60, mf=0.40), "soon", "MF"),
        (probs(ad=0.20, im=0.28, hi=0.26, mf=0.26), "soon", "IM"),  # top class decides below threshold
        (probs(ad=0.10, im=0.45, hi=0.45), "urgent", "HI"),  # the more serious class wins
        (probs(ad=0.10, im=0.50, mf=0.40), "soon", "IM"),  # same level: the more probable
        (probs(ad=0.30, hi=0.26, im=0.22, mf=0.22), "routine", "AD"),
    ],
)
def test_image_level(p, level, finding):
    assert image_level(p) == (level, finding)


def test_every_image_rule_threshold_is_a_probability_with_a_known_level():
    for threshold, level in IMAGE_RULES.values():
        assert 0 < threshold < 0.5 and level in LEVELS


@pytest.mark.parametrize(
    "yes, level, first_reason",
    [
        (set(), "routine", None),
        ({"fever"}, "soon", "rf_fever"),
        ({"spreading"}, "soon", "rf_spreading"),
        ({"eyes"}, "soon", "rf_eyes_only"),
        ({"blisters"}, "urgent", "rf_blisters"),
        ({"fever", "spreading"}, "urgent", "rf_sepsis"),
        ({"eyes", "fever"}, "urgent", "rf_eyes"),
        ({"eyes", "spreading"}, "urgent", "rf_eyes"),
        ({"eyes", "blisters"}, "urgent", "rf_blisters"),
        (set(FLAGS), "urgent", "rf_blisters"),
    ],
)
def test_flag_level(yes, level, first_reason):
    answers = {flag: flag in yes for flag in FLAGS}
    got_level, reasons = flag_level(answers)
    assert got_level == level
    assert (reasons[0] if reasons else None) == first_reason


@pytest.mark.parametrize(
    "p, yes, level, finding, first_reason",
    [
        (probs(ad=0.95, hi=0.05), set(), "routine", "AD", "img_AD"),
        (probs(ad=0.95, hi=0.05), {"blisters"}, "urgent", "HI", "rf_blisters"),  # any HI flag: urgent
        (probs(ad=0.95, hi=0.05), {"fever"}, "soon", "AD", "rf_fever"),
        (probs(ad=0.3, im=0.7), set(), "soon", "IM", "img_IM"),
        (probs(ad=0.3, im=0.7), {"fever", "spreading"}, "urgent", "IM", "rf_sepsis"),
        (probs(ad=0.2, hi=0.8), set(), "urgent", "HI", "img_HI"),
        (probs(ad=0.2, hi=0.8), {"fever"}, "urgent", "HI", "img_HI"),  # image stays first when it is higher
        (probs(ad=0.5, mf=0.5), {"spreading"}, "soon", "MF", "img_MF"),
    ],
)
def test_level_is_the_higher_of_image_and_flags(p, yes, level, finding, first_reason):
    result = triage(p, {flag: flag in yes for flag in FLAGS})
    assert (result.level, result.finding, result.reasons[0]) == (level, finding, first_reason)
    assert LEVELS.index(result.level) == max(LEVELS.index(result.image_level), LEVELS.index(result.flag_level))


@pytest.mark.parametrize(
    "p, yes, key",
    [
        (probs(ad=0.9, hi=0.1), set(), "advice_routine_AD"),
        (probs(ad=0.2, hi=0.8), set(), "advice_urgent_HI"),
        (probs(ad=0.9, hi=0.1), {"blisters"}, "advice_urgent_HI"),
        (probs(ad=0.9, hi=0.1), {"fever", "spreading"}, "advice_urgent_other"),
        (probs(ad=0.3, im=0.7), set(), "advice_soon_IM"),
        (probs(ad=0.3, mf=0.7), set(), "advice_soon_MF"),
        (probs(ad=0.9, hi=0.1), {"eyes"}, "advice_soon_other"),
    ],
)
def test_advice_key(p, yes, key):
    assert advice_key(triage(p, {flag: flag in yes for flag in FLAGS})) == key


def test_advice_table_only_names_known_levels_and_classes():
    for level, finding in ADVICE:
        assert level in LEVELS and finding in {"AD", "IM", "HI", "MF", SLOW}


@pytest.mark.parametrize(
    "yes, level, finding, key",
    [
        (set(), "routine", "none", "advice_routine_other"),
        ({"fever"}, "soon", "none", "advice_soon_other"),
        ({"blisters"}, "urgent", "HI", "advice_urgent_HI"),
        ({"fever", "spreading"}, "urgent", "none", "advice_urgent_other"),
        ({"lasting"}, "soon", SLOW, "advice_soon_slow"),
        ({"patch"}, "soon", SLOW, "advice_soon_slow"),
        ({"patch", "fever"}, "soon", "none", "advice_soon_other"),
    ],
)
def test_a_photo_not_judged_leaves_the_level_to_the_answers(yes, level, finding, key):
    result = triage(None, {flag: flag in yes for flag in ALL_FLAGS})
    assert (result.level, result.finding, result.image_level) == (level, finding, "none")
    assert result.reasons[-1] == "img_not_judged" and advice_key(result) == key


# --- shadow mode (CLINICAL.md: "Models that no clinician has validated") ----------------------

@pytest.mark.parametrize("p", [probs(ad=0.97, im=0.01, hi=0.01, mf=0.01), probs(ad=0.30, hi=0.26, im=0.22, mf=0.22),
                               probs(ad=0.20, im=0.28, hi=0.26, mf=0.26)])
def test_shadow_image_without_a_complication_above_threshold_decides_nothing(p):
    """No "looks like AD", no routine from the image, and no level from a top guess below its
    threshold: the answers decide."""
    result = triage(p, shadow=True)
    assert (result.level, result.finding, result.image_level) == (QUESTIONS, "none", "none")
    assert result.reasons == ("questions_pending", "img_no_concern")
    assert not any(reason == "img_AD" for reason in result.reasons)
    assert advice_key(result) == "advice_questions" and result.pending


@pytest.mark.parametrize(
    "p, level, finding, reason",
    [
        (probs(ad=0.70, hi=0.30), "urgent", "HI", "img_may_HI"),
        (probs(ad=0.60, im=0.40), "soon", "IM", "img_may_IM"),
        (probs(ad=0.60, mf=0.40), "soon", "MF", "img_may_MF"),
    ],
)
def test_shadow_image_may_still_raise_concern(p, level, finding, reason):
    result = triage(p, shadow=True)
    assert (result.level, result.finding, result.reasons[0], result.finding_source) == (level, finding, reason, "image")
    assert questions(p, shadow=True) == FLAGS  # a concern: the acute questions only


def test_unanswered_questions_never_count_as_routine_in_shadow_mode():
    p = probs(ad=0.97, im=0.01, hi=0.01, mf=0.01)
    assert questions(p, shadow=True) == ALL_FLAGS
    four_no = {flag: False for flag in FLAGS}
    assert triage(p, four_no, shadow=True).level == QUESTIONS  # the slow ones are still open
    every_no = {flag: False for flag in ALL_FLAGS}
    result = triage(p, every_no, shadow=True)
    assert (result.level, result.reasons[0]) == ("routine", "answers_clear")
    assert advice_key(result) == "advice_routine_shadow"  # never the AD advice
    assert triage(None, four_no).level == QUESTIONS  # a photo not judged: the same rule


@pytest.mark.parametrize("flag", ["lasting", "patch"])
def test_a_slow_red_flag_gives_soon_with_the_dermatologist_advice(flag):
    answers = {f: f == flag for f in ALL_FLAGS}
    for shadow in (True, False):
        result = triage(probs(ad=0.95, hi=0.05), answers, shadow=shadow)
        assert (result.level, result.finding, result.finding_source) == ("soon", SLOW, "answers")
        assert advice_key(result) == "advice_soon_slow"


def test_a_finding_from_the_answers_is_marked_as_such():
    result = triage(probs(ad=0.95, hi=0.05), {"blisters": True}, shadow=True)
    assert (result.finding, result.finding_source) == ("HI", "answers")
    result = triage(None, {"blisters": True})
    assert (result.finding, result.finding_source) == ("HI", "answers")


def test_a_validated_model_keeps_the_full_verdict():
    result = triage(probs(ad=0.97, im=0.01, hi=0.01, mf=0.01), shadow=False)
    assert (result.level, result.finding, result.reasons[0]) == ("routine", "AD", "img_AD")


@pytest.mark.parametrize("models, preview, shadow", [
    ({"validated": False}, False, True), ({}, False, True), ({"validated": True}, False, False),
    ({"validated": False}, True, False)])
def test_shadow_mode_holds_until_a_signed_validation_or_a_research_preview(models, preview, shadow):
    assert shadow_mode(models, preview) is shadow

"""bot.triage: the risk level tables, row by row (CLINICAL.md)."""
import pytest

from bot.domain.triage import ADVICE, FLAGS, IMAGE_RULES, LEVELS, advice_key, flag_level, image_level, triage


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
        assert level in LEVELS and finding in {"AD", "IM", "HI", "MF"}


@pytest.mark.parametrize(
    "yes, level, finding, key",
    [
        (set(), "routine", "none", "advice_routine_other"),
        ({"fever"}, "soon", "none", "advice_soon_other"),
        ({"blisters"}, "urgent", "HI", "advice_urgent_HI"),
        ({"fever", "spreading"}, "urgent", "none", "advice_urgent_other"),
    ],
)
def test_a_photo_not_judged_leaves_the_level_to_the_answers(yes, level, finding, key):
    result = triage(None, {flag: flag in yes for flag in FLAGS})
    assert (result.level, result.finding, result.image_level) == (level, finding, "none")
    assert result.reasons[-1] == "img_not_judged" and advice_key(result) == key

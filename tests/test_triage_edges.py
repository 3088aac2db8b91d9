"""Triage (bot/domain/triage.py) where mutation testing found nothing watching: the defaults of
the shadow flag, a result's other fields (flag level, source, shadow, the exact reasons), and
probabilities that leave a class out. The tables themselves are walked in test_triage.py."""
import pytest

from bot.domain import triage as rules
from bot.domain.triage import ALL_FLAGS, FLAGS, concern, image_level, questions, shadow_mode, triage

# IM is the top class (ties go to the first in CLASSES) but under its 0.40 threshold: a validated
# model's top guess decides the level; in shadow mode it raises nothing.
TOP_BELOW_THRESHOLD = {"AD": 0.2, "IM": 0.35, "HI": 0.1, "MF": 0.35}
NO = {flag: False for flag in ALL_FLAGS}


def test_without_the_shadow_flag_a_validated_models_top_guess_counts():
    assert image_level(TOP_BELOW_THRESHOLD) == ("soon", "IM")
    assert image_level(TOP_BELOW_THRESHOLD, shadow=True) == (rules.NOT_JUDGED, rules.NOT_JUDGED)
    assert concern(TOP_BELOW_THRESHOLD) is True and concern(TOP_BELOW_THRESHOLD, shadow=True) is False
    assert questions(TOP_BELOW_THRESHOLD) == FLAGS
    assert questions(TOP_BELOW_THRESHOLD, shadow=True) == ALL_FLAGS
    assert concern(None) is False and questions(None, shadow=True) == ALL_FLAGS


def test_shadow_mode_by_default_unless_validated_or_a_research_preview():
    assert shadow_mode({"validated": False}) is True
    assert shadow_mode({}) is True and shadow_mode(None) is True
    assert shadow_mode({"validated": True}) is False
    assert shadow_mode({"validated": False}, research_preview=True) is False


@pytest.mark.parametrize("probabilities, validated, shadowed", [
    ({"AD": 0.9}, ("routine", "AD"), (rules.NOT_JUDGED, rules.NOT_JUDGED)),
    ({"AD": 0.5, "HI": 0.35}, ("urgent", "HI"), ("urgent", "HI")),
    ({"IM": 0.45, "MF": 0.41}, ("soon", "IM"), ("soon", "IM")),
    ({"MF": 0.3}, ("soon", "MF"), (rules.NOT_JUDGED, rules.NOT_JUDGED)),
])
def test_a_class_left_out_counts_as_zero(probabilities, validated, shadowed):
    assert image_level(probabilities) == validated
    assert image_level(probabilities, shadow=True) == shadowed


def test_a_result_says_it_was_made_in_shadow_mode():
    assert triage({"AD": 0.4, "IM": 0.1, "HI": 0.5, "MF": 0.0}, NO, shadow=True).shadow is True
    assert triage({"AD": 0.4, "IM": 0.1, "HI": 0.5, "MF": 0.0}, NO).shadow is False
    assert triage(None, NO, shadow=True).shadow is True


def test_answers_alone_name_their_level_reasons_and_source():
    fever = triage(None, {**NO, "fever": True})
    assert (fever.level, fever.flag_level, fever.image_level) == ("soon", "soon", rules.NOT_JUDGED)
    assert fever.reasons == ("rf_fever", "img_not_judged")  # no "answers clear" before a warning sign
    assert (fever.finding, fever.finding_source) == (rules.NOT_JUDGED, rules.FROM_NOWHERE)
    clear = triage(None, NO)
    assert clear.reasons == ("answers_clear", "img_not_judged") and clear.finding_source == rules.FROM_NOWHERE
    blisters = triage(None, {**NO, "blisters": True})
    assert (blisters.finding, blisters.finding_source) == ("HI", rules.FROM_ANSWERS)


def test_blisters_with_a_herpes_photo_keep_the_photo_as_the_source():
    both = triage({"AD": 0.3, "IM": 0.1, "HI": 0.6, "MF": 0.0}, {**NO, "blisters": True})
    assert (both.level, both.finding, both.finding_source) == ("urgent", "HI", rules.FROM_IMAGE)
    only_answers = triage({"AD": 0.9, "IM": 0.05, "HI": 0.05, "MF": 0.0}, {**NO, "blisters": True})
    assert (only_answers.finding, only_answers.finding_source) == ("HI", rules.FROM_ANSWERS)

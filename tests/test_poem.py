"""POEM scoring and bands against the published banding (CLINICAL.md; Charman et al. 2013)."""

import pytest

from bot import poem


@pytest.mark.parametrize(
    "answers, total",
    [
        ([0, 0, 0, 0, 0, 0, 0], 0),
        ([4, 4, 4, 4, 4, 4, 4], 28),
        ([1, 0, 0, 0, 0, 0, 1], 2),
        ([4, 3, 0, 0, 1, 2, 3], 13),
        ([2, 2, 2, 2, 2, 2, 2], 14),
    ],
)
def test_score_is_the_sum_of_item_scores(answers, total):
    assert poem.score(answers) == total


@pytest.mark.parametrize(
    "total, band",
    [
        (0, "clear"), (2, "clear"),
        (3, "mild"), (7, "mild"),
        (8, "moderate"), (16, "moderate"),
        (17, "severe"), (24, "severe"),
        (25, "very_severe"), (28, "very_severe"),
    ],
)
def test_bands_at_every_boundary(total, band):
    assert poem.band(total) == band


def test_every_total_has_exactly_one_band_and_bands_are_ordered():
    names = [poem.band(total) for total in range(0, 29)]
    assert names == sorted(names, key=[name for _, name in poem.BANDS].index)
    assert [names.count(name) for _, name in poem.BANDS] == [3, 5, 9, 8, 4]


@pytest.mark.parametrize("total", [-1, 29])
def test_band_outside_range_is_refused(total):
    with pytest.raises(poem.InvalidAnswer):
        poem.band(total)


def test_incomplete_questionnaire_cannot_be_scored():
    with pytest.raises(poem.IncompletePoem):
        poem.score([1, 2, None, 0, 0, 0, 0])
    with pytest.raises(poem.IncompletePoem):
        poem.score([1, 2, 3])


@pytest.mark.parametrize("answers", [[5, 0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 0, 0, 0]])
def test_item_score_outside_0_to_4_is_refused(answers):
    with pytest.raises(poem.InvalidAnswer):
        poem.score(answers)


@pytest.mark.parametrize(
    "previous, current, change",
    [
        (None, 10, None),
        (10, 7, "better"),   # exactly 3 points: noticeable
        (10, 8, "same"),
        (10, 12, "same"),
        (10, 13, "worse"),
        (20, 5, "better"),
    ],
)
def test_change_counts_from_three_points(previous, current, change):
    assert poem.change(previous, current) == change


def test_next_question_resumes_at_first_gap():
    assert poem.next_question([None] * 7) == 0
    assert poem.next_question([1, 2, None, 3, None, None, None]) == 2
    assert poem.next_question([0] * 7) is None


def test_japanese_text_says_it_is_not_the_validated_translation():
    from bot.texts import followup

    assert "公式の検証済み日本語版ではありません" in followup.JA["poem.intro"]
    assert "Nottingham" in followup.JA["poem.intro"]
    for question in poem.QUESTIONS:
        assert followup.JA[f"poem.q.{question}"] and followup.EN[f"poem.q.{question}"]
    for choice in poem.CHOICES:
        assert followup.JA[f"poem.a.{choice}"] and followup.EN[f"poem.a.{choice}"]

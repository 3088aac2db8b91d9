"""POEM scoring and bands against the published banding (CLINICAL.md; Charman et al. 2013)."""

import pytest

from bot.domain import poem
from bot.texts import followup


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
    assert "公式の検証済み日本語版ではありません" in followup.JA["poem.intro"]
    assert "Nottingham" in followup.JA["poem.intro"]
    for question in poem.QUESTIONS:
        assert followup.JA[f"poem.q.{question}"] and followup.EN[f"poem.q.{question}"]
    for choice in poem.CHOICES:
        assert followup.JA[f"poem.a.{choice}"] and followup.EN[f"poem.a.{choice}"]


# --- the check-in over real signed webhooks, the real SDK and the LINE emulator ---------------

import datetime as dt  # noqa: E402

from tests.support import webhooks  # noqa: E402

UTC = dt.timezone.utc


@pytest.fixture
def user(deliver, events, clock):
    clock.set(dt.datetime(2026, 11, 24, 3, 0, tzinfo=UTC))  # Tuesday noon in Tokyo, week 48
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=consent&v=yes", user=uid))
    return uid


def last_texts(emulator, user, n=1):
    texts = [m for m in emulator.messages_to(user) if m["type"] == "text"]
    return texts[-n:]


def quick_data(message):
    return [item["action"].get("data") for item in message["quickReply"]["items"]]


def answer_all(deliver, events, emulator, user, values, start=True):
    if start:
        deliver(events.postback("action=checkin", user=user))
    for value in values:
        asked = last_texts(emulator, user)[0]
        deliver(events.postback(quick_data(asked)[value], user=user))
    return last_texts(emulator, user, 2)


def test_seven_questions_one_by_one_then_score_band_and_photo_invite(deliver, events, emulator, user, db):
    deliver(events.postback("action=checkin", user=user))
    first = last_texts(emulator, user)[0]
    assert "公式の検証済み日本語版ではありません" in first["text"] and "1/7" in first["text"]
    assert len(first["quickReply"]["items"]) == 5
    assert [i["action"]["label"] for i in first["quickReply"]["items"]] == ["なし", "1〜2日", "3〜4日", "5〜6日", "毎日"]
    seen = []
    for number, value in enumerate([4, 3, 0, 1, 2, 2, 3], start=1):
        asked = last_texts(emulator, user)[0]
        assert f"{number}/7" in asked["text"]
        seen.append(asked["text"])
        deliver(events.postback(quick_data(asked)[value], user=user))
    result, invite = last_texts(emulator, user, 2)
    assert "15/28" in result["text"] and "中等症" in result["text"] and "初めて" in result["text"]
    assert [i["action"]["type"] for i in invite["quickReply"]["items"]] == ["camera", "cameraRoll"]
    assert len(set(seen)) == 7
    rows = list(db.query("SELECT week, score, band FROM poem_checkins WHERE user_id = ?", [user]))
    assert rows == [{"week": "2026-W48", "score": 15, "band": "moderate"}]


def test_half_answered_resumes_where_it_stopped(deliver, events, emulator, user, db):
    deliver(events.postback("action=checkin", user=user))
    for _ in range(3):
        deliver(events.postback(quick_data(last_texts(emulator, user)[0])[1], user=user))
    deliver(events.text("チェックイン", user=user))  # later, from the command
    resumed = last_texts(emulator, user)[0]
    assert "続きから" in resumed["text"] and "4/7" in resumed["text"]
    result, _ = answer_all(deliver, events, emulator, user, [1, 1, 1, 1], start=False)
    assert "7/28" in result["text"] and "軽症" in result["text"]


def test_answering_twice_in_a_week_replaces(deliver, events, emulator, user, db, clock):
    answer_all(deliver, events, emulator, user, [2] * 7)
    clock.advance(hours=30)
    result, _ = answer_all(deliver, events, emulator, user, [0] * 7)
    assert "0/28" in result["text"] and "置き換え" in result["text"]
    rows = list(db.query("SELECT score FROM poem_checkins WHERE user_id = ?", [user]))
    assert rows == [{"score": 0}]


@pytest.mark.parametrize(
    "first, second, phrase",
    [
        ([2] * 7, [1, 1, 1, 1, 2, 2, 2], "はっきり良くなっています"),   # 14 -> 10: -4
        ([2] * 7, [2, 2, 2, 2, 2, 1, 1], "ほぼ同じ"),                    # 14 -> 12: -2
        ([1] * 7, [2, 2, 2, 1, 1, 1, 1], "はっきり悪くなっています"),     # 7 -> 10: +3
    ],
)
def test_change_since_last_week_uses_the_three_point_rule(deliver, events, emulator, user, clock, first, second, phrase):
    answer_all(deliver, events, emulator, user, first)
    clock.advance(days=7)
    result, _ = answer_all(deliver, events, emulator, user, second)
    assert phrase in result["text"]


def test_english_user_gets_english_questions(deliver, events, emulator, clock):
    uid = webhooks.user_id()
    emulator.set_profile(uid, language="en")
    deliver(events.follow(user=uid))
    deliver(events.postback("action=consent&v=yes", user=uid))
    deliver(events.postback("action=checkin", user=uid))
    first = last_texts(emulator, uid)[0]
    assert "Over the last week" in first["text"] and "itchy" in first["text"]


def test_without_consent_nothing_is_stored(deliver, events, emulator, db):
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=checkin", user=uid))
    assert "同意" in last_texts(emulator, uid)[0]["text"]
    deliver(events.postback("action=poem&c=1&q=0&a=4", user=uid))
    assert list(db.query("SELECT * FROM poem_checkins")) == []


def test_someone_elses_checkin_id_is_not_answered(deliver, events, emulator, user, db):
    deliver(events.postback("action=checkin", user=user))
    other = webhooks.user_id()
    deliver(events.follow(user=other))
    deliver(events.postback("action=consent&v=yes", user=other))
    row = next(db.query("SELECT id FROM poem_checkins WHERE user_id = ?", [user]))
    deliver(events.postback(f"action=poem&c={row['id']}&q=0&a=4", user=other))
    mine = next(db.query("SELECT answers FROM poem_checkins WHERE user_id = ?", [user]))
    assert mine["answers"] == "[null, null, null, null, null, null, null]"


@pytest.mark.parametrize("lang, typed", [("ja", "毎日"), ("en", "every day")])
def test_typed_poem_answer_counts_and_other_text_repeats_the_question(deliver, events, emulator, user, db, lang, typed):
    """Issue 12 item 3: a choice typed while a POEM question waits is the answer; anything else
    repeats the question with its buttons, not the help."""
    emulator.set_profile(user, language=lang)
    deliver(events.postback(f"action=lang&v={lang}", user=user))
    deliver(events.postback("action=checkin", user=user))
    deliver(events.text({"ja": "はい", "en": "yes"}[lang], user=user))
    again = last_texts(emulator, user)[0]
    assert "1/7" in again["text"] and len(again["quickReply"]["items"]) == 5
    deliver(events.text(typed, user=user))
    asked = last_texts(emulator, user)[0]
    assert "2/7" in asked["text"]
    (row,) = list(db.query("SELECT answers FROM poem_checkins"))
    assert row["answers"].startswith("[4, null")

"""Shadow mode (issue 20; CLINICAL.md "Models that no clinician has validated"): while the
manifest carries no signed validation, the image may raise concern but never reassures; the
answers (acute and slow red flags) and the trend carry the patient.

Through the real bot: signed webhooks, the worker, the real SDK over HTTP to the LINE emulator,
real SQLite, the dev colour-rule ONNX pair (tests/support/devmodels.py), unsigned here and
signed by the real sign-off code (tests/support/validation.py) where the contrast matters;
both languages.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from bot.domain import poem as poem_rules
from bot.domain.triage import ALL_FLAGS, FLAGS
from bot.features.reminders import dispatch
from bot.views import charts, summary
from storage import assessments
from tests.support.chat import flex_actions, flex_texts, photo, quick_replies, unfamiliar_photo
from tests.support.devmodels import build_dev_models
from tests.support.validation import sign_copy

UTC = dt.timezone.utc
LEVEL = {
    "ja": {"urgent": "今日中に受診してください", "soon": "数日以内に受診してください",
           "routine": "いつものケアを続けましょう", "questions": "質問に答えてください"},
    "en": {"urgent": "See a doctor today", "soon": "See a doctor within a few days",
           "routine": "Keep up your usual care", "questions": "Please answer the questions"},
}
# Words that reassure about the photo: never from an unvalidated model.
LOOKS_LIKE_AD = {"ja": ["アトピー性皮膚炎の湿疹に近い", "アトピー性皮膚炎"],
                 "en": ["looks like an atopic dermatitis", "atopic dermatitis"]}
NOT_VALIDATED_TO_RULE_OUT = {"ja": "否定できません", "en": "cannot rule out"}
MAY_SHOW_HI = {"ja": "ヘルペス（カポジ水痘様発疹症）かもしれない", "en": "may show signs of herpes"}
DERMATOLOGIST = {"ja": "皮膚科を予約", "en": "Book a dermatologist"}
DISEASES = {"ja": ["とびひ", "ヘルペス", "リンパ腫"], "en": ["impetigo", "herpes", "lymphoma"]}
NOT_ANSWERED = {"ja": "質問に未回答", "en": "Questions not answered"}
RESEARCH_PREVIEW = {"ja": "研究用プレビュー", "en": "Research preview"}


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


def consented(chat, lang):
    user = chat(lang)
    user.follow()
    user.agree()
    return user


def is_question(message) -> bool:
    return message["type"] == "text" and len(quick_replies(message)) == 2


def answer(user, first_question, yes=()) -> tuple[list[str], list[dict]]:
    """Answer every question from the first one; (the flags asked, in order; the messages after
    the last answer)."""
    asked, message, sent = [], first_question, []
    while is_question(message):
        fields = dict(part.split("=", 1) for part in quick_replies(message)[0]["data"].split("&"))
        flag = ALL_FLAGS[fields["f"].rindex("1")]  # the flag the "yes" data answers
        asked.append(flag)
        sent = user.tap(quick_replies(message)[0 if flag in yes else 1]["data"])
        message = sent[-1]
    return asked, sent


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_ad_looking_photo_is_never_reassured_the_answers_decide(chat, db, lang):
    user = consented(chat, lang)
    card, question = user.photo(photo("AD"))
    texts = flex_texts(card)
    joined = "\n".join(texts)
    assert texts[0] == LEVEL[lang]["questions"]  # not "keep up your usual care"
    assert not any(words in joined for words in LOOKS_LIKE_AD[lang])
    assert "%" not in joined  # no class percentages to the patient
    assert not any(word in joined for word in DISEASES[lang])  # names no disease at all
    assert NOT_VALIDATED_TO_RULE_OUT[lang] in joined
    assert {"ja": "保存しました", "en": "I kept the photo"}[lang] in joined
    assert card["contents"]["header"]["backgroundColor"] != "#2E7D32"  # not the routine green
    assert is_question(question)
    (row,) = assessments.recent(db, user.user)
    assert (row["level"], row["image_level"], row["flags"]) == ("questions", "none", None)
    # history says "questions not answered", never routine
    (history, *_) = user.say({"ja": "履歴", "en": "history"}[lang])
    assert NOT_ANSWERED[lang] in history["text"]
    assert LEVEL[lang]["routine"] not in history["text"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_six_noes_give_routine_from_the_answers_with_no_ad_words(chat, db, lang):
    user = consented(chat, lang)
    _card, question = user.photo(photo("AD"))
    asked, (updated, _thanks) = answer(user, question)
    assert asked == list(ALL_FLAGS)  # no concern: the acute and the slow questions
    texts = flex_texts(updated)
    joined = "\n".join(texts)
    assert texts[0] == LEVEL[lang]["routine"]
    assert not any(words in joined for words in LOOKS_LIKE_AD[lang]) and "%" not in joined
    assert {"ja": "AIは何も否定していません", "en": "the AI has ruled nothing out"}[lang] in joined
    (row,) = assessments.recent(db, user.user)
    assert (row["level"], row["finding"], row["finding_source"]) == ("routine", "none", "none")


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("slow", ["lasting", "patch"])
def test_a_slow_red_flag_gives_soon_see_a_dermatologist(chat, db, lang, slow):
    user = consented(chat, lang)
    _card, question = user.photo(photo("AD"))
    _asked, (updated, _thanks) = answer(user, question, yes=(slow,))
    texts = flex_texts(updated)
    assert texts[0] == LEVEL[lang]["soon"] and DERMATOLOGIST[lang] in texts[2]
    (row,) = assessments.recent(db, user.user)
    assert (row["level"], row["finding"], row["finding_source"]) == ("soon", "slow", "answers")
    assert row["flags"][slow] is True


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_complication_may_still_raise_the_level_named_as_what_the_photo_may_show(chat, db, lang):
    user = consented(chat, lang)
    (card,) = user.photo(photo("HI"))
    texts = flex_texts(card)
    joined = "\n".join(texts)
    assert texts[0] == LEVEL[lang]["urgent"] and MAY_SHOW_HI[lang] in texts[1]
    assert "%" not in joined
    questions_button = flex_actions(card)[0]
    assert questions_button["label"] == {"ja": "4つの質問に答える", "en": "Answer 4 questions"}[lang]
    first = user.tap(questions_button["data"])[-1]
    asked, (updated, _thanks) = answer(user, first)
    assert asked == list(FLAGS)  # a concern: the acute questions only
    assert flex_texts(updated)[0] == LEVEL[lang]["urgent"]  # answers never lower it
    (row,) = assessments.recent(db, user.user)
    assert (row["level"], row["finding"], row["finding_source"]) == ("urgent", "HI", "image")


def test_the_overlay_names_no_class_and_no_percentage(chat, client):
    from urllib.parse import urlsplit

    from bot.features.photos import captions_for
    from inference.overlay import caption_options

    user = consented(chat, "en")
    card, _question = user.photo(photo("AD"))
    (overlay,) = [a["uri"] for a in flex_actions(card) if a["type"] == "uri"]
    assert client.get(urlsplit(overlay).path).status_code == 200
    from inference import Pipeline

    assessment = Pipeline.from_dir(client.application.config["ADAI"].models_dir).assess(photo("AD"))
    lines = "\n".join(caption_options(assessment, captions_for("en", shadow=True))["lines"])
    assert "atopic" not in lines and "%" not in lines and "names no disease" in lines


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_rash_found_becomes_could_not_find_with_the_questions_offered(chat, lang):
    from tests.support import phone_photos

    user = consented(chat, lang)
    skin = phone_photos.skin_photo(lesions=[])  # skin, no lesion
    (answer_text,) = user.photo(phone_photos.encode(skin, "JPEG", quality=92))
    assert {"ja": "見つけられませんでした", "en": "I could not find a rash"}[lang] in answer_text["text"]
    offered = [a for a in quick_replies(answer_text) if a["type"] == "postback"]
    assert [a["label"] for a in offered] == [{"ja": "質問に答える", "en": "Answer questions"}[lang]]
    first = user.tap(offered[0]["data"])[-1]
    asked, (updated, _thanks) = answer(user, first, yes=("fever",))
    assert asked == list(ALL_FLAGS) and flex_texts(updated)[0] == LEVEL[lang]["soon"]
    assert "dev-classifier-colour-rule" in "\n".join(flex_texts(updated))  # the card names its model


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_next_day_brings_one_gentle_reminder_of_unanswered_questions(chat, db, services, emulator, clock, lang):
    clock.set(dt.datetime(2026, 12, 3, 3, 0, tzinfo=UTC))  # noon in Tokyo
    user = consented(chat, lang)
    user.photo(photo("AD"))  # questions left unanswered
    pushed = []
    for _hour in range(48):
        clock.advance(hours=1)
        dispatch.send_due(db, services.line, clock.now())
        pushed = [s for s in emulator.sent if s["to"] == user.user and s["kind"] == "push"
                  and "rf_resume" in json.dumps(s["messages"])]
    assert len(pushed) == 1  # one push, the next day, outside quiet hours
    sent_at = dt.datetime.fromisoformat(pushed[0]["at"]).astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert 8 <= sent_at.hour < 22 and sent_at.date() == dt.date(2026, 12, 4)
    (message,) = pushed[0]["messages"]
    assert {"ja": "まだ答えていません", "en": "still waiting"}[lang] in message["text"]
    first = user.tap(quick_replies(message)[0]["data"])[-1]  # "answer now" starts them again
    asked, (updated, _thanks) = answer(user, first)
    assert asked == list(ALL_FLAGS) and flex_texts(updated)[0] == LEVEL[lang]["routine"]


def test_no_reminder_once_the_questions_are_answered(chat, db, services, emulator, clock):
    clock.set(dt.datetime(2026, 12, 3, 3, 0, tzinfo=UTC))
    user = consented(chat, "en")
    _card, question = user.photo(photo("AD"))
    answer(user, question)
    for _hour in range(48):
        clock.advance(hours=1)
        dispatch.send_due(db, services.line, clock.now())
    assert not [s for s in emulator.sent if s["to"] == user.user and "rf_resume" in json.dumps(s["messages"])]


def test_someone_elses_result_cannot_be_resumed(chat, db):
    owner = consented(chat, "en")
    owner.photo(photo("AD"))
    (row,) = assessments.recent(db, owner.user)
    intruder = consented(chat, "en")
    (answer_text,) = intruder.tap(f"action=rf_resume&a={row['id']}")
    assert "no longer available" in answer_text["text"]


def test_a_resumed_questionnaire_names_the_photo_it_belongs_to(chat, db, clock):
    clock.set(dt.datetime(2026, 12, 3, 3, 0, tzinfo=UTC))  # noon in Tokyo
    user = consented(chat, "en")
    user.photo(photo("AD"))
    (row,) = assessments.recent(db, user.user)
    clock.advance(hours=26)
    _asked, (updated, _thanks) = answer(user, user.tap(f"action=rf_resume&a={row['id']}")[-1])
    assert "Photo: 2026-12-03 12:00" in "\n".join(flex_texts(updated))  # when it was taken, not now


def test_an_answered_or_unknown_result_is_not_resumed(chat, db):
    user = consented(chat, "en")
    _card, question = user.photo(photo("AD"))
    answer(user, question)
    (row,) = assessments.recent(db, user.user)
    for data in (f"action=rf_resume&a={row['id']}", "action=rf_resume", "action=rf_resume&a=x"):
        (reply,) = user.tap(data)
        assert "no longer available" in reply["text"], data


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_photo_set_never_hides_a_photo_that_was_not_judged(chat, db, lang, tmp_path, app_config):
    """Even with a signed (validated) model whose AD verdict is routine, an unjudged photo in the
    same set ranks above it: its questions decide. "Could not be read" counts only photos that
    could not be decoded."""
    sign_copy(app_config["models_dir"], wrong_per_class=1)
    user = consented(chat, lang)
    answers = user.photo(photo("AD"), unfamiliar_photo(), b"%PDF-1.4 not a photo")
    explanation, question = answers
    assert {"ja": "この写真は判定できません", "en": "I cannot judge this photo"}[lang] in explanation["text"]
    assert {"ja": "1枚は読み取れなかった", "en": "1 photo(s) could not be read"}[lang] in explanation["text"]
    assert is_question(question)
    (row,) = assessments.recent(db, user.user)
    assert (row["level"], row["quality"], row["photos"]) == ("questions", "unfamiliar", 3)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_signed_validation_brings_the_full_verdict_back(chat, db, lang, app_config):
    sign_copy(app_config["models_dir"], wrong_per_class=1)
    user = consented(chat, lang)
    (card,) = user.photo(photo("AD"))
    texts = flex_texts(card)
    assert texts[0] == LEVEL[lang]["routine"] and LOOKS_LIKE_AD[lang][0] in texts[1]
    assert "%" in "\n".join(texts)
    assert {"ja": "で確認しました", "en": "Checked on"}[lang] in "\n".join(texts)


class TestResearchPreview:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "research_preview": True}

    @pytest.mark.parametrize("lang", ["ja", "en"])
    def test_every_card_says_research_preview(self, chat, lang):
        user = consented(chat, lang)
        (card,) = user.photo(photo("AD"))
        texts = flex_texts(card)
        assert texts[0] == LEVEL[lang]["routine"]  # the unvalidated full verdict, labelled
        assert RESEARCH_PREVIEW[lang] in "\n".join(texts)
        _asked, (updated, _thanks) = answer(user, user.tap(flex_actions(card)[0]["data"])[-1])
        assert RESEARCH_PREVIEW[lang] in "\n".join(flex_texts(updated))
        texts = flex_texts(updated)  # the answers (all no) leave the image's verdict, named
        assert texts[0] == LEVEL[lang]["routine"] and LOOKS_LIKE_AD[lang][0] in "\n".join(texts)

    def test_a_resumed_result_is_judged_as_a_preview_too(self, chat, db):
        """Impetigo on top but under its threshold: a preview's verdict (soon) asks the acute
        questions only; shadow mode would have judged nothing and asked all six."""
        user = consented(chat, "en")
        user.photo(photo("IM"))
        (row,) = assessments.recent(db, user.user)
        db.execute("UPDATE assessments SET probabilities = ? WHERE id = ?",
                   [json.dumps({"AD": 0.25, "IM": 0.35, "HI": 0.2, "MF": 0.2}), row["id"]])
        asked, _sent = answer(user, user.tap(f"action=rf_resume&a={row['id']}")[-1])
        assert asked == list(FLAGS)

    def test_start_up_warns(self, app_config, caplog):
        from bot import create_app

        with caplog.at_level(logging.WARNING):
            create_app(app_config)
        assert any("ADAI_RESEARCH_PREVIEW" in r.getMessage() for r in caplog.records)


def test_records_show_a_photo_not_judged_and_label_a_finding_from_the_answers(chat, db):
    """The chart keeps a result the models did not judge (its own marker); the doctor's page
    says a finding came from the answers, never the AI."""
    user = consented(chat, "en")
    user.photo(photo("AD"))  # judged, left unanswered
    explanation, question = user.photo(unfamiliar_photo())  # not judged
    answer(user, question, yes=("blisters",))
    _poem, photo_points = charts.points(db, user.user)
    assert [(p["judged"], p["level"]) for p in photo_points] == [(True, "questions"), (False, "urgent")]
    not_judged, judged = assessments.recent(db, user.user)
    view = summary.assessment_view(not_judged, "en", UTC)
    assert view["top"] == "herpes (from the patient's answers, not the AI)"
    assert summary.assessment_view(judged, "en", UTC)["top"].startswith("the AI raised no concern")
    assert summary.assessment_view(judged, "en", UTC)["level"] == "not answered"


def test_the_chart_draws_a_photo_not_judged_with_its_own_marker(monkeypatch):
    from matplotlib.figure import Figure

    figures = []
    original = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: (figures.append(self), original(self, *a, **k))[1])
    at = dt.datetime(2026, 12, 1, 3, tzinfo=UTC)
    charts.render([], [{"at": at, "lesion_fraction": .1, "p_not_ad": .2, "level": "routine", "judged": True,
                        "validated": False},
                       {"at": at + dt.timedelta(days=1), "lesion_fraction": .1, "p_not_ad": 0, "level": "urgent",
                        "judged": False, "validated": False}], "en")
    (figure,) = figures
    photo_axis, risk_axis = figure.axes[1], figure.axes[2]
    filled, hollow = risk_axis.collections
    assert [tuple(x) for x in hollow.get_offsets()][0][1] == charts.LEVELS.index("urgent")
    assert len(hollow.get_facecolors()) == 0  # hollow: no fill
    # a patient's chart shows no percentage of an unvalidated model
    assert [line.get_label() for line in photo_axis.get_lines()] == ["Lesion area (% of photo)"]


# --- the trend: check-ins over 4 weeks without improvement ------------------------------------

def at(days):
    return dt.datetime(2026, 11, 1, tzinfo=UTC) + dt.timedelta(days=days)


@pytest.mark.parametrize("scores, photos, prompt", [
    ([12, 12, 11, 11, 10], [], True),  # down by 2 over 4 weeks: not a noticeable improvement
    ([12, 11, 10, 9, 9], [], False),  # down by 3: improving
    ([12, 12, 12, 12], [], False),  # 3 weeks only
    ([12, 12, 11, 11, 10], [0.10, 0.05], False),  # the photographed rash is smaller
    ([12, 12, 11, 11, 10], [0.10, 0.12], True),
])
def test_no_improvement_rule(scores, photos, prompt):
    checkins = [{"at": at(7 * i), "score": s} for i, s in enumerate(scores)]
    shots = [{"at": at(1 + 27 * i), "lesion_fraction": f} for i, f in enumerate(photos)]
    assert poem_rules.no_improvement(checkins, shots) is prompt


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_four_weeks_without_improvement_prompt_a_dermatologist_once(chat, db, clock, emulator, lang):
    clock.set(dt.datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    user = consented(chat, lang)
    prompts = []
    for week in range(7):
        messages = user.tap("action=checkin")
        while messages and quick_replies(messages[-1]) and \
                "action=poem" in quick_replies(messages[-1])[0].get("data", ""):
            messages = user.tap(quick_replies(messages[-1])[2]["data"])  # 3-4 days on every item: 14
        prompts += [m for m in messages if {"ja": "皮膚科", "en": "dermatologist"}[lang] in m.get("text", "")]
        clock.advance(days=7)
    assert len(prompts) == 1  # week 5 (28 days after the first), once per episode
    assert [a["data"] for a in quick_replies(prompts[0])] == ["action=clinics"]


@pytest.mark.parametrize("kind", ["AD", "HI"])
def test_a_card_never_draws_two_separators_around_nothing(chat, kind):
    user = consented(chat, "en")
    card = user.photo(photo(kind))[0]
    kinds = [node["type"] for node in card["contents"]["body"]["contents"]]
    assert all(not (a == b == "separator") for a, b in zip(kinds, kinds[1:])), kinds

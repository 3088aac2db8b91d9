"""Photo → result card (Flex), retake guidance, image sets, red-flag questions, models missing.

Real pipeline on the dev colour-rule ONNX pair (tests/support/devmodels.py), signed as a clinic
would sign a validation (tests/support/validation.py), so the image gives its full verdict; the
unsigned (shadow mode) answers are in tests/test_shadow_mode.py. Real SDK, real emulator, both
languages.
"""
import json
from zoneinfo import ZoneInfo
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.domain import redflags
from bot.engine.router import parse_postback as parse
from storage import assessments
from tests.support.chat import dark_photo, flex_actions, flex_texts, photo, quick_replies
from tests.support.devmodels import build_dev_models
from tests.support.validation import sign_copy

LEVEL_TEXT = {
    "ja": {"urgent": "今日中に受診してください", "soon": "数日以内に受診してください", "routine": "いつものケアを続けましょう"},
    "en": {"urgent": "See a doctor today", "soon": "See a doctor within a few days", "routine": "Keep up your usual care"},
}
ADVICE_WORDS = {
    ("ja", "AD"): "保湿", ("en", "AD"): "Moisturise",
    ("ja", "IM"): "とびひ", ("en", "IM"): "Impetigo",
    ("ja", "HI"): "抗ウイルス薬", ("en", "HI"): "antiviral",
    ("ja", "MF"): "皮膚科の予約", ("en", "MF"): "dermatologist appointment",
}
NOT_VALIDATED = {"ja": "臨床的な検証を受けていません", "en": "not clinically validated"}
CHECKED = {"ja": "で確認しました", "en": "Checked on"}
MODEL_NAME = "dev-classifier-colour-rule@0.0.0-dev"


@pytest.fixture
def app_config(app_config, tmp_path):
    models = build_dev_models(tmp_path / "models")
    sign_copy(models, wrong_per_class=1)
    return {**app_config, "models_dir": models}


def consented(chat, lang):
    user = chat(lang)
    user.follow()
    user.agree()
    return user


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    "kind, level",
    [("AD", "routine"), ("IM", "soon"), ("HI", "urgent"), ("MF", "soon")],
)
def test_photo_gets_one_card_with_level_first_advice_model_and_caveat(chat, emulator, lang, kind, level):
    user = consented(chat, lang)
    (card,) = user.photo(photo(kind))
    assert card["type"] == "flex"
    texts = flex_texts(card)
    assert texts[0] == LEVEL_TEXT[lang][level]  # the level (urgent care) leads the message
    assert ADVICE_WORDS[lang, kind] in texts[2]  # advice right after the one-line reason
    joined = "\n".join(texts)
    assert MODEL_NAME in joined and CHECKED[lang] in joined and "119" in joined
    assert NOT_VALIDATED[lang] not in joined
    assert card["altText"].endswith(LEVEL_TEXT[lang][level])
    assert {"chatId": user.user, "loadingSeconds": 30} in emulator.loading_calls


def test_the_typing_dots_show_only_when_the_patient_will_wait(chat, emulator, events, deliver, clock):
    """Dots for the first photo after a start (the models load), an event that waited a second
    or more, and an image set; not for a photo answered at once (~0.1 s): each is a LINE call."""
    user = consented(chat, "en")

    def dots():
        return sum(1 for call in emulator.loading_calls if call["chatId"] == user.user)

    user.photo(photo("AD", seed=1))
    assert dots() == 1  # the models were loaded for it
    user.photo(photo("AD", seed=2))
    assert dots() == 1  # answered at once
    emulator.add_content("late-1", photo("AD", seed=3))
    late = events.image(message_id="late-1", user=user.user)
    clock.advance(seconds=1)
    before = len(emulator.messages_to(user.user))
    deliver(late)
    (card,) = emulator.messages_to(user.user)[before:]
    assert card["type"] == "flex" and dots() == 2  # waited a second in the queue
    user.photo(photo("AD", seed=4), photo("AD", seed=5))
    assert dots() == 3  # several photos


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_card_buttons_and_the_overlay_link_serves_the_picture(chat, client, lang):
    user = consented(chat, lang)
    (card,) = user.photo(photo("AD"))
    actions = flex_actions(card)
    assert [a.get("data", "").split("&")[0] or a["type"] for a in actions] == [
        "action=rf", "action=clinics", "uri", "action=history"]
    overlay = actions[2]["uri"]
    assert "/media/" in overlay
    response = client.get(urlsplit(overlay).path)
    assert response.status_code == 200 and response.data.startswith(b"\xff\xd8")  # JPEG
    assert response.mimetype == "image/jpeg"


def test_no_overlay_button_without_consent(chat):
    user = chat("en")
    user.follow()
    user.decline()
    (card,) = user.photo(photo("AD"))
    assert "uri" not in [a["type"] for a in flex_actions(card)]


@pytest.mark.parametrize("lang, words", [("ja", "暗すぎます"), ("en", "too dark")])
def test_dark_photo_gets_retake_guidance_with_camera_shortcuts(chat, db, lang, words):
    user = consented(chat, lang)
    (answer,) = user.photo(dark_photo())
    assert answer["type"] == "text" and words in answer["text"]
    assert [a["type"] for a in quick_replies(answer)] == ["camera", "cameraRoll"]
    assert assessments.recent(db, user.user) == []


@pytest.mark.parametrize("lang, words", [("ja", "読み取れませんでした"), ("en", "could not read")])
def test_not_an_image_is_answered_politely(chat, lang, words):
    user = consented(chat, lang)
    (answer,) = user.photo(b"%PDF-1.4 not a photo")
    assert words in answer["text"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_image_set_gets_one_answer_for_the_most_worrying_photo(chat, db, lang):
    user = consented(chat, lang)
    answers = user.photo(photo("AD"), photo("HI", seed=1), dark_photo())
    assert len(answers) == 1
    texts = flex_texts(answers[0])
    assert texts[0] == LEVEL_TEXT[lang]["urgent"]
    joined = "\n".join(texts)
    assert {"ja": "3枚", "en": "3 photos"}[lang] in joined
    # The dark photo was read (decoded) but not judged: it is not "could not be read".
    assert {"ja": "1枚は読み取れましたが、判定できません", "en": "1 photo(s) could be read but not judged"}[lang] in joined
    assert {"ja": "読み取れなかった", "en": "could not be read"}[lang] not in joined
    (row,) = assessments.recent(db, user.user)
    assert (row["photos"], row["level"], row["finding"]) == (3, "urgent", "HI")


def answer_all(user, card, answers: dict):
    """Tap through the questions (four, or six when the image gave no concern); returns the
    last answer (the updated card)."""
    data = flex_actions(card)[0]["data"]
    messages = user.tap(data)
    asked = []
    while len(messages) == 1 and messages[0]["type"] == "text" and quick_replies(messages[0]):
        flag = _next_flag(messages[0])
        asked.append(flag)
        yes, no = quick_replies(messages[0])
        messages = user.tap((yes if answers.get(flag) else no)["data"])
    return messages


def _next_flag(question) -> str:
    """The flag a question asks about: the one its "yes" data answers (the f field)."""
    fields = parse(quick_replies(question)[0]["data"])
    marks = fields["f"]
    index = max(i for i, mark in enumerate(marks) if mark == redflags.YES)
    return redflags.ALL_FLAGS[index]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_red_flag_answers_raise_the_level_and_update_the_stored_result(chat, db, lang):
    user = consented(chat, lang)
    (card,) = user.photo(photo("AD"))
    (question,) = user.tap(flex_actions(card)[0]["data"])
    assert {"ja": "熱がある", "en": "fever"}[lang] in question["text"]
    assert [a["label"] for a in quick_replies(question)] == ({"ja": ["はい", "いいえ"], "en": ["Yes", "No"]}[lang])
    updated, thanks = answer_all(user, card, {"blisters": True})
    texts = flex_texts(updated)
    assert texts[0] == LEVEL_TEXT[lang]["urgent"]  # urgent: the card comes first, then thanks
    assert ADVICE_WORDS[lang, "HI"] in texts[2]
    assert thanks["type"] == "text"
    assert "action=rf" not in json.dumps(updated)  # questions answered: no second round
    (row,) = assessments.recent(db, user.user)
    assert (row["level"], row["finding"], row["image_level"]) == ("urgent", "HI", "routine")
    assert row["flags"] == {"fever": False, "blisters": True, "spreading": False, "eyes": False,
                            "lasting": False, "patch": False}


def test_the_updated_card_keeps_the_link_to_the_photos_overlay(chat, client):
    user = consented(chat, "en")
    (card,) = user.photo(photo("AD"))
    updated, _thanks = answer_all(user, card, {})
    links = [a["uri"] for a in flex_actions(updated) if a["type"] == "uri"]
    assert links == [a["uri"] for a in flex_actions(card) if a["type"] == "uri"] and "/media/" in links[0]
    response = client.get(urlsplit(links[0]).path)
    assert response.status_code == 200 and response.data.startswith(b"\xff\xd8")


def test_a_result_whose_overlay_was_not_drawn_gets_no_link_after_the_questions(chat, db):
    user = consented(chat, "en")
    (card,) = user.photo(photo("AD"))
    db.execute("UPDATE assessments SET overlay_ref = NULL WHERE user_id = ?", [user.user])  # drawing failed
    updated, _thanks = answer_all(user, card, {})
    assert flex_texts(updated)[0] == LEVEL_TEXT["en"]["routine"]
    assert "uri" not in [a["type"] for a in flex_actions(updated)]


def test_answers_of_no_keep_the_images_full_verdict(chat):
    user = consented(chat, "en")
    (card,) = user.photo(photo("HI"))
    assert flex_texts(card)[0] == LEVEL_TEXT["en"]["urgent"]
    updated, _thanks = answer_all(user, card, {})  # every answer no: the answers never lower it
    texts = flex_texts(updated)
    assert texts[0] == LEVEL_TEXT["en"]["urgent"]
    assert "herpes" in texts and any(text[:-1].isdigit() and text.endswith("%") for text in texts)  # per class


class TestResearchPreviewOfASignedModel:
    """ADAI_RESEARCH_PREVIEW labels unvalidated models only: a signed one is no preview."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "research_preview": True}

    def test_a_validated_result_is_not_called_a_preview_after_the_questions(self, chat):
        user = consented(chat, "en")
        (card,) = user.photo(photo("AD"))
        updated, _thanks = answer_all(user, card, {})
        for message in (card, updated):
            assert "Research preview" not in "\n".join(flex_texts(message))
        assert CHECKED["en"] in "\n".join(flex_texts(updated)) and "%" in "\n".join(flex_texts(updated))


def test_the_card_after_the_answers_tells_the_photos_time_on_the_users_own_clock(chat, db, clock):
    from bot.features.reminders import plans

    user = consented(chat, "en")
    plans.set_timezone(db, user.user, "America/New_York", clock.now())  # their check-in's zone
    (card,) = user.photo(photo("AD"))
    when = clock.now().astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    updated, _thanks = answer_all(user, card, {})
    assert f"Photo: {when}" in flex_texts(updated)


def test_red_flags_work_without_consent_and_store_nothing(chat, db):
    user = chat("en")
    user.follow()
    user.decline()
    (card,) = user.photo(photo("IM"))
    updated, thanks = answer_all(user, card, {"fever": True})
    assert thanks["type"] == "text"
    assert flex_texts(updated)[0] == LEVEL_TEXT["en"]["soon"]
    assert "a" not in parse(flex_actions(card)[0]["data"])
    assert assessments.recent(db, user.user) == []


def test_someone_elses_assessment_id_is_not_updated(chat, db):
    owner = consented(chat, "en")
    (card,) = owner.photo(photo("AD"))
    stolen = flex_actions(card)[0]["data"].replace("f=------", "f=111111")
    assert stolen != flex_actions(card)[0]["data"]
    intruder = consented(chat, "en")
    intruder.tap(stolen)
    (row,) = assessments.recent(db, owner.user)
    assert row["flags"] is None and row["level"] == "routine"


def test_tampered_question_data_is_refused_politely(chat):
    user = consented(chat, "en")
    (answer,) = user.tap("action=rf&p=999.1&f=--")
    assert "no longer available" in answer["text"]


class TestModelsUnavailable:
    @pytest.fixture(params=["missing", "corrupt"])
    def app_config(self, request, app_config, tmp_path):
        models = tmp_path / "broken-models"
        if request.param == "corrupt":
            build_dev_models(models)
            (models / "classifier.onnx").write_bytes(b"not an onnx file")
        return {**app_config, "models_dir": models}

    @pytest.mark.parametrize("lang, words", [("ja", "一時的に使えません"), ("en", "temporarily unavailable")])
    def test_photo_is_answered_politely(self, chat, db, lang, words):
        user = consented(chat, lang)
        (answer,) = user.photo(photo("AD"))
        assert words in answer["text"] and "119" in answer["text"]
        assert assessments.recent(db, user.user) == []


COMMITTED_MODELS = Path(__file__).resolve().parents[1] / "models"


class TestCommittedModels:
    """The committed models in models/: a card names them and says whether they are validated."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "models_dir": COMMITTED_MODELS}

    def test_photo_card_names_the_committed_model(self, chat):
        from models.phantom import render

        manifest = json.loads((COMMITTED_MODELS / "manifest.json").read_text())
        classifier = manifest["models"]["classifier"]
        user = consented(chat, "en")
        # A phantom the committed models read (the same one as the simulator test's).
        answer = user.photo(render(2, label="HI", distance="medium").jpeg)[0]
        assert answer["type"] == "flex"
        joined = "\n".join(flex_texts(answer))
        assert f"{classifier['name']}@{classifier['version']}" in joined
        assert (NOT_VALIDATED["en"] in joined) == (not manifest["validated"])


ANSWERS_TITLE = {"ja": "あなたの回答", "en": "Your answers"}
AI_TITLE = {"ja": "AIの見立て", "en": "What the AI sees"}
PHOTO_OF = {"ja": "写真：", "en": "Photo: "}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("yes", [("fever", "blisters", "spreading"), ("fever", "spreading", "eyes"),
                                 ("eyes",)])
def test_updated_card_shows_answers_and_image_under_their_own_headings_each_once(chat, clock, lang, yes):
    """Issue 12 item 2: the patient's answers are not "what the AI sees"; no line twice; the
    card names the photo (date, time) it belongs to; one order: the card, then the thanks."""
    user = consented(chat, lang)
    (card,) = user.photo(photo("AD"))
    taken = clock.now()
    clock.advance(minutes=3)
    updated, thanks = answer_all(user, card, dict.fromkeys(yes, True))
    assert thanks["type"] == "text" and updated["type"] == "flex"
    texts = flex_texts(updated)
    assert len(texts) == len(set(texts)), texts
    answers, ai = texts.index(ANSWERS_TITLE[lang]), texts.index(AI_TITLE[lang])
    assert answers < ai
    rf_lines = {redflags_text(lang, f"rf_{flag}") for flag in ("blisters", "sepsis", "eyes", "fever",
                                                               "spreading", "eyes_only")}
    assert not rf_lines & set(texts[ai:]), texts[ai:]  # no answer under the AI heading
    from bot.texts import t

    expected = [t("conv.ans_line", lang, question=t(f"conv.ans_{flag}", lang),
                  answer=t("conv.qr_yes" if flag in yes else "conv.qr_no", lang)) for flag in redflags.ALL_FLAGS]
    assert texts[answers + 1:answers + 7] == expected  # every answer, in the order asked
    when = taken.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")  # one date form
    assert any(text.startswith(PHOTO_OF[lang]) and when in text for text in texts), texts


def redflags_text(lang, key):
    from bot.texts import t

    return t("conv." + key, lang)


TYPED = {"ja": ("はい", "いいえ"), "en": ("Yes", "no")}
HELP_WORDS = {"ja": "使い方", "en": "help"}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_typed_answers_count_and_anything_else_repeats_the_question(chat, lang):
    """Issue 12 item 3: 「はい」/"yes" typed while a red-flag question waits is an answer; other
    text repeats the waiting question with its buttons (not the help)."""
    user = consented(chat, lang)
    (card,) = user.photo(photo("AD"))
    (first,) = user.tap(flex_actions(card)[0]["data"])
    yes, no = TYPED[lang]
    (second,) = user.say(yes)  # fever: yes
    assert second["text"] != first["text"] and len(quick_replies(second)) == 2
    (again,) = user.say({"ja": "えーと", "en": "hmm, not sure"}[lang])
    assert again["text"].endswith(second["text"].split("\n")[-1])  # the same question again
    assert [a["label"] for a in quick_replies(again)] == [a["label"] for a in quick_replies(second)]
    user.say(no)  # blisters
    user.say(no)  # spreading
    user.say(no)  # eyes
    user.say(no)  # lasting (the image gave no concern: the slow questions follow)
    updated, thanks = user.say(no)  # patch
    texts = flex_texts(updated)
    assert texts[0] == LEVEL_TEXT[lang]["soon"]  # fever alone: see a doctor soon
    from bot.texts import t

    assert t("conv.ans_line", lang, question=t("conv.ans_fever", lang), answer=t("conv.qr_yes", lang)) in texts
    (after,) = user.say({"ja": "えーと", "en": "hmm"}[lang])  # nothing waits any more: the help
    assert HELP_WORDS[lang] in after["text"].lower()


@pytest.mark.parametrize("lang, yes, no", [("ja", "はい。", "いいえ！"), ("en", "Yes!", "no.")])
def test_a_typed_answer_may_end_in_a_full_stop_or_an_exclamation_mark(chat, lang, yes, no):
    user = consented(chat, lang)
    (card,) = user.photo(photo("AD"))
    user.tap(flex_actions(card)[0]["data"])
    user.say(yes)  # fever
    for _flag in redflags.ALL_FLAGS[1:-1]:
        user.say(no)
    updated, thanks = user.say(no)
    assert flex_texts(updated)[0] == LEVEL_TEXT[lang]["soon"] and thanks["type"] == "text"  # fever: yes


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("kind", ["AD", "MF"])
def test_overlay_footer_is_in_the_users_language_with_class_names_spelled_out(chat, client, app_config, lang, kind):
    """Issue 12 item 7: not "result: HI (not AD 99%)" / "crops: 1 MF 91%" for a Japanese user.
    The served overlay is exactly the picture drawn with the caption lines in the user's language."""
    from inference import Pipeline
    from inference.overlay import caption_options, render_jpeg
    from bot.features.photos import captions_for
    from bot.texts import t

    user = consented(chat, lang)
    data = photo(kind)
    (card,) = user.photo(data)
    served = client.get(urlsplit(flex_actions(card)[2]["uri"]).path).data
    assessment = Pipeline.from_dir(app_config["models_dir"]).assess(data)
    options = caption_options(assessment, captions_for(lang))
    joined = "\n".join(options["lines"] + options["models"])
    assert "result:" not in joined and "crops:" not in joined
    assert t(f"conv.cls_{kind}", lang) in joined
    assert not any(f" {code} " in f" {joined} " for code in ("AD", "IM", "HI", "MF"))
    assert {"ja": "で確認", "en": "checked on"}[lang] in joined and MODEL_NAME in joined
    if lang == "ja":  # the model lines too: no English words in a Japanese footer
        assert not any(line.startswith(("classifier", "segmenter")) for line in joined.splitlines())
        assert "NOT clinically" not in joined
    assert options["box"] == "{n}"  # the box carries its number; the footer names the class
    assert served == render_jpeg(assessment.image, assessment, **options)


@pytest.mark.parametrize("field, value", [("p", "0.0.1000.0"), ("p", "1000.0.0.0"), ("v", "0"), ("t", "1"),
                                          ("c", "adai-cls@9.9.9"), ("f", "1111")])
def test_question_data_is_signed_and_a_changed_field_is_refused(chat, db, field, value):
    """Issue 12 item 16: probabilities, the validated flag and the rest travel signed."""
    from urllib.parse import urlencode

    user = consented(chat, "en")
    (card,) = user.photo(photo("AD"))
    fields = parse(flex_actions(card)[0]["data"])
    assert "m" in fields  # the signature
    (answer,) = user.tap(urlencode({**fields, field: value}))
    assert answer["type"] == "text" and "no longer available" in answer["text"]
    (row,) = assessments.recent(db, user.user)
    assert row["flags"] is None and row["level"] == "routine"


def test_questions_asked_before_the_sign_off_claim_no_validation_after_it(chat, services):
    """The data says unvalidated (signed so before a clinic signed the running models): the
    updated card takes no validation from the running models."""
    import dataclasses

    from bot.tokens import derive_key

    key = derive_key(services.settings.channel_secret, redflags.ACTION)
    user = consented(chat, "en")
    (card,) = user.photo(photo("AD"))
    state = redflags.decode(parse(flex_actions(card)[0]["data"]), key)
    earlier = dataclasses.replace(state, models={**state.models, "validated": False})
    texts = "\n".join(flex_texts(_answer_no_to_all(user, redflags.encode(earlier, key))))
    assert CHECKED["en"] not in texts and NOT_VALIDATED["en"] in texts
    # validated, but by models since replaced: not the running models' validation either
    replaced = dataclasses.replace(state, models={"classifier": "other-cls@9", "segmenter": "other-seg@9",
                                                  "validated": True})
    texts = "\n".join(flex_texts(_answer_no_to_all(user, redflags.encode(replaced, key))))
    assert CHECKED["en"] not in texts


def _answer_no_to_all(user, data):
    """Tap the questions' data and answer no until the updated card; returns it."""
    messages = user.tap(data)
    while len(messages) == 1 and quick_replies(messages[0]):
        messages = user.tap(quick_replies(messages[0])[1]["data"])
    updated, _thanks = messages
    return updated


def test_long_model_names_still_fit_the_postback_data_without_assert():
    key = b"k" * 32
    state = redflags.RedFlagState({"AD": 0.5, "IM": 0.2, "HI": 0.2, "MF": 0.1},
                                  {"segmenter": "@" * 200, "classifier": "é/" * 200, "validated": True},
                                  assessment_id=10**12, taken_at=2**40)
    data = redflags.encode(state, key)
    assert len(data) <= redflags.MAX_DATA
    assert redflags.decode(parse(data), key).probabilities == state.probabilities
    source = Path(redflags.__file__).read_text()
    assert "assert " not in source

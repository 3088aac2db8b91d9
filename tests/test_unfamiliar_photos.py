"""A real photograph the models cannot know: the bot names no disease and still helps.

The committed models, a real photo from the held-out part of models/realset, the real SDK
over real HTTP to the LINE emulator, real SQLite; both languages. With the dev colour-rule
pair, a frame that is all "lesion" is unfamiliar too (tests/support/devmodels.py).
"""
import io
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from models import realphotos
from storage import assessments
from tests.support.chat import flex_actions, flex_texts, quick_replies, unfamiliar_photo
from tests.support.devmodels import build_dev_models

COMMITTED_MODELS = Path(__file__).resolve().parents[1] / "models"
CANNOT_JUDGE = {"ja": "この写真は判定できません", "en": "I cannot judge this photo"}
NO_RASH = {"ja": "湿疹を見つけられませんでした", "en": "I could not find a rash in this photo"}
FACE_OR_SCENE = {"ja": "顔や人、景色の写真のようです", "en": "This looks like a face, people or a scene"}
ANSWER_QUESTIONS = {"ja": "質問に答える", "en": "Answer questions"}
FROM_ANSWERS = {"ja": "質問への回答だけから", "en": "from your answers alone"}
LEVEL = {"ja": {"routine": "いつものケアを続けましょう", "urgent": "今日中に受診してください"},
         "en": {"routine": "Keep up your usual care", "urgent": "See a doctor today"}}
DISEASE_WORDS = {"ja": ["アトピー性皮膚炎", "とびひ", "ヘルペス", "皮膚リンパ腫", "%"],
                 "en": ["atopic dermatitis", "impetigo", "herpes", "lymphoma", "%"]}


def consented(chat, lang):
    user = chat(lang)
    user.follow()
    user.agree()
    return user


def answer_all(user, first_question, yes=()):
    """Answer every question from the first one (the four acute ones, then the two slow ones
    for a photo not judged); the messages after the last answer."""
    message, flags = first_question, ["fever", "blisters", "spreading", "eyes", "lasting", "patch"]
    for flag in flags:
        choice = quick_replies(message)[0 if flag in yes else 1]
        sent = user.tap(choice["data"])
        message = sent[-1]
    assert any(m["type"] == "flex" for m in sent)  # six answers, then the card
    return sent


class TestRealPhotoWithCommittedModels:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "models_dir": COMMITTED_MODELS}

    @pytest.mark.parametrize("lang", ["ja", "en"])
    @pytest.mark.parametrize("photo_id", ["mpl_grace_hopper", "sl_flower"])
    def test_held_out_real_photo_names_no_disease(self, chat, db, lang, photo_id):
        (photo,) = [p for p in realphotos.photos("heldout") if p.id == photo_id]
        user = consented(chat, lang)
        messages = user.photo(photo.read())
        text = "\n".join(m.get("text", "") for m in messages)
        assert CANNOT_JUDGE[lang] in text or NO_RASH[lang] in text or FACE_OR_SCENE[lang] in text
        assert not any(m["type"] == "flex" for m in messages)  # no result card, no numbers
        assert not any(word in text for word in DISEASE_WORDS[lang])
        rows = assessments.recent(db, user.user)
        if CANNOT_JUDGE[lang] in text:
            # the first red-flag question comes right away, and the photo is kept as not judged
            assert [a["label"] for a in quick_replies(messages[-1])] == (
                {"ja": ["はい", "いいえ"], "en": ["Yes", "No"]}[lang])
            (row,) = rows
            assert (row["quality"], row["finding"], row["image_level"], row["top"]) == (
                "unfamiliar", "none", "none", None)
            assert row["probabilities"] == {}
        else:  # "I could not find a rash": retake, or answer the questions
            assert ANSWER_QUESTIONS[lang] in [a["label"] for a in quick_replies(messages[-1])]


class TestUnfamiliarWithDevModels:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}

    @pytest.mark.parametrize("lang", ["ja", "en"])
    def test_answers_alone_give_the_level_and_the_card_shows_no_class(self, chat, db, client, lang):
        user = consented(chat, lang)
        explanation, question = user.photo(unfamiliar_photo())
        assert CANNOT_JUDGE[lang] in explanation["text"]
        assert {"ja": "明るい場所", "en": "bright place"}[lang] in explanation["text"]  # retake tips
        (card,) = [m for m in answer_all(user, question, yes=("blisters",)) if m["type"] == "flex"]
        texts = flex_texts(card)
        assert texts[0] == LEVEL[lang]["urgent"]
        joined = "\n".join(texts)
        assert FROM_ANSWERS[lang] in joined and "%" not in joined
        (row,) = assessments.recent(db, user.user)
        assert (row["quality"], row["level"], row["image_level"]) == ("unfamiliar", "urgent", "none")
        # the overlay of a photo that was not judged says why, and the card links to it
        (overlay,) = [a["uri"] for a in flex_actions(card) if a["type"] == "uri"]
        picture = Image.open(io.BytesIO(client.get(urlsplit(overlay).path).data)).convert("RGB")
        top_left = np.asarray(picture)[:4, :4].reshape(-1, 3).mean(axis=0)
        assert np.allclose(top_left, 120, atol=12)  # the grey banner

    def test_no_answer_yes_stays_routine_without_naming_anything(self, chat):
        user = chat("en")
        user.follow()
        user.decline()
        _, question = user.photo(unfamiliar_photo())
        (card,) = [m for m in answer_all(user, question) if m["type"] == "flex"]
        texts = flex_texts(card)
        assert texts[0] == LEVEL["en"]["routine"] and FROM_ANSWERS["en"] in "\n".join(texts)
        assert not any(word in "\n".join(texts) for word in DISEASE_WORDS["en"][:4])

"""What the bot says about validation (issue 11 item 5), over the real wire (signed webhooks,
worker, LINE emulator) with the dev models: unsigned, "not clinically validated" as before;
signed (tests/support/validation.py, the real sign-off code, on a copy in tmp_path), exactly
what was measured, in ja and en, and never "validated" alone."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.domain.triage import ALL_FLAGS
from tests.support.chat import flex_actions, flex_texts, photo, quick_replies
from tests.support.devmodels import build_dev_models
from tests.support.validation import sign_copy

COMMITTED = Path(__file__).resolve().parents[1] / "models"
# 30 patients per class with 2 photos each, one patient per class without a result:
# complications 174 of 180 found (Wilson 0.929–0.985), AD 58 of 60 kept (0.886–0.991).
CHECKED = {
    "en": "Checked on 240 photos of 120 patients at Sendai Skin Clinic: sensitivity 0.97 "
          "(95 % CI 0.93–0.98), specificity 0.97 (0.89–0.99) for telling a complication from "
          "eczema. Not a diagnosis, only a guide to when to see a doctor.",
    "ja": "Sendai Skin Clinicの患者さん120人の写真240枚で確認しました：合併症と湿疹の見分けで"
          "感度 0.97（95%信頼区間 0.93–0.98）、特異度 0.97（0.89–0.99）。診断ではなく、受診の目安です。",
}
CHECKED_OVERLAY = {
    "en": "checked on 240 photos of 120 patients at Sendai Skin Clinic: sensitivity 0.97 "
          "(95 % CI 0.93–0.98), specificity 0.97 (0.89–0.99)",
    "ja": "Sendai Skin Clinicの患者120人・写真240枚で確認：感度 0.97（95%信頼区間 0.93–0.98）、"
          "特異度 0.97（0.89–0.99）",
}
NOT_VALIDATED = {"ja": "このモデルは臨床的な検証を受けていません。", "en": "This model is not clinically validated."}
# Claims a signed validation never makes.
NEVER = ("clinically validated", "validated for", "臨床的に検証済み", "検証を受けています")


def consented(chat, lang):
    user = chat(lang)
    user.follow()
    user.agree()
    return user


class TestSigned:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        models = build_dev_models(tmp_path / "models")
        sign_copy(models, wrong_per_class=1)
        return {**app_config, "models_dir": models}

    @pytest.mark.parametrize("lang", ["ja", "en"])
    def test_the_card_states_what_the_models_were_checked_on(self, chat, lang):
        (card,) = consented(chat, lang).photo(photo("AD"))
        texts = flex_texts(card)
        assert CHECKED[lang] in texts
        joined = "\n".join(texts)
        assert NOT_VALIDATED[lang] not in joined
        assert not any(claim in joined for claim in NEVER)

    @pytest.mark.parametrize("lang", ["ja", "en"])
    def test_the_card_after_the_questions_states_it_too(self, chat, lang):
        """The questions' postback data carries no numbers: the updated card takes them from
        the running models, which are the ones the data names."""
        user = consented(chat, lang)
        (card,) = user.photo(photo("AD"))
        messages = user.tap(flex_actions(card)[0]["data"])
        for _flag in ALL_FLAGS:  # an AD photo: no concern, so the slow questions follow
            (question,) = messages
            messages = user.tap(quick_replies(question)[1]["data"])  # no
        updated, _thanks = messages
        assert CHECKED[lang] in flex_texts(updated)

    @pytest.mark.parametrize("lang", ["ja", "en"])
    def test_the_overlay_footer_states_it(self, chat, client, app_config, lang):
        from bot.features.photos import captions_for
        from inference import Pipeline
        from inference.overlay import caption_options

        data = photo("IM")
        (card,) = consented(chat, lang).photo(data)
        assert client.get(urlsplit(flex_actions(card)[2]["uri"]).path).status_code == 200
        assessment = Pipeline.from_dir(app_config["models_dir"]).assess(data)
        footer = "\n".join(caption_options(assessment, captions_for(lang))["models"])
        assert CHECKED_OVERLAY[lang] in footer
        assert not any(claim in footer for claim in NEVER)


class TestSignedCommittedModels:
    """The committed models (a copy in tmp_path, signed there) say the same."""

    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        models = tmp_path / "models"
        models.mkdir()
        for name in ("manifest.json", "segmenter.onnx", "classifier.onnx"):
            shutil.copyfile(COMMITTED / name, models / name)
        sign_copy(models, wrong_per_class=1)
        return {**app_config, "models_dir": models}

    def test_the_card_states_what_the_models_were_checked_on(self, chat):
        from models.phantom import render

        # A phantom the committed models read (as in test_result_card's TestCommittedModels).
        (card,) = consented(chat, "en").photo(render(2, label="HI", distance="medium").jpeg)
        joined = "\n".join(flex_texts(card))
        assert CHECKED["en"] in joined and "adai-cls-mobilenetv2@" in joined
        assert not any(claim in joined for claim in NEVER)
        assert json.loads((COMMITTED / "manifest.json").read_text())["validated"] is False


class TestUnsigned:
    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}

    @pytest.mark.parametrize("lang", ["ja", "en"])
    def test_the_card_says_not_clinically_validated(self, chat, lang):
        card, _first_question = consented(chat, lang).photo(photo("AD"))
        joined = "\n".join(flex_texts(card))
        assert NOT_VALIDATED[lang] in joined
        assert "Checked on" not in joined and "で確認しました" not in joined

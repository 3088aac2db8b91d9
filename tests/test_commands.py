"""Commands from text (ja, en) and from rich-menu postbacks: help, history, language, consent."""
import pytest

from bot.engine.router import Router
from bot.features import DEFAULT
from bot.texts import t
from storage import users
from tests.support.chat import photo, quick_replies
from tests.support.devmodels import build_dev_models


@pytest.fixture
def app_config(app_config, tmp_path):
    # LINE only takes https picture links (History's chart): production sets ADAI_PUBLIC_URL.
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models"),
            "public_url": "https://adai.example"}


@pytest.mark.parametrize(
    "lang, said, words",
    [
        ("ja", "ヘルプ", ("履歴", "データを削除", "言語", "同意")),
        ("en", "help", ("history", "delete my data", "language", "consent")),
        ("ja", "ＨＥＬＰ", ("履歴",)),  # full-width input is normalised
    ],
)
def test_help_lists_every_command(chat, lang, said, words):
    user = chat(lang)
    user.follow()
    (answer,) = user.say(said)
    for word in words:
        assert word in answer["text"]
    assert answer == user.tap("action=help")[0]  # the rich menu's Help says the same


def test_every_command_has_words_and_help_in_both_languages():
    for command in Router(DEFAULT).commands:
        assert command.words_ja and command.words_en and command.help_ja and command.help_en


@pytest.mark.parametrize(
    "lang, said, header, first, second",
    [
        # Shadow mode (unvalidated models): the photo's finding is what it "may show", and an
        # AD-looking photo whose questions wait is "questions not answered", never routine.
        ("ja", "履歴", "最近の結果", "2025-06-02 18:00　今日中に受診してください（写真はヘルペスかもしれない）",
         "2025-06-01 18:00　質問に未回答（AIは病名を出していません）"),
        ("en", "history", "Recent results", "2025-06-02 18:00  See a doctor today (photo may show herpes)",
         "2025-06-01 18:00  Questions not answered (the AI named no disease)"),
    ],
)
def test_history_lists_recent_results_newest_first_in_local_time(chat, clock, lang, said, header, first, second):
    user = chat(lang)
    user.follow()
    user.agree()
    user.photo(photo("AD"))  # the test clock starts at 2025-06-01 09:00 UTC = 18:00 in Tokyo
    clock.advance(days=1)
    user.photo(photo("HI"))
    answer = user.say(said)[0]  # the follow-up feature may add a chart after the list
    assert answer["text"].splitlines() == [header, first, second]
    assert user.tap("action=history")[0] == answer


@pytest.mark.parametrize(
    "agree, lang, words",
    [(True, "en", "No saved results yet"), (False, "en", "I keep no record"),
     (True, "ja", "まだ保存された結果はありません"), (False, "ja", "記録を保存していない")],
)
def test_history_without_results_says_why(chat, agree, lang, words):
    user = chat(lang)
    user.follow()
    user.agree() if agree else user.decline()
    answer = user.say({"ja": "履歴", "en": "history"}[lang])[0]
    assert words in answer["text"]


def test_language_is_chosen_with_quick_replies_and_sticks(chat, db):
    user = chat("ja")
    user.follow()
    (ask,) = user.say("言語")
    assert [a["data"] for a in quick_replies(ask)] == ["action=lang&v=ja", "action=lang&v=en"]
    (done,) = user.tap("action=lang&v=en")
    assert done["text"] == "Language set to English."
    assert users.get(db, user.user)["lang"] == "en"
    assert user.say("history")[0]["text"].startswith("I keep no record")


@pytest.mark.parametrize("said, lang, text", [("language ja", "ja", "日本語に設定しました。"),
                                              ("言語 english", "en", "Language set to English.")])
def test_language_can_be_named_in_the_text(chat, db, said, lang, text):
    user = chat("en" if lang == "ja" else "ja")
    user.follow()
    (done,) = user.say(said)
    assert done["text"] == text and users.get(db, user.user)["lang"] == lang


def test_the_cards_and_menus_buttons_reach_their_features(chat):
    user = chat("en")
    user.follow()
    (ask,) = user.tap("action=clinics")  # the result card's "Find a clinic"
    assert [a["type"] for a in quick_replies(ask)] == ["location"]
    (refused,) = user.tap("action=checkin")  # the rich menu's check-in, before consent
    assert refused["text"] == t("poem.no_consent", "en")
    user.agree()
    (first,) = user.tap("action=checkin")
    assert [a["data"].split("&")[0] for a in quick_replies(first)] == ["action=poem"] * 5


def test_history_dates_follow_the_users_time_zone(chat):
    user = chat("en")
    user.follow()
    user.agree()
    user.say("timezone Europe/London")
    user.photo(photo("AD"))  # 2025-06-01 09:00 UTC = 10:00 in London (BST), 18:00 in Tokyo
    answer = user.say("history")[0]
    assert answer["text"].splitlines()[1].startswith("2025-06-01 10:00")

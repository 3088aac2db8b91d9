"""The patient's language (issue 25): their own choice ("language") when they made one; else
what their LINE profile says now (LINE sends no event when the phone's language changes); so an
English patient stays English after "delete my data", and a changed LINE language applies at once.
Through the real bot: signed webhooks, the worker, the LINE emulator's profile API, real SQLite."""
import pytest

from bot.texts import t
from storage import users
from tests.support.chat import flex_texts, photo
from tests.support.devmodels import build_dev_models


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models"),
            "public_url": "https://adai.example"}


def test_an_english_patient_keeps_english_after_delete_my_data(chat, db):
    user = chat("en")
    user.follow()
    user.agree()
    user.photo(photo("AD"))
    (ask,) = user.say("delete my data")
    user.tap("action=delete&confirm=yes")
    assert users.get(db, user.user) is None  # the stored language went with the rest

    (helptext,) = user.say("help")
    assert helptext["text"].startswith(t("core.help_intro", "en"))
    (history,) = user.say("history")
    assert history["text"].startswith("I keep no record")
    card, *rest = user.photo(photo("AD"))  # shadow mode: the card, then the first question
    assert card["type"] == "flex"
    texts = " ".join(flex_texts(card) + [m.get("text", "") for m in rest])
    assert t("conv.not_validated", "en") in texts and not any("\u3040" <= c <= "\u30ff" for c in texts)
    assert users.get(db, user.user) is None  # reading the profile stores nothing


def test_a_changed_line_language_applies_at_once_and_reminders_follow(chat, db, emulator):
    user = chat("ja")
    user.follow()
    user.agree()
    assert user.say("help")[0]["text"].startswith(t("core.help_intro", "ja"))
    emulator.set_profile(user.user, language="en-US")  # the phone's LINE switched to English
    assert user.say("help")[0]["text"].startswith(t("core.help_intro", "en"))
    assert users.get(db, user.user)["lang"] == "en"  # stored: pushed reminders speak English too
    emulator.set_profile(user.user, language="ja")
    assert user.say("help")[0]["text"].startswith(t("core.help_intro", "ja"))


def test_the_patients_own_choice_outranks_the_profile(chat, db, emulator):
    user = chat("en")
    user.follow()
    (done,) = user.tap("action=lang&v=ja")
    assert done["text"] == "日本語に設定しました。"
    emulator.set_profile(user.user, language="en")
    assert user.say("help")[0]["text"].startswith(t("core.help_intro", "ja"))
    assert users.get(db, user.user)["lang"] == "ja" and users.get(db, user.user)["lang_chosen"] == 1


def test_a_refollow_greets_in_the_profiles_current_language(chat, db, emulator, events, deliver):
    user = chat("ja")
    user.follow()
    deliver(events.unfollow(user=user.user))
    emulator.set_profile(user.user, language="en")
    greeting = user.follow()[0]
    assert greeting["text"] == t("conv.greeting", "en")
    assert users.get(db, user.user)["lang"] == "en"


def test_no_profile_language_keeps_the_stored_one(chat, db, emulator):
    """LINE leaves "language" out for some users: the stored (or default) language stays."""
    user = chat("en")
    user.follow()
    emulator.set_profile(user.user, language="")
    assert user.say("help")[0]["text"].startswith(t("core.help_intro", "en"))

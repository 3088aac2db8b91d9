"""Follow → greeting and consent question; give, decline, withdraw; nothing stored without consent."""
import pytest

from bot.engine import media
from bot.features.reminders import dispatch
from storage import assessments, consent, files, retention, users
from tests.support.chat import flex_texts, photo, quick_replies
from tests.support.devmodels import build_dev_models
from tests.support.records import add_checkin

GREETING_WORDS = {"ja": ("診断ではありません", "119"), "en": ("not a diagnosis", "119")}
CONSENT_WORDS = {"ja": ("2年", "データを削除"), "en": ("2 years", "delete my data")}


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_follow_greets_in_the_profile_language_then_asks_for_consent(chat, db, lang):
    user = chat(lang)
    greeting, question = user.follow()
    for word in GREETING_WORDS[lang]:
        assert word in greeting["text"]
    for word in CONSENT_WORDS[lang]:
        assert word in question["text"]
    datas = [action["data"] for action in quick_replies(question)]
    assert datas == ["action=consent&v=yes", "action=consent&v=no"]
    assert users.get(db, user.user)["lang"] == lang
    assert consent.get(db, user.user) is None


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_agreeing_stores_consent_and_later_results(chat, db, lang):
    user = chat(lang)
    user.follow()
    (answer,) = user.agree()
    assert answer["text"] == {"ja": "ありがとうございます。記録を保存します。気になる湿疹の写真を送ってください。",
                              "en": "Thank you. I will keep your record. Send a photo of the eczema that worries you."}[lang]
    assert consent.given(db, user.user)
    user.photo(photo("IM"))
    (row,) = assessments.recent(db, user.user)
    assert row["level"] == "soon" and row["finding"] == "IM"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_without_consent_a_photo_is_assessed_and_nothing_is_kept(chat, db, services, lang):
    user = chat(lang)
    user.follow()
    user.decline()
    (card,) = user.photo(photo("IM"))
    assert card["type"] == "flex"
    texts = " ".join(flex_texts(card))
    assert {"ja": "保存していません", "en": "were not kept"}[lang] in texts
    assert assessments.recent(db, user.user) == []
    assert consent.get(db, user.user)["state"] == consent.DECLINED
    assert not (services.settings.data_dir / "users").exists() or not any((services.settings.data_dir / "users").iterdir())


def test_consent_can_be_withdrawn_from_the_menu_and_erases_what_was_kept(chat, db, services):
    user = chat("en")
    user.follow()
    user.agree()
    user.photo(photo("AD"))
    assert len(assessments.recent(db, user.user)) == 1
    (status,) = user.tap("action=consent")
    assert "you agreed" in status["text"]
    assert [a["data"] for a in quick_replies(status)] == ["action=consent&v=withdraw", "action=consent&v=keep"]
    (done,) = user.tap("action=consent&v=withdraw")
    assert "deleted" in done["text"]
    assert assessments.recent(db, user.user) == []
    assert consent.get(db, user.user)["state"] == consent.WITHDRAWN
    assert users.get(db, user.user)["lang"] == "en"  # the language survives, nothing else
    user.photo(photo("AD"))
    assert assessments.recent(db, user.user) == []


def test_a_withdrawal_answered_during_a_line_outage_is_answered_once_line_is_back(
        chat, db, services, events, post_events, emulator, clock):
    user = chat("en")
    user.follow()
    user.agree()
    services.line.sleep = lambda seconds: None  # the client's back-off, not slept
    ev = events.postback("action=consent&v=withdraw", user=user.user)
    post_events(ev)
    clock.advance(55)  # the reply token is stale: the answer goes by push
    emulator.fail_next(services.settings.line_attempts, status=500, path="/push")
    before = len(emulator.sent)
    services.worker.drain()
    assert len(emulator.sent) == before  # LINE was down for every attempt
    clock.advance(6)  # the worker's own back-off for the event
    services.worker.drain()
    (answer,) = emulator.sent[before:]
    assert "deleted" in answer["messages"][0]["text"]
    assert consent.get(db, user.user)["state"] == consent.WITHDRAWN


@pytest.mark.parametrize("lang, word", [("ja", "同意"), ("en", "consent")])
def test_consent_command_in_text_offers_to_agree(chat, lang, word):
    user = chat(lang)
    user.follow()
    status, question = user.say(word)
    assert [a["data"] for a in quick_replies(question)] == ["action=consent&v=yes", "action=consent&v=no"]


def test_results_older_than_the_retention_period_are_purged_with_their_files(chat, db, services, clock):
    user = chat("en")
    user.follow()
    user.agree()
    user.photo(photo("AD"))
    folder = files.user_dir(services.settings.data_dir, user.user)
    assert len(list(folder.iterdir())) == 2  # the photo, and what its overlay and label mask are drawn from
    clock.advance(days=729)
    user.photo(photo("IM"))
    clock.advance(days=2)  # the first result is now 731 days old, the second 2
    services.worker.maintain(db)
    (kept,) = assessments.recent(db, user.user)
    assert kept["finding"] == "IM"
    assert {p.name for p in folder.iterdir()} == {
        media.overlay_data_name(kept["overlay_ref"]), media.file_name("photo", kept["photo_ref"])}


def test_retention_covers_every_health_table_and_file_of_the_user(chat, db, services, clock):
    """POEM answers, referral links and charts age out with the results; the account (user,
    consent answer, reminder settings) stays."""
    user = chat("en")
    user.follow()
    user.agree()
    dispatch.send_due(db, services.line, clock.now())  # makes the weekly check-in's row
    user.photo(photo("AD"))
    add_checkin(db, user.user, clock.now(), 12)
    user.say("summary for my doctor")
    user.say("history")  # draws and stores a chart
    folder = files.user_dir(services.settings.data_dir, user.user)
    old_files = set(folder.iterdir())
    assert any(p.name.startswith("chart-") for p in old_files)
    clock.advance(days=729)
    user.photo(photo("IM"))
    add_checkin(db, user.user, clock.now(), 5)
    user.say("summary for my doctor")
    clock.advance(days=2)  # the first records are now 731 days old, the second 2

    services.worker.maintain(db)
    counts = {t: db.execute(f"SELECT count(*) FROM [{t}] WHERE user_id = ?", [user.user]).fetchone()[0]
              for t in ("assessments", "poem_checkins", "referrals", "users", "consents", "reminders")}
    assert counts == {"assessments": 1, "poem_checkins": 1, "referrals": 1, "users": 1, "consents": 1,
                      "reminders": 1}  # the weekly check-in, on since consent
    assert db.execute("SELECT score FROM poem_checkins WHERE user_id = ?", [user.user]).fetchone()[0] == 5
    left = set(folder.iterdir())
    assert not (left & old_files) and len(left) == 2  # the new photo and its overlay's data only
    # Every table with a user_id is either account state or dated, so it can expire.
    assert {"assessments", "poem_checkins", "referrals"} <= set(retention.health_tables(db))

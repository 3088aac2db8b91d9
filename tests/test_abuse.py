"""Abuse limits: 20 photos per user per hour, texts over 2,000 characters, group and room chats."""

import pytest

from bot.features.photos import PhotoLimiter
from storage import consent, users
from tests.support import webhooks
from tests.support.chat import dark_photo, photo
from tests.support.clock import FakeClock
from tests.support.devmodels import build_dev_models

LIMIT_WORDS = {"ja": "1時間に送れる写真は20枚まで", "en": "up to 20 photos an hour"}


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


@pytest.mark.parametrize(
    "used, count, allowed",
    [(0, 20, True), (0, 21, False), (19, 1, True), (19, 2, False), (20, 1, False)],
)
def test_photo_limiter_counts_a_sliding_hour(used, count, allowed):
    clock = FakeClock()
    limiter = PhotoLimiter(20)
    assert limiter.allow("u", used, clock.now()) or used == 0
    assert limiter.allow("u", count, clock.now()) is allowed
    assert limiter.allow("other", 20, clock.now())  # users are counted apart
    clock.advance(minutes=59, seconds=59)
    if not allowed:
        assert not limiter.allow("u", count, clock.now())
    clock.advance(seconds=1)
    assert limiter.allow("u", min(count, 20) if used == 0 else 1, clock.now())


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_21st_photo_in_an_hour_is_refused_politely(chat, clock, lang):
    user = chat(lang)
    user.follow()
    for _ in range(20):
        (answer,) = user.photo(dark_photo())  # quick to judge; still counts
        assert LIMIT_WORDS[lang] not in answer["text"]
    (refused,) = user.photo(photo("AD"))
    assert LIMIT_WORDS[lang] in refused["text"]
    clock.advance(hours=1)
    (card,) = user.photo(photo("IM"))
    assert card["type"] == "flex"


def test_an_image_set_that_would_pass_the_limit_is_refused_whole(chat):
    user = chat("en")
    user.follow()
    for _ in range(18):
        user.photo(dark_photo())
    (refused,) = user.photo(photo("AD"), photo("IM"), photo("HI"))
    assert LIMIT_WORDS["en"] in refused["text"]


@pytest.mark.parametrize("lang, words", [("ja", "2000文字まで"), ("en", "up to 2000 characters")])
def test_a_text_over_2000_characters_is_answered_politely(chat, lang, words):
    user = chat(lang)
    user.follow()
    (answer,) = user.say("あ" * 2001)
    assert words in answer["text"]
    (answer,) = user.say("help" + " " * 1996)  # exactly 2,000: an ordinary message
    assert words not in answer["text"]


@pytest.mark.parametrize("where", ["group", "room"])
@pytest.mark.parametrize("kind", ["text", "image", "postback"])
def test_group_and_room_chats_get_a_short_note_and_nothing_is_stored(events, deliver, emulator, db, where, kind):
    member, chat_id = webhooks.user_id(), "C" + webhooks.user_id()[1:]
    message_id = webhooks.new_id()
    emulator.add_content(message_id, photo("AD"))
    build = {
        "text": lambda **kw: events.text("help", **kw),
        "image": lambda **kw: events.image(message_id=message_id, **kw),
        "postback": lambda **kw: events.postback("action=consent&v=yes", **kw),
    }[kind]
    deliver(build(user=member, **{where: chat_id}))
    (note,) = emulator.messages_to(chat_id)
    assert "1対1" in note["text"]
    assert emulator.messages_to(member) == []
    assert users.get(db, member) is None and consent.get(db, member) is None
    for table in ("assessments", "consents", "users", "image_set_parts"):
        assert db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0] == 0

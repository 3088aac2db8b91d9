""""Delete my data": confirm, then no row, no file and no byte of the user's id left behind."""
from pathlib import Path

import pytest

from storage import assessments, consent, files, users
from tests.support.chat import flex_actions, photo, quick_replies
from tests.support.devmodels import build_dev_models
from tests.support.stored import database_bytes


@pytest.fixture
def app_config(app_config, tmp_path):
    # LINE only takes https picture links (History's chart): production sets ADAI_PUBLIC_URL.
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models"),
            "public_url": "https://adai.example"}


def busy_user(chat, lang):
    """A user with consent, two stored photos (with overlays) and red-flag answers."""
    user = chat(lang)
    user.follow()
    user.agree()
    user.photo(photo("AD"))
    (card,) = user.photo(photo("IM"))
    messages = user.tap(flex_actions(card)[0]["data"])
    for _ in range(4):
        messages = user.tap(quick_replies(messages[0])[0]["data"])
    user.say("history")
    return user


def files_of(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith("adai.sqlite3")]


@pytest.mark.parametrize(
    "lang, said, done",
    [("ja", "データを削除", "すべてのデータを削除しました。ご利用ありがとうございました。"),
     ("en", "delete my data", "All your data has been deleted. Thank you for using the bot.")],
)
def test_delete_after_confirmation_leaves_no_row_file_or_byte(chat, db, services, lang, said, done):
    other = busy_user(chat, "ja")
    user = busy_user(chat, lang)
    data_dir = services.settings.data_dir
    assert user.user.encode() in database_bytes(services.settings, db)
    folder = files.user_dir(data_dir, user.user)
    mine = [p for p in files_of(data_dir) if folder in p.parents]
    theirs = [p for p in files_of(data_dir) if folder not in p.parents]
    assert len(mine) >= 4 and len(theirs) >= 4  # two photos and two overlays each (and charts)

    (ask,) = user.say(said)
    assert [a["data"] for a in quick_replies(ask)] == ["action=delete&confirm=yes", "action=delete&confirm=no"]
    (answer,) = user.tap("action=delete&confirm=yes")
    assert answer["text"] == done

    for table in users.tables_with_user_id(db):
        assert db.execute(f"SELECT count(*) FROM [{table}] WHERE user_id = ?", [user.user]).fetchone()[0] == 0
    assert not any(user.user in (row[0] or "") for row in db.execute("SELECT body FROM inbox"))
    assert user.user.encode() not in database_bytes(services.settings, db)
    assert sorted(files_of(data_dir)) == sorted(theirs) and not folder.exists()
    # The other user is untouched.
    assert len(assessments.recent(db, other.user)) == 2 and consent.given(db, other.user)
    assert other.user.encode() in database_bytes(services.settings, db)


def test_cancel_keeps_everything(chat, db):
    user = busy_user(chat, "en")
    user.say("delete my data")
    (answer,) = user.tap("action=delete&confirm=no")
    assert answer["text"] == "Nothing was deleted."
    assert len(assessments.recent(db, user.user)) == 2


def test_a_deleted_user_starts_over_as_a_stranger(chat, db):
    user = busy_user(chat, "en")
    user.tap("action=delete&confirm=yes")
    assert users.get(db, user.user) is None and consent.get(db, user.user) is None
    (card,) = user.photo(photo("IM"))  # still answered, but nothing is kept
    assert card["type"] == "flex"
    assert assessments.recent(db, user.user) == []


def test_the_goodbye_comes_in_the_language_in_use_then_nothing_of_the_choice_is_kept(chat, db):
    """Issue 12 item 9: a Japanese LINE whose user chose English gets the goodbye in English;
    the choice itself is data, deleted with the rest (the next answer follows LINE's language)."""
    user = chat("ja")
    user.follow()
    user.agree()
    user.tap("action=lang&v=en")
    (ask,) = user.say("delete my data")
    assert "cannot be undone" in ask["text"]
    (answer,) = user.tap("action=delete&confirm=yes")
    assert answer["text"] == "All your data has been deleted. Thank you for using the bot."
    assert users.get(db, user.user) is None
    (after,) = user.say("help")
    assert "使い方" in after["text"]

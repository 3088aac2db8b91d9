"""Privacy as tests: logs hold no message text, photo bytes or raw user id (in-process and
the real server's stderr); photos are stored only after consent; no endpoint lists users.

Deletion leaving no row, file or byte (database file and its -wal included) is proven in
tests/test_deletion.py and tests/test_storage.py::test_forget_leaves_no_byte_of_the_user_id.
"""
import base64
import logging
import os
from pathlib import Path

import pytest
import requests

from storage import assessments
from storage.db import checkpoint
from tests.support import serve, webhooks
from tests.support.chat import photo
from tests.support.devmodels import build_dev_models
from tests.support.stored import database_bytes

USER = "U" + "d1a9" * 8
SECRET_WORDS = "my-private-rash-diary-entry"


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


def leaks(text: str, picture: bytes) -> list[str]:
    found = []
    if USER in text or USER[1:] in text:
        found.append("raw user id")
    if SECRET_WORDS in text:
        found.append("message text")
    for blob in (picture[100:140], base64.b64encode(picture[300:330]), picture[300:330].hex().encode()):
        if blob.decode("latin-1") in text:
            found.append("photo bytes")
    return found


def a_whole_conversation(chat, emulator, user=USER):
    """Follow, consent, a text, a photo (with LINE failing once), history, delete."""
    talk = chat("en", user)
    picture = photo("IM")
    talk.follow()
    talk.agree()
    talk.say(SECRET_WORDS)
    emulator.fail_next(1, status=500)
    talk.photo(picture)
    talk.photo(b"\xff\xd8" + SECRET_WORDS.encode() * 20)  # a broken photo: an error path
    talk.say("history")
    talk.say("delete my data")
    talk.tap("action=delete&confirm=yes")
    return picture


def test_logs_of_a_whole_conversation_hold_no_text_photo_or_user_id(chat, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    picture = a_whole_conversation(chat, emulator)
    assert len(caplog.records) > 5
    assert leaks(caplog.text, picture) == []


def test_the_real_servers_stderr_holds_no_text_photo_or_user_id(tmp_path, emulator, database_url):
    """`python -m bot serve` as in production, its whole output captured."""
    models = build_dev_models(tmp_path / "models")
    env = {**os.environ, "ADAI_DATABASE_URL": database_url or "", "LINE_CHANNEL_SECRET": "privacy-secret", "LINE_CHANNEL_ACCESS_TOKEN": emulator.access_token,
           "LINE_API_BASE_URL": emulator.url, "ADAI_DATA_DIR": str(tmp_path / "var"), "ADAI_MODELS_DIR": str(models)}
    log_path = tmp_path / "server.log"
    server, url = serve.start(env, log_path)
    try:
        picture = photo("HI")
        emulator.add_content("m-privacy", picture)
        evs = [webhooks.follow(user=USER, reply_token=emulator.issue_reply_token(USER)),
               webhooks.postback("action=consent&v=yes", user=USER, reply_token=emulator.issue_reply_token(USER)),
               webhooks.text(SECRET_WORDS, user=USER, reply_token=emulator.issue_reply_token(USER)),
               webhooks.image(message_id="m-privacy", user=USER, reply_token=emulator.issue_reply_token(USER)),
               webhooks.image(message_id="m-missing", user=USER, reply_token=emulator.issue_reply_token(USER))]
        emulator.fail_next(1, status=500, path="/content")
        for ev in evs:  # one at a time, as one user types
            raw, headers = webhooks.signed("privacy-secret", ev)
            assert requests.post(url + "/callback", data=raw, headers=headers, timeout=10).status_code == 200
        assert emulator.wait_for(lambda e: len(e.sent) >= len(evs), timeout=30)
    finally:
        server.terminate()
        server.wait(10)
    text = log_path.read_text(errors="replace")
    assert "handled" in text  # the server did log its work
    assert leaks(text, picture) == [] and "Traceback" not in text


# --- consent before storage ----------------------------------------------------------------------

def stored_files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith("adai.sqlite3")]


@pytest.mark.parametrize("choice", ["never asked", "declined", "photo first, consent later"])
def test_a_photo_sent_without_consent_is_never_stored(chat, db, services, choice):
    user = chat("en")
    user.follow()
    if choice == "declined":
        user.decline()
    picture = photo("IM")
    (card,) = user.photo(picture)
    assert card["type"] == "flex"  # assessed and answered all the same
    if choice == "photo first, consent later":
        user.agree()
    data_dir = services.settings.data_dir
    checkpoint(db)
    assert stored_files(data_dir) == [] and assessments.recent(db, user.user) == []
    assert picture[200:260] not in database_bytes(services.settings, db)


@pytest.mark.parametrize("where", ["group", "room"])
def test_a_group_or_room_chat_leaves_no_member_or_chat_id_in_the_database_file(events, deliver, emulator, db,
                                                                              services, where):
    member, chat_id = webhooks.user_id(), "C" + webhooks.user_id()[1:]
    deliver(events.text(SECRET_WORDS, user=member, **{where: chat_id}),
            events.postback("action=consent&v=yes", user=member, **{where: chat_id}))
    assert len(emulator.messages_to(chat_id)) == 2  # one short note each, in the chat
    assert db.execute("SELECT count(*) FROM sent").fetchone()[0] == 2  # replays stay exactly-once
    assert db.execute("SELECT count(*) FROM sent WHERE user_id IS NOT NULL").fetchone()[0] == 0
    checkpoint(db)
    raw = database_bytes(services.settings, db)
    for secret in (member, chat_id, SECRET_WORDS):
        assert secret.encode() not in raw


def test_after_consent_the_photo_is_stored_in_the_users_hashed_folder_only(chat, db, services):
    user = chat("en")
    user.follow()
    user.agree()
    user.photo(photo("AD"))
    kept = stored_files(services.settings.data_dir)
    assert kept and all(user.user not in str(p) for p in kept)
    assert len(assessments.recent(db, user.user)) == 1


# --- no endpoint lists users ---------------------------------------------------------------------

KNOWN_RULES = {"/callback", "/healthz", "/media/<token>", "/referral/<token>", "/referral/<token>/<kind>/<ref>.jpg",
               "/referral/<token>/chart.png", "/referral/<token>/font.ttf", "/static/<path:filename>"}
# The clinic workspace (issue 11): every route but sign-in, set-up and static files needs a staff
# session and reaches only that clinic's patients (tests/test_clinic_security.py).
KNOWN_RULES |= {"/clinic/", "/clinic/login", "/clinic/logout", "/clinic/setup/<token>", "/clinic/font.ttf",
                "/clinic/static/<path:filename>", "/clinic/queue", "/clinic/summary",
                "/clinic/referrals/<referral_id>", "/clinic/referrals/<referral_id>/status",
                "/clinic/referrals/<referral_id>/chart.png", "/clinic/photos/<int:assessment_id>/<kind>.jpg",
                "/clinic/photos/<int:assessment_id>/label", "/clinic/photos/<int:assessment_id>/model-mask.png",
                "/clinic/labels/<label_id>/mask.png",
                # the photo viewer (round 2): the same clinic filter (shared_photo); the pictures
                # it shows come through <kind>.jpg, which audits every view
                "/clinic/photos/<int:assessment_id>/view"}


def test_no_endpoint_lists_users(app, client, chat, emulator):
    for lang in ("ja", "en"):
        talk = chat(lang)
        talk.follow()
        talk.agree()
        talk.photo(photo("AD"))
    user_ids = {s["to"] for s in emulator.sent}
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules <= KNOWN_RULES, f"new endpoints need a privacy review: {rules - KNOWN_RULES}"
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for argument in rule.arguments:  # any guess at an argument
            path = path.replace(f"<{argument}>", "all").replace(f"<path:{argument}>", "all")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            assert not any(u.encode() in response.data for u in user_ids), path
            assert response.status_code != 500, path


def test_files_database_and_folders_are_the_owners_only_whatever_the_umask(app_config, clock, emulator, tmp_path):
    """Issue 12 item 14: photos, overlays, charts, the SQLite files (-wal, -shm) 0600, their
    folders 0700, with a umask that would leave them world-readable."""
    from bot import create_app
    from tests.support import SECRET

    old = os.umask(0o022)
    try:
        data_dir = tmp_path / "fresh" / "var"
        app = create_app({**app_config, "data_dir": data_dir, "public_url": "https://adai.example"}, clock=clock)
        try:
            services, client = app.extensions["adai"], app.test_client()
            events = webhooks.Events(emulator, clock)
            message_id = webhooks.new_id()
            emulator.add_content(message_id, photo("AD"))
            for event in (events.follow(user=USER), events.postback("action=consent&v=yes", user=USER),
                          events.image(message_id=message_id, user=USER), events.postback("action=history", user=USER)):
                raw, headers = webhooks.signed(SECRET, event)
                assert client.post("/callback", data=raw, headers=headers).status_code == 200
                services.worker.drain()
        finally:
            services.stop()
    finally:
        os.umask(old)
    kinds = {p.name.split("-")[0] for p in data_dir.rglob("*") if p.is_file()}
    database = set() if app_config["database_url"] else {"adai.sqlite3"}  # PostgreSQL keeps its own files 0600
    assert {"photo", "overlay", "chart", *database} <= kinds | {p.name for p in data_dir.iterdir()}
    wrong = [f"{p.relative_to(tmp_path)} {oct(p.stat().st_mode & 0o777)}"
             for p in [data_dir, *data_dir.rglob("*")]
             if p.stat().st_mode & 0o777 != (0o700 if p.is_dir() else 0o600)]
    assert wrong == []


# --- issue 12 item 17: the per-user folder and media tokens use a keyed hash ------------------------

def test_the_user_key_is_keyed_and_not_the_plain_hash_of_the_id(tmp_path):
    import hashlib

    from storage import files

    plain = hashlib.sha256(b"adai-user-dir:" + USER.encode()).hexdigest()[:32]
    one, two = files.user_key(tmp_path / "a", USER), files.user_key(tmp_path / "b", USER)
    assert one != plain and two != plain and one != two  # each installation its own secret key
    assert files.user_key(tmp_path / "a", USER) == one  # stable
    secret = tmp_path / "a" / files.USER_KEY_FILE
    assert secret.stat().st_mode & 0o777 == 0o600
    assert files.user_dir(tmp_path / "a", USER).name == one


def test_media_links_carry_the_keyed_user_key(chat, client, services):
    import hashlib
    import json as json_module

    from bot import tokens
    from storage import files

    user = chat("en", user=USER)
    user.follow()
    user.agree()
    (card,) = user.photo(photo("IM"))
    token = [a for a in _flex_actions(card) if a["type"] == "uri"][0]["uri"].rsplit("/media/", 1)[1]
    payload = json_module.loads(tokens._unb64(token.split(".")[0]))
    assert payload["u"] == files.user_key(services.settings.data_dir, USER)
    assert payload["u"] != hashlib.sha256(b"adai-user-dir:" + USER.encode()).hexdigest()[:32]
    assert client.get(f"/media/{token}").status_code == 200


def test_folders_named_by_the_old_plain_hash_are_moved_at_start(app_config, clock, tmp_path):
    import hashlib

    from bot import create_app
    from storage import consent as consent_store
    from storage import files
    from storage.db import open_db

    data_dir = tmp_path / "legacy" / "var"
    legacy = data_dir / "users" / hashlib.sha256(b"adai-user-dir:" + USER.encode()).hexdigest()[:32]
    legacy.mkdir(parents=True)
    (legacy / "photo-r1.jpg").write_bytes(photo("AD"))
    db = open_db(app_config["database_url"] or data_dir / "adai.sqlite3")
    consent_store.record(db, USER, "yes", clock.now())
    db.conn.close()
    app = create_app({**app_config, "data_dir": data_dir}, clock=clock)
    try:
        assert not legacy.exists()
        assert (files.user_dir(data_dir, USER) / "photo-r1.jpg").is_file()
    finally:
        app.extensions["adai"].stop()


def _flex_actions(message):
    from tests.support.chat import flex_actions

    return flex_actions(message)

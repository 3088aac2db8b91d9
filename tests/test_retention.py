"""Retention (storage/retention.py) on a real SQLite database in tmp_path: which tables expire
(exactly every table with a user_id but the account's three), what a purge deletes and keeps,
and that no byte of a purged row is left in the database file or its WAL.

The app-level path (the worker's maintenance, users' files) is in tests/test_consent.py."""
import datetime as dt
from pathlib import Path

import pytest

from storage import open_db, retention, users
from storage.db import now_iso
from tests.support import webhooks
from tests.support.records import add_result

UTC = dt.timezone.utc
NOW = dt.datetime(2027, 6, 1, 9, tzinfo=UTC)
CUTOFF = NOW - dt.timedelta(days=730)
# Who the user is, their consent answer, their reminder settings: all else with a user_id is health data.
ACCOUNT = {"users", "consents", "reminders"}
PROBABILITIES = {"AD": 0.8, "IM": 0.1, "HI": 0.05, "MF": 0.05}


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "db.sqlite3")
    yield database
    database.conn.close()


def test_every_table_with_a_user_id_but_the_account_is_a_health_table(db):
    """Equality, not a subset: a health table moved among the account tables is caught."""
    with_user_id = set(users.tables_with_user_id(db))
    assert ACCOUNT <= with_user_id
    assert set(retention.ACCOUNT_TABLES) == ACCOUNT
    assert set(retention.health_tables(db)) == with_user_id - ACCOUNT
    # the ones there are today, by name, with the column that dates their rows
    assert retention.health_tables(db) == {
        "sent": "created_at", "image_set_parts": "received_at", "assessments": "created_at",
        "reminder_sends": "created_at", "poem_checkins": "started_at", "referrals": "created_at",
        "research_consents": "created_at", "clinic_referrals": "created_at",
        "clinic_labels": "created_at", "dataset_export_items": "created_at",
        "trend_prompts": "created_at"}


def test_a_later_health_table_is_covered_and_dated_by_its_first_age_column(db):
    db.execute("CREATE TABLE later_feature (id INTEGER PRIMARY KEY, user_id TEXT, received_at TEXT,"
               " started_at TEXT, created_at TEXT)")
    assert retention.health_tables(db)["later_feature"] == "created_at"
    db.execute("CREATE TABLE later_two (id INTEGER PRIMARY KEY, user_id TEXT, received_at TEXT, started_at TEXT)")
    assert retention.health_tables(db)["later_two"] == "started_at"


def test_a_health_table_without_a_date_is_an_error_not_kept_forever(db):
    db.execute("CREATE TABLE undated (id INTEGER PRIMARY KEY, user_id TEXT, note TEXT)")
    with pytest.raises(retention.NoAgeColumn, match="undated"):
        retention.health_tables(db)
    with pytest.raises(retention.NoAgeColumn):
        retention.purge(db, CUTOFF)


def user_with_results(db, ages_days):
    uid = webhooks.user_id()
    users.follow(db, uid, NOW - dt.timedelta(days=max(ages_days)), "ja")
    ids = [add_result(db, uid, NOW - dt.timedelta(days=age), PROBABILITIES) for age in ages_days]
    return uid, ids


def test_a_purge_deletes_rows_dated_before_the_cutoff_and_counts_them(db):
    uid, ids = user_with_results(db, [731, 730, 10])
    db.execute("CREATE TABLE later_feature (id INTEGER PRIMARY KEY, user_id TEXT, created_at TEXT)")
    for age in (800, 1):
        db.execute("INSERT INTO later_feature (user_id, created_at) VALUES (?, ?)",
                   [uid, now_iso(NOW - dt.timedelta(days=age))])

    assert retention.purge(db, CUTOFF) == {"assessments": 1, "later_feature": 1}

    kept = [row[0] for row in db.execute("SELECT id FROM assessments WHERE user_id = ? ORDER BY id", [uid])]
    assert kept == ids[1:]  # exactly at the cutoff is not older than it: kept
    assert db.execute("SELECT count(*) FROM later_feature").fetchone()[0] == 1
    assert users.get(db, uid) is not None  # the account stays
    assert retention.purge(db, CUTOFF) == {}  # nothing left to delete: nothing counted


def database_bytes(path: Path) -> bytes:
    """The database file and its WAL as they lie on disk (the connection still open, so
    closing it cannot checkpoint for us)."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


@pytest.mark.parametrize("written_to", ["wal", "database file"])
def test_a_purged_row_leaves_no_byte_in_the_database_file_or_its_wal(db, tmp_path, written_to):
    """As tests/test_deletion.py proves for "delete my data": the row's text is gone from the raw
    files, wherever it lay before (still in the WAL, or already checkpointed into the file)."""
    path = tmp_path / "db.sqlite3"
    uid, _ = user_with_results(db, [10])
    old, new = f"old-{webhooks.new_id()}", f"new-{webhooks.new_id()}"
    add_result(db, uid, NOW - dt.timedelta(days=800), PROBABILITIES, photo_ref=old)
    add_result(db, uid, NOW - dt.timedelta(days=3), PROBABILITIES, photo_ref=new)
    if written_to == "database file":
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert Path(f"{path}-wal").stat().st_size == 0
    before = database_bytes(path)
    assert old.encode() in before and new.encode() in before

    assert retention.purge(db, CUTOFF) == {"assessments": 1}

    after = database_bytes(path)
    assert old.encode() not in after
    assert new.encode() in after  # the scan does see rows that stay


# --- the account and "delete my data" (storage/users.py) ------------------------------------------

def test_following_creates_the_account_in_the_language_given_and_returns_it(db):
    uid = webhooks.user_id()
    row = users.follow(db, uid, NOW, "en")
    assert (row["user_id"], row["lang"], row["active"]) == (uid, "en", 1)
    assert users.ensure(db, uid, NOW, "ja")["lang"] == "en"  # an existing account keeps its language
    users.unfollow(db, uid, NOW)
    assert users.get(db, uid)["active"] == 0 and users.follow(db, uid, NOW)["active"] == 1
    assert users.lang(db, webhooks.user_id()) == users.DEFAULT_LANG


def test_the_profile_language_follows_only_until_the_user_chooses(db):
    uid = webhooks.user_id()
    users.follow(db, uid, NOW, "ja")
    users.follow_profile(db, uid, "en", NOW)
    assert users.lang(db, uid) == "en"
    users.set_lang(db, uid, "ja", NOW)
    users.follow_profile(db, uid, "en", NOW)
    assert users.lang(db, uid) == "ja"  # the user's own choice stays


def test_known_ids_are_every_user_id_any_table_holds(db):
    first, second = sorted([webhooks.user_id(), webhooks.user_id()])
    users.follow(db, second, NOW, "ja")
    add_result(db, first, NOW, PROBABILITIES)  # a result without an account row
    assert users.known_ids(db) == [first, second]


def test_forget_marks_the_inbox_rows_that_mention_the_user_handled(db):
    from storage import inbox
    uid = webhooks.user_id()
    users.follow(db, uid, NOW, "ja")
    event = webhooks.text("hi", user=uid)
    inbox.store(db, [event], NOW)
    users.forget(db, uid)
    row = inbox.get(db, event["webhookEventId"])
    assert (row["state"], row["body"]) == (inbox.DONE, None)
    assert users.get(db, uid) is None

"""Storage: pragmas, migrations, inbox retention, image sets, and forgetting a user; on SQLite
and on PostgreSQL (a fresh database of the throw-away cluster), except what only one has."""

import threading
import pytest

from storage import files, image_sets, inbox, open_db, sent, users
from storage.migrations import MIGRATIONS, migrate
from tests.support import postgres, webhooks


@pytest.fixture(params=postgres.BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def fresh(tmp_path, database_url):
    db = open_db(database_url or tmp_path / "db.sqlite3")
    yield db
    db.conn.close()


@pytest.fixture
def sqlite_db(tmp_path):
    return open_db(tmp_path / "db.sqlite3")


def test_pragmas(sqlite_db):
    fresh = sqlite_db
    assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert fresh.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert fresh.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_migrations_run_once_and_in_order(fresh):
    applied = [r[0] for r in fresh.execute("SELECT id FROM migrations ORDER BY rowid")]
    assert applied == [step_id for step_id, _ in MIGRATIONS]
    migrate(fresh)  # nothing left to do, no error
    assert fresh.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
    assert {"users", "inbox", "sent"} <= set(fresh.table_names())


def test_migration_ids_are_unique():
    ids = [step_id for step_id, _ in MIGRATIONS]
    assert len(ids) == len(set(ids))


def test_opening_from_many_threads_at_once_migrates_once(tmp_path, backend, request):
    errors = []
    # SQLite: the race (switching a new file to WAL) is lost only now and then. PostgreSQL: the
    # advisory lock around migrations (processes of a fleet starting at once).
    for round_ in range(20 if backend == "sqlite" else 4):
        if backend == "sqlite":
            path = tmp_path / f"race{round_}.sqlite3"
        else:
            path = request.getfixturevalue("postgres_server").new_database()

        def opener():
            try:
                open_db(path).conn.close()
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=opener) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert open_db(path).execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
    assert errors == []


def test_inbox_keeps_ids_at_least_a_day_then_forgets_them(fresh, clock):
    ev = webhooks.text("hi")
    assert inbox.store(fresh, [ev], clock.now()) == 1
    inbox.finish(fresh, ev["webhookEventId"], clock.now())
    clock.advance(hours=25)
    inbox.prune(fresh, clock.now())
    assert inbox.store(fresh, [ev], clock.now()) == 0  # a redelivery a day later is still dropped
    clock.advance(hours=24)
    assert inbox.prune(fresh, clock.now()) == 1
    assert inbox.get(fresh, ev["webhookEventId"]) is None


def test_pending_events_are_never_pruned(fresh, clock):
    ev = webhooks.text("hi")
    inbox.store(fresh, [ev], clock.now())
    clock.advance(days=30)
    assert inbox.prune(fresh, clock.now()) == 0
    assert inbox.due(fresh, clock.now())[0]["event"] == ev


def test_image_set_completes_with_its_last_part_in_any_order(fresh, clock):
    image_set = lambda i: {"id": "set-1", "index": i, "total": 3}  # noqa: E731
    assert image_sets.add_part(fresh, image_set(2), "m2", "U1", clock.now()) is None
    assert image_sets.add_part(fresh, image_set(3), "m3", "U1", clock.now()) is None
    assert image_sets.add_part(fresh, image_set(1), "m1", "U1", clock.now()) == ["m1", "m2", "m3"]
    image_sets.finish(fresh, image_set(1))
    assert fresh.execute("SELECT count(*) FROM image_set_parts").fetchone()[0] == 0


def _db_bytes(tmp_path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))


def _rows_holding(db, text) -> dict:
    """Every table's rows in which some value contains text (what SQL can see of a database)."""
    found = {}
    for table in db.table_names():
        count = sum(1 for row in db.query(f'SELECT * FROM "{table}"') if any(text in str(v) for v in row.values()))
        if count:
            found[table] = count
    return found


def two_users_and_a_later_table(db, clock):
    """(uid, other): two users with rows in several tables, uid also in a later feature's table."""
    uid, other = webhooks.user_id(), webhooks.user_id()
    for who in (uid, other):
        users.follow(db, who, clock.now(), "ja")
        sent.begin(db, f"k-{who}", who, "reply", 1, clock.now())
        inbox.store(db, [webhooks.text("hi", user=who)], clock.now())
    image_sets.add_part(db, {"id": "s", "index": 1, "total": 2}, "m1", uid, clock.now())
    # A later feature's table is covered without being named anywhere.
    db.execute("CREATE TABLE later_feature (id INTEGER PRIMARY KEY, user_id TEXT, note TEXT)")
    db.execute("INSERT INTO later_feature (user_id, note) VALUES (?, 'x')", [uid])
    return uid, other


def test_forget_leaves_no_row_holding_the_user_id(fresh, tmp_path, clock):
    uid, other = two_users_and_a_later_table(fresh, clock)
    assert set(_rows_holding(fresh, uid)) == {"users", "sent", "inbox", "image_set_parts", "later_feature"}

    deleted = users.forget(fresh, uid, data_dir=tmp_path / "data")

    assert deleted["users"] == 1 and deleted["later_feature"] == 1 and deleted["inbox"] == 1
    assert _rows_holding(fresh, uid) == {}
    assert set(_rows_holding(fresh, other)) == {"users", "sent", "inbox"}  # other people's data stays


def test_forget_leaves_no_byte_of_the_user_id(sqlite_db, tmp_path, clock):
    """SQLite: the raw file and its WAL (PostgreSQL: DEPLOY.md says what stays where)."""
    uid, other = two_users_and_a_later_table(sqlite_db, clock)
    folder = files.user_dir(tmp_path / "data", uid, create=True)
    (folder / "photo.jpg").write_bytes(b"jpeg")
    assert uid.encode() in _db_bytes(tmp_path)

    deleted = users.forget(sqlite_db, uid, data_dir=tmp_path / "data")

    assert deleted["users"] == 1 and deleted["later_feature"] == 1 and deleted["inbox"] == 1
    assert uid.encode() not in _db_bytes(tmp_path)
    assert other.encode() in _db_bytes(tmp_path)  # other people's data stays
    assert not folder.exists()
    assert users.get(sqlite_db, other) is not None


def test_user_folders_are_named_by_hash(tmp_path):
    uid = webhooks.user_id()
    folder = files.user_dir(tmp_path, uid, create=True)
    assert folder.is_dir() and uid not in str(folder)
    assert files.remove_user_dir(tmp_path, uid) and not folder.exists()


def test_sent_rows_expire(fresh, clock):
    sent.begin(fresh, "k", "U1", "push", 1, clock.now())
    clock.advance(hours=49)
    assert sent.prune(fresh, clock.now()) == 1


def test_users_lang_defaults_to_japanese(fresh, clock):
    assert users.lang(fresh, "Unobody") == "ja"
    users.set_lang(fresh, "U1", "en", clock.now())
    assert users.lang(fresh, "U1") == "en"
    users.unfollow(fresh, "U1", clock.now())
    assert users.get(fresh, "U1")["active"] == 0
    users.follow(fresh, "U1", clock.now())
    assert users.get(fresh, "U1") == {**users.get(fresh, "U1"), "active": 1, "lang": "en"}

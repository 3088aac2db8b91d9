"""Group commit: webhooks that wait together share one durable SQLite commit, each learns how
many of its own events were new, and none gets its 200 before its events are on disk."""

import threading

import pytest

from storage import inbox, open_db
from tests.support import webhooks
from tests.support.sqlite import WriteLockHolder


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("SQLite's file and write lock; PostgreSQL's outages: tests/test_fleet.py")


def test_batches_in_one_transaction_count_their_own_new_events(db, clock):
    first, second = webhooks.text("a"), webhooks.text("b")
    assert inbox.store_batches(db, [([first], clock.now()), ([first, second], clock.now()), ([], clock.now())]) == [1, 1, 0]
    assert inbox.counts(db) == {"pending": 2}


def test_webhooks_waiting_on_a_locked_database_share_commits_and_all_are_stored(sqlite_only, services, client, clock):
    writer = services.inbox_writer
    evs = [webhooks.text("help") for _ in range(12)]
    results = {}

    def post(ev):
        raw, headers = webhooks.signed(services.settings.channel_secret, ev)
        results[ev["webhookEventId"]] = client.post("/callback", data=raw, headers=headers).status_code

    with WriteLockHolder(services.settings.db_path, 0.3):  # every webhook must wait for the lock
        threads = [threading.Thread(target=post, args=(ev,)) for ev in evs]
        [t.start() for t in threads]
        [t.join(10) for t in threads]
    assert list(results.values()) == [200] * len(evs)
    assert writer.commits < len(evs)  # they shared commits (at most a couple here)
    other = open_db(services.settings.db_path, migrate_schema=False)  # what is on disk
    assert {r["event_id"] for r in other.query("SELECT event_id FROM inbox")} == {e["webhookEventId"] for e in evs}


def test_a_redelivery_in_the_same_batch_is_stored_once(services, clock):
    ev = webhooks.text("help")
    counts = []
    threads = [threading.Thread(target=lambda: counts.append(services.inbox_writer.store([ev], clock.now()))) for _ in range(6)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert sorted(counts) == [0, 0, 0, 0, 0, 1]


def test_an_unreachable_database_answers_503_at_once_and_the_next_webhook_is_stored(sqlite_only, services, client):
    """The writer thread could not open its connection: the waiting webhook must not hang
    (LINE gets a 503 and may redeliver), and the writer starts again once the disk is back."""
    data_dir = services.settings.db_path.parent
    away = data_dir.with_name(data_dir.name + "-away")
    first, second = webhooks.text("help"), webhooks.text("help")
    data_dir.rename(away)
    data_dir.write_text("a file where the data folder belongs: no database can open")
    try:
        raw, headers = webhooks.signed(services.settings.channel_secret, first)
        assert client.post("/callback", data=raw, headers=headers).status_code == 503
    finally:
        data_dir.unlink()
        away.rename(data_dir)
    raw, headers = webhooks.signed(services.settings.channel_secret, second)
    assert client.post("/callback", data=raw, headers=headers).status_code == 200
    stored = {r["event_id"] for r in open_db(services.settings.db_path, migrate_schema=False).query("SELECT event_id FROM inbox")}
    assert stored == {second["webhookEventId"]}

"""The inbox's own rules, on a real SQLite database (storage/inbox.py) and the real group-commit
writer (bot/engine/inbox_writer.py): how an event is keyed, what is kept of it, what is due,
and the writer's thread across stop and restart. The webhook's use of them is in
test_webhook.py and test_inbox_writer.py."""
import datetime as dt
import hashlib
import json
import logging
import re
import threading
import time

import pytest

from bot.engine.inbox_writer import STORE_TIMEOUT_S, InboxWriter
from storage import inbox, open_db
from storage.db import now_iso
from tests.support import webhooks

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def store_db(tmp_path):
    database = open_db(tmp_path / "inbox.sqlite3")
    yield database
    database.conn.close()


def test_an_event_is_keyed_by_its_webhook_event_id():
    event = webhooks.text("hi")
    assert inbox.event_id(event) == event["webhookEventId"]


def test_an_event_without_an_id_is_keyed_by_its_content_whatever_the_key_order():
    event = {"type": "message", "message": {"type": "text", "text": "hi"}, "timestamp": 1}
    expected = "sha256:" + hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()[:32]
    assert inbox.event_id(event) == expected and len(expected) == 7 + 32
    assert inbox.event_id(dict(reversed(event.items()))) == expected
    assert inbox.event_id({**event, "timestamp": 2}) != expected


def test_a_pending_event_keeps_its_body_compact_and_in_its_own_script(store_db):
    event = webhooks.text("こんにちは, world")
    assert inbox.store(store_db, [event], T0) == 1
    row = inbox.get(store_db, event["webhookEventId"])
    assert json.loads(row["body"]) == event
    assert "こんにちは" in row["body"] and ", " not in row["body"].replace("こんにちは, world", "")
    assert (row["state"], row["received_at"], row["next_attempt_at"], row["handled_at"]) == (
        inbox.PENDING, now_iso(T0), now_iso(T0), None)


def test_a_standby_event_is_recorded_as_handled_without_its_body(store_db):
    event = {**webhooks.text("hi"), "mode": "standby"}
    assert inbox.store(store_db, [event], T0) == 1
    row = inbox.get(store_db, event["webhookEventId"])
    assert (row["state"], row["body"], row["handled_at"]) == (inbox.STANDBY, None, now_iso(T0))
    assert inbox.due(store_db, T0 + dt.timedelta(hours=1)) == []


def test_store_counts_new_events_only_and_nothing_for_an_empty_webhook(store_db):
    first, second = webhooks.text("a"), webhooks.text("b")
    assert inbox.store_batches(store_db, [([first], T0), ([], T0), ([first, second], T0)]) == [1, 0, 1]
    assert inbox.counts(store_db) == {inbox.PENDING: 2}


def test_due_events_come_decoded_with_their_attempts_oldest_first(store_db):
    early, late = webhooks.text("early"), webhooks.text("late")
    inbox.store(store_db, [early, late], T0)
    inbox.retry_later(store_db, late["webhookEventId"], T0, dt.timedelta(minutes=5))
    assert inbox.due(store_db, T0) == [{"event_id": early["webhookEventId"], "event": early, "attempts": 0}]
    assert inbox.due(store_db, T0 + dt.timedelta(minutes=5)) == [
        {"event_id": early["webhookEventId"], "event": early, "attempts": 0},
        {"event_id": late["webhookEventId"], "event": late, "attempts": 1}]
    assert inbox.next_due(store_db) == now_iso(T0)
    inbox.finish(store_db, early["webhookEventId"], T0)
    assert inbox.next_due(store_db) == now_iso(T0 + dt.timedelta(minutes=5))
    inbox.finish(store_db, late["webhookEventId"], T0, state=inbox.FAILED)
    assert inbox.next_due(store_db) is None
    assert inbox.counts(store_db) == {inbox.DONE: 1, inbox.FAILED: 1}
    assert inbox.get(store_db, late["webhookEventId"])["body"] is None  # handled: the body goes


def test_next_due_is_per_lane(store_db):
    events = [webhooks.text("x", user=webhooks.user_id()) for _ in range(8)]
    inbox.store(store_db, events, T0)
    keys = {e["webhookEventId"]: store_db.execute("SELECT lane_key FROM inbox WHERE event_id = ?",
                                                   [e["webhookEventId"]]).fetchone()[0] for e in events}
    lanes = {key % 2 for key in keys.values()}
    assert lanes == {0, 1}  # eight users fall in both of two lanes
    for event_id, key in keys.items():
        if key % 2 == 1:
            inbox.finish(store_db, event_id, T0)
    assert inbox.next_due(store_db, lane=1, lanes=2) is None
    assert inbox.next_due(store_db, lane=0, lanes=2) == now_iso(T0)
    assert {d["event_id"] for d in inbox.due(store_db, T0, lane=0, lanes=2)} == {
        e for e, k in keys.items() if k % 2 == 0}


def writer_threads():
    return [t for t in threading.enumerate() if t.name == "inbox-writer"]


def test_the_writer_counts_its_commits_and_starts_again_after_a_stop(services, clock, monkeypatch):
    crashed = []
    monkeypatch.setattr(threading, "excepthook", crashed.append)  # a writer thread must end cleanly
    writer = InboxWriter(services)
    before = set(writer_threads())
    event = webhooks.text("hi")
    assert writer.store([event], clock.now()) == 1
    assert writer.store([event], clock.now()) == 0  # a redelivery
    assert writer.commits == 2
    (thread,) = set(writer_threads()) - before
    assert thread.daemon  # never keeps a stopping server alive
    writer.stop()
    assert not thread.is_alive()
    assert writer.store([webhooks.text("again")], clock.now()) == 1  # a new writer thread
    assert writer.commits == 3
    writer.stop()
    assert set(writer_threads()) <= before
    assert crashed == []


def test_a_webhook_the_writer_cannot_store_names_why_in_the_log(services, client, caplog):
    if services.settings.database_url:
        pytest.skip("SQLite's data folder moved away; PostgreSQL's outages are in test_fleet.py")
    data_dir = services.settings.db_path.parent
    away = data_dir.with_name(data_dir.name + "-away")
    data_dir.rename(away)
    data_dir.write_text("a file where the data folder belongs")
    try:
        raw, headers = webhooks.signed(services.settings.channel_secret, webhooks.text("help"))
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="bot.engine.webhook"):
            assert client.post("/callback", data=raw, headers=headers).status_code == 503
        assert time.monotonic() - started < STORE_TIMEOUT_S / 2  # at once, not after the writer's timeout
    finally:
        data_dir.unlink()
        away.rename(data_dir)
    (record,) = [r for r in caplog.records if r.name == "bot.engine.webhook"]
    assert re.fullmatch(r"webhook not stored \(inbox database unavailable: (?!None\)).+\); answering 503 so LINE may redeliver",
                        record.getMessage()), record.getMessage()


def test_one_claimed_lane_gives_its_due_events_and_the_oldest_wait_is_known(store_db):
    assert inbox.oldest_pending(store_db) is None
    user = webhooks.user_id()
    first, second = webhooks.text("1", user=user), webhooks.text("2", user=user)
    other = webhooks.text("3", user=webhooks.user_id())
    inbox.store(store_db, [first], T0)
    inbox.store(store_db, [second, other], T0 + dt.timedelta(minutes=1))
    key = store_db.execute("SELECT lane_key FROM inbox WHERE event_id = ?", [first["webhookEventId"]]).fetchone()[0]
    later = T0 + dt.timedelta(minutes=1)
    assert [d["event"] for d in inbox.due_in_lane(store_db, later, key)] == [first, second]
    assert inbox.due_in_lane(store_db, later, key, limit=1) == [
        {"event_id": first["webhookEventId"], "event": first, "attempts": 0}]
    assert [d["event"] for d in inbox.due_in_lane(store_db, T0, key)] == [first]  # the second not yet due
    assert inbox.oldest_pending(store_db) == now_iso(T0)
    inbox.finish(store_db, first["webhookEventId"], later)
    assert inbox.oldest_pending(store_db) == now_iso(later)
    assert [d["event"] for d in inbox.due_in_lane(store_db, later, key)] == [second]

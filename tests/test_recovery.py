"""Crash recovery: an event stored is an event answered, exactly once, also after SIGKILL; on
SQLite and on PostgreSQL (a fleet's kills: tests/test_fleet.py)."""

import os
import signal

import pytest
import requests

from bot.engine.line_api import retry_key
from storage import inbox, open_db, sent
from tests.support import SECRET, TOKEN, postgres, serve, webhooks


@pytest.fixture(params=postgres.BACKENDS)
def backend(request):
    return request.param


class Server:
    """`python -m bot serve` as a real child process."""

    def __init__(self, tmp_path, emulator, database_url=None):
        self.url = None  # the port is the server's own choice, read back at each start
        self.database = database_url or tmp_path / "var" / "adai.sqlite3"
        self.env = {
            **os.environ,
            "ADAI_DATABASE_URL": database_url or "",
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": emulator.url,
            "ADAI_DATA_DIR": str(tmp_path / "var"),
            "ADAI_MODELS_DIR": str(tmp_path / "models"),
        }
        self.log_path = tmp_path / "server.log"
        self.process = None

    def start(self):
        self.process, self.url = serve.start(self.env, self.log_path)
        return self

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def post(self, *evs):
        raw, headers = webhooks.signed(SECRET, *evs)
        return requests.post(self.url + "/callback", data=raw, headers=headers, timeout=5)


@pytest.fixture
def server(tmp_path, emulator, database_url):
    srv = Server(tmp_path, emulator, database_url)
    yield srv
    srv.stop()


def test_sigkill_after_events_were_stored_answers_each_exactly_once(server, emulator, tmp_path):
    users = [webhooks.user_id() for _ in range(3)]
    evs = [webhooks.text("help", user=u, reply_token=emulator.issue_reply_token(u)) for u in users]
    # The worker's first LINE calls never come back: one per event, since the worker's lanes
    # (one per user hash) may each be inside a call when the server is killed.
    emulator.fail_next(len(evs), status="hang")
    server.start()
    assert all(server.post(ev).status_code == 200 for ev in evs)
    assert emulator.wait_for(lambda e: e.held >= 1)  # the worker is inside its first reply

    server.kill()
    db = open_db(server.database)
    assert inbox.counts(db) == {"pending": 3}
    emulator.release()  # the held call is dropped unprocessed, as with a real crash

    server.start()
    assert emulator.wait_for(lambda e: len(e.sent) >= 3, timeout=20)
    assert all(server.post(ev).status_code == 200 for ev in evs)  # LINE redelivers: dropped
    assert emulator.wait_for(lambda e: inbox.counts(db) == {"done": 3}, timeout=20)
    server.stop()  # nothing may be sent after the inbox is empty
    assert sorted(s["to"] for s in emulator.sent) == sorted(users)
    assert all(len(s["messages"]) == 1 for s in emulator.sent)


def test_crash_after_reply_was_accepted_but_not_recorded_sends_nothing_more(deliver, events, emulator, services, db, post_events):
    ev = events.text("help")
    key = retry_key(ev["webhookEventId"], 0)
    # What a crash leaves: the reply went out, the send is recorded as "sending", the event pending.
    assert post_events(ev).status_code == 200
    sent.begin(db, key, ev["source"]["userId"], "reply", 1, services.clock.now())
    services.line.reply(ev["replyToken"], [{"type": "text", "text": "help"}])
    services.worker.drain()  # replay: LINE refuses the used token; we take that as delivered
    assert len(emulator.sent) == 1
    assert sent.get(db, key)["state"] == sent.SENT


def test_crash_after_push_was_accepted_but_not_recorded_sends_nothing_more(events, emulator, services, db, post_events, clock):
    ev = events.text("help")
    key = retry_key(ev["webhookEventId"], 0)
    assert post_events(ev).status_code == 200
    clock.advance(120)  # the token went stale before the first try, so it pushed
    sent.begin(db, key, ev["source"]["userId"], "push", 1, clock.now())
    services.line.push(ev["source"]["userId"], [{"type": "text", "text": "help"}], retry_key=key)
    services.worker.drain()  # replay pushes with the same retry key: LINE says 409
    assert len(emulator.sent) == 1
    assert inbox.counts(db) == {"done": 1}


def test_stale_reply_token_falls_back_to_push_with_a_retry_key(deliver, events, emulator, clock):
    ev = events.text("help")
    clock.advance(51)  # older than 50 s: reply tokens are not trusted any more
    deliver(ev)
    assert [(s["kind"], s["retry_key"]) for s in emulator.sent] == [("push", retry_key(ev["webhookEventId"], 0))]


def test_line_outage_is_retried_later_then_answered_once(post_events, events, emulator, services, db, clock):
    ev = events.text("help")
    post_events(ev)
    # The answer's every attempt fails (the profile read for the language may still work).
    emulator.fail_next(services.settings.line_attempts, status=500, path="/reply")
    services.worker.drain()
    assert emulator.sent == [] and inbox.get(db, ev["webhookEventId"])["attempts"] == 1
    clock.advance(6)
    services.worker.drain()
    assert len(emulator.sent) == 1 and inbox.counts(db) == {"done": 1}

"""The worker's lanes: different users are handled side by side, one user's events in order.

Real worker threads, real SQLite and PostgreSQL, the real SDK against the emulator. The
emulator's "hang" fault holds one LINE call until released; whatever the other lanes do
meanwhile shows whether a stuck user blocks others (it must not) and whether one user's later
events overtake an earlier one (they must not). On PostgreSQL the threads claim users' lanes
with advisory locks (storage.inbox.claim_lane), as the processes of a fleet do."""

import pytest

from storage import inbox
from tests.support import postgres, webhooks

LANES = 3


@pytest.fixture(params=postgres.BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app_config(app_config):
    # A held call must stay held until release(), not time out and retry by itself.
    return {**app_config, "worker_lanes": LANES, "line_timeout_s": 30.0}


@pytest.fixture
def running(services, emulator):
    yield services.worker.start()
    emulator.release()
    services.worker.stop()


def users_in_different_lanes(count):
    """Fresh user ids whose events fall into `count` different lanes."""
    chosen, lanes = [], set()
    for _ in range(1000):
        user = webhooks.user_id()
        lane = inbox.lane_key(webhooks.text("help", user=user)) % LANES
        if lane not in lanes:
            chosen.append(user)
            lanes.add(lane)
        if len(chosen) == count:
            return chosen
    raise AssertionError("lane keys do not spread users over lanes")


def tokens_answered(emulator, user):
    return [s["reply_token"] for s in emulator.sent if s["to"] == user]


def test_every_event_of_a_user_is_in_one_lane_and_every_event_in_exactly_one(db, events, clock):
    users = [webhooks.user_id() for _ in range(12)]
    stored = [events.text("help", user=u) for u in users for _ in range(3)]
    inbox.store(db, stored, clock.now())
    by_lane = [inbox.due(db, clock.now(), lane=lane, lanes=LANES) for lane in range(LANES)]
    ids = [row["event_id"] for rows in by_lane for row in rows]
    assert sorted(ids) == sorted(e["webhookEventId"] for e in stored)  # none lost, none twice
    lanes_of = {}
    for lane, rows in enumerate(by_lane):
        for row in rows:
            lanes_of.setdefault(row["event"]["source"]["userId"], set()).add(lane)
    assert all(len(lanes) == 1 for lanes in lanes_of.values())
    assert len({lane for lanes in lanes_of.values() for lane in lanes}) > 1  # work is spread
    for rows in by_lane:  # each lane keeps arrival order
        order = [stored.index(row["event"]) for row in rows]
        assert order == sorted(order)


def test_a_user_stuck_on_line_does_not_hold_up_other_users(running, post_events, events, emulator, db):
    stuck, other = users_in_different_lanes(2)
    emulator.fail_next(1, status="hang")
    post_events(events.text("help", user=stuck))
    assert emulator.wait_for(lambda e: e.held >= 1)  # the stuck user's reply is held by LINE
    post_events(events.text("help", user=other))
    assert emulator.wait_for(lambda e: len(tokens_answered(e, other)) == 1)
    assert tokens_answered(emulator, stuck) == []
    emulator.release()  # the held call is reset; the client retries and the reply goes out
    assert emulator.wait_for(lambda e: len(tokens_answered(e, stuck)) == 1)
    assert emulator.wait_for(lambda e: inbox.counts(db) == {"done": 2})


def test_one_users_later_events_never_overtake_an_earlier_one(running, post_events, events, emulator, db):
    stuck, other = users_in_different_lanes(2)
    emulator.fail_next(1, status="hang")
    first = events.text("help", user=stuck)
    post_events(first)
    assert emulator.wait_for(lambda e: e.held >= 1)  # the first event's reply is held
    later = [events.text("help", user=stuck) for _ in range(5)]
    post_events(*later)
    post_events(events.text("help", user=other))
    assert emulator.wait_for(lambda e: len(tokens_answered(e, other)) == 1)  # other lanes moved on
    # The stuck user's later events wait behind the first (bounded look, well under a second).
    assert not emulator.wait_for(lambda e: tokens_answered(e, stuck), timeout=0.5)
    emulator.release()
    assert emulator.wait_for(lambda e: len(tokens_answered(e, stuck)) == 6)
    assert tokens_answered(emulator, stuck) == [ev["replyToken"] for ev in [first, *later]]
    assert emulator.wait_for(lambda e: inbox.counts(db) == {"done": 7})

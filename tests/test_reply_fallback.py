"""A reply whose fate is unknown (5xx, timeout) and whose token has expired by the retry is
pushed with the event's retry key: for health advice a lost answer is worse than a rare
duplicate. While the token is young, LINE's refusal means "used" and nothing more is sent.

The emulator's fault injection on the real SDK; the FakeClock moves past the token's life."""

from bot.engine.line_api import retry_key
from storage import inbox

EXPIRED_S = 61  # the emulator (like LINE) refuses reply tokens older than a minute


def answers_for(emulator, user):
    return [(s["kind"], s["retry_key"]) for s in emulator.sent if s["to"] == user]


def test_reply_failing_until_the_token_expired_is_pushed_once(post_events, events, emulator, services, db, clock):
    ev = events.text("help")
    user, key = ev["source"]["userId"], retry_key(ev["webhookEventId"], 0)
    post_events(ev)
    emulator.fail_next(services.settings.line_attempts, status=500, path="/reply")
    services.worker.drain()  # every reply attempt failed: the event waits for the worker's back-off
    assert emulator.sent == [] and inbox.get(db, ev["webhookEventId"])["state"] == inbox.PENDING
    clock.advance(EXPIRED_S)
    services.worker.drain()  # the replay's reply gets 400: expired (or used? LINE won't say)
    services.worker.drain()
    assert answers_for(emulator, user) == [("push", key)]
    assert inbox.counts(db) == {"done": 1}


def test_reply_timing_out_then_refused_after_expiry_is_pushed_once(deliver, events, emulator, services, clock):
    services.line.sleep = lambda seconds: clock.advance(EXPIRED_S)  # a slow back-off, in fake time
    emulator.fail_next(1, status="timeout", path="/reply")  # held past our timeout, not processed
    ev = events.text("help")
    deliver(ev)
    assert answers_for(emulator, ev["source"]["userId"]) == [("push", retry_key(ev["webhookEventId"], 0))]


def test_the_trade_off_a_reply_lost_in_flight_and_then_expired_is_sent_twice(deliver, events, emulator, services, clock):
    # LINE delivered the reply but its answer was lost; by the retry the token is old, so the
    # refusal cannot tell "used" from "expired". We push: the user may see the answer twice.
    services.line.sleep = lambda seconds: clock.advance(EXPIRED_S)
    emulator.fail_next(1, status="lost", path="/reply")
    ev = events.text("help")
    deliver(ev)
    assert answers_for(emulator, ev["source"]["userId"]) == [("reply", None), ("push", retry_key(ev["webhookEventId"], 0))]


def test_a_young_token_refused_after_a_lost_reply_means_delivered(deliver, events, emulator, services, clock):
    services.line.sleep = lambda seconds: clock.advance(1)
    emulator.fail_next(1, status="lost", path="/reply")
    ev = events.text("help")
    deliver(ev)
    assert answers_for(emulator, ev["source"]["userId"]) == [("reply", None)]


def test_the_fallback_push_is_sent_once_even_when_its_own_answer_is_lost(post_events, events, emulator, services, db, clock):
    ev = events.text("help")
    post_events(ev)
    emulator.fail_next(services.settings.line_attempts, status=503, path="/reply")
    services.worker.drain()
    clock.advance(EXPIRED_S)
    emulator.fail_next(1, status="lost", path="/push")  # pushed; the retry with the key gets 409
    services.worker.drain()
    assert answers_for(emulator, ev["source"]["userId"]) == [("push", retry_key(ev["webhookEventId"], 0))]
    assert inbox.counts(db) == {"done": 1}

"""Webhook events between the 200 and their handling. Keyed by webhookEventId so a
redelivered event is stored once; the body is dropped once handled (it holds user ids),
the id is kept for RETENTION so later redeliveries are still recognised."""

import hashlib
import json
from datetime import timedelta

from storage.db import now_iso, shared, transaction
from storage.lanes import lane_key

PENDING, DONE, FAILED, STANDBY = "pending", "done", "failed", "standby"
RETENTION = timedelta(hours=48)  # LINE redelivers for a while; we keep ids at least 24 h
NEW_EVENTS = "adai_inbox"  # PostgreSQL NOTIFY channel: events were stored


def store(db, events, now) -> int:
    """Store every event not seen before in one transaction; returns how many were new."""
    return store_batches(db, [(events, now)])[0]


def store_batches(db, batches) -> list[int]:
    """Several webhooks' events, [(events, now)], in ONE transaction (one fsync: group commit);
    returns how many of each batch were new."""
    counts = []
    with transaction(db) as conn:
        for events, now in batches:
            stamp = now_iso(now)
            rows = [_row(event, stamp) for event in events]
            counts.append(conn.executemany(
                "INSERT OR IGNORE INTO inbox (event_id, body, state, received_at, next_attempt_at, handled_at, lane_key)"
                " VALUES (:event_id, :body, :state, :received_at, :next_attempt_at, :handled_at, :lane_key)",
                rows,
            ).rowcount if rows else 0)  # executemany's rowcount: the rows inserted, summed
        if shared(db) and any(counts):
            db.notify(NEW_EVENTS)  # wakes the fleet's workers when this commits
    return counts


def _row(event, stamp):
    standby = event.get("mode") == "standby"  # another channel answers; we only record it
    return {
        "event_id": event_id(event),
        "body": None if standby else json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        "state": STANDBY if standby else PENDING,
        "received_at": stamp,
        "next_attempt_at": stamp,
        "handled_at": stamp if standby else None,
        "lane_key": lane_key(event),
    }


def event_id(event) -> str:
    """LINE always sends webhookEventId; a hand-made event without one gets a content hash."""
    if event.get("webhookEventId"):
        return str(event["webhookEventId"])
    raw = json.dumps(event, sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:32]


def due(db, now, limit=50, lane=0, lanes=1) -> list[dict]:
    """Pending events whose next attempt is due, oldest first, body decoded; with `lanes` > 1
    only those of lane number `lane` (lane_key % lanes)."""
    rows = db.execute(
        "SELECT event_id, body, attempts FROM inbox WHERE state = ? AND next_attempt_at <= ?"
        " AND lane_key % ? = ? ORDER BY rowid LIMIT ?",
        [PENDING, now_iso(now), lanes, lane, limit],
    ).fetchall()
    return _decoded(rows)


def _decoded(rows) -> list[dict]:
    return [{"event_id": r[0], "event": json.loads(r[1]), "attempts": r[2]} for r in rows]


# --- PostgreSQL: a fleet of workers ---------------------------------------------------------------
# A worker owns a user's lane (lane_key) while it holds a session advisory lock on it, so one
# user's events are handled by one worker at a time, in arrival order; the lock goes with the
# worker's connection when the worker dies, and another takes the lane over.

LANE_LOCKS = 0x6C616E65  # advisory lock namespace ("lane")
CLAIM_TRIES = 8


def claim_lane(db, now) -> int | None:
    """Lock the lane of the oldest due event no other worker holds; its lane_key, or None.
    The pick skips rows and lanes others are taking (FOR UPDATE SKIP LOCKED, pg_locks), so
    workers looking for work at once spread over users instead of queueing on one."""
    for _ in range(CLAIM_TRIES):
        with transaction(db) as conn:
            row = conn.execute(
                "SELECT lane_key FROM inbox WHERE state = ? AND next_attempt_at <= ? AND lane_key NOT IN"
                " (SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = ?"
                "  AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
                " ORDER BY rowid LIMIT 1 FOR UPDATE SKIP LOCKED",
                [PENDING, now_iso(now), LANE_LOCKS],
            ).fetchone()
            if row is None:
                return None
            if db.try_lock(LANE_LOCKS, row[0]):
                return row[0]
    return None


def release_lane(db, key):
    db.unlock(LANE_LOCKS, key)


def due_in_lane(db, now, key, limit=20) -> list[dict]:
    """The due pending events of one claimed lane, oldest first, body decoded."""
    rows = db.execute(
        "SELECT event_id, body, attempts FROM inbox WHERE state = ? AND next_attempt_at <= ?"
        " AND lane_key = ? ORDER BY rowid LIMIT ?",
        [PENDING, now_iso(now), key, limit],
    ).fetchall()
    return _decoded(rows)


def finish(db, event_id, now, state=DONE):
    """Mark handled and drop the body."""
    db.execute(
        "UPDATE inbox SET state = ?, body = NULL, handled_at = ? WHERE event_id = ?",
        [state, now_iso(now), event_id],
    )


def next_due(db, lane=0, lanes=1) -> str | None:
    """When the lane's earliest pending event is due (ISO text), or None."""
    row = db.execute(
        "SELECT min(next_attempt_at) FROM inbox WHERE state = ? AND lane_key % ? = ?",
        [PENDING, lanes, lane],
    ).fetchone()
    return row[0] if row else None


def retry_later(db, event_id, now, delay: timedelta):
    db.execute(
        "UPDATE inbox SET attempts = attempts + 1, next_attempt_at = ? WHERE event_id = ?",
        [now_iso(now + delay), event_id],
    )


def get(db, event_id) -> dict | None:
    rows = list(db.query("SELECT * FROM inbox WHERE event_id = ?", [event_id]))
    return rows[0] if rows else None


def counts(db) -> dict:
    return {r[0]: r[1] for r in db.execute("SELECT state, count(*) FROM inbox GROUP BY state")}


def oldest_pending(db) -> str | None:
    """When the oldest event still waiting was stored (ISO 8601), or None."""
    return db.execute("SELECT min(received_at) FROM inbox WHERE state = ?", [PENDING]).fetchone()[0]


def prune(db, now) -> int:
    """Forget ids of events handled more than RETENTION ago."""
    cursor = db.execute(
        "DELETE FROM inbox WHERE state != ? AND handled_at < ?",
        [PENDING, now_iso(now - RETENTION)],
    )
    return cursor.rowcount

"""What the bot sent (or was sending when it crashed), keyed by the retry key."""

from datetime import timedelta

from storage.db import now_iso

SENDING, SENT = "sending", "sent"
RETENTION = timedelta(hours=48)


def get(db, key) -> dict | None:
    rows = list(db.query("SELECT * FROM sent WHERE key = ?", [key]))
    return rows[0] if rows else None


def begin(db, key, user_id, kind, messages, now):
    # A replaced row, as INSERT OR REPLACE did (sent_at cleared), in SQL both backends run.
    db.execute(
        "INSERT INTO sent (key, user_id, kind, state, messages, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET user_id = excluded.user_id, kind = excluded.kind,"
        " state = excluded.state, messages = excluded.messages, created_at = excluded.created_at,"
        " sent_at = NULL",
        [key, user_id, kind, SENDING, messages, now_iso(now)],
    )


def finish(db, key, now, kind=None):
    db.execute(
        "UPDATE sent SET state = ?, sent_at = ?, kind = coalesce(?, kind) WHERE key = ?",
        [SENT, now_iso(now), kind, key],
    )


def prune(db, now) -> int:
    return db.execute(
        "DELETE FROM sent WHERE created_at < ?", [now_iso(now - RETENTION)]
    ).rowcount

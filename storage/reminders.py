"""Reminder rows (one weekly check-in and at most one pending follow-up per user) and the record
of each send. Instants are ISO 8601 UTC strings (storage.db.now_iso) so they compare as text.

A dispatcher *claims* a due reminder by moving its next_due_at forward only if it still holds the
value it read (compare-and-set) and records the send as pending in the same transaction; only the
dispatcher whose claim succeeded pushes, so two dispatchers or a restart never send twice.
"""

from datetime import datetime

from storage.db import now_iso, transaction

# QUESTIONS: one gentle reminder the day after a result whose questions were not answered.
CHECKIN, FOLLOWUP, QUESTIONS = "checkin", "followup", "questions"
ACTIVE, STOPPED, DONE = "active", "stopped", "done"
PENDING, SENT, SKIPPED, FAILED = "pending", "sent", "skipped", "failed"


# Users who consented and have no check-in row yet (a stopped one is a row: it stays stopped).
CONSENTED_WITHOUT_CHECKIN = (
    "SELECT c.user_id FROM consents c WHERE c.state = 'given' AND NOT EXISTS"
    " (SELECT 1 FROM reminders r WHERE r.user_id = c.user_id AND r.kind = 'checkin')"
)
# Each consenting user's latest result, if it is newer than ?.
LATEST_RESULTS = (
    "SELECT a.user_id, a.id, a.level, a.created_at FROM assessments a"
    " JOIN consents c ON c.user_id = a.user_id AND c.state = 'given'"
    " WHERE a.created_at > ? AND a.id = (SELECT max(b.id) FROM assessments b WHERE b.user_id = a.user_id)"
)


def get(db, user_id, kind) -> dict | None:
    rows = list(db.query("SELECT * FROM reminders WHERE user_id = ? AND kind = ?", [user_id, kind]))
    return rows[0] if rows else None


def user_tz(db, user_id) -> str | None:
    """The time zone of the user's check-in (their dates are shown in it); None without one."""
    row = db.execute("SELECT tz FROM reminders WHERE user_id = ? AND kind = ?", [user_id, CHECKIN]).fetchone()
    return row[0] if row else None


def upsert(db, user_id, kind, now, **fields) -> dict:
    """Create or update the user's reminder of this kind; returns the row."""
    stamp = now_iso(now)
    values = {key: _stored(value) for key, value in fields.items()}
    columns = ["user_id", "kind", "created_at", "updated_at", *values]
    updates = ", ".join([f"{name} = excluded.{name}" for name in values] + ["updated_at = excluded.updated_at"])
    db.execute(
        f"INSERT INTO reminders ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT (user_id, kind) DO UPDATE SET {updates}",
        [user_id, kind, stamp, stamp, *values.values()],
    )
    return get(db, user_id, kind)


def _stored(value):
    return now_iso(value) if isinstance(value, datetime) else value


def due(db, now, limit=200) -> list[dict]:
    return list(db.query(
        "SELECT * FROM reminders WHERE state = ? AND next_due_at IS NOT NULL AND next_due_at <= ?"
        " ORDER BY next_due_at LIMIT ?",
        [ACTIVE, now_iso(now), limit],
    ))


def claim(db, reminder, next_due_at, now, send_state=PENDING, reason=None) -> bool:
    """Move the reminder past its due time and record the send, atomically; False when another
    dispatcher got there first (next_due_at no longer what we read)."""
    state = ACTIVE if next_due_at is not None else DONE
    with transaction(db) as conn:
        moved = conn.execute(
            "UPDATE reminders SET next_due_at = ?, state = ?, updated_at = ?"
            " WHERE id = ? AND state = ? AND next_due_at = ?",
            [_stored(next_due_at), state, now_iso(now), reminder["id"], ACTIVE,
             reminder["next_due_at"]],
        ).rowcount
        if not moved:
            return False
        conn.execute(
            "INSERT OR IGNORE INTO reminder_sends"
            " (reminder_id, due_at, user_id, kind, state, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [reminder["id"], reminder["next_due_at"], reminder["user_id"], reminder["kind"],
             send_state, reason, now_iso(now)],
        )
    return True


def finish_send(db, reminder_id, due_at, state, now, reason=None):
    db.execute(
        "UPDATE reminder_sends SET state = ?, reason = coalesce(?, reason), sent_at = ?"
        " WHERE reminder_id = ? AND due_at = ?",
        [state, reason, now_iso(now), reminder_id, due_at],
    )


def stale_pending(db, older_than, limit=100) -> list[dict]:
    """Sends claimed before older_than and never confirmed (a crash or LINE outage mid-push)."""
    return list(db.query(
        "SELECT * FROM reminder_sends WHERE state = ? AND created_at <= ? ORDER BY due_at LIMIT ?",
        [PENDING, now_iso(older_than), limit],
    ))


def sends(db, user_id=None) -> list[dict]:
    where, args = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])
    return list(db.query(f"SELECT * FROM reminder_sends {where} ORDER BY due_at", args))


def set_state(db, user_id, kind, state, now, next_due_at=None):
    db.execute(
        "UPDATE reminders SET state = ?, next_due_at = ?, updated_at = ? WHERE user_id = ? AND kind = ?",
        [state, _stored(next_due_at), now_iso(now), user_id, kind],
    )


def set_timezone(db, user_id, tz, now):
    db.execute("UPDATE reminders SET tz = ?, updated_at = ? WHERE user_id = ?",
               [tz, now_iso(now), user_id])

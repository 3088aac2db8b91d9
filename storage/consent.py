"""Whether a user agreed that we keep their health data. The only thing kept without consent
(besides the users row) is this answer itself."""

from storage.db import now_iso

GIVEN, DECLINED, WITHDRAWN = "given", "declined", "withdrawn"


def get(db, user_id) -> dict | None:
    rows = list(db.query("SELECT * FROM consents WHERE user_id = ?", [user_id]))
    return rows[0] if rows else None


def record(db, user_id, state, now) -> dict:
    db.execute(
        "INSERT INTO consents (user_id, state, decided_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, decided_at = excluded.decided_at",
        [user_id, state, now_iso(now)],
    )
    return get(db, user_id)


def given(db, user_id) -> bool:
    """True only while the user's latest answer is yes: the gate for storing anything."""
    row = db.execute("SELECT state FROM consents WHERE user_id = ?", [user_id]).fetchone()
    return bool(row) and row[0] == GIVEN

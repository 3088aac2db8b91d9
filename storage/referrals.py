"""Doctor-summary links: one row per link, so a link can be revoked and dies with the user."""

import secrets

from storage.db import now_iso


def create(db, user_id, now, expires_at) -> dict:
    referral_id = secrets.token_urlsafe(24)  # unguessable even without the signature
    db.execute(
        "INSERT INTO referrals (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        [referral_id, user_id, now_iso(now), now_iso(expires_at)],
    )
    return get(db, referral_id)


def get(db, referral_id) -> dict | None:
    rows = list(db.query("SELECT * FROM referrals WHERE id = ?", [referral_id]))
    return rows[0] if rows else None


def live(db, referral_id, now) -> dict | None:
    """The referral if it exists, is not revoked and has not expired."""
    rows = list(db.query(
        "SELECT * FROM referrals WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
        [referral_id, now_iso(now)],
    ))
    return rows[0] if rows else None


def revoke_all(db, user_id, now) -> int:
    return db.execute(
        "UPDATE referrals SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        [now_iso(now), user_id],
    ).rowcount

"""Referrals a patient sent to one clinic's workspace (not the anonymous summary links of
storage.referrals). One row per patient and clinic; the clinic sets its status."""

import secrets

from storage.db import now_iso

STATUSES = ("new", "contacted", "seen")


def share(db, user_id, clinic_id, now) -> dict:
    """Share with the clinic (again: the row stays, its status back to new)."""
    stamp = now_iso(now)
    db.execute(
        "INSERT INTO clinic_referrals (referral_id, user_id, clinic_id, created_at, status, status_at)"
        " VALUES (?, ?, ?, ?, 'new', ?) ON CONFLICT (user_id, clinic_id) DO UPDATE SET status = 'new',"
        " status_at = excluded.status_at",
        [secrets.token_urlsafe(12), user_id, clinic_id, stamp, stamp])
    return list(db.query("SELECT * FROM clinic_referrals WHERE user_id = ? AND clinic_id = ?",
                         [user_id, clinic_id]))[0]


def stop_sharing(db, user_id) -> int:
    return db.execute("DELETE FROM clinic_referrals WHERE user_id = ?", [user_id]).rowcount


# Referrals of patients who still keep records (a withdrawn patient's rows are gone anyway).
LIVE = ("SELECT r.* FROM clinic_referrals r JOIN consents c ON c.user_id = r.user_id AND c.state = 'given'"
        " WHERE r.clinic_id = ?")


def for_clinic(db, clinic_id, limit: int | None = None, offset: int = 0) -> list[dict]:
    """The clinic's referrals, newest first (a page of them with `limit` and `offset`)."""
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return list(db.query(LIVE + " ORDER BY r.created_at DESC, r.referral_id" + page, [clinic_id]))


def count_for_clinic(db, clinic_id) -> int:
    return db.execute("SELECT count(*) FROM (" + LIVE + ") AS live", [clinic_id]).fetchone()[0]


def get(db, clinic_id, referral_id) -> dict | None:
    """The referral only if it is this clinic's (anything else is the same as missing)."""
    rows = list(db.query(LIVE + " AND r.referral_id = ?", [clinic_id, referral_id]))
    return rows[0] if rows else None


def set_status(db, clinic_id, referral_id, status, now) -> bool:
    if status not in STATUSES:
        raise ValueError(status)
    return db.execute(
        "UPDATE clinic_referrals SET status = ?, status_at = ? WHERE clinic_id = ? AND referral_id = ?",
        [status, now_iso(now), clinic_id, referral_id]).rowcount == 1


def patient_of(db, clinic_id, user_id) -> dict | None:
    """The patient's referral to this clinic, if they shared with it."""
    rows = list(db.query(LIVE + " AND r.user_id = ?", [clinic_id, user_id]))
    return rows[0] if rows else None

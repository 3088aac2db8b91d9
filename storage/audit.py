"""The clinic workspace's audit log: one row for every view of a patient's photo, every label
and every export. Subjects are assessment, label or export ids, never a LINE id."""

import secrets

from storage.db import now_iso

VIEW_PHOTO, LABEL, EXPORT = "view_photo", "label", "export"


def add(db, now, action, subject, staff_id=None, clinic_id=None):
    db.execute(
        "INSERT INTO clinic_audit (entry_id, at, staff_id, clinic_id, action, subject) VALUES (?, ?, ?, ?, ?, ?)",
        [secrets.token_urlsafe(12), now_iso(now), staff_id, clinic_id, action, str(subject)])


def entries(db, clinic_id=None) -> list[dict]:
    """Oldest first; one clinic's, or all."""
    if clinic_id is None:
        return list(db.query("SELECT * FROM clinic_audit ORDER BY at, entry_id"))
    return list(db.query("SELECT * FROM clinic_audit WHERE clinic_id = ? ORDER BY at, entry_id", [clinic_id]))

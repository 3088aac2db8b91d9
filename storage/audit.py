"""The clinic workspace's audit log: one row for every view of a patient's photo, every label,
every export, every sign-in (and failed one, and lock-out), status change and change to a staff
account. Subjects are assessment, label, referral, export or staff ids, never a LINE id.

Who: the staff id; an action from the command line (an export, `staff reset`) records the
operating-system user who ran it as "cli:NAME"."""

import getpass
import secrets

from storage.db import now_iso

VIEW_PHOTO, LABEL, EXPORT = "view_photo", "label", "export"
SIGN_IN, SIGN_IN_FAILED, LOCKED, SIGN_OUT = "sign_in", "sign_in_failed", "locked", "sign_out"
STATUS = "status"
MODEL_ALERT = "model_alert"  # a signed model version's live sensitivity fell below its signed bound
STAFF_ADD, STAFF_RESET, STAFF_DISABLE, STAFF_ENABLE, STAFF_REMOVE = (
    "staff_add", "staff_reset", "staff_disable", "staff_enable", "staff_remove")
CLI = "cli:"


def command_line_user() -> str:
    try:
        return CLI + getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment (a container)
        return CLI + "?"


def add(db, now, action, subject, staff_id=None, clinic_id=None):
    """staff_id None: the command line's user."""
    db.execute(
        "INSERT INTO clinic_audit (entry_id, at, staff_id, clinic_id, action, subject) VALUES (?, ?, ?, ?, ?, ?)",
        [secrets.token_urlsafe(12), now_iso(now), staff_id or command_line_user(), clinic_id, action, str(subject)])


def entries(db, clinic_id=None) -> list[dict]:
    """Oldest first; one clinic's, or all."""
    if clinic_id is None:
        return list(db.query("SELECT * FROM clinic_audit ORDER BY at, entry_id"))
    return list(db.query("SELECT * FROM clinic_audit WHERE clinic_id = ? ORDER BY at, entry_id", [clinic_id]))


def latest_prefix(db, clinic_id, action, prefix) -> dict | None:
    """The newest row of this action in this clinic whose subject starts with prefix."""
    rows = list(db.query("SELECT * FROM clinic_audit WHERE clinic_id = ? AND action = ? AND substr(subject, 1, ?) = ?"
                         " ORDER BY at DESC, entry_id DESC LIMIT 1", [clinic_id, action, len(prefix), prefix]))
    return rows[0] if rows else None

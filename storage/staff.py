"""Clinic staff accounts, their one-time sign-in links and their sessions.

Only hashes of link and session tokens are stored (a copied database opens no session). Times
are ISO text (storage.db.now_iso), so they compare as text on SQLite and PostgreSQL alike."""

import hashlib
import secrets

from storage.db import now_iso

ROLES = ("clinician", "admin")
# A disabled account's password hash starts with "!" (as in /etc/shadow): it can be enabled
# again with its password, and no hash check ever matches it meanwhile.
DISABLED = "!"


class StaffExists(ValueError):
    """An account with this email is there already."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add(db, clinic_id, email, role, now) -> dict:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    email = email.strip().lower()
    if by_email(db, email):
        raise StaffExists(email)
    staff_id = secrets.token_urlsafe(12)
    db.execute("INSERT INTO clinic_staff (staff_id, clinic_id, email, role, made_at) VALUES (?, ?, ?, ?, ?)",
               [staff_id, clinic_id, email, role, now_iso(now)])
    return get(db, staff_id)


def get(db, staff_id) -> dict | None:
    rows = list(db.query("SELECT * FROM clinic_staff WHERE staff_id = ?", [staff_id]))
    return rows[0] if rows else None


def by_email(db, email) -> dict | None:
    rows = list(db.query("SELECT * FROM clinic_staff WHERE email = ?", [email.strip().lower()]))
    return rows[0] if rows else None


def all_staff(db) -> list[dict]:
    return list(db.query("SELECT * FROM clinic_staff ORDER BY clinic_id, email"))


def disabled(row) -> bool:
    return (row.get("password_hash") or "").startswith(DISABLED)


def disable(db, staff_id):
    """No sign-in, no set-up link, and every session ends now."""
    db.execute("UPDATE clinic_staff SET password_hash = ? || coalesce(password_hash, '') WHERE staff_id = ?"
               " AND coalesce(password_hash, '') NOT LIKE '!%'", [DISABLED, staff_id])
    end_sessions(db, staff_id)
    db.execute("DELETE FROM clinic_setup_links WHERE staff_id = ?", [staff_id])


def enable(db, staff_id):
    row = get(db, staff_id)
    if row and disabled(row):
        db.execute("UPDATE clinic_staff SET password_hash = ?, failures = 0, locked_until = NULL WHERE staff_id = ?",
                   [row["password_hash"][len(DISABLED):] or None, staff_id])


def reset(db, staff_id):
    """Before a new set-up link: the old password, trusted browsers and sessions stop working."""
    db.execute("UPDATE clinic_staff SET password_hash = NULL, failures = 0, locked_until = NULL WHERE staff_id = ?",
               [staff_id])
    db.execute("DELETE FROM clinic_devices WHERE staff_id = ?", [staff_id])
    end_sessions(db, staff_id)


def remove(db, staff_id):
    """The account and everything that lets it in; its labels and audit rows stay (research
    data and the record of who did what)."""
    end_sessions(db, staff_id)
    for table in ("clinic_setup_links", "clinic_devices", "clinic_staff"):
        db.execute(f"DELETE FROM {table} WHERE staff_id = ?", [staff_id])


def clinic_ids(db) -> set[str]:
    """Clinics with at least one account: only these can receive a patient's referral."""
    return {row[0] for row in db.execute("SELECT DISTINCT clinic_id FROM clinic_staff")}


def set_password_hash(db, staff_id, password_hash):
    db.execute("UPDATE clinic_staff SET password_hash = ?, failures = 0, locked_until = NULL WHERE staff_id = ?",
               [password_hash, staff_id])
    # A new password: browsers trusted under the old one must prove themselves again.
    db.execute("DELETE FROM clinic_devices WHERE staff_id = ?", [staff_id])


# Where a run of failed sign-ins is counted: the account (strangers' browsers) or one trusted
# browser (clinic_devices). Table and column names are these constants, never input.
ACCOUNT = ("clinic_staff", "staff_id")
DEVICE = ("clinic_devices", "token_hash")


def _failed(db, where, key, limit, lock_until) -> bool:
    """Count a failed sign-in; at `limit` failures in a row the row locks until lock_until and
    the count starts again. True when this failure locked it."""
    table, column = where
    db.execute(f"UPDATE {table} SET failures = failures + 1 WHERE {column} = ?", [key])
    if db.execute(f"SELECT failures FROM {table} WHERE {column} = ?", [key]).fetchone()[0] < limit:
        return False
    db.execute(f"UPDATE {table} SET failures = 0, locked_until = ? WHERE {column} = ?",
               [now_iso(lock_until), key])
    return True


def _succeeded(db, where, key):
    table, column = where
    db.execute(f"UPDATE {table} SET failures = 0, locked_until = NULL WHERE {column} = ?", [key])


def failed(db, staff_id, limit, lock_until) -> bool:
    """A failed sign-in on the account (see _failed)."""
    return _failed(db, ACCOUNT, staff_id, limit, lock_until)


def locked(row, now) -> bool:
    return bool(row["locked_until"]) and row["locked_until"] > now_iso(now)


def succeeded(db, staff_id):
    _succeeded(db, ACCOUNT, staff_id)


# --- trusted browsers (device cookies) -----------------------------------------------------

def trust_device(db, staff_id, now, keep_for) -> str:
    """A new device token for a browser that just signed in with the right password; this
    account's devices older than `keep_for` (their cookies have expired) are dropped."""
    token = secrets.token_urlsafe(32)
    db.execute("DELETE FROM clinic_devices WHERE staff_id = ? AND made_at < ?", [staff_id, now_iso(now - keep_for)])
    db.execute("INSERT INTO clinic_devices (token_hash, staff_id, made_at) VALUES (?, ?, ?)",
               [token_hash(token), staff_id, now_iso(now)])
    return token


def device(db, token, staff_id, now, keep_for) -> dict | None:
    """The device row when `token` is a trusted browser of this account, made within
    `keep_for` of `now`, else None."""
    if not token:
        return None
    rows = list(db.query("SELECT * FROM clinic_devices WHERE token_hash = ? AND staff_id = ? AND made_at >= ?",
                         [token_hash(token), staff_id, now_iso(now - keep_for)]))
    return rows[0] if rows else None


def device_failed(db, device_row, limit, lock_until) -> bool:
    """A failed sign-in from one trusted browser (see _failed)."""
    return _failed(db, DEVICE, device_row["token_hash"], limit, lock_until)


def device_succeeded(db, device_row):
    _succeeded(db, DEVICE, device_row["token_hash"])


# --- one-time links -------------------------------------------------------------------------

def new_setup_link(db, staff_id, expires_at) -> str:
    """A fresh one-time token (earlier ones of this account stop working)."""
    token = secrets.token_urlsafe(32)
    db.execute("DELETE FROM clinic_setup_links WHERE staff_id = ?", [staff_id])
    db.execute("INSERT INTO clinic_setup_links (token_hash, staff_id, expires_at) VALUES (?, ?, ?)",
               [token_hash(token), staff_id, now_iso(expires_at)])
    return token


def setup_link(db, token, now) -> dict | None:
    """The account a live link is for (not a disabled one), or None."""
    rows = list(db.query(
        "SELECT s.* FROM clinic_setup_links l JOIN clinic_staff s ON s.staff_id = l.staff_id"
        " WHERE l.token_hash = ? AND l.expires_at > ?", [token_hash(token), now_iso(now)]))
    return rows[0] if rows and not disabled(rows[0]) else None


def use_setup_link(db, token) -> bool:
    return db.execute("DELETE FROM clinic_setup_links WHERE token_hash = ?", [token_hash(token)]).rowcount == 1


# --- sessions -------------------------------------------------------------------------------

def start_session(db, staff_id, now) -> str:
    token = secrets.token_urlsafe(32)
    db.execute("INSERT INTO clinic_sessions (token_hash, staff_id, started_at, seen_at) VALUES (?, ?, ?, ?)",
               [token_hash(token), staff_id, now_iso(now), now_iso(now)])
    return token


def session_staff(db, token, now, idle, longest) -> dict | None:
    """The account of a live session (seen within `idle`, started within `longest`, both
    timedeltas), marking it seen; an expired session is deleted. None otherwise."""
    key = token_hash(token)
    rows = list(db.query("SELECT * FROM clinic_sessions WHERE token_hash = ?", [key]))
    if not rows:
        return None
    session = rows[0]
    if session["seen_at"] <= now_iso(now - idle) or session["started_at"] <= now_iso(now - longest):
        end_session(db, token)
        return None
    db.execute("UPDATE clinic_sessions SET seen_at = ? WHERE token_hash = ?", [now_iso(now), key])
    row = get(db, session["staff_id"])
    return row if row and not disabled(row) else None


def end_session(db, token):
    db.execute("DELETE FROM clinic_sessions WHERE token_hash = ?", [token_hash(token)])


def end_sessions(db, staff_id) -> int:
    return db.execute("DELETE FROM clinic_sessions WHERE staff_id = ?", [staff_id]).rowcount

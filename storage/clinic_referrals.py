"""Referrals a patient sent to one clinic's workspace (not the anonymous summary links of
storage.referrals). One row per patient and clinic; the clinic sets its status.

The patient's code (`patient_code`, e.g. "K7QM-3XTA") is what the patient shows at the desk and
what the workspace finds them by: the same on every row of one patient, unique among patients,
8 characters of an alphabet without 0/O or 1/I, read aloud without doubt. It is an HMAC of the
LINE id with this installation's key (storage.files' user-key file, a purpose of its own), so
nobody derives it from a LINE id, and it says nothing of the id."""

import hashlib
import hmac
import re
import secrets
import unicodedata

from storage import files
from storage.db import now_iso

STATUSES = ("new", "contacted", "seen")
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32: no 0/O, no 1/I
CODE_CHARS = 8
CODE = re.compile(f"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}")
# Dashes a patient or a keyboard may type between the halves (after NFKC).
_DASHES = re.compile(r"[\s\-‐‑‒–—―−ーｰ_.]")


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


def derive_code(key_dir, user_id, attempt=0) -> str:
    """The patient's code from their LINE id and the installation's key (attempt > 0: the next
    candidate, should an earlier one belong to another patient)."""
    mac = hmac.new(files._secret(key_dir), f"adai-patient-code:{attempt}:{user_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(mac[:5], "big")  # 40 bits, 5 per character
    chars = "".join(CODE_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))
    return chars[:4] + "-" + chars[4:]


def code_of(db, user_id) -> str | None:
    """The code already on one of the patient's rows, if any."""
    row = db.execute("SELECT patient_code FROM clinic_referrals WHERE user_id = ? AND patient_code IS NOT NULL"
                     " LIMIT 1", [user_id]).fetchone()
    return row[0] if row else None


def ensure_code(db, key_dir, user_id) -> str | None:
    """The patient's code, given to every row of theirs that lacks it; None when they share
    with no clinic (the code exists only for a clinic to find them by)."""
    if not db.execute("SELECT 1 FROM clinic_referrals WHERE user_id = ? LIMIT 1", [user_id]).fetchone():
        return None
    code = code_of(db, user_id)
    attempt = 0
    while code is None:
        candidate = derive_code(key_dir, user_id, attempt)
        taken = db.execute("SELECT 1 FROM clinic_referrals WHERE patient_code = ? AND user_id <> ? LIMIT 1",
                           [candidate, user_id]).fetchone()
        code, attempt = (None if taken else candidate), attempt + 1
    db.execute("UPDATE clinic_referrals SET patient_code = ? WHERE user_id = ? AND patient_code IS NULL",
               [code, user_id])
    return code


def fill_codes(db, key_dir) -> int:
    """Codes for rows shared before codes existed (or by code that had no key at hand)."""
    users = [row[0] for row in db.execute("SELECT DISTINCT user_id FROM clinic_referrals WHERE patient_code IS NULL")]
    for user_id in users:
        ensure_code(db, key_dir, user_id)
    return len(users)


def normal_code(text) -> str | None:
    """What someone typed as a code ("k7qm 3xta", full-width, any dash), as stored; None if it
    cannot be one."""
    chars = _DASHES.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    code = chars[:4] + "-" + chars[4:]
    return code if len(chars) == CODE_CHARS and CODE.fullmatch(code) else None


def by_code(db, clinic_id, text) -> dict | None:
    """This clinic's referral of the patient with that code (None for another clinic's)."""
    code = normal_code(text)
    if code is None:
        return None
    rows = list(db.query(LIVE + " AND r.patient_code = ?", [clinic_id, code]))
    return rows[0] if rows else None


def stop_sharing(db, user_id) -> int:
    return db.execute("DELETE FROM clinic_referrals WHERE user_id = ?", [user_id]).rowcount


# Referrals of patients who still keep records (a withdrawn patient's rows are gone anyway).
LIVE = ("SELECT r.* FROM clinic_referrals r JOIN consents c ON c.user_id = r.user_id AND c.state = 'given'"
        " WHERE r.clinic_id = ?")


def for_clinic(db, clinic_id, limit: int | None = None, offset: int = 0) -> list[dict]:
    """The clinic's referrals, newest first (a page of them with `limit` and `offset`)."""
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return list(db.query(LIVE + " ORDER BY r.created_at DESC, r.referral_id" + page, [clinic_id]))


# The level of the patient's newest result (bot.domain.triage's RANKS), beside each referral.
LISTED = ("SELECT * FROM (SELECT r.*, (SELECT a.level FROM assessments a WHERE a.user_id = r.user_id"
          " ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS latest_level FROM (" + LIVE + ") AS r) AS listed"
          " WHERE 1 = 1")
SAME_DAY = "urgent"


def _filters(status, level) -> tuple[str, list]:
    sql, params = "", []
    if status:
        sql, params = sql + " AND status = ?", params + [status]
    if level:
        sql, params = sql + " AND latest_level = ?", params + [level]
    return sql, params


def listed(db, clinic_id, status=None, level=None, limit: int | None = None, offset: int = 0) -> list[dict]:
    """The list a clinic works through: same-day (urgent) cases not yet seen first, then the
    newest shares; only `status` and the newest result's `level` when given; a page of it."""
    where, params = _filters(status, level)
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    order = (f" ORDER BY CASE WHEN latest_level = '{SAME_DAY}' AND status <> 'seen' THEN 0 ELSE 1 END,"
             " created_at DESC, referral_id")
    return list(db.query(LISTED + where + order + page, [clinic_id, *params]))


def count_for_clinic(db, clinic_id, status=None, level=None) -> int:
    where, params = _filters(status, level)
    return db.execute("SELECT count(*) FROM (" + LISTED + where + ") AS counted", [clinic_id, *params]).fetchone()[0]


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

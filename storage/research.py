"""Whether a patient lets clinicians of the clinics they share with label their photos for
research (better models). Separate from the consent to keep records (storage.consent): asked
once, opt-in, revocable. Withdrawing drops their labels and marks at once, so their photos leave
the labelling queue and every later export (storage.clinic_labels, storage.datasets)."""

from storage import files
from storage.db import now_iso, transaction

ASKED, GIVEN, DECLINED, WITHDRAWN = "asked", "given", "declined", "withdrawn"
# A research answer counts only while records are kept: the photos live there.
GIVEN_SQL = ("SELECT r.user_id FROM research_consents r JOIN consents c ON c.user_id = r.user_id"
             " AND c.state = 'given' WHERE r.state = 'given'")


def state(db, user_id) -> str | None:
    row = db.execute("SELECT state FROM research_consents WHERE user_id = ?", [user_id]).fetchone()
    return row[0] if row else None


def given(db, user_id) -> bool:
    return state(db, user_id) == GIVEN


def mark_asked(db, user_id, now) -> bool:
    """Remember that the question was put (it is put once); False if it already was."""
    cursor = db.execute(
        "INSERT INTO research_consents (user_id, state, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO NOTHING", [user_id, ASKED, now_iso(now)])
    return cursor.rowcount == 1


def record(db, user_id, answer, now, data_dir=None):
    """GIVEN, DECLINED or WITHDRAWN. Anything but GIVEN removes the patient's labels, their
    masks (in the patient's folder, under data_dir) and their place in recorded exports."""
    stamp = now_iso(now)
    with transaction(db) as conn:
        conn.execute(
            "INSERT INTO research_consents (user_id, state, created_at, decided_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, decided_at = excluded.decided_at",
            [user_id, answer, stamp, stamp])
        masks = [] if answer == GIVEN else [row[0] for row in conn.execute(
            "SELECT mask_ref FROM clinic_labels WHERE user_id = ? AND mask_ref IS NOT NULL", [user_id])]
        if answer != GIVEN:
            conn.execute("DELETE FROM clinic_labels WHERE user_id = ?", [user_id])
            conn.execute("DELETE FROM dataset_export_items WHERE user_id = ?", [user_id])
    if data_dir is not None:
        folder = files.user_dir(data_dir, user_id)
        for ref in masks:
            (folder / mask_file(ref)).unlink(missing_ok=True)


def mask_file(ref: str) -> str:
    """A label's mask in the patient's folder (removed with it by storage.users.forget)."""
    return f"mask-{ref}.png"

"""Which photos each dataset export holds (`python -m models dataset export`): one row per
export and per photo in it, under the random id the photo has in the export folder. A patient
who withdraws loses their item rows (storage.research, storage.users.forget), which is how
`dataset purge-withdrawn` knows what to remove from a folder."""

import secrets

from storage.db import now_iso, transaction


def record(db, now, clinic_id, items: list[tuple[str, str, int]]) -> str:
    """items: (item_id, user_id, assessment_id). Returns the export id."""
    export_id = "x" + secrets.token_hex(8)
    stamp = now_iso(now)
    with transaction(db) as conn:
        conn.execute("INSERT INTO dataset_exports (export_id, made_at, clinic_id, photos) VALUES (?, ?, ?, ?)",
                     [export_id, stamp, clinic_id, len(items)])
        for item_id, user_id, assessment_id in items:
            conn.execute("INSERT INTO dataset_export_items (item_id, export_id, user_id, assessment_id, created_at)"
                         " VALUES (?, ?, ?, ?, ?)", [item_id, export_id, user_id, assessment_id, stamp])
    return export_id


def still_consented(db, export_id) -> set[str]:
    """Item ids of the export whose patients still agree to research use."""
    return {row[0] for row in db.execute(
        "SELECT i.item_id FROM dataset_export_items i JOIN research_consents r ON r.user_id = i.user_id"
        " AND r.state = 'given' JOIN consents c ON c.user_id = i.user_id AND c.state = 'given'"
        " WHERE i.export_id = ?", [export_id])}


def get(db, export_id) -> dict | None:
    rows = list(db.query("SELECT * FROM dataset_exports WHERE export_id = ?", [export_id]))
    return rows[0] if rows else None

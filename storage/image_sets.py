"""Parts of a multi-photo message (LINE's imageSet) until every part has arrived."""

from storage.db import now_iso, transaction


def add_part(db, image_set: dict, message_id, user_id, now) -> list[str] | None:
    """Record one part; when the set is complete, return every message id in order, else
    None. The caller calls `finish` once the photos are handled (a crash in between
    replays the event and finds the set complete again)."""
    set_id, total = str(image_set["id"]), int(image_set.get("total", 1))
    with transaction(db) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO image_set_parts (set_id, idx, total, message_id, user_id, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [set_id, int(image_set.get("index", 1)), total, str(message_id), user_id, now_iso(now)],
        )
        rows = conn.execute(
            "SELECT message_id FROM image_set_parts WHERE set_id = ? ORDER BY idx", [set_id]
        ).fetchall()
    if len(rows) < total:
        return None
    return [r[0] for r in rows]


def finish(db, image_set: dict):
    db.execute("DELETE FROM image_set_parts WHERE set_id = ?", [str(image_set["id"])])

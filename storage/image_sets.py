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


def parts(db, set_id) -> list[str]:
    """Message ids of the parts of a set that arrived, in order."""
    rows = db.execute(
        "SELECT message_id FROM image_set_parts WHERE set_id = ? ORDER BY idx", [str(set_id)]
    ).fetchall()
    return [r[0] for r in rows]


def stale(db, before) -> list[dict]:
    """Sets whose newest part arrived before `before` (the rest never came): dicts with
    set_id, user_id, total, last_part_at."""
    rows = db.execute(
        "SELECT set_id, min(user_id), max(total), max(received_at) FROM image_set_parts"
        " GROUP BY set_id HAVING max(received_at) < ?",
        [now_iso(before)],
    ).fetchall()
    return [{"set_id": r[0], "user_id": r[1], "total": r[2], "last_part_at": r[3]} for r in rows]

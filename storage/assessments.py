"""Stored photo results (only for users who consented): what the model said, the triage
level, red-flag answers, and the names of the photo and overlay files in the user's folder."""

import json

from storage.db import now_iso


def add(db, user_id, now, result: dict, triage, photos=1, photo_ref=None, overlay_ref=None) -> int:
    """result: Assessment.to_dict(); triage: bot.domain.triage.Triage. Returns the new id.
    The model set's version (result["models"]["version"], bot/engine/model_sets.py) is kept
    as model_version."""
    cursor = db.execute(
        "INSERT INTO assessments (user_id, created_at, photos, quality, probabilities, top, p_not_ad,"
        " skin_fraction, lesion_fraction, level, finding, image_level, flags, models, validated,"
        " photo_ref, overlay_ref, finding_source, model_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            user_id, now_iso(now), photos, result["quality"], json.dumps(result.get("probabilities") or {}),
            result.get("top"), result.get("p_not_ad"), result.get("skin_fraction"),
            result.get("lesion_fraction"), triage.level, triage.finding, triage.image_level, None,
            json.dumps(result.get("models") or {}), int(bool((result.get("models") or {}).get("validated"))),
            photo_ref, overlay_ref, triage.finding_source, (result.get("models") or {}).get("version"),
        ],
    )
    return cursor.lastrowid


def get(db, user_id, assessment_id) -> dict | None:
    """The assessment only if it belongs to user_id (ids come back in postbacks)."""
    rows = list(db.query("SELECT * FROM assessments WHERE id = ? AND user_id = ?", [assessment_id, user_id]))
    return _decoded(rows[0]) if rows else None


def set_flags(db, user_id, assessment_id, answers: dict, level: str, finding: str,
              finding_source: str | None = None) -> bool:
    cursor = db.execute(
        "UPDATE assessments SET flags = ?, level = ?, finding = ?,"
        " finding_source = COALESCE(?, finding_source) WHERE id = ? AND user_id = ?",
        [json.dumps(answers, sort_keys=True), level, finding, finding_source, assessment_id, user_id],
    )
    return cursor.rowcount == 1


def recent(db, user_id, limit=5) -> list[dict]:
    rows = db.query(
        "SELECT * FROM assessments WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        [user_id, limit],
    )
    return [_decoded(row) for row in rows]


def older_than(db, cutoff_iso) -> list[dict]:
    """Assessments past the retention period (the purge removes them and their files)."""
    return [_decoded(row) for row in db.query("SELECT * FROM assessments WHERE created_at < ?", [cutoff_iso])]


def _decoded(row: dict) -> dict:
    row = dict(row)
    row["probabilities"] = json.loads(row["probabilities"])
    row["models"] = json.loads(row["models"])
    row["flags"] = json.loads(row["flags"]) if row["flags"] else None
    return row

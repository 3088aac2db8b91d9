"""POEM check-ins: one row per user and ISO week (the user's wall clock). `answers` holds the
questionnaire in progress; score/band/completed_at hold the last completed one of that week, so
answering again in the same week replaces the score instead of adding a second row."""

import json

from storage.db import now_iso

QUESTIONS = 7


def get(db, user_id, week) -> dict | None:
    rows = list(db.query("SELECT * FROM poem_checkins WHERE user_id = ? AND week = ?", [user_id, week]))
    return _decoded(rows[0]) if rows else None


def _decoded(row):
    return {**row, "answers": json.loads(row["answers"])}


def start(db, user_id, week, now) -> dict:
    """The week's row, created blank if missing; a completed one starts a fresh set of answers
    (its score stays until the new set is complete)."""
    stamp = now_iso(now)
    blank = json.dumps([None] * QUESTIONS)
    db.execute(
        "INSERT INTO poem_checkins (user_id, week, answers, started_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, week) DO NOTHING",
        [user_id, week, blank, stamp, stamp],
    )
    row = get(db, user_id, week)
    if all(answer is not None for answer in row["answers"]):
        db.execute(
            "UPDATE poem_checkins SET answers = ?, started_at = ?, updated_at = ? WHERE id = ?",
            [blank, stamp, stamp, row["id"]],
        )
        row = get(db, user_id, week)
    return row


def in_progress(db, user_id) -> dict | None:
    """The most recent questionnaire with at least one question still open."""
    for row in db.query(
        "SELECT * FROM poem_checkins WHERE user_id = ? ORDER BY updated_at DESC LIMIT 3", [user_id]
    ):
        row = _decoded(row)
        if any(answer is None for answer in row["answers"]):
            return row
    return None


def by_id(db, checkin_id) -> dict | None:
    rows = list(db.query("SELECT * FROM poem_checkins WHERE id = ?", [checkin_id]))
    return _decoded(rows[0]) if rows else None


def answer(db, checkin_id, question, value, now) -> dict:
    row = by_id(db, checkin_id)
    answers = row["answers"]
    answers[question] = value
    db.execute("UPDATE poem_checkins SET answers = ?, updated_at = ? WHERE id = ?",
               [json.dumps(answers), now_iso(now), checkin_id])
    return {**row, "answers": answers}


def complete(db, checkin_id, score, band, now):
    db.execute(
        "UPDATE poem_checkins SET score = ?, band = ?, completed_at = ?, updated_at = ? WHERE id = ?",
        [score, band, now_iso(now), now_iso(now), checkin_id],
    )


def history(db, user_id) -> list[dict]:
    """Completed check-ins, oldest first."""
    return [_decoded(row) for row in db.query(
        "SELECT * FROM poem_checkins WHERE user_id = ? AND score IS NOT NULL ORDER BY week",
        [user_id],
    )]


def previous(db, user_id, week) -> dict | None:
    """The last completed check-in of an earlier week."""
    rows = list(db.query(
        "SELECT * FROM poem_checkins WHERE user_id = ? AND week < ? AND score IS NOT NULL"
        " ORDER BY week DESC LIMIT 1", [user_id, week],
    ))
    return _decoded(rows[0]) if rows else None


def last_trend_prompt(db, user_id) -> str | None:
    """When the user was last prompted for a slow trend (ISO instant), or None."""
    row = db.execute("SELECT max(created_at) FROM trend_prompts WHERE user_id = ?", [user_id]).fetchone()
    return row[0] if row else None


def add_trend_prompt(db, user_id, now, first_score, last_score):
    db.execute("INSERT INTO trend_prompts (user_id, created_at, first_score, last_score) VALUES (?, ?, ?, ?)",
               [user_id, now_iso(now), first_score, last_score])

"""Schema as an ordered list of steps. Features append their own numbered steps here;
never edit a step that has shipped (databases in the field have already run it)."""

import json
from datetime import datetime, timezone

from storage.base import now_iso, shared, transaction
from storage.lanes import lane_key
from storage.workspace_schema import device_tables, referral_codes, workspace_tables


def users_table(db):
    db.execute(
        """CREATE TABLE users (
            user_id TEXT PRIMARY KEY,
            lang TEXT NOT NULL DEFAULT 'ja',
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )


def inbox_table(db):
    # No user_id column: the body (which holds it) is dropped once the event is handled.
    db.execute(
        """CREATE TABLE inbox (
            event_id TEXT PRIMARY KEY,
            body TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            received_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            handled_at TEXT
        )"""
    )
    db.execute("CREATE INDEX inbox_pending ON inbox (state, next_attempt_at)")
    db.execute("CREATE INDEX inbox_handled ON inbox (handled_at)")


def sent_table(db):
    # One row per message batch the bot sent or is sending; lets a replayed event skip
    # what already went out (exactly once across crashes).
    db.execute(
        """CREATE TABLE sent (
            key TEXT PRIMARY KEY,
            user_id TEXT,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            messages INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )"""
    )
    db.execute("CREATE INDEX sent_user ON sent (user_id)")
    db.execute("CREATE INDEX sent_created ON sent (created_at)")


def image_sets_table(db):
    # Parts of a multi-photo message (imageSet) until the last part arrives; ids only, no bytes.
    db.execute(
        """CREATE TABLE image_set_parts (
            set_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            total INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (set_id, idx)
        )"""
    )


# --- follow-up (issue 6): reminders, POEM check-ins, doctor-summary links -----------------

def reminders_tables(db):
    # One check-in and at most one follow-up per user; next_due_at is ISO UTC (now_iso), the
    # wall clock lives in tz/weekday/local_time. reminder_sends records each (reminder, due
    # time) once: the claim that keeps two dispatchers from sending the same reminder.
    db.execute(
        """CREATE TABLE reminders (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            tz TEXT NOT NULL DEFAULT 'Asia/Tokyo',
            weekday INTEGER,
            local_time TEXT,
            quiet_ok INTEGER NOT NULL DEFAULT 0,
            next_due_at TEXT,
            paused_until TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (user_id, kind)
        )"""
    )
    db.execute("CREATE INDEX reminders_due ON reminders (state, next_due_at)")
    db.execute(
        """CREATE TABLE reminder_sends (
            reminder_id INTEGER NOT NULL,
            due_at TEXT NOT NULL,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            PRIMARY KEY (reminder_id, due_at)
        )"""
    )
    db.execute("CREATE INDEX reminder_sends_pending ON reminder_sends (state, created_at)")


def poem_table(db):
    db.execute(
        """CREATE TABLE poem_checkins (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id TEXT NOT NULL,
            week TEXT NOT NULL,
            answers TEXT NOT NULL,
            score INTEGER,
            band TEXT,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            completed_at TEXT,
            UNIQUE (user_id, week)
        )"""
    )


def referrals_table(db):
    db.execute(
        """CREATE TABLE referrals (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT
        )"""
    )
    db.execute("CREATE INDEX referrals_user ON referrals (user_id)")


def consents_table(db):
    db.execute(
        """CREATE TABLE consents (
            user_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            decided_at TEXT NOT NULL
        )"""
    )


def assessments_table(db):
    db.execute(
        """CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            photos INTEGER NOT NULL DEFAULT 1,
            quality TEXT NOT NULL,
            probabilities TEXT NOT NULL,
            top TEXT,
            p_not_ad REAL,
            skin_fraction REAL,
            lesion_fraction REAL,
            level TEXT NOT NULL,
            finding TEXT NOT NULL,
            image_level TEXT NOT NULL,
            flags TEXT,
            models TEXT NOT NULL,
            validated INTEGER NOT NULL,
            photo_ref TEXT,
            overlay_ref TEXT
        )"""
    )
    db.execute("CREATE INDEX assessments_user ON assessments (user_id, created_at)")


def reminders_source(db):
    # Which result (assessment id and level) a follow-up was scheduled for, so re-reading the
    # same result never schedules it twice.
    db.execute("ALTER TABLE reminders ADD COLUMN source TEXT")


def inbox_lanes(db):
    # The worker runs several lanes; each user's events stay in one lane (bot/engine/worker.py).
    db.execute("ALTER TABLE inbox ADD COLUMN lane_key INTEGER NOT NULL DEFAULT 0")
    for event_id, body in db.execute("SELECT event_id, body FROM inbox WHERE body IS NOT NULL").fetchall():
        try:
            event = json.loads(body)
        except ValueError:
            continue
        if isinstance(event, dict):
            db.execute("UPDATE inbox SET lane_key = ? WHERE event_id = ?", [lane_key(event), event_id])


def assessments_finding_source(db):
    # Shadow mode: whether a result's finding came from the photo or from the patient's answers
    # (a clinician must never read an answer as the AI's finding). Older rows: the photo's.
    db.execute("ALTER TABLE assessments ADD COLUMN finding_source TEXT NOT NULL DEFAULT 'image'")


def trend_prompts_table(db):
    # Slow red flag (CLINICAL.md): check-ins over 4 weeks without improvement prompt a
    # dermatologist once per episode; a row per prompt sent (health data: retention covers it).
    db.execute(
        """CREATE TABLE trend_prompts (
            id INTEGER PRIMARY KEY,
            user_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            first_score INTEGER,
            last_score INTEGER
        )"""
    )
    db.execute("CREATE INDEX trend_prompts_user ON trend_prompts (user_id, created_at)")


def assessments_model_version(db):
    # Which installed model set made each result (inference/versions.py: the short sha256 of its
    # manifest); older rows: NULL, made before versions were recorded.
    db.execute("ALTER TABLE assessments ADD COLUMN model_version TEXT")


def nodes_table(db):
    # The processes answering photos and the model version each answers with (storage/nodes.py):
    # a fleet's convergence on a newly installed version is read here. No user data.
    db.execute(
        """CREATE TABLE nodes (
            node TEXT PRIMARY KEY,
            model_version TEXT,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )


def users_lang_chosen(db):
    # 1: the user chose the language ("language"); 0: it follows their LINE profile (issue 25).
    db.execute("ALTER TABLE users ADD COLUMN lang_chosen INTEGER NOT NULL DEFAULT 0")


MIGRATIONS = [
    ("0001_users", users_table),
    ("0002_inbox", inbox_table),
    ("0003_sent", sent_table),
    ("0004_image_sets", image_sets_table),
    ("0501_consents", consents_table),
    ("0502_assessments", assessments_table),
    ("0601_reminders", reminders_tables),
    ("0602_poem", poem_table),
    ("0603_referrals", referrals_table),
    ("0604_reminders_source", reminders_source),
    ("0701_inbox_lanes", inbox_lanes),
    ("1101_clinic_workspace", workspace_tables),
    ("1102_clinic_devices", device_tables),
    ("2001_assessments_finding_source", assessments_finding_source),
    ("2002_trend_prompts", trend_prompts_table),
    ("2201_assessments_model_version", assessments_model_version),
    ("2501_users_lang_chosen", users_lang_chosen),
    ("2202_nodes", nodes_table),
    ("2601_clinic_referrals_patient_code", referral_codes),
]


MIGRATION_LOCK = (0x61646169, 1)  # PostgreSQL advisory lock ("adai", 1): one migrator at a time


def migrate(db, migrations=None):
    """Apply every step not yet applied, each in its own transaction; safe to race: SQLite's
    BEGIN IMMEDIATE serialises the steps, on PostgreSQL an advisory lock serialises whole runs
    (processes of a fleet starting at once), and DDL is transactional on both."""
    migrations = MIGRATIONS if migrations is None else migrations
    if shared(db):
        with db.locked(*MIGRATION_LOCK):
            _apply(db, migrations)
    else:
        _apply(db, migrations)


def _apply(db, migrations):
    db.execute("CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT id FROM migrations").fetchall()}
    for step_id, step in migrations:
        if step_id in done:
            continue
        with transaction(db) as conn:
            if conn.execute("SELECT 1 FROM migrations WHERE id = ?", [step_id]).fetchone():
                continue
            step(db)
            conn.execute("INSERT INTO migrations (id, applied_at) VALUES (?, ?)",
                         [step_id, now_iso(datetime.now(timezone.utc))])

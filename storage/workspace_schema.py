"""Tables of the clinic workspace (issue 11), one migration step (storage/migrations.py).

Portable SQL only (TEXT and INTEGER, random TEXT ids, ISO text times): the same DDL runs on
SQLite and PostgreSQL. Tables holding a patient's data have a `user_id` and a `created_at`
column, so "delete my data" (storage.users.forget) and retention (storage.retention) cover
them without edits. Staff tables never have a `user_id` column: staff are not patients.
"""

TABLES = (
    # Research use of a patient's photos, apart from the consent to keep records.
    # state: asked | given | declined | withdrawn.
    """CREATE TABLE research_consents (
        user_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        decided_at TEXT
    )""",
    # A patient's choice to share their record with one clinic; status set by the clinic.
    """CREATE TABLE clinic_referrals (
        referral_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        clinic_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        status_at TEXT,
        UNIQUE (user_id, clinic_id)
    )""",
    "CREATE INDEX clinic_referrals_clinic ON clinic_referrals (clinic_id, created_at)",
    """CREATE TABLE clinic_staff (
        staff_id TEXT PRIMARY KEY,
        clinic_id TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        password_hash TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        made_at TEXT NOT NULL
    )""",
    # One-time sign-in links and sessions: only a hash of each token is kept.
    """CREATE TABLE clinic_setup_links (
        token_hash TEXT PRIMARY KEY,
        staff_id TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    """CREATE TABLE clinic_sessions (
        token_hash TEXT PRIMARY KEY,
        staff_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        seen_at TEXT NOT NULL
    )""",
    # Who looked at which photo, labelled it or exported photos (subject: an assessment or
    # export id, never a LINE id).
    """CREATE TABLE clinic_audit (
        entry_id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        staff_id TEXT,
        clinic_id TEXT,
        action TEXT NOT NULL,
        subject TEXT
    )""",
    "CREATE INDEX clinic_audit_at ON clinic_audit (at)",
    """CREATE TABLE clinic_labels (
        label_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        assessment_id INTEGER NOT NULL,
        clinic_id TEXT NOT NULL,
        staff_id TEXT NOT NULL,
        diagnosis TEXT NOT NULL,
        mask_ref TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (assessment_id, staff_id)
    )""",
    "CREATE INDEX clinic_labels_clinic ON clinic_labels (clinic_id, assessment_id)",
    # Which photos each dataset export holds (item_id: the random id in the export folder).
    """CREATE TABLE dataset_exports (
        export_id TEXT PRIMARY KEY,
        made_at TEXT NOT NULL,
        clinic_id TEXT,
        photos INTEGER NOT NULL
    )""",
    """CREATE TABLE dataset_export_items (
        item_id TEXT PRIMARY KEY,
        export_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        assessment_id INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""",
)


def workspace_tables(db):
    for statement in TABLES:
        db.execute(statement)


# Browsers a staff member has signed in from (a device cookie holds the token; only its hash
# is kept). Failed sign-ins from such a browser count here, not on the account, so a stranger
# who locks the account by guessing does not lock out its owner's browser.
DEVICE_TABLES = (
    """CREATE TABLE clinic_devices (
        token_hash TEXT PRIMARY KEY,
        staff_id TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        made_at TEXT NOT NULL
    )""",
    "CREATE INDEX clinic_devices_staff ON clinic_devices (staff_id)",
)


def device_tables(db):
    for statement in DEVICE_TABLES:
        db.execute(statement)


def referral_codes(db):
    # The code a patient shows at the desk (storage.clinic_referrals: the same on every row of one
    # patient); rows shared before this step get theirs when the workspace next lists them.
    db.execute("ALTER TABLE clinic_referrals ADD COLUMN patient_code TEXT")
    db.execute("CREATE INDEX clinic_referrals_code ON clinic_referrals (patient_code)")

"""Schema as an ordered list of steps. Features append their own numbered steps here;
never edit a step that has shipped (databases in the field have already run it)."""


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


MIGRATIONS = [
    ("0001_users", users_table),
    ("0002_inbox", inbox_table),
    ("0003_sent", sent_table),
    ("0004_image_sets", image_sets_table),
]


def migrate(db, migrations=None):
    """Apply every step not yet applied, each in its own transaction; safe to race."""
    migrations = MIGRATIONS if migrations is None else migrations
    db.execute("CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT id FROM migrations").fetchall()}
    for step_id, step in migrations:
        if step_id in done:
            continue
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM migrations WHERE id = ?", [step_id]).fetchone():
                conn.execute("ROLLBACK")
                continue
            step(db)
            conn.execute(
                "INSERT INTO migrations (id, applied_at) VALUES (?, datetime('now'))", [step_id]
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

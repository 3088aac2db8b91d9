"""Open the SQLite database the way every part of the bot expects it."""

from datetime import timezone
from pathlib import Path

import os
import sqlite3
import time

import sqlite_utils

from storage import files
from storage.migrations import migrate

BUSY_TIMEOUT_MS = 10_000
# FULL: an event we acknowledged survives a power cut too (LINE will not redeliver it).
# NORMAL would halve ack latency but only survive process crashes (see make bench).
SYNCHRONOUS = "FULL"
# The inbox worker's own connections may skip the fsync: in WAL mode a power cut can only
# lose a *suffix* of commits, and every write made while handling an event comes before that
# event's `inbox.finish`; so whatever is lost, the event is still pending and is handled again
# (the next FULL commit, e.g. any ack, makes every earlier frame durable too). The acked event
# itself was stored with FULL. Cost of a power cut: possibly a repeated answer, never a lost one.
WORKER_SYNCHRONOUS = "NORMAL"


def open_db(path, migrate_schema=True) -> sqlite_utils.Database:
    """One connection (use it from one thread only), WAL, secure_delete, migrations applied.

    WAL lets the webhook write while the worker reads; secure_delete zeroes freed pages so
    that deleted health data leaves no bytes behind; synchronous=FULL so an acknowledged
    event survives a power cut as well as a crash.
    """
    if str(path) != ":memory:":
        files.private_mkdir(Path(path).parent)
        # The owner's only: SQLite gives -wal and -shm the database file's mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _set_wal(conn)
    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if migrate_schema:
        migrate(db)
    return db


def _set_wal(conn):
    """Switch to WAL. On a new file raced by other openers SQLite can answer 'database is
    locked' at once, without waiting on busy_timeout, so wait here (up to that timeout)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def for_worker(db) -> sqlite_utils.Database:
    """Set a worker thread's own connection to WORKER_SYNCHRONOUS (see above)."""
    db.execute(f"PRAGMA synchronous = {WORKER_SYNCHRONOUS}")
    return db


def now_iso(clock_now) -> str:
    """Timestamps are stored as ISO 8601 UTC strings so that they sort as text (an aware
    datetime in another zone is converted first, or its text would sort wrongly)."""
    return clock_now.astimezone(timezone.utc).isoformat(timespec="milliseconds")


class transaction:
    """`with transaction(db):` — BEGIN IMMEDIATE … COMMIT (ROLLBACK on error).

    The connection runs in autocommit mode, so multi-statement changes say so explicitly.
    """

    def __init__(self, db):
        self.conn = db.conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False

"""Open the database the way every part of the bot expects it: SQLite (a file, the default) or
PostgreSQL (a `postgresql://` URL: a fleet of processes on one server, storage/pg.py)."""

from pathlib import Path

import os
import sqlite3
import time

import sqlite_utils

from storage import files
from storage.base import (  # noqa: F401 — re-exported: storage.db is where callers find them
    POSTGRES_SCHEMES, DatabaseUnavailable, StatementFailed, is_url, now_iso, shared, transaction)
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


def open_db(path, migrate_schema=True):
    """A PostgreSQL URL: storage.pg.PgDatabase (the same API), migrations applied. Else a file:"""
    if is_url(path):
        # Function-level on purpose: psycopg (0.3 s to import) only where PostgreSQL is used.
        from storage.pg import PgDatabase

        db = PgDatabase(str(path))
        if migrate_schema:
            migrate(db)
        return db
    return _open_sqlite(path, migrate_schema)


def _open_sqlite(path, migrate_schema=True) -> sqlite_utils.Database:
    """One connection (use it from one thread only), WAL, secure_delete, migrations applied.

    WAL lets the webhook write while the worker reads; secure_delete zeroes freed pages so
    that deleted health data leaves no bytes behind; synchronous=FULL so an acknowledged
    event survives a power cut as well as a crash.
    """
    if str(path) != ":memory:":
        files.private_mkdir(Path(path).parent)
        # The owner's only: SQLite gives -wal and -shm the database file's mode.
        _create_private(path)
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


def _create_private(path):
    """Create the file 0600 if it is not there. Never open and close a descriptor of an existing
    database: closing any descriptor drops every POSIX lock this process holds on the file, and
    another process closing its last connection (a CLI beside the server) would then take the
    database for unused, checkpoint and delete the WAL that this process still writes to."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


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


def for_worker(db):
    """Set a worker thread's own connection to WORKER_SYNCHRONOUS (see above). PostgreSQL's
    asynchronous commit is the same trade: a server crash loses a suffix of the WAL, and the
    acknowledged event was committed synchronously by the web node."""
    if shared(db):
        db.set_session("SET synchronous_commit TO off")
    else:
        db.execute(f"PRAGMA synchronous = {WORKER_SYNCHRONOUS}")
    return db


def checkpoint(db):
    """After deleting health data: empty SQLite's WAL so no old page image outlives the rows.
    (PostgreSQL recycles its WAL by itself; see DEPLOY.md.)"""
    if not shared(db):
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def compact(db, tables=()):
    """Rewrite the storage so freed space goes away: SQLite's VACUUM rewrites the file (with
    secure_delete the freed pages are zeroed too). PostgreSQL: VACUUM the tables, which prunes
    the deleted row versions without blocking the fleet (VACUUM FULL would lock each table)."""
    if shared(db):
        for table in tables:
            db.execute(f'VACUUM "{table}"')
        return
    checkpoint(db)
    db.execute("VACUUM")
    checkpoint(db)

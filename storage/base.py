"""What every storage module shares and the database's openers build on: the failures, which
backend a handle is, timestamps, transactions. It imports none of our modules, so storage.db
(the opener) can import storage.migrations and storage.pg, which import this, without a cycle
(.importlinter keeps it so)."""

from datetime import timezone

import sqlite_utils

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class DatabaseUnavailable(RuntimeError):
    """The database server could not be reached, or the connection broke during a statement
    (PostgreSQL; storage/pg.py raises it). The webhook answers 503, the worker waits."""


class StatementFailed(RuntimeError):
    """PostgreSQL refused a statement (a constraint, a bug). Only the first line of its message
    is kept: the DETAIL line quotes the row's values (user ids), and errors reach the logs."""


def is_url(target) -> bool:
    return str(target).startswith(POSTGRES_SCHEMES)


def shared(db) -> bool:
    """True on PostgreSQL: other processes (web nodes, workers) use the same database."""
    return not isinstance(db, sqlite_utils.Database)


def now_iso(clock_now) -> str:
    """Timestamps are stored as ISO 8601 UTC strings so that they sort as text (an aware
    datetime in another zone is converted first, or its text would sort wrongly)."""
    return clock_now.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def transaction(db):
    """`with transaction(db) as conn:` — BEGIN … COMMIT (ROLLBACK on error); conn.execute and
    conn.executemany run inside it. The connections run in autocommit mode, so multi-statement
    changes say so explicitly."""
    return db.transaction() if shared(db) else _SqliteTransaction(db)


class _SqliteTransaction:
    """BEGIN IMMEDIATE: take the write lock now, not at the first write (no upgrade deadlock)."""

    def __init__(self, db):
        self.conn = db.conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False

"""Retention: a user's health data older than the period we promised is deleted.

Generic like storage.users.forget: every table with a user_id column holds health data
(results, POEM answers, referral links, what a later feature adds) except the account state
in ACCOUNT_TABLES, which lives as long as the user does. A row's age is its first column
named in AGE_COLUMNS; a health table without one is an error, never silently kept.
"""

from storage.db import checkpoint, now_iso, transaction
from storage.users import tables_with_user_id

# Who the user is, their consent answer and their reminder settings: not health data, and
# needed for as long as they use the bot (deleted by "delete my data").
ACCOUNT_TABLES = ("users", "consents", "reminders")
AGE_COLUMNS = ("created_at", "started_at", "received_at")


class NoAgeColumn(LookupError):
    """A table with a user_id column has none of AGE_COLUMNS, so its rows cannot expire."""


def age_column(db, table) -> str:
    columns = {c.name for c in db[table].columns}
    for name in AGE_COLUMNS:
        if name in columns:
            return name
    raise NoAgeColumn(f"{table} has a user_id but none of {AGE_COLUMNS}")


def health_tables(db) -> dict[str, str]:
    """Table -> the column that dates its rows, for every table retention covers."""
    return {name: age_column(db, name) for name in tables_with_user_id(db) if name not in ACCOUNT_TABLES}


def purge(db, cutoff) -> dict[str, int]:
    """Delete every health row dated before cutoff (an aware datetime), in one transaction;
    then empty the WAL so no old page image outlives the rows. Returns rows per table."""
    tables = health_tables(db)
    deleted = {}
    with transaction(db) as conn:
        for name, column in tables.items():
            count = conn.execute(f"DELETE FROM [{name}] WHERE [{column}] < ?", [now_iso(cutoff)]).rowcount
            if count:
                deleted[name] = count
    if deleted:
        checkpoint(db)
    return deleted

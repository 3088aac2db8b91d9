"""What the bot keeps, as raw as a test can see it, on either backend: SQLite's database file and
its WAL as they lie on disk; on PostgreSQL every row of every table as text (the server's own
files are not the bot's to read: DEPLOY.md says what stays there after a deletion)."""

from pathlib import Path

from storage.db import checkpoint


def database_bytes(settings, db) -> bytes:
    if settings.database_url:
        return "\n".join(repr(row) for table in db.table_names()
                         for row in db.query(f'SELECT * FROM "{table}"')).encode()
    return b"".join(path.read_bytes() for path in sorted(Path(settings.data_dir).glob("adai.sqlite3*")))


def everything(settings, db) -> bytes:
    """Every file in the data and media folders and the database (its WAL emptied first)."""
    checkpoint(db)
    folders = {Path(settings.data_dir), Path(settings.files_dir)}
    stored = b"".join(p.read_bytes() for folder in folders for p in folder.rglob("*") if p.is_file())
    return stored + (database_bytes(settings, db) if settings.database_url else b"")

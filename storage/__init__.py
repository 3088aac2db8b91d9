"""Plain functions over a sqlite_utils.Database: db first, dicts out."""

from storage.db import open_db

__all__ = ["open_db"]

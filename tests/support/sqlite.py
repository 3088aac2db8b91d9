"""A second connection holding SQLite's write lock for a while, as another process would."""

import threading

from storage import open_db


class WriteLockHolder(threading.Thread):
    """Another connection (as a second process would) holding SQLite's write lock briefly."""

    def __init__(self, db_path, seconds):
        super().__init__(daemon=True)
        self.db_path, self.seconds = db_path, seconds
        self.locked = threading.Event()

    def run(self):
        other = open_db(self.db_path, migrate_schema=False)
        other.conn.execute("BEGIN IMMEDIATE")
        self.locked.set()
        threading.Event().wait(self.seconds)
        other.conn.execute("COMMIT")
        other.conn.close()

    def __enter__(self):
        self.start()
        assert self.locked.wait(5)
        return self

    def __exit__(self, *exc):
        self.join(5)

"""A command (export, staff add, run-due) opening and closing the database beside a running
server must not take the WAL from under it: reopening the file in the server's process used to
drop the process's POSIX locks, so the command's close deleted a WAL still being written."""

import subprocess
import sys
from pathlib import Path

from storage.db import open_db

ROOT = Path(__file__).resolve().parents[1]


def other_process(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_writes_after_a_command_closed_its_connection_reach_other_processes(tmp_path):
    path = tmp_path / "adai.sqlite3"
    server = open_db(path)
    open_db(path)  # another thread of the server opens its own connection
    other_process(f"from storage.db import open_db; open_db({str(path)!r}).execute('SELECT 1')")
    server.execute("INSERT INTO users (user_id, created_at, updated_at) VALUES ('U1', 'x', 'x')")
    count = other_process(f"import sqlite3; print(sqlite3.connect({str(path)!r}).execute("
                          "'SELECT count(*) FROM users').fetchone()[0])")
    assert count == "1"

"""Per-user folders for stored files (photos, charts). Named by a hash, never the raw id."""

import hashlib
import shutil
from pathlib import Path


def user_key(user_id: str) -> str:
    return hashlib.sha256(b"adai-user-dir:" + user_id.encode()).hexdigest()[:32]


def key_dir(data_dir, key: str) -> Path:
    """The folder of the user whose user_key is key (signed media links carry only the key)."""
    return Path(data_dir) / "users" / key


def user_dir(data_dir, user_id: str, create=False) -> Path:
    path = key_dir(data_dir, user_key(user_id))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def remove_user_dir(data_dir, user_id: str) -> bool:
    path = user_dir(data_dir, user_id)
    if path.exists():
        shutil.rmtree(path)
        return True
    return False


def remove_older_than(data_dir, timestamp: float) -> int:
    """Remove every user file last written before timestamp (retention), and folders left
    empty. Returns how many files."""
    count = 0
    for folder in (Path(data_dir) / "users").glob("*"):
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mtime < timestamp:
                path.unlink(missing_ok=True)
                count += 1
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return count

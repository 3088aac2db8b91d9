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

"""Per-user folders for stored files (photos, charts). Named by a hash, never the raw id.

Health data is the owner's only: folders made here are 0700 and files 0600, whatever the
umask (`private_mkdir`, `write_private`)."""

import hashlib
import os
import shutil
from pathlib import Path


def private_mkdir(path) -> Path:
    """mkdir -p where every folder made is 0700 whatever the umask; folders already there stay."""
    path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    return Path(missing[0]) if missing else path


def write_private(path, data: bytes):
    """Write a file readable by the owner only (0600, also when it was there before)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
    finally:
        os.close(fd)


def user_key(user_id: str) -> str:
    return hashlib.sha256(b"adai-user-dir:" + user_id.encode()).hexdigest()[:32]


def key_dir(data_dir, key: str) -> Path:
    """The folder of the user whose user_key is key (signed media links carry only the key)."""
    return Path(data_dir) / "users" / key


def user_dir(data_dir, user_id: str, create=False) -> Path:
    path = key_dir(data_dir, user_key(user_id))
    if create:
        private_mkdir(path)
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

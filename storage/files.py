"""Per-user folders for stored files (photos, charts). Named by a keyed hash, never the raw id.

The folder name (`user_key`, also what signed media links carry) is an HMAC of the LINE user
id with this installation's secret key (USER_KEY_FILE in the data folder, 32 random bytes,
made once), so whoever knows an id cannot find or link its folder or links. Folders named by
the earlier plain hash are moved once (`migrate_legacy_dirs`).

Health data is the owner's only: folders made here are 0700 and files 0600, whatever the
umask (`private_mkdir`, `write_private`)."""

import hashlib
import hmac
import os
import secrets
import shutil
import threading
import time
from pathlib import Path

USER_KEY_FILE = "user-key.secret"
KEYED_MARK = ".keyed"  # in users/: the folders there are named by the keyed hash
_secrets: dict[str, bytes] = {}
_secrets_lock = threading.Lock()


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


def _secret(data_dir) -> bytes:
    path = Path(data_dir).absolute() / USER_KEY_FILE
    with _secrets_lock:
        if str(path) not in _secrets:
            _secrets[str(path)] = _read_or_make_secret(path)
        return _secrets[str(path)]


def _read_or_make_secret(path: Path) -> bytes:
    private_mkdir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # another process may be writing it this very moment
            data = path.read_bytes()
            if len(data) == 32:
                return data
            time.sleep(0.01)
        raise RuntimeError(f"{path}: not a 32-byte key")
    data = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return data


def user_key(data_dir, user_id: str) -> str:
    """The user's folder name: HMAC-SHA256 of the id with this installation's key (hex, 32)."""
    return hmac.new(_secret(data_dir), b"adai-user-dir:" + user_id.encode(), hashlib.sha256).hexdigest()[:32]


def legacy_user_key(user_id: str) -> str:
    """The plain hash folders were named by before (anyone knowing the id could compute it)."""
    return hashlib.sha256(b"adai-user-dir:" + user_id.encode()).hexdigest()[:32]


def migrate_legacy_dirs(data_dir, user_ids) -> int:
    """Move folders named by the plain hash to the keyed name, once (users/.keyed marks it
    done). user_ids: a callable giving every user id the database knows. Returns how many."""
    users = Path(data_dir) / "users"
    if not users.is_dir() or (users / KEYED_MARK).exists():
        return 0
    moved = 0
    for user_id in user_ids():
        old = key_dir(data_dir, legacy_user_key(user_id))
        if not old.is_dir():
            continue
        new = key_dir(data_dir, user_key(data_dir, user_id))
        if new.exists():
            for path in old.iterdir():
                path.replace(new / path.name)
            old.rmdir()
        else:
            old.rename(new)
        moved += 1
    write_private(users / KEYED_MARK, b"")
    return moved


def key_dir(data_dir, key: str) -> Path:
    """The folder of the user whose user_key is key (signed media links carry only the key)."""
    return Path(data_dir) / "users" / key


def user_dir(data_dir, user_id: str, create=False) -> Path:
    path = key_dir(data_dir, user_key(data_dir, user_id))
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
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mtime < timestamp:
                path.unlink(missing_ok=True)
                count += 1
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return count

"""Whose event this is, as a number: the worker's lanes split events by it (storage.inbox
stores it; the migration that added the column computes it for events already stored)."""

import zlib


def lane_key(event) -> int:
    """A stable hash of whose event this is (the user, else the group or room). The worker's
    lanes split events by it, so one user's events always go to the same lane, in order."""
    source = event.get("source")
    source = source if isinstance(source, dict) else {}
    who = source.get("userId") or source.get("groupId") or source.get("roomId") or ""
    return zlib.crc32(str(who).encode())

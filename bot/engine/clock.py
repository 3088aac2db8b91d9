"""Time as a service, so tests drive it instead of sleeping."""

from datetime import datetime, timezone


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def from_millis(ms) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)

"""A clock tests move by hand (no sleeping)."""

from datetime import datetime, timedelta, timezone


class FakeClock:
    def __init__(self, start=None):
        self._now = start or datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds=0, **kwargs):
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now

    def set(self, moment: datetime):
        self._now = moment

"""Limits that keep one user from flooding the bot: photos per hour, text length.

Photo counts live in memory only, keyed by the pseudonymous log reference, so the limit
stores nothing about a user who has not consented. Each serving process counts on its own
(the bot runs one worker process; see docs), and a restart forgets the counts, which at
worst lets a user send another 20 photos.
"""
from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import timedelta

PHOTOS_PER_HOUR = 20
MAX_TEXT_CHARS = 2000
WINDOW = timedelta(hours=1)


class PhotoLimiter:
    def __init__(self, limit: int = PHOTOS_PER_HOUR, window: timedelta = WINDOW):
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._seen: dict[str, deque] = defaultdict(deque)

    def allow(self, who: str, count: int, now) -> bool:
        """Count `count` photos for `who` at `now` if they fit in the window; False (and
        nothing counted) when they do not."""
        with self._lock:
            times = self._seen[who]
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) + count > self.limit:
                return False
            times.extend([now] * count)
            return True


def photo_limiter(services) -> PhotoLimiter:
    limit = int(services.config.extra.get("photos_per_hour", PHOTOS_PER_HOUR))
    return services.features.setdefault("photo_limiter", PhotoLimiter(limit))


def text_too_long(text: str) -> bool:
    return len(text or "") > MAX_TEXT_CHARS

"""The worker: drains the inbox in arrival order, one event at a time, in one thread.

At start it first handles whatever a crash left pending. An event whose handling fails
(LINE down, a bug) is retried later with back-off, then given up and logged. One thread
keeps each user's events in order (consent before photo)."""

import logging
import threading
from datetime import timedelta

from bot import handlers
from bot.context import EventContext
from bot.line_api import LineRejected, LineUnavailable
from storage import inbox, sent

log = logging.getLogger(__name__)
MAINTENANCE_EVERY_S = 600
# function(services, db, now) run with each maintenance pass; features add theirs here
# (e.g. the conversation's retention purge).
MAINTENANCE = []


class Worker:
    def __init__(self, services):
        self.services = services
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self.handled = 0

    def start(self):
        self._thread = threading.Thread(target=self._run, name="inbox-worker", daemon=True)
        self._thread.start()
        return self

    def wake(self):
        self._wake.set()

    def stop(self, timeout=10):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        import time

        db = self.services.db()
        last_maintenance = float("-inf")
        while not self._stop.is_set():
            self._wake.clear()
            try:
                if time.monotonic() - last_maintenance >= MAINTENANCE_EVERY_S:
                    self.maintain(db)
                    last_maintenance = time.monotonic()
                self.drain(db)  # at start-up this is the crash recovery: all pending events
            except Exception:  # noqa: BLE001 — the worker thread must outlive any bug
                log.exception("worker loop error")
            self._wake.wait(self._next_wait(db))
            if self._stop.is_set():
                break

    def _next_wait(self, db):
        """Sleep until woken, or until the earliest postponed retry is due."""
        row = db.execute(
            "SELECT min(next_attempt_at) FROM inbox WHERE state = ?", [inbox.PENDING]
        ).fetchone()
        if not row or not row[0]:
            return MAINTENANCE_EVERY_S
        from datetime import datetime

        due = datetime.fromisoformat(row[0])
        return max(0.05, min(MAINTENANCE_EVERY_S, (due - self.services.clock.now()).total_seconds()))

    def drain(self, db=None) -> int:
        """Handle every due pending event; returns how many. Tests call this directly."""
        db = db or self.services.db()
        count = 0
        while not self._stop.is_set():
            batch = inbox.due(db, self.services.clock.now())
            if not batch:
                break
            for row in batch:
                self.handle(db, row)
                count += 1
        self.handled += count
        return count

    def handle(self, db, row):
        event, event_id = row["event"], row["event_id"]
        ctx = None
        try:
            ctx = EventContext(self.services, db, event, event_id)
            handlers.dispatch(ctx)
        except Exception as e:  # noqa: BLE001
            self._failed(db, row, e, ctx)
            return
        inbox.finish(db, event_id, self.services.clock.now())
        log.info("handled %s event %s for %s", event.get("type"), event_id[:8], ctx.user_ref)

    def _failed(self, db, row, error, ctx):
        now = self.services.clock.now()
        attempts = row["attempts"] + 1
        if isinstance(error, LineRejected):  # LINE said no (4xx): trying again cannot help
            log.error("event %s: %s", row["event_id"][:8], error)
            inbox.finish(db, row["event_id"], now, state=inbox.FAILED)
            return
        if attempts >= self.services.config.handle_attempts:
            log.error("gave up on event %s after %d attempts: %s", row["event_id"][:8], attempts, type(error).__name__)
            inbox.finish(db, row["event_id"], now, state=inbox.FAILED)
            return
        if isinstance(error, LineUnavailable):
            log.warning("LINE unavailable for event %s; retrying later", row["event_id"][:8])
        else:
            log.exception("event %s failed (attempt %d)", row["event_id"][:8], attempts, exc_info=error)
        inbox.retry_later(db, row["event_id"], now, timedelta(seconds=5 * 4 ** (attempts - 1)))

    def maintain(self, db=None):
        """Forget old event ids and send records (kept ≥ 24 h to drop redeliveries)."""
        db = db or self.services.db()
        now = self.services.clock.now()
        pruned = inbox.prune(db, now) + sent.prune(db, now)
        if pruned:
            log.info("pruned %d old inbox/sent rows", pruned)
        for job in MAINTENANCE:
            job(self.services, db, now)

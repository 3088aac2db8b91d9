"""The worker: drains the inbox in lanes, one thread per lane, each lane in arrival order.

An event's lane is its user's `lane_key` (storage.inbox) modulo the number of lanes, so one
user's events are always handled by one thread, one at a time, in the order they arrived
(consent before photo), while different users' photos are assessed side by side: while one
lane waits for LINE, SQLite's fsync or onnxruntime (which releases the GIL), another works.

At start every lane first handles whatever a crash left pending in it. An event whose
handling fails (LINE down, a bug) is retried later with back-off, then given up and logged.

On PostgreSQL (a fleet: any number of worker processes on one database) a lane is not a
number any more: each thread claims one user's lane at a time with an advisory lock
(storage.inbox.claim_lane), drains it in order and lets it go; a worker that dies loses its
locks with its connection and the events it held are handled by another. New events wake the
threads through NOTIFY; while PostgreSQL is unreachable they wait and try again.
"""

import logging
import threading
import time
from datetime import datetime, timedelta

from bot.engine import logs
from bot.engine.context import EventContext
from bot.engine.line_api import LineRejected, LineUnavailable
from storage import inbox, sent
from storage.db import DatabaseUnavailable, for_worker, shared

log = logging.getLogger(__name__)
# The router's maintenance jobs, function(services, db, now), run by lane 0 this often (e.g. the
# retention purge), after the inbox's own pruning.
MAINTENANCE_EVERY_S = 600
# The router's sweeps, function(services, db, now) -> number of events stored, run by lane 0 on
# every pass and at least this often (e.g. answering image sets whose last parts never came).
SWEEP_EVERY_S = 5.0
# PostgreSQL: a lane is let go after this many events so that one busy user cannot hold a thread
# while others wait; and a thread with nothing to claim looks again at least this often (NOTIFY
# wakes it at once for new events; this covers retries coming due and lanes others let go).
EVENTS_PER_CLAIM = 20
SHARED_POLL_S = 0.5
OUTAGE_WAIT_S = 1.0  # between tries while the database is unreachable


class Worker:
    def __init__(self, services, lanes=None):
        self.services = services
        self.router = services.router
        self.lanes = max(1, int(lanes or services.settings.worker_lanes))
        self._wakes = [threading.Event() for _ in range(self.lanes)]
        self._stop = threading.Event()
        self._threads = []
        self._count_lock = threading.Lock()
        self._next_wake = -1  # wake_one's round robin
        self._idle: set[int] = set()  # lanes waiting for work (wake_one prefers them)
        self.handled = 0

    def start(self):
        self._threads = [
            threading.Thread(target=self._run, args=(lane,), name=f"inbox-lane-{lane}", daemon=True)
            for lane in range(self.lanes)
        ]
        if self.services.settings.database_url:  # other processes store events: hear of them
            self._threads.append(threading.Thread(
                target=self.services.db().listen, args=(inbox.NEW_EVENTS, self.wake_one, self._stop),
                name="inbox-listen", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def wake_one(self):
        """PostgreSQL: wake one more thread to look for work; each that finds some wakes the
        next (drain_claimed), so the threads woken follow the work instead of every thread of
        every worker running a claim for each new event."""
        with self._count_lock:
            if self._idle:
                lane = self._idle.pop()
            else:
                lane = self._next_wake = (self._next_wake + 1) % self.lanes
        self._wakes[lane].set()

    def wake(self):
        for wake in self._wakes:
            wake.set()

    def stop(self, timeout=10):
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, lane):
        db = for_worker(self.services.db())  # this thread's connection; see storage.db
        wake = self._wakes[lane]
        last_maintenance = float("-inf")
        while not self._stop.is_set():
            wake.clear()
            try:
                if lane == 0 and time.monotonic() - last_maintenance >= MAINTENANCE_EVERY_S:
                    self.maintain(db)
                    last_maintenance = time.monotonic()
                if lane == 0 and self.sweep(db):
                    self.wake()
                # At start-up this is the crash recovery of this lane (or, shared, of the fleet's).
                self.drain_claimed(db) if shared(db) else self.drain(db, lane)
                wait = self._next_wait(db, lane)
            except DatabaseUnavailable as error:
                self.services.metrics.database_down("worker")
                log.warning("worker lane %d: %s; trying again", lane, error)
                wait = OUTAGE_WAIT_S
            except Exception:  # noqa: BLE001 — the worker thread must outlive any bug
                log.exception("worker lane %d loop error", lane)
                wait = OUTAGE_WAIT_S
            if lane == 0 and self.router.sweeps:
                wait = min(wait, SWEEP_EVERY_S)
            with self._count_lock:
                self._idle.add(lane)
            wake.wait(wait)
            with self._count_lock:
                self._idle.discard(lane)

    def _next_wait(self, db, lane):
        """Sleep until woken, or until the lane's earliest postponed retry is due."""
        if shared(db):
            due, ceiling, floor = inbox.next_due(db), SHARED_POLL_S, SHARED_POLL_S / 5
        else:
            due, ceiling, floor = inbox.next_due(db, lane, self.lanes), MAINTENANCE_EVERY_S, 0.05
        if not due:
            return ceiling
        seconds = (datetime.fromisoformat(due) - self.services.clock.now()).total_seconds()
        return max(floor, min(ceiling, seconds))

    def sweep(self, db=None) -> int:
        """Run the router's sweeps; returns how many events they stored."""
        db = db or self.services.db()
        now = self.services.clock.now()
        return sum(job(self.services, db, now) for job in self.router.sweeps)

    def drain(self, db=None, lane=None) -> int:
        """Handle every due pending event of one lane; returns how many. Tests call it with no
        lane: sweeps first, then every lane's events, in arrival order, in the calling thread."""
        db = db or self.services.db()
        if lane is None:
            self.sweep(db)
            lane, lanes = 0, 1
        else:
            lanes = self.lanes
        count = 0
        while not self._stop.is_set():
            batch = inbox.due(db, self.services.clock.now(), lane=lane, lanes=lanes)
            if not batch:
                break
            for row in batch:
                if self._stop.is_set():
                    break
                self.handle(db, row)
                count += 1
        with self._count_lock:
            self.handled += count
        return count

    def drain_claimed(self, db) -> int:
        """PostgreSQL: claim users' lanes one after another and handle their due events in
        order, until no lane is free with work in it; returns how many events."""
        count = 0
        while not self._stop.is_set():
            key = inbox.claim_lane(db, self.services.clock.now())
            if key is None:
                break
            self.wake_one()  # there may be more: let another thread look while this one works
            session = db.sessions  # a reconnect means the lock went with the old session
            try:
                for row in inbox.due_in_lane(db, self.services.clock.now(), key, EVENTS_PER_CLAIM):
                    if self._stop.is_set() or db.sessions != session:
                        break
                    self.handle(db, row)
                    count += 1
            finally:
                if db.sessions == session:
                    inbox.release_lane(db, key)
        with self._count_lock:
            self.handled += count
        return count

    def handle(self, db, row):
        event, event_id = row["event"], row["event_id"]
        metrics = self.services.metrics
        ctx = None
        began = time.perf_counter()
        metrics.in_flight.inc()
        try:
            ctx = EventContext(self.services, db, event, event_id)
            self.router.dispatch(ctx)
        except DatabaseUnavailable:
            raise  # not the event's fault: it stays pending as it is, no attempt counted
        except Exception as e:  # noqa: BLE001
            metrics.event(event.get("type"), self._failed(db, row, e, ctx))
            return
        finally:
            metrics.in_flight.dec()
        inbox.finish(db, event_id, self.services.clock.now())
        metrics.event(event.get("type"), "handled")
        log.info("handled %s event %s for %s", event.get("type"), event_id[:8], ctx.user_ref,
                 extra=logs.fields(event_id, ctx.user_ref, "handle", began))

    def _failed(self, db, row, error, ctx) -> str:
        """Retry later or give up; returns the outcome (rejected, failed, retry)."""
        now = self.services.clock.now()
        attempts = row["attempts"] + 1
        if isinstance(error, LineRejected):  # LINE said no (4xx): trying again cannot help
            log.error("event %s: %s", row["event_id"][:8], error)
            inbox.finish(db, row["event_id"], now, state=inbox.FAILED)
            return "rejected"
        if attempts >= self.services.settings.handle_attempts:
            log.error("gave up on event %s after %d attempts: %s", row["event_id"][:8], attempts, type(error).__name__)
            inbox.finish(db, row["event_id"], now, state=inbox.FAILED)
            return "failed"
        if isinstance(error, LineUnavailable):
            log.warning("LINE unavailable for event %s; retrying later", row["event_id"][:8])
        else:
            log.exception("event %s failed (attempt %d)", row["event_id"][:8], attempts, exc_info=error)
        inbox.retry_later(db, row["event_id"], now, timedelta(seconds=5 * 4 ** (attempts - 1)))
        return "retry"

    def maintain(self, db=None):
        """Forget old event ids and send records (kept ≥ 24 h to drop redeliveries), then run the
        router's maintenance jobs."""
        db = db or self.services.db()
        now = self.services.clock.now()
        pruned = inbox.prune(db, now) + sent.prune(db, now)
        if pruned:
            log.info("pruned %d old inbox/sent rows", pruned)
        for job in self.router.maintenance:
            job(self.services, db, now)

"""Group commit for webhook acks: one writer thread stores the events of every webhook that
is waiting, in one SQLite transaction, then lets each of them answer 200.

With `synchronous=FULL` every commit costs an fsync (about 2.4 ms on the development VM) while
holding SQLite's one write lock, and waiting writers poll that lock with growing sleeps. One
commit per webhook capped acks at about 400/s and gave them a long tail under concurrency.
Here a webhook still gets its 200 only after its events are durably on disk, but the
webhooks that arrived during one fsync share the next one.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from storage import inbox

MAX_BATCH = 64  # webhooks per transaction (a bound on how long one commit takes)
STORE_TIMEOUT_S = 10  # a webhook never waits longer; LINE then gets a 503 and may redeliver
_STOP = object()


class InboxUnavailable(RuntimeError):
    """The events could not be stored in time (database unreachable, writer stopped)."""


class InboxWriter:
    def __init__(self, services):
        self.services = services
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = None
        self._lock = threading.Lock()
        self.commits = 0  # transactions made (a webhook count above this means shared commits)

    def store(self, events, now) -> int:
        """Store the events (durably, before returning); how many were new."""
        done: Future = Future()
        self._running().put((events, now, done))
        try:
            return done.result(timeout=STORE_TIMEOUT_S)
        except TimeoutError as error:
            raise InboxUnavailable("inbox writer did not store the events in time") from error

    def _running(self) -> queue.SimpleQueue:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self._thread.start()
        return self._queue

    def stop(self):
        with self._lock:
            if self._thread is not None:
                self._queue.put(_STOP)
                self._thread.join(10)
                self._thread = None

    def _run(self):
        try:
            db = self.services.db()  # this thread's own connection, synchronous=FULL
        except Exception as error:  # noqa: BLE001 — fail the waiting webhooks, retry on the next one
            self._give_up(error)
            return
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(item is _STOP for item in batch)
            batch = [item for item in batch if item is not _STOP]
            if batch:
                self._commit(db, batch)
            if stopping:
                return

    def _give_up(self, error):
        """Without a database the thread ends; whoever waits now gets the error at once and
        the next webhook starts a new writer (the database may be back by then)."""
        with self._lock:
            self._thread = None
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                item[2].set_exception(InboxUnavailable(f"inbox database unavailable: {error}"))

    def _commit(self, db, batch):
        try:
            counts = inbox.store_batches(db, [(events, now) for events, now, _ in batch])
            self.commits += 1
        except Exception as error:  # noqa: BLE001 — each waiting webhook answers 503; LINE may redeliver
            for _, _, done in batch:
                done.set_exception(InboxUnavailable(f"inbox not stored: {error}"))
            return
        for (_, _, done), count in zip(batch, counts):
            done.set_result(count)

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
_STOP = object()


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
        return done.result()

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
        db = self.services.db()  # this thread's own connection, synchronous=FULL
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

    def _commit(self, db, batch):
        try:
            counts = inbox.store_batches(db, [(events, now) for events, now, _ in batch])
            self.commits += 1
        except Exception as error:  # noqa: BLE001 — each waiting webhook answers 500; LINE redelivers
            for _, _, done in batch:
                done.set_exception(error)
            return
        for (_, _, done), count in zip(batch, counts):
            done.set_result(count)

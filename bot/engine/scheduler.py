"""The tick: APScheduler 3 (BackgroundScheduler) runs the router's ticks (the reminder
dispatcher, features/reminders) every minute, in exactly one process.

How "exactly one" holds:
- The tick only starts from `python -m bot serve` (bot/serve.py), never at import or in
  create_app, so tests, the CLI and `flask shell` never tick.
- Under Flask's debug reloader the watching parent process (WERKZEUG_RUN_MAIN unset while
  FLASK_DEBUG is on) does not start it; only the serving child may.
- Every process that would start it first takes an exclusive, non-blocking OS file lock
  (flock) on $ADAI_DATA_DIR/scheduler.lock and keeps it for its lifetime. With several WSGI
  worker processes (gunicorn -w N) or a second `serve` on the same data folder, the first one
  wins and the others run without a tick. The OS drops the lock when its holder dies, so the
  process that replaces it (a restarted server, a respawned worker) takes it over.
- On PostgreSQL (a fleet) the lock is a session advisory lock instead (`Election`): every
  candidate process asks for it every `scheduler_retry_s`; the holder ticks. When the holder
  dies its connection, and with it the lock, goes, and a standby takes over at its next ask.
- Even if two ticks did run (two hosts sharing a database by mistake, or a holder that has not
  yet noticed its lost connection), send_due claims each reminder with a compare-and-set and
  pushes with a retry key made from (reminder id, due time), so a reminder still goes out once.
"""

import fcntl
import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.settings import reloader_parent
from storage import open_db
from storage.db import DatabaseUnavailable

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler.lock"
SCHEDULER_LOCK = (0x61646169, 2)  # PostgreSQL advisory lock ("adai", 2): the fleet's one tick


class SchedulerLock:
    """An exclusive flock on a file in the data folder, held until release()."""

    def __init__(self, path):
        self.path = Path(path)
        self._fd = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def tick(services):
    """Run each of the router's ticks; errors are logged, never raised into the scheduler thread."""
    for job in services.router.ticks:
        try:
            counts = job(services)
            if isinstance(counts, dict) and "sent" in counts:  # the reminder dispatcher's counts
                services.metrics.reminder_counts(counts)
        except DatabaseUnavailable as error:  # an outage, not a bug: one line, as the worker says it
            services.metrics.database_down("tick")
            log.warning("tick %s: %s; the next tick tries again", getattr(job, "__qualname__", job), error)
        except Exception:  # noqa: BLE001 — the next tick tries again; a crash here must not kill the job
            log.exception("tick %s failed", getattr(job, "__qualname__", job))


def start(services, interval_s=None):
    """Background starter (bot/serve.py): a stop function, or None when another process ticks
    or no feature has a tick. On PostgreSQL: a candidate in the fleet's election."""
    interval_s = interval_s or services.settings.scheduler_tick_s
    if not services.router.ticks:
        return None
    if reloader_parent():
        log.info("tick not started in the reloader's watcher process")
        return None
    if services.settings.database_url:
        return Election(services, interval_s).begin()
    lock = SchedulerLock(Path(services.settings.data_dir) / LOCK_NAME)
    if not lock.acquire():
        log.info("tick runs in another process (lock held); not started here")
        return None
    scheduler = ticking(services, interval_s)

    def stop():
        scheduler.shutdown(wait=True)
        services.metrics.leader.set(0)
        lock.release()

    return stop


def ticking(services, interval_s) -> BackgroundScheduler:
    """APScheduler running the ticks every interval_s, started."""
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": interval_s},
        timezone="UTC",
    )
    # The first run is now (APScheduler's own wall clock): reminders missed while the service
    # was down go out at start-up, within their grace period, instead of a minute later.
    scheduler.add_job(tick, "interval", seconds=interval_s, args=[services], id="ticks",
                      next_run_time=datetime.now(timezone.utc))
    scheduler.start()
    services.metrics.leader.set(1)
    log.info("tick started (every %g s)", interval_s)
    return scheduler


class Election(threading.Thread):
    """PostgreSQL: ask for the fleet's scheduler lock every scheduler_retry_s; tick while held.

    The lock is a session advisory lock on this thread's own connection: PostgreSQL drops it
    when this process dies or its connection breaks. The holder checks at every ask that its
    session still holds it, and stops ticking when not (a standby may hold it by then)."""

    def __init__(self, services, interval_s):
        super().__init__(name="scheduler-election", daemon=True)
        self.services, self.interval_s = services, interval_s
        self.scheduler = None
        self._db = None
        self._session = None
        self._stopping = threading.Event()

    def begin(self):
        self.start()
        return self.stop

    def run(self):
        while not self._stopping.is_set():
            try:
                self._ask()
            except DatabaseUnavailable as error:
                self.services.metrics.database_down("election")
                log.warning("scheduler election: %s", error)
                self._step_down()
            except Exception:  # noqa: BLE001 — the election must outlive any bug
                log.exception("scheduler election failed")
            self._stopping.wait(self.services.settings.scheduler_retry_s)

    def _ask(self):
        if self._db is None:
            self._db = open_db(self.services.settings.database, migrate_schema=False)
        if self.scheduler is None:
            if self._db.try_lock(*SCHEDULER_LOCK):
                self._session = self._db.sessions
                self.scheduler = ticking(self.services, self.interval_s)
                log.info("this process holds the fleet's scheduler lock")
        elif self._db.sessions != self._session or not self._db.holds(*SCHEDULER_LOCK):
            self._step_down()

    def _step_down(self):
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            self.services.metrics.leader.set(0)
            log.warning("scheduler lock lost; tick stopped here")

    def stop(self):
        self._stopping.set()
        self.join(10)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
            self.services.metrics.leader.set(0)
        if self._db is not None:
            self._db.close()  # the lock goes with the session

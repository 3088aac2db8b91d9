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
- Even if two ticks did run (two hosts sharing a database by mistake), send_due claims each
  reminder with a compare-and-set and pushes with a retry key made from (reminder id, due
  time), so a reminder still goes out once.
"""

import fcntl
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.settings import reloader_parent

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler.lock"
TICK_SECONDS = 60


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
            job(services)
        except Exception:  # noqa: BLE001 — the next tick tries again; a crash here must not kill the job
            log.exception("tick %s failed", getattr(job, "__qualname__", job))


def start(services, interval_s=TICK_SECONDS):
    """Background starter (bot/serve.py): a stop function, or None when another process ticks
    or no feature has a tick."""
    if not services.router.ticks:
        return None
    if reloader_parent():
        log.info("tick not started in the reloader's watcher process")
        return None
    lock = SchedulerLock(Path(services.settings.data_dir) / LOCK_NAME)
    if not lock.acquire():
        log.info("tick runs in another process (lock held); not started here")
        return None
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
    log.info("tick started (every %d s)", interval_s)

    def stop():
        scheduler.shutdown(wait=True)
        lock.release()

    return stop

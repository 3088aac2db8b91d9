"""Services: what the app and the worker share (config, per-thread db, LINE client, …)."""

import importlib
import logging
import threading

from bot.clock import SystemClock
from bot.inbox_writer import InboxWriter
from bot.line_api import LineClient
from bot.logs import log_key
from bot.worker import Worker
from storage import open_db

log = logging.getLogger(__name__)


def load(spec: str):
    """'package.module:attribute' -> the attribute (imported on use, not at import time)."""
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


class Services:
    def __init__(self, config, clock=None, emulator=None):
        self.config = config
        self.clock = clock or SystemClock()
        self.emulator = emulator  # the in-process LINE emulator (simulator mode), else None
        self.log_key = log_key(config.channel_secret)
        self.line = LineClient(
            config.access_token,
            base_url=config.api_base_url,
            timeout_s=config.line_timeout_s,
            attempts=config.line_attempts,
            backoff_s=config.line_backoff_s,
        )
        self.worker = Worker(self)
        self.inbox_writer = InboxWriter(self)
        self._local = threading.local()
        self._pipeline = None
        self._pipeline_lock = threading.Lock()
        self._stoppers = []
        self.features = {}  # per-app state of features (e.g. the photo rate limiter), by name
        open_db(config.db_path).conn.close()  # create the file and run migrations once, now

    def db(self):
        """This thread's connection (SQLite connections must not cross threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_db(self.config.db_path, migrate_schema=False)
        return db

    def pipeline(self):
        """The inference pipeline, loaded once on first use: in this process, or (with
        config.assess_processes > 0, as `python -m bot serve` does) a bot.assess_pool of
        worker processes, after loading the models here once to report broken ones now."""
        with self._pipeline_lock:
            if self._pipeline is None:
                from inference import Pipeline

                processes = self.config.assess_processes
                # With several lanes assessing at once, one onnxruntime thread each is enough.
                threads = 1 if processes or self.worker.lanes > 1 else None
                pipeline = Pipeline.from_dir(self.config.models_dir, **({"threads": threads} if threads else {}))
                if processes:
                    from bot.assess_pool import PooledPipeline

                    pipeline = PooledPipeline(pipeline, self.config.models_dir, processes)
                    self._stoppers.append(pipeline.close)
                self._pipeline = pipeline
            return self._pipeline

    def start_background(self, starters):
        """Start the worker and every other background job (see bot.BACKGROUND); each
        starter is function(services) -> a stop function or None."""
        for spec in starters:
            stop = load(spec)(self)
            if stop is not None:
                self._stoppers.append(stop)

    def stop(self):
        for stop in reversed(self._stoppers):
            stop()
        self._stoppers.clear()
        self.inbox_writer.stop()
        self.line.close()
        if self.emulator is not None:
            self.emulator.stop()


def start_worker(services):
    services.worker.start()
    return services.worker.stop

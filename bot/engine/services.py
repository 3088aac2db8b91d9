"""Services: what one app and its worker share (settings, router, per-thread db, LINE client…)."""

import logging
import threading

from bot.engine import model_sets
from bot.engine.assess_pool import PooledPipeline
from bot.engine.clock import SystemClock
from bot.engine.inbox_writer import InboxWriter
from bot.engine.line_api import LineClient
from bot.engine.logs import log_key
from bot.engine.media import OverlayDrawer
from bot.engine.metrics import Metrics
from bot.engine.worker import Worker
from inference import Pipeline
from storage import files, open_db, users

log = logging.getLogger(__name__)


class Services:
    def __init__(self, settings, router, clock=None, emulator=None):
        self.settings = settings
        self.router = router  # this app's features (engine/router.py)
        self.clock = clock or SystemClock()
        self.emulator = emulator  # the in-process LINE emulator (simulator mode), else None
        self.log_key = log_key(settings.channel_secret)
        self.metrics = Metrics(self)  # this app's Prometheus registry (engine/metrics.py)
        self.metrics_port = None  # where start_server serves it, once started
        self.line = LineClient(
            settings.access_token,
            base_url=settings.api_base_url,
            timeout_s=settings.line_timeout_s,
            attempts=settings.line_attempts,
            backoff_s=settings.line_backoff_s,
            metrics=self.metrics,
        )
        self.overlay_drawer = OverlayDrawer(self.metrics)  # overlays drawn when first opened
        self.worker = Worker(self)
        self.inbox_writer = InboxWriter(self)
        self._local = threading.local()
        self._pipeline = None
        self._pipeline_lock = threading.Lock()
        self._refused_versions = set()  # model versions that failed to load (logged once)
        self._stoppers = []
        self.features = {}  # per-app state of features (e.g. the photo rate limiter), by name
        files.private_mkdir(settings.data_dir)  # local state (simulator URL, tick lock), PostgreSQL too
        db = open_db(settings.database)  # create the file and run migrations once, now
        try:  # folders named by the earlier plain hash get their keyed names, once
            files.migrate_legacy_dirs(settings.files_dir, lambda: users.known_ids(db))
        finally:
            db.conn.close()

    def db(self):
        """This thread's connection (SQLite connections must not cross threads; a PostgreSQL
        one carries this thread's session, e.g. its advisory locks)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_db(self.settings.database, migrate_schema=False)
        return db

    def pipeline(self):
        """The model set in use (engine/model_sets.ModelSet: `assess`, `.models`, `.version`),
        loaded on first use from the models folder's current version: in this process, or
        (with settings.assess_processes > 0, as `python -m bot serve` does) a pool of
        assessment processes, after loading the models here once to report broken ones now.
        Callers keep the set they got for the whole of one message (follow_models swaps it)."""
        with self._pipeline_lock:
            if self._pipeline is None:
                self._pipeline = self._load(*model_sets.on_disk(self.settings.models_dir))
            return self._pipeline

    def models_loaded(self) -> bool:
        """Has this process loaded its model set (the first photo after a start waits for it)?"""
        return self._pipeline is not None

    def _load(self, version, folder):
        settings = self.settings
        processes = settings.assess_processes
        # With several lanes assessing at once, a few onnxruntime threads each is enough.
        threads = settings.assess_threads if processes or self.worker.lanes > 1 else None
        pipeline = Pipeline.from_dir(folder, **({"threads": threads} if threads else {}))
        if processes:
            pipeline = PooledPipeline(pipeline, folder, processes, settings.assess_threads)
            return model_sets.ModelSet(version, pipeline, retire=pipeline.retire)
        return model_sets.ModelSet(version, pipeline)

    def model_version(self) -> str | None:
        """The version id of the model set this process answers with (loaded), else of the set
        it would load now (inference/versions.py); None without a readable manifest."""
        loaded = self._pipeline
        return loaded.version if loaded is not None else model_sets.on_disk(self.settings.models_dir)[0]

    def follow_models(self) -> bool:
        """Load the models folder's current version beside the one in use and swap them (the
        model watch calls this at start and every settings.models_poll_s; the first call loads
        the set, as a first photo would). A set that fails to load is logged once and the old
        one (if any) stays. True: a set was loaded."""
        old = self._pipeline
        version, folder = model_sets.on_disk(self.settings.models_dir)
        if version is None or (old is not None and version == old.version) or version in self._refused_versions:
            return False
        try:
            if old is None:  # under the lock: a photo arriving meanwhile waits for this load
                return self.pipeline() is not None
            new = self._load(version, folder)
        except Exception as error:  # noqa: BLE001 — onnxruntime, a bad manifest, a file gone
            self._refused_versions.add(version)
            log.error("model version %s not loaded, still answering with %s: %s: %s", version,
                      old.version if old is not None else "none",
                      type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "")
            return False
        with self._pipeline_lock:
            self._pipeline = new
        log.info("models: now answering with version %s (was %s)", version, old.version)
        old.retire()  # a pool finishes what it was given, then exits
        return True

    def start_background(self, starters):
        """Start background jobs: each starter is function(services) -> a stop function or None
        (the worker's lanes, the scheduler's tick)."""
        for start in starters:
            stop = start(self)
            if stop is not None:
                self._stoppers.append(stop)

    def stop(self):
        loaded = self._pipeline
        if loaded is not None:
            self._stoppers.append(loaded.close)  # a pool's processes (first, as before)
        for stop in reversed(self._stoppers):
            stop()
        self._stoppers.clear()
        self.inbox_writer.stop()
        self.overlay_drawer.close()
        self.line.close()
        if self.emulator is not None:
            self.emulator.stop()


def start_model_watch(services):
    return model_sets.start_watch(services)


def start_worker(services):
    services.worker.start()
    return services.worker.stop

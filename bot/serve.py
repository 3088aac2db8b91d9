"""`python -m bot serve`: the webhook server (waitress), its worker and background jobs;
`python -m bot worker`: the worker alone (a fleet on PostgreSQL).

Waitress: a production WSGI server in pure Python that runs in ONE process with a thread
pool. One process matters here: the inbox worker and the APScheduler tick must run exactly
once; pre-fork servers (gunicorn) would start one per worker process.

Roles (DEPLOY.md): `serve` alone does everything, as on one machine with SQLite. With
ADAI_DATABASE_URL, `serve --role web` only verifies, stores and acknowledges webhooks and serves
the pages, and any number of `worker` processes handle the stored events; every worker is a
candidate for the fleet's one reminder tick (engine/scheduler.py elects it)."""

import logging
import os
import signal
import sys
import threading
from pathlib import Path

import waitress

from bot.app import create_app
from bot import settings as configuration
from bot.engine import logs, metrics, scheduler
from bot.engine.services import start_model_watch, start_worker
from bot.features.workspace.masks import MAX_FORM_BYTES
from bot.settings import BadSetting
from bot.sim.simulator import MAX_PHOTO_BYTES

# Background jobs `serve` starts: function(services) -> stop function | None.
# The inbox lanes; the tick, in one process only; following newly installed model versions.
BACKGROUND = (start_worker, scheduler.start, start_model_watch)
ROLES = {"all": BACKGROUND, "web": ()}  # web: acks and pages; the fleet's workers do the rest
# Simulator mode: where the running server's in-process LINE emulator listens (for
# `python -m bot reminders run-due`), in the data folder, while the server runs.
EMULATOR_URL_FILE = "simulator-emulator.url"


def emulator_url_file(settings) -> Path:
    return Path(settings.data_dir) / EMULATOR_URL_FILE


def body_limit(settings) -> int:
    """The largest body any route takes (the webhook's limit, a label's mask; the simulator's
    photo as base64 JSON in simulator mode). Waitress answers 413 to a longer Content-Length
    from the headers alone, before reading or buffering a byte of the body; each route then
    keeps its own smaller limit (a sign-in form: 64 KiB)."""
    largest = max(settings.max_body_bytes, MAX_FORM_BYTES)
    if settings.simulator:
        largest = max(largest, MAX_PHOTO_BYTES * 4 // 3 + 64 * 1024)
    return largest + 1  # waitress refuses a body of max_request_body_size bytes or more


def make_server(app, host, port, threads):
    return waitress.create_server(app, host=host, port=port, threads=threads, ident="adai",
                                  max_request_body_size=body_limit(app.extensions["adai"].settings))


def add_arguments(parser):
    """Flags override the environment (bot/settings.py); unset flags leave it alone."""
    parser.add_argument("--host", default=None, help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default $PORT or 8000; 0: a free port, logged")
    # 16, not waitress's 8: each webhook thread waits on the group commit's fsync, so more
    # threads let more webhooks share one commit (bench/load.py, 50 senders: ack p99
    # 130-236 ms with 8 threads, 87-96 ms with 16; 32 gave no more).
    parser.add_argument("--threads", type=int, default=None, dest="server_threads",
                        help="waitress threads (default $ADAI_SERVER_THREADS or 16)")
    worker_arguments(parser)
    parser.add_argument("--role", choices=sorted(ROLES), default="all",
                        help="all (default): webhooks, worker and tick in this process; web: webhooks "
                             "and pages only, for a fleet of `python -m bot worker` (ADAI_DATABASE_URL)")


def worker_arguments(parser):
    parser.add_argument("--lanes", type=int, default=None, dest="worker_lanes",
                        help="inbox worker lanes (default $ADAI_WORKER_LANES or 3)")
    parser.add_argument("--assess-processes", type=int, default=None, dest="assess_processes",
                        help="processes assessing photos (0: in the worker's threads; "
                             "default $ADAI_ASSESS_PROCESSES or 2)")


FLAGS = ("host", "port", "server_threads", "worker_lanes", "assess_processes")


def fleet_app(args, role):
    """The app for a role; a fleet role without a shared database is a set-up mistake."""
    app = create_app({name: getattr(args, name) for name in FLAGS if getattr(args, name, None) is not None})
    app.config["TESTING"] = False
    if role != "all" and not app.extensions["adai"].settings.database_url:
        app.extensions["adai"].stop()
        raise BadSetting(f"the {role} role is one process of a fleet on one PostgreSQL: set ADAI_DATABASE_URL "
                         "(or run `python -m bot serve` alone, which does everything)")
    return app


def setup_logs():
    """Text lines, or one JSON object per line with ADAI_LOG_FORMAT=json (before the app is built,
    so that its own warnings follow the format too)."""
    logs.setup(format=configuration.from_env().get("log_format", "text"))


def run(args) -> int:
    setup_logs()
    app = fleet_app(args, args.role)
    services = app.extensions["adai"]
    settings = services.settings
    log = logging.getLogger("bot.serve")
    if settings.simulator:
        log.info("no LINE credentials: simulator mode, LINE emulator at %s", settings.api_base_url)
    services.start_background((metrics.start_server, *ROLES[args.role]))  # metrics: with ADAI_METRICS_PORT
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    url_file = emulator_url_file(settings) if services.emulator is not None else None
    try:
        if url_file:
            fd = os.open(url_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(services.emulator.url)
        server = make_server(app, settings.host, settings.port, settings.server_threads)
        log.info("serving on http://%s:%s (role %s)", settings.host, server.effective_port, args.role)
        if settings.simulator:
            log.info("simulator: open http://%s:%s/simulator", settings.host, server.effective_port)
        server.run()
    finally:
        if url_file:
            url_file.unlink(missing_ok=True)
        services.stop()
    return 0


def run_worker(args) -> int:
    """`python -m bot worker`: handle the fleet's stored events (and stand for the tick) until
    SIGTERM or SIGINT; the event in hand is finished first."""
    setup_logs()
    app = fleet_app(args, "worker")
    services = app.extensions["adai"]
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        services.start_background((metrics.start_server, *BACKGROUND))
        logging.getLogger("bot.serve").info("worker running (%d lanes)", services.worker.lanes)
        stopping.wait()
    finally:
        services.stop()
    return 0

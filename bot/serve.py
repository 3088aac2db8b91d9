"""`python -m bot serve`: the webhook server (waitress), its worker and background jobs.

Waitress: a production WSGI server in pure Python that runs in ONE process with a thread
pool. One process matters here: the inbox worker and the APScheduler tick must run exactly
once; pre-fork servers (gunicorn) would start one per worker process."""

import logging
import os
import signal
import sys
from pathlib import Path

import waitress

from bot.app import create_app
from bot.engine import logs, scheduler
from bot.engine.services import start_worker

# Background jobs `serve` starts: function(services) -> stop function | None.
BACKGROUND = (start_worker, scheduler.start)  # the inbox lanes; the tick, in one process only
# Simulator mode: where the running server's in-process LINE emulator listens (for
# `python -m bot reminders run-due`), in the data folder, while the server runs.
EMULATOR_URL_FILE = "simulator-emulator.url"


def emulator_url_file(settings) -> Path:
    return Path(settings.data_dir) / EMULATOR_URL_FILE


def add_arguments(parser):
    """Flags override the environment (bot/settings.py); unset flags leave it alone."""
    parser.add_argument("--host", default=None, help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default $PORT or 8000; 0: a free port, logged")
    # 16, not waitress's 8: each webhook thread waits on the group commit's fsync, so more
    # threads let more webhooks share one commit (bench/load.py, 50 senders: ack p99
    # 130-236 ms with 8 threads, 87-96 ms with 16; 32 gave no more).
    parser.add_argument("--threads", type=int, default=None, dest="server_threads",
                        help="waitress threads (default $ADAI_SERVER_THREADS or 16)")
    parser.add_argument("--lanes", type=int, default=None, dest="worker_lanes",
                        help="inbox worker lanes (default $ADAI_WORKER_LANES or 3)")
    parser.add_argument("--assess-processes", type=int, default=None, dest="assess_processes",
                        help="processes assessing photos (0: in the worker's threads; "
                             "default $ADAI_ASSESS_PROCESSES or 2)")


FLAGS = ("host", "port", "server_threads", "worker_lanes", "assess_processes")


def run(args) -> int:
    logs.setup()
    app = create_app({name: getattr(args, name) for name in FLAGS if getattr(args, name) is not None})
    app.config["TESTING"] = False
    services = app.extensions["adai"]
    settings = services.settings
    log = logging.getLogger("bot.serve")
    if settings.simulator:
        log.info("no LINE credentials: simulator mode, LINE emulator at %s", settings.api_base_url)
    services.start_background(BACKGROUND)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    url_file = emulator_url_file(settings) if services.emulator is not None else None
    try:
        if url_file:
            fd = os.open(url_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(services.emulator.url)
        server = waitress.create_server(app, host=settings.host, port=settings.port,
                                        threads=settings.server_threads, ident="adai")
        log.info("serving on http://%s:%s", settings.host, server.effective_port)
        if settings.simulator:
            log.info("simulator: open http://%s:%s/simulator", settings.host, server.effective_port)
        server.run()
    finally:
        if url_file:
            url_file.unlink(missing_ok=True)
        services.stop()
    return 0

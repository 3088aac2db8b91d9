"""`python -m bot serve`: the webhook server (waitress), its worker and background jobs.

Waitress: a production WSGI server in pure Python that runs in ONE process with a thread
pool. One process matters here: the inbox worker and the APScheduler tick must run exactly
once; pre-fork servers (gunicorn) would start one per worker process."""

import logging
import signal
import sys

from bot import logs


def add_arguments(parser):
    parser.add_argument("--host", default=None, help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default $PORT or 8000")
    # 16, not waitress's 8: each webhook thread waits on the group commit's fsync, so more
    # threads let more webhooks share one commit (bench/load.py, 50 senders: ack p99
    # 130-236 ms with 8 threads, 87-96 ms with 16; 32 gave no more).
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--lanes", type=int, default=None, help="inbox worker lanes (default 3)")
    parser.add_argument("--assess-processes", type=int, default=2,
                        help="processes assessing photos (0: in the server process)")


def run(args) -> int:
    import waitress

    from bot import BACKGROUND, create_app

    logs.setup()
    overrides = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.lanes:
        overrides["worker_lanes"] = args.lanes
    overrides["assess_processes"] = args.assess_processes
    app = create_app(overrides)
    app.config["TESTING"] = False
    services = app.extensions["adai"]
    config = services.config
    log = logging.getLogger("bot.serve")
    if config.simulator:
        log.info("no LINE credentials: simulator mode, LINE emulator at %s", config.api_base_url)
    services.start_background(BACKGROUND)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("serving on http://%s:%d", config.host, config.port)
    try:
        waitress.serve(app, host=config.host, port=config.port, threads=args.threads, ident="adai")
    finally:
        services.stop()
    return 0

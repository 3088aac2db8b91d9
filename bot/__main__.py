"""`python -m bot COMMAND …` — the commands are a table: words -> (add_arguments, run).

Settings come from the environment (bot/settings.py) with the command's flags on top."""

import argparse
import json
import sys
from dataclasses import replace

from bot import clinic_cli, serve
from bot import settings as configuration
from bot.domain.schedule import parse_instant
from bot.engine.line_api import LineClient
from bot.engine.router import Router
from bot.engine.services import Services
from bot.features.reminders.dispatch import send_due
from bot.views import richmenu
from storage.db import now_iso


class NoLineToSendTo(RuntimeError):
    """Simulator mode without LINE_API_BASE_URL: there is no LINE to push reminders to."""


def run_due_arguments(parser):
    parser.add_argument("--now", type=parse_instant, default=None,
                        help="the instant to dispatch for, ISO 8601 with offset (default: now)")


def run_due(args) -> int:
    """Ops catch-up and tests: the same dispatcher the tick runs, once, for one instant."""
    settings = configuration.load()
    if settings.simulator and settings.api_base_url is None:
        url_file = serve.emulator_url_file(settings)
        if not url_file.is_file():
            raise NoLineToSendTo(f"simulator mode: no running simulator uses {settings.data_dir}; start it "
                                 "(`make run`) first, or set the LINE credentials")
        settings = replace(settings, api_base_url=url_file.read_text().strip())
    services = Services(settings, Router([]))
    try:
        now = args.now or services.clock.now()
        counts = send_due(services.db(), services.line, now)
    finally:
        services.line.close()
    print(json.dumps({"now": now_iso(now), **counts}))
    return 0


def richmenu_install(args) -> int:
    """Uses the same settings as `serve` (environment)."""
    settings = configuration.load()
    if settings.simulator:
        print("LINE credentials are not set: nothing to install (simulator mode has no rich menu).")
        return 1
    line = LineClient(settings.access_token, base_url=settings.api_base_url, timeout_s=settings.line_timeout_s)
    try:
        print(richmenu.install(line))
    finally:
        line.close()
    return 0


CLI = {
    ("serve",): (serve.add_arguments, serve.run),
    ("worker",): (serve.worker_arguments, serve.run_worker),
    ("reminders", "run-due"): (run_due_arguments, run_due),
    ("richmenu", "install"): (None, richmenu_install),
    ("staff", "add"): (clinic_cli.staff_add_arguments, clinic_cli.staff_add),
    ("staff", "list"): (None, clinic_cli.staff_list),
    ("staff", "reset"): (clinic_cli.email_argument, clinic_cli.staff_reset),
    ("staff", "disable"): (clinic_cli.email_argument, clinic_cli.staff_disable),
    ("staff", "enable"): (clinic_cli.email_argument, clinic_cli.staff_enable),
    ("staff", "remove"): (clinic_cli.email_argument, clinic_cli.staff_remove),
    ("demo", "seed"): (None, clinic_cli.demo_seed),
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for words, (add_arguments, run) in sorted(CLI.items(), key=lambda item: -len(item[0])):
        if tuple(argv[: len(words)]) == words:
            parser = argparse.ArgumentParser(prog="python -m bot " + " ".join(words))
            if add_arguments:
                add_arguments(parser)
            args = parser.parse_args(argv[len(words):])
            try:
                return run(args) or 0
            except (configuration.MissingCredential, configuration.SimulatorNotLocal,
                    configuration.BadSetting, NoLineToSendTo) as error:  # a set-up mistake, not a bug
                print(f"error: {error}", file=sys.stderr)
                return 2
    print("usage: python -m bot {" + " | ".join(" ".join(w) for w in CLI) + "} …", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

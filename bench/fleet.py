"""`make bench-load` (its second part): the fault proof of a fleet on one PostgreSQL, in full.

    python bench/fleet.py [--users 50] [--per-user 40] [--webs 2] [--workers 3] [--quick]

Two `serve --role web` nodes and three `python -m bot worker` processes on a throw-away
PostgreSQL cluster (fsync on), the LINE emulator, 2,000 signed webhooks from 50 senders; while
they flow a worker is killed (SIGKILL), PostgreSQL is stopped for 2 s and started again (the
web nodes must answer 503; the senders redeliver as LINE does), and the scheduler's holder is
killed (another worker must take over and push reminders due after that, each once). The
scenario is tests/support/fleet.py's `prove`; tests/test_fleet.py runs it with 200 webhooks.
Prints what it saw, writes bench/out/fleet.json; exit 1 if anything was lost, doubled, out of
order or not taken over.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sim.emulator import Emulator  # noqa: E402
from tests.support import SECRET, TOKEN  # noqa: E402
from tests.support.fleet import Fleet, InProcessLine, failures, prove  # noqa: E402
from tests.support.postgres import Cluster  # noqa: E402

OUT = ROOT / "bench" / "out"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/fleet.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=40)
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 senders × 10 webhooks")
    args = parser.parse_args(argv)
    users, per_user = (20, 10) if args.quick else (args.users, args.per_user)
    cluster = Cluster(durable=True).start()
    emulator = Emulator(TOKEN, hold_s=1.0).start()
    try:
        with tempfile.TemporaryDirectory(prefix="adai-fleet-") as tmp:
            fleet = Fleet(Path(tmp), cluster.new_database("fleet"), emulator.url, SECRET, TOKEN)
            try:
                report = prove(fleet, cluster, InProcessLine(emulator), SECRET, webs=args.webs, workers=args.workers,
                               users_count=users, per_user=per_user, say=lambda text: print(text, flush=True))
            finally:
                fleet.stop()
    finally:
        emulator.stop()
        cluster.destroy()
    wrong = failures(report)
    once = report["exactly_once"]
    print(f"{once['events']} webhooks from {users} senders: {once['answered']} answered, {once['lost']} lost, "
          f"{once['doubled']} doubled, {once['users_out_of_order']} users out of order; acks {report['statuses']} "
          f"({report['redeliveries']} redeliveries); reminders pushed {report['reminder_pushes']} time(s) each; "
          f"scheduler taken over after {report.get('takeover_s')} s; {report['total_s']} s in all")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / ("fleet-quick.json" if args.quick else "fleet.json")
    path.write_text(json.dumps({**report, "failures": wrong}, indent=2, default=str) + "\n")
    print(f"written: {path}")
    for line in wrong:
        print(f"FAILED: {line}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())

"""A fleet on one PostgreSQL under faults (issue 14), short: two web nodes and three workers as
real processes, 200 signed webhooks from 20 senders, a worker killed with SIGKILL, PostgreSQL
restarted and the scheduler's holder killed while events flow. `make bench-load` runs the same
scenario with 2,000 webhooks from 50 senders (bench/fleet.py)."""

import re

import pytest

from bot.sim.emulator import Emulator
from tests.support import SECRET, TOKEN
from tests.support.fleet import Fleet, InProcessLine, failures, prove


def test_a_fleet_answers_every_event_once_and_in_order_through_kills_and_a_database_restart(postgres_server, tmp_path):
    if not hasattr(postgres_server, "restart"):
        pytest.skip("restarting PostgreSQL needs the throw-away cluster (not the server of ADAI_DATABASE_URL)")
    emulator = Emulator(TOKEN, hold_s=1.0).start()  # the real clock: the fleet's processes use it
    fleet = Fleet(tmp_path, postgres_server.new_database("fleet"), emulator.url, SECRET, TOKEN)
    try:
        report = prove(fleet, postgres_server, InProcessLine(emulator), SECRET,
                       users_count=20, per_user=10, reminders_each=5)
    finally:
        fleet.stop()
        emulator.stop()
    assert report["webhooks"] == 200 and report["exactly_once"]["events"] == 200
    assert failures(report) == [], (report, fleet.logs()[-3000:])
    logs = fleet.logs()  # every node's output through the kills and the outage
    at = logs.find("Traceback")
    assert at < 0, logs[max(0, at - 300):at + 2500]  # the failure itself, not the log's start
    assert re.search(r"U[0-9a-f]{32}", logs) is None


@pytest.mark.parametrize("argv", [["worker"], ["serve", "--role", "web", "--port", "0"]])
def test_a_fleet_role_without_a_shared_database_is_a_set_up_error(argv, monkeypatch, tmp_path, capsys):
    """On SQLite nothing else would handle the events a web node stores: refused at start."""
    from bot.__main__ import main

    monkeypatch.setenv("ADAI_SIMULATOR", "1")
    monkeypatch.setenv("ADAI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ADAI_DATABASE_URL", "")
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "ADAI_DATABASE_URL" in error and "Traceback" not in error

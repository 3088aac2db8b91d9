"""A fleet follows a newly installed model version (issue 22: "every node on the same version
within a minute, measured with 2 workers"): one web node and two workers as real processes on a
throw-away PostgreSQL cluster, the models folder every node mounts, `python -m models install`
and `rollback` as the operator runs them. Each worker loads the current version at start (before
any photo) and keeps its row in the nodes table (storage/nodes.py) naming the version it answers
with; the web node's /healthz names the folder's version and counts the fleet's per version.
A photo through the web node after each switch is answered, and stored, by the version the
rows name."""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bot.sim.emulator import Emulator
from models import versions
from storage import assessments, nodes, open_db
from tests.support import SECRET, TOKEN, webhooks
from tests.support.chat import photo
from tests.support.devmodels import build_dev_models
from tests.support.fleet import Fleet, wait
from tests.support.validation import sign_copy

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 1  # ADAI_MODELS_POLL_S on every node (default 5)
CONVERGED_WITHIN_S = 60


def models_cli(*args) -> str:
    done = subprocess.run([sys.executable, "-m", "models", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=os.environ.copy())
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_the_fleet_converges_on_an_installed_version_and_on_a_rollback(postgres_server, tmp_path):
    v1_set = build_dev_models(tmp_path / "v1")
    v2_set = tmp_path / "v2"
    shutil.copytree(v1_set, v2_set)
    sign_copy(v2_set, wrong_per_class=1)  # a clinic's signed set: another manifest, another version
    models_dir = tmp_path / "shared-models"  # the folder every node mounts
    v1 = versions.install(v1_set, models_dir)
    emulator = Emulator(TOKEN, hold_s=1.0).start()
    url = postgres_server.new_database("models")
    fleet = Fleet(tmp_path, url, emulator.url, SECRET, TOKEN, models_dir=models_dir)
    fleet.env["ADAI_MODELS_POLL_S"] = str(POLL_S)
    db = None
    host = socket.gethostname()
    try:
        web = fleet.add_web()
        workers = [fleet.add_worker("--assess-processes", "0") for _ in range(2)]
        fleet.wait_workers()
        db = open_db(url, migrate_schema=False)
        names = [f"{host}:{process.pid}" for process in workers]

        def seen() -> tuple[list, str, dict]:
            rows = {row["node"]: row["model_version"] for row in nodes.listing(db)}
            health = requests.get(web + "/healthz", timeout=5).json()
            return [rows.get(name) for name in names], health["model_version"], health["fleet_model_versions"]

        def converge(version) -> float:
            began = time.monotonic()
            assert wait(lambda: seen() == ([version, version], version, {version: 2}), CONVERGED_WITHIN_S, step=0.1), \
                (version, seen(), fleet.logs()[-3000:])
            return time.monotonic() - began

        # At start, before any photo: every worker has loaded the current version and says so.
        started = converge(v1)
        began = time.monotonic()
        v2 = models_cli("install", v2_set, "--models-dir", models_dir)
        installed_s = time.monotonic() - began
        to_v2 = converge(v2)
        assert answered_by(emulator, web, db, "after-install") == v2
        began = time.monotonic()
        assert models_cli("rollback", "--models-dir", models_dir) == v1
        rolled_back_s = time.monotonic() - began
        to_v1 = converge(v1)
        assert answered_by(emulator, web, db, "after-rollback") == v1
        print(f"fleet of 1 web + 2 workers, poll {POLL_S} s: on v1 {started:.1f} s after start; "
              f"install took {installed_s:.1f} s, every node on it {to_v2:.1f} s later; "
              f"rollback took {rolled_back_s:.1f} s, every node back {to_v1:.1f} s later")
        assert max(to_v2, to_v1) <= CONVERGED_WITHIN_S
    finally:
        fleet.stop()
        emulator.stop()
    logs = fleet.logs()
    assert "Traceback" not in logs, logs[-3000:]
    assert logs.count(f"now answering with version {v2}") == 2 and logs.count(f"now answering with version {v1}") == 2
    assert nodes.listing(db) == []  # stopped workers take their rows with them
    db.close()


def answered_by(emulator, web, db, tag) -> str:
    """A new patient agrees and sends a photo through the web node; the stored result's version."""
    user = webhooks.user_id()
    emulator.add_content(f"m-{tag}", photo("AD"))
    for event in (webhooks.follow(user=user, reply_token=emulator.issue_reply_token(user)),
                  webhooks.postback("action=consent&v=yes", user=user, reply_token=emulator.issue_reply_token(user)),
                  webhooks.image(message_id=f"m-{tag}", user=user, reply_token=emulator.issue_reply_token(user))):
        raw, headers = webhooks.signed(SECRET, event)
        assert requests.post(web + "/callback", data=raw, headers=headers, timeout=10).status_code == 200
    assert wait(lambda: assessments.recent(db, user, 1), 60, step=0.1), "the photo was not assessed"
    return assessments.recent(db, user, 1)[0]["model_version"]

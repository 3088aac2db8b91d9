"""A fleet on one PostgreSQL, under faults: web nodes (`serve --role web`) and workers
(`python -m bot worker`) as real child processes, real signed webhooks, the LINE emulator.

`prove(...)` runs the scenario of issue 14 and returns what it saw; tests/test_fleet.py runs it
short (make test), bench/fleet.py in full (make bench-load):
- senders post texts (each user one at a time, in order, to the web nodes in turn); a non-200
  or a refused connection is posted again later, as LINE redelivers;
- a worker is killed with SIGKILL while events flow; PostgreSQL is restarted while they flow
  (the web nodes must answer 503 meanwhile);
- reminders due now are sent by the scheduler's holder; it is killed; reminders due after
  that are sent by the worker that takes the lock over;
- then: every event answered exactly once, each user's answers in the order they were sent,
  each reminder pushed once.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from bot.engine.line_api import retry_key
from storage import open_db, reminders, users
from tests.support import serve, webhooks

ROOT = Path(__file__).resolve().parents[2]
HOLDER = b"holds the fleet's scheduler lock"
LOST = b"scheduler lock lost"


class Fleet:
    def __init__(self, root: Path, database_url, line_url, secret, token, models_dir=None):
        self.root = Path(root)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "ADAI_"))}
        self.env.update(LINE_CHANNEL_SECRET=secret, LINE_CHANNEL_ACCESS_TOKEN=token, LINE_API_BASE_URL=line_url,
                        ADAI_DATABASE_URL=database_url, ADAI_MEDIA_DIR=str(self.root / "media"),
                        ADAI_MODELS_DIR=str(models_dir or self.root / "models"),
                        ADAI_SCHEDULER_TICK_S="1", ADAI_SCHEDULER_RETRY_S="0.5")
        self.webs, self.workers = [], []

    def _node_env(self, name):
        # Each node has its own local data folder: all they share is PostgreSQL and the media mount.
        return {**self.env, "ADAI_DATA_DIR": str(self.root / name)}

    def add_web(self, *args):
        name = f"web{len(self.webs)}"
        process, url = serve.start(self._node_env(name), self.root / f"{name}.log", "--role", "web", *args, timeout=60)
        self.webs.append((process, url))
        return url

    def add_worker(self, *args):
        name = f"worker{len(self.workers)}"
        log = self.root / f"{name}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen([sys.executable, "-m", "bot", "worker", *args], cwd=ROOT,
                                       env=self._node_env(name), stdout=out, stderr=subprocess.STDOUT)
        self.workers.append((process, log))
        return process

    def wait_workers(self, timeout=60):
        deadline = time.monotonic() + timeout
        for process, log in self.workers:
            while b"worker running" not in log.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker did not start:\n{log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.05)

    def holder(self, timeout=30) -> int | None:
        """Index of the live worker whose log says it holds the scheduler lock (and has not
        said since that it lost it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, (process, log) in enumerate(self.workers):
                text = log.read_bytes()
                if process.poll() is None and text.rfind(HOLDER) > text.rfind(LOST):
                    return i
            time.sleep(0.05)
        return None

    def kill_worker(self, index):
        process = self.workers[index][0]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self):
        for process, _ in [*self.webs, *self.workers]:
            if process.poll() is None:
                process.terminate()
        for process, _ in [*self.webs, *self.workers]:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.root.glob("*.log")))


# --- senders -------------------------------------------------------------------------------------

class Senders:
    """users × per_user text events, each user's posted one after another (to the web nodes in
    turn), redelivered after any non-200 until accepted. Records every post's status."""

    def __init__(self, line, urls, secret, users_count, per_user, pace_s=0.0):
        self.line, self.urls, self.secret, self.pace_s = line, urls, secret, pace_s
        self.users = [webhooks.user_id() for _ in range(users_count)]
        self.per_user = per_user
        self.posted: dict[str, list[tuple]] = {u: [] for u in self.users}  # (reply token, event id), in order
        self.statuses: dict = {}
        self.redeliveries = 0
        self._lock = threading.Lock()

    def run(self, threads=None):
        groups = [self.users[i::threads or len(self.users)] for i in range(threads or len(self.users))]
        workers = [threading.Thread(target=self._send, args=(g,)) for g in groups if g]
        [t.start() for t in workers]
        return workers

    def _send(self, group):
        session = requests.Session()
        for n in range(self.per_user):
            for user in group:
                token = self.line.reply_token(user)
                event = webhooks.text("help", user=user, reply_token=token)
                self._deliver(session, event, n)
                with self._lock:
                    self.posted[user].append((token, event["webhookEventId"]))
            time.sleep(self.pace_s)  # the users' think time: events keep arriving through the faults

    def _deliver(self, session, event, n):
        attempt = 0
        while True:
            raw, headers = webhooks.signed(self.secret, event)
            url = self.urls[(n + attempt) % len(self.urls)]
            try:
                status = session.post(url + "/callback", data=raw, headers=headers, timeout=15).status_code
            except requests.RequestException:
                status = "refused"
            with self._lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                return
            attempt += 1
            with self._lock:
                self.redeliveries += 1
            event = {**event, "deliveryContext": {"isRedelivery": True}}  # same webhookEventId
            time.sleep(min(2.0, 0.1 * attempt))

    @property
    def total(self):
        return len(self.users) * self.per_user

    def accepted(self) -> int:
        with self._lock:
            return sum(len(events) for events in self.posted.values())


def answered(sent, senders) -> dict:
    """Exactly once and in order: every accepted event answered once (by its reply token, or
    by a push carrying its retry key when the token went stale), each user's answers in the
    order the user's events were accepted."""
    at = {}  # reply token or retry key -> indexes of the answers in `sent`
    for index, record in enumerate(sent):
        key = record.get("reply_token") or record.get("retry_key")
        if key:
            at.setdefault(key, []).append(index)
    with senders._lock:
        posted = {user: list(events) for user, events in senders.posted.items()}
    answers = {event: at.get(token, []) + at.get(retry_key(event, 0), [])
               for events in posted.values() for token, event in events}
    order = [[answers[event][0] for _, event in events if answers[event]] for events in posted.values()]
    return {"events": len(answers), "answered": sum(1 for a in answers.values() if a),
            "lost": sum(1 for a in answers.values() if not a), "doubled": sum(1 for a in answers.values() if len(a) > 1),
            "users_out_of_order": sum(1 for indexes in order if indexes != sorted(indexes)),
            "pushed_instead": sum(1 for r in sent if r["kind"] == "push" and r["to"] in posted)}


# --- reminders -----------------------------------------------------------------------------------

def seed_reminders(database_url, count, now) -> list[str]:
    """count users with a weekly check-in due a minute ago (quiet hours allowed, so the time of
    day of the run does not hold them)."""
    db = open_db(database_url, migrate_schema=False)
    try:
        who = [webhooks.user_id() for _ in range(count)]
        for user in who:
            users.follow(db, user, now)
            reminders.upsert(db, user, reminders.CHECKIN, now, state=reminders.ACTIVE, weekday=now.weekday(),
                             local_time="00:00", quiet_ok=1, next_due_at=now - timedelta(minutes=1))
        return who
    finally:
        db.close()


def pushes_to(sent, who) -> dict:
    wanted = set(who)
    counts = {user: 0 for user in who}
    for record in sent:
        if record["kind"] == "push" and record["to"] in wanted:
            counts[record["to"]] += 1
    return counts


# --- the scenario --------------------------------------------------------------------------------

def wait(predicate, timeout, step=0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def prove(fleet: Fleet, cluster, line, secret, webs=2, workers=3, users_count=50, per_user=40,
          reminders_each=10, pace_s=0.3, down_s=2.0, say=lambda text: None) -> dict:
    """The whole scenario; returns what was seen (nothing asserted here)."""
    report = {"webs": webs, "workers": workers, "senders": users_count, "webhooks": users_count * per_user}
    started = time.monotonic()
    urls = [fleet.add_web() for _ in range(webs)]
    for _ in range(workers):
        fleet.add_worker("--assess-processes", "0")
    fleet.wait_workers()
    report["fleet_started_s"] = round(time.monotonic() - started, 1)
    say(f"fleet up: {webs} web, {workers} workers ({report['fleet_started_s']} s)")

    # Reminders due now: the scheduler's holder sends them.
    first = seed_reminders(fleet.env["ADAI_DATABASE_URL"], reminders_each, datetime.now(timezone.utc))
    report["first_holder_ticked"] = wait(lambda: all(pushes_to(line.sent(), first).values()), 60)

    senders = Senders(line, urls, secret, users_count, per_user, pace_s)
    threads = senders.run()
    run_started = time.monotonic()

    # A worker killed mid-run: not the scheduler's holder (that one has its own turn below).
    holder = fleet.holder()
    victim = next(i for i in range(workers) if i != holder)
    wait(lambda: senders.accepted() >= senders.total * 0.25, 120)
    fleet.kill_worker(victim)
    report["killed_worker_after_answers"] = answered(line.sent(), senders)["answered"]
    say(f"worker {victim} killed (SIGKILL) after {report['killed_worker_after_answers']} answers")

    # PostgreSQL restarted mid-run.
    wait(lambda: senders.accepted() >= senders.total * 0.5, 120)
    before = dict(senders.statuses)
    cluster.stop()
    down = time.monotonic()
    wait(lambda: senders.statuses.get(503, 0) > before.get(503, 0), 10)  # a webhook answered while down
    time.sleep(max(0.0, down_s - (time.monotonic() - down)))
    with senders._lock:
        report["acks_while_down"] = {k: v - before.get(k, 0) for k, v in senders.statuses.items() if v != before.get(k, 0)}
    cluster.start()
    report["postgres_down_s"] = round(time.monotonic() - down, 1)
    time.sleep(1.0)  # the holder notices its lost session (it asks every 0.5 s) and the fleet re-elects
    say(f"PostgreSQL restarted ({report['postgres_down_s']} s down); acks meanwhile {report['acks_while_down']}")

    # The scheduler's holder killed: another takes over; reminders due after that go out once.
    holder = fleet.holder()
    report["holder_killed"] = holder is not None
    if holder is not None:
        fleet.kill_worker(holder)
        killed_at = time.monotonic()
        second = seed_reminders(fleet.env["ADAI_DATABASE_URL"], reminders_each, datetime.now(timezone.utc))
        new_holder = fleet.holder()
        report["takeover_s"] = round(time.monotonic() - killed_at, 1) if new_holder not in (None, holder) else None
        report["second_holder_ticked"] = wait(lambda: all(pushes_to(line.sent(), second).values()), 60)
        say(f"scheduler holder (worker {holder}) killed; worker {new_holder} ticks after {report['takeover_s']} s")
    else:
        second = []

    for thread in threads:
        thread.join(600)
    report["posting_s"] = round(time.monotonic() - run_started, 1)
    report["drained"] = wait(lambda: answered(line.sent(), senders)["answered"] == senders.total, 120, step=0.2)
    time.sleep(1.0)  # anything sent twice would come now
    sent = line.sent()
    report["exactly_once"] = answered(sent, senders)
    report["statuses"] = {str(k): v for k, v in senders.statuses.items()}
    report["redeliveries"] = senders.redeliveries
    report["reminder_pushes"] = sorted(set(pushes_to(sent, [*first, *second]).values()))
    report["total_s"] = round(time.monotonic() - started, 1)
    return report


class InProcessLine:
    """The in-process emulator (tests) behind the interface bench/load.py's side door offers."""

    def __init__(self, emulator):
        self.emulator = emulator

    def reply_token(self, to):
        return self.emulator.issue_reply_token(to)

    def sent(self):
        with self.emulator._lock:
            return list(self.emulator.sent)


def failures(report) -> list[str]:
    """What the proof requires, as the list of what did not hold (empty: all held)."""
    once, wrong = report["exactly_once"], []
    if (once["events"], once["answered"]) != (report["webhooks"], report["webhooks"]) or once["lost"]:
        wrong.append(f"answered {once['answered']} of {report['webhooks']} webhooks ({once['lost']} lost)")
    if once["doubled"]:
        wrong.append(f"{once['doubled']} events answered twice")
    if once["users_out_of_order"]:
        wrong.append(f"{once['users_out_of_order']} users answered out of order")
    if report["acks_while_down"].get(503, 0) < 1:
        wrong.append(f"no 503 while PostgreSQL was down: {report['acks_while_down']}")
    if not set(report["statuses"]) <= {"200", "503", "refused"}:  # a 500 LINE would not redeliver
        wrong.append(f"acks other than 200/503: {report['statuses']}")
    if not (report["first_holder_ticked"] and report["holder_killed"] and report["second_holder_ticked"]):
        wrong.append("the scheduler did not tick before and after its holder was killed")
    if report.get("takeover_s") is None or report["takeover_s"] >= 60:
        wrong.append(f"no takeover of the scheduler within a minute ({report.get('takeover_s')})")
    if report["reminder_pushes"] != [1]:
        wrong.append(f"reminders pushed {report['reminder_pushes']} times (each must be once)")
    return wrong

"""`make bench-load`: the production server under load, on loopback, end to end.

    python bench/load.py [--quick] [--models DIR] [--photo-rate 8] [--photo-seconds 60]
                         [--database postgresql --workers N]

Starts the LINE emulator (`python -m bot.sim.emulator`) and the bot (`python -m bot serve`,
waitress, simulator credentials, LINE_API_BASE_URL = that emulator) as two child processes,
then sends real signed webhooks over loopback:

1. ack phases: 1, 5, 20 and 50 concurrent senders, closed loop for a few seconds each; every
   sender is a LINE user who follows, consents, then sends "help" texts and photos (at most
   one event in ten a photo, and a cap per phase so the single worker can drain);
2. sustained photos: open loop, --photo-rate photos per second for --photo-seconds, each
   photo from a consented user (kept under the 20 photos/hour limit per user);
3. burst: a batch of photos posted at once; time until the last is answered = capacity.

`--database postgresql` runs the same load against a fleet on a throw-away PostgreSQL cluster
(tests/support/postgres.py): with `--workers N` (N ≥ 1) one `serve --role web` node takes the
webhooks and N `python -m bot worker` processes handle them; with `--workers 0`, `serve` alone
on PostgreSQL. bench/fleet.py (also `make bench-load`) is the fault proof of such a fleet.

Prints acks/s, ack latency p50/p99, photo-to-answer latency p50/p99 (from the emulator's record
of what the bot sent), the server's peak RSS (VmHWM), and checks that every event was answered
exactly once (each reply token used once, each push retry key once, nothing else sent) and
that the inbox ends with every event done. Writes the numbers to bench/out/load-*.json.
Also the bot's CPU per answered photo (server and assessment processes, from /proc) against
one bare `assess()` of the same photos, sampled during the photo phase in a process of its own
(bench/assess_sampler.py; a back-to-back loop before and after is printed beside it).
Targets (issues 7, 10 and 23, 2-core machine): ack p99 ≤ 100 ms at 50 concurrent; 12 photos/s
for a minute, photo→answer p99 ≤ 1 s; CPU per photo ≤ 1.5 × the bare assess(); zero lost or
doubled answers. Printed, not asserted (exit 1 only if answers were lost or doubled). Every
wait is bounded; the children are stopped at the end.
"""
from __future__ import annotations

import argparse
import functools
import http.client
import json
import math
import os
import queue
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from urllib.parse import urlsplit
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import SIMULATOR_SECRET  # noqa: E402
from bot.engine.line_api import retry_key  # noqa: E402
from tests.support import webhooks  # noqa: E402

OUT = ROOT / "bench" / "out"
PHOTOS_PER_USER = 15  # below the bot's 20 photos per user per hour
FULL = {"ack_seconds": 8.0, "ack_images": 48, "burst": 96, "pool": 8}
# The targets (issue 7: acks; issue 10: photos on the 2-core machine). The answered rate runs
# from the first post to the last answer, so a rate kept up with falls short of the offered
# one by the last answer's latency: 5 % slack, with every photo answered within the p99 limit.
TARGET_SENDERS, TARGET_ACK_P99_MS = 50, 100
TARGET_PHOTOS_PER_S, TARGET_ANSWER_P99_MS = 12.0, 1000
TARGET_CPU_RATIO = 1.5  # issue 23: the bot's CPU per answered photo against one bare assess()
# The reference assess() during the photo phase: one every 0.25 s, about as often as each of
# the bot's two assessment processes gets a photo at 12/s; it adds ~0.12 s/s to the machine.
SAMPLER_INTERVAL_S = 0.25
QUICK = {"ack_seconds": 1.5, "ack_images": 8, "burst": 16, "pool": 4, "photo_seconds": 8.0}


# --- numbers -------------------------------------------------------------------------------

def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(q / 100 * len(ordered))) - 1)]


def summary(values) -> dict:
    return {"n": len(values), "p50": pct(values, 50), "p99": pct(values, 99),
            "max": max(values) if values else float("nan")}


# --- child processes -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_emulator():
    process = subprocess.Popen([sys.executable, "-m", "bot.sim.emulator"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit("emulator did not start")
    return process, url


def bot_env(emulator_url, data_dir: Path, models_dir: Path, database_url=None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_CHANNEL_", "ADAI_DATABASE_URL"))}
    env.update(LINE_API_BASE_URL=emulator_url, ADAI_SIMULATOR="1", ADAI_DATA_DIR=str(data_dir),
               ADAI_MODELS_DIR=str(models_dir), ADAI_METRICS_PORT=str(free_port()))
    if database_url:  # the fleet's nodes share the database and the media folder
        env.update(ADAI_DATABASE_URL=database_url, ADAI_MEDIA_DIR=str(Path(data_dir).parent / "media"))
    return env


def start_server(env, log_path: Path, extra_args=()):
    port = free_port()
    env = {**env, "PORT": str(port)}
    log = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), *extra_args],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited at start-up; see {log_path}")
        try:
            health = get_json(url + "/healthz")
            if health.get("models") != "ok":
                raise SystemExit(f"server reports models {health.get('models')!r}")
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start within 60 s")


def start_workers(env, count, log_path: Path, extra_args=()) -> list:
    """`python -m bot worker` processes, once each says it runs."""
    log = open(log_path, "wb")
    workers = [subprocess.Popen([sys.executable, "-m", "bot", "worker", *extra_args], cwd=ROOT,
                                env={**env, "ADAI_DATA_DIR": f"{env['ADAI_DATA_DIR']}-worker{i}"},
                                stdout=log, stderr=subprocess.STDOUT) for i in range(count)]
    deadline = time.monotonic() + 60
    while Path(log_path).read_bytes().count(b"worker running") < count:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise SystemExit(f"workers did not start; see {log_path}")
        time.sleep(0.1)
    return workers


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def peak_rss_mb(pid) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children_peak_rss_mb(pid) -> float:
    """Summed peak RSS of the server's child processes (the photo assessment pool)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += peak_rss_mb(int(child))
    return total


def cpu_seconds(pids, children=True) -> float:
    """User + system CPU seconds of these processes and (children=True) of their children (the
    assessment pool), from /proc (utime, stime; clock ticks)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, seen = 0.0, set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            if children:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def stage_seconds(metrics_url) -> dict:
    """Summed seconds per assessment stage (adai_assessment_stage_seconds_sum) and photos assessed."""
    sums = {}
    if not metrics_url:
        return sums
    try:
        text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    except OSError:
        return sums
    for row in text.splitlines():
        if row.startswith("adai_assessment_stage_seconds_sum{"):
            stage = row.split('stage="', 1)[1].split('"', 1)[0]
            sums[stage] = float(row.rsplit(" ", 1)[1])
        elif row.startswith("adai_assessment_cpu_seconds_total{"):
            part = row.split('part="', 1)[1].split('"', 1)[0]
            sums[f"cpu_{part}"] = float(row.rsplit(" ", 1)[1])
        elif row.startswith("adai_assessment_seconds_count "):
            sums["photos"] = float(row.rsplit(" ", 1)[1])
    return sums


class AssessSampler:
    """bench/assess_sampler.py in a process of its own: one bare assess() every `interval_s`
    on the same photos while the photo phase runs (the ratio's reference: same minute, same
    machine, calls made between other work as the bot's pool makes them)."""

    def __init__(self, models: Path, paths: list[Path], interval_s: float = SAMPLER_INTERVAL_S):
        self.interval_s = interval_s
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "assess_sampler.py"), str(models), str(interval_s),
             *map(str, paths)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            raise SystemExit("bench/assess_sampler.py did not start")

    def go(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def stop(self) -> list[float]:
        """Each call's CPU milliseconds since go()."""
        self.process.stdin.write("stop\n")
        self.process.stdin.close()
        line = self.process.stdout.readline()
        self.process.wait(30)
        return json.loads(line)["cpu_ms"] if line else []

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def loop_assess_cpu(models: Path, pool: list[bytes], rounds: int = 10) -> float:
    """CPU seconds of one bare `Pipeline.assess()` (1 onnxruntime thread, as in the pool) in a
    back-to-back loop over the photo pool, in this process (the bot idle meanwhile); printed
    beside the ratio's reference (AssessSampler), which it undercuts by keeping caches warm."""
    pipeline = _bare_pipeline(str(models))
    pipeline.assess(pool[0])  # warm
    began = time.process_time()
    for _ in range(rounds):
        for data in pool:
            pipeline.assess(data)
    return (time.process_time() - began) / (rounds * len(pool))


@functools.lru_cache(maxsize=2)
def _bare_pipeline(models: str):
    from inference import Pipeline

    return Pipeline.from_dir(models, threads=1)


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:  # /healthz says 503 with a JSON body
        return json.loads(error.read())


# --- the emulator's side door --------------------------------------------------------------

class Line:
    """The emulator's side door, over one keep-alive connection per thread (a new connection
    per call would measure the emulator's accept queue, not the bot)."""

    def __init__(self, url):
        self.url = url
        self._local = threading.local()

    def _request(self, method, path, body=None, content_type="application/json"):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            host, port = self.url.removeprefix("http://").split(":")
            conn = self._local.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request(method, path, body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        return json.loads(response.read())

    def reply_token(self, to) -> str:
        return self._request("POST", "/_emulator/reply-token", json.dumps({"to": to}).encode())["replyToken"]

    def add_content(self, message_id, data: bytes):
        self._request("POST", f"/_emulator/content/{message_id}", data, "image/jpeg")

    def sent(self) -> list[dict]:
        return get_json(self.url + "/_emulator/sent")["sent"]


# --- photos ----------------------------------------------------------------------------------

def models_dir(arg) -> tuple[Path, str]:
    if arg:
        return Path(arg), "given"
    if (ROOT / "models" / "manifest.json").is_file():
        return ROOT / "models", "committed"
    from tests.support.devmodels import build_dev_models
    return build_dev_models(OUT / "devmodels"), "dev colour-rule stand-in"


def photo_pool(count: int, kind: str) -> list[bytes]:
    """Phantom phone photos (what the trained models read) or, for the dev stand-in models,
    the colour-rule drawings; cached in bench/out/load-photos/."""
    return [path.read_bytes() for path in photo_paths(count, kind)]


def photo_paths(count: int, kind: str) -> list[Path]:
    """The files of photo_pool(count, kind), made when missing."""
    folder = OUT / "load-photos" / ("phantom" if kind != "dev colour-rule stand-in" else "dev")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{i}.jpg"
        if not path.exists():
            path.write_bytes(_make_photo(i, folder.name))
        paths.append(path)
    return paths


def _make_photo(i: int, kind: str) -> bytes:
    if kind == "phantom":
        from models.phantom import render
        return render(1000 + i, distance=("close", "medium")[i % 2]).jpeg
    from tests.support.chat import photo
    return photo(("AD", "IM", "HI", "MF")[i % 4], size=(1200, 900), seed=i)


# --- events and senders ----------------------------------------------------------------------

class Tracker:
    """Every event sent, with what is needed to find its answer and time it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events: list[dict] = []

    def add(self, record):
        with self.lock:
            self.events.append(record)


class Sender:
    """One keep-alive HTTP connection to the bot; posts signed bodies and times the 200."""

    def __init__(self, url, line: Line, tracker: Tracker, photo_ids: list[str]):
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.line, self.tracker, self.photo_ids = line, tracker, photo_ids
        self.user, self.photos_left, self.photo_index = None, 0, 0

    def close(self):
        self.conn.close()

    def post(self, event, kind, phase) -> float:
        raw, headers = webhooks.signed(SIMULATOR_SECRET, event)
        sent_at = time.time()
        start = time.perf_counter()
        self.conn.request("POST", "/callback", body=raw, headers=headers)
        response = self.conn.getresponse()
        response.read()
        ack_ms = (time.perf_counter() - start) * 1000
        self.tracker.add({"id": event["webhookEventId"], "token": event.get("replyToken"),
                          "kind": kind, "phase": phase, "sent_at": sent_at, "ack_ms": ack_ms,
                          "status": response.status})
        return ack_ms

    def _event(self, builder, *args, **kw):
        return builder(*args, user=self.user, reply_token=self.line.reply_token(self.user), **kw)

    def new_user(self, phase):
        self.user, self.photos_left = webhooks.user_id(), PHOTOS_PER_USER
        self.post(self._event(webhooks.follow), "follow", phase)
        self.post(self._event(webhooks.postback, "action=consent&v=yes"), "consent", phase)

    def text(self, phase):
        self.post(self._event(webhooks.text, "help"), "text", phase)

    def photo(self, phase):
        if self.user is None or self.photos_left == 0:
            self.new_user(phase)
        self.photos_left -= 1
        message_id = self.photo_ids[self.photo_index % len(self.photo_ids)]
        self.photo_index += 1
        self.post(self._event(webhooks.image, message_id=message_id), "photo", phase)


def run_threads(targets):
    threads = [threading.Thread(target=t) for t in targets]
    [t.start() for t in threads]
    [t.join(600) for t in threads]


def wait_drained(url, timeout=300) -> float:
    """Until the bot's inbox holds nothing pending (bounded); returns seconds waited. Every
    /healthz costs the server ~3 ms of CPU (it reads the models' manifest), counted in the CPU per
    photo: polled every 0.25 s, not 0.1 (a profile on a backlogged run found 18 % of the server's
    CPU in these probes)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not get_json(url + "/healthz").get("inbox", {}).get("pending"):
            return time.monotonic() - start
        time.sleep(0.25)
    return float("nan")


def ack_phase(url, line, tracker, photo_ids, senders, seconds, max_images) -> dict:
    phase = f"ack-{senders}"
    images = {"left": max_images}
    lock = threading.Lock()
    acks: list[float] = []
    deadline = time.monotonic() + seconds

    def take_image() -> bool:
        with lock:
            if images["left"] > 0:
                images["left"] -= 1
                return True
            return False

    def loop():
        sender = Sender(url, line, tracker, photo_ids)
        sender.new_user(phase)
        count = 0
        while time.monotonic() < deadline:
            count += 1
            if count % 10 == 0 and take_image():
                sender.photo(phase)
            else:
                sender.text(phase)
        sender.close()

    start = time.monotonic()
    run_threads([loop] * senders)
    elapsed = time.monotonic() - start
    acks = [e["ack_ms"] for e in tracker.events if e["phase"] == phase]
    drained = wait_drained(url)
    return {"phase": phase, "senders": senders, "events": len(acks), "seconds": elapsed,
            "acks_per_s": len(acks) / elapsed, "ack_ms": summary(acks), "drain_s": drained}


def consented_users(url, line, tracker, photo_ids, count, phase) -> list[Sender]:
    """Senders whose users followed and consented (set-up, not timed)."""
    senders = [Sender(url, line, tracker, photo_ids) for _ in range(count)]
    run_threads([lambda s=s: s.new_user(phase) for s in senders])
    wait_drained(url)
    return senders


def photo_phase(url, line, tracker, photo_ids, rate, seconds, phase="photos", on_start=None) -> dict:
    """Open loop: a photo every 1/rate s for `seconds`, from fresh consented users, through a
    pool of 8 posting threads so a slow ack never delays the schedule."""
    total = int(rate * seconds)
    users = consented_users(url, line, tracker, photo_ids, math.ceil(total / PHOTOS_PER_USER), phase + "-setup")
    numbered: queue.Queue = queue.Queue()
    for i in range(total):
        numbered.put((i, users[i // PHOTOS_PER_USER]))
    locks = {id(s): threading.Lock() for s in users}  # one connection per user, one post at a time
    late = []
    if on_start is not None:  # the users are set up: what follows is photos only
        on_start()
    start = time.monotonic()

    def poster(jobs):
        while True:
            try:
                index, sender = jobs.get_nowait()
            except queue.Empty:
                return
            due = start + index / rate
            time.sleep(max(0.0, due - time.monotonic()))
            late.append(max(0.0, time.monotonic() - due))
            with locks[id(sender)]:
                sender.photo(phase)

    run_threads([lambda: poster(numbered)] * 8)
    posted_s = time.monotonic() - start
    drained = wait_drained(url)
    for s in users:
        s.close()
    return {"phase": phase, "offered_per_s": rate, "photos": total, "posting_s": posted_s,
            "schedule_late_ms_p99": pct(late, 99) * 1000, "drain_after_s": drained}


def burst_phase(url, line, tracker, photo_ids, count, phase="burst") -> dict:
    users = consented_users(url, line, tracker, photo_ids, math.ceil(count / PHOTOS_PER_USER), phase + "-setup")
    per_user = [PHOTOS_PER_USER] * (count // PHOTOS_PER_USER) + ([count % PHOTOS_PER_USER] if count % PHOTOS_PER_USER else [])
    start = time.monotonic()
    run_threads([lambda s=s, n=n: [s.photo(phase) for _ in range(n)] for s, n in zip(users, per_user)])
    drained = wait_drained(url)
    for s in users:
        s.close()
    return {"phase": phase, "photos": count, "seconds_to_last_answer": time.monotonic() - start,
            "posted_then_drained_s": drained}


# --- answers: exactly once, and how long they took ---------------------------------------------

def match_answers(events: list[dict], sent: list[dict]) -> dict:
    by_token = {e["token"]: e for e in events if e["token"]}
    by_key = {retry_key(e["id"], 0): e for e in events}
    answers = {e["id"]: [] for e in events}
    stray = 0
    for record in sent:
        event = by_token.get(record.get("reply_token")) or by_key.get(record.get("retry_key"))
        if event is None:
            stray += 1
            continue
        answers[event["id"]].append(record)
    lost = [i for i, a in answers.items() if not a]
    doubled = [i for i, a in answers.items() if len(a) > 1]
    return {"answers": answers, "lost": len(lost), "doubled": len(doubled), "stray": stray,
            "pushed": sum(1 for r in sent if r["kind"] == "push")}


def answer_latencies(events, answers, phase) -> list[float]:
    out = []
    for e in events:
        if e["phase"] == phase and e["kind"] == "photo" and answers[e["id"]]:
            at = datetime.fromisoformat(answers[e["id"]][0]["at"]).timestamp()
            out.append((at - e["sent_at"]) * 1000)
    return out


def answered_kinds(events, answers, phase) -> dict:
    """How photos were answered: result cards (flex) or retake guidance (text)."""
    kinds: dict = {}
    for e in events:
        if e["phase"] == phase and e["kind"] == "photo" and answers[e["id"]]:
            kind = answers[e["id"]][0]["messages"][0]["type"]
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def inbox_states(database) -> dict:
    """database: the SQLite file, or a PostgreSQL URL."""
    if str(database).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(database) as conn:
            return dict(conn.execute("SELECT state, count(*) FROM inbox GROUP BY state").fetchall())
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT state, count(*) FROM inbox GROUP BY state").fetchall())
    finally:
        conn.close()


# --- report ----------------------------------------------------------------------------------

def fmt(s: dict) -> str:
    return f"p50 {s['p50']:7.1f} ms  p99 {s['p99']:7.1f} ms  max {s['max']:7.1f} ms"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/load.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (about 1 minute)")
    parser.add_argument("--models", default=None)
    parser.add_argument("--photo-rate", type=float, default=TARGET_PHOTOS_PER_S,
                        help="photos offered per second in the sustained phase (default: the target)")
    parser.add_argument("--photo-seconds", type=float, default=None, help="default 60 (quick: 8)")
    parser.add_argument("--concurrency", default="1,5,20,50")
    parser.add_argument("--server-args", default="", help="extra `python -m bot serve` options, e.g. "
                        "'--lanes 1 --assess-processes 0' (the design before the lanes and the pool)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: a throw-away cluster and a fleet (see --workers)")
    parser.add_argument("--workers", type=int, default=0, help="with postgresql: N `python -m bot worker` "
                        "processes behind one `serve --role web` (0: `serve` alone does everything)")
    parser.add_argument("--worker-args", default="", help="extra `python -m bot worker` options")
    args = parser.parse_args(argv)
    if args.workers and args.database != "postgresql":
        parser.error("--workers needs --database postgresql (a fleet shares one PostgreSQL)")
    plan = QUICK if args.quick else FULL
    photo_seconds = args.photo_seconds or plan.get("photo_seconds", 60.0)
    models, models_kind = models_dir(args.models)
    pool = photo_pool(plan["pool"], models_kind)
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": _commit(),
              "cpus": os.cpu_count(), "models": f"{models} ({models_kind})", "quick": args.quick,
              "photo_bytes": [len(p) for p in pool], "phases": [],
              "loadavg_before": os.getloadavg(), "server_args": args.server_args,  # other work on the machine skews every number
              "database": args.database, "workers": args.workers, "worker_args": args.worker_args}
    tracker = Tracker()
    emulator, emulator_url = start_emulator()
    cluster = database_url = None
    workers = []
    with tempfile.TemporaryDirectory(prefix="adai-load-") as tmp:
        data = Path(tmp) / "var"
        server = None
        try:
            if args.database == "postgresql":
                from tests.support.postgres import Cluster

                cluster = Cluster(durable=True).start()  # fsync on, as in production
                database_url = cluster.new_database("load")
            env = bot_env(emulator_url, data, models, database_url)
            role = ["--role", "web"] if args.workers else []
            server, url = start_server(env, OUT / "load-server.log", [*role, *args.server_args.split()])
            workers = start_workers(env, args.workers, OUT / "load-workers.log", args.worker_args.split())
            line = Line(emulator_url)
            photo_ids = [f"load-photo-{i}" for i in range(len(pool))]
            for message_id, data_bytes in zip(photo_ids, pool):
                line.add_content(message_id, data_bytes)
            fleet = f" --role web + {args.workers} × python -m bot worker" if args.workers else ""
            print(f"bot: python -m bot serve{fleet} (waitress) pid {server.pid} on {args.database}; "
                  f"LINE: python -m bot.sim.emulator; models: {report['models']}; "
                  f"{report['cpus']} CPUs shared by bot, emulator and senders", flush=True)
            warm = Sender(url, line, tracker, photo_ids)
            warm.photo("warm-up")  # loads the models
            wait_drained(url)
            warm.close()
            for senders in [int(c) for c in args.concurrency.split(",") if c]:
                result = ack_phase(url, line, tracker, photo_ids, senders, plan["ack_seconds"], plan["ack_images"])
                report["phases"].append(result)
                print(f"ack  {senders:>2} senders: {result['events']:5d} events {result['acks_per_s']:7.1f} acks/s  "
                      f"{fmt(result['ack_ms'])}  (worker drained {result['drain_s']:.1f} s later)", flush=True)
            bot_pids = [server.pid, *(w.pid for w in workers)]
            metrics_url = metrics_url_of(OUT / "load-server.log") if not args.workers else None
            before = {}

            def meter():
                before.update(cpu=cpu_seconds(bot_pids), server=cpu_seconds(bot_pids, children=False),
                              stages=stage_seconds(metrics_url))
                sampler.go()

            # The reference: bare assess() calls in a process of their own during the sustained
            # phase (AssessSampler); beside it a back-to-back loop right before and right after.
            report["loop_assess_cpu_s_before"] = loop_assess_cpu(models, pool)
            sampler = AssessSampler(models, photo_paths(plan["pool"], models_kind))
            try:
                result = photo_phase(url, line, tracker, photo_ids, args.photo_rate, photo_seconds, on_start=meter)
                result["bot_cpu_s"] = cpu_seconds(bot_pids) - before["cpu"]
                result["server_cpu_s"] = cpu_seconds(bot_pids, children=False) - before["server"]
                report["sampled_assess_cpu_ms"] = sampler.stop()
            finally:
                sampler.kill()
            report["loop_assess_cpu_s_after"] = loop_assess_cpu(models, pool)
            after = stage_seconds(metrics_url)
            result["stage_s"] = {k: v - before["stages"].get(k, 0.0) for k, v in after.items()}
            report["phases"].append(result)
            result = burst_phase(url, line, tracker, photo_ids, plan["burst"])
            report["phases"].append(result)
            report["overlays_opened"] = open_overlays(url, line, bot_pids, plan["burst"])
            report["server_peak_rss_mb"] = peak_rss_mb(server.pid)
            report["pool_peak_rss_mb"] = children_peak_rss_mb(server.pid)
            report["workers_peak_rss_mb"] = [peak_rss_mb(w.pid) + children_peak_rss_mb(w.pid) for w in workers]
            report["loadavg_after"] = os.getloadavg()
            report["healthz"] = get_json(url + "/healthz")
        finally:
            for process in [*workers, *([server] if server is not None else [])]:
                stop(process)
            sent = Line(emulator_url).sent() if emulator.poll() is None else []
            stop(emulator)
            report["inbox_after"] = inbox_states(database_url or data / "adai.sqlite3")
            if cluster is not None:
                cluster.destroy()

    return finish(report, tracker.events, sent)


def open_overlays(url, line, bot_pids, count: int) -> dict:
    """Overlays are drawn when first opened (bot/engine/media.py), so the CPU per answered photo
    leaves them out: open `count` of the answers' overlay links, twice, and measure the bot's CPU
    per open (the first draws and keeps the picture, the second serves it)."""
    links = [urlsplit(a["uri"]).path for s in line.sent() for m in s["messages"] if m["type"] == "flex"
             for a in _actions(m["contents"]) if a.get("type") == "uri" and "/media/" in a.get("uri", "")]
    links = links[-count:]
    out = {"opened": len(links)}
    for name in ("first", "again"):
        began = cpu_seconds(bot_pids)
        for path in links:
            with urllib.request.urlopen(url + path, timeout=30) as response:
                response.read()
        out[f"{name}_cpu_ms"] = (cpu_seconds(bot_pids) - began) * 1000 / max(1, len(links))
    return out


def _actions(node):
    """Every action in a Flex container (buttons, tap areas)."""
    if isinstance(node, dict):
        if isinstance(node.get("action"), dict):
            yield node["action"]
        for value in node.values():
            yield from _actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _actions(value)


def finish(report, events, sent) -> int:
    check = match_answers(events, sent)
    answers = check.pop("answers")
    photos = next(p for p in report["phases"] if p["phase"] == "photos")
    burst = next(p for p in report["phases"] if p["phase"] == "burst")
    photo_ms = answer_latencies(events, answers, "photos")
    for phase in (photos, burst):  # acks while the bot is busy with photos
        phase["ack_ms"] = summary([e["ack_ms"] for e in events if e["phase"] == phase["phase"]])
    photos["answer_ms"] = summary(photo_ms)
    photos["answered"] = len(photo_ms)
    photos["answered_as"] = answered_kinds(events, answers, "photos")
    window = _answer_window(events, answers, "photos")
    photos["answered_per_s"] = len(photo_ms) / window if window else float("nan")
    burst["answer_ms"] = summary(answer_latencies(events, answers, "burst"))
    burst["photos_per_s"] = burst["photos"] / _answer_window(events, answers, "burst")
    burst["answered_as"] = answered_kinds(events, answers, "burst")
    report["events"] = len(events)
    report["non_200_acks"] = sum(1 for e in events if e["status"] != 200)
    report["exactly_once"] = check
    print(f"photos at {photos['offered_per_s']:.1f}/s for {photos['posting_s']:.0f} s: {photos['answered']}/{photos['photos']} answered, "
          f"{photos['answered_per_s']:.2f} photos/s from first post to last answer; photo→answer {fmt(photos['answer_ms'])}; "
          f"answered as {photos['answered_as']}; acks meanwhile {fmt(photos['ack_ms'])}", flush=True)
    print(cost_line(photos, report.get("sampled_assess_cpu_ms") or [], report.get("loop_assess_cpu_s_before", float("nan")),
                    report.get("loop_assess_cpu_s_after", float("nan"))), flush=True)
    opened = report.get("overlays_opened") or {}
    if opened.get("opened"):
        print(f"overlays opened ({opened['opened']} links, drawn on first open): "
              f"{opened['first_cpu_ms']:.0f} ms CPU per first open, {opened['again_cpu_ms']:.0f} ms when opened again")
    print(f"burst of {burst['photos']} photos: last answered after {burst['seconds_to_last_answer']:.1f} s = "
          f"{burst['photos_per_s']:.2f} photos/s; photo→answer {fmt(burst['answer_ms'])}; answered as {burst['answered_as']}; "
          f"acks meanwhile {fmt(burst['ack_ms'])}")
    print(f"machine load average before {report['loadavg_before'][0]:.1f}, after {report.get('loadavg_after', [float('nan')])[0]:.1f} "
          f"(this run's own processes add about 2-3)")
    print(f"server peak RSS {report.get('server_peak_rss_mb', float('nan')):.0f} MB "
          f"(+ {report.get('pool_peak_rss_mb', float('nan')):.0f} MB in assessment processes); inbox after: {report['inbox_after']}")
    print(f"{report['events']} events: {check['lost']} lost, {check['doubled']} doubled, {check['stray']} stray sends, "
          f"{check['pushed']} answered by push, {report['non_200_acks']} non-200 acks")
    if report["workers"]:
        print(f"workers' peak RSS (each with its assessment processes): "
              f"{', '.join(f'{mb:.0f} MB' for mb in report.get('workers_peak_rss_mb', []))}")
    report["targets"] = targets(report, photos)
    for line in report["targets"]:
        print(f"target {line['what']}: {line['measured']} -> {'met' if line['met'] else 'NOT MET'}")
    stem = "load" if report["database"] == "sqlite" else f"load-postgresql-{report['workers']}w"
    name = f"{stem}-quick.json" if report["quick"] else f"{stem}.json"
    (OUT / name).write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written: {OUT / name}")
    ok = check["lost"] == check["doubled"] == check["stray"] == report["non_200_acks"] == 0
    return 0 if ok else 1


def targets(report, photos) -> list[dict]:
    """The load targets (issues 7 and 10) against this run; a target whose phase did not run
    (e.g. --concurrency without 50) is left out rather than called met."""
    lines = []
    if "cpu_ratio" in photos:
        lines.append({"what": f"CPU per answered photo <= {TARGET_CPU_RATIO} x one bare assess()",
                      "measured": f"{photos['cpu_ratio']:.2f}", "met": photos["cpu_ratio"] <= TARGET_CPU_RATIO})
    at_50 = next((p for p in report["phases"] if p.get("senders") == TARGET_SENDERS), None)
    if at_50 is not None:
        p99 = at_50["ack_ms"]["p99"]
        lines.append({"what": f"ack p99 at {TARGET_SENDERS} senders <= {TARGET_ACK_P99_MS} ms",
                      "measured": f"{p99:.1f} ms", "met": p99 <= TARGET_ACK_P99_MS})
    if photos["photos"]:
        rate, p99 = photos["answered_per_s"], photos["answer_ms"]["p99"]
        lines.append({"what": f">= {TARGET_PHOTOS_PER_S:g} photos/s sustained, photo->answer p99 <= "
                              f"{TARGET_ANSWER_P99_MS} ms",
                      "measured": f"{photos['offered_per_s']:.1f}/s offered, {rate:.2f}/s answered, p99 {p99:.0f} ms",
                      "met": photos["offered_per_s"] >= TARGET_PHOTOS_PER_S - 0.05
                      and rate >= TARGET_PHOTOS_PER_S - 0.05 * TARGET_PHOTOS_PER_S
                      and photos["answered"] == photos["photos"] and p99 <= TARGET_ANSWER_P99_MS})
    return lines


def _answer_window(events, answers, phase) -> float:
    """Seconds from the first photo posted in the phase to its last answer."""
    mine = [e for e in events if e["phase"] == phase and e["kind"] == "photo" and answers[e["id"]]]
    if not mine:
        return float("nan")
    first = min(e["sent_at"] for e in mine)
    last = max(datetime.fromisoformat(answers[e["id"]][0]["at"]).timestamp() for e in mine)
    return last - first


def metrics_url_of(log_path: Path) -> str | None:
    """The server's metrics address, from its log line "metrics on http://127.0.0.1:P/metrics"."""
    for row in Path(log_path).read_text(errors="replace").splitlines():
        if "metrics on http://" in row:
            return row.split("metrics on ", 1)[1].strip()
    return None


def cost_line(photos, sampled_ms: list[float], loop_before_s: float, loop_after_s: float) -> str:
    """CPU per answered photo in the bot's processes against one bare assess() on the same
    photos: the mean of the calls bench/assess_sampler.py made in its own process during the
    phase (`sampled_ms`, the ratio's reference); beside it a back-to-back loop in this process
    right before and right after the phase (warm caches: it reads low, and drifts with the VM).
    Split into the assessment processes' CPU for assess() and for the overlay's data (measured
    there) and the rest (the server: acks, download, store, card, send), with assess() in the
    bot as a third ratio and the stages' wall time."""
    answered = photos.get("answered") or 0
    if not answered or "bot_cpu_s" not in photos or not sampled_ms:
        return "cost per photo: not measured"
    bare_s = statistics.fmean(sampled_ms) / 1000
    loop_s = (loop_before_s + loop_after_s) / 2
    per_photo = photos["bot_cpu_s"] / answered
    stages = dict(photos.get("stage_s", {}))
    assessed = stages.pop("photos", 0.0) or answered
    cpu = {k[4:]: stages.pop(k) / assessed for k in list(stages) if k.startswith("cpu_")}
    wall = {k: v / assessed for k, v in stages.items()}
    rest = per_photo - sum(cpu.values())
    server = photos.get("server_cpu_s", float("nan")) / answered
    photos["cpu_per_photo_s"], photos["cpu_ratio"] = per_photo, per_photo / bare_s
    photos["bare_assess_cpu_s"], photos["bare_assess_calls"] = bare_s, len(sampled_ms)
    photos["loop_assess_cpu_s"], photos["cpu_ratio_to_loop"] = loop_s, per_photo / loop_s
    in_run = cpu.get("assess")
    photos["cpu_ratio_in_run"] = per_photo / in_run if in_run else float("nan")
    photos["cpu_s_per_photo"] = {**cpu, "server and rest": rest, "server": server, "pool rest": rest - server}
    photos["stage_wall_s_per_photo"] = wall
    split = ", ".join(f"{k} {v * 1000:.1f}" for k, v in cpu.items()) or "(no split: a fleet's workers are not scraped)"
    return (f"cost per answered photo: {per_photo * 1000:.1f} ms CPU in the bot's processes (server + assessment pool): "
            + split + f", the rest {rest * 1000:.1f} (server: acks, download, store, card, send {server * 1000:.1f}; "
            f"assessment processes around assess() {(rest - server) * 1000:.1f}); one bare assess() "
            f"{bare_s * 1000:.1f} ms CPU (mean of {len(sampled_ms)} calls, one every {SAMPLER_INTERVAL_S:g} s in a "
            f"process of its own during the phase): ratio {per_photo / bare_s:.2f}. Beside it: a back-to-back loop "
            f"{loop_s * 1000:.1f} ms (before the phase {loop_before_s * 1000:.1f}, after {loop_after_s * 1000:.1f}): "
            f"ratio {photos['cpu_ratio_to_loop']:.2f}; assess() in the bot in this run: ratio "
            f"{photos['cpu_ratio_in_run']:.2f}. Stage wall ms in the pool: "
            + ", ".join(f"{k} {v * 1000:.0f}" for k, v in sorted(wall.items())))


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())

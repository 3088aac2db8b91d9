"""Webhook ack latency against the production server (waitress via `python -m bot serve`).

Signed text events, each from its own user, 1 sender then 20 concurrent senders; prints
median and p99 of the time from sending the POST to reading the 200, and how long the
worker took to answer them all through the LINE emulator. Prints, asserts nothing.
The senders, the emulator and the server share this machine's CPUs."""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sim.emulator import Emulator  # noqa: E402
from storage.db import SYNCHRONOUS  # noqa: E402
from tests.support import webhooks  # noqa: E402

SECRET, TOKEN = "bench-secret", "bench-token"
PER_SENDER = {1: 300, 20: 30}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(emulator, data_dir, port):
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": emulator.url, "ADAI_DATA_DIR": str(data_dir)}
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            requests.get(url + "/healthz", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def sender(url, emulator, count, latencies, users):
    session = requests.Session()
    for _ in range(count):
        user = webhooks.user_id()
        users.append(user)
        raw, headers = webhooks.signed(SECRET, webhooks.text("help", user=user, reply_token=emulator.issue_reply_token(user)))
        start = time.perf_counter()
        response = session.post(url + "/callback", data=raw, headers=headers, timeout=10)
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code


def run(url, emulator, senders, count):
    latencies, users = [], []
    threads = [threading.Thread(target=sender, args=(url, emulator, count, latencies, users)) for _ in range(senders)]
    start = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.perf_counter() - start
    answered = lambda e: len({s["to"] for s in e.sent} & set(users)) == len(users)  # noqa: E731
    emulator.wait_for(answered, timeout=120)
    drained = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    got = len({s["to"] for s in emulator.sent} & set(users))
    print(f"{senders:>2} sender(s): {len(latencies)} events  ack median {statistics.median(latencies):6.2f} ms"
          f"  p99 {p99:6.2f} ms  max {latencies[-1]:6.2f} ms  {len(latencies) / elapsed:6.1f} req/s"
          f"  answered {got}/{len(users)} within {drained:.1f} s", flush=True)


def main():
    emulator = Emulator(TOKEN).start()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(emulator, Path(tmp), free_port())
        try:
            print(f"server: waitress (python -m bot serve), SQLite WAL synchronous={SYNCHRONOUS}, LINE = emulator on loopback, {os.cpu_count()} CPUs shared with the senders")
            sender(url, emulator, 20, [], [])  # warm-up
            for senders, count in PER_SENDER.items():
                run(url, emulator, senders, count)
        finally:
            process.terminate()
            process.wait(10)
            emulator.stop()


if __name__ == "__main__":
    main()

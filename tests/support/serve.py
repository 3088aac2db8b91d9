"""`python -m bot serve` as a real child process on a free port: it binds port 0 itself and
logs the port it got ("serving on http://127.0.0.1:PORT"), which is read back from its log, so
no port is picked, closed and hoped to be free still."""

import re
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SERVING = re.compile(rb"serving on (http://127\.0\.0\.1:\d+)")


def start(env, log_path, *args, timeout=30.0):
    """(process, url) once the server answers /healthz; its output is appended to log_path."""
    log_path = Path(log_path)
    offset = log_path.stat().st_size if log_path.exists() else 0
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0", *args],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded wait for start-up, polling
        found = SERVING.search(log_path.read_bytes()[offset:])
        if found and answers(found.group(1).decode()):
            return process, found.group(1).decode()
        if process.poll() is not None:
            raise RuntimeError(f"server exited during start-up:\n{log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)
    process.kill()
    raise TimeoutError("server did not start")


def answers(url) -> bool:
    try:
        requests.get(url + "/healthz", timeout=1)
        return True
    except requests.ConnectionError:
        return False

"""bench/assess_sampler.py, the reference `make bench-load` sets the bot's CPU per photo
against: it speaks the protocol bench/load.py's AssessSampler expects (ready, go, stop, one
JSON line) and paces its calls."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.assess_sampler import paced_cpu_ms
from inference import Pipeline
from tests.support.chat import photo
from tests.support.devmodels import build_dev_models

ROOT = Path(__file__).resolve().parents[1]


def test_the_sampler_assesses_between_go_and_stop_and_reports_each_calls_cpu(tmp_path):
    models = build_dev_models(tmp_path / "models")
    paths = []
    for i, kind in enumerate(("IM", "AD")):
        paths.append(tmp_path / f"{i}.jpg")
        paths[-1].write_bytes(photo(kind, seed=i))
    sampler = subprocess.Popen([sys.executable, str(ROOT / "bench" / "assess_sampler.py"), str(models), "0.05",
                                *map(str, paths)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert sampler.stdout.readline().strip() == "ready"
        sampler.stdin.write("go\n")
        sampler.stdin.flush()
        went = time.monotonic()
        time.sleep(0.6)
        out, _ = sampler.communicate("stop\n", timeout=30)  # bounded: a sampler that never stops fails here
        elapsed = time.monotonic() - went
        report = json.loads(out.strip().splitlines()[-1])
        assert sampler.returncode == 0
    finally:
        if sampler.poll() is None:
            sampler.kill()
    # One call every 0.05 s at most (fewer when a call outlasts the interval), each costing CPU.
    assert 2 <= report["calls"] <= elapsed / 0.05 + 2 and len(report["cpu_ms"]) == report["calls"]
    assert all(ms > 0 for ms in report["cpu_ms"])


def test_paced_calls_keep_their_interval(tmp_path):
    models = build_dev_models(tmp_path / "models")
    pipeline = Pipeline.from_dir(models, threads=1)
    photos = [photo("IM", seed=1)]
    began = time.monotonic()
    times = paced_cpu_ms(pipeline, photos, 0.1, threading.Event(), limit=5)
    assert len(times) == 5
    assert time.monotonic() - began >= 0.4  # four pauses between five calls
    assert paced_cpu_ms(pipeline, photos, 0.1, _set(), limit=5) == []  # stopped: none


def _set():
    event = threading.Event()
    event.set()
    return event

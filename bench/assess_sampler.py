"""One bare `Pipeline.assess()` at a steady pace, in a process of its own: the reference that
bench/load.py sets the bot's CPU per photo against, measured while the bot runs.

Why paced and at the same time: a loop that assesses photos back to back keeps the models'
weights warm in the CPU caches, so each call costs less than one made between other work, as
the bot's assessment processes make them (bench/bench_photo_parts.py measures both with no bot
running: about 10 % apart); and this VM's speed drifts by 10-30 % within minutes, so a
reference taken before or after the run is off by as much.

    python bench/assess_sampler.py MODELS_DIR INTERVAL_S PHOTO.jpg [PHOTO.jpg ...]

Loads the models (one onnxruntime thread, as in the bot's pool), assesses each photo once,
prints "ready"; on the line "go" on stdin assesses one photo every INTERVAL_S (in turn) until
the line "stop" (or the end of stdin), then prints one JSON line {"calls": n, "cpu_ms": [...]}:
each call's process CPU time."""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inference import Pipeline  # noqa: E402


def paced_cpu_ms(pipeline, photos: list[bytes], interval_s: float, stop: threading.Event,
                 limit: int | None = None) -> list[float]:
    """Process CPU milliseconds of each assess(), one photo every interval_s until `stop` is
    set (or `limit` calls)."""
    times, due = [], time.monotonic()
    while not stop.is_set() and (limit is None or len(times) < limit):
        began = time.process_time()
        pipeline.assess(photos[len(times) % len(photos)])
        times.append((time.process_time() - began) * 1000)
        due += interval_s
        stop.wait(max(0.0, due - time.monotonic()))
    return times


def main(argv: list[str]) -> int:
    models, interval_s, paths = argv[0], float(argv[1]), argv[2:]
    photos = [Path(p).read_bytes() for p in paths]
    pipeline = Pipeline.from_dir(models, threads=1)
    for data in photos:
        pipeline.assess(data)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    stop = threading.Event()

    def wait_for_stop():
        sys.stdin.readline()  # "stop", or "" when the parent closed stdin
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    times = paced_cpu_ms(pipeline, photos, interval_s, stop)
    print(json.dumps({"calls": len(times), "cpu_ms": times}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

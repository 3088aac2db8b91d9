"""The parts of a photo's cost that bench/load.py cannot split (RELIABILITY.md, issue 23):

- CPU per LINE call from our client (loading animation, profile read, a 0.2-0.3 MB photo's
  download, a reply with a result-sized card) against the emulator in its own process;
- the overlay: drawn at once (`overlay_jpeg()`), its data kept instead (`overlay_data.dumps`),
  and drawn from that data and the photo when first opened;
- the server's peak memory when 96 overlays are drawn by 16 threads at once (as waitress's
  threads would) against through the app's single drawing thread (`media.OverlayDrawer`), each
  in a fresh process;
- one bare `assess()` back to back against one every 0.17 s (as each of the bot's two
  assessment processes gets a photo at 12/s), with no bot running: why bench/load.py takes
  its reference from calls paced like the bot's (bench/assess_sampler.py) and not a loop;
- the caller's CPU for a photo-sized (120 KB) round trip to a child process: through a
  ProcessPoolExecutor (what the assessment pool used) against the child's own pipe (what it
  uses, engine/assess_pool.py).

Run: `python bench/bench_photo_parts.py` (part of `make bench`). Medians of rounds, process CPU."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.assess_sampler import paced_cpu_ms  # noqa: E402
from bench.load import Line, models_dir, photo_pool, start_emulator  # noqa: E402
from bot.engine.line_api import LineClient  # noqa: E402
from bot.settings import SIMULATOR_TOKEN  # noqa: E402

USER = "U" + "0" * 32
CARD = {"type": "flex", "altText": "数日以内に受診してください",
        "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": f"line {i}: 写真に、いつもの湿疹と違う見た目があります。", "wrap": True}
            for i in range(24)]},
            "footer": {"type": "box", "layout": "vertical", "contents": [
                {"type": "button", "action": {"type": "postback", "label": f"button {i}", "data": f"action=x{i}"}}
                for i in range(4)]}}}


def cpu_ms(fn, rounds: int) -> float:
    """Median CPU milliseconds of fn(i) over rounds (after one warm call)."""
    fn(0)
    times = []
    for i in range(1, rounds + 1):
        began = time.process_time()
        fn(i)
        times.append((time.process_time() - began) * 1000)
    return statistics.median(times)


def line_calls(photo: bytes, rounds: int = 200) -> dict:
    emulator, url = start_emulator()
    try:
        side = Line(url)
        for i in range(rounds + 1):
            side.add_content(f"m{i}", photo)
        tokens = [side.reply_token(USER) for _ in range(rounds + 1)]
        line = LineClient(SIMULATOR_TOKEN, base_url=url)
        try:
            return {"loading": cpu_ms(lambda i: line.loading(USER), rounds),
                    "profile": cpu_ms(lambda i: line.profile(USER), rounds),
                    "download": cpu_ms(lambda i: line.content(f"m{i}"), rounds),
                    "reply": cpu_ms(lambda i: line.reply(tokens[i], [CARD, {"type": "text", "text": "はい"}]), rounds)}
        finally:
            line.close()
    finally:
        emulator.kill()


def overlay_parts(pool: list[bytes], rounds: int = 20) -> dict:
    from inference import Pipeline, overlay_data

    pipeline = Pipeline.from_dir(models_dir(None)[0], threads=1)
    assessed = [(pipeline.assess(data), data) for data in pool]
    kept = [(overlay_data.dumps(a), data) for a, data in assessed]
    n = len(pool)
    return {"overlay_jpeg": cpu_ms(lambda i: assessed[i % n][0].overlay_jpeg(), rounds * n),
            "data_dumps": cpu_ms(lambda i: overlay_data.dumps(assessed[i % n][0]), rounds * n),
            "drawn_from_data": cpu_ms(lambda i: overlay_data.render_jpeg(*kept[i % n]), rounds * n)}


DRAW_96 = """
import sys, json
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, {root!r})
from inference import Pipeline, overlay_data
from bot.engine.media import OverlayDrawer
pool = [open(p, "rb").read() for p in {paths!r}]
pipeline = Pipeline.from_dir({models!r}, threads=1)
kept = [(overlay_data.dumps(pipeline.assess(d)), d) for d in pool]
del pipeline
drawer = OverlayDrawer() if {one!r} else None
draw = (lambda i: drawer.draw(*kept[i % len(kept)])) if drawer else (lambda i: overlay_data.render_jpeg(*kept[i % len(kept)]))
def hwm():
    return next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmHWM"))
before = hwm()
with ThreadPoolExecutor(16) as readers:
    list(readers.map(draw, range(96)))
print(json.dumps({{"before_mb": before, "after_mb": hwm()}}))
"""


def drawing_memory(paths: list[str]) -> dict:
    out = {}
    for name, one in (("16 threads drawing", False), ("one drawing thread", True)):
        code = DRAW_96.format(root=str(ROOT), paths=paths, models=str(models_dir(None)[0]), one=one)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out[name] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def assess_pacing(pool: list[bytes], rounds: int = 5, calls: int = 24, interval_s: float = 0.17) -> dict:
    """Mean CPU ms of one assess() back to back and paced, in alternating rounds (the VM's speed
    drifts between minutes, not between neighbouring rounds): the medians of the rounds."""
    import threading

    from inference import Pipeline

    pipeline = Pipeline.from_dir(models_dir(None)[0], threads=1)
    never = threading.Event()
    for data in pool:
        pipeline.assess(data)
    loop, paced = [], []
    for _ in range(rounds):
        loop.append(statistics.fmean(paced_cpu_ms(pipeline, pool, 0.0, never, limit=calls)))
        paced.append(statistics.fmean(paced_cpu_ms(pipeline, pool, interval_s, never, limit=calls)))
    return {"back to back": statistics.median(loop), f"one every {interval_s:g} s": statistics.median(paced),
            "paced / back to back": statistics.median(p / b for p, b in zip(paced, loop))}


def _echo(data: bytes, captions=None):
    return len(data), b"x" * 3000, None  # about an assessment's answer without its pictures


def _echo_serve(conn):
    while True:
        try:
            data, captions = conn.recv()
        except EOFError:
            return
        conn.send(_echo(data, captions))


def ipc_round_trip(calls: int = 300, rounds: int = 3) -> dict:
    """This process's CPU ms per round trip (medians of rounds; a 5 ms pause between calls as
    photos come apart): ProcessPoolExecutor submit/result against send/recv on a pipe."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    data = os.urandom(120_000)
    executor_ms, pipe_ms = [], []
    with ProcessPoolExecutor(1, mp_context=context) as executor:
        executor.submit(_echo, data).result()
        ours, theirs = context.Pipe()
        child = context.Process(target=_echo_serve, args=(theirs,), daemon=True)
        child.start()
        theirs.close()
        ours.send((data, None))
        ours.recv()
        for _ in range(rounds):
            began = time.process_time()
            for _ in range(calls):
                executor.submit(_echo, data).result()
                time.sleep(0.005)
            executor_ms.append((time.process_time() - began) * 1000 / calls)
            began = time.process_time()
            for _ in range(calls):
                ours.send((data, None))
                ours.recv()
                time.sleep(0.005)
            pipe_ms.append((time.process_time() - began) * 1000 / calls)
        ours.close()
        child.join(5)
    return {"ProcessPoolExecutor": statistics.median(executor_ms), "own pipe": statistics.median(pipe_ms)}


def main() -> int:
    models, kind = models_dir(None)
    pool = photo_pool(4, kind)
    paths = sorted(str(p) for p in (ROOT / "bench" / "out" / "load-photos").glob("*/*.jpg"))[:4]
    calls = line_calls(pool[0])
    print("LINE client CPU per call (median ms): " + ", ".join(f"{k} {v:.2f}" for k, v in calls.items()))
    parts = overlay_parts(pool)
    print("overlay CPU per photo (median ms): " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    memory = drawing_memory(paths)
    print("peak RSS drawing 96 overlays: " + "; ".join(
        f"{k}: {v['before_mb']} -> {v['after_mb']} MB" for k, v in memory.items()))
    ipc = ipc_round_trip()
    print("caller's CPU per 120 KB round trip to a child (median ms): " + ", ".join(
        f"{k} {v:.3f}" for k, v in ipc.items()))
    pacing = assess_pacing(pool)
    print("bare assess() CPU (median of 5 rounds of 24 calls, ms): " + ", ".join(
        f"{k} {v:.2f}" for k, v in pacing.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

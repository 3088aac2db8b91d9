"""Inference benchmark (the inference part of `make bench`).

    python bench/bench_inference.py [--models DIR] [--files 6] [--repeats 5] [--threads 2]

On generated 4000×3000 phone-like JPEGs of 1.5–5 MB (phantom photos from models/phantom scaled
up with sensor-like noise, or with --source drawn a drawn skin patch; cached in bench/out/), prints:
- per-stage median and p95 of Pipeline.assess (decode, quality, segment, crops, refine (a finer
  decode, only when a crop would be upsampled > 2×), classify, total);
- in the same run, the median of a plain full-resolution Pillow decode of the same files, and
  the ratio assess() / full decode (target ≤ 1.0);
- RSS added by loading both models (a fresh subprocess; target ≤ 150 MB);
- the time to refuse each kind of broken input (target < 1 s).
Models: --models, else models/ when models/manifest.json exists, else the dev colour-rule pair.
Nothing is asserted: the numbers are printed for people to read.
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

OUT = ROOT / "bench" / "out"
SIZES_MB = [1.5, 2.2, 3.0, 3.7, 4.4, 5.0]
STAGES = ["decode", "quality", "segment", "crops", "refine", "classify", "total"]


def models_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    if (ROOT / "models" / "manifest.json").exists():
        return ROOT / "models"
    from tests.support.devmodels import build_dev_models
    return build_dev_models(OUT / "devmodels")


def phantoms(count: int) -> list[Image.Image]:
    """Phantom photos (models/phantom: close, medium and long shots) the real models can read."""
    folder = OUT / "phantom"
    if not (folder / "labels.csv").exists():
        subprocess.run([sys.executable, "-m", "models", "phantom", "--out", str(folder),
                        "--n", str(count), "--seed", "99", "--workers", "1"],
                       cwd=ROOT, check=True, capture_output=True)
    return [Image.open(p) for p in sorted((folder / "images").glob("*"))[:count]]


def phone_photos(count: int, source: str = "phantom") -> list[Path]:
    """4000×3000 (or 3000×4000) JPEGs of 1.5–5 MB, made once and kept in bench/out/."""
    from tests.support.phone_photos import phone_jpeg
    OUT.mkdir(parents=True, exist_ok=True)
    bases = phantoms(count) if source == "phantom" else [None] * count
    paths = []
    for i, mb in enumerate((SIZES_MB * ((count // len(SIZES_MB)) + 1))[:count]):
        path = OUT / f"{source}_{i}_{mb:.1f}mb.jpg"
        if not path.exists():
            base = bases[i]
            size = (3000, 4000) if base is not None and base.height > base.width else (4000, 3000)
            lesion = (0.3 + 0.08 * i, 0.35 + 0.05 * (i % 4), 0.03 + 0.01 * (i % 3))
            path.write_bytes(phone_jpeg(size, target_mb=mb, seed=i, lesions=[lesion], base=base))
        paths.append(path)
    return paths


def full_decode_ms(data: bytes) -> float:
    start = time.perf_counter()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_assess(pipeline, paths: list[Path], repeats: int) -> None:
    stages = {name: [] for name in STAGES}
    decode_all, assess_all, qualities = [], [], []
    print(f"\n{'file':28} {'MB':>5} {'full decode':>12} {'assess':>8} {'ratio':>6}  quality")
    for path in paths:
        data = path.read_bytes()
        pipeline.assess(data)  # warm-up: first-run allocations are not the steady state
        full_decode_ms(data)
        decodes, totals = [], []
        for _ in range(repeats):  # interleaved, so both see the same machine load
            decodes.append(full_decode_ms(data))
            result = pipeline.assess(data)
            totals.append(result.stages_ms["total"])
            for name in STAGES:
                stages[name].append(result.stages_ms.get(name, 0.0))
        decode_all += decodes
        assess_all += totals
        qualities.append(result.quality)
        d, a = statistics.median(decodes), statistics.median(totals)
        print(f"{path.name:28} {len(data) / 1e6:5.2f} {d:10.1f}ms {a:6.1f}ms {a / d:6.2f}  {result.quality}")
    print(f"\nper stage over {len(assess_all)} runs (ms):   median     p95")
    for name in STAGES:
        print(f"  {name:10} {statistics.median(stages[name]):24.1f} {pct(stages[name], 0.95):7.1f}")
    d, a = statistics.median(decode_all), statistics.median(assess_all)
    print(f"\nfull-resolution Pillow decode median: {d:.1f} ms   assess() median: {a:.1f} ms")
    print(f"RATIO assess()/full decode = {a / d:.2f}   (target <= 1.0)")
    print(f"quality verdicts: {sorted(set(qualities))}")


def rss_probe(path: Path, threads: int, source: str) -> dict:
    """Run in a fresh process: RSS before and after loading both models, and after one assess."""
    import numpy  # noqa: F401  imports first, so only the models are counted
    import onnxruntime  # noqa: F401

    from inference.pipeline import Pipeline

    def status(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
        return float("nan")

    before = status("VmRSS:")
    pipeline = Pipeline.from_dir(path, threads=threads)
    loaded, loaded_peak = status("VmRSS:"), status("VmHWM:")
    pipeline.assess(phone_photos(1, source)[0].read_bytes())
    return {"before_mb": before, "after_load_mb": loaded, "peak_after_load_mb": loaded_peak,
            "after_assess_mb": status("VmRSS:"), "peak_after_assess_mb": status("VmHWM:")}


def bench_rss(path: Path, threads: int, source: str) -> None:
    done = subprocess.run([sys.executable, __file__, "--rss-probe", "--models", str(path),
                           "--threads", str(threads), "--source", source],
                          capture_output=True, text=True, check=True)
    rss = json.loads(done.stdout.strip().splitlines()[-1])
    added = rss["after_load_mb"] - rss["before_mb"]
    print(f"\nRSS: {rss['before_mb']:.0f} MB with onnxruntime imported, "
          f"{rss['after_load_mb']:.0f} MB with both models loaded -> ADDED BY MODELS {added:.0f} MB "
          f"(target <= 150); peak during load {rss['peak_after_load_mb'] - rss['before_mb']:.0f} MB added; "
          f"after one 12 MP assess {rss['after_assess_mb'] - rss['before_mb']:.0f} MB added "
          f"(peak {rss['peak_after_assess_mb'] - rss['before_mb']:.0f} MB)")


def bench_refusals(pipeline) -> None:
    from tests.support.broken_files import BROKEN
    from inference.errors import InferenceError
    print("\nrefusals (target < 1 s each):")
    for name, (make, _code) in BROKEN.items():
        data = make()
        start = time.perf_counter()
        try:
            pipeline.assess(data)
            outcome = "NOT REFUSED"
        except InferenceError as refused:
            outcome = refused.code
        print(f"  {name:20} {outcome:18} {(time.perf_counter() - start) * 1000:8.1f} ms")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models")
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--source", choices=["phantom", "drawn"], default="phantom",
                        help="phantom photos scaled up (default) or the drawn skin patch")
    parser.add_argument("--rss-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = models_dir(args.models)
    if args.rss_probe:
        print(json.dumps(rss_probe(path, args.threads, args.source)))
        return 0
    from inference.pipeline import Pipeline
    pipeline = Pipeline.from_dir(path, threads=args.threads)
    print(f"models: {path} -> {pipeline.models}; intra-op threads {args.threads}")
    bench_assess(pipeline, phone_photos(args.files, args.source), args.repeats)
    bench_rss(path, args.threads, args.source)
    bench_refusals(pipeline)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m models evaluate: run the evaluation (models/evaluate.py) and write the report
(models/report.py). Kept apart so that the report may use the evaluation's helpers without an
import cycle."""
from __future__ import annotations

import argparse
from pathlib import Path

from models import evaluate, report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models evaluate", description=evaluate.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=evaluate.DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=evaluate.TEST_N, help="phantom test images, if generated")
    parser.add_argument("--seed", type=int, default=evaluate.TEST_SEED, help="phantom test seed, if generated")
    parser.add_argument("--workers", type=int, default=2, help="phantom generation processes")
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--limit", type=int, help="evaluate only the first N photos (smoke runs)")
    parser.add_argument("--no-spot-check", action="store_true",
                        help="skip re-rendering phantoms to locate moles and freckles (faster)")
    parser.add_argument("--real-photos", type=int, metavar="N",
                        help="only the first N held-out real photos (each with its variants)")
    parser.add_argument("--report", type=Path, default=Path("models/EVALUATION.md"))
    parser.add_argument("--card", type=Path, default=Path("models/card"))
    parser.add_argument("--latency-only", action="store_true",
                        help="measure the speed again and rewrite the report from the last "
                             "run's card/evaluation.json (the shared CPU is often busy)")
    args = parser.parse_args(argv)
    if args.latency_only:
        report.refresh_latency(evaluate.latencies(args.models), args.report, args.card)
        print(f"rewrote the speed section of {args.report}", flush=True)
        return 0
    evaluate.ensure_test_set(args.data, args.n, args.seed, args.workers)
    result = evaluate.run(args.data, args.models, args.limit, check_spots=not args.no_spot_check,
                          real_limit=args.real_photos)
    result["command"] = {"data": str(args.data), "n": args.n, "seed": args.seed}
    report.write(result, args.report, args.card)
    print(f"wrote {args.report} and {args.card}/evaluation.png", flush=True)
    return 0

"""python -m inference assess IMAGE [--json] [--overlay OUT.png] [--models DIR]

Exit 0 with the assessment (JSON with --json, a short summary otherwise). A refused input or
a model problem prints {"error": code, "message": ...} on stdout and exits non-zero, never a
traceback: 2 for a refused input or unreadable file, 3 for models, 1 for anything unexpected.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from PIL import Image

from inference.errors import InferenceError, ModelManifestError
from inference.pipeline import Pipeline

EXIT_REFUSED, EXIT_MODELS, EXIT_INTERNAL = 2, 3, 1


def _error(code: str, message: str, status: int) -> int:
    print(json.dumps({"error": code, "message": message}, ensure_ascii=False))
    return status


def _summary(result: dict) -> str:
    lines = [f"quality: {result['quality']}"]
    if result["skin_fraction"] is not None:
        lines.append(f"skin {result['skin_fraction']:.1%}, lesion {result['lesion_fraction']:.1%}")
    for i, crop in enumerate(result["crops"], start=1):
        probs = ", ".join(f"{k} {v:.2f}" for k, v in crop["probabilities"].items())
        lines.append(f"crop {i} {crop['box']}: {probs}")
    if result["top"]:
        lines.append(f"photo: {result['top']} (p not AD {result['p_not_ad']:.2f})")
    lines.append(f"models: {result['models']}  timings_ms: {result['timings_ms']}")
    return "\n".join(lines)


def assess(args) -> int:
    try:
        data = Path(args.image).read_bytes()
    except OSError as exc:
        return _error("file_unreadable", f"{args.image}: {exc.strerror}", EXIT_REFUSED)
    try:
        pipeline = Pipeline.from_dir(args.models)
    except ModelManifestError as exc:
        return _error(exc.code, exc.message, EXIT_MODELS)
    try:
        assessment = pipeline.assess(data)
    except InferenceError as exc:
        return _error(exc.code, exc.message, EXIT_REFUSED)
    result = assessment.to_dict()
    print(json.dumps(result, ensure_ascii=False) if args.json else _summary(result))
    if args.overlay:
        Path(args.overlay).write_bytes(pipeline.overlay(data, assessment))
    return 0


COMMANDS = {"assess": assess}


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="python -m inference")
    commands = main_parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("assess", help="assess one photo")
    one.add_argument("image")
    one.add_argument("--json", action="store_true", help="print DESIGN.md's JSON")
    one.add_argument("--overlay", metavar="OUT.png", help="write the overlay picture here")
    one.add_argument("--models", metavar="DIR", default=os.environ.get("ADAI_MODELS_DIR", "models"),
                     help="models folder (default $ADAI_MODELS_DIR or ./models)")
    return main_parser


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    # One photo, one thread: Pillow's bomb warning would only repeat our image_too_large.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    try:
        return COMMANDS[args.command](args)
    except Exception as exc:  # the CLI promise: a JSON line, never a traceback
        return _error("internal_error", f"{type(exc).__name__}: {exc}", EXIT_INTERNAL)


if __name__ == "__main__":
    sys.exit(main())

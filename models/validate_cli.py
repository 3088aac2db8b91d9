"""python -m models validate --data TEST_DIR [--out VALIDATION.md] [--sign NAME --clinic NAME]

Runs the shipped pipeline (the ONNX models of --models, default models/) on a clinic's
held-out test folder (the layout `python -m models train --data` reads, with a `patient`
column) and writes VALIDATION.md with a reliability plot beside it. With --sign, a clinician
signs the result into the manifest's `validation` block — refused (exit 3, manifest
unchanged) below 30 patients in any of AD, IM, HI, MF, when the lower 95 % bound of
sensitivity or specificity is under 0.80, or on phantom photos.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference.errors import InferenceError
from models import data, signoff, validate, validation_report

REFUSED = 3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models validate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="held-out test folder")
    parser.add_argument("--out", type=Path, help="report (default: TEST_DIR/VALIDATION.md)")
    parser.add_argument("--models", type=Path, default=Path("models"),
                        help="models folder whose manifest a sign-off writes (default models/)")
    parser.add_argument("--sign", metavar="NAME", help="the clinician who signs the result off")
    parser.add_argument("--clinic", metavar="NAME", default="", help="where the photos come from")
    parser.add_argument("--describe", metavar="TEXT", help="the data, in the clinic's words")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        result = validate.run(args.data, args.models, threads=args.threads)
    except (data.DatasetError, InferenceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or args.data / "VALIDATION.md"
    refusal = None
    if args.sign is None:
        sign_off = ("not asked; the manifest is unchanged (a clinician signs with --sign NAME "
                    "--clinic NAME)")
    else:
        try:
            signed = signoff.sign(result, args.models, args.clinic, args.sign,
                                  description=args.describe)
            sign_off = (f"signed by {signed['signed_by']} ({signed['clinic']}) on "
                        f"{signed['date']} into `{args.models}/manifest.json`")
        except (signoff.SignOffRefused, InferenceError) as exc:  # refused, or a broken manifest
            refusal = str(exc)
            sign_off = f"**refused**, the manifest is unchanged: {refusal}"
    validation_report.write(result, out, sign_off)
    print(f"wrote {out} and {out.parent / validation_report.PLOT}", flush=True)
    if refusal:
        print(f"error: sign-off refused: {refusal}", file=sys.stderr)
        return REFUSED
    return 0

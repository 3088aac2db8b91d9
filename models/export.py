"""Export trained checkpoints to single-file ONNX and check them against PyTorch.

    python -m models export [--checkpoints models/checkpoints] [--out models]
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

from models import data, manifest

OPSET = 17
DYNAMIC_AXES = {"segmenter": {"image": {2: "height", 3: "width"}, "logits": {2: "height", 3: "width"}},
                "classifier": {"image": {0: "batch"}, "logits": {0: "batch"},
                               "features": {0: "batch"}}}
# The classifier also gives its pooled features: the `unfamiliar` verdict compares them with
# the training crops' (models/familiarity.py, inference/familiarity.py).
OUTPUT_NAMES = {"segmenter": ["logits"], "classifier": ["logits", "features"]}
TOLERANCE = 1e-3


class ExportMismatch(RuntimeError):
    """onnxruntime's output differs from PyTorch's beyond the tolerance."""


def exportable(net, kind: str):
    from models.nets import WithFeatures
    return WithFeatures(net).eval() if kind == "classifier" else net.eval()


def onnx_bytes(net, kind: str, input_size) -> bytes:
    import torch
    net = exportable(net, kind)
    dummy = torch.zeros(1, 3, *input_size)
    buffer = io.BytesIO()
    # TorchScript exporter: one self-contained file, no external data, no onnxscript needed.
    torch.onnx.export(net, dummy, buffer, input_names=["image"], output_names=OUTPUT_NAMES[kind],
                      dynamic_axes=DYNAMIC_AXES[kind], opset_version=OPSET, dynamo=False)
    return buffer.getvalue()


def session(model: bytes | str | Path, threads: int = 2):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def check_shapes(kind: str, input_size) -> list[tuple[int, ...]]:
    """Shapes that compare ONNX with torch: the segmenter at a second, odd size too (dynamic H, W),
    the classifier with a batch of five (dynamic batch)."""
    h, w = input_size
    second = (1, 3, h - 56, w + 56) if kind == "segmenter" else (5, 3, h, w)
    return [(1, 3, h, w), second]


def verify(net, kind: str, model: bytes, input_size) -> float:
    """Largest absolute difference between torch and onnxruntime outputs (logits, features)."""
    import torch
    net = exportable(net, kind)
    sess = session(model)
    rng = np.random.default_rng(0)
    worst = 0.0
    for shape in check_shapes(kind, input_size):
        x = rng.standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            expected = net(torch.from_numpy(x))
        expected = [t.numpy() for t in (expected if isinstance(expected, tuple) else (expected,))]
        for name, want, got in zip(OUTPUT_NAMES[kind], expected, sess.run(OUTPUT_NAMES[kind], {"image": x})):
            if got.shape != want.shape:
                raise ExportMismatch(f"{kind} {name}: shape {got.shape} != {want.shape}")
            worst = max(worst, float(np.abs(got - want).max()))
    if worst > TOLERANCE:
        raise ExportMismatch(f"{kind}: onnxruntime differs from torch by {worst:.2e}")
    return worst


def latency_times(model: bytes | str | Path, shape, threads: int = 2, repeats: int = 50) -> list[float]:
    """Wall time in ms of each of `repeats` onnxruntime runs on `threads` threads (after 5 warm-ups)."""
    sess = session(model, threads)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for _ in range(5):
        sess.run(None, {"image": x})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sess.run(None, {"image": x})
        times.append((time.perf_counter() - start) * 1000)
    return times


def trained_on(info: dict) -> str:
    """"phantom" or "photos": what a checkpoint learned from."""
    return "phantom" if info.get("synthetic", data.is_phantom(info["data"])) else "photos"


def describe_training(infos: dict) -> str:
    """One sentence per model: which data, how many images, how many steps, where."""
    parts = []
    for kind, info in infos.items():
        source = Path(info["data"])
        what = ("synthetic phantom images (no real patient photos)" if trained_on(info) == "phantom"
                else "photos")
        recipe = info["recipe"]
        parts.append(f"{kind}: {info['n_train']} {what} from {source.name} "
                     f"({info['n_val']} held out for validation), {recipe['steps']} steps of "
                     f"batch {recipe['batch']}, seed {recipe['seed']}, on {info['device']}")
    return "; ".join(parts) + "."


class KeptModelMismatch(Exception):
    """The model to keep is missing, or is not the file the manifest in the folder describes."""


def kept_entry(out: Path, kind: str) -> tuple[list[int], str, str | None]:
    """The input size and the training sentence of the committed `kind` model in `out`, after
    checking that the file on disk is the one its manifest names (only that entry: the other
    model is about to be replaced, and the familiarity block is rewritten by calibrate)."""
    path = Path(out) / manifest.MANIFEST
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
        entry = current["models"][kind]
        same = manifest.sha256(Path(out) / entry["file"]) == entry["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeptModelMismatch(f"cannot keep the {kind} of {out}: {exc!r}") from exc
    if not same:
        raise KeptModelMismatch(f"cannot keep the {kind} of {out}: {entry['file']} is not the "
                                f"file {path} describes (its sha256 differs)")
    sentence = next((part.strip().rstrip(".") for part in str(current.get("training_data", "")).split("; ")
                     if part.strip().startswith(f"{kind}:")), f"{kind}: kept from the previous export")
    return entry["input_size"], sentence, entry.get("trained_on")


def export_all(checkpoints: Path, out: Path, training_data: str | None = None,
               keep: str | None = None) -> dict:
    """Export both models from `checkpoints`, or, with `keep` ("segmenter" or "classifier"),
    only the other one, leaving the committed file of `keep` in `out` as it is (e.g. the
    classifier retrained on its own). The familiarity statistics are dropped either way: they
    describe the old classifier, so `python -m models calibrate` must run next."""
    from models import train
    out = Path(out)
    kept = {keep: kept_entry(out, keep)} if keep else {}
    built = {}
    # Every model is built and checked before anything is written: a missing or broken
    # checkpoint must not leave a new ONNX file beside an old manifest (the bot would refuse both).
    for kind in ("segmenter", "classifier"):
        if kind in kept:
            continue
        net, info = train.load_trained(kind, checkpoints)
        model = onnx_bytes(net, kind, info["input_size"])
        built[kind] = model, info, verify(net, kind, model, info["input_size"])
    out.mkdir(parents=True, exist_ok=True)
    files = {kind: {"path": out / manifest.FILES[kind], "input_size": size, "info": None,
                    "trained_on": learned_from}
             for kind, (size, _, learned_from) in kept.items()}
    for kind, (model, info, diff) in built.items():
        path = out / manifest.FILES[kind]
        path.write_bytes(model)
        files[kind] = {"path": path, "input_size": info["input_size"], "info": info,
                       "trained_on": trained_on(info)}
        print(f"{kind}: {path} {len(model) / 1e6:.2f} MB, max |onnx - torch| = {diff:.1e}", flush=True)
    for kind in kept:
        print(f"{kind}: {files[kind]['path']} kept as it was", flush=True)
    if not training_data:
        sentences = {kind: sentence for kind, (_, sentence, _) in kept.items()}
        sentences.update({kind: describe_training({kind: entry["info"]}).rstrip(".")
                          for kind, entry in files.items() if entry["info"] is not None})
        training_data = "; ".join(sentences[kind] for kind in manifest.FILES) + "."
    manifest.write_manifest(out, files, training_data=training_data)
    print(f"manifest: {out / manifest.MANIFEST}", flush=True)
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models export", description=__doc__)
    parser.add_argument("--checkpoints", type=Path, default=Path("models/checkpoints"))
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--training-data", help="describe the training data in the manifest")
    parser.add_argument("--keep", choices=list(manifest.FILES),
                        help="keep this model of --out as it is and export only the other "
                             "(e.g. --keep segmenter after `train --what classifier`)")
    args = parser.parse_args(argv)
    try:
        export_all(args.checkpoints, args.out, args.training_data, keep=args.keep)
    except (KeptModelMismatch, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0

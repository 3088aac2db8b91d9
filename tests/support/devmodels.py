"""A tiny, deterministic stand-in pair of ONNX models with the manifest's exact contract.

Built with the `onnx` helper API (no torch), so tests and benchmarks can run the real
pipeline through real onnxruntime sessions before, or beside, the trained models:

- segmenter "image" float32 [N, 3, H, W] (dynamic H, W) → logits [N, 3, H, W]:
  a 5×5 average, then a colour rule as a 1×1 convolution — beige is skin, red is lesion,
  anything else (grey, blue, white, black) background.
- classifier "image" float32 [N, 3, S, S] (dynamic N) → logits [N, 4]: global average colour
  through one linear layer — reddish crops are AD, yellow (honey crust) IM, purple MF,
  pale blue-white (vesicles) HI; and "features" [N, 3], that average colour (normalised).
- the manifest's familiarity block (schema 2) lets every crop colour through and calls a
  photo `unfamiliar` only when lesion covers more than DEV_MAX_LESION of the frame, so tests
  can reach that verdict with a photo that is all lesion.

The rules are written on pixel/255 and folded into the normalised inputs, so the manifest's
mean/std are honoured exactly as with the trained models. Never committed as models/.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SEGMENTER_SIZE = [256, 256]
CLASSIFIER_SIZE = [160, 160]
OPSET = 17

# logit = A @ rgb + b, rgb in 0..1; rows background, skin, lesion.
SEG_A = np.array([[0, 0, 0], [20, 0, -20], [50, -30, -20]], dtype=np.float32)
SEG_B = np.array([0, -2.4, -11.4], dtype=np.float32)
# rows AD, IM, HI, MF.
CLS_A = np.array([[0, 0, 0], [0, 12, -12], [-8, -8, 24], [8, -16, 8]], dtype=np.float32)
CLS_B = np.array([2.0, -2.0, -6.0, -3.0], dtype=np.float32)
DEV_MAX_LESION = 0.9


def _fold(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rules on rgb = x * std + mean → weights and bias on the normalised input x."""
    std, mean = np.array(STD, np.float32), np.array(MEAN, np.float32)
    return (a * std).astype(np.float32), (b + a @ mean).astype(np.float32)


def segmenter_model() -> onnx.ModelProto:
    weight, bias = _fold(SEG_A, SEG_B)
    nodes = [
        helper.make_node("AveragePool", ["image"], ["smooth"], kernel_shape=[5, 5],
                         pads=[2, 2, 2, 2], count_include_pad=0),
        helper.make_node("Conv", ["smooth", "W", "B"], ["logits"], kernel_shape=[1, 1]),
    ]
    graph = helper.make_graph(
        nodes, "dev_segmenter",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [numpy_helper.from_array(weight.reshape(3, 3, 1, 1), "W"), numpy_helper.from_array(bias, "B")])
    return _finish(graph)


def classifier_model(size=CLASSIFIER_SIZE) -> onnx.ModelProto:
    weight, bias = _fold(CLS_A, CLS_B)
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], transB=1),
        helper.make_node("Identity", ["flat"], ["features"]),
    ]
    graph = helper.make_graph(
        nodes, "dev_classifier",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, *size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(weight, "W"), numpy_helper.from_array(bias, "B")])
    return _finish(graph)


def _finish(graph) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _entry(path: Path, kind: str, size, classes) -> dict:
    return {"file": path.name, "name": f"dev-{kind}-colour-rule", "version": "0.0.0-dev",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "input_name": "image",
            "input_size": list(size), "mean": MEAN, "std": STD, "classes": classes,
            "output": "logits"}


def dev_familiarity() -> dict:
    """Statistics wide enough for any colour (the rules above are not a learned model)."""
    return {"mean": [0.0, 0.0, 0.0], "components": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            "class_means": {c: [0.0, 0.0, 0.0] for c in ("AD", "IM", "HI", "MF")},
            "variances": [100.0, 100.0, 100.0], "residual_scale": 1.0,
            "probe": {"mean": [0.0] * 3, "scale": [1.0] * 3, "weights": [0.0] * 3, "bias": -10.0},
            "thresholds": {"photo_score": 1000.0, "max_lesion_fraction": DEV_MAX_LESION,
                           "max_outlier_probability": 1.0}}


def build_dev_models(out_dir) -> Path:
    """Write segmenter.onnx, classifier.onnx and a schema-2 manifest.json into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(segmenter_model(), out / "segmenter.onnx")
    onnx.save(classifier_model(), out / "classifier.onnx")
    manifest = {
        "schema": 2, "validated": False,
        "intended_use": "development stand-in for tests and benchmarks; not a model",
        "training_data": "none: hand-written colour rules",
        "models": {
            "segmenter": _entry(out / "segmenter.onnx", "segmenter", SEGMENTER_SIZE,
                                ["background", "skin", "lesion"]),
            "classifier": _entry(out / "classifier.onnx", "classifier", CLASSIFIER_SIZE,
                                 ["AD", "IM", "HI", "MF"]),
        },
        "familiarity": dev_familiarity(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    import sys
    print(build_dev_models(sys.argv[1] if len(sys.argv) > 1 else "/data/devmodels"))

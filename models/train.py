"""Train the segmenter and the classifier on a dataset folder (phantom or real).

    python -m models train --data DIR [--what both|segmenter|classifier] [--fresh]

Seeded: the batch of step i is drawn from RNG(seed, i), so a run resumed from its checkpoint
sees the same batches as one that never stopped. Checkpoints (models/checkpoints/<kind>.pt,
git-ignored) are written every --save-every steps; run it again with the same arguments and it
carries on where it stopped. Progress goes to stdout and to <checkpoints>/train.log.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models import data, nets

DEFAULT_DATA = Path("data/phantom-train")
DEFAULT_CHECKPOINTS = Path("models/checkpoints")
DEFAULT_CROP_SEGMENTER = Path("models")  # the committed, shipped models


@dataclass
class Recipe:
    kind: str
    steps: int
    batch: int
    lr: float
    size: int
    seed: int = 1
    weight_decay: float = 1e-4
    warmup: float = 0.03
    val_fraction: float = 0.05
    cache_side: int = 384


# The default recipe (make train, 2 CPU cores); --seg-steps/--cls-steps/--*-batch scale it up.
RECIPES = {
    "segmenter": Recipe("segmenter", steps=1500, batch=12, lr=1e-3, size=256),
    "classifier": Recipe("classifier", steps=1200, batch=32, lr=5e-4, size=160),
}


class CheckpointMismatch(RuntimeError):
    """A checkpoint exists but was made with another recipe or data set."""


class NoTrainingData(RuntimeError):
    """The data folder holds nothing this model can learn from."""


class NoMasks(NoTrainingData):
    """The segmenter has no hand-drawn masks to learn from (the classifier still may)."""


# --- data -------------------------------------------------------------------------------

def _seg_record(args):
    item, side = args
    return data.seg_record(item, side)


def _cls_record(args):
    item, size, mask = args
    return data.cls_records(item, size, mask=mask), data.LABELS.index(item.label)


def cached(function, jobs, workers: int) -> list:
    if workers > 1:
        with Pool(workers) as pool:
            return pool.map(function, jobs, chunksize=8)
    return [function(job) for job in jobs]


class StepBatches(torch.utils.data.Dataset):
    """Item i is the whole batch of training step i, drawn from RNG(seed, i)."""

    def __init__(self, recipe: Recipe, records: list):
        self.recipe, self.records = recipe, records
        if recipe.kind == "classifier":
            labels = np.array([label for _, label in records])
            self.by_class = [np.flatnonzero(labels == c) for c in range(len(data.LABELS))]
            self.by_class = [members for members in self.by_class if len(members)]

    def __len__(self):
        return self.recipe.steps

    def __getitem__(self, step: int):
        rng = np.random.default_rng([self.recipe.seed, step])
        return getattr(self, f"{self.recipe.kind}_batch")(rng)

    def segmenter_batch(self, rng):
        picks = rng.integers(0, len(self.records), self.recipe.batch)
        pairs = [data.seg_sample(self.records[i], self.recipe.size, rng) for i in picks]
        return (torch.from_numpy(np.stack([p[0] for p in pairs])),
                torch.from_numpy(np.stack([p[1] for p in pairs])))

    def classifier_batch(self, rng):
        # Class-balanced: real data sets are rarely balanced, and the rare classes matter most.
        images, labels = [], []
        for _ in range(self.recipe.batch):
            members = self.by_class[rng.integers(len(self.by_class))]
            crops, label = self.records[members[rng.integers(len(members))]]
            images.append(data.cls_sample(crops[rng.integers(len(crops))], self.recipe.size, rng))
            labels.append(label)
        return torch.from_numpy(np.stack(images)), torch.tensor(labels)


def load_records(recipe: Recipe, items: list, workers: int,
                 crop_segmenter: Path = DEFAULT_CROP_SEGMENTER) -> list:
    """The segmenter learns from masked photos only. The classifier's crops come from the mask,
    or, for a photo without one, from the mask the shipped segmenter in `crop_segmenter`
    predicts (by the same 80/10 rule)."""
    if recipe.kind == "segmenter":  # every labelled photo with a mask, `healthy`/`background` too
        masked = [item for item in items if item.mask is not None]
        return cached(_seg_record, [(item, recipe.cache_side) for item in masked], workers)
    items = data.lesion_items(items)  # the classifier's classes are the lesion labels only
    masked = [item for item in items if item.mask is not None]
    predicted = predicted_masks([item for item in items if item.mask is None], crop_segmenter)
    jobs = [(item, recipe.size, None) for item in masked]
    jobs += [(item, recipe.size, mask) for item, mask in predicted]
    return cached(_cls_record, jobs, workers)


def predicted_masks(items: list, crop_segmenter: Path) -> list:
    """(item, predicted class mask) in this process: ONNX sessions do not travel to workers."""
    if not items:
        return []
    from inference import Pipeline
    from inference.errors import InferenceError
    try:
        pipeline = Pipeline.from_dir(crop_segmenter)
    except InferenceError as exc:
        raise data.DatasetError(f"{len(items)} photos have no mask and the crop segmenter in "
                                f"{crop_segmenter} cannot be loaded: {exc}") from exc
    return [(item, data.predicted_mask(pipeline, item.image)) for item in items]


# --- losses and metrics ----------------------------------------------------------------

def seg_loss(logits, target):
    """Cross-entropy plus soft Dice on skin and lesion (Dice pulls IoU, CE keeps it stable)."""
    ce = F.cross_entropy(logits, target)
    probs = logits.float().softmax(1)
    onehot = F.one_hot(target, probs.shape[1]).permute(0, 3, 1, 2).float()
    inter = (probs * onehot).sum((0, 2, 3))
    dice = (2 * inter + 1) / (probs.sum((0, 2, 3)) + onehot.sum((0, 2, 3)) + 1)
    return ce + (1 - dice[1:]).mean()


def cls_loss(logits, target):
    return F.cross_entropy(logits, target, label_smoothing=0.05)


LOSSES = {"segmenter": seg_loss, "classifier": cls_loss}


def iou(pred: np.ndarray, target: np.ndarray, cls: int) -> float:
    a, b = pred == cls, target == cls
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


@torch.no_grad()
def validate(net, recipe: Recipe, records: list, device) -> dict:
    if not records:
        return {}
    net.eval()
    rng = np.random.default_rng(0)
    if recipe.kind == "segmenter":
        preds, targets = [], []
        for record in records:
            x, y = data.seg_sample(record, recipe.size, rng, augment=False)
            logits = net(torch.from_numpy(x[None]).to(device))
            preds.append(logits.argmax(1)[0].cpu().numpy())
            targets.append(y)
        p, t = np.stack(preds), np.stack(targets)
        result = {"iou_skin": iou(p, t, 1), "iou_lesion": iou(p, t, 2)}
    else:
        correct = total = 0
        for crops, label in records:
            x = np.stack([data.cls_sample(c, recipe.size, rng, augment=False) for c in crops])
            probs = net(torch.from_numpy(x).to(device)).float().softmax(1).mean(0)
            correct += int(probs.argmax().item() == label)
            total += 1
        result = {"accuracy": correct / total}
    net.train()
    return result


# --- the loop ---------------------------------------------------------------------------

def learning_rate(recipe: Recipe, step: int) -> float:
    warm = max(1, int(recipe.steps * recipe.warmup))
    if step < warm:
        return recipe.lr * (step + 1) / warm
    progress = (step - warm) / max(1, recipe.steps - warm)
    return recipe.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))


class Log:
    def __init__(self, path: Path):
        self.path = path

    def __call__(self, message: str):
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def checkpoint_path(checkpoints: Path, kind: str) -> Path:
    return Path(checkpoints) / f"{kind}.pt"


def save(path: Path, state: dict):
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a kill mid-write never leaves a broken checkpoint


def resume_state(path: Path, recipe: Recipe, data_dir: Path, fresh: bool) -> dict | None:
    if fresh or not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["recipe"] != asdict(recipe) or state["data"] != str(data_dir):
        raise CheckpointMismatch(
            f"{path} was made with {state['recipe']} on {state['data']}; "
            "use the same arguments to resume, or --fresh to start over")
    return state


def train(recipe: Recipe, data_dir: Path, checkpoints: Path, *, workers: int = 0,
          fresh: bool = False, save_every: int = 100, log_every: int = 20,
          deadline: float | None = None, device: str = "auto",
          crop_segmenter: Path = DEFAULT_CROP_SEGMENTER) -> dict:
    checkpoints.mkdir(parents=True, exist_ok=True)
    log = Log(checkpoints / "train.log")
    path = checkpoint_path(checkpoints, recipe.kind)
    state = resume_state(path, recipe, data_dir, fresh)
    if state and state["step"] >= recipe.steps:
        log(f"{recipe.kind}: already trained ({state['step']} steps) in {path}")
        return state
    device = torch.device("cuda" if device == "auto" and torch.cuda.is_available()
                          else "cpu" if device == "auto" else device)
    torch.manual_seed(recipe.seed)

    t0 = time.time()
    items = data.trainable(data.read_items(data_dir))
    train_items, val_items = data.split(items, recipe.val_fraction, recipe.seed)
    records = load_records(recipe, train_items, workers, crop_segmenter)
    val_records = load_records(recipe, val_items, workers, crop_segmenter)
    if not records and recipe.kind == "segmenter":
        raise NoMasks(f"{data_dir}: no training photos with a mask (masks/<id>.png) for the segmenter")
    if not records:
        raise NoTrainingData(f"{data_dir}: no labelled photos for the {recipe.kind}")
    unmasked = sum(item.mask is None for item in data.lesion_items(train_items + val_items))
    cropped_by = (f"; {unmasked} photos without a mask cropped on the masks predicted by "
                  f"{crop_segmenter}" if recipe.kind == "classifier" and unmasked else "")
    by_patient = (f"; split by patient: {len({i.patient for i in train_items})} / "
                  f"{len({i.patient for i in val_items})} patients"
                  if any(item.patient for item in items) else "")
    log(f"{recipe.kind}: {len(records)} train / {len(val_records)} val records from {data_dir} "
        f"cached in {time.time() - t0:.0f}s on {device}{cropped_by}{by_patient}")

    net = nets.build(recipe.kind, pretrained=state is None).to(device)
    net = net.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    start, history = 0, []
    if state:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start, history = state["step"], state["history"]
        log(f"{recipe.kind}: resuming at step {start}/{recipe.steps}")

    def snapshot(step):
        return {"kind": recipe.kind, "step": step, "recipe": asdict(recipe), "data": str(data_dir),
                "input_size": [recipe.size, recipe.size], "model": net.state_dict(),
                "optimizer": optimizer.state_dict(), "history": history,
                "n_train": len(records), "n_val": len(val_records), "device": str(device),
                "synthetic": data.is_phantom(data_dir),
                "torch": torch.__version__}

    batches = torch.utils.data.DataLoader(
        StepBatches(recipe, records), sampler=range(start, recipe.steps), batch_size=None,
        num_workers=workers, pin_memory=device.type == "cuda",
        persistent_workers=False, prefetch_factor=4 if workers else None)
    loss_fn = LOSSES[recipe.kind]
    net.train()
    tick, seen, step = time.time(), 0, start
    for step, (x, y) in enumerate(batches, start=start):
        torch.manual_seed(recipe.seed * 1_000_003 + step)  # dropout too is resumable
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(recipe, step)
        x = x.to(device, non_blocking=True).to(memory_format=torch.channels_last)
        y = y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = loss_fn(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        seen += len(x)
        done = step + 1
        if done % log_every == 0 or done == recipe.steps:
            rate = seen / (time.time() - tick)
            eta = (recipe.steps - done) * recipe.batch / max(rate, 1e-9) / 60
            log(f"{recipe.kind} step {done}/{recipe.steps} loss {loss.item():.4f} "
                f"lr {learning_rate(recipe, step):.2e} {rate:.1f} img/s eta {eta:.1f} min")
        if done % save_every == 0 or done == recipe.steps:
            save(path, snapshot(done))
        if deadline is not None and time.time() > deadline and done < recipe.steps:
            save(path, snapshot(done))
            log(f"{recipe.kind}: deadline reached at step {done}/{recipe.steps}; checkpoint saved "
                "(run again to resume)")
            return snapshot(done)
    metrics = validate(net, recipe, val_records, device)
    history.append({"step": recipe.steps, **metrics})
    state = snapshot(recipe.steps)
    save(path, state)
    log(f"{recipe.kind}: done, {recipe.steps} steps in {(time.time() - t0) / 60:.1f} min; "
        f"validation {json.dumps(metrics)}")
    return state


def load_trained(kind: str, checkpoints: Path = DEFAULT_CHECKPOINTS):
    """(net in eval mode on CPU, info) from a finished checkpoint, for export."""
    state = torch.load(checkpoint_path(checkpoints, kind), map_location="cpu", weights_only=False)
    net = nets.build(kind, pretrained=False)
    net.load_state_dict(state["model"])
    net.eval()
    info = {k: v for k, v in state.items() if k not in ("model", "optimizer")}
    return net, info


def recipe_from_args(kind: str, args) -> Recipe:
    base = RECIPES[kind]
    prefix = "seg" if kind == "segmenter" else "cls"
    steps = getattr(args, f"{prefix}_steps") or base.steps
    batch = getattr(args, f"{prefix}_batch") or base.batch
    val_fraction = base.val_fraction if args.val_fraction is None else args.val_fraction
    return Recipe(kind, steps=steps, batch=batch, lr=base.lr, size=base.size, seed=args.seed,
                  val_fraction=val_fraction)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--what", choices=["both", "segmenter", "classifier"], default="both")
    parser.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seg-steps", type=int)
    parser.add_argument("--cls-steps", type=int)
    parser.add_argument("--seg-batch", type=int)
    parser.add_argument("--cls-batch", type=int)
    parser.add_argument("--val-fraction", type=float,
                        help="share held out for validation (of the patients when labels.csv "
                             "has a patient column, else of the photos); default 0.05")
    parser.add_argument("--workers", type=int, default=0, help="data-loading processes")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--deadline-minutes", type=float,
                        help="stop (checkpointed, resumable) after this many minutes")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--crop-segmenter", type=Path, default=DEFAULT_CROP_SEGMENTER,
                        help="models folder whose segmenter chooses the classifier's crops on "
                             "photos without a mask (default: the committed models)")
    parser.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    deadline = None if args.deadline_minutes is None else time.time() + args.deadline_minutes * 60
    kinds = ["segmenter", "classifier"] if args.what == "both" else [args.what]
    for kind in kinds:
        try:
            state = train(recipe_from_args(kind, args), args.data, args.checkpoints,
                          workers=args.workers, fresh=args.fresh, save_every=args.save_every,
                          log_every=args.log_every, deadline=deadline, device=args.device,
                          crop_segmenter=args.crop_segmenter)
        except NoMasks as exc:
            if args.what == "segmenter":
                print(f"error: {exc}", file=sys.stderr)
                return 2
            Log(args.checkpoints / "train.log")(
                f"segmenter: skipped, {exc}; the classifier still trains (crops on the masks "
                f"predicted by {args.crop_segmenter})")
            continue
        except (data.DatasetError, NoTrainingData, CheckpointMismatch) as exc:
            print(f"error: {exc}", file=sys.stderr)  # the folder's problem, not a traceback
            return 2
        if state["step"] < state["recipe"]["steps"]:
            return 3  # stopped by the deadline; run again to resume
    return 0

"""Read a dataset folder (phantom or real, same code) and make training samples.

Layout (docs/ARCHITECTURE.md, models/MODEL_CARD.md):

    DIR/images/<id>.jpg|png   photos
    DIR/masks/<id>.png        uint8 per pixel: 0 background, 1 skin, 2 lesion (optional per image;
                              without one the classifier crops on the segmenter's mask)
    DIR/labels.csv            id,label[,distance][,tone][,patient]   label in AD|IM|HI|MF, or a
                              photo without any lesion: healthy (skin, no lesion) | background
                              (no skin); a clinic's export may also say other | unusable
                              (models/clinic_labels.py). With a `patient` column the train /
                              validation split keeps each patient's photos on one side.

numpy and Pillow only (no torch), so evaluation can use it too.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from models.clinic_labels import OTHER, PATIENT, UNTRAINABLE, UNUSABLE

LABELS = ("AD", "IM", "HI", "MF")           # the classifier's classes
# Photos without a lesion: the segmenter learns from them (skin and background, or background
# only), the classifier skips them.
HEALTHY, NO_SKIN = "healthy", "background"
NO_LESION_LABELS = (HEALTHY, NO_SKIN)
# A clinic's labels beyond those: another condition, or a photo nobody can judge.
CLINIC_ONLY_LABELS = (OTHER, UNUSABLE)
ALL_LABELS = LABELS + NO_LESION_LABELS + CLINIC_ONLY_LABELS
# Preferred when one id has several files; any other extension Pillow reads is accepted too.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
BACKGROUND, SKIN, LESION = 0, 1, 2
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
CROP_CONTEXT = 1.35   # cached crop regions are this much larger than the window, room for jitter


class DatasetError(ValueError):
    """The dataset folder does not follow the documented layout."""


@dataclass
class Item:
    id: str
    label: str
    image: Path
    mask: Path | None
    distance: str = ""
    tone: str = ""
    patient: str = ""


def is_phantom(folder) -> bool:
    """Whether a data folder was rendered by models/phantom (it writes meta.jsonl beside the
    photos); anything else is photos someone supplied."""
    return (Path(folder) / "meta.jsonl").is_file()


def read_items(data_dir: Path) -> list[Item]:
    """Every row of labels.csv with its image (required) and mask (if present)."""
    data_dir = Path(data_dir)
    labels = data_dir / "labels.csv"
    if not labels.is_file():
        raise DatasetError(f"{labels} is missing")
    # utf-8-sig: spreadsheet programs save "CSV UTF-8" with a byte-order mark before "id".
    with open(labels, newline="", encoding="utf-8-sig") as handle:
        rows = [{key: (value or "").strip() for key, value in row.items() if key}
                for row in csv.DictReader(handle, skipinitialspace=True)]
    if not rows or not {"id", "label"} <= set(rows[0]):
        raise DatasetError(f"{labels}: needs a header with at least id,label")
    images = image_index(data_dir)
    by_patient = PATIENT in rows[0]
    items = []
    for row in rows:
        if row["label"] not in ALL_LABELS:
            raise DatasetError(f"{labels}: id {row['id']}: label {row['label']!r} not in {ALL_LABELS}")
        if by_patient and not row[PATIENT]:
            # One photo without its patient could land beside that patient's other photos.
            raise DatasetError(f"{labels}: id {row['id']}: the patient column is empty")
        mask = data_dir / "masks" / f"{row['id']}.png"
        items.append(Item(row["id"], row["label"], find_image(images, data_dir, row["id"]),
                          mask if mask.is_file() else None,
                          row.get("distance") or "", row.get("tone") or "",
                          row.get(PATIENT) or ""))
    return items


def trainable(items: list[Item]) -> list[Item]:
    """The photos training may learn from (not those nobody could judge)."""
    return [item for item in items if item.label not in UNTRAINABLE]


def image_index(data_dir: Path) -> dict[str, Path]:
    """id -> photo under DIR/images, for every extension Pillow reads (.JPG, .webp, .tif...).

    Clinics export photos as they come; listing the folder once also spares a lookup per row."""
    readable = Image.registered_extensions()
    folder = Path(data_dir) / "images"
    files = sorted(folder.iterdir(), key=_preference) if folder.is_dir() else []
    index: dict[str, Path] = {}
    for path in files:
        if path.is_file() and path.suffix.lower() in readable:
            index.setdefault(path.name[: -len(path.suffix)], path)
    return index


def _preference(path: Path) -> tuple[int, str]:
    suffix = path.suffix.lower()
    rank = IMAGE_SUFFIXES.index(suffix) if suffix in IMAGE_SUFFIXES else len(IMAGE_SUFFIXES)
    return rank, path.name


def find_image(images: dict[str, Path], data_dir: Path, item_id: str) -> Path:
    if item_id not in images:
        raise DatasetError(f"no image for id {item_id} under {data_dir}/images")
    return images[item_id]


def split(items: list[Item], val_fraction: float, seed: int) -> tuple[list[Item], list[Item]]:
    """A fixed, seeded train/validation split: by patient when the items name their patients
    (photos of one patient look alike; split by photo, validation would flatter the model),
    else by photo."""
    if any(item.patient for item in items):
        train, val = split_by_patient(items, (1 - val_fraction, val_fraction), seed)
        return train, val
    order = np.random.default_rng(seed).permutation(len(items))
    n_val = int(round(len(items) * val_fraction))
    return [items[i] for i in order[n_val:]], [items[i] for i in order[:n_val]]


def split_by_patient(items: list[Item], fractions, seed: int) -> list[list[Item]]:
    """Items in len(fractions) parts (e.g. train, validation, test), each patient's photos all
    in one part; the parts get about `fractions` of the patients, seeded. The patients are
    spread class by class (by each patient's most frequent label): every class runs evenly
    through the order the parts are cut from, so a small clinic set does not leave a class out
    of training by chance, and the parts keep their overall sizes."""
    labels: dict[str, list[str]] = {}
    for item in items:
        labels.setdefault(item.patient, []).append(item.label)
    strata: dict[str, list[str]] = {}
    for patient in sorted(labels):
        own = labels[patient]
        strata.setdefault(max(sorted(set(own)), key=own.count), []).append(patient)
    rng = np.random.default_rng(seed)
    keyed = []
    for label in sorted(strata):
        patients, offset = strata[label], rng.random()
        for rank, index in enumerate(rng.permutation(len(patients))):
            keyed.append(((rank + offset) / len(patients), rng.random(), patients[index]))
    order = [patient for *_, patient in sorted(keyed)]
    bounds = np.round(np.cumsum(fractions) / np.sum(fractions) * len(order)).astype(int)
    part_of = {patient: int(np.searchsorted(bounds, rank, side="right"))
               for rank, patient in enumerate(order)}
    parts: list[list[Item]] = [[] for _ in fractions]
    for item in items:
        parts[part_of[item.patient]].append(item)
    return parts


def open_rgb(path: Path, max_side: int | None = None) -> Image.Image:
    """Decode upright RGB; JPEG draft mode makes large photos cheap to shrink."""
    image = Image.open(path)
    if max_side and image.format == "JPEG":
        image.draft("RGB", (max_side, max_side))
    image = ImageOps.exif_transpose(image).convert("RGB")
    if max_side and max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.BILINEAR)
    return image


def open_mask(path: Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """Class indices 0/1/2 as uint8. Labelling tools save masks as grey, palette (the
    indices are the classes), 16-bit or RGB with equal channels; all of those are read. A
    mask whose values cannot be classes is refused here, not deep inside training."""
    with Image.open(path) as mask:
        values = _mask_values(mask, path)
    if size and values.shape[::-1] != size:
        _check_aspect(values.shape[::-1], size, path)
        values = np.asarray(Image.fromarray(values).resize(size, Image.NEAREST))
    return values


def _mask_values(mask: Image.Image, path: Path) -> np.ndarray:
    values = np.asarray(mask)
    if values.ndim == 3:
        if not (values[..., :3] == values[..., :1]).all():
            raise DatasetError(f"{path.name}: a colour mask; save one channel with 0 background, "
                               "1 skin, 2 lesion")
        values = values[..., 0]
    if values.size and values.max() > LESION:
        raise DatasetError(f"{path.name}: mask values must be 0 background, 1 skin, 2 lesion "
                           f"(found {int(values.max())})")
    return values.astype(np.uint8)


def _check_aspect(mask_size, photo_size, path: Path) -> None:
    """A mask drawn on the stored pixels of a photo whose EXIF says "rotate 90°" comes out
    transposed against the upright photo: refuse it rather than train on a misaligned mask."""
    (mw, mh), (pw, ph) = mask_size, photo_size
    if abs(mh * pw / mw - ph) > max(2.0, 0.02 * ph):  # rounding of shrunken copies allowed
        raise DatasetError(f"{path.name}: mask is {mw}x{mh} but the upright photo is "
                           f"{pw}x{ph}; draw masks on the photo as a viewer shows it")


def normalise(rgb: np.ndarray) -> np.ndarray:
    """HWC uint8 -> CHW float32, ImageNet mean/std (the manifest's pre-processing)."""
    return ((rgb.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)


# --- segmentation -----------------------------------------------------------------------

def seg_record(item: Item, cache_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Photo and mask shrunk to `cache_side` (long side), kept in memory for training."""
    image = open_rgb(item.image, cache_side)
    mask = open_mask(item.mask, image.size)
    if item.label in NO_LESION_LABELS and (mask == LESION).any():
        raise DatasetError(f"{item.mask.name}: labelled {item.label} but its mask holds lesion pixels")
    if item.label == NO_SKIN and (mask != BACKGROUND).any():
        raise DatasetError(f"{item.mask.name}: labelled background but its mask holds skin")
    return np.asarray(image), mask


def lesion_items(items: list[Item]) -> list[Item]:
    """The photos the classifier learns from: those with a lesion class."""
    return [item for item in items if item.label in LABELS]


def random_view(rng: np.random.Generator, width: int, height: int, min_area: float = 0.45):
    """A random sub-rectangle (area 45–100%, aspect jitter) — photos come framed every which way."""
    area = rng.uniform(min_area, 1.0) * width * height
    aspect = np.exp(rng.uniform(np.log(0.75), np.log(1.33)))
    w = int(min(width, round(np.sqrt(area * aspect))))
    h = int(min(height, round(np.sqrt(area / aspect))))
    x0 = int(rng.integers(0, width - w + 1))
    y0 = int(rng.integers(0, height - h + 1))
    return x0, y0, x0 + w, y0 + h


def photometric(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.8, 1.2))
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.8, 1.2))
    return ImageEnhance.Color(image).enhance(rng.uniform(0.85, 1.15))


def flips(rgb: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator):
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], None if mask is None else mask[:, ::-1]
    turns = int(rng.integers(0, 4))
    rgb = np.rot90(rgb, turns)
    mask = None if mask is None else np.rot90(mask, turns)
    return np.ascontiguousarray(rgb), None if mask is None else np.ascontiguousarray(mask)


def seg_sample(record, size: int, rng: np.random.Generator, augment: bool = True):
    """(CHW float32 image, HW int64 mask) at size x size."""
    rgb, mask = record
    image = Image.fromarray(rgb)
    box = random_view(rng, image.width, image.height) if augment else (0, 0, image.width, image.height)
    image = image.resize((size, size), Image.BILINEAR, box=box)
    label = Image.fromarray(mask).resize((size, size), Image.NEAREST, box=box)
    if augment:
        image = photometric(image, rng)
    rgb_out, mask_out = np.asarray(image), np.asarray(label)
    if augment:
        rgb_out, mask_out = flips(rgb_out, mask_out, rng)
    return normalise(rgb_out), mask_out.astype(np.int64)


# --- classification crops -----------------------------------------------------------------

def crop_boxes(mask: np.ndarray, k: int = 3) -> list[tuple[int, int, int, int]]:
    """Windows by the paper's 80/10 rule (the shipped inference.crops), in mask pixels.

    When no window passes (a tiny or a huge lesion), fall back to a square around the lesion so
    every labelled photo still gives the classifier a crop."""
    from inference.crops import select_windows
    skin, lesion = mask == SKIN, mask == LESION
    boxes = list(select_windows(skin | lesion, lesion, k=k))
    if boxes or not lesion.any():
        return [tuple(int(v) for v in b) for b in boxes]
    ys, xs = np.nonzero(lesion)
    side = max(xs.max() - xs.min(), ys.max() - ys.min(), 16)
    cx, cy = (xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2
    return [square(cx, cy, side, mask.shape[1], mask.shape[0])]


def square(cx: float, cy: float, side: float, width: int, height: int) -> tuple[int, int, int, int]:
    side = min(side, width, height)
    x0 = int(np.clip(round(cx - side / 2), 0, width - side))
    y0 = int(np.clip(round(cy - side / 2), 0, height - side))
    return x0, y0, x0 + int(side), y0 + int(side)


def predicted_mask(pipeline, path: Path) -> np.ndarray:
    """Class indices 0/1/2 on the shipped segmenter's mask grid, for a photo without a mask.

    The inference package's own decode and segment, so the crops are the ones the bot would
    choose (the AD-AI paper: automatic crops classify as well as dermatologists' crops)."""
    from inference.decode import decode
    from inference.errors import InferenceError
    from inference.segment import segment
    try:
        decoded = decode(Path(path).read_bytes())
    except InferenceError as exc:
        raise DatasetError(f"{Path(path).name}: the segmenter cannot read this photo ({exc})") from exc
    masks = segment(pipeline.segmenter, pipeline.manifest.segmenter, decoded.image)
    return np.where(masks.lesion, LESION, np.where(masks.skin, SKIN, BACKGROUND)).astype(np.uint8)


def cls_records(item: Item, size: int, mask_side: int = 256, k: int = 3,
                mask: np.ndarray | None = None) -> list[np.ndarray]:
    """The crops of one photo (window plus context margin), cached at size * CROP_CONTEXT.

    `mask` (class indices, e.g. from `predicted_mask`) stands in for a photo without a mask."""
    image = open_rgb(item.image)
    if mask is None:
        mask = open_mask(item.mask)
        _check_aspect(mask.shape[::-1], image.size, item.mask)
    scale = mask_side / max(mask.shape)
    small = np.asarray(Image.fromarray(mask).resize(
        (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale))), Image.NEAREST))
    fx, fy = image.width / small.shape[1], image.height / small.shape[0]
    out = []
    for x0, y0, x1, y1 in crop_boxes(small, k) or [(0, 0, small.shape[1], small.shape[0])]:
        cx, cy = (x0 + x1) / 2 * fx, (y0 + y1) / 2 * fy
        side = max((x1 - x0) * fx, (y1 - y0) * fy) * CROP_CONTEXT
        box = tuple(round(v) for v in (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2))
        context = round(size * CROP_CONTEXT)
        # crop() pads past the photo's edge (the margin is only jitter room); resize() cannot.
        out.append(np.asarray(image.crop(box).resize((context, context), Image.BILINEAR)))
    return out


def cls_sample(crop: np.ndarray, size: int, rng: np.random.Generator, augment: bool = True):
    """Jittered window (shift and scale around the rule's box) -> CHW float32 at size x size."""
    full = crop.shape[0]
    if augment:
        side = full / CROP_CONTEXT * rng.uniform(0.85, 1.2)
        side = min(side, full)
        slack = (full - side) / 2
        cx = full / 2 + rng.uniform(-slack, slack)
        cy = full / 2 + rng.uniform(-slack, slack)
    else:
        side, cx, cy = full / CROP_CONTEXT, full / 2, full / 2
    box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    image = Image.fromarray(crop).resize((size, size), Image.BILINEAR, box=box)
    if augment:
        image = photometric(image, rng)
    rgb = np.asarray(image)
    if augment:
        rgb, _ = flips(rgb, None, rng)
    return normalise(rgb)

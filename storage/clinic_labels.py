"""Clinicians' labels of research-consented photos: a diagnosis and a painted mask per photo
and clinician, and the queue of photos to label. A clinic reaches only photos of patients who
shared with it (storage.clinic_referrals) and, for labels, agreed to research use
(storage.research)."""

import io
import json
import math
import os
import secrets

import numpy as np
from PIL import Image, ImageOps

from storage import files
from storage.db import now_iso
from storage.research import GIVEN_SQL

# = models.clinic_labels.CLINIC_LABELS (a test checks): the labels.csv names of an export.
DIAGNOSES = ("AD", "IM", "HI", "MF", "healthy", "other", "unusable")

SHARED = ("SELECT a.* FROM assessments a JOIN clinic_referrals r ON r.user_id = a.user_id AND r.clinic_id = ?"
          " JOIN consents c ON c.user_id = a.user_id AND c.state = 'given' WHERE a.photo_ref IS NOT NULL")
RESEARCH = f" AND a.user_id IN ({GIVEN_SQL})"


def shared_photo(db, clinic_id, assessment_id, research=False) -> dict | None:
    """The assessment if its patient shared with this clinic (and, with research=True, agreed
    to research use); None otherwise, whatever the reason."""
    rows = list(db.query(SHARED + (RESEARCH if research else "") + " AND a.id = ?", [clinic_id, assessment_id]))
    return _decoded(rows[0]) if rows else None


def shared_photos(db, clinic_id, user_id) -> list[dict]:
    return [_decoded(row) for row in db.query(SHARED + " AND a.user_id = ? ORDER BY a.created_at DESC",
                                              [clinic_id, user_id])]


def queue(db, clinic_id, staff_id) -> list[dict]:
    """Photos to label, most useful first: not yet labelled by this clinician; those the model
    did not judge (unfamiliar), then the least sure (lowest top probability)."""
    counts = {row[0]: (row[1], row[2]) for row in db.execute(
        "SELECT assessment_id, count(*), sum(CASE WHEN staff_id = ? THEN 1 ELSE 0 END) FROM clinic_labels"
        " WHERE clinic_id = ? GROUP BY assessment_id", [staff_id, clinic_id])}
    photos = []
    for row in db.query(SHARED + RESEARCH, [clinic_id]):
        row = _decoded(row)
        labels, mine = counts.get(row["id"], (0, 0))
        sure = max(row["probabilities"].values()) if row["probabilities"] and row["quality"] == "ok" else 0.0
        photos.append({**row, "labels": labels, "mine": bool(mine), "sureness": sure})
    return sorted(photos, key=lambda p: (p["mine"], p["quality"] == "ok", p["sureness"], p["created_at"]))


def save(db, clinic_id, staff_id, photo: dict, diagnosis, mask_ref, now) -> tuple[dict, str | None]:
    """This clinician's label of the photo (a second save replaces the first). Returns the
    label and the mask ref it replaced (its file is the caller's to remove)."""
    if diagnosis not in DIAGNOSES:
        raise ValueError(diagnosis)
    before = mine(db, clinic_id, staff_id, photo["id"])
    stamp = now_iso(now)
    db.execute(
        "INSERT INTO clinic_labels (label_id, user_id, assessment_id, clinic_id, staff_id, diagnosis, mask_ref,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (assessment_id, staff_id)"
        " DO UPDATE SET diagnosis = excluded.diagnosis, mask_ref = excluded.mask_ref, updated_at = excluded.updated_at",
        [secrets.token_urlsafe(12), photo["user_id"], photo["id"], clinic_id, staff_id, diagnosis, mask_ref,
         stamp, stamp])
    replaced = before["mask_ref"] if before and before["mask_ref"] != mask_ref else None
    return mine(db, clinic_id, staff_id, photo["id"]), replaced


def mine(db, clinic_id, staff_id, assessment_id) -> dict | None:
    rows = list(db.query("SELECT * FROM clinic_labels WHERE clinic_id = ? AND staff_id = ? AND assessment_id = ?",
                         [clinic_id, staff_id, assessment_id]))
    return rows[0] if rows else None


def of_photo(db, clinic_id, assessment_id) -> list[dict]:
    return list(db.query("SELECT * FROM clinic_labels WHERE clinic_id = ? AND assessment_id = ?"
                         " ORDER BY created_at, label_id", [clinic_id, assessment_id]))


def by_id(db, clinic_id, label_id) -> list[dict]:
    return list(db.query("SELECT * FROM clinic_labels WHERE clinic_id = ? AND label_id = ?", [clinic_id, label_id]))


def counts(db, clinic_id) -> dict[str, int]:
    """Labels per diagnosis in this clinic."""
    return {row[0]: row[1] for row in db.execute(
        "SELECT diagnosis, count(*) FROM clinic_labels WHERE clinic_id = ? GROUP BY diagnosis", [clinic_id])}


def rater_pairs(db, clinic_id) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """For each pair of clinicians (staff ids, sorted), their diagnoses of every photo both
    labelled (research-consented): {(a, b): [(a's, b's), …]}."""
    by_photo: dict[int, dict[str, str]] = {}
    for row in db.query(
            "SELECT assessment_id, staff_id, diagnosis FROM clinic_labels WHERE clinic_id = ?"
            f" AND user_id IN ({GIVEN_SQL}) ORDER BY assessment_id", [clinic_id]):
        by_photo.setdefault(row["assessment_id"], {})[row["staff_id"]] = row["diagnosis"]
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for labels in by_photo.values():
        raters = sorted(labels)
        for i, a in enumerate(raters):
            for b in raters[i + 1:]:
                found.setdefault((a, b), []).append((labels[a], labels[b]))
    return found


def for_export(db, clinic_id=None) -> list[dict]:
    """Labelled photos of research-consented patients who still share with the labelling clinic:
    the agreed diagnosis (one label, or every label the same) and the newest mask. Photos whose
    clinicians disagree wait. With what the AI said of each photo (model_version, quality, top,
    models: the shadow monitoring, models/monitor.py)."""
    where, args = (" AND l.clinic_id = ?", [clinic_id]) if clinic_id else ("", [])
    photos: dict[int, dict] = {}
    for row in db.query(
            "SELECT l.*, a.photo_ref, a.model_version, a.quality, a.top, a.models"
            " FROM clinic_labels l JOIN assessments a ON a.id = l.assessment_id"
            " AND a.user_id = l.user_id JOIN clinic_referrals r ON r.user_id = l.user_id AND r.clinic_id = l.clinic_id"
            f" WHERE l.user_id IN ({GIVEN_SQL}){where}"
            " ORDER BY l.updated_at, l.label_id", args):
        photo = photos.setdefault(row["assessment_id"], {**row, "diagnoses": set()})
        photo["diagnoses"].add(row["diagnosis"])
        if row["mask_ref"]:
            photo["mask_ref"] = row["mask_ref"]
    return [p for p in photos.values() if len(p["diagnoses"]) == 1 and p["photo_ref"]]


def _decoded(row: dict) -> dict:
    row = dict(row)
    row["probabilities"] = json.loads(row["probabilities"]) if row.get("probabilities") else {}
    row["flags"] = json.loads(row["flags"]) if row.get("flags") else None
    row["models"] = json.loads(row["models"]) if row.get("models") else {}
    return row


# --- the model's starting mask, made where the photo is assessed ----------------------------

WORK_PX = 1024  # photos are shown (and masks painted) at most this large, upright
BACKGROUND, SKIN, LESION = 0, 1, 2


def model_mask_file(photo_ref: str) -> str:
    return f"modelmask-{photo_ref}.png"


def work_size(photo: bytes, longest: int = WORK_PX) -> tuple[int, int]:
    """The size the photo is shown and painted at: upright, thumbnailed as summary.thumbnail does."""
    with Image.open(io.BytesIO(photo)) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((longest, longest))
        return image.size


def thumbnail_size(size: tuple[int, int], longest: int = WORK_PX) -> tuple[int, int]:
    """work_size from the upright photo's size alone, by Pillow's thumbnail arithmetic: for a
    caller that knows that size (an assessment's full_size), with no second decode of the photo
    (work_size's exif_transpose decodes it at full size: ~2 ms for the bench's 0.5 MP photos,
    ~200 ms of CPU for a 12 MP phone photo, measured)."""
    width, height = size
    if longest >= width and longest >= height:
        return width, height
    aspect = width / height

    def round_aspect(number: float, key) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if longest / longest >= aspect:
        return round_aspect(longest * aspect, key=lambda n: abs(aspect - n / longest)), longest
    return longest, round_aspect(longest / aspect, key=lambda n: 0 if n == 0 else abs(aspect - longest / n))


def classes_png(classes: np.ndarray, compress_level: int = 6) -> bytes:
    """Classes as a greyscale PNG (pixel value = class): how every mask file is stored."""
    out = io.BytesIO()
    Image.fromarray(classes.astype(np.uint8), mode="L").save(out, format="PNG", compress_level=compress_level)
    return out.getvalue()


def model_classes(masks, size) -> np.ndarray:
    """The segmenter's masks (inference Masks: boolean skin and lesion, or None) as classes at
    `size` (width, height)."""
    classes = np.zeros((size[1], size[0]), np.uint8)
    if masks is None:
        return classes
    model = np.where(masks.lesion, LESION, np.where(masks.skin, SKIN, BACKGROUND)).astype(np.uint8)
    return np.asarray(Image.fromarray(model).resize(size, Image.Resampling.NEAREST))


def model_mask_png(photo: bytes | None, masks, size: tuple[int, int] | None = None) -> bytes | None:
    """The label page's starting mask as stored (None without masks). `size`: the upright
    photo's full size when known (the assessment's full_size, kept with the overlay's data),
    else read from `photo`.
    compress_level 1: a few KB either way, 30 % less CPU than the default 6."""
    if masks is None:
        return None
    work = thumbnail_size(size) if size else work_size(photo)
    return classes_png(model_classes(masks, work), compress_level=1)


def save_model_mask(files_dir, user_id, photo_ref, photo: bytes | None, masks, now=None,
                    size: tuple[int, int] | None = None):
    """Keep the mask the label page starts from, made from the segmenter's masks, so no web
    request ever runs the segmenter. Nothing is written without masks. `size`: the upright
    photo's full size when known (then `photo` is not read, see model_mask_png). `now` dates
    the file, as engine/media.store does, for retention."""
    png = model_mask_png(photo, masks, size)
    if png is None:
        return None
    path = files.user_dir(files_dir, user_id, create=True) / model_mask_file(photo_ref)
    files.write_private(path, png)
    if now is not None:
        os.utime(path, (now.timestamp(), now.timestamp()))
    return path

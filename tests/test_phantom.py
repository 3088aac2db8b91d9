"""Phantom generator: determinism, shapes, mask semantics, distance strata, data-set layout."""
import csv
import json

import numpy as np
import pytest
from PIL import Image

from models.phantom import ALL_LABELS, DISTANCES, LABELS, STRATA, render, write_dataset
from models.phantom.dataset import sample_seed
from models.phantom.render import default_distance, default_label

CASES = [(seed, label, distance) for seed, (label, distance) in
         enumerate([(lab, d) for d in DISTANCES for lab in LABELS])]


@pytest.fixture(scope="module")
def samples():
    return {(label, distance): render(1000 + seed, label, distance) for seed, label, distance in CASES}


def test_same_seed_same_sample():
    a, b = render(42), render(42)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.mask, b.mask)
    assert a.meta == b.meta and a.jpeg == b.jpeg


def test_different_seeds_differ():
    assert not np.array_equal(render(1, "AD", "medium").mask, render(2, "AD", "medium").mask)


def test_default_label_and_distance_cycle_balanced():
    cells = {(default_label(s), default_distance(s)) for s in range(12)}
    assert cells == {(lab, d) for lab in LABELS for d in DISTANCES}
    s = render(7)
    assert (s.label, s.meta["distance"]) == (default_label(7), default_distance(7))


@pytest.mark.parametrize("seed,label,distance", CASES)
def test_shapes_types_and_mask_semantics(samples, seed, label, distance):
    s = samples[(label, distance)]
    h, w = s.mask.shape
    assert 512 <= h <= 1024 and 512 <= w <= 1024
    assert s.image.shape == (h, w, 3) and s.image.dtype == np.uint8
    assert s.mask.dtype == np.uint8 and set(np.unique(s.mask)) <= {0, 1, 2}
    assert s.label == label and s.meta["distance"] == distance
    assert s.meta["fitzpatrick"] in {"I", "II", "III", "IV", "V", "VI"}
    assert 50 <= s.meta["jpeg_quality"] <= 95
    # the image is exactly the decoded JPEG the phone would send
    decoded = np.asarray(Image.open(__import__("io").BytesIO(s.jpeg)).convert("RGB"))
    assert np.array_equal(decoded, s.image)


@pytest.mark.parametrize("seed,label,distance", CASES)
def test_lesion_lies_within_skin(samples, seed, label, distance):
    m = samples[(label, distance)].mask
    lesion = m == 2
    assert lesion.any()
    bg = m == 0
    touching = np.zeros_like(bg)
    touching[1:] |= bg[:-1]
    touching[:-1] |= bg[1:]
    touching[:, 1:] |= bg[:, :-1]
    touching[:, :-1] |= bg[:, 1:]
    assert not (lesion & touching).any(), "lesion pixels border the background"


@pytest.mark.parametrize("seed,label,distance", CASES)
def test_distance_strata_fractions(samples, seed, label, distance):
    s = samples[(label, distance)]
    skin = float((s.mask > 0).mean())
    lesion = float((s.mask == 2).mean())
    lo, hi = STRATA[distance]["skin"]
    assert lo <= skin <= hi
    lo, hi = STRATA[distance]["lesion"]
    assert lo <= lesion <= hi
    for x0, y0, x1, y1 in s.meta["boxes"]:
        assert 0 <= x0 < x1 <= s.mask.shape[1] and 0 <= y0 < y1 <= s.mask.shape[0]
        assert (s.mask[y0:y1, x0:x1] == 2).any()


def test_long_shots_meet_issue_ranges(samples):
    for label in LABELS:
        m = samples[(label, "long")].mask
        assert 0.20 <= (m > 0).mean() <= 0.50 and 0.01 <= (m == 2).mean() <= 0.05
        m = samples[(label, "close")].mask
        assert 0.30 <= (m == 2).mean() <= 0.70


def test_every_tone_reachable_and_drawn_across_range(samples):
    from models.phantom.render import _draw_tone
    drawn = {_draw_tone(s) for s in range(60)}
    assert drawn == set(range(1, 11))
    for tone in (1, 10):
        s = render(5, "AD", "medium", tone=tone)
        assert s.meta["tone"] == tone
    # darker tones give darker skin pixels
    light = render(5, "AD", "medium", tone=1)
    dark = render(5, "AD", "medium", tone=10)
    assert light.image[light.mask == 1].mean() > dark.image[dark.mask == 1].mean() + 40


def test_write_dataset_layout(tmp_path):
    out = write_dataset(tmp_path / "ph", n=12, seed=3, workers=2)
    rows = list(csv.DictReader(open(out / "labels.csv")))
    assert list(rows[0].keys()) == ["id", "label", "distance", "tone"]
    assert len(rows) == 12
    assert set(LABELS) <= {r["label"] for r in rows} <= set(ALL_LABELS)
    metas = [json.loads(line) for line in open(out / "meta.jsonl")]
    assert [m["id"] for m in metas] == [r["id"] for r in rows]
    for r, m in zip(rows, metas):
        img = Image.open(out / "images" / f"{r['id']}.jpg")
        mask = np.asarray(Image.open(out / "masks" / f"{r['id']}.png"))
        assert img.format == "JPEG" and img.size == (mask.shape[1], mask.shape[0])
        assert set(np.unique(mask)) <= {0, 1, 2}
        assert (mask == 2).any() == (r["label"] in LABELS)
        assert (mask == 1).any() == (r["label"] != "background")
        assert m["label"] == r["label"] and m["distance"] == r["distance"] and str(m["tone"]) == r["tone"]
        assert round(float((mask == 2).mean()), 4) == m["lesion_fraction"]
    again = render(sample_seed(3, 5), rows[5]["label"], rows[5]["distance"])
    assert again.jpeg == (out / "images" / f"{rows[5]['id']}.jpg").read_bytes()
    assert np.array_equal(again.mask, np.asarray(Image.open(out / "masks" / f"{rows[5]['id']}.png")))

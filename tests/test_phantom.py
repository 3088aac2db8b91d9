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


# --- phantom v2: healthy skin, no-skin scenes, faces and hands, real backgrounds -----------

@pytest.fixture(scope="module")
def healthy():
    return [render(2000 + i, "healthy", d) for i, d in enumerate(DISTANCES)]


def test_healthy_photos_hold_skin_and_no_lesion(healthy):
    for s in healthy:
        assert s.label == "healthy" and s.meta["boxes"] == [] and s.meta["lesion_fraction"] == 0
        assert not (s.mask == 2).any()
        lo, hi = STRATA[s.meta["distance"]]["skin"]
        assert lo <= (s.mask == 1).mean() <= hi


def test_background_photos_have_no_skin():
    for i, d in enumerate(DISTANCES):
        s = render(3000 + i, "background", d)
        assert s.label == "background" and s.meta["body_part"] is None
        assert not s.mask.any()


def test_new_labels_are_deterministic_per_seed():
    for label in ("healthy", "background"):
        a, b = render(77, label, "medium"), render(77, label, "medium")
        assert a.jpeg == b.jpeg and np.array_equal(a.mask, b.mask) and a.meta == b.meta


def test_mix_of_the_data_set_cycle():
    from collections import Counter
    from models.phantom.dataset import CELLS
    for n in (36, 160, 1600):
        labels = Counter(CELLS[i % len(CELLS)][0] for i in range(n))
        assert labels["healthy"] / n >= 0.25
        assert 0.06 <= labels["background"] / n <= 0.10
        lesion = Counter(CELLS[i % len(CELLS)] for i in range(n) if CELLS[i % len(CELLS)][0] in LABELS)
        assert max(lesion.values()) - min(lesion.values()) <= 1 or n % len(CELLS)
    full = Counter(CELLS)
    assert {full[(lab, d)] for lab in LABELS for d in DISTANCES} == {2}  # class x distance balance
    assert {full[("healthy", d)] for d in DISTANCES} == {3}


def test_body_hair_is_skin_in_the_mask(monkeypatch):
    import importlib
    render_module = importlib.import_module("models.phantom.render")  # the module, not render()
    skin = importlib.import_module("models.phantom.skin")
    layers = []
    original = skin.draw_hair

    def recording(*args, **kwargs):
        out = original(*args, **kwargs)
        layers.append(out)
        return out

    monkeypatch.setattr(skin, "draw_hair", recording)
    plan = skin.hair_plan
    monkeypatch.setattr(skin, "hair_plan", lambda rng, part, tone: {**plan(rng, part, tone), "terminal": 40.0})
    for seed, label in ((11, "healthy"), (12, "AD")):
        layers.clear()
        s = render_module.render(seed, label, "close")
        terminal, _ = layers[-1]
        hairs = terminal > 0.3
        assert hairs.sum() > 500, "the test wants a hairy photo"
        assert (s.mask[hairs] >= 1).all()           # on the body, never background
        if label == "healthy":
            assert (s.mask[hairs] == 1).all()       # and skin, never lesion


def test_faces_and_hands_carry_their_landmarks_as_skin():
    from models.phantom import body
    assert {"face", "hand"} <= set(body.PARTS)
    found = {}
    for seed in range(5000, 5040):
        s = render(seed, "healthy", "long")
        found.setdefault(s.meta["body_part"], s)
        if {"face", "hand"} <= set(found):
            break
    for part in ("face", "hand"):
        s = found[part]
        assert (s.mask == 1).any() and not (s.mask == 2).any()


def test_backgrounds_come_from_the_train_part_of_the_real_set_only():
    from models.phantom import realbg
    files = realbg.files()
    assert files, "models/realset/train holds the real photos"
    assert all(p.parent.name == "train" and p.parent.parent.name == "realset" for p in files)
    assert not any("heldout" in p.parts for p in files)
    # only photos without skin: a real face cut in as background would be skin marked 0
    from models import realphotos
    labels = {photo.id: photo.label for photo in realphotos.photos("train")}
    assert {labels[p.stem] for p in files} == {"no_skin"}
    assert "healthy_skin" in labels.values()
    # and only the photos the shipped models learned with, so that every seed renders as before
    packages = {photo.id: photo.package for photo in realphotos.photos("train")}
    assert {packages[p.stem] for p in files} <= set(realbg.BACKGROUND_PACKAGES)
    assert len(files) == 33 and any(packages[i] not in realbg.BACKGROUND_PACKAGES and labels[i] == "no_skin"
                                    for i in labels)
    assert files == tuple(sorted(files)) and realbg.files() is files  # listed once per process
    names = {p.stem for p in files}
    seen = set()
    for seed in range(30):
        for item in render(4000 + seed, "background", "long").meta["background"]:
            if str(item).startswith("real:"):
                seen.add(item[5:])
    assert seen and seen <= names

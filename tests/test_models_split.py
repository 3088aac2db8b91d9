"""Train / validation / test split by patient when labels.csv names the patients (issue 11)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import clinic_labels, data


def items(patients: list[str]) -> list[data.Item]:
    return [data.Item(f"i{n}", "AD", Path(f"i{n}.jpg"), None, patient=p) for n, p in enumerate(patients)]


@settings(max_examples=100, deadline=None)
@given(patients=st.lists(st.sampled_from([f"p{n}" for n in range(12)]), min_size=1, max_size=60),
       fractions=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=3),
       seed=st.integers(0, 2**16))
def test_a_patient_is_never_on_two_sides(patients, fractions, seed):
    photos = items(patients)
    parts = data.split_by_patient(photos, fractions, seed)
    assert len(parts) == len(fractions)
    assert sorted(i.id for part in parts for i in part) == sorted(i.id for i in photos)  # each once
    sides = [{i.patient for i in part} for part in parts]
    for a in range(len(sides)):
        for b in range(a + 1, len(sides)):
            assert not sides[a] & sides[b]


@settings(max_examples=100, deadline=None)
@given(patients=st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=40),
       val_fraction=st.floats(0.1, 0.5), seed=st.integers(0, 1000))
def test_the_training_split_keeps_patients_apart(patients, val_fraction, seed):
    train, val = data.split(items(patients), val_fraction, seed)
    assert not {i.patient for i in train} & {i.patient for i in val}
    assert len(train) + len(val) == len(patients)


def test_validation_gets_about_its_share_of_patients():
    photos = items([f"p{n // 3}" for n in range(300)])  # 100 patients, 3 photos each
    train, val = data.split(photos, 0.2, seed=1)
    assert len({i.patient for i in val}) == 20 and len(val) == 60


def test_without_a_patient_column_the_split_is_by_photo_as_before():
    photos = items([""] * 40)
    train, val = data.split(photos, 0.25, seed=5)
    order = np.random.default_rng(5).permutation(40)  # the split as it was before patients
    assert [i.id for i in val] == [photos[i].id for i in order[:10]]
    assert [i.id for i in train] == [photos[i].id for i in order[10:]]


def folder(root: Path, rows: str) -> Path:
    (root / "images").mkdir(parents=True)
    for line in rows.splitlines()[1:]:
        (root / "images" / f"{line.split(',')[0]}.png").write_bytes(b"")
    (root / "labels.csv").write_text(rows)
    return root


def test_read_items_keeps_the_patient_and_the_clinic_labels(tmp_path):
    found = data.read_items(folder(tmp_path, "id,label,patient\na,AD,p1\nb,other,p1\nc,unusable,p2\n"))
    assert [(i.label, i.patient) for i in found] == [("AD", "p1"), ("other", "p1"), ("unusable", "p2")]
    assert [i.id for i in data.trainable(found)] == ["a", "b"]  # nobody can learn from unusable


def test_an_empty_patient_cell_is_refused(tmp_path):
    with pytest.raises(data.DatasetError, match="id b: the patient column is empty"):
        data.read_items(folder(tmp_path, "id,label,patient\na,AD,p1\nb,IM,\n"))


def test_clinic_labels_name_the_classes_training_knows():
    assert clinic_labels.CLASSES == data.LABELS and clinic_labels.HEALTHY == data.HEALTHY
    assert set(clinic_labels.CLINIC_LABELS) <= set(data.ALL_LABELS)
    assert clinic_labels.CLINIC_LABELS == ("AD", "IM", "HI", "MF", "healthy", "other", "unusable")


def test_split_command_holds_out_whole_patients(tmp_path, capsys):
    from models import split_cli
    rows = "id,label,patient,distance\n" + "".join(
        f"{p}-{n},{'AD' if p % 2 else 'IM'},pat{p},close\n" for p in range(10) for n in range(3))
    source = folder(tmp_path / "export", rows)
    out = tmp_path / "split"
    assert split_cli.main(["--data", str(source), "--out", str(out), "--test-fraction", "0.3"]) == 0
    train, calib, test = (data.read_items(out / part) for part in ("train", "calib", "test"))
    assert len({i.patient for i in test}) == 3 and len(test) == 9
    assert len({i.patient for i in calib}) == 1 and len(calib) == 3  # --calib-fraction 0.1
    patients = [{i.patient for i in part} for part in (train, calib, test)]
    assert not (patients[0] & patients[1] or patients[0] & patients[2] or patients[1] & patients[2])
    assert sorted(i.id for i in train + calib + test) == sorted(i.id for i in data.read_items(source))
    assert (out / "test" / "labels.csv").read_text().splitlines()[0] == "id,label,patient,distance"
    assert split_cli.main(["--data", str(source), "--out", str(out)]) == 2  # never mixes
    assert "split" in capsys.readouterr().err
    assert split_cli.main(["--data", str(source), "--out", str(tmp_path / "none"), "--test-fraction", "0.6",
                           "--calib-fraction", "0.5"]) == 2
    assert "no patients to train on" in capsys.readouterr().err


def test_the_workspace_offers_exactly_the_labels_training_and_validation_read():
    from storage import clinic_labels as stored
    assert stored.DIAGNOSES == clinic_labels.CLINIC_LABELS


@pytest.mark.parametrize("seed", range(20))
def test_a_small_clinic_split_keeps_every_class_in_training(seed):
    """3 patients per class, half to training: every class is there to learn from (the loop test
    of issue 22 lost one class to chance with an unstratified split), and the parts keep their
    sizes."""
    items = [data.Item(id=f"{c}{p}-{n}", label=c, patient=f"{c}{p}", distance="close", image=None, mask=None)
             for c in ("AD", "IM", "HI", "MF") for p in range(3) for n in range(2)]
    train, calib, test = data.split_by_patient(items, (0.5, 0.25, 0.25), seed)
    assert {i.label for i in train} == {"AD", "IM", "HI", "MF"}
    assert [len({i.patient for i in part}) for part in (train, calib, test)] == [6, 3, 3]

"""`python -m models train --data` on a clinic-style folder with a `patient` column: a few
steps (CI never trains more), split by patient, `unusable` photos left out."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("torch", reason="training needs requirements-train.txt")

from models import train  # noqa: E402
from models.phantom.clinic import write_clinic_set  # noqa: E402
from tests.test_models_smoke import TINY  # noqa: E402


def test_a_clinic_folder_trains_a_few_steps_split_by_patient(tmp_path):
    folder = write_clinic_set(tmp_path / "clinic", patients_per_class=2, photos_per_patient=2,
                              max_side=320)
    checkpoints = tmp_path / "checkpoints"
    # The classifier only: the segmenter's steps take the same path and cost far more on CPU.
    assert train.main(["--data", str(folder), "--checkpoints", str(checkpoints), "--what",
                       "classifier", "--val-fraction", "0.3", *TINY]) == 0
    log = (checkpoints / "train.log").read_text()
    assert "classifier step 2/2" in log
    # 11 patients, the `unusable` one left out: 10, of which 3 (30 %) for validation. The
    # classifier's records are the 16 photos of the 8 patients with a lesion, 2 each: split by
    # photo, an odd number could land on one side; by patient both photos go together.
    found = re.search(r"classifier: (\d+) train / (\d+) val records .*split by patient: 7 / 3 "
                      r"patients", log)
    assert found, log
    assert int(found[1]) + int(found[2]) == 16 and int(found[2]) % 2 == 0 and int(found[2]) > 0

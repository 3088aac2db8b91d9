"""`python -m models validate` and the clinician's sign-off (issue 11 item 5).

The command runs the real pipeline (the committed ONNX models, onnxruntime) on a tiny
phantom "clinic" set; every manifest it may write is a copy in tmp_path, never models/.
The sign-off rules are tested on rows made by hand, where the counts are known exactly.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from inference.manifest import load_manifest
from models import signoff, validate, validate_cli
from models.intervals import wilson
from models.phantom.clinic import write_clinic_set
from tests.support.validation import result, rows

COMMITTED = Path(__file__).resolve().parents[1] / "models"
MODEL_FILES = ("manifest.json", "segmenter.onnx", "classifier.onnx")


def copy_models(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        shutil.copyfile(source / name, target / name)
    return target


@pytest.fixture(scope="module")
def clinic_set(tmp_path_factory):
    return write_clinic_set(tmp_path_factory.mktemp("clinic"))


@pytest.fixture
def models_copy(tmp_path):
    return copy_models(COMMITTED, tmp_path / "models")


@pytest.mark.parametrize("successes, n, low, high", [
    (81, 100, 0.7222, 0.8749),   # worked example (Newcombe 1998 method 3 / statsmodels)
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (29, 30, 0.8333, 0.9941),
    (0, 0, 0.0, 1.0),            # nothing measured: nothing known
])
def test_wilson_interval(successes, n, low, high):
    assert wilson(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_refuses_more_successes_than_trials():
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_the_phantom_clinic_set_is_reported_and_its_sign_off_refused(clinic_set, models_copy,
                                                                    tmp_path, capsys):
    before = (models_copy / "manifest.json").read_bytes()
    report = tmp_path / "out" / "VALIDATION.md"
    code = validate_cli.main(["--data", str(clinic_set), "--models", str(models_copy), "--out",
                              str(report), "--sign", "Dr. Test", "--clinic", "Phantom Clinic"])
    assert code == validate_cli.REFUSED
    assert (models_copy / "manifest.json").read_bytes() == before  # unchanged, byte for byte
    err = capsys.readouterr().err
    assert "sign-off refused" in err and "AD: 2 patients (at least 30 per class)" in err
    assert "phantoms" in err
    text = report.read_text(encoding="utf-8")
    assert "**Synthetic phantom photos (meta.jsonl).**" in text and "no clinical accuracy" in text
    assert "**refused**, the manifest is unchanged" in text
    for label in ("AD", "IM", "HI", "MF"):
        assert f"| {label} | 2 | 2 |" in text
    for label in ("healthy", "other", "unusable"):
        assert f"| {label} | 1 | 1 |" in text
    assert "| all | 11 | 11 |" in text
    assert "AD vs others is scored on the 8 photos of 8 patients" in text
    assert "| sensitivity |" in text and "| specificity |" in text and "95 % Wilson" in text
    assert "Abstention rate" in text and "of all 11 photos" in text
    assert (report.parent / "validation_reliability.png").stat().st_size > 5000


def test_without_sign_the_report_is_written_and_the_manifest_left_alone(clinic_set, models_copy):
    before = (models_copy / "manifest.json").read_bytes()
    assert validate_cli.main(["--data", str(clinic_set), "--models", str(models_copy)]) == 0
    assert (models_copy / "manifest.json").read_bytes() == before
    assert "Sign-off: not asked" in (clinic_set / "VALIDATION.md").read_text(encoding="utf-8")


def test_a_folder_without_patients_is_a_clear_error(tmp_path, models_copy, capsys):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"")
    (tmp_path / "labels.csv").write_text("id,label\na,AD\n")
    assert validate_cli.main(["--data", str(tmp_path), "--models", str(models_copy)]) == 2
    assert "needs a patient column" in capsys.readouterr().err


# --- the sign-off on rows with known counts (tests/support/validation.py) ---------------

def test_enough_patients_and_tight_intervals_are_signed_into_the_manifest(models_copy):
    signed = signoff.sign(result(rows()), models_copy, "Sendai Skin Clinic", "Dr. Sato",
                          date="2026-12-01")
    manifest = load_manifest(models_copy)
    assert manifest.validated is True
    check = manifest.validation
    assert (check.photos, check.patients, check.clinic, check.signed_by, check.date) == \
        (240, 120, "Sendai Skin Clinic", "Dr. Sato", "2026-12-01")
    # 180 complication photos all found, 60 AD photos all kept: Wilson lower ends 0.979, 0.940
    assert (check.sensitivity.hits, check.sensitivity.of) == (180, 180)
    assert (check.specificity.hits, check.specificity.of) == (60, 60)
    assert check.sensitivity.low == pytest.approx(wilson(180, 180)[0])
    assert check.specificity.low == pytest.approx(wilson(60, 60)[0])
    assert signed["counts"]["healthy"] == {"photos": 1, "patients": 1}


@pytest.mark.parametrize("made, synthetic, reason", [
    (rows(patients_per_class=29), False, "AD: 29 patients (at least 30 per class)"),
    (rows(wrong_per_class=5), False, "lower 95 % bound"),           # 25/30 right per class
    (rows(), True, "the photos are phantoms"),
])
def test_a_sign_off_below_the_rules_is_refused_and_writes_nothing(models_copy, made, synthetic, reason):
    before = (models_copy / "manifest.json").read_bytes()
    with pytest.raises(signoff.SignOffRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        signoff.sign(result(made, synthetic), models_copy, "Sendai Skin Clinic", "Dr. Sato")
    assert (models_copy / "manifest.json").read_bytes() == before


def test_no_result_counts_against_both_sensitivity_and_specificity():
    summary = validate.summarise(rows(wrong_per_class=5))
    assert (summary["sensitivity"].hits, summary["sensitivity"].of) == (150, 180)
    assert (summary["specificity"].hits, summary["specificity"].of) == (50, 60)
    assert summary["recall"]["HI"].value == pytest.approx(50 / 60)
    assert summary["abstention"]["scored"] == pytest.approx(40 / 240)


def test_the_shipped_manifest_is_never_signed_by_these_tests():
    data = json.loads((COMMITTED / "manifest.json").read_text(encoding="utf-8"))
    assert data["validated"] is False and "validation" not in data


def test_a_sign_off_for_models_that_changed_since_the_run_is_refused(models_copy):
    made = result(rows())
    made["sha256"] = {"segmenter": "0" * 64, "classifier": "1" * 64}
    before = (models_copy / "manifest.json").read_bytes()
    with pytest.raises(signoff.SignOffRefused, match="changed since they were run"):
        signoff.sign(made, models_copy, "Sendai Skin Clinic", "Dr. Sato")
    assert (models_copy / "manifest.json").read_bytes() == before


def test_a_sign_off_names_the_clinic_and_the_clinician(models_copy):
    with pytest.raises(signoff.SignOffRefused, match="names the clinic"):
        signoff.sign(result(rows()), models_copy, "", "Dr. Sato")


def colour_patch_set(root: Path, patients_per_class: int = 30) -> Path:
    """Photos the dev colour-rule models read as each class (tests/support/chat.py): no
    phantom, no patient; just enough for the command to reach a sign-off."""
    from tests.support.chat import photo
    (root / "images").mkdir(parents=True)
    lines = ["id,label,patient"]
    for cls in ("AD", "IM", "HI", "MF"):
        for n in range(patients_per_class):
            (root / "images" / f"{cls}{n}.jpg").write_bytes(photo(cls, size=(640, 480), seed=n))
            lines.append(f"{cls}{n},{cls},{cls}-patient-{n}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


def test_the_command_signs_a_models_copy_that_the_pipeline_then_reads(tmp_path):
    from inference import Pipeline
    from tests.support.devmodels import build_dev_models
    models = build_dev_models(tmp_path / "models")
    test_dir = colour_patch_set(tmp_path / "test")
    assert validate_cli.main(["--data", str(test_dir), "--models", str(models), "--sign",
                              "Dr. Sato", "--clinic", "Sendai Skin Clinic"]) == 0
    text = (test_dir / "VALIDATION.md").read_text(encoding="utf-8")
    assert "Sign-off: signed by Dr. Sato (Sendai Skin Clinic)" in text
    summary = Pipeline.from_dir(models).models["validation"]
    assert (summary["photos"], summary["patients"], summary["clinic"]) == (120, 120, "Sendai Skin Clinic")
    block = signoff.signed_block(models)
    assert block["counts"]["MF"] == {"photos": 30, "patients": 30}
    assert block["sensitivity"]["of"] == 90 and block["specificity"]["of"] == 30
    assert block["sensitivity"]["low"] >= 0.8 and block["specificity"]["low"] >= 0.8

"""The clinic's loop, end to end (issue 22; models/MODEL_CARD.md "From the clinic's labels to the
running bot"): phantom patients send photos through /callback; two clinicians label them through
the workspace's own pages; `dataset export` → `split` → `train --data` (a short CPU schedule) →
`export` → the familiarity block (small) → `validate` → `validate --sign` (refused below the sign-off
rules) → a set made to pass, signed by the real sign-off code → `models install` onto the
running bot → the next photo is answered by the new version, with the validated wording →
`models rollback`. Real commands as child processes where the clinic runs them.
"""
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from storage import assessments
from tests.support.chat import flex_texts, photo
from tests.support.clinic import CLINICS, account, cli_env, share, sign_in
from tests.support.devmodels import build_dev_models
from tests.support.validation import sign_copy
from tests.test_clinic_security import label, photo_ids

torch = pytest.importorskip("torch", reason="training needs requirements-train.txt")

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("AD", "IM", "HI", "MF")
PATIENTS_PER_KIND = 3
# A clinic that sees urgent cases the same day: listed first after a complication's result too.
CLINIC = next(c for c in CLINICS if c.urgent_same_day and c.dermatology)
TINY = ["--seg-steps", "2", "--seg-batch", "2", "--cls-steps", "3", "--cls-batch", "4",
        "--log-every", "1", "--save-every", "1", "--threads", "2"]


@pytest.fixture
def app_config(app_config, tmp_path):
    from models import versions
    models_dir = tmp_path / "installed"
    versions.install(build_dev_models(tmp_path / "dev"), models_dir)  # the clinic's running set
    return {**app_config, "models_dir": models_dir}


def run(*args, env, timeout=240) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "models", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return done


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_from_clinic_labels_to_a_validated_model_on_the_running_bot(chat, client, db, services, tmp_path):
    began = time.monotonic()
    stages = {}

    def mark(name):
        stages[name] = round(time.monotonic() - began - sum(stages.values()), 1)
    env = cli_env(services.settings)
    # 1. Phantom patients share photos with the clinic (signed webhooks, the worker, the emulator).
    account(db, CLINIC, "first@clinic.example")
    account(db, CLINIC, "second@clinic.example")
    patients = []
    for n in range(PATIENTS_PER_KIND * len(KINDS)):
        kind = KINDS[n % len(KINDS)]
        user = chat("en")
        user.follow()
        user.agree()
        user.photo(photo(kind, seed=n))
        user.photo(photo(kind, seed=100 + n))
        share(user, CLINIC)
        patients.append((user, kind))
    mark("photos")
    before = services.model_version()
    # 2. Two clinicians label every photo through the workspace, as the browser does.
    for email in ("first@clinic.example", "second@clinic.example"):
        sign_in(client, email)
        for user, kind in patients:
            for assessment_id in photo_ids(db, user):
                assert label(client, assessment_id, kind).status_code == 302
    mark("labels")
    # 3. export → split → train → export → calibrate → validate.
    export, parts, checkpoints = tmp_path / "export", tmp_path / "parts", tmp_path / "checkpoints"
    made = json.loads((ok(run("dataset", "export", "--out", export, "--clinic", CLINIC.id, env=env)), (
        export / "export.json").read_text())[1])
    assert len(made["photos"]) == 2 * len(patients) and set(made["model_versions"].values()) == {before}
    mark("export")
    ok(run("split", "--data", export, "--out", parts, "--test-fraction", "0.25", "--calib-fraction", "0.25", env=env))
    mark("split")
    ok(run("train", "--data", parts / "train", "--checkpoints", checkpoints, *TINY, env=env, timeout=300))
    mark("train")
    trained = tmp_path / "trained"
    ok(run("export", "--checkpoints", checkpoints, "--out", trained, "--training-data",
           "the clinic's labelled photos (loop test)", env=env))
    mark("export_onnx")
    # calibrate --heldout, made small: the statistics are fitted on the exported classifier and
    # the clinic's training part; a few steps leave the segmenter near chance, so no held-out
    # photo may reach the classifier and the limits are set by hand, as tests/test_models_smoke.py
    # does (the full `calibrate --heldout split/calib` is MODEL_CARD's procedure).
    from models import familiarity
    pipeline = familiarity.Pipeline.from_dir(trained, require_familiarity=False)
    rows = familiarity.training_rows(pipeline, familiarity.lesion_items(parts / "train"))
    block = familiarity.fit_statistics(rows)
    outliers, _ = familiarity.outlier_features(pipeline, familiarity.realphotos.REALSET, per_cast=2)
    block["probe"] = familiarity.fit_probe(np.concatenate([r["features"] for r in rows]), outliers, steps=5)
    familiarity.write_block(trained, {**block, "thresholds": {
        "photo_score": 1e6, "max_lesion_fraction": 1.0, "max_outlier_probability": 1.0}})
    mark("familiarity")
    ok(run("validate", "--data", parts / "test", "--models", trained, env=env))
    assert (parts / "test" / "VALIDATION.md").is_file()
    mark("validate")
    # 4. Signing is refused below the rules (a few patients per class), the manifest unchanged.
    manifest = (trained / "manifest.json").read_bytes()
    refused = run("validate", "--data", parts / "test", "--models", trained, "--sign", "Dr. Sato",
                  "--clinic", "Sendai Skin Clinic", env=env)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert (trained / "manifest.json").read_bytes() == manifest
    # … and accepted on a set made to pass (rows whose counts meet the rules, the real sign-off).
    signed = shutil.copytree(trained, tmp_path / "signed")
    sign_copy(signed, wrong_per_class=1)
    mark("sign")
    # 5. Install onto the running bot; the model watch (services.follow_models) picks it up.
    new = ok(run("install", signed, "--models-dir", services.settings.models_dir, env=env)).strip()
    assert services.follow_models() and services.model_version() == new != before
    assert client.get("/healthz").get_json()["model_version"] == new
    user, _ = patients[0]
    last = assessments.recent(db, user.user, 1)[0]["id"]
    (card, *_) = user.photo(photo("AD", seed=999))  # answered (a result, or retake guidance)
    stored = [row for row in assessments.recent(db, user.user, 1) if row["id"] > last]
    assert all(row["model_version"] == new for row in stored)  # a result is kept with its version
    if stored and stored[0]["quality"] == "ok" and stored[0]["level"] != "urgent":  # a class was named
        assert "Checked on" in "\n".join(flex_texts(card))  # the validated wording
    mark("install")
    # 6. Roll back: the earlier version answers again.
    assert ok(run("rollback", "--models-dir", services.settings.models_dir, env=env)).strip() == before
    assert services.follow_models() and services.model_version() == before
    user.photo(photo("AD", seed=998))
    assert assessments.recent(db, user.user, 1)[0]["model_version"] == before
    mark("rollback")
    print(f"the clinic's loop took {time.monotonic() - began:.1f} s: {stages}")

"""Shadow monitoring (issue 22): per model version, the AI's guess against the clinicians'
labels on the workspace summary and from `python -m models monitor --clinic ID`; a signed
version whose live sensitivity falls below its signed lower bound warns admins and is audited.
Real parts: patients through signed webhooks, installed model versions (models/versions.py),
two clinicians labelling through the workspace's own pages, the real database."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models import monitor, versions
from storage import audit
from tests.support.chat import photo
from tests.support.clinic import CLINIC_A, account, cli_env, share, sign_in
from tests.support.devmodels import build_dev_models
from tests.support.validation import sign_copy
from tests.test_clinic_security import label, photo_ids

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("sets")
    v1 = build_dev_models(root / "v1")
    v2 = shutil.copytree(v1, root / "v2")
    sign_copy(v2, wrong_per_class=1)
    return {"v1": v1, "v2": v2}


@pytest.fixture
def app_config(app_config, tmp_path, sets):
    models_dir = tmp_path / "installed"
    versions.install(sets["v1"], models_dir)
    return {**app_config, "models_dir": models_dir}


def labelled_by_two(client, ids_and_labels):
    for email in ("first@clinic.example", "second@clinic.example"):
        sign_in(client, email)
        for assessment_id, diagnosis in ids_and_labels:
            assert label(client, assessment_id, diagnosis).status_code == 302
        client.post("/clinic/logout")


@pytest.fixture
def clinic(db):
    account(db, CLINIC_A, "first@clinic.example")
    account(db, CLINIC_A, "second@clinic.example")
    account(db, CLINIC_A, "admin@clinic.example", role="admin")


def test_the_summary_and_the_command_show_the_ai_against_labels_per_version(chat, client, db, services, sets,
                                                                            clinic):
    user = chat("en")
    user.follow()
    user.agree()
    user.photo(photo("AD", seed=1))
    user.photo(photo("IM", seed=2))
    share(user, CLINIC_A)
    v1 = services.model_version()
    v2 = versions.install(sets["v2"], services.settings.models_dir)
    services.follow_models()
    user.photo(photo("HI", seed=3))
    ad, im, hi = photo_ids(db, user)
    labelled_by_two(client, [(ad, "AD"), (im, "IM"), (hi, "HI")])
    sign_in(client, "admin@clinic.example")
    page = client.get("/clinic/summary?lang=en").get_data(as_text=True)
    assert f'data-version="{v1}"' in page and f'data-version="{v2}"' in page
    assert f"Version {v1} (2 photo(s), 2 of the four classes)" in page
    assert "Sensitivity: 1.00 (95% interval 0.21 to 1.00, 1/1)" in page  # Wilson, one complication
    assert "Specificity: 1.00 (95% interval 0.21 to 1.00, 1/1)" in page
    assert "model-alert" not in page
    done = subprocess.run([sys.executable, "-m", "models", "monitor", "--clinic", CLINIC_A.id], cwd=ROOT,
                          env=cli_env(services.settings), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = {s["version"]: s for s in json.loads(done.stdout)["versions"]}
    assert report[v1]["n"] == 2 and report[v1]["confusion"]["IM"]["IM"] == 1
    assert report[v2]["confusion"] == {"HI": {"AD": 0, "IM": 0, "HI": 1, "MF": 0, "none": 0}}
    assert report[v2]["signed_sensitivity"] and report[v1]["signed_sensitivity"] is None
    assert report[v1]["abstention"]["hits"] == 0
    # the patient's page names the version that answered each photo
    page = client.get("/clinic/?lang=en").get_data(as_text=True)
    referral = page.split("/clinic/referrals/")[1].split('"')[0]
    patient_page = client.get(f"/clinic/referrals/{referral}?lang=en").get_data(as_text=True)
    assert f"AI model version: {v1}" in patient_page and f"AI model version: {v2}" in patient_page


def test_a_signed_version_below_its_bound_warns_admins_and_is_audited_once(chat, client, db, services, sets,
                                                                           clinic, monkeypatch):
    monkeypatch.setattr(monitor, "MIN_LABELLED", 2)  # the rule's 30 photos, made small
    v2 = versions.install(sets["v2"], services.settings.models_dir)
    user = chat("en")
    user.follow()
    user.agree()
    user.photo(photo("AD", seed=1))  # the AI: AD …
    user.photo(photo("AD", seed=2))
    share(user, CLINIC_A)
    first, second = photo_ids(db, user)
    labelled_by_two(client, [(first, "IM"), (second, "MF")])  # … the clinicians: complications
    sign_in(client, "admin@clinic.example")
    page = client.get("/clinic/summary?lang=en").get_data(as_text=True)
    assert "model-alert" in page and "below its signed lower bound" in page
    client.get("/clinic/summary?lang=en")
    alerts = [e for e in audit.entries(db, CLINIC_A.id) if e["action"] == audit.MODEL_ALERT]
    assert len(alerts) == 1 and alerts[0]["subject"].startswith(f"{v2}: sensitivity 0.00 on 2 photos")
    sign_in(client, "first@clinic.example")
    assert "model-alert" not in client.get("/clinic/summary?lang=en").get_data(as_text=True)  # admins only


def test_no_alert_below_the_rules_number_of_photos():
    rows = [{"diagnoses": {"IM"}, "model_version": "v", "quality": "ok", "top": "AD", "updated_at": "x",
             "models": {"validated": True, "validation": {"sensitivity": [0.95, 0.9, 0.99]}}}] * 29
    (few,) = monitor.by_version(rows)
    assert few["sensitivity"]["value"] == 0.0 and not few["alert"]
    (enough,) = monitor.by_version(rows + rows[:1])
    assert enough["alert"] and enough["scored"] == 30

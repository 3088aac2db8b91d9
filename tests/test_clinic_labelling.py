"""Labelling in the clinic workspace: the queue's order, independent labels shown side by side
once both exist, Cohen's kappa on the summary page, masks checked before they are kept, and
`python -m bot demo seed` giving a newcomer a workspace to label in."""

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storage import clinic_labels
from tests.support.chat import photo, unfamiliar_photo
from tests.support.clinic import CLINIC_A, account, form_token, share, sign_in
from tests.support.devmodels import build_dev_models
from tests.test_clinic_security import label, mask_url, photo_ids

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


@pytest.fixture
def shared(chat, db):
    """One research-consented patient of clinic A with an AD photo (the dev models: AD 0.76), an
    IM photo (IM 0.96) and an unfamiliar one, in that order; the clinic has one clinician, first@clinic.example."""
    account(db, CLINIC_A, "first@clinic.example")
    user = chat()
    user.follow()
    user.agree()
    user.photo(photo("AD"))
    user.photo(photo("IM"))
    user.photo(unfamiliar_photo())  # lesion over 90 %: unfamiliar
    share(user, CLINIC_A)
    return user


def png_url(rgba) -> str:
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def queue_ids(html):
    return [int(i) for i in re.findall(r"/clinic/photos/(\d+)/label", html)]


def test_the_queue_puts_photos_the_model_did_not_judge_or_least_sure_first(shared, client, db):
    ad, im, unfamiliar = photo_ids(db, shared)
    sign_in(client, "first@clinic.example")
    assert queue_ids(client.get("/clinic/queue").get_data(as_text=True)) == [unfamiliar, ad, im]
    assert label(client, unfamiliar).status_code == 302  # labelled by me: to the end
    assert queue_ids(client.get("/clinic/queue").get_data(as_text=True)) == [ad, im, unfamiliar]


def test_the_queue_comes_a_page_at_a_time_and_every_photo_is_reachable(shared, client, db, monkeypatch):
    from bot.features.workspace import labelling
    ad, im, unfamiliar = photo_ids(db, shared)
    sign_in(client, "first@clinic.example")
    monkeypatch.setattr(labelling, "QUEUE_SHOWN", 2)  # three photos queued: two pages
    page = client.get("/clinic/queue?lang=en").get_data(as_text=True)
    assert queue_ids(page) == [unfamiliar, ad] and "Photos 1–2 of 3" in page
    assert 'href="/clinic/queue?page=2" rel="next"' in page and 'rel="prev"' not in page
    page = client.get("/clinic/queue?page=2").get_data(as_text=True)
    assert queue_ids(page) == [im] and "Photos 3–3 of 3" in page and 'rel="prev"' in page and 'rel="next"' not in page
    assert queue_ids(client.get("/clinic/queue?page=99").get_data(as_text=True)) == [im]
    assert queue_ids(client.get("/clinic/queue?page=x").get_data(as_text=True)) == [unfamiliar, ad]
    monkeypatch.setattr(labelling, "QUEUE_SHOWN", 3)
    page = client.get("/clinic/queue").get_data(as_text=True)
    assert queue_ids(page) == [unfamiliar, ad, im] and 'rel="next"' not in page


def test_labels_are_independent_then_side_by_side_with_kappa_on_the_summary(shared, client, db, clock):
    account(db, CLINIC_A, "second@clinic.example")
    ad, im, unfamiliar = photo_ids(db, shared)
    sign_in(client, "first@clinic.example")
    for aid, diagnosis in ((ad, "AD"), (im, "IM"), (unfamiliar, "other")):
        assert label(client, aid, diagnosis).status_code == 302
    assert "side-by-side" not in client.get(f"/clinic/photos/{ad}/label").get_data(as_text=True)
    summary = client.get("/clinic/summary").get_data(as_text=True)
    assert "κ =" not in summary and "No photo has labels from two clinicians" in client.get(
        "/clinic/summary?lang=en").get_data(as_text=True)

    clock.advance(minutes=5)
    second = client.application.test_client()
    sign_in(second, "second@clinic.example")
    before = second.get(f"/clinic/photos/{ad}/label").get_data(as_text=True)
    assert "first@clinic.example" not in before            # not before labelling it oneself
    first_label = clinic_labels.mine(db, CLINIC_A.id, clinic_labels.of_photo(db, CLINIC_A.id, ad)[0]["staff_id"], ad)
    assert second.get(f"/clinic/labels/{first_label['label_id']}/mask.png").status_code == 404
    for aid, diagnosis in ((ad, "AD"), (im, "AD"), (unfamiliar, "other")):
        assert label(second, aid, diagnosis).status_code == 302
    after = second.get(f"/clinic/photos/{ad}/label?lang=en").get_data(as_text=True)
    assert "first@clinic.example" in after and after.count('class="dx"') == 2
    mask = second.get(f"/clinic/labels/{first_label['label_id']}/mask.png")
    assert mask.status_code == 200 and mask.mimetype == "image/png"
    # 3 photos, 2 agreements (AD, other), 1 disagreement: po 2/3; pe (AD 1·2 + IM 1·0 + other 1·1)/9 = 1/3
    html = second.get("/clinic/summary").get_data(as_text=True)
    assert "κ = 0.50" in html
    (pairs,) = clinic_labels.rater_pairs(db, CLINIC_A.id).values()  # one pair of clinicians
    assert sorted(tuple(sorted(p)) for p in pairs) == [("AD", "AD"), ("AD", "IM"), ("other", "other")]
    # photos whose clinicians disagree are not exported until they agree
    assert sorted(p["assessment_id"] for p in clinic_labels.for_export(db, CLINIC_A.id)) == [ad, unfamiliar]


@pytest.mark.parametrize("bad", ["size", "values", "not a png"])
def test_a_mask_not_of_the_photos_size_or_with_other_values_is_refused(shared, client, db, bad):
    ad = photo_ids(db, shared)[0]
    sign_in(client, "first@clinic.example")
    page = client.get(f"/clinic/photos/{ad}/label").get_data(as_text=True)
    width, height = (int(v) for v in re.search(r'<canvas id="paint" width="(\d+)" height="(\d+)"', page).groups())
    mask = {"size": mask_url(width + 1, height), "not a png": "data:image/png;base64,aGVsbG8=",
            "values": png_url(np.full((height, width, 4), 255, np.uint8))}[bad]  # class 255
    response = client.post(f"/clinic/photos/{ad}/label", data={
        "csrf_token": form_token(client, f"/clinic/photos/{ad}/label"), "diagnosis": "AD", "mask": mask})
    assert response.status_code == 400 and clinic_labels.of_photo(db, CLINIC_A.id, ad) == []
    good = client.post(f"/clinic/photos/{ad}/label", data={
        "csrf_token": form_token(client, f"/clinic/photos/{ad}/label"), "diagnosis": "made-up",
        "mask": mask_url(width, height)})
    assert good.status_code == 400


def test_demo_seed_gives_a_newcomer_a_workspace_to_label(tmp_path):
    """`python -m bot demo seed` into a simulator's data folder, then that server's workspace."""
    from bot import create_app

    env = {**os.environ, "ADAI_DATA_DIR": str(tmp_path / "var"), "ADAI_SIMULATOR": "1", "PYTHONPATH": str(ROOT)}
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "ADAI_DATABASE_URL", "ADAI_MEDIA_DIR"):
        env.pop(name, None)
    seeded = subprocess.run([sys.executable, "-m", "bot", "demo", "seed"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    email, password = re.search(r"email: (\S+)\s+password: (\S+)", seeded.stdout).groups()
    app = create_app({"data_dir": tmp_path / "var", "models_dir": ROOT / "models", "simulator": True,
                      "assess_processes": 0, "database_url": None, "media_dir": None})
    try:
        client = app.test_client()
        assert sign_in(client, email, password).status_code == 302
        listing = client.get("/clinic/").get_data(as_text=True)
        assert listing.count("/clinic/referrals/") == 4
        queue = queue_ids(client.get("/clinic/queue").get_data(as_text=True))
        assert queue
        assert label(client, queue[0], "HI").status_code == 302
        assert client.get(f"/clinic/photos/{queue[0]}/label?saved=1").status_code == 200
    finally:
        app.extensions["adai"].stop()

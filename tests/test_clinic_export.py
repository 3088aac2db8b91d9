"""`python -m models dataset export` and `dataset purge-withdrawn`: the training folder layout
(images, masks 0/1/2 at the photo's size, labels.csv with a random patient column), EXIF gone
and photos upright, owner-only files, the export recorded in export.json and the database."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from models import dataset
from storage import datasets
from tests.support.chat import photo
from tests.support.clinic import CLINIC_A, ROOT, account, cli_env, share, sign_in
from tests.support.devmodels import build_dev_models
from tests.test_clinic_security import label, photo_ids



@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


def phone_jpeg(kind, seed=0) -> bytes:
    """A 1600×1200 photo taken sideways (EXIF orientation 6) with the camera and place in EXIF."""
    image = Image.open(io.BytesIO(photo(kind, size=(1600, 1200), seed=seed)))
    exif = Image.Exif()
    exif[0x0112] = 6                    # rotate 90° to show upright
    exif[0x010F] = "PhoneMaker"         # Make
    exif[0x0110] = "SecretModel"        # Model
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


@pytest.fixture
def labelled(chat, client, db):
    """Two patients (two photos, one photo) shared with clinic A, every photo labelled AD."""
    account(db, CLINIC_A, "a@clinic.example")
    users = []
    for kinds in (("AD", "AD"), ("AD",)):
        user = chat()
        user.follow()
        user.agree()
        for n, kind in enumerate(kinds):
            user.photo(phone_jpeg(kind, seed=n))
        share(user, CLINIC_A)
        users.append(user)
    sign_in(client, "a@clinic.example")
    for user in users:
        for aid in photo_ids(db, user):
            assert label(client, aid).status_code == 302
    return users


def rows(folder):
    with open(folder / "labels.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_export_is_the_training_layout_upright_without_exif_split_by_patient(labelled, db, services, tmp_path,
                                                                                   clock):
    out = tmp_path / "export"
    manifest = dataset.export(db, services.settings.files_dir, out, clock.now(), CLINIC_A.id)
    table = rows(out)
    assert list(table[0]) == ["id", "label", "patient"]
    assert [r["label"] for r in table] == ["AD", "AD", "AD"]
    assert sorted(len([r for r in table if r["patient"] == p]) for p in {r["patient"] for r in table}) == [1, 2]
    assert sorted(r["id"] for r in table) == sorted(manifest["photos"])
    for row in table:
        image = Image.open(out / "images" / f"{row['id']}.jpg")
        assert image.size == (1200, 1600)               # upright (EXIF orientation applied)
        assert dict(image.getexif()) == {} and "exif" not in image.info
        mask = np.asarray(Image.open(out / "masks" / f"{row['id']}.png"))
        assert mask.shape == (1600, 1200) and set(np.unique(mask)) == {1, 2}
        # the painted quarter (label() paints the box from 1/4 to 1/2 of each side) is lesion
        assert mask[600, 450] == 2 and mask[1400, 1000] == 1
    raw = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"PhoneMaker" not in raw and b"SecretModel" not in raw
    for user in labelled:
        assert user.user.encode() not in raw
    assert os.stat(out / "images").st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in out.rglob("*") if p.is_file())
    assert json.loads((out / "export.json").read_text())["export_id"] == manifest["export_id"]
    assert datasets.get(db, manifest["export_id"])["photos"] == 3
    assert datasets.still_consented(db, manifest["export_id"]) == set(manifest["photos"])
    # a second export: new random ids and patient ids, never the same as the first's
    again = dataset.export(db, services.settings.files_dir, tmp_path / "again", clock.now(), CLINIC_A.id)
    assert not set(again["photos"]) & set(manifest["photos"])
    assert not {r["patient"] for r in rows(tmp_path / "again")} & {r["patient"] for r in table}


def test_the_commands_export_and_purge_through_the_environment(labelled, services, tmp_path):
    env = {**os.environ, "ADAI_DATA_DIR": str(services.settings.data_dir), "PYTHONPATH": str(ROOT)}
    env["ADAI_DATABASE_URL"] = services.settings.database_url or ""  # the test's own database, either backend
    out = tmp_path / "cli"
    made = subprocess.run([sys.executable, "-m", "models", "dataset", "export", "--out", str(out),
                           "--clinic", CLINIC_A.id], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert "exported 3 photos of 2 patients" in made.stdout and len(rows(out)) == 3
    refused = subprocess.run([sys.executable, "-m", "models", "dataset", "export", "--out", str(out)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "ExportFolderNotEmpty" in refused.stderr
    labelled[0].tap("action=research&v=withdraw")
    purged = subprocess.run([sys.executable, "-m", "models", "dataset", "purge-withdrawn", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert purged.returncode == 0 and "removed 2 photos" in purged.stdout, purged.stderr
    assert len(rows(out)) == 1 and len(list((out / "images").iterdir())) == 1
    assert len(json.loads((out / "export.json").read_text())["photos"]) == 1

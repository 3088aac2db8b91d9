"""Model sets as versions (issue 22): `python -m models install / rollback / versions`, the
running bot following the current version without a restart, and the version recorded with
every stored result. Real parts: the dev colour-rule ONNX pair (tests/support/devmodels.py),
onnxruntime, the real sign-off code, the real app, signed webhooks, the LINE emulator, and
`python -m bot serve` as a child process."""
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from inference.versions import CURRENT, current_set, version_id
from models import versions
from storage import assessments
from tests.support import serve, webhooks
from tests.support.chat import flex_texts, photo
from tests.support.devmodels import build_dev_models
from tests.support.validation import sign_copy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict:
    """Two sets of the same dev models: unsigned ("v1") and signed by a clinic ("v2")."""
    root = tmp_path_factory.mktemp("sets")
    v1 = build_dev_models(root / "v1")
    v2 = root / "v2"
    shutil.copytree(v1, v2)
    sign_copy(v2, wrong_per_class=1)
    return {"v1": v1, "v2": v2}


def truncated(src: Path, dest: Path, rehash: bool) -> Path:
    """A copy whose classifier.onnx is cut in half (rehash: the manifest names the cut file's
    sha256, so only loading it can tell)."""
    shutil.copytree(src, dest)
    model = dest / "classifier.onnx"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    if rehash:
        import hashlib
        manifest = json.loads((dest / "manifest.json").read_text())
        manifest["models"]["classifier"]["sha256"] = hashlib.sha256(model.read_bytes()).hexdigest()
        (dest / "manifest.json").write_text(json.dumps(manifest))
    return dest


def cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "models", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


# --- install, rollback, versions -------------------------------------------------------------------

def test_install_switches_current_and_rollback_returns(sets, tmp_path):
    models_dir = tmp_path / "models"
    done = cli("install", str(sets["v1"]), env={"ADAI_MODELS_DIR": str(models_dir)})  # default: $ADAI_MODELS_DIR
    assert done.returncode == 0, done.stderr
    v1 = done.stdout.strip()
    assert v1 == version_id(sets["v1"]) and len(v1) == 12
    assert os.readlink(models_dir / CURRENT) == f"versions/{v1}"
    v2 = versions.install(sets["v2"], models_dir)
    assert current_set(models_dir) == (v2, models_dir / "versions" / v2)
    rows = versions.versions(models_dir)
    assert [(r["id"], r["current"], r["validated"]) for r in rows] == [(v1, False, False), (v2, True, True)]
    listed = cli("versions", "--models-dir", str(models_dir), "--json")
    assert [r["id"] for r in json.loads(listed.stdout)] == [v1, v2]
    assert versions.rollback(models_dir) == v1
    assert current_set(models_dir)[0] == v1
    refused = cli("rollback", "--models-dir", str(models_dir))
    assert refused.returncode == 1 and "no earlier version" in refused.stderr
    assert current_set(models_dir)[0] == v1
    assert versions.install(sets["v2"], models_dir) == v2  # the same set again: the same version


def test_the_first_install_into_a_plain_folder_keeps_it_as_a_version(sets, tmp_path):
    plain = shutil.copytree(sets["v1"], tmp_path / "models")  # as the repository's models/ is
    base = version_id(plain)
    assert current_set(plain) == (base, plain)  # a plain folder works as before
    v2 = versions.install(sets["v2"], plain)
    assert current_set(plain)[0] == v2 and (plain / "manifest.json").is_file()
    assert versions.rollback(plain) == base
    assert current_set(plain) == (base, plain / "versions" / base)


@pytest.mark.parametrize("rehash", [False, True], ids=["hash differs", "hash matches, onnx truncated"])
def test_a_broken_set_is_refused_and_nothing_changes(sets, tmp_path, rehash):
    models_dir = tmp_path / "models"
    v1 = versions.install(sets["v1"], models_dir)
    before = sorted(p.name for p in (models_dir / "versions").iterdir())
    broken = truncated(sets["v1"], tmp_path / "broken", rehash)
    done = cli("install", str(broken), "--models-dir", str(models_dir))
    assert done.returncode == 1
    assert "classifier" in done.stderr and "nothing changed" in done.stderr
    assert current_set(models_dir)[0] == v1
    assert sorted(p.name for p in (models_dir / "versions").iterdir()) == before  # no leftovers


def test_a_set_missing_a_file_is_refused(sets, tmp_path):
    models_dir = tmp_path / "models"
    lacking = shutil.copytree(sets["v1"], tmp_path / "lacking")
    (lacking / "segmenter.onnx").unlink()
    with pytest.raises(versions.ModelSetRefused, match="segmenter.onnx"):
        versions.install(lacking, models_dir)
    assert not (models_dir / CURRENT).exists()


# --- the running app follows the current version ------------------------------------------------------

@pytest.fixture
def app_config(app_config, tmp_path, sets):
    models_dir = tmp_path / "installed"
    versions.install(sets["v1"], models_dir)
    return {**app_config, "models_dir": models_dir}


def consented(chat, lang="en"):
    user = chat(lang)
    user.follow()
    user.agree()
    return user


def test_the_app_follows_install_and_rollback_and_records_the_version(chat, client, db, services, sets):
    models_dir = services.settings.models_dir
    v1 = current_set(models_dir)[0]
    assert client.get("/healthz").get_json()["model_version"] == v1
    user = consented(chat)
    card, _question = user.photo(photo("AD"))  # shadow mode: the questions decide
    assert "Please answer the questions" in flex_texts(card)[0]
    assert services.model_version() == v1
    v2 = versions.install(sets["v2"], models_dir)
    assert services.follow_models() is True  # what the model watch does every models_poll_s
    assert client.get("/healthz").get_json()["model_version"] == v2
    (card,) = user.photo(photo("AD"))  # a signed set: the full verdict
    assert "Keep up your usual care" in flex_texts(card)[0]
    assert versions.rollback(models_dir) == v1
    assert services.follow_models() is True
    user.photo(photo("AD"))
    made = [row["model_version"] for row in reversed(assessments.recent(db, user.user))]
    assert made == [v1, v2, v1]
    assert services.follow_models() is False  # nothing new


def test_a_set_already_in_use_keeps_answering_after_the_swap(services, sets):
    old = services.pipeline()
    versions.install(sets["v2"], services.settings.models_dir)
    assert services.follow_models()
    assert services.pipeline() is not old
    assessment = old.assess(photo("AD"))  # an assessment that began on the old set ends on it
    assert assessment.models["version"] == old.version and not assessment.models["validated"]


def test_a_version_that_fails_to_load_keeps_the_old_one_and_logs_one_line(services, sets, tmp_path, caplog):
    models_dir = services.settings.models_dir
    v1 = services.pipeline().version
    # A set broken after it was installed (a disk fault): current points at it.
    broken = truncated(sets["v2"], models_dir / "versions" / "0badc0ffee00", rehash=True)
    versions.switch(models_dir, broken.name)
    caplog.set_level(logging.INFO, logger="bot.engine.services")
    assert services.follow_models() is False
    assert services.follow_models() is False
    lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1 and "0badc0ffee00" in lines[0].getMessage() and v1 in lines[0].getMessage()
    assert services.model_version() == v1 and services.pipeline().version == v1


# --- a running `python -m bot serve` --------------------------------------------------------------------

def photo_event(emulator, user, data, message_id):
    emulator.add_content(message_id, data)
    return webhooks.image(message_id=message_id, user=user, reply_token=emulator.issue_reply_token(user))


def test_a_running_server_follows_install_and_rollback_within_30_s(tmp_path, emulator, sets):
    """Done-when of issue 22: /healthz names the new version within 30 s of install, in the same
    process, a photo is answered right after, and again after rollback."""
    models_dir = tmp_path / "models"
    v1 = versions.install(sets["v1"], models_dir)
    env = {**os.environ, "LINE_CHANNEL_SECRET": "versions-secret", "LINE_CHANNEL_ACCESS_TOKEN": emulator.access_token,
           "LINE_API_BASE_URL": emulator.url, "ADAI_DATA_DIR": str(tmp_path / "var"),
           "ADAI_MODELS_DIR": str(models_dir), "ADAI_MODELS_POLL_S": "1", "ADAI_ASSESS_PROCESSES": "1"}
    env.pop("ADAI_DATABASE_URL", None)
    server, url = serve.start(env, tmp_path / "server.log", timeout=60)
    user = webhooks.user_id()

    def send_photo(n) -> dict:
        before = len(emulator.sent)
        raw, headers = webhooks.signed("versions-secret", photo_event(emulator, user, photo("AD"), f"m-{n}"))
        assert requests.post(url + "/callback", data=raw, headers=headers, timeout=10).status_code == 200
        assert emulator.wait_for(lambda e: len(e.sent) > before, timeout=60)
        return emulator.sent[before]

    def version_after(wanted) -> float:
        began = time.monotonic()
        while time.monotonic() - began < 30:
            if requests.get(url + "/healthz", timeout=5).json()["model_version"] == wanted:
                return time.monotonic() - began
            time.sleep(0.2)
        raise AssertionError(f"/healthz did not name {wanted} within 30 s")

    try:
        send_photo(0)  # the pool loads v1
        assert requests.get(url + "/healthz", timeout=5).json()["model_version"] == v1
        v2 = versions.install(sets["v2"], models_dir)
        took = version_after(v2)
        print(f"serve followed install in {took:.1f} s")
        assert "いつものケアを続け" in json.dumps(send_photo(1), ensure_ascii=False)  # ja: the validated wording
        versions.rollback(models_dir)
        version_after(v1)
        assert "いつものケアを続け" not in json.dumps(send_photo(2), ensure_ascii=False)
    finally:
        server.terminate()
        server.wait(15)
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in log and f"now answering with version {v2}" in log

"""Configuration, simulator mode, the CLI table and `python -m bot serve` start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bot import settings as configuration
from bot import create_app
from bot.__main__ import main
from tests.support import webhooks


def test_environment_table_is_read():
    config = configuration.load(env={
        "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_API_BASE_URL": "http://x:1/",
        "ADAI_DATA_DIR": "/d", "ADAI_MODELS_DIR": "/m", "ADAI_PUBLIC_URL": "https://bot.example", "PORT": "9000",
    })
    assert (config.channel_secret, config.access_token, config.api_base_url) == ("s", "t", "http://x:1")
    assert (str(config.data_dir), str(config.models_dir), config.port) == ("/d", "/m", 9000)
    assert config.base_url == "https://bot.example" and not config.simulator


def test_every_setting_of_the_environment_is_read_and_in_the_readme():
    values = {"ADAI_CLINICS_CSV": "/c.csv", "ADAI_SERVER_THREADS": "8", "ADAI_WORKER_LANES": "2",
              "ADAI_ASSESS_PROCESSES": "0", "ADAI_ASSESS_THREADS": "2", "ADAI_RETENTION_DAYS": "365",
              "ADAI_PHOTOS_PER_HOUR": "5", "ADAI_MEDIA_LINK_TTL_S": "600", "ADAI_REFERRAL_DAYS": "3",
              "ADAI_SIMULATOR": "1", "ADAI_RESEARCH_PREVIEW": "1"}
    settings = configuration.load(env=values)
    assert (str(settings.clinics_csv), settings.server_threads, settings.worker_lanes) == ("/c.csv", 8, 2)
    assert (settings.assess_processes, settings.assess_threads, settings.retention_days) == (0, 2, 365)
    assert (settings.photos_per_hour, settings.media_link_ttl_s, settings.referral_days) == (5, 600.0, 3.0)
    assert settings.research_preview is True and configuration.load(env={"ADAI_SIMULATOR": "1"}).research_preview is False
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert [v for v in configuration.ENVIRONMENT if f"`{v}`" not in table] == []


def test_a_setting_that_is_not_one_is_an_error():
    with pytest.raises(configuration.BadSetting, match="retention_dayz"):
        configuration.load({"retention_dayz": 1}, env={})
    with pytest.raises(configuration.BadSetting, match="ADAI_PHOTOS_PER_HOUR"):
        configuration.load(env={"ADAI_PHOTOS_PER_HOUR": "many"})


def test_defaults_and_public_url_fallback():
    config = configuration.load(env={"ADAI_SIMULATOR": "1"})
    assert config.simulator and str(config.data_dir) == "var" and str(config.models_dir) == "models"
    assert config.base_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize("env", [{"LINE_CHANNEL_SECRET": "s"}, {"LINE_CHANNEL_ACCESS_TOKEN": "t"}])
def test_one_credential_alone_is_a_clear_error_from_the_factory(env, monkeypatch, tmp_path):
    for key in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(configuration.MissingCredential, match="LINE_CHANNEL_"):
        create_app({"data_dir": tmp_path})


@pytest.mark.parametrize("host, refused", [("0.0.0.0", True), ("192.0.2.7", True),
                                           ("127.0.0.1", False), ("localhost", False), ("::1", False)])
def test_simulator_mode_listens_on_loopback_only(host, refused):
    if refused:
        with pytest.raises(configuration.SimulatorNotLocal, match="loopback only"):
            configuration.load({"host": host}, env={"ADAI_SIMULATOR": "1"})
    else:
        assert configuration.load({"host": host}, env={"ADAI_SIMULATOR": "1"}).simulator
    assert not configuration.load({"host": host}, env={"LINE_CHANNEL_SECRET": "s",
                                                         "LINE_CHANNEL_ACCESS_TOKEN": "t"}).simulator


def test_simulator_mode_runs_its_own_emulator_and_answers(tmp_path, monkeypatch):
    for key in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ADAI_SIMULATOR", "1")
    app = create_app({"data_dir": tmp_path / "var", "models_dir": tmp_path / "models"})
    services = app.extensions["adai"]
    try:
        emulator = services.emulator
        assert services.settings.simulator and services.settings.api_base_url == emulator.url
        assert emulator.url.startswith("http://127.0.0.1:")
        user = webhooks.user_id()
        ev = webhooks.text("help", user=user, reply_token=emulator.issue_reply_token(user))
        raw, headers = webhooks.signed(configuration.SIMULATOR_SECRET, ev)
        assert app.test_client().post("/callback", data=raw, headers=headers).status_code == 200
        services.worker.drain()
        sent = requests.get(emulator.url + "/_emulator/sent", params={"to": user}, timeout=5).json()["sent"]
        assert len(sent) == 1
    finally:
        services.stop()


def test_cli_unknown_command_prints_usage(capsys):
    assert main(["nonsense"]) == 2
    assert "serve" in capsys.readouterr().err


def test_serve_help_runs_without_starting_anything():
    out = subprocess.run([sys.executable, "-m", "bot", "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--port" in out.stdout


def test_serve_on_a_public_address_without_credentials_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINE_")}
    env["ADAI_DATA_DIR"] = str(tmp_path)
    for simulator, says in (("1", "loopback only"), ("", "ADAI_SIMULATOR=1")):
        done = subprocess.run([sys.executable, "-m", "bot", "serve", "--host", "0.0.0.0", "--port", "0"],
                              env={**env, "ADAI_SIMULATOR": simulator}, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert says in done.stderr and "Traceback" not in done.stderr


# --- issue 12 item 13: simulator mode is an explicit choice, its pages answer loopback names only


def test_no_credentials_without_choosing_the_simulator_is_a_clear_error(tmp_path):
    with pytest.raises(configuration.MissingCredential, match="ADAI_SIMULATOR=1"):
        configuration.load(env={})
    with pytest.raises(configuration.MissingCredential, match="ADAI_SIMULATOR=1"):
        create_app({"data_dir": tmp_path / "var"})  # a WSGI server importing the factory


def test_simulator_mode_is_chosen_with_adai_simulator():
    assert configuration.load(env={"ADAI_SIMULATOR": "1"}).simulator
    with pytest.raises(configuration.BadSetting, match="ADAI_SIMULATOR"):
        configuration.load(env={"ADAI_SIMULATOR": "1", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"})


@pytest.mark.parametrize("host, allowed", [("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True),
                                           ("localhost", True), ("evil.example", False),
                                           ("evil.example:8000", False), ("127.0.0.1.nip.io:8000", False)])
def test_simulator_routes_answer_loopback_host_names_only(tmp_path, host, allowed):
    """Against DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not sign
    events or read anyone's messages."""
    app = create_app({"data_dir": tmp_path / "var", "models_dir": tmp_path / "models", "simulator": True})
    try:
        client = app.test_client()
        user = webhooks.user_id()
        for method, path, body in [("get", "/simulator", None), ("get", f"/simulator/api/messages?user={user}", None),
                                   ("post", "/simulator/api/event", {"user": user, "kind": "text", "text": "hi"})]:
            response = getattr(client, method)(path, json=body, headers={"Host": host})
            assert (response.status_code < 400) == allowed, (path, response.status_code)
            if not allowed:
                assert response.status_code == 403
    finally:
        app.extensions["adai"].stop()


def test_simulator_start_up_line_names_the_simulator_url(tmp_path):
    """Issue 12 item 12: `make run` says where to open the simulator."""
    from tests.support import serve

    env = {k: v for k, v in os.environ.items() if not k.startswith("LINE_")}
    env.update(ADAI_SIMULATOR="1", ADAI_DATA_DIR=str(tmp_path / "var"), ADAI_MODELS_DIR=str(tmp_path / "models"))
    log_path = tmp_path / "serve.log"
    process, url = serve.start(env, log_path)
    try:
        assert f"simulator: open {url}/simulator" in log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_run_due_in_simulator_mode_uses_the_running_simulator_or_says_what_to_do(tmp_path):
    """Issue 12 item 11: no traceback (NoLineToSendTo); the running simulator's emulator is found."""
    from tests.support import serve

    env = {k: v for k, v in os.environ.items() if not k.startswith("LINE_")}
    env.update(ADAI_SIMULATOR="1", ADAI_DATA_DIR=str(tmp_path / "var"), ADAI_MODELS_DIR=str(tmp_path / "models"))
    run_due = [sys.executable, "-m", "bot", "reminders", "run-due"]
    alone = subprocess.run(run_due, env=env, capture_output=True, text=True, timeout=60)
    assert alone.returncode == 2 and "Traceback" not in alone.stderr
    assert len(alone.stderr.strip().splitlines()) == 1 and "make run" in alone.stderr
    process, _ = serve.start(env, tmp_path / "serve.log")
    try:
        done = subprocess.run(run_due, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert '"now"' in done.stdout
    finally:
        process.terminate()
        process.wait(timeout=30)

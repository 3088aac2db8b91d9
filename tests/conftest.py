"""Shared fixtures: a real LINE emulator on loopback, the app on a real SQLite file in
tmp_path (or a fresh PostgreSQL database: `backend`), a test client, a database handle and a
live waitress server."""

import os
import threading

import pytest

from bot import create_app
from bot.sim.emulator import Emulator
from tests.support import SECRET, TOKEN, postgres, webhooks
from tests.support.clock import FakeClock


@pytest.fixture(scope="session")
def postgres_server():
    """Where tests make PostgreSQL databases: the server of ADAI_DATABASE_URL when the suite runs
    with it (`make test-postgresql`), else a throw-away cluster for this session."""
    if os.environ.get("ADAI_DATABASE_URL"):
        yield postgres.Server(os.environ["ADAI_DATABASE_URL"])
        return
    try:
        cluster = postgres.Cluster().start()
    except postgres.NoPostgres as error:
        pytest.skip(str(error))
    yield cluster
    cluster.destroy()


@pytest.fixture
def backend():
    """The database tests use: postgresql when the suite runs with ADAI_DATABASE_URL, else
    sqlite. A module that tests both overrides it with params=postgres.BACKENDS."""
    return "postgresql" if os.environ.get("ADAI_DATABASE_URL") else "sqlite"


@pytest.fixture
def database_url(backend, request):
    """A fresh PostgreSQL database's URL for this test, or None (SQLite in tmp_path)."""
    if backend != "postgresql":
        return None
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def emulator(clock):
    emu = Emulator(TOKEN, clock=clock, hold_s=1.0).start()
    yield emu
    emu.stop()


@pytest.fixture
def app_config(tmp_path, emulator, database_url):
    """Override or extend in a test module to change settings."""
    return {
        "database_url": database_url,
        "channel_secret": SECRET,
        "access_token": TOKEN,
        "api_base_url": emulator.url,
        "data_dir": tmp_path / "var",
        "models_dir": tmp_path / "models",
        "line_timeout_s": 0.5,
        "line_backoff_s": 0.01,
        "assess_processes": 0,  # photos assessed in the worker's thread (test_assess_pool has the pool)
    }


@pytest.fixture
def app_features():
    """The features the app is built with (None: bot.features.DEFAULT); override to add one."""
    return None


@pytest.fixture
def app(app_config, clock, app_features):
    app = create_app(app_config, clock=clock, features=app_features)
    yield app
    app.extensions["adai"].stop()


@pytest.fixture
def services(app):
    return app.extensions["adai"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(services):
    return services.db()


@pytest.fixture
def events(emulator, clock):
    return webhooks.Events(emulator, clock)


@pytest.fixture
def post_events(client):
    """post_events(*events) -> response; signs with the app's secret."""

    def post(*evs, secret=SECRET):
        raw, headers = webhooks.signed(secret, *evs)
        return client.post("/callback", data=raw, headers=headers)

    return post


@pytest.fixture
def deliver(post_events, services):
    """Post events and let the worker handle them now (synchronously, deterministic)."""

    def run(*evs):
        response = post_events(*evs)
        assert response.status_code == 200
        services.worker.drain()
        return response

    return run


@pytest.fixture
def live_server(app):
    """The app behind waitress on a free loopback port, with its worker thread running."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    services = app.extensions["adai"]
    services.worker.start()
    server.url = f"http://127.0.0.1:{server.effective_port}"
    yield server
    services.worker.stop()
    server.close()


@pytest.fixture
def chat(events, deliver, emulator):
    """chat(lang="ja") -> a new LINE user talking to the bot (tests/support/chat.py)."""
    from tests.support.chat import Chat

    return lambda lang="ja", user=None: Chat(events, deliver, emulator, lang, user)

"""Faults, end to end: LINE failing in every way, SQLite busy, photo storage broken, models
missing or corrupt — the user still gets exactly one answer, and nothing is lost. On SQLite and
on PostgreSQL (its outages, with a fleet of processes: tests/test_fleet.py).

Already covered elsewhere (not repeated here): the client's retry/back-off table and 4xx
(tests/test_line_client.py), SIGKILL with events in the inbox and crash replays
(tests/test_recovery.py), models missing/corrupt for a photo (tests/test_result_card.py).
"""
import logging

import pytest

from bot.engine.line_api import retry_key
from storage import assessments, files, inbox
from tests.support import postgres
from tests.support.chat import flex_texts, photo
from tests.support.devmodels import build_dev_models
from tests.support.sqlite import WriteLockHolder


@pytest.fixture(params=postgres.BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("SQLite's one write lock; PostgreSQL locks rows, and its outages are in test_fleet.py")


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


@pytest.fixture
def delays(services):
    """Back-off waits the LINE client asked for (its sleep hook), instead of sleeping them."""
    waited = []
    services.line.sleep = waited.append
    return waited


def answers_for(emulator, user):
    return [s for s in emulator.sent if s["to"] == user]


# --- LINE fails for the next N calls ---------------------------------------------------------

FAULTS = {
    "500": {"status": 500},
    "503 twice": {"status": 503, "n": 2},
    "429 Retry-After": {"status": 429, "retry_after": 3},
    "timeout": {"status": "timeout"},
    "connection reset": {"status": "reset"},
    "lost answer": {"status": "lost"},
}


@pytest.mark.parametrize("path", ["/reply", "/push"])
@pytest.mark.parametrize("name", FAULTS)
def test_a_failing_line_call_is_retried_and_the_user_hears_once(deliver, events, emulator, clock, delays, name, path):
    fault = dict(FAULTS[name])
    emulator.fail_next(fault.pop("n", 1), path=path, **fault)
    ev = events.text("help")
    if path == "/push":
        clock.advance(55)  # the reply token is stale: the answer goes by push
    deliver(ev)
    user = ev["source"]["userId"]
    (answer,) = answers_for(emulator, user)
    assert answer["kind"] == path.strip("/")
    assert answer["retry_key"] == (retry_key(ev["webhookEventId"], 0) if path == "/push" else None)
    if name == "429 Retry-After":
        assert delays == [3.0]  # LINE's Retry-After, not our own back-off
    elif name != "lost answer" or path == "/reply":
        assert delays and delays == sorted(delays)  # backed off before retrying


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": "reset"}, {"status": 429, "retry_after": 1}])
def test_an_outage_longer_than_every_attempt_is_retried_later_then_answered_once(post_events, services, events, emulator, clock, db, delays, fault):
    ev = events.text("help")
    post_events(ev)
    clock.advance(55)  # push path: nothing ambiguous about a reply token
    emulator.fail_next(services.settings.line_attempts, path="/push", **fault)
    services.worker.drain()
    assert emulator.sent == [] and inbox.get(db, ev["webhookEventId"])["state"] == inbox.PENDING
    clock.advance(6)  # the worker's own back-off for the event
    services.worker.drain()
    services.worker.drain()  # a later pass finds nothing more to send
    (answer,) = emulator.sent
    assert answer["retry_key"] == retry_key(ev["webhookEventId"], 0)
    assert inbox.counts(db) == {"done": 1}


def test_a_refused_reply_token_falls_back_to_one_push_even_when_that_push_answer_is_lost(deliver, events, emulator, delays):
    ev = events.text("help", reply_token="not-a-token-line-knows")  # LINE: 400 Invalid reply token
    emulator.fail_next(1, status="lost", path="/push")  # pushed, but our side never hears so
    deliver(ev)
    (answer,) = emulator.sent  # the retry with the same key got 409: already accepted
    assert answer["kind"] == "push" and answer["retry_key"] == retry_key(ev["webhookEventId"], 0)


def test_a_photo_survives_line_failures_on_content_and_reply(chat, emulator, delays, db):
    user = chat("en")
    user.follow()
    user.agree()
    emulator.fail_next(1, status=500, path="/content")
    emulator.fail_next(1, status="reset", path="/reply")
    before = len(answers_for(emulator, user.user))
    (card,) = user.photo(photo("IM"))
    (answer,) = answers_for(emulator, user.user)[before:]  # exactly one call reached LINE
    assert answer["messages"] == [card] and card["type"] == "flex"
    assert len(delays) >= 2  # the content and the reply were each tried again after a back-off
    (row,) = assessments.recent(db, user.user)  # assessed once, stored once
    assert (row["finding"], row["level"]) == ("IM", "soon")
    # What it says: the card a user gets for the same photo when LINE does not fail.
    calm = chat("en")
    calm.follow()
    calm.agree()
    (expected,) = calm.photo(photo("IM"))
    assert flex_texts(card) == flex_texts(expected)


# --- SQLite busy --------------------------------------------------------------------------------

def test_a_webhook_arriving_while_the_database_is_locked_waits_and_is_stored(sqlite_only, post_events, services, events, emulator, db):
    ev = events.text("help")
    with WriteLockHolder(services.settings.db_path, 0.3):
        assert post_events(ev).status_code == 200  # waited on busy_timeout, then stored
    services.worker.drain()
    assert inbox.counts(db) == {"done": 1} and len(emulator.sent) == 1


def test_the_worker_waits_out_a_locked_database_and_loses_nothing(sqlite_only, post_events, services, events, emulator, db):
    evs = [events.text("help") for _ in range(3)]
    post_events(*evs)
    with WriteLockHolder(services.settings.db_path, 0.3):
        services.worker.drain()
    services.worker.drain()
    assert inbox.counts(db) == {"done": 3}
    assert sorted(s["to"] for s in emulator.sent) == sorted(e["source"]["userId"] for e in evs)


# --- photo storage failing ----------------------------------------------------------------------

def break_photo_storage(data_dir, user_id):
    """The user's photo folder cannot be made: its parent is a file (as root, chmod would not
    stop writes; a file where a folder belongs fails like a read-only or full disk would)."""
    users_dir = files.user_dir(data_dir, user_id).parent
    users_dir.mkdir(parents=True, exist_ok=True)
    users_dir.rmdir()
    users_dir.write_bytes(b"")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_photo_storage_failing_still_answers_with_the_result_and_logs_the_error(chat, services, db, caplog, lang):
    user = chat(lang)
    user.follow()
    user.agree()
    break_photo_storage(services.settings.data_dir, user.user)
    caplog.set_level(logging.WARNING)
    (card,) = user.photo(photo("HI"))
    assert card["type"] == "flex"  # the urgent result still reaches the patient
    assert "uri" not in str(card)  # no link to a picture that was never kept
    assert any(r.levelno >= logging.ERROR and "not stored" in r.getMessage() for r in caplog.records)
    assert {"ja": "保存できませんでした", "en": "could not be saved"}[lang] in str(card)
    assert assessments.recent(db, user.user) == []  # no result row pointing at a missing photo
    assert inbox.counts(db).get("pending", 0) == 0


# --- models missing or corrupt --------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["missing manifest", "missing classifier", "corrupt classifier", "truncated segmenter"])
def test_healthz_says_what_is_wrong_with_the_models_and_photos_get_a_polite_answer(client, chat, services, damage):
    models = services.settings.models_dir
    target = {"missing manifest": "manifest.json", "missing classifier": "classifier.onnx",
              "corrupt classifier": "classifier.onnx", "truncated segmenter": "segmenter.onnx"}[damage]
    path = models / target
    if damage.startswith("missing"):
        path.unlink()
    elif damage.startswith("corrupt"):
        path.write_bytes(b"\x08\x07" + b"not an onnx model" * 100)
    else:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["models"] != "ok" and target.split(".")[0] in body["models"]
    user = chat("en")
    user.follow()
    (answer,) = user.photo(photo("AD"))
    assert "temporarily unavailable" in answer["text"]


def test_healthz_is_ok_with_intact_models(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["models"] == "ok"


@pytest.mark.parametrize("change", ["schema 99, no classifier", "schema 99", "no classifier", "wrong classes",
                                    "no familiarity block"])
def test_healthz_says_ok_only_for_models_the_pipeline_would_load(client, services, change):
    """Issue 12 item 15: one manifest reader (inference.manifest) for /healthz and the pipeline."""
    import json

    from inference import Pipeline
    from inference.errors import ModelManifestError

    path = services.settings.models_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    if "schema 99" in change:
        manifest["schema"] = 99
    if "no classifier" in change:
        del manifest["models"]["classifier"]
    if change == "wrong classes":
        manifest["models"]["classifier"]["classes"] = ["AD", "IM", "HI"]
    if change == "no familiarity block":
        manifest.pop("familiarity", None)
    path.write_text(json.dumps(manifest))
    with pytest.raises(ModelManifestError):
        Pipeline.from_dir(services.settings.models_dir)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["models"] != "ok"

"""An image set whose last parts never arrive is answered, after WAIT, with the parts that did.

Driven by the FakeClock and the worker's own drain (which runs the sweep); no sleeping."""

import pytest

from bot.features import photos
from bot.engine.line_api import retry_key
from storage import image_sets, inbox
from tests.support import webhooks
from tests.support.chat import photo
from tests.support.devmodels import build_dev_models

WAIT_S = photos.IMAGE_SET_WAIT.total_seconds()


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


@pytest.fixture
def user(chat):
    someone = chat("en")
    someone.follow()
    someone.agree()
    return someone


def send_parts(user, events, emulator, deliver, set_id, indexes, total):
    evs = []
    for index in indexes:
        message_id = webhooks.new_id()
        emulator.add_content(message_id, photo(("AD", "IM", "HI")[index % 3], seed=index))
        evs.append(events.image(message_id=message_id, image_set=(set_id, index, total), user=user.user))
    deliver(*evs)
    return evs


def test_an_incomplete_set_is_answered_with_its_parts_after_the_wait_once(user, events, emulator, deliver, services, db, clock):
    before = len(emulator.sent)
    send_parts(user, events, emulator, deliver, "set-a", [1, 3], total=4)
    clock.advance(WAIT_S - 10)
    send_parts(user, events, emulator, deliver, "set-a", [2], total=4)  # the wait restarts
    clock.advance(WAIT_S - 1)
    services.worker.drain()
    assert len(emulator.sent) == before  # still within the wait since the newest part
    clock.advance(2)
    services.worker.drain()
    (answer,) = emulator.sent[before:]
    (stale_id,) = [r["event_id"] for r in db.query("SELECT event_id FROM inbox WHERE event_id LIKE 'imageset-timeout:%'")]
    assert answer["kind"] == "push" and answer["retry_key"] == retry_key(stale_id, 0)
    assert answer["messages"][0]["type"] == "flex"  # the result card of the photos that came
    assert "3" in str(answer["messages"][0])  # it says how many photos it looked at
    assert len([c for c in emulator.calls if c.path.endswith("/content")]) == 3
    assert image_sets.parts(db, "set-a") == []
    clock.advance(WAIT_S * 3)
    services.worker.drain()
    assert len(emulator.sent) == before + 1  # answered once
    assert inbox.counts(db).get("pending", 0) == 0


def test_a_set_completed_in_time_is_not_answered_again(user, events, emulator, deliver, services, clock):
    before = len(emulator.sent)
    send_parts(user, events, emulator, deliver, "set-b", [1], total=2)
    clock.advance(WAIT_S - 1)
    send_parts(user, events, emulator, deliver, "set-b", [2], total=2)
    assert len(emulator.sent) == before + 1  # the complete set got its card
    clock.advance(WAIT_S * 2)
    services.worker.drain()
    assert len(emulator.sent) == before + 1


def test_the_sweep_survives_a_restart_and_stores_its_event_once(user, events, emulator, deliver, services, db, clock):
    send_parts(user, events, emulator, deliver, "set-c", [2], total=3)
    clock.advance(WAIT_S + 1)
    assert services.worker.sweep() == 1
    assert services.worker.sweep() == 0  # swept again before it was handled: same event id
    before = len(emulator.sent)
    services.worker.drain()  # e.g. after a restart: the stored event is handled once
    assert len(emulator.sent) == before + 1 and emulator.sent[-1]["to"] == user.user

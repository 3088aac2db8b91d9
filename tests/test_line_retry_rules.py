"""The LINE client's retry rules (bot/engine/line_api.py) at their edges, against the emulator
over real HTTP: the defaults, what a rejection carries, the retry key's exact value, 409 as
"already sent" only for a push with a key, every call bounded by its timeout."""
import time
import uuid

import pytest

from bot.engine.line_api import RETRY_KEY_NAMESPACE, LineClient, LineRejected, LineUnavailable, retry_key
from tests.support import TOKEN

TEXT = {"type": "text", "text": "hi"}


@pytest.fixture
def delays():
    return []


@pytest.fixture
def line(emulator, delays):
    client = LineClient(TOKEN, base_url=emulator.url, timeout_s=0.3, attempts=4, backoff_s=0.25, sleep=delays.append)
    yield client
    client.close()


def test_by_default_four_attempts_half_a_second_doubling_and_ten_seconds_a_call(emulator):
    waited = []
    client = LineClient(TOKEN, base_url=emulator.url, sleep=waited.append)
    try:
        assert client.timeout_s == 10.0
        emulator.fail_next(4, status=500)
        with pytest.raises(LineUnavailable) as failed:
            client.push("U1", TEXT)
        assert waited == [0.5, 1.0, 2.0]
        assert str(failed.value) == "LINE push failed after 4 attempts"
    finally:
        client.close()


def test_a_retry_key_is_the_uuid5_of_the_parts_joined_by_colons():
    assert retry_key("event-1", 0) == str(uuid.uuid5(RETRY_KEY_NAMESPACE, "event-1:0"))
    assert retry_key("ab", "c") != retry_key("a", "bc")


def test_a_rejection_carries_the_status_lines_body_and_whether_a_retry_preceded_it(line, emulator, delays):
    emulator.fail_next(1, status=400)
    with pytest.raises(LineRejected) as first:
        line.push("U1", TEXT)
    assert first.value.status == 400 and first.value.after_retry is False
    assert "injected fault" in str(first.value.body)
    assert str(first.value) == "LINE rejected the request: HTTP 400"
    emulator.fail_next(1, status=503)
    emulator.fail_next(1, status=400)
    with pytest.raises(LineRejected) as later:
        line.push("U1", TEXT)
    assert later.value.after_retry is True and delays == [0.25]  # LINE may have taken the first try
    assert LineRejected(400, "{}").after_retry is False


def test_only_a_409_on_a_push_with_a_key_counts_as_sent(line, emulator):
    key = retry_key("event-9", 0)
    line.push("U1", TEXT, retry_key=key)
    assert line.push("U1", TEXT, retry_key=key) == {"accepted": "earlier", "retryKey": key}
    emulator.fail_next(1, status=400)
    with pytest.raises(LineRejected):
        line.push("U1", TEXT, retry_key=retry_key("event-10", 0))  # a 400 with a key is still a 400
    emulator.fail_next(1, status=409)
    with pytest.raises(LineRejected) as conflict:
        line.push("U1", TEXT)  # no key: a 409 is not "already accepted"
    assert conflict.value.status == 409
    assert len(emulator.sent) == 1


def test_a_call_that_hangs_is_cut_by_the_timeout_and_tried_again(line, emulator, delays):
    emulator.hold_s = 5.0  # the emulator holds the call this long, unless the client leaves first
    emulator.fail_next(1, status="timeout")
    started = time.monotonic()
    line.push("U1", TEXT, retry_key=retry_key("event-11", 0))
    assert time.monotonic() - started < 3.0 and delays == [0.25]
    assert len(emulator.sent) == 1


def test_a_download_that_times_out_is_retried_by_our_loop_not_by_urllib3(line, emulator, delays):
    emulator.hold_s = 5.0
    emulator.add_content("m1", b"\xff\xd8jpeg")
    emulator.fail_next(1, status="timeout", path="/content")
    started = time.monotonic()
    assert line.content("m1") == b"\xff\xd8jpeg"
    assert delays == [0.25] and time.monotonic() - started < 3.0

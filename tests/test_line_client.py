"""LineClient: the real line-bot-sdk over real HTTP against the emulator, with faults."""

import time
import uuid

import pytest

from bot.engine.line_api import RETRY_KEY_NAMESPACE, LineClient, LineRejected, LineUnavailable, retry_key
from tests.support import TOKEN

TEXT = {"type": "text", "text": "こんにちは"}


@pytest.fixture
def delays():
    return []


@pytest.fixture
def line(emulator, delays):
    client = LineClient(TOKEN, base_url=emulator.url, timeout_s=0.3, attempts=4, backoff_s=0.25, sleep=delays.append)
    yield client
    client.close()


def test_reply_uses_the_token_once(line, emulator):
    token = emulator.issue_reply_token("U1")
    line.reply(token, [TEXT])
    with pytest.raises(LineRejected) as error:
        line.reply(token, [TEXT])
    assert error.value.status == 400
    assert [s["to"] for s in emulator.sent] == ["U1"]


def test_reply_token_expires_after_a_minute(line, emulator, clock):
    token = emulator.issue_reply_token("U1")
    clock.advance(61)
    with pytest.raises(LineRejected):
        line.reply(token, [TEXT])
    assert emulator.sent == []


def test_push_with_the_same_retry_key_is_delivered_once(line, emulator):
    key = retry_key("event-1", 0)
    first = line.push("U1", TEXT, retry_key=key)
    second = line.push("U1", TEXT, retry_key=key)  # LINE: 409, already accepted
    assert "sentMessages" in first and second["accepted"] == "earlier"
    assert len(emulator.sent) == 1 and emulator.sent[0]["retry_key"] == key


@pytest.mark.parametrize(
    "fault, expected_delays",
    [
        ({"status": 500}, [0.25]),
        ({"status": 503, "n": 2}, [0.25, 0.5]),
        ({"status": 429, "retry_after": 7}, [7.0]),
        ({"status": "reset"}, [0.25]),
        ({"status": "timeout"}, [0.25]),
    ],
)
def test_push_is_retried_through_transient_failures_without_duplicates(line, emulator, delays, fault, expected_delays):
    fault = dict(fault)  # the parameter itself stays as written (a second run in one process)
    emulator.fail_next(fault.pop("n", 1), **fault)
    line.push("U1", TEXT, retry_key=retry_key("event-2", 0))
    assert delays == expected_delays  # back-off doubles; Retry-After wins when given
    assert len(emulator.sent) == 1


def test_gives_up_after_every_attempt_failed(line, emulator, delays):
    emulator.fail_next(4, status=500)
    with pytest.raises(LineUnavailable):
        line.push("U1", TEXT, retry_key=retry_key("event-3", 0))
    assert len(delays) == 3 and emulator.sent == []


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_other_4xx_are_not_retried(line, emulator, delays, status):
    emulator.fail_next(1, status=status)
    with pytest.raises(LineRejected) as error:
        line.push("U1", TEXT)
    assert error.value.status == status and delays == []


def test_wrong_access_token_is_rejected(emulator):
    client = LineClient("wrong-token", base_url=emulator.url, timeout_s=0.3, sleep=lambda s: None)
    with pytest.raises(LineRejected) as error:
        client.push("U1", TEXT)
    assert error.value.status == 401


def test_content_comes_from_the_data_host_path(line, emulator):
    emulator.add_content("m1", b"\xff\xd8jpeg bytes")
    assert line.content("m1") == b"\xff\xd8jpeg bytes"


def test_loading_profile_and_rich_menu(line, emulator):
    line.loading("U1", 12)
    assert emulator.loading_calls == [{"chatId": "U1", "loadingSeconds": 10}]
    emulator.set_profile("U1", "Aki", "en")
    assert line.profile("U1")["language"] == "en"
    menu = {
        "size": {"width": 2500, "height": 843}, "selected": True, "name": "main", "chatBarText": "メニュー",
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                   "action": {"type": "postback", "data": "action=help"}}],
    }
    menu_id = line.create_rich_menu(menu)
    line.set_rich_menu_image(menu_id, b"\x89PNG fake", "image/png")
    line.set_default_rich_menu(menu_id)
    assert emulator.default_rich_menu == menu_id
    assert [m["richMenuId"] for m in line.rich_menus()] == [menu_id]
    line.delete_rich_menu(menu_id)
    assert line.rich_menus() == []


def test_flex_and_quick_reply_dicts_pass_through_unchanged(line, emulator):
    flex = {
        "type": "flex", "altText": "結果",
        "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical",
                                                  "contents": [{"type": "text", "text": "AD", "wrap": True}]}},
    }
    quick = {
        "type": "text", "text": "はい／いいえ",
        "quickReply": {"items": [{"type": "action", "action": {"type": "postback", "label": "はい", "data": "action=yes", "displayText": "はい"}}]},
    }
    line.push("U1", [flex, quick])
    sent = emulator.sent[0]["messages"]
    assert sent[0]["altText"] == "結果" and sent[0]["contents"]["body"]["contents"][0]["text"] == "AD"
    assert sent[1]["quickReply"]["items"][0]["action"]["data"] == "action=yes"


def test_a_card_line_would_refuse_is_a_rejection_sent_once_and_nothing_delivered(line, emulator, delays):
    """Replies and pushes post the JSON as is (no SDK model round trip on our side): a malformed
    card is LINE's 400, not retried, and nothing reaches the user."""
    bad = {"type": "flex", "altText": "a", "contents": {"type": "bubble", "body": {"type": "box", "layout": "diagonal", "contents": []}}}
    with pytest.raises(LineRejected) as caught:
        line.push("U1", [bad], retry_key=retry_key("e", 1))
    assert caught.value.status == 400 and "FlexBox" in str(caught.value.body)
    token = emulator.issue_reply_token("U1")
    with pytest.raises(LineRejected):
        line.reply(token, [bad])
    assert emulator.sent == [] and delays == []


def test_retry_keys_are_stable_uuids():
    assert retry_key("e", 1) == retry_key("e", 1) != retry_key("e", 2)
    assert len(retry_key("e", 1)) == 36



def test_a_reply_whose_answer_was_lost_is_not_sent_again(deliver, events, emulator):
    # LINE processes the reply but the connection drops before its answer; our retry finds
    # the token used. Pushing now would send it twice: the user must get it once.
    emulator.fail_next(1, status="lost", path="/reply")
    ev = events.text("help")
    deliver(ev)
    assert [s["kind"] for s in emulator.sent] == ["reply"]


def test_a_push_whose_answer_was_lost_is_not_sent_again(line, emulator):
    emulator.fail_next(1, status="lost", path="/push")
    line.push("U1", TEXT, retry_key=retry_key("event-lost", 0))  # retry gets 409: accepted
    assert len(emulator.sent) == 1


# --- the retry rules at their edges (issue 24: each found by a surviving mutant) ----------------

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


@pytest.mark.parametrize("what", ["reply", "content"])
def test_giving_up_names_the_call(line, emulator, what):
    """The name goes into the error, the log lines and the metrics' endpoint label."""
    emulator.fail_next(4, status=500)
    with pytest.raises(LineUnavailable) as failed:
        line.reply(emulator.issue_reply_token("U1"), [TEXT]) if what == "reply" else line.content("m1")
    assert str(failed.value) == f"LINE {what} failed after 4 attempts"

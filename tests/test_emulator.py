"""The LINE emulator refuses what LINE refuses (raw HTTP, so the SDK's own checks don't hide it)."""

import uuid

import pytest
import requests

from tests.support import TOKEN

TEXT = {"type": "text", "text": "hi"}


@pytest.fixture
def call(emulator):
    def post(path, body, token=TOKEN, **headers):
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(emulator.url + path, json=body, headers={**auth, **headers}, timeout=5)

    return post


def push(call, messages, **headers):
    return call("/v2/bot/message/push", {"to": "U1", "messages": messages}, **headers)


@pytest.mark.parametrize("token", [None, "wrong"])
def test_bearer_token_is_required(call, emulator, token):
    assert call("/v2/bot/message/push", {"to": "U1", "messages": [TEXT]}, token=token).status_code == 401
    assert emulator.sent == []


@pytest.mark.parametrize("count, status", [(0, 400), (1, 200), (5, 200), (6, 400)])
def test_one_to_five_messages(call, count, status):
    assert push(call, [TEXT] * count).status_code == status


@pytest.mark.parametrize(
    "message",
    [
        {"type": "text", "text": ""},
        {"type": "text", "text": "x" * 5001},
        {"type": "flex", "contents": {"type": "bubble"}},  # no altText
        {"type": "flex", "altText": "a", "contents": {"type": "box"}},
        {"type": "template", "template": {"type": "buttons"}},  # no altText
        {"type": "image", "originalContentUrl": "http://insecure/x.jpg", "previewImageUrl": "https://x/p.jpg"},
        {"type": "nonsense"},
        {"type": "text", "text": "q", "quickReply": {"items": [{"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}] * 14}},
        # The schema (the SDK's message models): the bot posts plain JSON, so LINE's checks are these.
        {"type": "flex", "altText": "a", "contents": {"type": "bubble", "body": {"type": "box", "layout": "sideways", "contents": []}}},
        {"type": "flex", "altText": "a", "contents": {"type": "nope"}},
        {"type": "text", "text": 5},
        {"type": "text", "text": "q", "quickReply": {"items": [{"type": "action", "action": {"type": "zzz", "label": "a"}}]}},
    ],
)
def test_malformed_messages_are_400(call, emulator, message):
    response = push(call, [message])
    assert response.status_code == 400 and "message" in response.json()
    assert emulator.sent == []


def test_thirteen_quick_reply_items_are_fine(call):
    item = {"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}
    assert push(call, [{"type": "text", "text": "q", "quickReply": {"items": [item] * 13}}]).status_code == 200


def test_retry_key_must_be_a_uuid_and_repeats_are_409(call, emulator):
    assert push(call, [TEXT], **{"X-Line-Retry-Key": "not-a-uuid"}).status_code == 400
    key = str(uuid.uuid4())
    assert push(call, [TEXT], **{"X-Line-Retry-Key": key}).status_code == 200
    again = push(call, [TEXT], **{"X-Line-Retry-Key": key})
    assert again.status_code == 409 and again.headers["x-line-accepted-request-id"]
    assert len(emulator.sent) == 1


def test_reply_tokens_must_be_issued_by_the_emulator(call, emulator):
    response = call("/v2/bot/message/reply", {"replyToken": "made-up", "messages": [TEXT]})
    assert response.status_code == 400 and emulator.sent == []


def test_content_served_only_when_given(emulator):
    emulator.add_content("42", b"png-bytes", "image/png")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ok = requests.get(emulator.url + "/v2/bot/message/42/content", headers=auth, timeout=5)
    assert ok.content == b"png-bytes" and ok.headers["Content-Type"] == "image/png"
    assert requests.get(emulator.url + "/v2/bot/message/43/content", headers=auth, timeout=5).status_code == 404


def test_fault_only_hits_the_matching_path(call, emulator):
    emulator.fail_next(1, status=500, path="/reply")
    assert push(call, [TEXT]).status_code == 200
    token = emulator.issue_reply_token("U1")
    assert call("/v2/bot/message/reply", {"replyToken": token, "messages": [TEXT]}).status_code == 500
    assert call("/v2/bot/message/reply", {"replyToken": token, "messages": [TEXT]}).status_code == 200


def test_429_carries_retry_after(call, emulator):
    emulator.fail_next(1, status=429, retry_after=3)
    response = push(call, [TEXT])
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"


def test_sent_json_lists_what_the_bot_sent(call, emulator):
    push(call, [TEXT])
    call("/v2/bot/message/push", {"to": "U2", "messages": [{"type": "text", "text": "other"}]})
    assert [s["messages"][0]["text"] for s in emulator.sent_json(to="U2")] == ["other"]
    assert [s["index"] for s in emulator.sent_json(since=1)] == [1]


def test_control_endpoints_for_the_simulator(emulator):
    token = requests.post(emulator.url + "/_emulator/reply-token", json={"to": "U9"}, timeout=5).json()["replyToken"]
    up = requests.post(emulator.url + "/_emulator/content/77", data=b"jpeg", headers={"Content-Type": "image/jpeg"}, timeout=5)
    assert up.status_code == 200 and emulator.contents["77"] == (b"jpeg", "image/jpeg")
    reply = {"replyToken": token, "messages": [TEXT]}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.post(emulator.url + "/v2/bot/message/reply", json=reply, headers=auth, timeout=5).status_code == 200
    sent = requests.get(emulator.url + "/_emulator/sent", params={"to": "U9"}, timeout=5).json()["sent"]
    assert [s["messages"] for s in sent] == [[TEXT]]

"""Property tests (hypothesis) on the two doors strangers' bytes come through: the webhook
parsing path and the image decoder. Example counts stay modest so the suite stays fast."""
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.engine.webhook import parse_events, well_formed
from inference.decode import decode
from inference.errors import InferenceError
from storage import inbox
from tests.support import SECRET, webhooks

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
# Events that look like LINE's, with any field replaced by anything.
line_keys = st.sampled_from(["type", "source", "message", "postback", "replyToken", "timestamp",
                             "webhookEventId", "mode", "deliveryContext", "text", "id", "userId", "data"])
event_like = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["message", "follow", "unfollow", "postback", "join", "beacon", "x"]) | json_values,
    "source": st.fixed_dictionaries({"type": st.just("user"), "userId": st.text(min_size=1, max_size=40)}) | json_values,
    "message": st.fixed_dictionaries({"id": st.text(max_size=10), "type": st.sampled_from(["text", "image", "sticker", "video"]),
                                      "text": st.text(max_size=50)}) | json_values,
    "postback": st.fixed_dictionaries({"data": st.text(max_size=40)}) | json_values,
    "timestamp": st.integers(0, 2**42) | json_values,
    "webhookEventId": st.text(max_size=30) | json_values,
    "replyToken": st.text(max_size=30) | json_values,
}) | st.dictionaries(line_keys, json_values, max_size=6)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_parse_to_a_list_of_events_without_raising(raw):
    events = parse_events(raw)
    assert isinstance(events, list) and all(isinstance(e, dict) for e in events)


@SETTINGS
@given(st.lists(event_like, max_size=5))
def test_only_well_formed_events_pass_and_every_one_can_be_stored(events):
    parsed = parse_events(json.dumps({"events": events}).encode())
    assert parsed == [e for e in events if isinstance(e, dict) and well_formed(e)]
    for event in parsed:
        assert isinstance(event["source"], dict) and isinstance(inbox.event_id(event), str)


@SETTINGS
@given(st.lists(event_like, min_size=1, max_size=3))
def test_a_signed_body_of_any_events_is_200_and_the_worker_never_gets_stuck(client, services, db, events):
    raw = json.dumps({"destination": webhooks.DESTINATION, "events": events}).encode()
    response = client.post("/callback", data=raw, headers={"X-Line-Signature": webhooks.sign(raw, SECRET)})
    assert response.status_code == 200
    for _ in range(services.settings.handle_attempts):  # handled, ignored, or given up
        services.worker.drain()
        services.clock.advance(3600)
    assert inbox.counts(db).get("pending", 0) == 0


@SETTINGS
@given(st.binary(max_size=2000))
def test_the_decoder_refuses_any_bytes_with_a_typed_error_or_decodes_them(data):
    try:
        decoded = decode(data)
    except InferenceError as error:
        assert error.code and error.to_dict()["error"] == error.code
    else:
        assert decoded.image.mode == "RGB"


def _seed_image(fmt) -> bytes:
    image = Image.new("RGB", (96, 80), (200, 120, 100))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


SEEDS = {fmt: _seed_image(fmt) for fmt in ("JPEG", "PNG", "GIF", "WEBP")}


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@SETTINGS
@given(data=st.data())
def test_a_damaged_real_image_is_decoded_or_refused_never_crashes(fmt, data):
    raw = bytearray(SEEDS[fmt])
    cut = data.draw(st.integers(0, len(raw)), label="truncate at")
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), max_size=8), label="bytes set")
    for index, value in flips:
        raw[index] = value
    damaged = bytes(raw[:cut]) if data.draw(st.booleans(), label="truncate") else bytes(raw)
    try:
        decoded = decode(damaged)
    except InferenceError as error:
        assert error.code
    else:
        assert decoded.image.mode == "RGB" and min(decoded.image.size) >= 1

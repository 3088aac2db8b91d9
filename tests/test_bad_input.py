"""Bad input through the whole bot: broken images, malformed webhooks, forged and replayed
signatures, tampered links, path traversal. Every case gets a clear answer (a kind message,
a 200 LINE will not redeliver, a 400 or a 404), never a traceback, and nothing is stored
that should not be.

The decoder's own table of broken files is tests/test_inference_decode.py (BROKEN); here the
same files arrive as LINE photos. Token unit cases are in tests/test_media.py and
tests/test_referral.py; here they are aimed at the routes together with traversal.
"""
import io
import json
import logging

import pytest
from PIL import Image

from bot import tokens
from bot.engine import media
from storage import assessments, inbox
from tests.support import SECRET, stored, webhooks
from tests.support.chat import photo
from tests.support.devmodels import build_dev_models
from tests.support.broken_files import BROKEN


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


def tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def stored_files(data_dir):
    """Users' files (not the database, nor the installation's user-key secret)."""
    from storage import files

    return [p for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith("adai.sqlite3")
            and p.name not in (files.USER_KEY_FILE, files.KEYED_MARK)]


# --- broken images as LINE photos -------------------------------------------------------------

def _save(image, fmt, **kw):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kw)
    return buffer.getvalue()


MORE_BROKEN = {
    "gif_sent_as_jpeg": lambda: _save(Image.new("P", (8, 8)), "GIF"),  # wrong type, too small
    "bmp_named_jpeg": lambda: _save(Image.new("RGB", (300, 300), (10, 10, 10)), "BMP"),
    "random_bytes": lambda: bytes(range(256)) * 40,
    "html_page": lambda: b"<html><script>alert(1)</script></html>" * 30,
    "thin_strip_1x30000": lambda: _save(Image.new("L", (30000, 1)), "PNG"),
    "zip_archive": lambda: b"PK\x03\x04" + bytes(2000),
}
CORPUS = {**{name: make for name, (make, _) in BROKEN.items() if name != "over_20mb"}, **MORE_BROKEN}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_broken_photo_gets_a_kind_answer_and_nothing_is_kept(chat, db, services, caplog, name):
    user = chat("en")
    user.follow()
    user.agree()
    caplog.set_level(logging.INFO)
    answers = user.photo(CORPUS[name]())
    assert len(answers) == 1 and answers[0]["type"] == "text"
    assert any(word in answers[0]["text"] for word in ("could not read", "closer", "brighter", "retake", "photo"))
    assert assessments.recent(db, user.user) == [] and stored_files(services.settings.data_dir) == []
    assert tracebacks(caplog) == [] and inbox.counts(db).get("pending", 0) == 0


def test_a_polyglot_photo_is_assessed_as_the_picture_it_starts_with(chat, client, services):
    """A JPEG with a ZIP and a script glued on: judged as the JPEG; the stored copy is served
    only as image/jpeg with nosniff, through a signed link, never as anything runnable."""
    user = chat("en")
    user.follow()
    user.agree()
    polyglot = photo("IM") + b"PK\x03\x04" + bytes(64) + b"<script>alert(1)</script>"
    (card,) = user.photo(polyglot)
    assert card["type"] == "flex"
    for path in stored_files(services.settings.data_dir):
        # the patient's bytes as JPEG only; beside them, our own PNG of the segmenter's mask and
        # our JSON the overlay is drawn from when opened (never served: /media has no such kind)
        assert path.suffix == ".jpg" or path.name.startswith("modelmask-") and path.suffix == ".png" \
            or path.name.startswith("overlay-") and path.suffix == ".json"
    overlay = [a["uri"] for a in _actions(card) if a["type"] == "uri"][0]
    response = client.get("/media/" + overlay.rsplit("/media/", 1)[1])
    assert response.mimetype == "image/jpeg" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"\xff\xd8") and b"<script>" not in response.data  # drawn by us


def _actions(card):
    from tests.support.chat import flex_actions
    return flex_actions(card)


# --- malformed webhooks --------------------------------------------------------------------------

def _signed_post(client, raw: bytes, secret=SECRET):
    return client.post("/callback", data=raw, headers={"X-Line-Signature": webhooks.sign(raw, secret),
                                                       "Content-Type": "application/json"})


def _events(*evs):
    return json.dumps({"destination": webhooks.DESTINATION, "events": list(evs)}).encode()


def _good(**changes):
    ev = webhooks.text("help")
    ev.update(changes)
    return ev


MALFORMED = {
    "non-utf8 bytes": lambda: b"\xff\xfe\xfa{\"events\": []}\x80",
    "json array": lambda: b"[1, 2, 3]",
    "events is a dict": lambda: json.dumps({"events": {"a": 1}}).encode(),
    "events are strings": lambda: _events("a", 1, None),
    "no type": lambda: _events({k: v for k, v in _good().items() if k != "type"}),
    "no source": lambda: _events({k: v for k, v in _good().items() if k != "source"}),
    "source is a string": lambda: _events(_good(source="Uabc")),
    "message is a list": lambda: _events(_good(message=[1])),
    "text is a number": lambda: _events(_good(message={"id": "1", "type": "text", "text": 42})),
    "image without id": lambda: _events(_good(message={"type": "image"})),
    "timestamp is text": lambda: _events(_good(timestamp="yesterday")),
    "postback data is null": lambda: _events(webhooks.postback(None)),
    "unknown event kind": lambda: _events(webhooks.event("teleport")),
    "unknown message kind": lambda: _events(_good(message={"id": "1", "type": "hologram"})),
    "giant text": lambda: _events(_good(message={"id": "1", "type": "text", "text": "a" * 500_000})),
    "giant user id": lambda: _events(webhooks.text("help", user="U" + "f" * 100_000)),
    "deep nesting": lambda: b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_signed_webhook_is_200_handled_quietly_and_never_stuck(client, services, db, emulator, caplog, name):
    caplog.set_level(logging.INFO)
    response = _signed_post(client, MALFORMED[name]())
    assert response.status_code == 200  # LINE must not redeliver garbage forever
    for _ in range(services.settings.handle_attempts):
        services.worker.drain()
        services.clock.advance(3600)
    assert inbox.counts(db).get("pending", 0) == 0  # handled, ignored or given up: not stuck
    assert tracebacks(caplog) == []
    assert all(len(m.get("text", "")) <= 5000 for s in emulator.sent for m in s["messages"])


def test_a_malformed_event_already_in_the_inbox_never_blocks_the_ones_behind_it(services, db, emulator, events, clock):
    """Stored by an older version, or by hand: the worker gives up on it, the queue moves on."""
    good = events.text("help")
    inbox.store(db, [{"webhookEventId": "bad-1", "type": "message", "source": "U1"}, good], clock.now())
    for _ in range(services.settings.handle_attempts):
        services.worker.drain()
        clock.advance(3600)
    assert inbox.get(db, "bad-1")["state"] == inbox.FAILED
    assert [s["to"] for s in emulator.sent] == [good["source"]["userId"]]


def test_a_thousand_events_in_one_body_are_each_stored_and_answered_once(client, services, db, emulator, events):
    evs = [events.text("help") for _ in range(1000)]
    raw = webhooks.body(*evs)
    assert len(raw) < services.settings.max_body_bytes
    assert _signed_post(client, raw).status_code == 200
    assert _signed_post(client, raw).status_code == 200  # LINE redelivers the whole body
    assert inbox.counts(db) == {"pending": 1000}
    services.worker.drain()
    assert inbox.counts(db) == {"done": 1000}
    assert sorted(s["to"] for s in emulator.sent) == sorted(e["source"]["userId"] for e in evs)


# --- signatures -------------------------------------------------------------------------------------

def _forgeries(raw: bytes):
    good = webhooks.sign(raw, SECRET)
    return {
        "missing": None,
        "empty": "",
        "other secret": webhooks.sign(raw, "not-the-secret"),
        "other body": webhooks.sign(raw + b" ", SECRET),
        "truncated": good[:-4],
        "hex not base64": __import__("hashlib").sha256(raw).hexdigest(),
        "lower-cased": good.lower() if good.lower() != good else good.upper(),
        "non-ascii": "署名" + good,
    }


@pytest.mark.parametrize("kind", list(_forgeries(b"x")))
def test_a_forged_signature_is_400_and_nothing_is_stored(client, db, services, kind):
    ev = webhooks.text("forged words", user="U" + "e" * 32)
    raw = webhooks.body(ev)
    signature = _forgeries(raw)[kind]
    headers = {} if signature is None else {"X-Line-Signature": signature}
    response = client.post("/callback", data=raw, headers=headers)
    assert response.status_code == 400
    assert inbox.counts(db) == {}
    on_disk = stored.everything(services.settings, db)
    assert b"e" * 32 not in on_disk and b"forged words" not in on_disk


def test_a_replayed_signed_body_is_answered_once(client, services, db, emulator, events):
    raw, headers = webhooks.signed(SECRET, events.text("help"), events.text("help"))
    for _ in range(5):  # an attacker (or LINE) posts the same signed body again and again
        assert client.post("/callback", data=raw, headers=headers).status_code == 200
    services.worker.drain()
    assert inbox.counts(db) == {"done": 2} and len(emulator.sent) == 2


# --- links: tampered, expired, other users', traversal -------------------------------------------------

ALICE, BOB = "U" + "a" * 32, "U" + "b" * 32


@pytest.fixture
def alice_chart(services, clock):
    media.store(services.settings, ALICE, "chart", "c1", _save(Image.new("RGB", (64, 64)), "PNG"))
    media.store(services.settings, BOB, "chart", "c1", _save(Image.new("RGB", (64, 64), (9, 9, 9)), "PNG"))
    return media.media_url(services.settings, ALICE, "chart", "c1", clock.now(), ttl=600).rsplit("/media/", 1)[1]


def _flip(token, i):
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def test_media_link_works_then_every_altered_expired_or_foreign_form_is_404(client, services, clock, alice_chart):
    assert client.get(f"/media/{alice_chart}").status_code == 200
    body, mac = alice_chart.split(".")
    payload = json.loads(tokens._unb64(body))
    bad = [
        _flip(alice_chart, 3), _flip(alice_chart, len(alice_chart) - 2), body, f"{body}.", f".{mac}",
        f"{body}.{mac}.{mac}",
        tokens.sign(media.key_for(services.settings), {**payload, "u": "../" * 3 + "adai"}),  # signed traversal
        tokens.sign(tokens.derive_key(services.settings.channel_secret, "referral"), payload),  # other purpose
        tokens.sign(b"guessed key", payload),
        tokens.sign(media.key_for(services.settings), {**payload, "k": "photo"}),  # no such file
    ]
    for token in bad:
        assert client.get(f"/media/{token}").status_code == 404, token
    clock.advance(601)
    assert client.get(f"/media/{alice_chart}").status_code == 404  # expired


@pytest.mark.parametrize("path", [
    "/media/..%2F..%2Fadai.sqlite3", "/media/../var/adai.sqlite3", "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media/....//....//adai.sqlite3", "/media/%00", "/media/" + "A" * 5000,
    "/referral/..%2F..%2Fadai.sqlite3", "/referral/x/photo/..%2F..%2Fadai.sqlite3.jpg",
    "/referral/x/photo/....jpg", "/referral/x/chart.png", "/referral/x/font.ttf",
    "/static/../adai.sqlite3", "/healthz/../var/adai.sqlite3", "//etc/passwd",
])
def test_path_traversal_attempts_are_404_and_leak_nothing(client, alice_chart, path):
    response = client.get(path)
    assert response.status_code in (404, 405)
    assert b"SQLite format" not in response.data and b"root:" not in response.data


# Issue 12 item 4: each refusal says what is wrong with the image and what to do.
REFUSAL_WORDS = {
    ("unsupported_image", "ja"): "JPEGかPNG", ("unsupported_image", "en"): "JPEG or PNG",
    ("image_too_small", "ja"): "小さすぎ", ("image_too_small", "en"): "too small",
    ("image_too_large", "ja"): "大きすぎ", ("image_too_large", "en"): "smaller copy",
    ("corrupt_image", "ja"): "壊れて", ("corrupt_image", "en"): "damaged",
}
REFUSAL_SAMPLES = {
    "unsupported_image": "pdf_header", "image_too_small": "side_63px",
    "image_too_large": "jpeg_bomb_60mp", "corrupt_image": "truncated_jpeg",
}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("code", sorted(REFUSAL_SAMPLES))
def test_each_refusal_gets_its_own_text(chat, lang, code):
    user = chat(lang)
    user.follow()
    user.agree()
    (answer,) = user.photo(BROKEN[REFUSAL_SAMPLES[code]][0]())
    assert REFUSAL_WORDS[code, lang] in answer["text"]
    others = [REFUSAL_WORDS[c, lang] for c in REFUSAL_SAMPLES if c != code]
    assert not any(word in answer["text"] for word in others), answer["text"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_40px_png_is_too_small_not_unreadable(chat, lang):
    user = chat(lang)
    user.follow()
    user.agree()
    (answer,) = user.photo(_save(Image.new("RGB", (40, 40), (200, 60, 60)), "PNG"))
    assert REFUSAL_WORDS["image_too_small", lang] in answer["text"]


# Issue 12 item 5: health pictures are never kept by the browser; a dead link is a short page
# in the reader's language, not Flask's English "Not Found".
GONE = {"ja": "このリンクは使えなくなりました", "en": "This link no longer works"}


def test_media_pictures_are_no_store(client, alice_chart):
    response = client.get(f"/media/{alice_chart}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"] and "max-age" not in response.headers["Cache-Control"]


@pytest.mark.parametrize("lang, accept", [("ja", "ja-JP,ja;q=0.9"), ("en", "en-US,en;q=0.8"), ("ja", None)])
def test_an_expired_media_link_is_a_short_page_in_the_readers_language(client, clock, alice_chart, lang, accept):
    clock.advance(601)
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(f"/media/{alice_chart}", headers=headers)
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert GONE[lang] in html and "Not Found" not in html and f'lang="{lang}"' in html
    assert "no-store" in response.headers["Cache-Control"]

"""bot/tokens.py on its own: LINE's webhook signature, keys per purpose, and our signed,
expiring tokens (media and referral links), every way a token can be wrong, and the expiry
at its edge. The pages that use them are tested in test_media, test_referral and test_webhook."""
import base64
import hashlib
import hmac
import json

import pytest

from bot import tokens
from bot.tokens import BadToken, ExpiredToken

SECRET = "channel-secret"
KEY = tokens.derive_key(SECRET, "media")
NOW = 1_800_000_000.0
PAYLOAD = {"u": "ab12", "k": "overlay", "r": "x~y/z?", "e": NOW + 60}


def reason(token, key=KEY, now=NOW) -> BadToken:
    with pytest.raises(BadToken) as failed:
        tokens.verify(key, token, now=now)
    return failed.value


# --- X-Line-Signature ------------------------------------------------------------------------

def test_the_webhook_signature_is_base64_of_hmac_sha256_of_the_raw_body():
    body = '{"events":[{"type":"message","text":"こんにちは"}]}'.encode()
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert tokens.signature(body, SECRET) == expected
    assert tokens.signature_ok(body, SECRET, expected) is True


@pytest.mark.parametrize("given", [None, "", "x", "é" * 44])
def test_a_missing_or_wrong_webhook_signature_is_refused(given):
    assert tokens.signature_ok(b"{}", SECRET, given) is False


def test_a_signature_of_another_body_or_secret_is_refused():
    body = b'{"events":[]}'
    assert not tokens.signature_ok(body, SECRET, tokens.signature(body + b" ", SECRET))
    assert not tokens.signature_ok(body, SECRET, tokens.signature(body, SECRET + "x"))
    assert not tokens.signature_ok(body, SECRET, tokens.signature(body, SECRET)[:-2])


# --- keys ------------------------------------------------------------------------------------

def test_one_key_per_purpose_from_the_secret():
    assert KEY == hmac.new(SECRET.encode(), b"media", hashlib.sha256).digest()
    assert tokens.derive_key(SECRET.encode(), "media") == KEY  # bytes or text, the same key
    assert tokens.derive_key(SECRET, "referral") != KEY
    assert tokens.derive_key(SECRET + "2", "media") != KEY


# --- our tokens ------------------------------------------------------------------------------

def test_a_token_is_base64url_json_dot_base64url_mac_without_padding():
    token = tokens.sign(KEY, PAYLOAD)
    body, mac = token.split(".")
    assert "=" not in token and "+" not in token and "/" not in token
    assert json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) == PAYLOAD
    assert mac == base64.urlsafe_b64encode(hmac.new(KEY, body.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    assert tokens.sign(KEY, dict(reversed(PAYLOAD.items()))) == token  # keys sorted: one token per payload


def test_a_token_verifies_until_it_expires():
    token = tokens.sign(KEY, PAYLOAD)
    assert tokens.verify(KEY, token, now=NOW) == PAYLOAD
    assert tokens.verify(KEY, token, now=PAYLOAD["e"] - 0.001) == PAYLOAD
    expired = reason(token, now=PAYLOAD["e"])  # at the expiry it is over
    assert isinstance(expired, ExpiredToken) and str(expired) == "expired"


def test_without_a_time_the_clock_decides():
    assert tokens.verify(KEY, tokens.sign(KEY, {**PAYLOAD, "e": 4_000_000_000})) is not None
    assert isinstance(reason(tokens.sign(KEY, {**PAYLOAD, "e": 1_000}), now=None), ExpiredToken)


def flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


def test_a_changed_body_or_mac_or_another_key_is_a_bad_signature():
    token = tokens.sign(KEY, PAYLOAD)
    body, mac = token.split(".")
    other = tokens.sign(KEY, {**PAYLOAD, "u": "cd34"})
    for wrong in (f"{flip(body, 3)}.{mac}", f"{body}.{flip(mac, 5)}", f"{other.split('.')[0]}.{mac}",
                  f"{body}.{mac[:-1]}", f"{body}.{mac}A"):
        failed = reason(wrong)
        assert str(failed) == "signature" and not isinstance(failed, ExpiredToken)
    assert str(reason(token, key=tokens.derive_key(SECRET, "referral"))) == "signature"


def signed_body(key, raw: bytes) -> str:
    body = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return f"{body}.{tokens._b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", ".", "é.x", "ab.cd.ef"])
def test_a_malformed_token_is_a_bad_token(token):
    assert isinstance(reason(token), BadToken)


@pytest.mark.parametrize("raw", [b"not json", b'{"u": "x"}', b'{"e": "soon"}', b"[1, 2]", b'{"e": null}'])
def test_a_well_signed_token_without_a_readable_expiry_is_malformed(raw):
    failed = reason(signed_body(KEY, raw))
    assert str(failed) == "malformed" and not isinstance(failed, ExpiredToken)


def test_the_expiry_is_read_from_the_signed_payload():
    assert tokens.verify(KEY, signed_body(KEY, b'{"e": "1800000060"}'), now=NOW) == {"e": "1800000060"}


def test_every_token_part_is_exactly_its_unpadded_base64url():
    """Over many payloads (parts needing none, one or two "="): each is cut at the padding
    only, and the body is compact JSON (tokens travel in URLs)."""
    for i in range(300):
        payload = {"i": i, "e": NOW + 60}
        body, mac = tokens.sign(KEY, payload).split(".")
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        assert body == base64.urlsafe_b64encode(raw).decode().rstrip("=")
        assert mac == base64.urlsafe_b64encode(hmac.new(KEY, body.encode(), hashlib.sha256).digest()).decode().rstrip("=")
        assert tokens.verify(KEY, f"{body}.{mac}", now=NOW) == payload

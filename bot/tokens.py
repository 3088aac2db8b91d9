"""Signing: LINE's webhook signature, and our own signed, expiring tokens (media, referral links).

A token is `base64url(json payload) . base64url(HMAC-SHA256(payload))`, signed with a key
derived from the channel secret for one purpose, so that a media token is never a referral
token. Any failure (malformed, altered, another key, expired) is a BadToken.
"""

import base64
import hashlib
import hmac
import json
import time


class BadToken(ValueError):
    """A token that is malformed, altered, signed with another key, or for an unknown kind."""


class ExpiredToken(BadToken):
    """A well-signed token past its expiry."""


# --- LINE's X-Line-Signature ---------------------------------------------------------------

def signature(body: bytes, secret: str) -> str:
    """base64(HMAC-SHA256(channel secret, raw body)), as LINE signs every webhook."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_ok(body: bytes, secret: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(body, secret).encode(), given.encode())


# --- our tokens ----------------------------------------------------------------------------

def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret, purpose):
    """One key per purpose from the app's secret, so a media token is never a referral token."""
    return hmac.new(secret.encode() if isinstance(secret, str) else secret,
                    purpose.encode(), hashlib.sha256).digest()


def sign(key, payload):
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
    return f"{body}.{mac}"


def verify(key, token, now=None):
    """The payload of a token signed with key and not yet expired; BadToken otherwise."""
    try:
        body, mac = token.split(".")
        expected = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(mac, expected):
            raise BadToken("signature")
        payload = json.loads(_unb64(body))
        expires = float(payload["e"])
    except BadToken:
        raise
    except (ValueError, KeyError, TypeError, UnicodeError) as error:
        raise BadToken("malformed") from error
    if (time.time() if now is None else now) >= expires:
        raise ExpiredToken("expired")
    return payload

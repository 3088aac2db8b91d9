"""Logging without personal data: user ids appear only as a short keyed hash."""

import hashlib
import hmac
import logging


def user_ref(key: bytes, user_id: str | None) -> str:
    if not user_id:
        return "-"
    return "u:" + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:10]


def log_key(channel_secret: str) -> bytes:
    return hashlib.sha256(b"adai-log-key:" + channel_secret.encode()).digest()


def setup(level=logging.INFO):
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

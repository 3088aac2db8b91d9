"""Logging without personal data: user ids appear only as a short keyed hash.

`setup("json")` (ADAI_LOG_FORMAT=json) prints one JSON object per line: time, level, logger,
message, and the fields a line carries through `extra=fields(...)`: event id, user key (the
keyed hash, never the LINE id), stage and duration."""

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timezone

# What `fields` adds to a record and the JSON formatter prints when present.
FIELDS = ("event_id", "user", "stage", "duration_ms")


def user_ref(key: bytes, user_id: str | None) -> str:
    if not user_id:
        return "-"
    return "u:" + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:10]


def log_key(channel_secret: str) -> bytes:
    return hashlib.sha256(b"adai-log-key:" + channel_secret.encode()).digest()


def fields(event_id: str | None, user: str | None, stage: str, began: float | None = None, **more) -> dict:
    """`extra=` for a log call: `user` is a user_ref (u:…), never a LINE id; `began`: a
    time.perf_counter() reading, made into duration_ms."""
    values = {"event_id": event_id, "user": user, "stage": stage, **more}
    if began is not None:
        values["duration_ms"] = round((time.perf_counter() - began) * 1000, 1)
    return values


class JsonFormatter(logging.Formatter):
    def format(self, record) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in FIELDS + ("stages_ms",):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup(level=logging.INFO, format: str | None = "text"):
    if format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
        return
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

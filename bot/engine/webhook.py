"""POST /callback: verify the signature on the raw body, store the events, answer 200.

Nothing is parsed or stored before the signature checks out. The 200 waits only for the
SQLite commit that stores the events (shared with concurrent webhooks: engine/inbox_writer.py),
never for LINE or inference; the worker does the rest."""

import json
import logging
import time

from flask import Blueprint, abort, current_app, request
from werkzeug.exceptions import HTTPException

from bot.engine.inbox_writer import InboxUnavailable
from bot.tokens import signature_ok

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


def read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        abort(413)
    return body


@bp.post("/callback")
def callback():
    services = current_app.extensions["adai"]
    began, status = time.perf_counter(), 200
    try:
        return acknowledge(services)
    except HTTPException as error:
        status = error.code
        raise
    finally:
        services.metrics.webhooks.labels(str(status)).inc()
        if status == 200:
            services.metrics.ack_seconds.observe(time.perf_counter() - began)


def acknowledge(services):
    body = read_body(services.settings.max_body_bytes)
    if not signature_ok(body, services.settings.channel_secret, request.headers.get("X-Line-Signature")):
        log.warning("webhook with a missing or wrong signature refused")
        abort(400)
    events = parse_events(body)
    if events:
        try:
            new = services.inbox_writer.store(events, services.clock.now())  # group commit
        except InboxUnavailable as error:
            services.metrics.database_down("webhook")
            log.error("webhook not stored (%s); answering 503 so LINE may redeliver", error)
            abort(503)
        if new:
            services.worker.wake()
    return "OK"


def parse_events(body: bytes) -> list[dict]:
    """The events of a signed body; malformed input is logged and yields none (LINE must
    get its 200, or it would redeliver the same garbage)."""
    try:
        payload = json.loads(body)
        events = payload["events"]
    except (ValueError, KeyError, TypeError, RecursionError):
        log.warning("signed webhook body is not LINE JSON; ignored")
        return []
    if not isinstance(events, list):
        log.warning("webhook 'events' is not a list; ignored")
        return []
    kept = [e for e in events if isinstance(e, dict) and well_formed(e)]
    if len(kept) < len(events):
        log.warning("%d malformed webhook event(s) ignored", len(events) - len(kept))
    return kept


def _optional(value, kind) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def well_formed(event: dict) -> bool:
    """The fields our handlers rely on have LINE's documented types. Anything else is dropped
    here with one log line, instead of failing in a handler (and being retried) later."""
    source, message, postback = event.get("source"), event.get("message"), event.get("postback")
    return (
        isinstance(event.get("type"), str)
        and isinstance(source, dict)
        and all(_optional(source.get(k), str) for k in ("type", "userId", "groupId", "roomId"))
        and any(isinstance(source.get(k), str) for k in ("userId", "groupId", "roomId"))
        and all(_optional(event.get(k), str) for k in ("replyToken", "webhookEventId", "mode"))
        and _optional(event.get("timestamp"), (int, float))
        and (message is None or (isinstance(message, dict) and isinstance(message.get("id"), str)
                                 and isinstance(message.get("type"), str)
                                 and _optional(message.get("text"), str)))
        and (postback is None or (isinstance(postback, dict) and isinstance(postback.get("data"), str)))
    )

"""Image sets whose last parts never arrive are answered with the parts that did.

LINE sends each photo of a multi-photo message as its own event, and the photo seam waits
for the last one (bot.handlers.on_image). When no part of a set has arrived for WAIT (on the
services' clock), the worker's sweep stores an internal `imageSetTimeout` event for it in
the inbox. That event then goes the way of every event: through its user's lane, after the
user's earlier events, once (keyed by the set and its newest part), also across a crash. It
answers, by push (it has no reply token), with the photos that arrived. A part that comes
even later starts a set of its own and is answered on its own.
"""

from datetime import timedelta

from bot import handlers, worker
from storage import image_sets, inbox

WAIT = timedelta(seconds=60)
EVENT_TYPE = "imageSetTimeout"


def sweep(services, db, now) -> int:
    """Store a timeout event for every set that has waited WAIT since its newest part."""
    events = [timeout_event(stale, now) for stale in image_sets.stale(db, now - WAIT)]
    return inbox.store(db, events, now) if events else 0


def timeout_event(stale: dict, now) -> dict:
    return {
        "type": EVENT_TYPE,
        "mode": "active",
        "timestamp": int(now.timestamp() * 1000),
        "source": {"type": "user", "userId": stale["user_id"]},
        "webhookEventId": f"imageset-timeout:{stale['set_id']}:{stale['last_part_at']}",
        "imageSet": {"id": stale["set_id"], "total": stale["total"]},
    }


def on_image_set_timeout(ctx):
    image_set = ctx.event.get("imageSet") or {}
    message_ids = image_sets.parts(ctx.db, image_set.get("id"))
    if message_ids:  # none: the set was completed and answered meanwhile
        handlers.answer_photos(ctx, message_ids, image_set)


def register():
    handlers.EVENT_HANDLERS[EVENT_TYPE] = on_image_set_timeout
    if sweep not in worker.SWEEPS:
        worker.SWEEPS.append(sweep)

"""The reminder dispatcher (the feature's tick) and what a reminder says.

`send_due(db, line, now)` sends every reminder due at that time, once: safe from several processes
at once and again after a crash (a claim by compare-and-set, then a push with a retry key derived
from the reminder and its due time).
"""

import datetime as dt
import logging

from bot.domain.redflags import RESUME
from bot.domain.schedule import parse_instant, quiet_now
from bot.domain.triage import QUESTIONS
from bot.engine.line_api import LineRejected, LineUnavailable
from bot.engine.line_api import retry_key as line_retry_key
from bot.features.reminders.plans import next_due_after, sync
from bot.texts import t
from bot.views.cards import postback, text_message
from storage import assessments
from storage import reminders as store
from storage import users
from storage.db import now_iso

log = logging.getLogger(__name__)

GRACE = dt.timedelta(hours=12)
# A pending send younger than this belongs to a dispatcher that may still be pushing it.
PENDING_RETRY_AFTER = dt.timedelta(minutes=2)


def retry_key(reminder_id, due_at):
    """A pure function of (reminder, due time): every dispatcher, retry and restart derives the
    same X-Line-Retry-Key, so LINE itself refuses a second delivery."""
    return line_retry_key("reminder", reminder_id, due_at if isinstance(due_at, str) else now_iso(due_at))


def send_due(db, line, now, grace=GRACE):
    """Send every reminder due at `now`, once. Safe to run from several processes at once and
    again after a crash: a reminder is claimed (compare-and-set on next_due_at) before its push,
    and the push carries a retry key derived from (reminder id, due time). Returns counts."""
    counts = {"sent": 0, "skipped": 0, "held": 0, "lost_race": 0, "failed": 0, "retried": 0}
    sync(db, now)
    for reminder in store.due(db, now):
        counts[_dispatch(db, line, reminder, now, grace)] += 1
    for pending in store.stale_pending(db, now - PENDING_RETRY_AFTER):
        outcome = _retry(db, line, pending, now, grace)
        counts["retried" if outcome == "sent" else outcome] += 1
    return counts


def _dispatch(db, line, reminder, now, grace):
    due = parse_instant(reminder["next_due_at"])
    following = next_due_after(reminder, max(due, now))
    reason = _skip_reason(db, reminder, due, now, grace)
    if reason is None and quiet_now(now, reminder["tz"], reminder["quiet_ok"]):
        return "held"  # stays due; sent at 08:00 if still within the grace period
    if reason is not None:
        won = store.claim(db, reminder, following, now, store.SKIPPED, reason)
        return "skipped" if won else "lost_race"
    if not store.claim(db, reminder, following, now):
        return "lost_race"
    return _push(db, line, reminder, reminder["next_due_at"], now)


def _skip_reason(db, reminder, due, now, grace):
    user = users.get(db, reminder["user_id"])
    if user is None or not user["active"]:
        return "unreachable"  # unfollowed or blocked (LINE sends unfollow for both)
    if now - due > grace:
        return "missed"
    if reminder["kind"] == store.QUESTIONS and _answered(db, reminder):
        return "answered"
    return None


def _answered(db, reminder) -> bool:
    """A questions reminder whose result has its answers now (or is gone) says nothing."""
    row = assessments.get(db, reminder["user_id"], _result_id(reminder))
    return row is None or row["flags"] is not None or row["level"] != QUESTIONS


def _result_id(reminder) -> int:
    return int(str(reminder.get("source") or "0:").split(":")[0] or 0)


def _retry(db, line, pending, now, grace):
    if now - parse_instant(pending["due_at"]) > grace:
        store.finish_send(db, pending["reminder_id"], pending["due_at"], store.FAILED, now, "missed")
        return "failed"
    reminder = {"id": pending["reminder_id"], "user_id": pending["user_id"], "kind": pending["kind"],
                "source": (store.get(db, pending["user_id"], pending["kind"]) or {}).get("source")}
    user = users.get(db, reminder["user_id"])
    if user is None or not user["active"]:
        store.finish_send(db, pending["reminder_id"], pending["due_at"], store.SKIPPED, now,
                          "unreachable")
        return "skipped"
    return _push(db, line, reminder, pending["due_at"], now)


def _push(db, line, reminder, due_at, now):
    lang = users.lang(db, reminder["user_id"])
    try:
        line.push(reminder["user_id"], MESSAGES[reminder["kind"]](lang, reminder),
                  retry_key=retry_key(reminder["id"], due_at))
    except LineUnavailable:
        log.warning("reminder %s: LINE unavailable; stays pending", reminder["id"])
        return "failed"
    except LineRejected as error:
        log.warning("reminder %s: rejected with HTTP %s", reminder["id"], error.status)
        store.finish_send(db, reminder["id"], due_at, store.FAILED, now, f"http {error.status}")
        return "failed"
    store.finish_send(db, reminder["id"], due_at, store.SENT, now)
    return "sent"


# --- what a reminder says ----------------------------------------------------------------------

def checkin_message(lang, reminder=None):
    start, later, settings = (t(key, lang) for key in ("checkin.start", "checkin.later", "checkin.settings"))
    return [text_message(t("checkin.due", lang), [
        postback(start, "action=checkin", start),
        postback(later, "action=checkin_later", later),
        postback(settings, "action=checkin_settings", settings),
    ])]


def followup_message(lang, reminder=None):
    seen, not_yet = t("followup.seen", lang), t("followup.not_yet", lang)
    return [text_message(t("followup.due", lang), [
        postback(seen, "action=followup&answer=seen", seen),
        postback(not_yet, "action=followup&answer=not_yet", not_yet),
        {"type": "camera", "label": t("followup.photo", lang)},
    ])]


def questions_message(lang, reminder):
    """Gentle: the questions of yesterday's photo wait; one tap starts them again."""
    answer = t("questions.answer_now", lang)
    return [text_message(t("questions.due", lang), [
        postback(answer, f"action={RESUME}&a={_result_id(reminder)}", answer),
    ])]


MESSAGES = {store.CHECKIN: checkin_message, store.FOLLOWUP: followup_message,
            store.QUESTIONS: questions_message}


def tick(services):
    """The router's tick (engine/scheduler.py, every minute, one process)."""
    counts = send_due(services.db(), services.line, services.clock.now())
    if counts["sent"] or counts["retried"] or counts["failed"]:
        log.info("reminders: %s", counts)
    return counts

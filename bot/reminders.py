"""Reminders: when they fall due (pure time arithmetic) and the dispatcher that sends them.

Every instant stored or passed around is an aware UTC datetime; local wall-clock time only exists
inside the functions that need it (weekly day/time, quiet hours, the ISO week of a check-in).
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from bot.cards import postback, text_message
from bot.line_api import LineRejected, LineUnavailable, retry_key as line_retry_key
from bot.texts import t
from storage import reminders as store
from storage import users
from storage.db import now_iso

log = logging.getLogger(__name__)

UTC = dt.timezone.utc
DEFAULT_TZ = "Asia/Tokyo"
DEFAULT_WEEKDAY = 6  # Sunday (Monday is 0)
DEFAULT_TIME = "19:00"
QUIET_START = dt.time(22, 0)
QUIET_END = dt.time(8, 0)
GRACE = dt.timedelta(hours=12)
FOLLOWUP_DELAY = dt.timedelta(hours=48)
PAUSE = dt.timedelta(weeks=4)
# A pending send younger than this belongs to a dispatcher that may still be pushing it.
PENDING_RETRY_AFTER = dt.timedelta(minutes=2)


class UnknownTimeZone(ValueError):
    """A time zone name that zoneinfo does not know."""


def zone(name):
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (KeyError, ValueError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise UnknownTimeZone(name) from error


def parse_hhmm(text):
    hour, minute = (int(part) for part in text.split(":"))
    return dt.time(hour, minute)


def in_quiet_hours(local_time):
    return local_time >= QUIET_START or local_time < QUIET_END


def out_of_quiet_hours(local):
    """The same local datetime, or the next 08:00 when it falls between 22:00 and 08:00."""
    if not in_quiet_hours(local.time()):
        return local
    day = local.date() + dt.timedelta(days=1) if local.time() >= QUIET_START else local.date()
    return dt.datetime.combine(day, QUIET_END, tzinfo=local.tzinfo)


def to_utc(local):
    return local.astimezone(UTC)


def next_weekly(after, tz_name, weekday, hhmm):
    """First instant strictly after `after` that is `weekday` at `hhmm` on the wall clock of tz."""
    tz = zone(tz_name)
    local_after = after.astimezone(tz)
    at = parse_hhmm(hhmm)
    for days_ahead in range(0, 8):
        day = local_after.date() + dt.timedelta(days=days_ahead)
        if day.weekday() != weekday:
            continue
        candidate = to_utc(dt.datetime.combine(day, at, tzinfo=tz))
        if candidate > after:
            return candidate
    raise AssertionError("a weekday recurs within 8 days")


def followup_due(result_at, tz_name):
    """48 h after a 'see a doctor soon' result, moved out of quiet hours."""
    local = (result_at + FOLLOWUP_DELAY).astimezone(zone(tz_name))
    return to_utc(out_of_quiet_hours(local))


def quiet_now(now, tz_name, quiet_ok):
    """True when a reminder must wait: local night, and the user did not choose a night time."""
    return not quiet_ok and in_quiet_hours(now.astimezone(zone(tz_name)).time())


def week_of(instant, tz_name):
    """ISO year and week ('2026-W48') of an instant on the user's wall clock."""
    year, week, _ = instant.astimezone(zone(tz_name)).isocalendar()
    return f"{year}-W{week:02d}"


def retry_key(reminder_id, due_at):
    """A pure function of (reminder, due time): every dispatcher, retry and restart derives the
    same X-Line-Retry-Key, so LINE itself refuses a second delivery."""
    return line_retry_key("reminder", reminder_id, due_at if isinstance(due_at, str) else now_iso(due_at))


def parse_instant(text):
    instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text!r}")
    return instant.astimezone(UTC)


# --- the user's schedule ---------------------------------------------------------------------

def enable_checkin(db, user_id, now, tz_name=DEFAULT_TZ):
    """After consent: a weekly check-in on the default day and time, unless one exists already.
    The first one is at least a day away, so it never follows the consent message at once."""
    existing = store.get(db, user_id, store.CHECKIN)
    if existing:
        return existing
    first = next_weekly(now + dt.timedelta(days=1), tz_name, DEFAULT_WEEKDAY, DEFAULT_TIME)
    return store.upsert(db, user_id, store.CHECKIN, now, state=store.ACTIVE, tz=tz_name,
                        weekday=DEFAULT_WEEKDAY, local_time=DEFAULT_TIME, quiet_ok=0,
                        next_due_at=first, paused_until=None)


def after_result(db, user_id, level, result_at, now, source=None):
    """A 'soon' result gets a follow-up in 48 h; 'urgent' cancels any pending one (that message
    already says go today); routine changes nothing. A stopped user gets none."""
    checkin = store.get(db, user_id, store.CHECKIN)
    if level == "soon" and not (checkin and checkin["state"] == store.STOPPED):
        tz_name = user_tz(db, user_id)
        return store.upsert(db, user_id, store.FOLLOWUP, now, state=store.ACTIVE, tz=tz_name,
                            quiet_ok=0, next_due_at=followup_due(result_at, tz_name), source=source)
    if level == "urgent" and store.get(db, user_id, store.FOLLOWUP):
        store.set_state(db, user_id, store.FOLLOWUP, store.DONE, now)
    return store.get(db, user_id, store.FOLLOWUP)


def sync(db, now):
    """Reminders follow from stored facts, read at every tick: consent given → weekly check-in
    on; the latest result of the last 48 h is 'soon' → a follow-up, 'urgent' → none. Reading
    facts (instead of being called from the consent and photo code) keeps the features apart
    and loses nothing across crashes."""
    if not db["consents"].exists() or not db["assessments"].exists():
        return
    for (user_id,) in db.execute(store.CONSENTED_WITHOUT_CHECKIN).fetchall():
        enable_checkin(db, user_id, now)
    since = now_iso(now - FOLLOWUP_DELAY)
    for user_id, assessment_id, level, created_at in db.execute(store.LATEST_RESULTS, [since]).fetchall():
        source = f"{assessment_id}:{level}"
        followup = store.get(db, user_id, store.FOLLOWUP)
        if (followup or {}).get("source") == source or level not in ("soon", "urgent"):
            continue
        after_result(db, user_id, level, parse_instant(created_at), now, source=source)


def set_day(db, user_id, weekday, now):
    return _reschedule(db, user_id, now, weekday=int(weekday) % 7)


def set_time(db, user_id, hhmm, now):
    """A time inside 22:00–08:00 chosen by the user is honoured (quiet_ok)."""
    at = parse_hhmm(hhmm)
    return _reschedule(db, user_id, now, local_time=at.strftime("%H:%M"),
                       quiet_ok=int(in_quiet_hours(at)))


def pause(db, user_id, now, length=PAUSE):
    return _reschedule(db, user_id, now, after=now + length, paused_until=now + length)


def stop(db, user_id, now):
    """Stops every reminder of the user until resume (also one not yet created, so that the
    consent sync does not turn it on)."""
    enable_checkin(db, user_id, now)
    store.set_state(db, user_id, store.CHECKIN, store.STOPPED, now)
    if store.get(db, user_id, store.FOLLOWUP):
        store.set_state(db, user_id, store.FOLLOWUP, store.DONE, now)
    return store.get(db, user_id, store.CHECKIN)


def resume(db, user_id, now):
    if not store.get(db, user_id, store.CHECKIN):
        return enable_checkin(db, user_id, now)
    return _reschedule(db, user_id, now)


def set_timezone(db, user_id, tz_name, now):
    zone(tz_name)  # raises UnknownTimeZone before anything is stored
    if not store.get(db, user_id, store.CHECKIN):
        return enable_checkin(db, user_id, now, tz_name)
    store.set_timezone(db, user_id, tz_name, now)
    return _reschedule(db, user_id, now)


def _reschedule(db, user_id, now, after=None, **changes):
    current = store.get(db, user_id, store.CHECKIN) or enable_checkin(db, user_id, now)
    row = {**current, **changes}
    due = next_weekly(after or now, row["tz"], row["weekday"], row["local_time"])
    changes.setdefault("paused_until", None)
    return store.upsert(db, user_id, store.CHECKIN, now, state=store.ACTIVE,
                        next_due_at=due, **changes)


def user_tz(db, user_id):
    checkin = store.get(db, user_id, store.CHECKIN)
    return checkin["tz"] if checkin else DEFAULT_TZ


def user_zone(db, user_id):
    """The ZoneInfo the user's dates are shown in (their check-in zone, else the default)."""
    return zone(user_tz(db, user_id))


def next_due_after(reminder, after):
    """Next occurrence of a reminder after an instant; None for one-shot follow-ups."""
    if reminder["kind"] != store.CHECKIN:
        return None
    return next_weekly(after, reminder["tz"], reminder["weekday"], reminder["local_time"])


# --- the dispatcher --------------------------------------------------------------------------

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
    return None


def _retry(db, line, pending, now, grace):
    if now - parse_instant(pending["due_at"]) > grace:
        store.finish_send(db, pending["reminder_id"], pending["due_at"], store.FAILED, now, "missed")
        return "failed"
    reminder = {"id": pending["reminder_id"], "user_id": pending["user_id"], "kind": pending["kind"]}
    user = users.get(db, reminder["user_id"])
    if user is None or not user["active"]:
        store.finish_send(db, pending["reminder_id"], pending["due_at"], store.SKIPPED, now,
                          "unreachable")
        return "skipped"
    return _push(db, line, reminder, pending["due_at"], now)


def _push(db, line, reminder, due_at, now):
    lang = users.lang(db, reminder["user_id"])
    try:
        line.push(reminder["user_id"], MESSAGES[reminder["kind"]](lang),
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

def checkin_message(lang):
    start, later, settings = (t(key, lang) for key in ("checkin.start", "checkin.later", "checkin.settings"))
    return [text_message(t("checkin.due", lang), [
        postback(start, "action=checkin", start),
        postback(later, "action=checkin_later", later),
        postback(settings, "action=checkin_settings", settings),
    ])]


def followup_message(lang):
    seen, not_yet = t("followup.seen", lang), t("followup.not_yet", lang)
    return [text_message(t("followup.due", lang), [
        postback(seen, "action=followup&answer=seen", seen),
        postback(not_yet, "action=followup&answer=not_yet", not_yet),
        {"type": "camera", "label": t("followup.photo", lang)},
    ])]


MESSAGES = {store.CHECKIN: checkin_message, store.FOLLOWUP: followup_message}


# --- python -m bot reminders run-due [--now ISO8601] -------------------------------------------

class NoLineToSendTo(RuntimeError):
    """Simulator mode without LINE_API_BASE_URL: there is no LINE to push reminders to."""


def add_cli_arguments(parser):
    parser.add_argument("--now", type=parse_instant, default=None,
                        help="the instant to dispatch for, ISO 8601 with offset (default: now)")


def cli_run_due(args):
    """Ops catch-up and tests: the same dispatcher the tick runs, once, for one instant."""
    import json

    from bot import config as configuration
    from bot.services import Services

    config = configuration.load()
    if config.simulator and config.api_base_url is None:
        raise NoLineToSendTo("set LINE credentials (or LINE_API_BASE_URL for an emulator)")
    services = Services(config)
    try:
        now = args.now or services.clock.now()
        counts = send_due(services.db(), services.line, now)
    finally:
        services.line.close()
    print(json.dumps({"now": now_iso(now), **counts}))
    return 0

"""The user's reminders over the database: the weekly check-in (consent turns it on), the 48 h
follow-up after a "see a doctor soon" result, the next day's reminder of questions left
unanswered, and the settings the patient changes in chat."""

import datetime as dt

from bot.domain.schedule import (
    DEFAULT_TIME,
    DEFAULT_TZ,
    DEFAULT_WEEKDAY,
    FOLLOWUP_DELAY,
    PAUSE,
    followup_due,
    questions_due,
    in_quiet_hours,
    next_weekly,
    parse_hhmm,
    parse_instant,
    zone,
)
from bot.domain.triage import QUESTIONS
from storage import reminders as store
from storage.db import now_iso


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
        if level == QUESTIONS:
            _remind_questions(db, user_id, source, parse_instant(created_at), now)
            continue
        followup = store.get(db, user_id, store.FOLLOWUP)
        if (followup or {}).get("source") == source or level not in ("soon", "urgent"):
            continue
        after_result(db, user_id, level, parse_instant(created_at), now, source=source)


def _remind_questions(db, user_id, source, result_at, now):
    """One reminder, the next day, for a result whose questions wait (never for a stopped user;
    never twice for one result: the row's source names it)."""
    if (store.get(db, user_id, store.QUESTIONS) or {}).get("source") == source:
        return
    checkin = store.get(db, user_id, store.CHECKIN)
    if checkin and checkin["state"] == store.STOPPED:
        return
    tz_name = user_tz(db, user_id)
    store.upsert(db, user_id, store.QUESTIONS, now, state=store.ACTIVE, tz=tz_name, quiet_ok=0,
                 next_due_at=questions_due(result_at, tz_name), source=source)


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
    for kind in (store.FOLLOWUP, store.QUESTIONS):
        if store.get(db, user_id, kind):
            store.set_state(db, user_id, kind, store.DONE, now)
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
    return store.user_tz(db, user_id) or DEFAULT_TZ


def next_due_after(reminder, after):
    """Next occurrence of a reminder after an instant; None for one-shot follow-ups."""
    if reminder["kind"] != store.CHECKIN:
        return None
    return next_weekly(after, reminder["tz"], reminder["weekday"], reminder["local_time"])

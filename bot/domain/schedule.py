"""When reminders fall due: pure time arithmetic (no I/O).

Every instant stored or passed around is an aware UTC datetime; local wall-clock time only exists
inside the functions that need it (weekly day/time, quiet hours, the ISO week of a check-in).
"""

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
DEFAULT_TZ = "Asia/Tokyo"
DEFAULT_WEEKDAY = 6  # Sunday (Monday is 0)
DEFAULT_TIME = "19:00"
QUIET_START = dt.time(22, 0)
QUIET_END = dt.time(8, 0)
FOLLOWUP_DELAY = dt.timedelta(hours=48)
QUESTIONS_DELAY = dt.timedelta(days=1)
PAUSE = dt.timedelta(weeks=4)


class UnknownTimeZone(ValueError):
    """A time zone name that zoneinfo does not know."""


def zone(name=None):
    """The ZoneInfo of a zone name; None: DEFAULT_TZ (a user without a check-in)."""
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


def questions_due(result_at, tz_name):
    """The day after a result whose questions were not answered, moved out of quiet hours."""
    local = (result_at + QUESTIONS_DELAY).astimezone(zone(tz_name))
    return to_utc(out_of_quiet_hours(local))


def quiet_now(now, tz_name, quiet_ok):
    """True when a reminder must wait: local night, and the user did not choose a night time."""
    return not quiet_ok and in_quiet_hours(now.astimezone(zone(tz_name)).time())


def week_of(instant, tz_name):
    """ISO year and week ('2026-W48') of an instant on the user's wall clock."""
    year, week, _ = instant.astimezone(zone(tz_name)).isocalendar()
    return f"{year}-W{week:02d}"


def parse_instant(text):
    instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text!r}")
    return instant.astimezone(UTC)

"""Reminders: local-time arithmetic (pure), then a simulated month through the real dispatcher,
the real LINE SDK and the LINE emulator on loopback, with a controllable clock (never sleeping)."""

import datetime as dt
import json
import subprocess
import sys
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import main
from bot.domain import schedule
from bot.engine import scheduler
from bot.engine.line_api import LineClient
from bot.engine.scheduler import SchedulerLock
from bot.features.reminders import dispatch, plans
from storage import open_db, users
from storage import reminders as reminder_rows
from tests.support import postgres, webhooks
from tests.support.records import add_result

UTC = dt.timezone.utc


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def local(tz, *args):
    return dt.datetime(*args, tzinfo=ZoneInfo(tz))


# --- pure time arithmetic ------------------------------------------------------------------

@pytest.mark.parametrize(
    "tz, after, weekday, hhmm, expected_local",
    [
        # Tokyo (UTC+9, no DST): Sunday 19:00 local is Sunday 10:00 UTC
        ("Asia/Tokyo", utc(2026, 11, 26, 0, 0), 6, "19:00", (2026, 11, 29, 19, 0)),
        # exactly at the due instant: the next one is a week later (strictly after)
        ("Asia/Tokyo", local("Asia/Tokyo", 2026, 11, 29, 19, 0), 6, "19:00", (2026, 12, 6, 19, 0)),
        # Kolkata has a half-hour offset
        ("Asia/Kolkata", utc(2026, 11, 26, 0, 0), 0, "09:30", (2026, 11, 30, 9, 30)),
        # Monday 08:00 in Auckland is still Sunday in UTC
        ("Pacific/Auckland", utc(2026, 11, 26, 0, 0), 0, "08:00", (2026, 11, 30, 8, 0)),
        # New York: the Sunday after DST ends (1 Nov 2026) keeps 09:00 on the wall clock
        ("America/New_York", utc(2026, 10, 26, 0, 0), 6, "09:00", (2026, 11, 1, 9, 0)),
        # the same day, later than now
        ("Europe/London", local("Europe/London", 2026, 7, 1, 8, 0), 2, "18:00", (2026, 7, 1, 18, 0)),
    ],
)
def test_next_weekly_is_on_the_local_wall_clock(tz, after, weekday, hhmm, expected_local):
    due = schedule.next_weekly(after, tz, weekday, hhmm)
    assert due.tzinfo is not None and due > after
    assert due == local(tz, *expected_local)
    assert due.astimezone(ZoneInfo(tz)).weekday() == weekday


def test_weekly_stays_at_nine_local_across_both_dst_changes():
    tz = "America/New_York"
    due, seen = utc(2026, 2, 1), []
    for _ in range(60):
        due = schedule.next_weekly(due, tz, 6, "09:00")
        seen.append(due)
    assert {d.astimezone(ZoneInfo(tz)).strftime("%a %H:%M") for d in seen} == {"Sun 09:00"}
    assert {d.hour for d in seen} == {13, 14}  # the UTC hour moves with DST; local does not


def test_tokyo_never_moves_in_utc():
    due, hours = utc(2026, 1, 1), set()
    for _ in range(60):
        due = schedule.next_weekly(due, "Asia/Tokyo", 6, "19:00")
        hours.add(due.strftime("%H:%M"))
    assert hours == {"10:00"}


@pytest.mark.parametrize(
    "local_args, expected",
    [
        ((2026, 11, 26, 21, 59), (2026, 11, 26, 21, 59)),
        ((2026, 11, 26, 22, 0), (2026, 11, 27, 8, 0)),
        ((2026, 11, 26, 23, 30), (2026, 11, 27, 8, 0)),
        ((2026, 11, 27, 0, 10), (2026, 11, 27, 8, 0)),
        ((2026, 11, 27, 7, 59), (2026, 11, 27, 8, 0)),
        ((2026, 11, 27, 8, 0), (2026, 11, 27, 8, 0)),
    ],
)
def test_quiet_hours_move_to_eight_in_the_morning(local_args, expected):
    tz = ZoneInfo("Asia/Tokyo")
    moved = schedule.out_of_quiet_hours(dt.datetime(*local_args, tzinfo=tz))
    assert moved == dt.datetime(*expected, tzinfo=tz)


def test_followup_is_48_hours_later_unless_that_is_night():
    day_result = local("Asia/Tokyo", 2026, 11, 26, 14, 0)
    assert schedule.followup_due(day_result, "Asia/Tokyo") == local("Asia/Tokyo", 2026, 11, 28, 14, 0)
    night_result = local("Asia/Tokyo", 2026, 11, 26, 23, 15)
    assert schedule.followup_due(night_result, "Asia/Tokyo") == local("Asia/Tokyo", 2026, 11, 29, 8, 0)


def test_quiet_now_depends_on_the_users_clock_and_choice():
    instant = utc(2026, 11, 26, 14, 0)  # 23:00 in Tokyo, 09:00 in New York
    assert schedule.quiet_now(instant, "Asia/Tokyo", quiet_ok=0)
    assert not schedule.quiet_now(instant, "Asia/Tokyo", quiet_ok=1)
    assert not schedule.quiet_now(instant, "America/New_York", quiet_ok=0)


def test_week_of_uses_the_local_date():
    # Sunday 23:30 in Tokyo is still ISO week 48; 00:30 Monday is week 49
    assert schedule.week_of(local("Asia/Tokyo", 2026, 11, 29, 23, 30), "Asia/Tokyo") == "2026-W48"
    assert schedule.week_of(local("Asia/Tokyo", 2026, 11, 30, 0, 30), "Asia/Tokyo") == "2026-W49"
    assert schedule.week_of(local("Asia/Tokyo", 2026, 11, 30, 0, 30), "Europe/London") == "2026-W48"


def test_retry_key_is_a_uuid_fixed_by_reminder_and_due_time():
    key = dispatch.retry_key(7, utc(2026, 11, 29, 10))
    assert uuid.UUID(key)
    assert key == dispatch.retry_key(7, utc(2026, 11, 29, 10))
    assert key != dispatch.retry_key(8, utc(2026, 11, 29, 10))
    assert key != dispatch.retry_key(7, utc(2026, 12, 6, 10))


def test_unknown_time_zone_is_refused():
    with pytest.raises(schedule.UnknownTimeZone):
        schedule.zone("Mars/Olympus_Mons")


# --- the dispatcher over the real SDK and the LINE emulator ----------------------------------

START = utc(2026, 10, 20, 0, 0)  # a Tuesday; New York leaves DST on Sunday 1 November


def month(dispatch, clock, start=START, days=30, step=dt.timedelta(minutes=10), until=None):
    """Move the clock step by step (no sleeping) and dispatch at every step."""
    clock.set(start.astimezone(UTC))
    end = until or start + dt.timedelta(days=days)
    while clock.now() <= end:
        dispatch(clock.now())
        clock.advance(step.total_seconds())


def pushes_to(emulator, user):
    return [s for s in emulator.sent if s["to"] == user and s["kind"] == "push"]


def local_times(emulator, user, tz):
    return [dt.datetime.fromisoformat(s["at"]).astimezone(ZoneInfo(tz)).strftime("%a %m-%d %H:%M")
            for s in pushes_to(emulator, user)]


def follower(db, clock, name):
    user = "U" + name.encode().hex().ljust(32, "0")[:32]
    users.follow(db, user, clock.now())
    return user


def test_a_month_of_weekly_checkins_across_time_zones(db, services, emulator, clock):
    clock.set(START)
    tokyo = follower(db, clock, "tokyo")
    plans.enable_checkin(db, tokyo, clock.now())                      # Sunday 19:00 default
    new_york = follower(db, clock, "newyork")
    plans.set_timezone(db, new_york, "America/New_York", clock.now())
    plans.set_day(db, new_york, 0, clock.now())
    plans.set_time(db, new_york, "09:00", clock.now())               # Monday 09:00
    kolkata = follower(db, clock, "kolkata")
    plans.set_timezone(db, kolkata, "Asia/Kolkata", clock.now())
    plans.set_day(db, kolkata, 2, clock.now())
    plans.set_time(db, kolkata, "23:30", clock.now())                # chosen inside quiet hours

    month(lambda now: dispatch.send_due(db, services.line, now), clock)

    assert local_times(emulator, tokyo, "Asia/Tokyo") == [
        "Sun 10-25 19:00", "Sun 11-01 19:00", "Sun 11-08 19:00", "Sun 11-15 19:00"]
    # 09:00 on the wall clock before and after the DST change (13:00 then 14:00 UTC)
    assert local_times(emulator, new_york, "America/New_York") == [
        "Mon 10-26 09:00", "Mon 11-02 09:00", "Mon 11-09 09:00", "Mon 11-16 09:00"]
    assert local_times(emulator, kolkata, "Asia/Kolkata") == [
        "Wed 10-21 23:30", "Wed 10-28 23:30", "Wed 11-04 23:30", "Wed 11-11 23:30", "Wed 11-18 23:30"]
    for push in emulator.sent:
        assert push["messages"][0]["quickReply"]["items"][0]["action"]["data"] == "action=checkin"
        assert push["retry_key"]


def test_quiet_hours_hold_a_reminder_until_eight(db, services, emulator, clock):
    """Due 21:00, the service is down from 20:00 to 22:30: it waits for 08:00, then goes."""
    clock.set(local("Asia/Tokyo", 2026, 10, 20, 12, 0))
    user = follower(db, clock, "quiet")
    plans.enable_checkin(db, user, clock.now())
    plans.set_day(db, user, 1, clock.now())          # Tuesday
    plans.set_time(db, user, "21:00", clock.now())   # not a night time: quiet_ok stays 0
    month(lambda now: dispatch.send_due(db, services.line, now), clock,
          start=local("Asia/Tokyo", 2026, 10, 20, 22, 30), days=1)
    assert local_times(emulator, user, "Asia/Tokyo") == ["Wed 10-21 08:00"]


def test_followup_48_hours_after_soon_never_after_urgent(db, services, emulator, clock):
    clock.set(local("Asia/Tokyo", 2026, 10, 20, 23, 15))
    soon = follower(db, clock, "soon")
    urgent = follower(db, clock, "urgent")
    plans.after_result(db, soon, "soon", clock.now(), clock.now())
    plans.after_result(db, urgent, "soon", clock.now(), clock.now())
    plans.after_result(db, urgent, "urgent", clock.now() + dt.timedelta(hours=1), clock.now())
    plans.after_result(db, follower(db, clock, "routine"), "routine", clock.now(), clock.now())
    month(lambda now: dispatch.send_due(db, services.line, now), clock,
          start=local("Asia/Tokyo", 2026, 10, 20, 23, 20), days=7)
    # 48 h after 23:15 is 23:15, inside quiet hours: 08:00 the next morning
    assert local_times(emulator, soon, "Asia/Tokyo") == ["Fri 10-23 08:00"]
    assert "action=followup&answer=seen" in str(pushes_to(emulator, soon)[0]["messages"])
    assert pushes_to(emulator, urgent) == []
    assert len(emulator.sent) == 1
    assert reminder_rows.get(db, soon, reminder_rows.FOLLOWUP)["state"] == reminder_rows.DONE


def test_unfollowed_and_deleted_users_get_nothing(db, services, emulator, clock, deliver, events):
    clock.set(START)
    stays, leaves, deleted = (follower(db, clock, n) for n in ("stays", "leaves", "deleted"))
    for user in (stays, leaves, deleted):
        plans.enable_checkin(db, user, clock.now())
    plans.after_result(db, deleted, "soon", clock.now(), clock.now())
    deliver(events.unfollow(user=leaves))           # a real signed unfollow webhook
    users.forget(db, deleted, services.settings.data_dir)
    month(lambda now: dispatch.send_due(db, services.line, now), clock)
    assert len(pushes_to(emulator, stays)) == 4
    assert pushes_to(emulator, leaves) == [] and pushes_to(emulator, deleted) == []
    assert {s["reason"] for s in reminder_rows.sends(db, leaves)} == {"unreachable"}
    assert reminder_rows.sends(db, deleted) == [] and reminder_rows.get(db, deleted, "checkin") is None


def test_refollowing_brings_reminders_back(db, services, emulator, clock):
    clock.set(START)
    user = follower(db, clock, "back")
    plans.enable_checkin(db, user, clock.now())
    users.unfollow(db, user, clock.now())
    month(lambda now: dispatch.send_due(db, services.line, now), clock, days=14)
    users.follow(db, user, clock.now())
    month(lambda now: dispatch.send_due(db, services.line, now), clock, start=clock.now(), days=14)
    assert len(pushes_to(emulator, user)) == 2


@pytest.mark.parametrize("backend", postgres.BACKENDS)
def test_two_dispatchers_at_once_send_each_reminder_once(services, emulator, clock):
    """Two processes' worth of dispatchers: each its own thread, connection and LINE client,
    dispatching for the same instants at the same time (on PostgreSQL: as two workers would)."""
    config = services.settings
    db = open_db(config.database)
    clock.set(START)
    people = [follower(db, clock, f"p{i}") for i in range(12)]
    for user in people:
        plans.enable_checkin(db, user, clock.now())
    step = threading.Barrier(3)
    instants, outcomes, stop = [None], [], threading.Event()

    def dispatcher():
        own_db = open_db(config.database)
        line = LineClient(config.access_token, base_url=config.api_base_url, timeout_s=2, backoff_s=0.01)
        while True:
            step.wait()
            if stop.is_set():
                break
            outcomes.append(dispatch.send_due(own_db, line, instants[0]))
            step.wait()
        line.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()

    def both(now):
        instants[0] = now
        step.wait()  # go
        step.wait()  # both done

    month(both, clock, days=21, step=dt.timedelta(hours=1))
    stop.set()
    step.wait()
    for thread in threads:
        thread.join()
    assert sorted(len(pushes_to(emulator, u)) for u in people) == [3] * 12
    keys = [s["retry_key"] for s in emulator.sent]
    assert len(keys) == len(set(keys)) == 36
    assert sum(o["sent"] for o in outcomes) == 36


def test_a_crash_between_claim_and_push_is_sent_once_after_restart(db, services, emulator, clock):
    clock.set(START)
    user = follower(db, clock, "crash")
    row = plans.enable_checkin(db, user, clock.now())
    due = schedule.parse_instant(row["next_due_at"])
    # The dispatcher claimed the reminder and died before its push.
    assert reminder_rows.claim(db, row, plans.next_due_after(row, due), due)
    # Restart a few minutes later: the pending send goes out, with the (reminder, due) key.
    restarted = open_db(services.settings.database)
    counts = dispatch.send_due(restarted, services.line, due + dt.timedelta(minutes=3))
    assert counts["retried"] == 1
    assert [s["retry_key"] for s in pushes_to(emulator, user)] == [dispatch.retry_key(row["id"], due)]
    assert dispatch.send_due(restarted, services.line, due + dt.timedelta(minutes=10))["retried"] == 0
    assert len(pushes_to(emulator, user)) == 1


def test_a_crash_after_push_before_recording_is_not_sent_twice(db, services, emulator, clock):
    clock.set(START)
    user = follower(db, clock, "crash2")
    row = plans.enable_checkin(db, user, clock.now())
    due = schedule.parse_instant(row["next_due_at"])
    assert reminder_rows.claim(db, row, plans.next_due_after(row, due), due)
    services.line.push(user, dispatch.checkin_message("ja"), retry_key=dispatch.retry_key(row["id"], due))
    # ... and died before finish_send. After the restart LINE answers 409 for the same key.
    counts = dispatch.send_due(open_db(services.settings.database), services.line, due + dt.timedelta(minutes=5))
    assert counts["retried"] == 1
    assert len(pushes_to(emulator, user)) == 1
    assert [c.status for c in emulator.calls if c.path.endswith("/push")] == [200, 409]
    assert [s["state"] for s in reminder_rows.sends(db, user)] == ["sent"]


def test_line_outage_leaves_it_pending_and_a_later_tick_sends_it(db, services, emulator, clock):
    clock.set(START)
    user = follower(db, clock, "outage")
    row = plans.enable_checkin(db, user, clock.now())
    due = schedule.parse_instant(row["next_due_at"])
    emulator.fail_next(services.settings.line_attempts, status=500)
    assert dispatch.send_due(db, services.line, due)["failed"] == 1
    assert pushes_to(emulator, user) == []
    assert dispatch.send_due(db, services.line, due + dt.timedelta(minutes=1))["retried"] == 0  # too soon
    assert dispatch.send_due(db, services.line, due + dt.timedelta(minutes=3))["retried"] == 1
    assert len(pushes_to(emulator, user)) == 1


@pytest.mark.parametrize(
    "down_for, sent_at",
    [
        (dt.timedelta(hours=1), ["Sun 10-25 20:00", "Sun 11-01 19:00"]),     # within grace: once, at start-up
        (dt.timedelta(hours=2, minutes=30), ["Sun 10-25 21:30", "Sun 11-01 19:00"]),
        # back at 06:50: night, so it waits for 08:00, which is past 12 h: skipped to next week
        (dt.timedelta(hours=11, minutes=50), ["Sun 11-01 19:00"]),
        (dt.timedelta(hours=13), ["Sun 11-01 19:00"]),                       # past grace: skipped to next week
    ],
)
def test_missed_while_down_grace_period(db, services, emulator, clock, down_for, sent_at):
    clock.set(START)
    user = follower(db, clock, "grace")
    plans.enable_checkin(db, user, clock.now())              # Sunday 25 Oct 19:00 Tokyo
    due = local("Asia/Tokyo", 2026, 10, 25, 19, 0)
    back = due + down_for
    month(lambda now: dispatch.send_due(db, services.line, now), clock, start=back,
          until=local("Asia/Tokyo", 2026, 11, 1, 20, 0), step=dt.timedelta(minutes=10))
    assert local_times(emulator, user, "Asia/Tokyo") == sent_at
    assert len(emulator.sent) == len(sent_at)


# --- the patient's side: consent turns check-ins on; settings by quick reply and picker ---------



def consenting(deliver, events, lang="ja", emulator=None):
    uid = webhooks.user_id()
    if emulator is not None:
        emulator.set_profile(uid, language=lang)
    deliver(events.follow(user=uid))
    deliver(events.postback("action=consent&v=yes", user=uid))
    return uid


def test_consent_turns_on_a_weekly_checkin(deliver, events, emulator, db, services, clock):
    clock.set(START)
    uid = consenting(deliver, events)
    declined = webhooks.user_id()
    deliver(events.follow(user=declined))
    deliver(events.postback("action=consent&v=no", user=declined))
    before = len(emulator.sent)
    month(lambda now: dispatch.send_due(db, services.line, now), clock, days=14)
    assert local_times(emulator, uid, "Asia/Tokyo") == ["Sun 10-25 19:00", "Sun 11-01 19:00"]
    assert pushes_to(emulator, declined) == [] and len(emulator.sent) == before + 2


def test_settings_by_quick_reply_and_time_picker(deliver, events, emulator, db, services, clock):
    clock.set(START)
    uid = consenting(deliver, events)
    deliver(events.text("チェックイン設定", user=uid))
    shown = emulator.messages_to(uid)[-1]
    items = [i["action"] for i in shown["quickReply"]["items"]]
    assert [a["data"] for a in items[:7]] == [f"action=checkin_day&d={d}" for d in range(7)]
    assert items[7]["type"] == "datetimepicker" and items[7]["mode"] == "time" and items[7]["initial"] == "19:00"
    assert [a["data"] for a in items[8:]] == ["action=reminders_pause", "action=reminders_stop"]
    deliver(events.postback("action=checkin_day&d=2", user=uid))                     # Wednesday
    assert "10月21日（水曜）19:00" in emulator.messages_to(uid)[-1]["text"]
    deliver(events.postback("action=checkin_time", params={"time": "23:00"}, user=uid))  # chosen night time
    assert "夜間" in emulator.messages_to(uid)[-1]["text"]
    month(lambda now: dispatch.send_due(db, services.line, now), clock, days=14)
    assert local_times(emulator, uid, "Asia/Tokyo") == ["Wed 10-21 23:00", "Wed 10-28 23:00"]


def test_stop_resume_and_pause(deliver, events, emulator, db, services, clock):
    clock.set(START)
    uid = consenting(deliver, events, "en", emulator)
    deliver(events.text("stop reminders", user=uid))
    assert "stopped" in emulator.messages_to(uid)[-1]["text"]
    month(lambda now: dispatch.send_due(db, services.line, now), clock, days=14)
    assert pushes_to(emulator, uid) == []
    deliver(events.text("resume reminders", user=uid))
    assert "Sunday" in emulator.messages_to(uid)[-1]["text"]
    month(lambda now: dispatch.send_due(db, services.line, now), clock, start=clock.now(), days=7)
    assert len(pushes_to(emulator, uid)) == 1
    deliver(events.postback("action=reminders_pause", user=uid))
    month(lambda now: dispatch.send_due(db, services.line, now), clock, start=clock.now(), days=27)
    assert len(pushes_to(emulator, uid)) == 1
    month(lambda now: dispatch.send_due(db, services.line, now), clock, start=clock.now(), days=8)
    assert len(pushes_to(emulator, uid)) == 2


def test_time_zone_command(deliver, events, emulator, db, services, clock):
    clock.set(START)
    uid = consenting(deliver, events, "en", emulator)
    deliver(events.text("timezone Europe/London", user=uid))
    assert "Sunday" in emulator.messages_to(uid)[-1]["text"]
    deliver(events.text("timezone Mars/Base", user=uid))
    assert "time zone" in emulator.messages_to(uid)[-1]["text"]
    month(lambda now: dispatch.send_due(db, services.line, now), clock, days=7)
    assert local_times(emulator, uid, "Europe/London") == ["Sun 10-25 19:00"]


def test_soon_result_brings_a_followup_and_its_answers(deliver, events, emulator, db, services, clock):
    clock.set(local("Asia/Tokyo", 2026, 10, 20, 12, 0).astimezone(UTC))
    soon, urgent = consenting(deliver, events), consenting(deliver, events)
    add_result(db, soon, clock.now(), {"AD": 0.2, "IM": 0.7, "HI": 0.05, "MF": 0.05})   # impetigo: soon
    add_result(db, urgent, clock.now(), {"AD": 0.05, "IM": 0.05, "HI": 0.85, "MF": 0.05})  # herpes: urgent
    month(lambda now: dispatch.send_due(db, services.line, now), clock, start=clock.now(), days=3,
          step=dt.timedelta(minutes=30))
    assert local_times(emulator, soon, "Asia/Tokyo") == ["Thu 10-22 12:00"]
    assert pushes_to(emulator, urgent) == []
    deliver(events.postback("action=followup&answer=not_yet", user=soon))
    reply = emulator.messages_to(soon)[-1]
    assert [i["action"]["data"] for i in reply["quickReply"]["items"]] == ["action=clinics"]


def test_run_due_command_line(services, emulator, db, clock, monkeypatch, capsys):
    clock.set(START)
    user = follower(db, clock, "cli")
    row = plans.enable_checkin(db, user, clock.now())
    monkeypatch.setenv("LINE_CHANNEL_SECRET", services.settings.channel_secret)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", services.settings.access_token)
    monkeypatch.setenv("LINE_API_BASE_URL", services.settings.api_base_url)
    monkeypatch.setenv("ADAI_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("ADAI_DATABASE_URL", services.settings.database_url or "")
    assert main(["reminders", "run-due", "--now", "2026-10-25T09:59:00+00:00"]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 0
    assert main(["reminders", "run-due", "--now", "2026-10-25T19:00:00+09:00"]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 1
    assert main(["reminders", "run-due", "--now", "2026-10-25T19:05:00+09:00"]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 0
    assert [s["retry_key"] for s in pushes_to(emulator, user)] == [
        dispatch.retry_key(row["id"], row["next_due_at"])]


# --- the scheduler: one process ticks ------------------------------------------------------------

def test_only_one_holder_of_the_scheduler_lock(tmp_path):
    path = tmp_path / "scheduler.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
         " fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not SchedulerLock(path).acquire()     # another process holds it
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    first, second = SchedulerLock(path), SchedulerLock(path)
    assert first.acquire()                           # the OS released the dead holder's lock
    assert not second.acquire()                      # a second worker in this process loses too
    first.release()
    assert second.acquire()
    second.release()


@pytest.mark.parametrize("backend", postgres.BACKENDS)
def test_scheduler_starts_once_and_ticks_at_start_up(services, emulator, db, clock, monkeypatch):
    clock.set(START)
    user = follower(db, clock, "tick")
    row = plans.enable_checkin(db, user, clock.now())
    clock.set(schedule.parse_instant(row["next_due_at"]) + dt.timedelta(hours=2))  # missed while down
    stop = scheduler.start(services)
    second = scheduler.start(services)
    try:
        assert stop is not None
        if services.settings.database_url:  # PostgreSQL: two candidates, one advisory lock
            assert emulator.wait_for(lambda e: [stop.__self__.scheduler is None, second.__self__.scheduler is None].count(False) == 1)
            assert not emulator.wait_for(lambda e: None not in (stop.__self__.scheduler, second.__self__.scheduler), 1.0)
        else:
            assert second is None                    # a second process/worker would not tick
        emulator.wait_for(lambda e: len(pushes_to(e, user)) == 1, timeout=10)
        assert len(pushes_to(emulator, user)) == 1
    finally:
        stop()
        if second is not None:
            second()
    again = scheduler.start(services)                # released on stop: a restart takes it
    assert again is not None
    again()


def test_the_reloader_watcher_never_ticks(services, emulator, db, clock, monkeypatch):
    """Flask's debug reloader runs two processes: the watcher (FLASK_DEBUG on, WERKZEUG_RUN_MAIN
    unset) sends nothing even with a reminder due; the child it runs (WERKZEUG_RUN_MAIN=true)
    ticks at start-up and sends it, once."""
    clock.set(START)
    user = follower(db, clock, "reloader")
    row = plans.enable_checkin(db, user, clock.now())
    clock.set(schedule.parse_instant(row["next_due_at"]) + dt.timedelta(hours=2))  # due now
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert scheduler.start(services) is None
    assert not emulator.wait_for(lambda e: pushes_to(e, user), timeout=1.0)  # nothing ticked
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    stop = scheduler.start(services)
    try:
        assert stop is not None
        assert emulator.wait_for(lambda e: len(pushes_to(e, user)) == 1, timeout=10)
    finally:
        if stop is not None:
            stop()
    assert len(pushes_to(emulator, user)) == 1


@pytest.mark.parametrize("lang, command, done", [("en", "timezone", "time zone is now Europe/London"),
                                                 ("ja", "タイムゾーン", "タイムゾーンをEurope/Londonにしました")])
def test_time_zone_command_confirms_the_zone_and_refuses_an_unknown_one_without_echo(
        deliver, events, emulator, clock, lang, command, done):
    """Issue 12 item 9: the answer names the zone set (its proper spelling, whatever was typed);
    an unknown zone is refused without repeating what was typed (lower-cased)."""
    clock.set(START)
    uid = consenting(deliver, events, lang, emulator)
    deliver(events.text(f"{command} europe/LONDON", user=uid))
    assert done in emulator.messages_to(uid)[-1]["text"]
    deliver(events.text(f"{command} Mars/Base", user=uid))
    refusal = emulator.messages_to(uid)[-1]["text"]
    assert "mars/base" not in refusal.lower()
    assert {"en": "Example: timezone Europe/London", "ja": "例：タイムゾーン Asia/Tokyo"}[lang] in refusal

"""The reminders in chat: check-in settings (day, time, time zone), pause, stop, resume, "later",
and the answer to the 48 h follow-up."""

import zoneinfo

from bot.domain import schedule
from bot.features.reminders import plans
from bot.views.cards import postback, text_message
from storage import reminders as reminder_rows

DAY_FORMAT = {"ja": "%m月%d日（{day}）%H:%M", "en": "{day} %d %b, %H:%M"}


def when_text(ctx, instant, tz_name):
    local = instant.astimezone(schedule.zone(tz_name))
    day = ctx.t(f"day.{local.weekday()}")
    return local.strftime(DAY_FORMAT.get(ctx.lang, DAY_FORMAT["en"])).format(day=day)


def settings(ctx, rest=""):
    if not ctx.consented("settings.no_consent"):
        return
    row = reminder_rows.get(ctx.db, ctx.user_id, reminder_rows.CHECKIN) or \
        plans.enable_checkin(ctx.db, ctx.user_id, ctx.now())
    state = ctx.t("settings.state.active")
    if row["state"] == reminder_rows.STOPPED:
        state = ctx.t("settings.state.stopped")
    elif row["paused_until"]:
        state = ctx.t("settings.state.paused",
                      until=when_text(ctx, schedule.parse_instant(row["paused_until"]), row["tz"]))
    days = [postback(ctx.t(f"day.{d}"), f"action=checkin_day&d={d}", ctx.t(f"day.{d}")) for d in range(7)]
    picker = {"type": "datetimepicker", "label": ctx.t("settings.time"), "data": "action=checkin_time",
              "mode": "time", "initial": row["local_time"]}
    if row["state"] == reminder_rows.STOPPED:
        ends = [postback(ctx.t("settings.resume"), "action=reminders_resume", ctx.t("settings.resume"))]
    else:
        ends = [postback(ctx.t("settings.pause"), "action=reminders_pause", ctx.t("settings.pause")),
                postback(ctx.t("settings.stop"), "action=reminders_stop", ctx.t("settings.stop"))]
    text = ctx.t("settings.show", day=ctx.t(f"day.{row['weekday']}"), time=row["local_time"],
                 tz=row["tz"], state=state)
    ctx.answer(text_message(text, days + [picker] + ends))


def _saved(ctx, row, key="settings.saved"):
    when = when_text(ctx, schedule.parse_instant(row["next_due_at"]), row["tz"])
    ctx.answer(text_message(ctx.t(key, when=when)))


def set_day(ctx, params):
    if ctx.consented("settings.no_consent") and params.get("d", "").isdigit():
        _saved(ctx, plans.set_day(ctx.db, ctx.user_id, int(params["d"]), ctx.now()))


def set_time(ctx, params):
    if not ctx.consented("settings.no_consent"):
        return
    try:
        row = plans.set_time(ctx.db, ctx.user_id, params.get("picked_time", ""), ctx.now())
    except ValueError:
        settings(ctx)
        return
    _saved(ctx, row, "settings.saved_quiet" if row["quiet_ok"] else "settings.saved")


def pause(ctx, params=None):
    if ctx.consented("settings.no_consent"):
        _saved(ctx, plans.pause(ctx.db, ctx.user_id, ctx.now()), "settings.paused")


def stop(ctx, params_or_rest=None):
    if ctx.consented("settings.no_consent"):
        plans.stop(ctx.db, ctx.user_id, ctx.now())
        ctx.answer(text_message(ctx.t("settings.stopped")))


def resume(ctx, params_or_rest=None):
    if ctx.consented("settings.no_consent"):
        _saved(ctx, plans.resume(ctx.db, ctx.user_id, ctx.now()), "settings.resumed")


def set_timezone(ctx, rest=""):
    """`timezone Europe/London`: the zone reminders and check-in weeks follow."""
    if not ctx.consented("settings.no_consent"):
        return
    try:
        row = plans.set_timezone(ctx.db, ctx.user_id, _zone_name(rest.strip()), ctx.now())
    except schedule.UnknownTimeZone:
        # Not echoed: what was typed arrives lower-cased, and repeating it helps nobody.
        ctx.answer(text_message(ctx.t("settings.tz_unknown")))
        return
    when = when_text(ctx, schedule.parse_instant(row["next_due_at"]), row["tz"])
    ctx.answer(text_message(ctx.t("settings.tz_saved", tz=row["tz"], when=when)))


def _zone_name(text):
    """Commands arrive lower-cased; zone names are not, so match them case-insensitively."""
    return {z.lower(): z for z in zoneinfo.available_timezones()}.get(text.lower(), text)


def later(ctx, params=None):
    ctx.answer(text_message(ctx.t("checkin.later_ok")))


def followup_answer(ctx, params):
    if params.get("answer") == "seen":
        ctx.answer(text_message(ctx.t("followup.thanks_seen"),
                                [{"type": "camera", "label": ctx.t("followup.photo")}]))
        return
    find = ctx.t("conv.btn_clinic")
    ctx.answer(text_message(ctx.t("followup.thanks_not_yet"), [postback(find, "action=clinics", find)]))

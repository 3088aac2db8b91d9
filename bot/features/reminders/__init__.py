"""Follow-up reminders: a weekly check-in once the patient consents, a follow-up 48 h after a
"see a doctor soon" result, both sent by the tick (dispatch.py); the patient changes them in chat
(chat.py). The schedule itself is pure arithmetic in bot/domain/schedule.py."""

from bot.engine.router import Command, Feature
from bot.features.reminders import chat, dispatch

FEATURE = Feature(
    "reminders",
    commands=(
        Command("checkin_settings", ("チェックイン設定", "リマインダー設定"), ("check-in settings", "reminder settings"),
                "チェックインの曜日・時間を変えます", "change the day and time of check-ins", chat.settings),
        Command("reminders_stop", ("リマインダー停止", "リマインダーを止める"), ("stop reminders",),
                "リマインダーを止めます", "stop reminders", chat.stop),
        Command("reminders_resume", ("リマインダー再開",), ("resume reminders",),
                "リマインダーを再開します", "turn reminders back on", chat.resume),
        Command("timezone", ("タイムゾーン",), ("time zone", "timezone"),
                "タイムゾーンを変えます（例：タイムゾーン Asia/Tokyo）", "set your time zone (e.g. timezone Europe/London)",
                chat.set_timezone),
    ),
    actions={
        "checkin_later": chat.later,
        "checkin_settings": lambda ctx, params: chat.settings(ctx),
        "checkin_day": chat.set_day,
        "checkin_time": chat.set_time,
        "reminders_pause": chat.pause,
        "reminders_stop": chat.stop,
        "reminders_resume": chat.resume,
        "followup": chat.followup_answer,
    },
    ticks=(dispatch.tick,),
)

"""The features: each module ends with a `FEATURE` (bot.engine.router.Feature) declaring the
events, messages, postback actions, commands, history parts, sweeps, maintenance jobs, ticks
and pages it handles. `create_app` builds the app's router from DEFAULT (or the list it is
given). Features import no other feature (import-linter checks it: .importlinter).

Where an event goes, by these declarations:
- follow → consent.on_follow (greeting, consent question); unfollow → core.on_unfollow
- message text → commands.on_text → a command's function (every feature's `commands`), else help
- message image → photos.on_image → photos.on_photo (assess, triage, result card)
- message location → clinics.on_location; sticker, video, audio, file, others → core
- postback action=NAME → that feature's `actions[NAME]` (consent, rf, history, checkin, poem…)
- imageSetTimeout (internal, stored by photos.sweep_image_sets) → photos.on_image_set_timeout
- group and room chats → core.group_note
- postback action=share / research → sharing (a record to a clinic's workspace; research use)
- /clinic/… pages → workspace (clinic staff, behind sign-in)
"""

from bot.features import (
    charts,
    clinics,
    commands,
    consent,
    core,
    history,
    photos,
    poem,
    redflags,
    referral,
    reminders,
    sharing,
    workspace,
)

DEFAULT = (
    core.FEATURE,
    commands.FEATURE,
    history.FEATURE,
    consent.FEATURE,
    photos.FEATURE,
    redflags.FEATURE,
    poem.FEATURE,
    reminders.FEATURE,
    clinics.FEATURE,
    charts.FEATURE,
    referral.FEATURE,
    sharing.FEATURE,
    workspace.FEATURE,
)

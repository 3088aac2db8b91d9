"""`python -m bot demo seed`: a demo clinic for the simulator. The first clinic of the clinic
list gets two clinician accounts (printed with their passwords) and a few phantom patients who
shared their records with it: photos rendered by models.phantom and assessed by the shipped
models (photo, overlay, result), red-flag answers, POEM check-ins, and research consent for all
but one, so that a newcomer can open /clinic/ after `make run` and label a photo."""

import secrets
from datetime import timedelta

from bot.domain import clinics, poem
from bot.domain import redflags as rules
from bot.domain.schedule import week_of
from bot.domain.triage import shadow_mode, triage
from bot.engine import media
from bot.features.photos import captions_for
from bot.features.workspace.accounts import hash_password
from models.phantom import render
from storage import assessments, clinic_labels, clinic_referrals, consent, research, staff, users
from storage import poem as poem_store

DEMO_EMAILS = ("demo@clinic.example", "demo2@clinic.example")
# Per phantom patient: (phantom label, seeds of their photos, research consent, red-flag answers)
PATIENTS = (
    ("AD", (11, 12), True, {"fever": False, "blisters": False, "spreading": False, "eyes": False,
                            "lasting": False, "patch": False}),
    ("IM", (21, 22), True, {"fever": True, "blisters": False, "spreading": True, "eyes": False}),
    ("HI", (2, 31), True, None),
    ("MF", (41,), False, None),
)
# POEM answers (7 questions, 0-4 each), a week apart: a moderate flare settling.
POEM_WEEKS = ((3, 3, 2, 2, 2, 2, 2), (2, 2, 1, 2, 1, 2, 2), (1, 1, 1, 1, 1, 2, 1))


def seed(db, settings, pipeline, now) -> dict:
    """Fill the database; returns what to print (clinic, accounts with passwords, counts)."""
    clinic = clinics.load(settings.clinics_csv)[0]
    accounts = [(email, _account(db, clinic.id, email, now)) for email in DEMO_EMAILS]
    photos = 0
    for number, (label, seeds, research_ok, answers) in enumerate(PATIENTS):
        user_id = "U" + secrets.token_hex(16)  # a stand-in LINE id: never shown anywhere
        users.ensure(db, user_id, now - timedelta(days=30), "ja")
        consent.record(db, user_id, consent.GIVEN, now - timedelta(days=30))
        for index, photo_seed in enumerate(seeds):
            when = now - timedelta(days=14 * (len(seeds) - index), hours=number)
            photos += _photo(db, settings, pipeline, user_id, label, photo_seed, when, answers)
        for week, answers_of_week in enumerate(POEM_WEEKS):
            _checkin(db, user_id, now - timedelta(weeks=len(POEM_WEEKS) - week), answers_of_week)
        clinic_referrals.share(db, user_id, clinic.id, now - timedelta(days=1, hours=number))
        research.record(db, user_id, research.GIVEN if research_ok else research.DECLINED, now)
    return {"clinic": clinic, "accounts": accounts, "patients": len(PATIENTS), "photos": photos}


def _account(db, clinic_id, email, now) -> str:
    """The demo account with a fresh password (made again on every seed)."""
    row = staff.by_email(db, email) or staff.add(db, clinic_id, email, "clinician", now)
    password = secrets.token_urlsafe(9)
    staff.set_password_hash(db, row["staff_id"], hash_password(password))
    return password


def _photo(db, settings, pipeline, user_id, label, photo_seed, when, answers) -> int:
    jpeg = render(photo_seed, label=label, distance="medium").jpeg
    result = pipeline.assess(jpeg, captions=captions_for("ja"))
    if result.quality not in ("ok", "unfamiliar"):
        return 0
    ref = secrets.token_urlsafe(12)
    media.store(settings, user_id, "photo", ref, jpeg, when)
    media.store(settings, user_id, "overlay", ref, result.overlay_jpeg(), when)
    clinic_labels.save_model_mask(settings.files_dir, user_id, ref, jpeg, result.masks, when)
    probabilities = rules.rounded(result.probabilities) if result.ok else None
    shadow = shadow_mode(pipeline.models)  # the demo's records follow the bot's own policy
    triaged = triage(probabilities, shadow=shadow)
    assessment_id = assessments.add(db, user_id, when, result.to_dict(), triaged, photo_ref=ref, overlay_ref=ref)
    if answers is not None:
        flagged = triage(probabilities, answers, shadow=shadow)
        assessments.set_flags(db, user_id, assessment_id, answers, flagged.level, flagged.finding,
                              flagged.finding_source)
    return 1


def _checkin(db, user_id, when, answers):
    checkin_id = poem_store.start(db, user_id, week_of(when, "Asia/Tokyo"), when)["id"]
    for question, value in enumerate(answers):
        poem_store.answer(db, checkin_id, question, value, when)
    score = poem.score(list(answers))
    poem_store.complete(db, checkin_id, score, poem.band(score), when)

"""Records written straight into storage, as the features would write them (a result, a finished
POEM check-in), for tests that need history without sending photos."""

from bot.domain import poem, schedule
from bot.domain.triage import triage
from storage import assessments
from storage import poem as poem_store


def add_result(db, user, when, probabilities, lesion_fraction=0.1, photo_ref=None, overlay_ref=None):
    """Store a photo result as the photo feature does (storage.assessments with the triage)."""
    p_not_ad = round(1 - probabilities["AD"], 4)
    result = {"quality": "ok", "probabilities": probabilities, "top": max(probabilities, key=probabilities.get),
              "p_not_ad": p_not_ad, "skin_fraction": 0.6, "lesion_fraction": lesion_fraction,
              "models": {"segmenter": "adai-seg@0.1.0", "classifier": "adai-cls@0.1.0", "validated": False}}
    return assessments.add(db, user, when, result, triage(probabilities),
                           photo_ref=photo_ref, overlay_ref=overlay_ref)


def add_checkin(db, user, when, total):
    row = poem_store.start(db, user, schedule.week_of(when, "Asia/Tokyo"), when)
    answers = [min(4, max(0, total - 4 * i)) for i in range(7)]
    for question, value in enumerate(answers):
        poem_store.answer(db, row["id"], question, value, when)
    poem_store.complete(db, row["id"], poem.score(answers), poem.band(poem.score(answers)), when)

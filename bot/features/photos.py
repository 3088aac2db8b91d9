"""Photos and the result card.

A photo message goes to `on_image`: one photo is assessed at once; the parts of an image set (a
multi-photo message) wait in storage.image_sets until the last one arrives, or until the sweep
finds that none came for IMAGE_SET_WAIT and stores an internal `imageSetTimeout` event, which
answers (through the user's lane, once, also across a crash) with the parts that did arrive.

`on_photo(ctx, images)` assesses every photo and answers once: retake guidance (RETAKE_TEXTS)
when none passes the quality gate, else the answer for the most serious photo (a photo the
models did not judge ranks above a routine one: its questions decide). Shadow mode (models no
clinician validated): the image may raise concern but never reassures; without a concern the
card says so and the red-flag questions (acute and slow) decide the level. With
consent the assessment, the photo and its overlay are stored; without consent nothing is, and
the card offers no overlay link (that link would need the picture kept somewhere). Photos per
user and hour are limited in memory (settings.photos_per_hour), keyed by the pseudonymous log
reference, so the limit stores nothing about a user who has not consented.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import timedelta

from bot.domain import redflags as rules
from bot import texts
from bot.domain.triage import ALL_FLAGS, CLASSES, Triage, questions, rank, shadow_mode, triage
from bot.engine import logs, media, pending
from bot.engine.line_api import LineRejected
from bot.engine.router import Feature
from bot.tokens import derive_key
from bot.views import cards
from bot.views.cards import text_message
from inference import overlay_data
from inference.errors import InferenceError, ModelManifestError
from inference.familiarity import UNFAMILIAR
from storage import assessments, consent, image_sets, inbox

log = logging.getLogger(__name__)

# The quality gate's verdict (inference's Assessment.quality) -> the retake guidance it gets
# (texts in bot/texts/conversation.py). A verdict without a row gets the no_lesion text.
RETAKE_TEXTS = {
    "too_dark": "conv.retake_too_dark",
    "too_bright": "conv.retake_too_bright",
    "blurry": "conv.retake_blurry",
    "too_small": "conv.retake_too_small",
    "no_skin": "conv.retake_no_skin",
    "no_lesion": "conv.retake_no_lesion",
    "lesion_too_small": "conv.retake_lesion_too_small",
}
# A refused image (inference.errors, by code) -> what is wrong and what to do; another code
# gets conv.image_error ("send a JPEG or PNG").
ERROR_TEXTS = {
    "image_too_small": "conv.image_too_small",
    "image_too_large": "conv.image_too_large",
    "file_too_large": "conv.file_too_large",
    "corrupt_image": "conv.corrupt_image",
}
IMAGE_SET_WAIT = timedelta(seconds=60)
IMAGE_SET_TIMEOUT = "imageSetTimeout"  # the internal event type
LIMIT_WINDOW = timedelta(hours=1)
LOADING_AFTER = timedelta(seconds=1)  # an answer this late shows the typing dots (answer_late)


# --- photo messages and image sets ------------------------------------------------------------

def on_image(ctx):
    """Download the photo (or every photo of an image set, once the last part is here) and
    hand the bytes to the photo seam."""
    message = ctx.message
    image_set = message.get("imageSet")
    if image_set and int(image_set.get("total", 1)) > 1:
        message_ids = image_sets.add_part(ctx.db, image_set, message["id"], ctx.user_id, ctx.now())
        if message_ids is None:
            return  # more parts to come; the last one triggers the photo seam
    else:
        message_ids = [message["id"]]
    answer_photos(ctx, message_ids, image_set)


def answer_photos(ctx, message_ids, image_set=None):
    """Download the photos and hand them to the photo seam; then forget the set's parts (a
    crash before that replays the event, which finds the same parts again)."""
    if answer_late(ctx, len(message_ids)):
        ctx.loading(30)
    try:
        images = [ctx.line.content(message_id) for message_id in message_ids]
    except LineRejected:  # content expired or never uploaded
        ctx.answer({"type": "text", "text": ctx.t("core.photo_unavailable")})
    else:
        on_photo(ctx, images)
    if image_set:
        image_sets.finish(ctx.db, image_set)


def answer_late(ctx, photos: int) -> bool:
    """Will the patient wait for this answer? Then LINE's typing dots show we are on it. A
    photo is answered about 0.1 s after it is handled (RELIABILITY.md), and dots that flash for
    that long say nothing, while each is one more call to LINE, CPU a busy bot lacks (issue
    23). So: several photos, the models not loaded yet (first photo after a start), or an
    event that has waited (a queue, LINE redelivering)."""
    return photos > 1 or not ctx.services.models_loaded() or ctx.waited() >= LOADING_AFTER


def sweep_image_sets(services, db, now) -> int:
    """Store a timeout event for every set that has waited IMAGE_SET_WAIT since its newest part."""
    events = [timeout_event(stale, now) for stale in image_sets.stale(db, now - IMAGE_SET_WAIT)]
    return inbox.store(db, events, now) if events else 0


def timeout_event(stale: dict, now) -> dict:
    return {
        "type": IMAGE_SET_TIMEOUT,
        "mode": "active",
        "timestamp": int(now.timestamp() * 1000),
        "source": {"type": "user", "userId": stale["user_id"]},
        "webhookEventId": f"imageset-timeout:{stale['set_id']}:{stale['last_part_at']}",
        "imageSet": {"id": stale["set_id"], "total": stale["total"]},
    }


def on_image_set_timeout(ctx):
    image_set = ctx.event.get("imageSet") or {}
    message_ids = image_sets.parts(ctx.db, image_set.get("id"))
    if message_ids:  # none: the set was completed and answered meanwhile
        answer_photos(ctx, message_ids, image_set)


# --- photos per hour --------------------------------------------------------------------------

class PhotoLimiter:
    def __init__(self, limit: int, window: timedelta = LIMIT_WINDOW):
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._seen: dict[str, deque] = defaultdict(deque)

    def allow(self, who: str, count: int, now) -> bool:
        """Count `count` photos for `who` at `now` if they fit in the window; False (and
        nothing counted) when they do not."""
        with self._lock:
            times = self._seen[who]
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) + count > self.limit:
                return False
            times.extend([now] * count)
            return True


def photo_limiter(services) -> PhotoLimiter:
    """This app's limiter (each serving process counts on its own; a restart forgets)."""
    return services.features.setdefault("photo_limiter", PhotoLimiter(services.settings.photos_per_hour))


# --- the photo seam ---------------------------------------------------------------------------


@dataclass
class Looked:
    """One photo of the message and what the pipeline said about it."""

    data: bytes
    assessment: object | None = None  # inference Assessment
    error: InferenceError | None = None

    @property
    def ok(self) -> bool:
        return self.assessment is not None and self.assessment.ok

    @property
    def unfamiliar(self) -> bool:
        return self.assessment is not None and self.assessment.quality == UNFAMILIAR


class PipelineUnavailable(RuntimeError):
    """The models are missing or broken: photos cannot be assessed right now."""


def load_pipeline(ctx):
    try:
        return ctx.pipeline()
    except (ModelManifestError, OSError, ValueError, RuntimeError) as error:
        # onnxruntime reports a corrupt model as a RuntimeError subclass.
        raise PipelineUnavailable(type(error).__name__) from error


def look(pipeline, data: bytes, captions: dict | None = None) -> Looked:
    try:
        return Looked(data, assessment=pipeline.assess(data, captions=captions))
    except InferenceError as error:
        return Looked(data, error=error)


def observe(ctx, looked: list[Looked]):
    """Each photo's stage timings and verdict into the app's metrics, and one log line each."""
    metrics = ctx.services.metrics
    for item in looked:
        if item.assessment is None:
            metrics.refused(getattr(item.error, "code", None))
            continue
        stages = metrics.assessed(item.assessment)
        log.info("assessed a photo: %s", item.assessment.quality, extra=logs.fields(
            ctx.event_id, ctx.user_ref, "assess", duration_ms=round(item.assessment.stages_ms.get("total", 0.0), 1),
            stages_ms={name: round(value * 1000, 1) for name, value in stages.items()}))


def overlay_captions(ctx, shadow: bool = False) -> dict:
    return captions_for(ctx.lang, shadow)


def captions_for(lang: str, shadow: bool = False) -> dict:
    """Overlay lines in the user's language, per verdict, with the class names spelled out
    (templates: inference.overlay.caption_lines fills in the numbers). shadow: the models are
    not validated, so the overlay names no class and gives no percentage (CLINICAL.md)."""
    def t(key):
        return texts.t(key, lang)

    ok_lines = [t("conv.overlay_shadow"), t("conv.overlay_crops_shadow"), t("conv.overlay_legend_ok")] \
        if shadow else [t("conv.overlay_result"), t("conv.overlay_crops"), t("conv.overlay_legend_ok")]
    return {
        UNFAMILIAR: [t("conv.overlay_unfamiliar"), t("conv.overlay_legend")],
        "ok": ok_lines,
        "classes": {code: t(f"conv.cls_{code}") for code in CLASSES},
        "crop": "{n}" if shadow else t("conv.overlay_crop"),
        "no_crops": t("conv.overlay_no_crops"),
        "box": "{n}",  # the number only; the footer names the class in the user's language
        "models": [t("conv.overlay_models")],
        "checked": t("conv.checked_short"),  # filled by the overlay from the manifest
        "not_validated": t("conv.not_validated_short"),
    }


@dataclass
class Outcome:
    """One judged (or not judged) photo of the message and the level it gives."""

    item: Looked
    result: Triage
    probabilities: dict | None  # None: the models did not judge the photo


def worst(outcomes: list[Outcome]) -> Outcome:
    """The photo that matters most: highest rank (urgent, soon, questions, routine), then a
    photo the models did not judge, then the least like plain eczema."""
    return max(outcomes, key=lambda o: (rank(o.result.level), o.probabilities is None,
                                        1 - (o.probabilities or {}).get("AD", 0.0)))


def on_photo(ctx, images: list[bytes]):
    """The photo seam: one photo or a whole image set, assessed, answered once."""
    limiter = photo_limiter(ctx.services)
    if not limiter.allow(ctx.user_ref, len(images), ctx.now()):
        ctx.answer(text_message(ctx.t("conv.photo_limit", limit=limiter.limit)))
        return
    try:
        pipeline = load_pipeline(ctx)
        shadow = shadow_mode(pipeline.models, ctx.settings.research_preview)
    except PipelineUnavailable as error:
        log.warning("pipeline unavailable: %s", error)
        ctx.answer(text_message(ctx.t("conv.unavailable")))
        return
    pending.forget(ctx, rules.ACTION)  # a new photo: the questions of the last one wait no more
    looked = [look(pipeline, data, overlay_captions(ctx, shadow)) for data in images]
    observe(ctx, looked)
    outcomes = []
    for item in looked:
        if item.ok:
            probabilities = rules.rounded(item.assessment.probabilities)
            outcomes.append(Outcome(item, triage(probabilities, shadow=shadow), probabilities))
        elif item.unfamiliar:
            outcomes.append(Outcome(item, triage(None, shadow=shadow), None))
    if not outcomes:
        ctx.answer(_refusal(ctx, looked))
        return
    chosen = worst(outcomes)
    ctx.services.metrics.level(chosen.result.level)
    unreadable = sum(1 for item in looked if item.error is not None)
    unjudged = sum(1 for item in looked if item.assessment is not None and not item.ok
                   and item is not chosen.item)
    notes = _set_notes(ctx, len(images), unreadable, unjudged)
    if chosen.probabilities is None:
        ctx.answer(_not_judged(ctx, chosen, len(images), notes, shadow))
    elif chosen.result.pending:
        ctx.answer(_questions_card(ctx, chosen, len(images), notes, shadow))
    else:
        ctx.answer(_result(ctx, chosen, len(images), notes, shadow))


def _set_notes(ctx, total: int, unreadable: int, unjudged: int) -> list[str]:
    """An image set's notes: how many photos, how many could not be read (not decoded) and
    how many were read but not judged (quality gate or unlike the training photos)."""
    notes = [ctx.t("conv.set_note", n=total)] if total > 1 else []
    if unreadable:
        notes.append(ctx.t("conv.set_skipped", k=unreadable))
    if unjudged:
        notes.append(ctx.t("conv.set_not_judged", k=unjudged))
    return notes


def _refusal(ctx, looked: list[Looked]) -> dict:
    assessed = [item.assessment for item in looked if item.assessment is not None]
    if assessed:
        return retake_message(ctx, assessed[0].quality, dict(assessed[0].models), assessed[0])
    codes = [item.error.code for item in looked if item.error is not None]
    return text_message(ctx.t(ERROR_TEXTS.get(codes[0] if codes else "", "conv.image_error")))


# Verdicts after which the patient may still have a rash the models missed: the retake
# guidance offers the red-flag questions too ("I could not find a rash", not "no rash"), as it
# does for a face or a scene (retake_message).
OFFER_QUESTIONS = ("no_lesion", "lesion_too_small")


# A close-up of a rash fills most of the frame with skin (the real set's healthy forearm close-up:
# 0.98). Portraits, faces and rooms of people (models/realset, label healthy_skin) come out of the
# segmenter with skin in 0.002-0.33 of the frame and no crop: they get "a face or a scene", not
# "I cannot see skin" nor "the rash looks small" (a patch on someone's clothing).
SCENE_MAX_SKIN = 0.35
NO_SKIN_AT_ALL = 0.001  # below this the segmenter saw no skin anywhere (text, objects, plants)


def retake_key(quality: str, assessment=None) -> str:
    """The retake text for what the gate and the segmenter saw: the verdict's own text, or the
    "face or scene" text when there is some skin but little of it and no crop (the Assessment's
    skin_fraction and crops)."""
    if assessment is not None and not assessment.crops:
        skin = assessment.skin_fraction or 0.0
        if quality == "no_skin" and skin >= NO_SKIN_AT_ALL:
            return "conv.retake_scene"
        if quality in OFFER_QUESTIONS and skin < SCENE_MAX_SKIN:
            return "conv.retake_scene"
    return RETAKE_TEXTS.get(quality, RETAKE_TEXTS["no_lesion"])


def retake_message(ctx, quality: str, models: dict | None = None, assessment=None) -> dict:
    """Concrete guidance for a photo that failed the quality gate, in words that fit what the
    photo showed (retake_key), with camera shortcuts (and the questions when the photo showed
    skin but no rash the models could find; `models` names the models on the card their
    answers bring)."""
    key = retake_key(quality, assessment)
    lines = [ctx.t(key)]
    quick = [
        {"type": "camera", "label": ctx.t("conv.qr_camera")},
        {"type": "cameraRoll", "label": ctx.t("conv.qr_camera_roll")},
    ]
    # A face or a scene too: someone with a complication who sent a wide photo should not be
    # told only to retake it.
    if quality in OFFER_QUESTIONS or key == "conv.retake_scene":
        state = rules.fresh(None, models or {}, ALL_FLAGS, taken_at=int(ctx.now().timestamp()))
        label = ctx.t("conv.qr_questions")
        quick.append(cards.postback(label, rules.encode(state, redflag_key(ctx)), label))
        if key == "conv.retake_scene":
            lines.append(ctx.t("conv.retake_questions_too"))
    return text_message("\n".join([*lines, ctx.t("conv.retake_tips")]), quick)


def _stored(ctx, outcome: Outcome, total: int, notes: list[str]) -> tuple[int | None, str | None]:
    """With consent, keep the photo, its overlay and the result; the notes say what was kept."""
    if not consent.given(ctx.db, ctx.user_id):
        notes.append(ctx.t("conv.not_stored"))
        return None, None
    try:
        return _store(ctx, outcome.item, outcome.result, total)
    except OSError as error:
        # Disk full or read-only: the result (maybe an urgent one) matters more than our
        # copy of it, so answer anyway; no result row is left pointing at a missing photo.
        log.error("photo and result not stored: %s", type(error).__name__)
        notes.append(ctx.t("conv.store_failed"))
        return None, None


def _questionnaire(ctx, outcome: Outcome, assessment_id, shadow: bool) -> rules.RedFlagState:
    return rules.fresh(outcome.probabilities, dict(outcome.item.assessment.models),
                       questions(outcome.probabilities, shadow), assessment_id=assessment_id,
                       taken_at=int(ctx.now().timestamp()))


def _first_question(ctx, state: rules.RedFlagState) -> dict:
    """The first question, asked at once; a typed yes/no answers it too."""
    key = redflag_key(ctx)
    pending.ask(ctx, rules.ACTION, rules.encode(state, key))
    return cards.red_flag_question(ctx.lang, state, key)


def _not_judged(ctx, outcome: Outcome, total: int, notes: list[str], shadow: bool) -> list[dict]:
    """A photo unlike the training photos: say so, give retake tips, and still help: the
    red-flag questions give a level from the answers alone (no disease named, no numbers)."""
    assessment_id, _ = _stored(ctx, outcome, total, notes)
    state = _questionnaire(ctx, outcome, assessment_id, shadow)
    text = "\n".join([ctx.t("conv.unfamiliar"), ctx.t("conv.retake_tips"), *notes,
                      ctx.t("conv.unfamiliar_help", n=len(state.flags))])
    return [text_message(text), _first_question(ctx, state)]


def _questions_card(ctx, outcome: Outcome, total: int, notes: list[str], shadow: bool) -> list[dict]:
    """Shadow mode, a photo that raised no concern: the card says the photo was looked at (and
    kept), that the AI is not validated to rule anything out, and that the answers decide;
    then the first question."""
    assessment_id, overlay_url = _stored(ctx, outcome, total, notes)
    if assessment_id is not None:
        notes.insert(0, ctx.t("conv.photo_kept"))
    state = _questionnaire(ctx, outcome, assessment_id, shadow)
    card = cards.result_card(ctx.lang, outcome.result, None, dict(outcome.item.assessment.models),
                             notes=tuple(notes), overlay_url=overlay_url, questions=len(state.flags))
    return [card, _first_question(ctx, state)]


def _result(ctx, outcome: Outcome, total: int, notes: list[str], shadow: bool) -> dict:
    """A level the image gave: a complication's concern (any model), or a validated model's
    full verdict; the questions wait behind the card's button."""
    assessment_id, overlay_url = _stored(ctx, outcome, total, notes)
    state = _questionnaire(ctx, outcome, assessment_id, shadow)
    return cards.result_card(
        ctx.lang, outcome.result, outcome.probabilities, dict(outcome.item.assessment.models),
        notes=tuple(notes), questions_data=rules.encode(state, redflag_key(ctx)),
        overlay_url=overlay_url, questions=len(state.flags),
        research_preview=ctx.settings.research_preview and not outcome.item.assessment.models.get("validated"),
    )


def redflag_key(ctx) -> bytes:
    """Signs the questions' postback data (bot/domain/redflags.py); the redflags feature
    derives the same key."""
    return derive_key(ctx.settings.channel_secret, rules.ACTION)


def _store(ctx, chosen: Looked, result: Triage, total: int) -> tuple[int, str | None]:
    """Keep the photo and what its overlay is drawn from in the user's folder (engine/media.py),
    and the result."""
    ref = secrets.token_urlsafe(12)
    media.store(ctx.settings, ctx.user_id, "photo", ref, chosen.data, ctx.now())
    overlay_ref = None
    # The overlay and the clinic's label page's starting mask are drawn from this data when first
    # opened (engine/media.py), never segmented again in a web request; an assessment process
    # made it beside the masks.
    try:
        drawing = getattr(chosen.assessment, "overlay_data", None) or overlay_data.dumps(chosen.assessment)
        media.store_overlay_data(ctx.settings, ctx.user_id, ref, drawing, ctx.now())
        overlay_ref = ref
    except Exception:  # noqa: BLE001 — the result stands without its picture
        log.exception("overlay data not kept")  # the page then says the AI's extent is not ready
    assessment_id = assessments.add(
        ctx.db, ctx.user_id, ctx.now(), chosen.assessment.to_dict(), result,
        photos=total, photo_ref=ref, overlay_ref=overlay_ref,
    )
    url = media.media_url(ctx.settings, ctx.user_id, "overlay", overlay_ref, ctx.now()) if overlay_ref else None
    return assessment_id, url


FEATURE = Feature(
    "photos",
    messages={"image": on_image},
    events={IMAGE_SET_TIMEOUT: on_image_set_timeout},
    sweeps=(sweep_image_sets,),
)

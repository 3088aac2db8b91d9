"""The photo seam: `on_photo(ctx, images)` gets the bytes of one photo or of a whole image set.

Assess every photo, answer once: retake guidance when none passes the quality gate, else
the result card of the most worrying photo. With consent the assessment, the photo and
its overlay are stored; without consent nothing is, and the card offers no overlay link
(that link would need the picture kept somewhere).
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from bot import abuse, cards, media, redflags
from bot.cards import text_message
from bot.triage import LEVELS, Triage, triage
from inference.errors import InferenceError, ModelManifestError
from storage import assessments, consent

log = logging.getLogger(__name__)


@dataclass
class Looked:
    """One photo of the message and what the pipeline said about it."""

    data: bytes
    assessment: object | None = None  # inference Assessment
    error: InferenceError | None = None

    @property
    def ok(self) -> bool:
        return self.assessment is not None and self.assessment.ok


class PipelineUnavailable(RuntimeError):
    """The models are missing or broken: photos cannot be assessed right now."""


def load_pipeline(ctx):
    try:
        return ctx.pipeline()
    except (ModelManifestError, OSError, ValueError, RuntimeError) as error:
        # onnxruntime reports a corrupt model as a RuntimeError subclass.
        raise PipelineUnavailable(type(error).__name__) from error


def look(pipeline, data: bytes) -> Looked:
    try:
        return Looked(data, assessment=pipeline.assess(data))
    except InferenceError as error:
        return Looked(data, error=error)


def worst(results: list[tuple[Looked, Triage, dict]]):
    """The photo that matters most: highest level, then least like plain eczema."""
    return max(results, key=lambda r: (LEVELS.index(r[1].level), 1 - r[2]["AD"]))


def on_photo(ctx, images: list[bytes]):
    limiter = abuse.photo_limiter(ctx.services)
    if not limiter.allow(ctx.user_ref, len(images), ctx.now()):
        ctx.answer(text_message(ctx.t("conv.photo_limit", limit=limiter.limit)))
        return
    try:
        pipeline = load_pipeline(ctx)
    except PipelineUnavailable as error:
        log.warning("pipeline unavailable: %s", error)
        ctx.answer(text_message(ctx.t("conv.unavailable")))
        return
    looked = [look(pipeline, data) for data in images]
    usable = [item for item in looked if item.ok]
    if not usable:
        ctx.answer(_refusal(ctx, looked))
        return
    results = []
    for item in usable:
        probabilities = redflags.rounded(item.assessment.probabilities)
        results.append((item, triage(probabilities), probabilities))
    chosen, result, probabilities = worst(results)
    ctx.answer(_result(ctx, chosen, result, probabilities, len(images), len(images) - len(usable)))


def _refusal(ctx, looked: list[Looked]) -> dict:
    verdicts = [item.assessment.quality for item in looked if item.assessment is not None]
    if verdicts:
        return cards.retake_message(ctx.lang, verdicts[0])
    return text_message(ctx.t("conv.image_error"))


def _result(ctx, chosen: Looked, result: Triage, probabilities: dict, total: int, skipped: int) -> dict:
    models = dict(chosen.assessment.models)
    notes = []
    if total > 1:
        notes.append(ctx.t("conv.set_note", n=total))
    if skipped:
        notes.append(ctx.t("conv.set_skipped", k=skipped))
    assessment_id, overlay_url = None, None
    if consent.given(ctx.db, ctx.user_id):
        try:
            assessment_id, overlay_url = _store(ctx, chosen, result, total)
        except OSError as error:
            # Disk full or read-only: the result (maybe an urgent one) matters more than our
            # copy of it, so answer anyway; no result row is left pointing at a missing photo.
            log.error("photo and result not stored: %s", type(error).__name__)
            notes.append(ctx.t("conv.store_failed"))
    else:
        notes.append(ctx.t("conv.not_stored"))
    state = redflags.RedFlagState(probabilities, models, assessment_id=assessment_id)
    return cards.result_card(
        ctx.lang, result, probabilities, models,
        notes=tuple(notes), questions_data=redflags.encode(state), overlay_url=overlay_url,
    )


def _store(ctx, chosen: Looked, result: Triage, total: int) -> tuple[int, str | None]:
    """Keep the photo and its overlay in the user's folder (bot.media) and the result."""
    ref = secrets.token_urlsafe(12)
    media.store(ctx.config, ctx.user_id, "photo", ref, chosen.data, ctx.now())
    overlay_ref = None
    try:
        media.store(ctx.config, ctx.user_id, "overlay", ref, chosen.assessment.overlay_jpeg(), ctx.now())
        overlay_ref = ref
    except Exception:  # noqa: BLE001 — the result stands without its picture
        log.exception("overlay not drawn")
    assessment_id = assessments.add(
        ctx.db, ctx.user_id, ctx.now(), chosen.assessment.to_dict(), result,
        photos=total, photo_ref=ref, overlay_ref=overlay_ref,
    )
    return assessment_id, overlay_link(ctx, overlay_ref) if overlay_ref else None


def overlay_link(ctx, ref: str) -> str:
    """A signed, expiring link to a stored overlay, served by bot.media's /media route."""
    return media.media_url(ctx.config, ctx.user_id, "overlay", ref, ctx.now())

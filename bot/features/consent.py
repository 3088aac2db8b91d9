"""Follow, greeting and consent: give, decline, withdraw (postbacks and text); and the retention
purge of everything older than the period the patient was promised (settings.retention_days)."""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.engine import media
from bot.engine.router import Command, Feature
from bot.views.cards import postback, text_message
from storage import assessments, clinic_labels, consent, files, research, retention, users
from storage.db import now_iso

log = logging.getLogger(__name__)


def _years(ctx) -> str:
    years = ctx.settings.retention_days / 365
    return f"{years:g}" if years >= 1 else f"{years:.1f}"


def request_message(ctx) -> dict:
    agree, later = ctx.t("conv.qr_agree"), ctx.t("conv.qr_not_now")
    return text_message(
        ctx.t("conv.consent_request", years=_years(ctx)),
        [postback(agree, "action=consent&v=yes", agree), postback(later, "action=consent&v=no", later)],
    )


def on_follow(ctx):
    """Greeting (what the bot does and does not do, 119), then the consent question."""
    users.follow(ctx.db, ctx.user_id, ctx.now(), ctx.lang)  # ctx.lang: the profile's, unless chosen
    messages = [text_message(ctx.t("conv.greeting"))]
    if consent.given(ctx.db, ctx.user_id):
        messages.append(text_message(ctx.t("conv.consent_status_yes", years=_years(ctx))))
    else:
        messages.append(request_message(ctx))
    ctx.answer(messages)


def give(ctx):
    users.ensure(ctx.db, ctx.user_id, ctx.now(), ctx.lang)
    consent.record(ctx.db, ctx.user_id, consent.GIVEN, ctx.now())
    ctx.answer(text_message(ctx.t("conv.consent_given")))


def decline(ctx):
    users.ensure(ctx.db, ctx.user_id, ctx.now(), ctx.lang)
    consent.record(ctx.db, ctx.user_id, consent.DECLINED, ctx.now())
    ctx.answer(text_message(ctx.t("conv.consent_declined")))


def withdraw(ctx):
    """Erase everything kept (as "delete my data" does), then remember only the answer
    and the language, so nothing is stored from now on."""
    # Answer first, as "delete my data" does: forget() also closes this very event in the
    # inbox, so an answer failing after it (LINE down) would never be retried.
    ctx.answer(text_message(ctx.t("conv.consent_withdrawn")))
    users.forget(ctx.db, ctx.user_id, ctx.settings.files_dir)
    users.ensure(ctx.db, ctx.user_id, ctx.now(), ctx.lang)
    consent.record(ctx.db, ctx.user_id, consent.WITHDRAWN, ctx.now())


def status(ctx):
    """Where the user stands, with the one change that makes sense from there."""
    if consent.given(ctx.db, ctx.user_id):
        withdraw_label, keep = ctx.t("conv.qr_withdraw"), ctx.t("conv.qr_keep")
        choices = [postback(withdraw_label, "action=consent&v=withdraw", withdraw_label),
                   postback(keep, "action=consent&v=keep", keep)]
        text = ctx.t("conv.consent_status_yes", years=_years(ctx))
        if research.given(ctx.db, ctx.user_id):  # research use (features/sharing.py) is revoked here too
            stop = ctx.t("research.qr_withdraw")
            choices.append(postback(stop, "action=research&v=withdraw", stop))
            text += "\n" + ctx.t("research.status_given")
        ctx.answer(text_message(text, choices))
        return
    ctx.answer([text_message(ctx.t("conv.consent_status_no")), request_message(ctx)])


def keep(ctx):
    ctx.answer(text_message(ctx.t("conv.consent_status_yes", years=_years(ctx))))


CHOICES = {"yes": give, "no": decline, "withdraw": withdraw, "keep": keep}


def on_consent_postback(ctx, params: dict):
    CHOICES.get(params.get("v", ""), status)(ctx)


def consent_command(ctx, rest: str = ""):
    status(ctx)


def purge_expired(services, db, now) -> dict:
    """Worker maintenance: everything of a user's health data older than the retention period
    we promised goes — rows of every health table (storage.retention) and the files in the
    users' folders (photos, overlays, charts) dated before the cutoff. Returns rows per table
    and the number of files."""
    settings = services.settings
    cutoff = now - timedelta(days=settings.retention_days)
    for row in assessments.older_than(db, now_iso(cutoff)):  # by name, whatever a file's date
        folder = files.user_dir(settings.files_dir, row["user_id"])
        for kind, ref in (("photo", row["photo_ref"]), ("overlay", row["overlay_ref"])):
            if ref:
                (folder / media.file_name(kind, ref)).unlink(missing_ok=True)
        if row["overlay_ref"]:  # an overlay never opened: what it would be drawn from
            (folder / media.overlay_data_name(row["overlay_ref"])).unlink(missing_ok=True)
        if row["photo_ref"]:  # the label page's starting mask, kept beside the photo
            (folder / clinic_labels.model_mask_file(row["photo_ref"])).unlink(missing_ok=True)
    deleted = retention.purge(db, cutoff)
    deleted["files"] = files.remove_older_than(settings.files_dir, cutoff.timestamp())
    if any(deleted.values()):
        log.info("retention: deleted %s older than %s", deleted, cutoff.date())
    return deleted


FEATURE = Feature(
    "consent",
    events={"follow": on_follow},
    commands=(Command("consent", ("同意", "同意・データ"), ("consent",), "記録の保存への同意を確認・変更します",
                      "see or change your consent to keep records", consent_command),),
    actions={"consent": on_consent_postback},
    maintenance=(purge_expired,),
)

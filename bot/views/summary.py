"""A patient's record as a clinician reads it: results (level, finding, probabilities, red-flag
answers), POEM check-ins, dates in the patient's time zone, and photo thumbnails. Shared by the
anonymous summary page (features/referral.py) and the clinic workspace (features/workspace)."""

import datetime as dt
import io

from PIL import Image, ImageOps

from bot.domain import schedule
from bot.domain.triage import ALL_FLAGS, LEVELS
from bot.texts import t
from bot.views.findings import finding_text
from storage import reminders as reminder_rows

THUMB_PX = 640


def user_zone(db, user_id):
    return schedule.zone(reminder_rows.user_tz(db, user_id))


def local(iso, tz, pattern="%Y-%m-%d %H:%M"):
    return dt.datetime.fromisoformat(iso).astimezone(tz).strftime(pattern)


def assessment_view(row, lang, tz):
    return {
        "id": row["id"], "date": local(row["created_at"], tz),
        "level": t(f"chart.risk.{row['level']}", lang), "level_code": row["level"],
        # The triage finding (a complication can lead with less than the top probability),
        # then every class's probability, so a clinician sees both; a finding from the answers
        # is labelled so, and an unvalidated model's as its guess.
        "top": finding_text(row, lang, clinician=True),
        "probabilities": " · ".join(
            f"{t('conv.cls_' + code, lang)} {100 * p:.0f}%"
            for code, p in sorted((row["probabilities"] or {}).items(), key=lambda item: -item[1])),
        "p_not_ad": None if row["p_not_ad"] is None else f"{100 * row['p_not_ad']:.0f}%",
        "lesion": None if row["lesion_fraction"] is None else f"{100 * row['lesion_fraction']:.1f}%",
        "models": row["models"], "validated": bool(row["validated"]),
        "model_version": row.get("model_version"),  # the installed set that answered (issue 22)
        "photo": row["photo_ref"], "overlay": row["overlay_ref"],
        "flags": row["flags"] or {},
        "flags_text": flags_text(row["flags"], lang),
        # The photo's own level, when the answers raised it.
        "image_level": t(f"chart.risk.{row['image_level']}", lang)
        if row.get("image_level") in LEVELS and row["image_level"] != row["level"] else None,
    }


def checkin_views(checkins, lang, tz):
    return [{**c, "band_text": t(f"poem.band.{c['band']}", lang), "date": local(c["completed_at"], tz, "%Y-%m-%d")}
            for c in checkins]


def flags_text(flags: dict | None, lang: str) -> str:
    """The red-flag answers "yes", spelled out; none; or not answered."""
    if not flags:
        return t("referral.flags_unanswered", lang)
    yes = [t(f"conv.ans_{flag}", lang) for flag in ALL_FLAGS if flags.get(flag)]
    return t("referral.flags_join", lang).join(yes) if yes else t("referral.flags_none", lang)


def thumbnail(data, size=THUMB_PX):
    """An upright JPEG no larger than size (EXIF orientation applied, metadata dropped)."""
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((size, size))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
    return out.getvalue()

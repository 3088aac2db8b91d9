"""Labelling: the queue of research-consented photos (most useful first), one photo's label page
(photo, the model's overlay, diagnosis, a lesion painted on a canvas over the photo, the skin
pre-filled from the model's mask), a second clinician's label beside one's own once both exist,
and the clinic's agreement (Cohen's kappa) on the summary page, with the AI against the
clinicians' labels per model version (models/monitor.py). Every label is audited."""

import os
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, g, redirect, render_template, request, url_for

from bot import texts
from bot.engine import media
from bot.features.workspace import agreement, masks
from bot.features.workspace.pages import (WORK_PX, clinic_name, page_number, patient_code, picture_bytes, services,
                                          shared_photo)
from bot.features.workspace.web import bp, db, now, refuse
from bot.views import summary
from models import monitor
from storage import audit, clinic_labels, clinic_referrals, files, research, staff

QUEUE_SHOWN = 50


@bp.get("/queue")
def queue():
    photos = clinic_labels.queue(db(), g.staff["clinic_id"], g.staff["staff_id"])
    # The most useful first, a page at a time; every photo is reachable.
    pages = max(1, -(-len(photos) // QUEUE_SHOWN))
    page = page_number(pages)
    start = (page - 1) * QUEUE_SHOWN
    return render_template("workspace/queue.html", photos=photos[start:start + QUEUE_SHOWN], first=start + 1,
                           page=page, pages=pages, total=len(photos))


@bp.get("/photos/<int:assessment_id>/label")
def label_page(assessment_id):
    row = shared_photo(assessment_id, research_only=True)
    clinic_id, me = g.staff["clinic_id"], g.staff["staff_id"]
    mine = clinic_labels.mine(db(), clinic_id, me, assessment_id)
    # Independent labels: another clinician's is shown only once this clinician has labelled.
    others = [dict(label, email=(staff.get(db(), label["staff_id"]) or {}).get("email", "?"))
              for label in clinic_labels.of_photo(db(), clinic_id, assessment_id)
              if mine and label["staff_id"] != me]
    upcoming = [p["id"] for p in clinic_labels.queue(db(), clinic_id, me) if not p["mine"] and p["id"] != assessment_id]
    return render_template("workspace/label.html", photo=row, mine=mine, others=others,
                           diagnoses=clinic_labels.DIAGNOSES, next_id=upcoming[0] if upcoming else None,
                           size=masks.work_size(picture_bytes(row, "photo"), WORK_PX), saved=request.args.get("saved"),
                           **beside(row))


def beside(row) -> dict:
    """What the label page shows beside the canvas: the patient's code and a link back, the
    photo's date, the AI's guess (marked unvalidated) and the patient's other photos."""
    clinic_id = g.staff["clinic_id"]
    referral = clinic_referrals.patient_of(db(), clinic_id, row["user_id"])
    tz = summary.user_zone(db(), row["user_id"])
    others = [summary.assessment_view(other, g.lang, tz)
              for other in clinic_labels.shared_photos(db(), clinic_id, row["user_id"]) if other["id"] != row["id"]]
    return {"referral": referral, "code": patient_code(referral) if referral else "",
            "view": summary.assessment_view(row, g.lang, tz), "other_photos": others[:12]}


@bp.get("/photos/<int:assessment_id>/model-mask.png")
def model_mask(assessment_id):
    """The segmenter's skin and lesion on this photo at the painting size, from the masks the
    worker kept when it assessed the photo (with the overlay's data, engine/media.py), made
    into the painting-size mask the first time it is asked for and kept
    (storage.clinic_labels.save_model_mask): a web request never runs the segmenter (DEPLOY.md:
    web nodes run no inference). Without them, an empty mask, and the page says the AI's
    extent is not ready (X-Model-Mask: none)."""
    row = shared_photo(assessment_id, research_only=True)
    folder = files.user_dir(services().settings.files_dir, row["user_id"])
    path = folder / clinic_labels.model_mask_file(row["photo_ref"])
    if not path.is_file():
        kept_model_mask(folder, row)
    found = path.is_file()
    classes = masks.read(path) if found else masks.from_model(None, masks.work_size(picture_bytes(row, "photo"), WORK_PX))
    # The outline of a patient's skin is a view of the photo too.
    audit.add(db(), now(), audit.VIEW_PHOTO, f"{assessment_id}:model_mask", g.staff["staff_id"],
              g.staff["clinic_id"])
    response = Response(masks.png(classes), mimetype="image/png")
    response.headers["X-Model-Mask"] = "stored" if found else "none"
    return response


def kept_model_mask(folder, row):
    """Make the painting-size mask from the masks kept with the overlay's data, dated like it."""
    source = media.overlay_source(folder, row["overlay_ref"]) if row["overlay_ref"] else None
    if source is None:
        return
    kept, dated = source
    if kept.masks is None or kept.full_size is None:
        return
    path = clinic_labels.save_model_mask(services().settings.files_dir, row["user_id"], row["photo_ref"], None,
                                         kept.masks, size=kept.full_size)  # sized from the decode's full size
    os.utime(path, (dated, dated))  # retention ages it with the photo


@bp.post("/photos/<int:assessment_id>/label")
def save_label(assessment_id):
    row = shared_photo(assessment_id, research_only=True)
    diagnosis = request.form.get("diagnosis", "")
    if diagnosis not in clinic_labels.DIAGNOSES:
        return refuse("ws2.bad_diagnosis")
    try:
        classes = masks.from_browser(request.form.get("mask", ""), masks.work_size(picture_bytes(row, "photo"), WORK_PX))
    except masks.BadMask:
        return refuse("ws2.bad_mask")
    folder = files.user_dir(services().settings.files_dir, row["user_id"], create=True)
    ref = secrets.token_urlsafe(9)
    files.write_private(folder / research.mask_file(ref), masks.png(classes))
    label, replaced = clinic_labels.save(db(), g.staff["clinic_id"], g.staff["staff_id"], row, diagnosis, ref, now())
    if replaced:
        (folder / research.mask_file(replaced)).unlink(missing_ok=True)
    audit.add(db(), now(), audit.LABEL, label["label_id"], g.staff["staff_id"], g.staff["clinic_id"])
    return redirect(url_for("workspace.label_page", assessment_id=assessment_id, saved=1))


@bp.get("/labels/<label_id>/mask.png")
def label_mask(label_id):
    """A label's mask in colour, for the side-by-side view: own labels, and others' only on a
    photo this clinician has labelled too."""
    clinic_id, me = g.staff["clinic_id"], g.staff["staff_id"]
    found = [label for label in clinic_labels.by_id(db(), clinic_id, label_id)
             if label["staff_id"] == me or clinic_labels.mine(db(), clinic_id, me, label["assessment_id"])]
    if not found or not found[0]["mask_ref"]:
        abort(404)
    row = shared_photo(found[0]["assessment_id"], research_only=True)
    path = files.user_dir(services().settings.files_dir, row["user_id"]) / research.mask_file(found[0]["mask_ref"])
    if not path.is_file():
        abort(404)
    classes = masks.read(path)
    audit.add(db(), now(), audit.VIEW_PHOTO, f"{found[0]['assessment_id']}:label_mask:{label_id}",
              g.staff["staff_id"], clinic_id)
    # raw: the classes themselves, for the canvas to go on painting one's own label
    return Response(masks.png(classes) if request.args.get("raw") else masks.coloured(classes), mimetype="image/png")


@bp.get("/summary")
def summary_page():
    clinic_id = g.staff["clinic_id"]
    emails = {row["staff_id"]: row["email"] for row in staff.all_staff(db()) if row["clinic_id"] == clinic_id}
    raters = [dict(pair, a=emails.get(pair["a"], "?"), b=emails.get(pair["b"], "?"))
              for pair in agreement.per_pair(clinic_labels.rater_pairs(db(), clinic_id))]
    monitored = monitor.check(db(), clinic_id, now())  # an alert is audited here, once per version
    entries = audit.entries(db(), clinic_id)[-200:] if g.staff["role"] == "admin" else []
    return render_template("workspace/summary.html", raters=raters, few=agreement.FEW,
                           monitored=monitored, admin=g.staff["role"] == "admin",
                           monitor_classes=(*monitor.CLASSES, monitor.NONE),
                           counts=clinic_labels.counts(db(), clinic_id), diagnoses=clinic_labels.DIAGNOSES,
                           entries=[audit_view(e, emails) for e in reversed(entries)], tz=AUDIT_TZ,
                           clinic=clinic_name(clinic_id))


AUDIT_TZ = ZoneInfo("Asia/Tokyo")  # the clinics of the clinic list are in Japan


def audit_view(entry, emails) -> dict:
    """One audit row as the reader reads it: local time, staff by email, the action in words."""
    who = entry["staff_id"] or ""
    if who.startswith(audit.CLI):
        who = texts.t("ws2.audit_cli", g.lang, who=who[len(audit.CLI):])
    else:
        who = emails.get(who, who)
    when = datetime.fromisoformat(entry["at"]).astimezone(AUDIT_TZ).strftime("%Y-%m-%d %H:%M:%S")
    try:
        action = texts.t(f"ws2.action.{entry['action']}", g.lang)
    except texts.UnknownText:
        action = entry["action"]
    # A sign-in's or an account's subject is a staff id: shown by email too.
    return {"at": when, "who": who, "action": action, "code": entry["action"],
            "subject": emails.get(entry["subject"], entry["subject"])}

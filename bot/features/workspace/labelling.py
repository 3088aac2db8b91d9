"""Labelling: the queue of research-consented photos (most useful first), one photo's label page
(photo, the model's overlay, diagnosis, a lesion painted on a canvas over the photo, the skin
pre-filled from the model's mask), a second clinician's label beside one's own once both exist,
and the clinic's agreement (Cohen's kappa) on the summary page. Every label is audited."""

import secrets

from flask import Response, abort, g, redirect, render_template, request, url_for

from bot.domain.agreement import cohen_kappa
from bot.features.workspace import masks
from bot.features.workspace.pages import WORK_PX, clinic_name, picture_bytes, services, shared_photo
from bot.features.workspace.web import bp, db, now
from inference.errors import InferenceError
from storage import audit, clinic_labels, files, research, staff

QUEUE_SHOWN = 50


@bp.get("/queue")
def queue():
    photos = clinic_labels.queue(db(), g.staff["clinic_id"], g.staff["staff_id"])
    # The most useful first, so the head of the queue is all a page needs to show.
    return render_template("workspace/queue.html", photos=photos[:QUEUE_SHOWN], more=len(photos) - QUEUE_SHOWN)


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
                           size=masks.work_size(picture_bytes(row, "photo"), WORK_PX), saved=request.args.get("saved"))


@bp.get("/photos/<int:assessment_id>/model-mask.png")
def model_mask(assessment_id):
    """The segmenter's skin and lesion on this photo at the painting size: the canvas starts
    from it (red channel = class)."""
    row = shared_photo(assessment_id, research_only=True)
    photo = picture_bytes(row, "photo")
    pipeline = services().pipeline()
    # The masks stay in the process that ran the segmenter: use the in-process pipeline that a
    # pool of assessment processes (engine/assess_pool.py) keeps beside itself.
    local = getattr(pipeline, "pipeline", pipeline)
    try:
        found = local.segment_photo(photo)  # the segmenter alone: no gate, no classifier
    except InferenceError:  # an unreadable photo: the clinician paints from nothing
        found = None
    classes = masks.from_model(found, masks.work_size(photo, WORK_PX))
    # The outline of a patient's skin is a view of the photo too.
    audit.add(db(), now(), audit.VIEW_PHOTO, f"{assessment_id}:model_mask", g.staff["staff_id"],
              g.staff["clinic_id"])
    return Response(masks.png(classes), mimetype="image/png")


@bp.post("/photos/<int:assessment_id>/label")
def save_label(assessment_id):
    row = shared_photo(assessment_id, research_only=True)
    diagnosis = request.form.get("diagnosis", "")
    if diagnosis not in clinic_labels.DIAGNOSES:
        abort(400)
    try:
        classes = masks.from_browser(request.form.get("mask", ""), masks.work_size(picture_bytes(row, "photo"), WORK_PX))
    except masks.BadMask:
        abort(400)
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
    pairs = clinic_labels.pairs(db(), clinic_id)
    counts = clinic_labels.counts(db(), clinic_id)
    agreed = sum(a == b for a, b in pairs)
    entries = audit.entries(db(), clinic_id)[-200:] if g.staff["role"] == "admin" else []
    return render_template("workspace/summary.html", kappa=cohen_kappa(pairs), pairs=len(pairs), agreed=agreed,
                           counts=counts, diagnoses=clinic_labels.DIAGNOSES, entries=entries,
                           clinic=clinic_name(clinic_id))

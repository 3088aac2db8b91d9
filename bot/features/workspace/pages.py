"""The clinic's referrals: the list (same-day cases first, filtered by status and level, found
by the code the patient shows, a page at a time), one patient's record (results a page at a
time, red-flag answers, POEM trend, photos with overlays in a viewer, dates in the patient's
time zone), the status the clinic sets (who and when), and the photos themselves (each view is
audited). Another clinic's patient is a 404."""

from flask import Response, abort, g, redirect, render_template, request, url_for

from bot.domain import clinics, triage
from bot.engine import media
from bot.features.workspace.web import bp, db, now, refuse, services
from bot.views import charts, summary
from storage import assessments, audit, clinic_labels, clinic_referrals, files, research, staff
from storage import poem as poem_store

WORK_PX = clinic_labels.WORK_PX  # photos are shown (and masks painted) at most this large, upright
MAX_ID = 2**63 - 1  # a database id; a longer number in a URL is simply not there
MAX_RESULTS = 20  # results per page of a patient's record
PAGE = 50  # referrals per page of the list
MAX_PAGE = 10_000  # a longer ?page= is past any record's end anyway
LEVELS = tuple(reversed(triage.RANKS))  # the list's level filter, the most urgent first


def clinic_name(clinic_id) -> str:
    found = clinics.by_id(clinics.cached(services().features, services().settings.clinics_csv), clinic_id)
    return found.name if found else clinic_id


def patient_code(referral) -> str:
    """What the workspace calls a patient: the code the patient was given (never the LINE id)."""
    return referral.get("patient_code") or clinic_referrals.ensure_code(db(), services().settings.files_dir,
                                                                          referral["user_id"])


def page_number(pages) -> int:
    """The page asked for (?page=), within 1..pages whatever was typed."""
    return min(max(request.args.get("page", 1, type=int), 1), max(pages, 1))


def my_referral(referral_id) -> dict:
    row = clinic_referrals.get(db(), g.staff["clinic_id"], referral_id)
    if row is None:
        abort(404)
    return row


@bp.get("/")
def referrals():
    clinic_id = g.staff["clinic_id"]
    clinic_referrals.fill_codes(db(), services().settings.files_dir)  # rows shared before codes existed
    code = request.args.get("code", "").strip()[:40]
    if code:  # the code the patient shows: straight to their record
        found = clinic_referrals.by_code(db(), clinic_id, code)
        if found is not None:
            return redirect(url_for("workspace.patient", referral_id=found["referral_id"]))
    status = request.args.get("status") if request.args.get("status") in clinic_referrals.STATUSES else None
    level = request.args.get("level") if request.args.get("level") in LEVELS else None
    # A page at a time: each row costs a look-up of the patient's latest result.
    total = clinic_referrals.count_for_clinic(db(), clinic_id, status, level)
    pages = max(1, -(-total // PAGE))
    page = page_number(pages)
    rows = clinic_referrals.listed(db(), clinic_id, status, level, PAGE, (page - 1) * PAGE)
    listed = []
    for row in rows:
        tz = summary.user_zone(db(), row["user_id"])
        latest = assessments.recent(db(), row["user_id"], 1)
        listed.append({"id": row["referral_id"], "code": patient_code(row), "status": row["status"],
                       "shared": summary.local(row["created_at"], tz),
                       "same_day": row["latest_level"] == clinic_referrals.SAME_DAY and row["status"] != "seen",
                       "latest": summary.assessment_view(latest[0], g.lang, tz) if latest else None})
    filters = {key: value for key, value in (("status", status), ("level", level)) if value}
    return render_template("workspace/referrals.html", referrals=listed, clinic=clinic_name(clinic_id),
                           page=page, pages=pages, total=total, filters=filters, statuses=clinic_referrals.STATUSES,
                           levels=LEVELS, code=code, not_found=bool(code))


@bp.get("/referrals/<referral_id>")
def patient(referral_id):
    row = my_referral(referral_id)
    user_id = row["user_id"]
    tz = summary.user_zone(db(), user_id)
    # A page of results, newest first; one more row than shown says whether older ones exist.
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    upto = assessments.recent(db(), user_id, page * MAX_RESULTS + 1)
    if page > 1 and len(upto) <= (page - 1) * MAX_RESULTS:  # past the end: the last page
        page = max(1, -(-len(upto) // MAX_RESULTS))
    rows = upto[(page - 1) * MAX_RESULTS:page * MAX_RESULTS]
    newest = upto[0] if upto else None
    return render_template(
        "workspace/patient.html", referral=row, code=patient_code(row), statuses=clinic_referrals.STATUSES,
        shared=summary.local(row["created_at"], tz), tz=str(tz), page=page, per_page=MAX_RESULTS,
        older=len(upto) > page * MAX_RESULTS,
        results=[summary.assessment_view(r, g.lang, tz) for r in rows],
        checkins=summary.checkin_views(poem_store.history(db(), user_id), g.lang, tz),
        research=research.given(db(), user_id), status_by=status_by(row, tz),
        models=newest["models"] if newest else {}, validated=bool(newest and newest["validated"]),
        clinic=clinic_name(g.staff["clinic_id"]))


def status_by(referral, tz) -> dict | None:
    """Who set the referral's status, and when (its newest audit row), for the patient page."""
    entry = audit.latest_prefix(db(), g.staff["clinic_id"], audit.STATUS, f"{referral['referral_id']}:")
    if entry is None:
        return None
    who = staff.get(db(), entry["staff_id"])
    return {"who": who["email"] if who else entry["staff_id"], "when": summary.local(entry["at"], tz),
            "status": entry["subject"].rsplit(":", 1)[-1]}


@bp.post("/referrals/<referral_id>/status")
def set_status(referral_id):
    my_referral(referral_id)
    status = request.form.get("status", "")
    if status not in clinic_referrals.STATUSES:
        return refuse("ws2.bad_request")
    clinic_referrals.set_status(db(), g.staff["clinic_id"], referral_id, status, now())
    audit.add(db(), now(), audit.STATUS, f"{referral_id}:{status}", g.staff["staff_id"], g.staff["clinic_id"])
    return redirect(url_for("workspace.patient", referral_id=referral_id))


@bp.get("/referrals/<referral_id>/chart.png")
def chart(referral_id):
    user_id = my_referral(referral_id)["user_id"]
    poem_points, photo_points = charts.points(db(), user_id)
    png = charts.render(poem_points, photo_points, g.lang, summary.user_zone(db(), user_id), clinician=True)
    return Response(png, mimetype="image/png")


def shared_photo(assessment_id, research_only=False) -> dict:
    if not 0 < assessment_id <= MAX_ID:
        abort(404)
    row = clinic_labels.shared_photo(db(), g.staff["clinic_id"], assessment_id, research=research_only)
    if row is None:
        abort(404)
    return row


def picture_bytes(row, kind) -> bytes:
    ref = row["photo_ref"] if kind == "photo" else row["overlay_ref"]
    if not ref:
        abort(404)
    path = media.picture_path(files.user_dir(services().settings.files_dir, row["user_id"]), kind, ref,
                              services().overlay_drawer)
    if not path.is_file():
        abort(404)
    return path.read_bytes()


@bp.get("/photos/<int:assessment_id>/view")
def viewer(assessment_id):
    """The photo and the model's overlay side by side, zoomed and panned together (viewer.js),
    inside the workspace: the patient's code, the date, the way back."""
    row = shared_photo(assessment_id)
    referral = clinic_referrals.patient_of(db(), g.staff["clinic_id"], row["user_id"])
    tz = summary.user_zone(db(), row["user_id"])
    return render_template("workspace/viewer.html", photo=row, referral=referral,
                           code=patient_code(referral) if referral else "", view=summary.assessment_view(row, g.lang, tz),
                           research=research.given(db(), row["user_id"]))


@bp.get("/photos/<int:assessment_id>/<kind>.jpg")
def picture(assessment_id, kind):
    """A patient's photo or its overlay, upright, at most WORK_PX; every view is audited."""
    if kind not in ("photo", "overlay"):
        abort(404)
    row = shared_photo(assessment_id)
    data = summary.thumbnail(picture_bytes(row, kind), WORK_PX)
    audit.add(db(), now(), audit.VIEW_PHOTO, f"{assessment_id}:{kind}", g.staff["staff_id"], g.staff["clinic_id"])
    return Response(data, mimetype="image/jpeg")


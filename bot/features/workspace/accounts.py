"""Staff accounts: one-time set-up links, passwords (Werkzeug's scrypt), sign-in with a
lock-out after repeated failures, sign-out. `add_staff` is what `python -m bot staff add` runs."""

from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from bot.features.workspace.web import SESSION_KEY, bp, db, now
from storage import staff

FAILURES_BEFORE_LOCK = 5
LOCK_FOR = timedelta(minutes=15)
SETUP_LINK_TTL = timedelta(days=3)
DEVICE_COOKIE = "clinic_device"  # a browser that signed in here before (OWASP "device cookies")
DEVICE_FOR = timedelta(days=90)
MIN_PASSWORD = 10
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
DUMMY_HASH = generate_password_hash("not-a-password-of-anyone", method="scrypt")


class UnknownClinic(ValueError):
    """`staff add --clinic ID` names no clinic of the clinic list (ADAI_CLINICS_CSV)."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def add_staff(database, settings, directory, clinic_id, email, role, when) -> str:
    """Create the account and return its one-time set-up link (the person sets a password)."""
    if clinic_id not in {clinic.id for clinic in directory}:
        known = ", ".join(f"{c.id} ({c.name})" for c in directory)
        raise UnknownClinic(f"no clinic {clinic_id!r} in the clinic list; known: {known}")
    row = staff.add(database, clinic_id, email, role, when)
    return setup_url(database, settings, row["staff_id"], when)


def setup_url(database, settings, staff_id, when) -> str:
    token = staff.new_setup_link(database, staff_id, when + SETUP_LINK_TTL)
    return f"{settings.base_url}/clinic/setup/{token}"


def _trust_this_browser(response, staff_id):
    response.set_cookie(DEVICE_COOKIE, staff.trust_device(db(), staff_id, now(), DEVICE_FOR),
                        max_age=int(DEVICE_FOR.total_seconds()), path="/clinic/", httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


def _sign_in_as(staff_id):
    session.clear()  # a fresh cookie: nothing from before signing in carries over
    session.permanent = True
    session[SESSION_KEY] = staff.start_session(db(), staff_id, now())


def _safe_next(target):
    return target if target and target.startswith("/clinic/") and "//" not in target else url_for("workspace.referrals")


@bp.route("/login", methods=["GET", "POST"])
def sign_in():
    error = None
    if request.method == "POST":
        email, password = request.form.get("email", ""), request.form.get("password", "")
        row = staff.by_email(db(), email)
        if row is None or not row["password_hash"]:
            check_password_hash(DUMMY_HASH, password)
            error = "ws.sign_in_failed"
        else:
            # A browser this person signed in from before has a lock of its own: guessing from
            # elsewhere locks the account for strangers but not for its owner's browser.
            trusted = staff.device(db(), request.cookies.get(DEVICE_COOKIE), row["staff_id"], now(), DEVICE_FOR)
            if staff.locked(trusted or row, now()):
                error = "ws.locked"
            elif not check_password_hash(row["password_hash"], password):
                locked = (staff.device_failed(db(), trusted, FAILURES_BEFORE_LOCK, now() + LOCK_FOR)
                          if trusted else
                          staff.failed(db(), row["staff_id"], FAILURES_BEFORE_LOCK, now() + LOCK_FOR))
                error = "ws.locked" if locked else "ws.sign_in_failed"
            else:
                if trusted:
                    staff.device_succeeded(db(), trusted)  # the account's count is the strangers'
                else:
                    staff.succeeded(db(), row["staff_id"])
                _sign_in_as(row["staff_id"])
                response = redirect(_safe_next(request.args.get("next")))
                if not trusted:
                    _trust_this_browser(response, row["staff_id"])
                return response
    status = 200 if error is None else (429 if error == "ws.locked" else 401)
    return render_template("workspace/sign_in.html", error=error), status


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token):
    row = staff.setup_link(db(), token, now())
    if row is None:
        abort(404)
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if len(password) < MIN_PASSWORD:
            error = "ws.password_short"
        elif password != request.form.get("again", ""):
            error = "ws.password_mismatch"
        elif staff.use_setup_link(db(), token):
            staff.set_password_hash(db(), row["staff_id"], hash_password(password))
            _sign_in_as(row["staff_id"])
            response = redirect(url_for("workspace.referrals"))
            _trust_this_browser(response, row["staff_id"])
            return response
        else:
            abort(404)
    return render_template("workspace/setup.html", email=row["email"], error=error,
                           min_length=MIN_PASSWORD), 200 if error is None else 400


@bp.post("/logout")
def sign_out():
    staff.end_session(db(), session.get(SESSION_KEY, ""))
    session.clear()
    return redirect(url_for("workspace.sign_in"))

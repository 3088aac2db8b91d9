"""Staff accounts: one-time set-up links, passwords (Werkzeug's scrypt), sign-in with a
lock-out after repeated failures, sign-out. `add_staff` is what `python -m bot staff add` runs."""

from datetime import timedelta

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from bot.features.workspace.web import SESSION_KEY, bp, db, now, safe_next
from storage import audit, staff

FAILURES_BEFORE_LOCK = 5
LOCK_FOR = timedelta(minutes=15)
SETUP_LINK_TTL = timedelta(days=3)
DEVICE_COOKIE = "clinic_device"  # a browser that signed in here before (OWASP "device cookies")
DEVICE_FOR = timedelta(days=90)
MIN_PASSWORD = 10
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
DUMMY_HASH = generate_password_hash("not-a-password-of-anyone", method="scrypt")
UNKNOWN_EMAIL = "-"  # the audit's "who" of a sign-in with an email no account has


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
    lang = session.get("lang")
    session.clear()  # a fresh cookie: nothing from before signing in carries over
    if lang:
        session["lang"] = lang  # but the language chosen on the sign-in page
    session.permanent = True
    session[SESSION_KEY] = staff.start_session(db(), staff_id, now())


def _refused(row, action):
    """A failed sign-in, audited on the account it named (an unknown email on none)."""
    if row is None:
        audit.add(db(), now(), action, "-", staff_id=UNKNOWN_EMAIL)
    else:
        audit.add(db(), now(), action, row["staff_id"], row["staff_id"], row["clinic_id"])


def _check(row, password) -> bool | None:
    """True: the right password; False: a wrong one; None: not checked (no usable account, or
    locked). The hash is computed in every case, so the answer takes the same time."""
    trusted = staff.device(db(), request.cookies.get(DEVICE_COOKIE), row["staff_id"], now(), DEVICE_FOR) \
        if row else None
    if row is None or not row["password_hash"] or staff.disabled(row) or staff.locked(trusted or row, now()):
        check_password_hash(DUMMY_HASH, password)
        return None
    if not check_password_hash(row["password_hash"], password):
        # A browser this person signed in from before has a lock of its own: guessing from
        # elsewhere locks the account for strangers but not for its owner's browser.
        locked = (staff.device_failed(db(), trusted, FAILURES_BEFORE_LOCK, now() + LOCK_FOR) if trusted else
                  staff.failed(db(), row["staff_id"], FAILURES_BEFORE_LOCK, now() + LOCK_FOR))
        _refused(row, audit.LOCKED if locked else audit.SIGN_IN_FAILED)
        return False
    if trusted:
        staff.device_succeeded(db(), trusted)  # the account's count is the strangers'
    else:
        staff.succeeded(db(), row["staff_id"])
    g.trusted = trusted
    return True


@bp.route("/login", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        return render_template("workspace/sign_in.html", error=None)
    email, password = request.form.get("email", ""), request.form.get("password", "")
    target = safe_next(request.args.get("next"))  # before anything is stored: an odd next= is no 500
    row = staff.by_email(db(), email)
    checked = _check(row, password)
    if checked is None:
        _refused(row, audit.SIGN_IN_FAILED)
    if not checked:
        # One answer for every failure: a wrong email, a wrong password, a locked or disabled
        # account look the same, so the answer tells nobody which emails have an account.
        return render_template("workspace/sign_in.html", error="ws2.sign_in_failed"), 401
    _sign_in_as(row["staff_id"])
    audit.add(db(), now(), audit.SIGN_IN, row["staff_id"], row["staff_id"], row["clinic_id"])
    response = redirect(target)
    if not g.trusted:
        _trust_this_browser(response, row["staff_id"])
    return response


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
    audit.add(db(), now(), audit.SIGN_OUT, g.staff["staff_id"], g.staff["staff_id"], g.staff["clinic_id"])
    staff.end_session(db(), session.get(SESSION_KEY, ""))
    session.clear()
    return redirect(url_for("workspace.sign_in"))

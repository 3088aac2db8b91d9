"""The /clinic/ blueprint and what every page of it goes through: the sign-in guard (every
endpoint but PUBLIC needs a live session), CSRF on every POST (Flask-WTF's CSRFProtect), the
session cookie's flags, the page language, and no caching."""

from datetime import timedelta

from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from bot import texts
from bot.engine.gone import private
from bot.tokens import derive_key
from bot.views.fonts import cjk_font_path
from storage import staff

# Ends of a session: after this long without a request, and this long after signing in.
IDLE = timedelta(minutes=30)
LONGEST = timedelta(hours=12)
PUBLIC = {"workspace.sign_in", "workspace.setup", "workspace.static", "workspace.font"}
SESSION_KEY = "clinic_session"

bp = Blueprint("workspace", __name__, url_prefix="/clinic", template_folder="templates", static_folder="static")
csrf = CSRFProtect()


@bp.record_once
def install(state):
    """The app-wide parts the workspace needs: a session key of its own purpose, cookie flags,
    and CSRFProtect checking only where this blueprint asks it to (the LINE webhook and the
    simulator's API are signed otherwise)."""
    app = state.app
    settings = app.config["ADAI"]
    # The cookie carries only a random session token (the server keeps its hash), so even the
    # simulator's public channel secret lets nobody forge a session.
    app.secret_key = derive_key(settings.channel_secret, "clinic-session")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=LONGEST, WTF_CSRF_CHECK_DEFAULT=False,
    )
    csrf.init_app(app)


def services():
    return current_app.extensions["adai"]


def db():
    return services().db()


def now():
    return services().clock.now()


def current_staff():
    token = session.get(SESSION_KEY)
    if not token:
        return None
    return staff.session_staff(db(), token, now(), IDLE, LONGEST)


@bp.before_request
def guard():
    g.lang = _page_lang()
    g.staff = None if request.endpoint in PUBLIC else current_staff()
    if request.endpoint not in PUBLIC and g.staff is None:
        return redirect(url_for("workspace.sign_in", next=request.full_path if request.method == "GET" else None))
    if request.method == "POST":
        csrf.protect()  # a 400 (CSRFError) without the form's token
    return None


def _page_lang() -> str:
    chosen = request.args.get("lang")
    if chosen in texts.LANGS:
        session["lang"] = chosen
    return session.get("lang") or request.accept_languages.best_match(list(texts.LANGS)) or texts.DEFAULT_LANG


@bp.errorhandler(CSRFError)
def form_expired(_error):
    """A form whose token is missing or stale (often a page left open past the session): say so
    in the page's language instead of a bare English "Bad Request"."""
    return render_template("workspace/error.html", message="ws.form_expired", back=request.referrer), 400


@bp.errorhandler(404)
def not_found(_error):
    # The same page whether the thing is missing or another clinic's: nothing to tell them apart.
    return render_template("workspace/error.html", message="ws.not_found", back=None), 404


@bp.get("/font.ttf")
def font():
    """The bundled Japanese font (IPAex Gothic): pages read the same on machines without one."""
    return send_file(cjk_font_path(), mimetype="font/ttf", max_age=86400)


@bp.context_processor
def page_helpers():
    return {"t": lambda key, **values: texts.t(key, g.lang, **values), "lang": g.lang, "me": g.get("staff")}


@bp.after_request
def headers(response):
    response.headers["X-Frame-Options"] = "DENY"  # no clickjacking of the label and status forms
    return private(response)

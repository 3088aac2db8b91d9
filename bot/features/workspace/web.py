"""The /clinic/ blueprint and what every page of it goes through: the sign-in guard (every
endpoint but PUBLIC needs a live session), CSRF on every POST (Flask-WTF's CSRFProtect), a
body-size limit per route, the session cookie's flags, the page language, the security headers
(CSP without inline script, no framing, HSTS under https) and no caching but for static files."""

import re
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from bot import texts
from bot.engine.gone import hardened, private
from bot.features.workspace import assets, masks
from bot.tokens import derive_key
from bot.views.fonts import cjk_font_path
from storage import staff

# Ends of a session: after this long without a request, and this long after signing in.
IDLE = timedelta(minutes=30)
LONGEST = timedelta(hours=12)
PUBLIC = {"workspace.sign_in", "workspace.setup", "workspace.static", "workspace.font"}
SESSION_KEY = "clinic_session"
# Bodies: a sign-in or status form is a few hundred bytes; only the label form carries a mask.
# Werkzeug refuses a longer Content-Length with 413 before reading a byte of the body.
FORM_LIMIT = 64 * 1024
BODY_LIMITS = {"workspace.save_label": masks.MAX_FORM_BYTES}
# Scripts and styles only from the workspace's own files; the painted mask is a data: URL.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
# Same-origin Referer (never to another site): Flask-WTF's https check needs it on every form.
REFERRER = "same-origin"
# A next= target: a path of the workspace, of plain characters only (no CR/LF, no //host).
NEXT = re.compile(r"/clinic/[A-Za-z0-9_\-./?=&%]*")

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
        # The token lives as long as the session it belongs to, not an hour less.
        WTF_CSRF_TIME_LIMIT=int(LONGEST.total_seconds()),
    )
    csrf.init_app(app)
    # An unknown /clinic/ URL never reaches the blueprint: the app's own hooks give it the
    # workspace's page and headers.
    app.register_error_handler(404, outside_not_found)
    app.register_error_handler(405, outside_not_found)
    app.after_request(clinic_headers)


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
    request.max_content_length = BODY_LIMITS.get(request.endpoint, FORM_LIMIT)
    g.lang = _page_lang()
    g.staff = None if request.endpoint in PUBLIC else current_staff()
    if request.endpoint not in PUBLIC and g.staff is None:
        # After signing in, back to the page (a form's page: the one it was sent from).
        back = request.full_path if request.method == "GET" else urlsplit(request.referrer or "").path
        return redirect(url_for("workspace.sign_in", next=safe_next(back, None)))
    if request.method == "POST":
        csrf.protect()  # a 400 (CSRFError) without the form's token
    return None


def safe_next(target, default="/clinic/"):
    """target when it is a plain path inside the workspace, else default."""
    target = (target or "").rstrip("?")
    if NEXT.fullmatch(target) and "//" not in target and "/.." not in target:
        return target
    return default


def _page_lang() -> str:
    chosen = request.args.get("lang")
    if chosen in texts.LANGS:
        session["lang"] = chosen
    return session.get("lang") or request.accept_languages.best_match(list(texts.LANGS)) or texts.DEFAULT_LANG


@bp.errorhandler(CSRFError)
def form_expired(_error):
    """A form whose token is missing or stale (often a page left open past the session): say so
    in the page's language instead of a bare English "Bad Request"."""
    back = safe_next(urlsplit(request.referrer or "").path, None)  # the page the form was on
    return render_template("workspace/error.html", message="ws.form_expired", back=back), 400


def refuse(message, status=400):
    """The workspace's own error page, in the page's language."""
    return render_template("workspace/error.html", message=message, back=None, **page_helpers()), status


@bp.errorhandler(404)
def not_found(_error):
    # The same page whether the thing is missing or another clinic's: nothing to tell them apart.
    return refuse("ws.not_found", 404)


@bp.errorhandler(400)
def bad_request(_error):
    return refuse("ws2.bad_request", 400)


@bp.errorhandler(413)
def too_large(_error):
    return refuse("ws2.too_large", 413)


def outside_not_found(error: HTTPException):
    """App-wide 404/405: a /clinic/ URL no route matched gets the workspace's page; any other
    answer stays as it was (a dead /media link's own page, for one)."""
    if not request.path.startswith("/clinic") or request.blueprint == "workspace":
        return error
    g.lang = _page_lang()
    return refuse("ws.not_found", error.code)


@bp.get("/font.ttf")
def font():
    """The bundled Japanese font (IPAex Gothic): pages read the same on machines without one."""
    return send_file(cjk_font_path(), mimetype="font/ttf", max_age=assets.FOREVER)


@bp.context_processor
def page_helpers():
    return {"t": lambda key, **values: texts.t(key, g.lang, **values), "lang": g.lang, "me": g.get("staff"),
            "asset": assets.url, "lang_url": lang_url}


def lang_url(lang) -> str:
    """This page in another language, keeping its other arguments (next= on the sign-in page)."""
    return request.path + "?" + urlencode({**request.args.to_dict(), "lang": lang})


def clinic_headers(response):
    """Every answer under /clinic/: the security headers; files that never change (their URL
    names their content) are cached for good, every page about a patient never."""
    if not request.path.startswith("/clinic"):
        return response
    if request.endpoint in assets.ENDPOINTS and response.status_code in (200, 304):
        return hardened(assets.cacheable(response), CSP, REFERRER)
    return private(response, CSP, REFERRER)

"""The page a dead link shows (/media, /referral): expired, revoked, deleted or wrong.

Short, in the reader's language (the browser's Accept-Language: the token may be unreadable,
so the user's setting is unknown; Japanese by default), never cached, and the same for every
reason, so it tells an attacker nothing.
"""

from html import escape

from flask import Response, current_app, request

from bot.texts import t

# Pages outside the workspace (/referral, /media, a dead link) run no script at all; their
# styles are inline (one printable page), fonts and pictures their own.
CSP_PAGES = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; font-src 'self'; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto; padding: 0 1em; line-height: 1.6">
<h1 style="font-size: 1.3em">{title}</h1><p>{body}</p></body></html>
"""


def reader_lang() -> str:
    return request.accept_languages.best_match(["ja", "en"]) or "ja"


def link_gone() -> Response:
    lang = reader_lang()
    html = PAGE.format(lang=lang, title=escape(t("core.link_gone_title", lang)),
                       body=escape(t("core.link_gone", lang)))
    return private(Response(html, status=404, mimetype="text/html"))


def private(response, csp=CSP_PAGES, referrer="no-referrer") -> Response:
    """Headers of every page about a patient: never cached, never indexed, never framed, no
    script but the page's own files, and (the link itself is the key) no referrer."""
    response.headers["Cache-Control"] = "private, no-store"
    return hardened(response, csp, referrer)


def hardened(response, csp=CSP_PAGES, referrer="no-referrer") -> Response:
    """The headers every answer of these pages carries, cacheable or not."""
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = referrer
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers without CSP 2
    if current_app.config["ADAI"].base_url.startswith("https://"):
        response.headers["Strict-Transport-Security"] = HSTS
    return response

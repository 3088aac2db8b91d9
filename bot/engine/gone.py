"""The page a dead link shows (/media, /referral): expired, revoked, deleted or wrong.

Short, in the reader's language (the browser's Accept-Language: the token may be unreadable,
so the user's setting is unknown; Japanese by default), never cached, and the same for every
reason, so it tells an attacker nothing.
"""

from html import escape

from flask import Response, request

from bot.texts import t

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
    response = Response(html, status=404, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def private(response) -> Response:
    """Headers of every page about a patient: never cached, never indexed, no referrer."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

"""Clinics near the patient: "find a clinic" asks for a location; a shared location answers with
the nearest clinics (same-day ones first after a recent urgent result). The location itself is
not stored. The directory (bot/domain/clinics.py) is read once per app from settings.clinics_csv.
"""

import datetime as dt

from bot.domain import clinics
from bot.domain.clinics import map_url, tel_uri
from bot.domain.schedule import parse_instant
from bot.engine.router import Command, Feature
from bot.texts import t
from bot.views.cards import text_message
from bot.views.cards import postback
from storage import assessments, staff

URGENT_RECENT = dt.timedelta(days=3)  # an urgent result this recent puts same-day clinics first


def clinics_ask(ctx, params_or_rest=None):
    ctx.answer(location_request(ctx.lang))


def directory(services):
    """This app's clinic list, read on first use."""
    features = services.features
    if "clinics" not in features:
        features["clinics"] = clinics.load(services.settings.clinics_csv)
    return features["clinics"]


def _urgent_recently(ctx):
    latest = assessments.recent(ctx.db, ctx.user_id, 1) if ctx.consented() else []
    return bool(latest) and latest[0]["level"] == "urgent" and \
        ctx.now() - parse_instant(latest[0]["created_at"]) <= URGENT_RECENT


def on_location(ctx):
    """A shared location answers with the nearest clinics; the location itself is not stored."""
    message = ctx.message
    try:
        lat, lon = float(message["latitude"]), float(message["longitude"])
    except (KeyError, TypeError, ValueError):
        clinics_ask(ctx)
        return
    urgent = _urgent_recently(ctx)
    ranked = clinics.nearest(directory(ctx.services), lat, lon, urgent_first=urgent)
    # Clinics with a workspace account can receive the patient's record (features/sharing.py).
    shareable = staff.clinic_ids(ctx.db) if ctx.consented() else set()
    ctx.answer(answer_messages(ranked, ctx.lang, urgent_first=urgent, shareable=shareable))


# --- the LINE answer -----------------------------------------------------------------------

def location_request(lang):
    """Text with a LocationAction quick reply: LINE opens its map to pick a spot."""
    return text_message(t("clinics.ask", lang), [{"type": "location", "label": t("clinics.ask_button", lang)}])


def _bubble(clinic, km, lang, shareable=frozenset()):
    tags = [t("clinics.dermatology", lang)] if clinic.dermatology else []
    if clinic.urgent_same_day:
        tags.append(t("clinics.urgent_ok", lang))
    body = [
        {"type": "text", "text": clinic.name_in(lang), "weight": "bold", "wrap": True, "size": "md"},
        {"type": "text", "text": t("clinics.distance", lang, km=km), "size": "sm", "color": "#1565C0"},
        {"type": "text", "text": clinic.address_in(lang) or "-", "size": "sm", "wrap": True, "color": "#666666"},
    ]
    if tags:
        body.append({"type": "text", "text": " / ".join(tags), "size": "xs", "color": "#2E7D32", "wrap": True})
    buttons = [{"type": "button", "style": "primary", "height": "sm",
                "action": {"type": "uri", "label": t("clinics.map", lang), "uri": map_url(clinic)}}]
    if tel_uri(clinic):
        buttons.append({"type": "button", "style": "secondary", "height": "sm",
                        "action": {"type": "uri", "label": t("clinics.call", lang), "uri": tel_uri(clinic)}})
    if clinic.url.startswith("https://"):
        buttons.append({"type": "button", "style": "link", "height": "sm",
                        "action": {"type": "uri", "label": t("clinics.web", lang), "uri": clinic.url}})
    if clinic.id in shareable:
        label = t("share.button", lang)
        buttons.append({"type": "button", "style": "secondary", "height": "sm",
                        "action": postback(label, f"action=share&c={clinic.id}", label, limit=40)})
    return {"type": "bubble", "size": "kilo",
            "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
            "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}}


def answer_messages(ranked, lang, urgent_first=False, shareable=frozenset()):
    """A short header (urgent note, sample-data note) and a carousel of the nearest clinics."""
    if not ranked:
        return [text_message(t("clinics.none", lang))]
    header = [t("clinics.header", lang, count=len(ranked))]
    if urgent_first:
        header.insert(0, t("clinics.header_urgent", lang))
    if any(clinic.sample for clinic, _ in ranked):
        header.append(t("clinics.sample", lang))
    carousel = {"type": "carousel", "contents": [_bubble(c, km, lang, shareable) for c, km in ranked]}
    return [text_message("\n".join(header)),
            {"type": "flex", "altText": t("clinics.alt", lang), "contents": carousel}]


FEATURE = Feature(
    "clinics",
    messages={"location": on_location},
    commands=(Command("clinics", ("病院を探す", "病院", "クリニック"), ("find a clinic", "clinics", "clinic"),
                      "近くの医療機関を探します", "find clinics near you", clinics_ask),),
    actions={"clinics": clinics_ask},
)

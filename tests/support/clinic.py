"""The clinic workspace from the outside: staff accounts, signing in through the real form with
its CSRF token, and a patient who shares their record with a clinic through LINE (signed
webhooks: location → "Share my record here" → yes → the research question)."""

import os
import re
from pathlib import Path

from bot.domain import clinics
from bot.features.workspace.accounts import hash_password
from storage import staff
from tests.support.chat import flex_actions, photo

CLINICS = clinics.load()  # the bundled sample list (settings.clinics_csv unset)
CLINIC_A, CLINIC_B = CLINICS[0], CLINICS[1]
PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


ROOT = Path(__file__).resolve().parents[2]


def cli_env(settings) -> dict:
    """The environment a command (`python -m models dataset …`) needs to use the app's data."""
    env = {**os.environ, "ADAI_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    for name, value in (("ADAI_DATABASE_URL", settings.database_url), ("ADAI_MEDIA_DIR", settings.media_dir)):
        env.pop(name, None)
        if value:
            env[name] = str(value)
    return env


def account(db, clinic, email, role="clinician", password=PASSWORD, now=None):
    from datetime import datetime, timezone

    row = staff.add(db, clinic.id, email, role, now or datetime.now(timezone.utc))
    staff.set_password_hash(db, row["staff_id"], hash_password(password))
    return row


def form_token(client, path="/clinic/login") -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, email, password=PASSWORD):
    return client.post("/clinic/login", data={"csrf_token": form_token(client), "email": email, "password": password})


def share(user, clinic, research="yes"):
    """The patient asks for clinics near `clinic`, taps its share button, confirms, and answers
    the research question if it comes (research: "yes", "no" or None to leave it). Returns
    every message the bot sent meanwhile."""
    messages = user._send(user.events.location(latitude=clinic.lat, longitude=clinic.lon, user=user.user))
    buttons = [a for m in messages if m["type"] == "flex" for a in flex_actions(m)
               if a["type"] == "postback" and f"c={clinic.id}" in a["data"]]
    assert buttons, "no share button for the clinic"
    messages += user.tap(buttons[0]["data"])
    messages += user.tap(f"action=share&c={clinic.id}&v=yes")
    if research and any("action=research&v=yes" in str(m.get("quickReply")) for m in messages):
        messages += user.tap(f"action=research&v={research}")
    return messages


def patient(chat, clinic, kinds=("AD",), research="yes", lang="ja"):
    """A consenting patient with one photo result per kind, sharing with clinic."""
    user = chat(lang)
    user.follow()
    user.agree()
    for n, kind in enumerate(kinds):
        user.photo(photo(kind, seed=n))
    share(user, clinic, research)
    return user

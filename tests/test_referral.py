"""Doctor summary: a signed link to a printable page with the patient's own data only, which
stops working when revoked, expired or when the patient is deleted."""

import datetime as dt
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image, ImageDraw

from bot import tokens
from bot.engine import media
from bot.features import referral
from bot.features.reminders import dispatch, plans
from storage import files, users
from tests.support import webhooks
from tests.support.records import add_checkin, add_result
from tests.support.stored import database_bytes

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 10, 4, 1, tzinfo=UTC)
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "public_url": "https://adai.example"}


def picture(colour, size=(900, 700), fmt="JPEG"):
    image = Image.new("RGB", size, (224, 180, 150))
    ImageDraw.Draw(image).ellipse((250, 180, 650, 520), fill=colour)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def patient_with_records(deliver, events, db, config, clock, name_colour):
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=consent&v=yes", user=uid))
    folder = files.user_dir(config.data_dir, uid, create=True)
    refs = []
    for day, ad in [(0, 0.5), (14, 0.85)]:
        ref = f"r{day}{uid[-6:]}"
        (folder / media.file_name("photo", ref)).write_bytes(picture(name_colour))
        (folder / media.file_name("overlay", ref)).write_bytes(picture((255, 0, 0)))
        add_result(db, uid, T0 + dt.timedelta(days=day),
                   {"AD": ad, "IM": 1 - ad - 0.02, "HI": 0.01, "MF": 0.01}, 0.15 - day / 200,
                   photo_ref=ref, overlay_ref=ref)
        refs.append(ref)
    for week, total in enumerate([14, 9]):
        add_checkin(db, uid, T0 + dt.timedelta(weeks=week, hours=2), total)
    return uid, refs


class Sources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs = []

    def handle_starttag(self, tag, attrs):
        self.srcs += [value for key, value in attrs if key == "src"]


def sources(html):
    parser = Sources()
    parser.feed(html)
    return parser.srcs


@pytest.fixture
def two_patients(deliver, events, db, services, clock):
    clock.set(T0)
    alice = patient_with_records(deliver, events, db, services.settings, clock, (170, 40, 40))
    bob = patient_with_records(deliver, events, db, services.settings, clock, (40, 40, 170))
    clock.set(T0 + dt.timedelta(days=20))
    return alice, bob


def ask_summary(deliver, events, emulator, user, words="医師へのまとめ"):
    deliver(events.text(words, user=user))
    text = emulator.messages_to(user)[-1]["text"]
    url = re.search(r"https://\S+", text).group(0)
    assert urlparse(url).netloc == "adai.example"
    return urlparse(url).path, text


def test_summary_page_shows_the_patient_and_nobody_else(deliver, events, emulator, client, two_patients):
    (alice, alice_refs), (bob, bob_refs) = two_patients
    path, text = ask_summary(deliver, events, emulator, alice)
    assert "7日間" in text
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    assert "経過のまとめ" in html and "このモデルは臨床的な検証を受けていません" in html
    assert "adai-seg@0.1.0" in html and "adai-cls@0.1.0" in html
    assert "14/28" in html and "9/28" in html
    assert alice not in html and bob not in html
    srcs = sources(html)
    assert any(all(r not in s for r in alice_refs) and s.endswith("chart.png") for s in srcs)
    for ref in alice_refs:
        assert any(ref in s for s in srcs)
    for ref in bob_refs:
        assert all(ref not in s for s in srcs)
    for src in srcs:
        response = client.get(src)
        assert response.status_code == 200, src
        assert response.mimetype in ("image/jpeg", "image/png")
    # Bob's pictures are not reachable through Alice's link, whatever the URL says
    token = path.rsplit("/", 1)[1]
    for kind in ("photo", "overlay"):
        assert client.get(f"/referral/{token}/{kind}/{bob_refs[0]}.jpg").status_code == 404
    assert client.get(f"/referral/{token}/secrets/{alice_refs[0]}.jpg").status_code == 404


def test_tampered_or_unknown_tokens_are_404(deliver, events, emulator, client, two_patients, services, clock):
    (alice, _), _ = two_patients
    path, _ = ask_summary(deliver, events, emulator, alice)
    token = path.rsplit("/", 1)[1]
    body, mac = token.split(".")
    forged = tokens.sign(tokens.derive_key("other", "referral"), {"i": "x", "e": 2**40})
    media_token = media.media_token(media.key_for(services.settings), files.user_key(services.settings.data_dir, alice),
                                    "chart", "c1",
                              now=clock.now().timestamp())
    for bad in (body + "." + mac[::-1], body[:-3] + "abc." + mac, forged, media_token, "nothing"):
        assert client.get(f"/referral/{bad}").status_code == 404


def test_revoked_link_stops_working(deliver, events, emulator, client, two_patients):
    (alice, refs), _ = two_patients
    path, _ = ask_summary(deliver, events, emulator, alice)
    picture_path = f"{path}/photo/{refs[0]}.jpg"
    assert client.get(path).status_code == 200 and client.get(picture_path).status_code == 200
    deliver(events.text("まとめを取り消す", user=alice))
    assert "1件" in emulator.messages_to(alice)[-1]["text"]
    for p in (path, picture_path, f"{path}/chart.png", f"{path}/font.ttf"):
        assert client.get(p).status_code == 404
    fresh, _ = ask_summary(deliver, events, emulator, alice)  # a new link works again
    assert client.get(fresh).status_code == 200


def test_link_expires_after_seven_days(deliver, events, emulator, client, two_patients, clock):
    (alice, _), _ = two_patients
    path, _ = ask_summary(deliver, events, emulator, alice)
    clock.advance(days=6, hours=23)
    assert client.get(path).status_code == 200
    clock.advance(hours=1)
    assert client.get(path).status_code == 404


def test_deleting_the_patient_kills_the_link(deliver, events, emulator, client, two_patients, db, services):
    (alice, _), _ = two_patients
    path, _ = ask_summary(deliver, events, emulator, alice)
    users.forget(db, alice, services.settings.data_dir)
    assert client.get(path).status_code == 404


def test_no_summary_without_consent(deliver, events, emulator, db):
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.text("summary for my doctor", user=uid))
    assert "https://" not in emulator.messages_to(uid)[-1]["text"]
    assert list(db.query("SELECT * FROM referrals")) == []


@pytest.mark.skipif(not shutil.which("chromium") and not Path("/usr/bin/chromium").exists(),
                    reason="Debian's chromium is not installed")
def test_screenshot_in_headless_chromium(deliver, events, emulator, live_server, two_patients):
    (alice, _), _ = two_patients
    path, _ = ask_summary(deliver, events, emulator, alice)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "referral_page.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={shot}", "--window-size=1000,2600", "--virtual-time-budget=5000",
         live_server.url + path],
        check=True, timeout=90, capture_output=True,
    )
    image = Image.open(shot)
    # the page is not blank: many distinct colours (photos, chart, text)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 500


def test_delete_my_data_leaves_nothing_of_the_follow_up(deliver, events, emulator, two_patients, db, services, clock):
    (alice, _), _ = two_patients
    ask_summary(deliver, events, emulator, alice)
    deliver(events.postback("action=history", user=alice))                 # stores chart files
    dispatch.send_due(db, services.line, clock.now())                     # sync: check-in row
    plans.after_result(db, alice, "soon", clock.now(), clock.now())
    for table in ("referrals", "poem_checkins", "reminders"):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE user_id = ?", [alice]).fetchone()[0] >= 1
    folder = files.user_dir(services.settings.data_dir, alice)
    assert any(p.name.startswith("chart-") for p in folder.iterdir())
    deliver(events.postback("action=delete&confirm=yes", user=alice))
    assert not folder.exists()
    assert alice.encode() not in database_bytes(services.settings, db)


@pytest.mark.parametrize("lang, accept", [("ja", "ja"), ("en", "en-GB,en;q=0.9")])
def test_a_revoked_link_is_a_short_page_in_the_readers_language(deliver, events, emulator, client, two_patients,
                                                               lang, accept):
    """Issue 12 item 5: not Flask's English "Not Found"."""
    (alice, _), _ = two_patients
    path, _ = ask_summary(deliver, events, emulator, alice)
    deliver(events.text("まとめを取り消す", user=alice))
    response = client.get(path, headers={"Accept-Language": accept})
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert {"ja": "このリンクは使えなくなりました", "en": "This link no longer works"}[lang] in html
    assert "Not Found" not in html and response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_summary_shows_the_red_flag_answers_that_raised_the_level(deliver, events, emulator, client, db, clock, lang):
    """Issue 12 item 8: the clinician sees why a routine-looking photo is 'same day'."""
    from bot.domain.triage import triage
    from bot.texts import t
    from storage import assessments

    clock.set(T0)
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=consent&v=yes", user=uid))
    deliver(events.postback(f"action=lang&v={lang}", user=uid))
    probabilities = {"AD": 0.9, "IM": 0.05, "HI": 0.03, "MF": 0.02}
    answers = {"fever": True, "blisters": True, "spreading": False, "eyes": False}
    first = add_result(db, uid, T0, probabilities)
    flagged = triage(probabilities, answers)
    assessments.set_flags(db, uid, first, answers, flagged.level, flagged.finding)
    add_result(db, uid, T0 + dt.timedelta(days=1), probabilities)  # questions not answered
    path, _ = ask_summary(deliver, events, emulator, uid, {"ja": "医師へのまとめ", "en": "summary for my doctor"}[lang])
    html = client.get(path).get_data(as_text=True)
    assert t("referral.flags", lang) in html
    for flag in ("fever", "blisters"):
        assert t(f"conv.ans_{flag}", lang) in html
    for flag in ("spreading", "eyes"):
        assert t(f"conv.ans_{flag}", lang) not in html
    assert t("referral.flags_unanswered", lang) in html

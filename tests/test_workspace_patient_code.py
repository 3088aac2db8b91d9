"""Issue 21, a clinician's day: the patient's code (given with the share confirmation, repeated by
"my code"/「番号」, keyed with the installation's key, never the LINE id), finding a patient by it
in the workspace, the list with same-day cases first, filters by status and level, pages of
everything (the list, a patient's results), who set a status and when, and the photo viewer
page. Real app, real SQLite, signed webhooks through the LINE emulator."""

import re
from datetime import timedelta

import pytest

from bot.domain.triage import triage
from bot.views import summary
from storage import assessments, audit, clinic_referrals, consent, users
from tests.support.clinic import CLINIC_A, CLINIC_B, account, form_token, patient, share, sign_in
from tests.support.devmodels import build_dev_models

CODE = re.compile(r"\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b")
LISTED = re.compile(r'<b class="code">([^<]+)</b>')


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


@pytest.fixture
def staff_a(db):
    return account(db, CLINIC_A, "a@clinic.example")


def texts_of(messages) -> str:
    return "\n".join(m.get("text", "") for m in messages if m["type"] == "text")


# --- the patient's side -------------------------------------------------------------------------

@pytest.mark.parametrize("lang, words, told, none", [
    ("ja", ("番号", "マイコード", "患者番号"), "あなたの番号", "番号はありません"),
    ("en", ("my code", "code", "My Code"), "Your code", "there is no code yet"),
])
def test_the_share_confirmation_gives_the_code_and_my_code_repeats_it(chat, db, services, staff_a, lang, words,
                                                                      told, none):
    account(db, CLINIC_B, "b@clinic.example")
    user = patient(chat, CLINIC_A, lang=lang)
    confirmed = [m for m in user.emulator.messages_to(user.user) if told in m.get("text", "")]
    assert len(confirmed) == 1
    (code,) = CODE.findall(confirmed[0]["text"])
    assert clinic_referrals.code_of(db, user.user) == code
    assert user.user not in confirmed[0]["text"] and code.replace("-", "") not in user.user.upper()
    for word in words:
        (answer,) = user.say(word)
        assert told in answer["text"] and CODE.findall(answer["text"]) == [code]
    # a second clinic: the same patient, the same code
    assert code in texts_of(share(user, CLINIC_B, research=None))
    assert {row["patient_code"] for row in db.query("SELECT patient_code FROM clinic_referrals")} == {code}
    user.say("共有をやめる" if lang == "ja" else "stop sharing")
    (answer,) = user.say(words[0])
    assert none in answer["text"] and not CODE.search(answer["text"])


def test_my_code_before_any_share_says_how_to_get_one(chat, db):
    user = chat("ja")
    user.follow()
    (answer,) = user.say("番号")
    assert "番号はありません" in answer["text"] and "この医院に記録を共有" in answer["text"]


def test_the_code_needs_the_installations_key_and_is_unique_among_patients(db, services, tmp_path, clock):
    key_dir = services.settings.files_dir
    one, two = "U" + "1" * 32, "U" + "2" * 32
    code = clinic_referrals.derive_code(key_dir, one)
    assert CODE.fullmatch(code) and code == clinic_referrals.derive_code(key_dir, one)
    assert code != clinic_referrals.derive_code(tmp_path / "another-installation", one)  # another key
    assert code != clinic_referrals.derive_code(key_dir, two) != clinic_referrals.derive_code(key_dir, one, 1)
    for user_id in (one, two):
        users.ensure(db, user_id, clock.now())
        consent.record(db, user_id, "given", clock.now())
    assert clinic_referrals.ensure_code(db, key_dir, one) is None  # shares with no clinic: no code
    clinic_referrals.share(db, two, CLINIC_A.id, clock.now())
    db.execute("UPDATE clinic_referrals SET patient_code = ? WHERE user_id = ?", [code, two])  # one's code taken
    clinic_referrals.share(db, one, CLINIC_A.id, clock.now())
    moved = clinic_referrals.ensure_code(db, key_dir, one)
    assert moved == clinic_referrals.derive_code(key_dir, one, 1) != code
    assert clinic_referrals.ensure_code(db, key_dir, one) == moved  # kept, not derived again


@pytest.mark.parametrize("typed, found", [
    ("K7QM-3XTA", "K7QM-3XTA"), ("k7qm3xta", "K7QM-3XTA"), (" k7qm 3xta ", "K7QM-3XTA"),
    ("Ｋ７ＱＭ－３ＸＴＡ", "K7QM-3XTA"), ("K7QMー3XTA", "K7QM-3XTA"), ("K7QM.3XTA", "K7QM-3XTA"),
    ("K7QM-3XT", None), ("K7QM-3XTAA", None), ("K0QM-3XTA", None), ("K1QM-3XTA", None), ("", None),
    ("U" + "1" * 32, None), ("K7QM-3XT%", None),
])
def test_a_typed_code_is_read_as_the_patient_says_it(typed, found):
    assert clinic_referrals.normal_code(typed) == found


# --- the workspace ------------------------------------------------------------------------------

def test_the_workspace_finds_a_patient_by_the_code_they_show(chat, client, db, staff_a):
    account(db, CLINIC_B, "b@clinic.example")
    mine = patient(chat, CLINIC_A)
    theirs = patient(chat, CLINIC_B)
    code, other = clinic_referrals.code_of(db, mine.user), clinic_referrals.code_of(db, theirs.user)
    sign_in(client, "a@clinic.example")
    page = client.get("/clinic/").get_data(as_text=True)
    assert 'role="search"' in page and 'name="code"' in page
    rid = clinic_referrals.patient_of(db, CLINIC_A.id, mine.user)["referral_id"]
    for typed in (code, code.lower().replace("-", " "), code.replace("-", "")):
        found = client.get("/clinic/", query_string={"code": typed})
        assert found.status_code == 302 and found.headers["Location"].endswith(f"/clinic/referrals/{rid}")
    shown = client.get(f"/clinic/referrals/{rid}").get_data(as_text=True)
    assert f'<b class="code">{code}</b>' in shown and mine.user not in shown
    for typed, lang, said in ((other, "en", "No patient with the code"), ("nonsense", "ja", "この医院の紹介にいません")):
        answer = client.get("/clinic/", query_string={"code": typed, "lang": lang})
        assert answer.status_code == 200 and said in answer.get_data(as_text=True)
        assert theirs.user not in answer.get_data(as_text=True)


def result(db, user_id, when, level):
    """A stored result at the given level, as the photo feature stores one."""
    probabilities = {"AD": 0.1, "IM": 0.05, "HI": 0.8, "MF": 0.05} if level == "urgent" else \
        {"AD": 0.1, "IM": 0.8, "HI": 0.05, "MF": 0.05} if level == "soon" else {"AD": 0.9, "IM": 0.04, "HI": 0.03, "MF": 0.03}
    verdict = triage(probabilities, shadow=level == "questions")
    assert verdict.level == level
    return assessments.add(db, user_id, when, {"quality": "ok", "probabilities": probabilities, "top": "AD",
                                               "models": {"validated": False}}, verdict)


@pytest.fixture
def referred(db, services, clock):
    """Eight patients of clinic A (one of clinic B), each with a newest result at a level; the
    newest share last. Returns {name: code}."""
    plan = [("routine1", "routine"), ("urgent1", "urgent"), ("soon1", "soon"), ("questions1", "questions"),
            ("urgent_seen", "urgent"), ("routine2", "routine"), ("urgent2", "urgent"), ("b_urgent", "urgent")]
    codes = {}
    for i, (name, level) in enumerate(plan):
        user_id = f"U{i:032x}"
        users.ensure(db, user_id, clock.now())
        consent.record(db, user_id, "given", clock.now())
        result(db, user_id, clock.now() - timedelta(days=1), "routine")   # an older result first
        result(db, user_id, clock.now() + timedelta(minutes=i), level)
        clinic = CLINIC_B if name.startswith("b_") else CLINIC_A
        row = clinic_referrals.share(db, user_id, clinic.id, clock.now() + timedelta(minutes=i))
        if name == "urgent_seen":
            clinic_referrals.set_status(db, clinic.id, row["referral_id"], "seen", clock.now())
        codes[name] = clinic_referrals.ensure_code(db, services.settings.files_dir, user_id)
    return codes


def listed(client, codes, query="") -> list[str]:
    names = {code: name for name, code in codes.items()}
    page = client.get("/clinic/" + query).get_data(as_text=True)
    return [names.get(code, code) for code in LISTED.findall(page)]


def test_the_list_puts_same_day_cases_first_and_filters_by_status_and_level(client, db, staff_a, referred):
    sign_in(client, "a@clinic.example")
    # same day and not yet seen first (newest share first among them), then the newest shares
    assert listed(client, referred) == ["urgent2", "urgent1", "routine2", "urgent_seen", "questions1", "soon1",
                                        "routine1"]
    page = client.get("/clinic/?lang=en").get_data(as_text=True)
    assert page.count('class="badge urgent-badge"') == 2 and "Same-day cases not yet seen come first" in page
    assert listed(client, referred, "?level=urgent") == ["urgent2", "urgent1", "urgent_seen"]
    assert listed(client, referred, "?level=questions") == ["questions1"]
    assert listed(client, referred, "?level=routine") == ["routine2", "routine1"]  # the newest result counts
    assert listed(client, referred, "?status=seen") == ["urgent_seen"]
    assert listed(client, referred, "?status=new&level=urgent") == ["urgent2", "urgent1"]
    assert listed(client, referred, "?status=bogus&level=%0d%0a") == listed(client, referred)  # odd filters: all
    page = client.get("/clinic/?status=contacted&lang=en").get_data(as_text=True)
    assert "No patient matches these filters." in page
    # the level filter offers every level, "questions not answered" included, in both languages
    assert 'value="questions"' in page and "not answered" in page
    assert "質問に未回答" in client.get("/clinic/?lang=ja").get_data(as_text=True)


def test_pages_of_the_list_keep_their_filters(client, db, staff_a, referred, monkeypatch):
    from bot.features.workspace import pages
    monkeypatch.setattr(pages, "PAGE", 2)
    sign_in(client, "a@clinic.example")
    assert listed(client, referred, "?level=urgent") == ["urgent2", "urgent1"]
    page = client.get("/clinic/?level=urgent").get_data(as_text=True)
    assert 'href="/clinic/?page=2&amp;level=urgent" rel="next"' in page
    assert listed(client, referred, "?level=urgent&page=2") == ["urgent_seen"]
    everyone = [name for n in (1, 2, 3, 4) for name in listed(client, referred, f"?page={n}")]
    assert everyone == ["urgent2", "urgent1", "routine2", "urgent_seen", "questions1", "soon1", "routine1"]


def test_a_patients_results_come_a_page_at_a_time(client, db, staff_a, clock):
    from bot.features.workspace.pages import MAX_RESULTS
    user_id = "U" + "a" * 32
    users.ensure(db, user_id, clock.now())
    consent.record(db, user_id, "given", clock.now())
    ids = [result(db, user_id, clock.now() + timedelta(hours=i), "routine") for i in range(2 * MAX_RESULTS + 5)]
    rid = clinic_referrals.share(db, user_id, CLINIC_A.id, clock.now())["referral_id"]
    sign_in(client, "a@clinic.example")

    def shown(query=""):
        page = client.get(f"/clinic/referrals/{rid}{query}").get_data(as_text=True)
        return len(re.findall(r'<section class="card result"', page)), page

    count, page = shown()
    assert count == MAX_RESULTS and 'rel="next"' in page and 'rel="prev"' not in page
    count, page = shown("?page=2")
    assert count == MAX_RESULTS and 'rel="next"' in page and 'rel="prev"' in page
    count, page = shown("?page=3")
    assert count == 5 and 'rel="next"' not in page and 'rel="prev"' in page
    assert shown("?page=99")[0] == 5 and shown("?page=" + "9" * 40)[0] == 5 and shown("?page=-1")[0] == MAX_RESULTS
    assert len(ids) == 2 * MAX_RESULTS + 5


def test_a_status_change_says_who_made_it_and_when(client, db, staff_a, referred, clock):
    sign_in(client, "a@clinic.example")
    rid = clinic_referrals.by_code(db, CLINIC_A.id, referred["soon1"])["referral_id"]
    clock.advance(minutes=20)  # within the session, a later time than the share
    sent = client.post(f"/clinic/referrals/{rid}/status",
                       data={"status": "contacted", "csrf_token": form_token(client, f"/clinic/referrals/{rid}")})
    assert sent.status_code == 302
    page = client.get(f"/clinic/referrals/{rid}?lang=en").get_data(as_text=True)
    (said,) = re.findall(r'<span class="meta status-by">([^<]+)</span>', page)
    when = summary.local(clock.now().isoformat(), summary.user_zone(db, clinic_referrals.get(db, CLINIC_A.id, rid)["user_id"]))
    assert said == f"Set to &#34;Contacted&#34; by a@clinic.example at {when}."
    (entry,) = [e for e in audit.entries(db) if e["action"] == audit.STATUS]
    assert entry["subject"] == f"{rid}:contacted" and entry["staff_id"] == staff_a["staff_id"]
    assert clinic_referrals.get(db, CLINIC_A.id, rid)["status"] == "contacted"


# --- the photo viewer ---------------------------------------------------------------------------

def test_photos_open_in_the_viewer_beside_the_overlay_never_as_a_bare_jpeg(chat, client, db, staff_a):
    account(db, CLINIC_B, "b@clinic.example")
    user = patient(chat, CLINIC_A)
    stranger = patient(chat, CLINIC_B)
    (photo_id,) = [row[0] for row in db.execute("SELECT id FROM assessments WHERE user_id = ?", [user.user])]
    (theirs,) = [row[0] for row in db.execute("SELECT id FROM assessments WHERE user_id = ?", [stranger.user])]
    sign_in(client, "a@clinic.example")
    rid = clinic_referrals.patient_of(db, CLINIC_A.id, user.user)["referral_id"]
    record = client.get(f"/clinic/referrals/{rid}").get_data(as_text=True)
    assert f'href="/clinic/photos/{photo_id}/view"' in record and 'id="viewer-dialog"' in record
    assert not re.search(r'<a [^>]*href="[^"]+\.jpg"', record)  # no link to a bare picture
    assert re.search(r'<script src="/clinic/static/viewer\.js\?v=[0-9a-f]{12}"></script>', record)
    viewer = client.get(f"/clinic/photos/{photo_id}/view")
    html = viewer.get_data(as_text=True)
    assert viewer.status_code == 200 and "script-src 'self'" in viewer.headers["Content-Security-Policy"]
    assert f'src="/clinic/photos/{photo_id}/photo.jpg"' in html and f'src="/clinic/photos/{photo_id}/overlay.jpg"' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # no inline script
    assert f'href="/clinic/referrals/{rid}"' in html and clinic_referrals.code_of(db, user.user) in html
    assert client.get(f"/clinic/photos/{theirs}/view").status_code == 404
    assert client.get("/clinic/photos/99999999999999999999999/view").status_code == 404
    script = client.get("/clinic/static/viewer.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    label = client.get(f"/clinic/photos/{photo_id}/label").get_data(as_text=True)
    assert f'href="/clinic/photos/{photo_id}/view"' in label and 'target="_blank"' not in label


def _patients(db, clock, count):
    ids = ["U" + str(i) * 32 for i in range(1, count + 1)]
    for user_id in ids:
        users.ensure(db, user_id, clock.now())
        consent.record(db, user_id, "given", clock.now())
    return ids


def test_rows_shared_before_codes_existed_get_their_patients_codes(db, services, clock):
    key_dir = services.settings.files_dir
    one, two = _patients(db, clock, 2)
    for user_id in (one, two):
        clinic_referrals.share(db, user_id, CLINIC_A.id, clock.now())  # no code yet
    clinic_referrals.share(db, one, CLINIC_B.id, clock.now())
    assert clinic_referrals.fill_codes(db, key_dir) == 2  # patients, not rows
    assert [clinic_referrals.code_of(db, u) for u in (one, two)] == [
        clinic_referrals.derive_code(key_dir, one), clinic_referrals.derive_code(key_dir, two)]
    assert db.execute("SELECT count(*) FROM clinic_referrals WHERE patient_code IS NULL").fetchone()[0] == 0
    assert clinic_referrals.fill_codes(db, key_dir) == 0


def test_a_clinics_referrals_come_newest_first_a_page_at_a_time_and_only_it_sets_their_status(db, clock):
    patients = _patients(db, clock, 3)
    for minutes, user_id in enumerate(patients):
        clinic_referrals.share(db, user_id, CLINIC_A.id, clock.now() + timedelta(minutes=minutes))
    rows = clinic_referrals.for_clinic(db, CLINIC_A.id)
    assert [row["user_id"] for row in rows] == patients[::-1]
    assert [row["user_id"] for row in clinic_referrals.for_clinic(db, CLINIC_A.id, limit=1, offset=1)] == [patients[1]]
    assert [row["user_id"] for row in clinic_referrals.for_clinic(db, CLINIC_A.id, limit=2)] == patients[:0:-1]
    newest = rows[0]["referral_id"]
    assert clinic_referrals.set_status(db, CLINIC_B.id, newest, "seen", clock.now()) is False  # not B's
    assert clinic_referrals.set_status(db, CLINIC_A.id, newest, "seen", clock.now()) is True
    assert clinic_referrals.get(db, CLINIC_A.id, newest)["status"] == "seen"
    assert [row["user_id"] for row in clinic_referrals.listed(db, CLINIC_A.id)] == patients[::-1]  # no results yet
    assert [row["user_id"] for row in clinic_referrals.listed(db, CLINIC_A.id, limit=2)] == patients[:0:-1]
    assert [clinic_referrals.count_for_clinic(db, CLINIC_A.id, status=s) for s in (None, "seen", "new")] == [3, 1, 2]
    assert clinic_referrals.count_for_clinic(db, CLINIC_A.id, level="urgent") == 0
    assert clinic_referrals.patient_of(db, CLINIC_A.id, patients[0])["user_id"] == patients[0]
    assert clinic_referrals.patient_of(db, CLINIC_B.id, patients[0]) is None  # shared with A only
    with pytest.raises(ValueError, match="^done$"):
        clinic_referrals.set_status(db, CLINIC_A.id, newest, "done", clock.now())


def test_every_character_of_a_code_varies_between_patients(services):
    codes = [clinic_referrals.derive_code(services.settings.files_dir, f"U{i:032x}") for i in range(64)]
    for position in (0, 1, 2, 3, 5, 6, 7, 8):  # 4 is the dash
        assert len({code[position] for code in codes}) > 8, position  # 5 bits each, none fixed


def test_a_patients_stored_code_is_kept_whatever_the_key_derives_now(db, services, clock):
    (one,) = _patients(db, clock, 1)
    clinic_referrals.share(db, one, CLINIC_A.id, clock.now())
    db.execute("UPDATE clinic_referrals SET patient_code = 'K7QM-3XTA' WHERE user_id = ?", [one])  # an older key's
    clinic_referrals.share(db, one, CLINIC_B.id, clock.now())  # a new row, no code yet
    assert clinic_referrals.ensure_code(db, services.settings.files_dir, one) == "K7QM-3XTA"
    assert [row[0] for row in db.execute("SELECT patient_code FROM clinic_referrals WHERE user_id = ?", [one])] == [
        "K7QM-3XTA"] * 2

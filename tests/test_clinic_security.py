"""The clinic workspace's protections, each shown failing-closed from the outside: sign-in for
every /clinic/ route, one clinic never reaching another's patients, CSRF on forms, the lock-out,
session expiry and sign-out, the cookie's flags, one-time set-up links, withdrawal and deletion
taking a patient out of everything at once, no LINE id on any page, export or log, and an
audit row for every photo view, label and export."""

import base64
import io
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.features.workspace import accounts, web
from models import dataset
from storage import audit, clinic_labels, clinic_referrals, files, staff
from tests.support.clinic import CLINIC_A, CLINIC_B, ROOT, account, cli_env, form_token, patient, sign_in
from tests.support.devmodels import build_dev_models


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


@pytest.fixture
def staff_a(db):
    return account(db, CLINIC_A, "a@clinic.example")


@pytest.fixture
def staff_b(db):
    return account(db, CLINIC_B, "b@clinic.example")


def referral_id(db, user, clinic):
    return clinic_referrals.patient_of(db, clinic.id, user.user)["referral_id"]


def photo_ids(db, user):
    return [row[0] for row in db.execute("SELECT id FROM assessments WHERE user_id = ? ORDER BY id", [user.user])]


def mask_url(width, height, lesion_box=None) -> str:
    classes = np.ones((height, width), np.uint8)
    if lesion_box:
        x0, y0, x1, y1 = lesion_box
        classes[y0:y1, x0:x1] = 2
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = classes, 255
    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def label(client, assessment_id, diagnosis="AD"):
    """Label through the real page: its size, its CSRF token, a painted mask."""
    page = client.get(f"/clinic/photos/{assessment_id}/label").get_data(as_text=True)
    width, height = (int(v) for v in re.search(r'<canvas id="paint" width="(\d+)" height="(\d+)"', page).groups())
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(f"/clinic/photos/{assessment_id}/label", data={
        "csrf_token": token, "diagnosis": diagnosis,
        "mask": mask_url(width, height, (width // 4, height // 4, width // 2, height // 2))})


# --- sign-in everywhere -------------------------------------------------------------------------

def test_every_clinic_route_but_sign_in_redirects_to_sign_in(app, client):
    """Enumerates the app's own routes, so a route added later cannot be forgotten."""
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/clinic")]
    guarded = [rule for rule in routes if rule.endpoint not in web.PUBLIC]
    assert len(guarded) >= 10
    for rule in guarded:
        path = rule.rule
        for name, converter in rule._converters.items():
            path = path.replace(f"<{'int:' if type(converter).__name__ == 'IntegerConverter' else ''}{name}>",
                                "1" if type(converter).__name__ == "IntegerConverter" else "x")
        assert "<" not in path, path
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/clinic/login"), (method, path)


# --- clinics apart ----------------------------------------------------------------------------

def test_clinic_a_gets_404_for_clinic_bs_patients_and_photos(chat, client, db, staff_a, staff_b):
    mine = patient(chat, CLINIC_A)
    theirs = patient(chat, CLINIC_B)
    sign_in(client, "a@clinic.example")
    listing = client.get("/clinic/").get_data(as_text=True)
    assert referral_id(db, mine, CLINIC_A) in listing and referral_id(db, theirs, CLINIC_B) not in listing
    assert client.get(f"/clinic/referrals/{referral_id(db, mine, CLINIC_A)}").status_code == 200
    (own,), (other,) = photo_ids(db, mine), photo_ids(db, theirs)
    for path in ("/photo.jpg", "/overlay.jpg", "/label", "/model-mask.png"):
        assert client.get(f"/clinic/photos/{own}{path}").status_code == 200, path
        missing = client.get(f"/clinic/photos/{other}{path}")
        assert missing.status_code == 404 and "見つかりません" in missing.get_data(as_text=True), path
    for path in ("", "/chart.png"):
        assert client.get(f"/clinic/referrals/{referral_id(db, theirs, CLINIC_B)}{path}").status_code == 404
    token = form_token(client, "/clinic/")
    assert client.post(f"/clinic/referrals/{referral_id(db, theirs, CLINIC_B)}/status",
                       data={"csrf_token": token, "status": "seen"}).status_code == 404
    assert client.post(f"/clinic/photos/{other}/label", data={"csrf_token": token, "diagnosis": "AD"}).status_code == 404
    assert clinic_labels.of_photo(db, CLINIC_B.id, other) == [] and clinic_labels.of_photo(db, CLINIC_A.id, other) == []
    # B's own label is not reachable from A either
    client.post("/clinic/logout", data={"csrf_token": token})
    sign_in(client, "b@clinic.example")
    assert label(client, other).status_code == 302
    (b_label,) = clinic_labels.of_photo(db, CLINIC_B.id, other)
    client.post("/clinic/logout", data={"csrf_token": form_token(client, "/clinic/")})
    sign_in(client, "a@clinic.example")
    assert client.get(f"/clinic/labels/{b_label['label_id']}/mask.png").status_code == 404


def test_the_referral_list_comes_a_page_at_a_time_and_only_this_clinics(client, db, services, staff_a, clock):
    from datetime import timedelta

    from bot.features.workspace.pages import PAGE
    from storage import consent, users
    codes = {}
    for i in range(PAGE + 12):  # the newest first: patient i shared i minutes after the start
        user_id = f"U{i:032x}"
        users.ensure(db, user_id, clock.now())
        consent.record(db, user_id, "given", clock.now())
        clinic = CLINIC_B if i % 10 == 9 else CLINIC_A
        clinic_referrals.share(db, user_id, clinic.id, clock.now() + timedelta(minutes=i))
        codes[i] = (clinic_referrals.ensure_code(db, services.settings.files_dir, user_id), clinic)
    mine = [code for i, (code, clinic) in sorted(codes.items(), reverse=True) if clinic == CLINIC_A]
    theirs = [code for code, clinic in codes.values() if clinic == CLINIC_B]
    sign_in(client, "a@clinic.example")

    def listed(query=""):
        page = client.get("/clinic/" + query).get_data(as_text=True)
        return [code for code in mine + theirs if code in page], page

    first, page = listed()
    assert first == mine[:PAGE] and "1 / 2" in page and 'rel="next"' in page and 'rel="prev"' not in page
    second, page = listed("?page=2")
    assert second == mine[PAGE:] and 'rel="prev"' in page and 'rel="next"' not in page
    assert listed("?page=99")[0] == mine[PAGE:] and listed("?page=-3")[0] == mine[:PAGE]
    assert listed("?page=x")[0] == mine[:PAGE]


# --- forms --------------------------------------------------------------------------------------

def test_a_form_without_the_csrf_token_is_refused(chat, client, db, staff_a):
    user = patient(chat, CLINIC_A)
    rid = referral_id(db, user, CLINIC_A)
    sign_in(client, "a@clinic.example")
    assert client.post(f"/clinic/referrals/{rid}/status", data={"status": "seen"}).status_code == 400
    refused = client.post(f"/clinic/referrals/{rid}/status", data={"status": "seen", "csrf_token": "forged"},
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 400 and "This page had expired" in refused.get_data(as_text=True)
    client.get("/clinic/?lang=ja")
    refused = client.post(f"/clinic/referrals/{rid}/status", data={"status": "seen"})
    assert refused.status_code == 400 and "有効期限が切れた" in refused.get_data(as_text=True)
    assert clinic_referrals.get(db, CLINIC_A.id, rid)["status"] == "new"
    token = form_token(client, f"/clinic/referrals/{rid}")
    assert client.post(f"/clinic/referrals/{rid}/status", data={"status": "seen", "csrf_token": token}).status_code == 302
    assert clinic_referrals.get(db, CLINIC_A.id, rid)["status"] == "seen"
    # signing in and out are forms too
    assert client.post("/clinic/logout").status_code == 400
    fresh = client.application.test_client()
    assert fresh.post("/clinic/login", data={"email": "a@clinic.example", "password": "correct horse battery"}
                      ).status_code == 400


# --- accounts -----------------------------------------------------------------------------------

def test_the_lock_out_engages_after_repeated_failures(client, db, staff_a, clock):
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        assert sign_in(client, "a@clinic.example", "wrong password!").status_code == 401
    refused = sign_in(client, "a@clinic.example")  # the right password, while locked
    assert refused.status_code == 401 and client.get("/clinic/").status_code == 302
    clock.advance(minutes=16)
    assert sign_in(client, "a@clinic.example").status_code == 302
    assert client.get("/clinic/").status_code == 200


def test_the_lock_out_answers_the_same_for_known_and_unknown_emails(client, db, staff_a):
    """Issue 21 item 6: after 5 tries a known email answered 429 and an unknown one 401, which
    told a guesser which emails have accounts."""
    def answers(email):
        browser = client.application.test_client()
        found = [sign_in(browser, email, "a guess!!!") for _ in range(accounts.FAILURES_BEFORE_LOCK + 2)]
        return [(r.status_code, re.sub(r'name="csrf_token" value="[^"]+"', "", r.get_data(as_text=True)))
                for r in found]

    assert answers("a@clinic.example") == answers("nobody@clinic.example")
    entries = [e["action"] for e in audit.entries(db)]
    assert entries.count(audit.LOCKED) == 1 and entries.count(audit.SIGN_IN_FAILED) >= 2 * accounts.FAILURES_BEFORE_LOCK


def test_a_stranger_guessing_locks_the_account_but_not_its_owners_browser(client, db, staff_a, clock):
    assert sign_in(client, "a@clinic.example").status_code == 302
    cookie = client.get_cookie("clinic_device", path="/clinic/")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    client.post("/clinic/logout", data={"csrf_token": form_token(client, "/clinic/")})

    stranger = client.application.test_client()
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        sign_in(stranger, "a@clinic.example", "a guess!!!")
    assert sign_in(stranger, "a@clinic.example").status_code == 401  # locked for strangers
    forged = client.application.test_client()
    forged.set_cookie("clinic_device", "made-up-token", path="/clinic/")
    assert sign_in(forged, "a@clinic.example").status_code == 401  # a made-up cookie is a stranger
    assert sign_in(client, "a@clinic.example").status_code == 302  # the owner's browser is not locked
    client.post("/clinic/logout", data={"csrf_token": form_token(client, "/clinic/")})

    # The owner's browser has a lock of its own, for its own failures.
    for _ in range(accounts.FAILURES_BEFORE_LOCK):
        assert sign_in(client, "a@clinic.example", "mistyped!!").status_code == 401
    assert sign_in(client, "a@clinic.example").status_code == 401
    clock.advance(minutes=16)
    assert sign_in(client, "a@clinic.example").status_code == 302

    # Trust lasts as long as the cookie; a new password (a set-up link) ends it at once.
    owner = staff_a["staff_id"]
    assert staff.device(db, cookie.value, owner, clock.now(), accounts.DEVICE_FOR) is not None
    assert staff.device(db, cookie.value, owner, clock.now() + accounts.DEVICE_FOR, accounts.DEVICE_FOR) is None
    staff.set_password_hash(db, owner, accounts.hash_password("another long phrase"))
    assert staff.device(db, cookie.value, owner, clock.now(), accounts.DEVICE_FOR) is None


def test_sessions_expire_and_signing_out_ends_them(client, db, staff_a, clock):
    sign_in(client, "a@clinic.example")
    assert client.get("/clinic/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/clinic/").status_code == 200   # in use: not idle
    clock.advance(minutes=31)
    assert client.get("/clinic/").status_code == 302   # idle too long
    sign_in(client, "a@clinic.example")
    for _ in range(25):                                 # busy all day: still ends after 12 hours
        clock.advance(minutes=29)
        client.get("/clinic/queue")
    assert client.get("/clinic/").status_code == 302
    sign_in(client, "a@clinic.example")
    cookie = client.get_cookie("session").value
    client.post("/clinic/logout", data={"csrf_token": form_token(client, "/clinic/")})
    client.set_cookie("session", cookie)               # the old cookie, replayed
    assert client.get("/clinic/").status_code == 302


@pytest.mark.parametrize("public_url, secure", [("https://adai.example", True), ("http://127.0.0.1:8000", False)])
def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(app_config, clock, public_url, secure):
    from bot import create_app

    app = create_app({**app_config, "public_url": public_url}, clock=clock)
    try:
        account(app.extensions["adai"].db(), CLINIC_A, "a@clinic.example")
        client = app.test_client()
        base = public_url.rstrip("/")
        page = client.get(base + "/clinic/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        response = client.post(base + "/clinic/login", headers={"Referer": base + "/clinic/login"},
                               data={"csrf_token": token, "email": "a@clinic.example",
                                     "password": "correct horse battery"})
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
    finally:
        app.extensions["adai"].stop()


def test_a_set_up_link_sets_the_password_once(client, db, services, clock):
    url = accounts.add_staff(db, services.settings, [CLINIC_A], CLINIC_A.id, "new@clinic.example", "admin", clock.now())
    path = url.split("127.0.0.1", 1)[-1].split(":", 1)[-1]
    path = path[path.index("/"):]
    token = form_token(client, path)
    assert client.post(path, data={"csrf_token": token, "password": "short", "again": "short"}).status_code == 400
    good = {"csrf_token": token, "password": "a long pass phrase", "again": "a long pass phrase"}
    assert client.post(path, data=good).status_code == 302
    assert client.get("/clinic/").status_code == 200
    assert client.get(path).status_code == 404          # used
    other = client.application.test_client()
    assert sign_in(other, "new@clinic.example", "a long pass phrase").status_code == 302
    with pytest.raises(accounts.UnknownClinic):
        accounts.add_staff(db, services.settings, [CLINIC_A], "nowhere", "x@clinic.example", "clinician", clock.now())


# --- withdrawal and deletion --------------------------------------------------------------------

WAYS_OUT = {
    "research withdrawn": "action=research&v=withdraw",
    "consent withdrawn": "action=consent&v=withdraw",
    "delete my data": "action=delete&confirm=yes",
}


@pytest.mark.parametrize("way_out", WAYS_OUT)
def test_a_withdrawn_or_deleted_patient_is_gone_from_queue_referrals_and_next_export(
        chat, client, db, services, staff_a, tmp_path, clock, way_out):
    leaving, staying = patient(chat, CLINIC_A), patient(chat, CLINIC_A)
    sign_in(client, "a@clinic.example")
    (gone_photo,), (kept_photo,) = photo_ids(db, leaving), photo_ids(db, staying)
    assert label(client, gone_photo).status_code == 302 and label(client, kept_photo).status_code == 302
    before = dataset.export(db, services.settings.files_dir, tmp_path / "before", clock.now(), CLINIC_A.id)
    assert len(before["photos"]) == 2
    folder = files.user_dir(services.settings.files_dir, leaving.user)
    assert any(p.name.startswith("mask-") for p in folder.iterdir())
    rid = referral_id(db, leaving, CLINIC_A)

    leaving.tap(WAYS_OUT[way_out])

    queue = client.get("/clinic/queue").get_data(as_text=True)
    assert f"/clinic/photos/{gone_photo}/label" not in queue and f"/clinic/photos/{kept_photo}/label" in queue
    if way_out != "research withdrawn":  # research alone: still a referred patient, no longer labelled
        assert rid not in client.get("/clinic/").get_data(as_text=True)
        assert client.get(f"/clinic/referrals/{rid}").status_code == 404
    assert client.get(f"/clinic/photos/{gone_photo}/label").status_code == 404
    assert not folder.exists() or not any(p.name.startswith("mask-") for p in folder.iterdir())
    after = dataset.export(db, services.settings.files_dir, tmp_path / "after", clock.now(), CLINIC_A.id)
    assert len(after["photos"]) == 1
    removed = dataset.purge_withdrawn(db, tmp_path / "before")
    assert len(removed) == 1
    assert len(list((tmp_path / "before" / "images").iterdir())) == 1
    assert len(list((tmp_path / "before" / "masks").iterdir())) == 1
    assert (tmp_path / "before" / "labels.csv").read_text().count("\n") == 2  # header and the staying photo
    if way_out == "delete my data":  # and no byte of the patient is left in the database
        raw = b"".join(p.read_bytes() for p in Path(services.settings.db_path).parent.glob("adai.sqlite3*"))
        assert leaving.user.encode() not in raw


# --- nothing of the LINE id, and the audit log --------------------------------------------------

def test_no_line_user_id_in_any_page_export_or_log_and_every_view_label_export_is_audited(
        chat, client, db, services, staff_a, tmp_path, clock, caplog):
    caplog.set_level(logging.DEBUG)
    users = [patient(chat, CLINIC_A, kinds=("AD", "IM")), patient(chat, CLINIC_A, kinds=("MF",))]
    sign_in(client, "a@clinic.example")
    pages, photo_views = [], 0
    for path in ["/clinic/", "/clinic/queue", "/clinic/summary"]:
        pages.append(client.get(path))
    for user in users:
        rid = referral_id(db, user, CLINIC_A)
        pages.append(client.get(f"/clinic/referrals/{rid}"))
        pages.append(client.get(f"/clinic/referrals/{rid}/chart.png"))
        for aid in photo_ids(db, user):
            for kind in ("photo", "overlay"):
                pages.append(client.get(f"/clinic/photos/{aid}/{kind}.jpg"))
                photo_views += 1
            pages.append(client.get(f"/clinic/photos/{aid}/label"))
            pages.append(client.get(f"/clinic/photos/{aid}/model-mask.png"))
            photo_views += 1  # the model's skin and lesion outline of the photo
            assert label(client, aid).status_code == 302
            pages.append(client.get(f"/clinic/photos/{aid}/label?saved=1"))
            (mine,) = clinic_labels.of_photo(db, CLINIC_A.id, aid)
            pages.append(client.get(f"/clinic/labels/{mine['label_id']}/mask.png"))
            photo_views += 1  # the painted mask
    assert all(page.status_code == 200 for page in pages)
    manifest = dataset.export(db, services.settings.files_dir, tmp_path / "export", clock.now(), CLINIC_A.id)
    assert len(manifest["photos"]) == 3
    exported = b"".join(p.read_bytes() for p in (tmp_path / "export").rglob("*") if p.is_file())
    seen = b"".join(page.data for page in pages) + exported + caplog.text.encode()
    for user in users:
        assert user.user.encode() not in seen
        assert files.user_key(services.settings.files_dir, user.user).encode() not in seen

    entries = audit.entries(db, CLINIC_A.id)
    labelled = sum(len(photo_ids(db, user)) for user in users)
    views = [e for e in entries if e["action"] == audit.VIEW_PHOTO]
    # one row per photo or overlay fetched (this client does not load the <img> of a page)
    assert len(views) == photo_views
    assert len([e for e in entries if e["action"] == audit.LABEL]) == labelled
    (export_row,) = [e for e in audit.entries(db) if e["action"] == audit.EXPORT]
    assert export_row["subject"] == manifest["export_id"] and export_row["clinic_id"] == CLINIC_A.id
    assert all(e["staff_id"] == staff_a["staff_id"] for e in views)
    # an admin of the clinic reads the log on the summary page; a clinician does not
    assert "view_photo" not in client.get("/clinic/summary").get_data(as_text=True)
    account(db, CLINIC_A, "admin@clinic.example", role="admin")
    admin = client.application.test_client()
    sign_in(admin, "admin@clinic.example")
    assert admin.get("/clinic/summary").get_data(as_text=True).count("view_photo") == photo_views


def test_staff_add_prints_a_one_time_link_and_names_the_known_clinics(client, db, services):
    def staff_add(clinic_id, email):
        return subprocess.run([sys.executable, "-m", "bot", "staff", "add", "--clinic", clinic_id, "--email", email,
                               "--role", "clinician"], cwd=ROOT, env=cli_env(services.settings),
                              capture_output=True, text=True, timeout=60)

    made = staff_add(CLINIC_A.id, "cli@clinic.example")
    assert made.returncode == 0, made.stderr
    path = "/clinic/setup/" + re.search(r"/clinic/setup/(\S+)", made.stdout).group(1)
    token = form_token(client, path)
    assert client.post(path, data={"csrf_token": token, "password": "a long pass phrase",
                                   "again": "a long pass phrase"}).status_code == 302
    assert client.get("/clinic/").status_code == 200
    unknown = staff_add("nowhere", "other@clinic.example")
    assert unknown.returncode == 2 and CLINIC_A.id in unknown.stderr and "UnknownClinic" in unknown.stderr
    again = staff_add(CLINIC_A.id, "cli@clinic.example")
    assert again.returncode == 2 and "StaffExists" in again.stderr

"""Issue 21, the security review's findings, each from the outside: request-size limits (the real
`python -m bot serve`, its memory measured), CSP and framing on /clinic/, /referral/ and /media/,
HSTS and CSRF under https, odd ids and odd next= values, the workspace's own 400/404 pages,
staff commands, the audit's new rows, per-pair kappa, the worker's starting mask, cacheable
static files."""

import os
import re
import socket
import subprocess
import sys
import time

import pytest

from bot.engine import media
from bot.features import referral
from bot.features.workspace import agreement, web
from storage import audit, clinic_labels, clinic_referrals, files, staff
from tests.support import serve as real_server
from tests.support.clinic import CLINIC_A, PASSWORD, ROOT, account, cli_env, form_token, patient, sign_in
from tests.support.devmodels import build_dev_models
# The same app (the dev models) and first account as the first round's tests.
from tests.test_clinic_security import app_config, label, photo_ids, staff_a  # noqa: F401

MB = 1024 * 1024


# --- 1. request size -----------------------------------------------------------------------------

def rss_kb(pid) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))


def post_raw(url, path, length, body_bytes, timeout=10.0) -> bytes:
    """A POST declaring `length` bytes, sending up to body_bytes of them (the server may stop
    reading), then the answer's first bytes."""
    host, port = url.split("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode())
        chunk = b"a" * MB
        try:
            for _ in range(body_bytes // MB):
                conn.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest: what we want
        try:
            return conn.recv(200)
        except ConnectionResetError:
            return b""


@pytest.fixture
def server(tmp_path, emulator):
    env = {**os.environ, "LINE_CHANNEL_SECRET": "size-secret", "LINE_CHANNEL_ACCESS_TOKEN": emulator.access_token,
           "LINE_API_BASE_URL": emulator.url, "ADAI_DATA_DIR": str(tmp_path / "var"),
           "ADAI_MODELS_DIR": str(build_dev_models(tmp_path / "models")), "ADAI_DATABASE_URL": ""}
    process, url = real_server.start(env, tmp_path / "serve.log")
    yield process, url
    process.terminate()
    process.wait(10)


@pytest.mark.parametrize("path", ["/clinic/login", "/callback"])
def test_a_20_mb_body_is_refused_413_without_being_read(server, path):
    process, url = server
    # Only the headers: the answer comes before a byte of the body (before the fix the server
    # waited for all 20 MB).
    assert post_raw(url, path, 20 * MB, 0, timeout=5).startswith(b"HTTP/1.1 413")
    before = rss_kb(process.pid)
    for _ in range(3):
        answer = post_raw(url, path, 20 * MB, 20 * MB)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 413")
    assert rss_kb(process.pid) - before < 10 * 1024


def test_each_route_keeps_its_own_smaller_limit(client, staff_a):
    refused = client.post("/clinic/login", data={"email": "x" * 200_000, "password": "p"},
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 413 and "too large" in refused.get_data(as_text=True)
    assert "Content-Security-Policy" in refused.headers
    assert web.BODY_LIMITS["workspace.save_label"] > web.FORM_LIMIT


def test_waitress_takes_the_largest_route_body_and_no_more(services):
    from bot.serve import body_limit

    limit = body_limit(services.settings)
    assert web.BODY_LIMITS["workspace.save_label"] < limit <= 8 * MB
    assert services.settings.max_body_bytes < limit


# --- 2. headers ----------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)


def assert_hardened(response, https=False):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[-1].split(";")[0]
    assert "script-src 'self'" in csp or "default-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert ("Strict-Transport-Security" in response.headers) is https


def test_every_workspace_page_sends_a_csp_without_inline_script_and_refuses_framing(chat, client, db, staff_a):
    user = patient(chat, CLINIC_A)
    sign_in(client, "a@clinic.example")
    (aid,) = photo_ids(db, user)
    rid = clinic_referrals.patient_of(db, CLINIC_A.id, user.user)["referral_id"]
    for path in ("/clinic/", "/clinic/queue", "/clinic/summary", f"/clinic/referrals/{rid}",
                 f"/clinic/photos/{aid}/label", f"/clinic/photos/{aid}/photo.jpg", "/clinic/nowhere"):
        response = client.get(path)
        assert_hardened(response)
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert not INLINE_SCRIPT.search(html) and " style=" not in html and "<style" not in html, path
    signed_out = client.application.test_client()
    assert_hardened(signed_out.get("/clinic/login"))


def test_an_unknown_clinic_url_is_the_workspaces_own_404_in_the_readers_language(client):
    for path, method in (("/clinic/nowhere", "GET"), ("/clinic/a/b/c", "GET"), ("/clinic/logout", "GET")):
        response = client.open(path, method=method, headers={"Accept-Language": "en"})
        assert response.status_code in (404, 405), path
        html = response.get_data(as_text=True)
        assert "Not found." in html and "Clinic workspace" in html and "Not Found</h1>" not in html, path
        assert_hardened(response)
    assert "見つかりません" in client.get("/clinic/nowhere").get_data(as_text=True)


def test_referral_and_media_pages_send_a_csp_and_refuse_framing(chat, client, services, db, clock):
    user = chat("ja")
    user.follow()
    user.agree()
    url, _ = referral.create_link(services.settings, db, user.user, clock.now())
    page = client.get("/" + url.split("/", 3)[3])
    assert page.status_code == 200
    assert_hardened(page)
    assert "<script" not in page.get_data(as_text=True)
    media.store(services.settings, user.user, "chart", "c1", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    picture = client.get("/" + media.media_url(services.settings, user.user, "chart", "c1", clock.now()).split("/", 3)[3])
    assert picture.status_code == 200
    assert_hardened(picture)
    gone = client.get("/media/not-a-token")
    assert gone.status_code == 404
    assert_hardened(gone)


def test_hsts_and_csrf_work_under_https(app_config, clock):
    """The pages used to send Referrer-Policy: no-referrer, so a browser sent no Referer and
    Flask-WTF's https check refused every form. same-origin: the Referer goes to this site only."""
    from bot import create_app

    app = create_app({**app_config, "public_url": "https://adai.example"}, clock=clock)
    try:
        account(app.extensions["adai"].db(), CLINIC_A, "a@clinic.example")
        client = app.test_client()
        page = client.get("https://adai.example/clinic/login")
        assert_hardened(page, https=True)
        # What a browser sends under this policy on a same-origin form: the page's URL.
        assert page.headers["Referrer-Policy"] in ("same-origin", "strict-origin", "strict-origin-when-cross-origin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        fields = {"csrf_token": token, "email": "a@clinic.example", "password": PASSWORD}
        assert client.post("https://adai.example/clinic/login", data=fields).status_code == 400  # no Referer
        signed = client.post("https://adai.example/clinic/login?next=/clinic/queue", data=fields,
                             headers={"Referer": "https://adai.example/clinic/login"})
        assert signed.status_code == 302 and signed.headers["Location"].endswith("/clinic/queue")
        assert client.get("https://adai.example/clinic/queue").status_code == 200
    finally:
        app.extensions["adai"].stop()


def test_static_files_are_cacheable_and_the_font_never_no_store(client):
    page = client.get("/clinic/login").get_data(as_text=True)
    linked = re.findall(r'(?:href|src)="(/clinic/static/[^"]+)"', page)
    assert len(linked) >= 2 and all("?v=" in url for url in linked)
    for url in linked:
        response = client.get(url)
        assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
        assert response.headers.get("ETag") and "no-store" not in response.headers["Cache-Control"]
        assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    css = client.get(linked[0]).get_data(as_text=True)
    assert "../font.ttf" in css
    font = client.get("/clinic/font.ttf")
    assert font.status_code == 200 and "no-store" not in font.headers["Cache-Control"]


# --- 4. odd ids, odd next=, the workspace's own 400 ------------------------------------------------

@pytest.mark.parametrize("path", ["/clinic/photos/99999999999999999999999/photo.jpg",
                                  "/clinic/photos/99999999999999999999999/label",
                                  "/clinic/photos/99999999999999999999999/model-mask.png",
                                  "/clinic/photos/0/overlay.jpg", "/clinic/referrals/%00x",
                                  "/clinic/labels/..%2f..%2fx/mask.png", "/clinic/?page=99999999999999999999999"])
def test_odd_ids_never_give_500(client, staff_a, path):
    sign_in(client, "a@clinic.example")
    assert client.get(path).status_code in (200, 404)


@pytest.mark.parametrize("target", ["/clinic/queue\r\nSet-Cookie: x=1", "//evil.example/", "/clinic//evil.example",
                                    "https://evil.example/clinic/", "/clinic/\\\\evil", "/clinic/%0d%0a",
                                    "/clinic/../x", "\u3042", "/clinic/" + "a" * 5000])
def test_odd_next_values_never_give_500_nor_leave_anything_behind(client, db, staff_a, target):
    response = client.post("/clinic/login", query_string={"next": target}, data={
        "csrf_token": form_token(client), "email": "a@clinic.example", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/clinic/") and "\n" not in location and "evil" not in location
    assert db.execute("SELECT count(*) FROM clinic_sessions").fetchone()[0] == 1


@pytest.mark.parametrize("lang, words", [("ja", "診断を選んで"), ("en", "choose a diagnosis")])
def test_a_bad_diagnosis_or_mask_is_the_workspaces_own_400_in_the_readers_language(chat, client, db, staff_a,
                                                                                  lang, words):
    user = patient(chat, CLINIC_A)
    (aid,) = photo_ids(db, user)
    sign_in(client, "a@clinic.example")
    client.get(f"/clinic/?lang={lang}")
    token = form_token(client, f"/clinic/photos/{aid}/label")
    bad = client.post(f"/clinic/photos/{aid}/label", data={"csrf_token": token, "diagnosis": "made-up", "mask": ""})
    assert bad.status_code == 400 and words in bad.get_data(as_text=True) and "Bad Request" not in bad.get_data(as_text=True)
    bad_mask = client.post(f"/clinic/photos/{aid}/label", data={"csrf_token": token, "diagnosis": "AD", "mask": "x"})
    assert bad_mask.status_code == 400 and "Bad Request" not in bad_mask.get_data(as_text=True)
    assert_hardened(bad_mask)


def test_an_expired_session_sends_a_form_back_to_its_page_after_sign_in(chat, client, db, staff_a, clock):
    user = patient(chat, CLINIC_A)
    (aid,) = photo_ids(db, user)
    sign_in(client, "a@clinic.example")
    token = form_token(client, f"/clinic/photos/{aid}/label")
    clock.advance(minutes=31)
    sent = client.post(f"/clinic/photos/{aid}/label", data={"csrf_token": token, "diagnosis": "AD"},
                       headers={"Referer": f"http://localhost/clinic/photos/{aid}/label"})
    assert sent.status_code == 302 and f"next=/clinic/photos/{aid}/label" in sent.headers["Location"].replace("%2F", "/")
    back = client.post(sent.headers["Location"], data={"csrf_token": form_token(client, sent.headers["Location"]),
                                                       "email": "a@clinic.example", "password": PASSWORD})
    assert back.headers["Location"] == f"/clinic/photos/{aid}/label"


def test_switching_language_on_the_sign_in_page_keeps_next_and_the_language(client, staff_a):
    page = client.get("/clinic/login?next=/clinic/queue&lang=en").get_data(as_text=True)
    assert "next=%2Fclinic%2Fqueue&amp;lang=ja" in page or "next=/clinic/queue&amp;lang=ja" in page
    signed = client.post("/clinic/login?next=/clinic/queue", data={
        "csrf_token": form_token(client, "/clinic/login"), "email": "a@clinic.example", "password": PASSWORD})
    assert signed.headers["Location"] == "/clinic/queue"
    assert "Labelling" in client.get("/clinic/queue").get_data(as_text=True)


# --- 6. staff commands -------------------------------------------------------------------------------

def run_staff(settings, *words):
    return subprocess.run([sys.executable, "-m", "bot", "staff", *words], cwd=ROOT, env=cli_env(settings),
                          capture_output=True, text=True, timeout=60)


def test_staff_list_reset_disable_enable_remove(client, db, services, staff_a):
    settings = services.settings
    sign_in(client, "a@clinic.example")
    assert client.get("/clinic/").status_code == 200
    listed = run_staff(settings, "list")
    assert listed.returncode == 0 and "a@clinic.example" in listed.stdout and "active" in listed.stdout

    disabled = run_staff(settings, "disable", "--email", "a@clinic.example")
    assert disabled.returncode == 0, disabled.stderr
    assert client.get("/clinic/").status_code == 302                      # its session ended at once
    assert sign_in(client.application.test_client(), "a@clinic.example").status_code == 401
    assert "disabled" in run_staff(settings, "list").stdout
    assert run_staff(settings, "enable", "--email", "a@clinic.example").returncode == 0
    assert sign_in(client, "a@clinic.example").status_code == 302         # the same password again

    reset = run_staff(settings, "reset", "--email", "a@clinic.example")
    assert reset.returncode == 0, reset.stderr
    assert client.get("/clinic/").status_code == 302                      # sessions ended
    assert sign_in(client.application.test_client(), "a@clinic.example").status_code == 401  # old password gone
    path = "/clinic/setup/" + re.search(r"/clinic/setup/(\S+)", reset.stdout).group(1)
    fresh = client.application.test_client()
    assert fresh.post(path, data={"csrf_token": form_token(fresh, path), "password": "a new long phrase",
                                  "again": "a new long phrase"}).status_code == 302
    assert fresh.get("/clinic/").status_code == 200

    again = subprocess.run([sys.executable, "-m", "bot", "staff", "add", "--clinic", CLINIC_A.id, "--email",
                            "a@clinic.example", "--role", "admin"], cwd=ROOT, env=cli_env(settings),
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "has an account already" in again.stderr and "staff reset" in again.stderr
    assert run_staff(settings, "reset", "--email", "nobody@x.example").returncode == 2

    assert run_staff(settings, "remove", "--email", "a@clinic.example").returncode == 0
    assert staff.by_email(db, "a@clinic.example") is None and fresh.get("/clinic/").status_code == 302
    actions = [e["action"] for e in audit.entries(db)]
    for action in (audit.STAFF_DISABLE, audit.STAFF_ENABLE, audit.STAFF_RESET, audit.STAFF_REMOVE):
        assert action in actions
    assert all(e["staff_id"].startswith(audit.CLI) for e in audit.entries(db) if e["action"].startswith("staff_"))


# --- 7. the audit ------------------------------------------------------------------------------------

def test_sign_ins_failures_status_changes_and_exports_are_audited_with_who_and_when(
        chat, client, db, services, staff_a, tmp_path, clock):
    user = patient(chat, CLINIC_A)
    rid = clinic_referrals.patient_of(db, CLINIC_A.id, user.user)["referral_id"]
    sign_in(client, "a@clinic.example", "wrong one!!")
    sign_in(client, "a@clinic.example")
    token = form_token(client, f"/clinic/referrals/{rid}")
    client.post(f"/clinic/referrals/{rid}/status", data={"csrf_token": token, "status": "contacted"})
    page = client.get(f"/clinic/referrals/{rid}?lang=en").get_data(as_text=True)
    assert "Contacted&#34; by a@clinic.example at " in page
    made = subprocess.run([sys.executable, "-m", "models", "dataset", "export", "--out", str(tmp_path / "x")],
                          cwd=ROOT, env=cli_env(services.settings), capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    rows = {e["action"]: e for e in audit.entries(db)}
    for action in (audit.SIGN_IN_FAILED, audit.SIGN_IN, audit.STATUS):
        assert rows[action]["staff_id"] == staff_a["staff_id"] and rows[action]["clinic_id"] == CLINIC_A.id
    assert rows[audit.STATUS]["subject"] == f"{rid}:contacted"
    assert rows[audit.EXPORT]["staff_id"].startswith(audit.CLI) and rows[audit.EXPORT]["staff_id"] != audit.CLI + "?"
    account(db, CLINIC_A, "admin@clinic.example", role="admin")
    admin = client.application.test_client()
    sign_in(admin, "admin@clinic.example")
    summary = admin.get("/clinic/summary?lang=en").get_data(as_text=True)
    assert "Status changed" in summary and "a@clinic.example" in summary and "Asia/Tokyo" in summary
    assert staff_a["staff_id"] not in summary


# --- 9. kappa per pair ---------------------------------------------------------------------------------

def test_kappa_is_per_pair_of_raters_with_n_an_interval_and_a_caution_below_20(chat, client, db, staff_a):
    users = [patient(chat, CLINIC_A, kinds=("AD", "IM")) for _ in range(2)]
    photos = [aid for user in users for aid in photo_ids(db, user)]
    raters = ["a@clinic.example", "b@clinic.example", "c@clinic.example"]
    for email in raters[1:]:
        account(db, CLINIC_A, email)
    said = {"a@clinic.example": ["AD", "IM", "AD", "IM"], "b@clinic.example": ["AD", "IM", "AD", "AD"],
            "c@clinic.example": ["IM", "IM", "AD", "other"]}
    for email in raters:
        browser = client.application.test_client()
        sign_in(browser, email)
        for aid, diagnosis in zip(photos, said[email]):
            assert label(browser, aid, diagnosis).status_code == 302
    by_pair = clinic_labels.rater_pairs(db, CLINIC_A.id)
    assert len(by_pair) == 3 and all(len(pairs) == 4 for pairs in by_pair.values())
    html = client.application.test_client()
    sign_in(html, "a@clinic.example")
    page = html.get("/clinic/summary?lang=en").get_data(as_text=True)
    # one κ row per pair of the three raters (the page's monitoring rates have intervals too)
    assert page.count("shared photo(s))") == 3 and page.count("Fewer than 20 shared photos") == 3
    assert "a@clinic.example and b@clinic.example" in page.replace("b@clinic.example and a@clinic.example",
                                                                   "a@clinic.example and b@clinic.example")


@pytest.mark.parametrize("pairs, kappa, low, high", [
    # 20 photos, 16 agreements, two balanced labels: po .8, pe .5, κ .6, se sqrt(.8·.2/20)/.5 = .1789
    ([("A", "A")] * 8 + [("B", "B")] * 8 + [("A", "B")] * 2 + [("B", "A")] * 2, 0.6, 0.2494, 0.9506),
    ([("A", "A")] * 5, 1.0, 1.0, 1.0),
])
def test_kappas_interval(pairs, kappa, low, high):
    (row,) = agreement.per_pair({("x", "y"): pairs})
    assert row["kappa"] == pytest.approx(kappa) and row["n"] == len(pairs)
    assert (row["low"], row["high"]) == (pytest.approx(low, abs=1e-3), pytest.approx(high, abs=1e-3))
    assert row["few"] is (len(pairs) < agreement.FEW)


# --- 10. the starting mask comes from the worker ----------------------------------------------------

def test_the_model_mask_is_read_from_what_the_worker_kept_never_segmented_in_the_request(
        chat, client, db, services, staff_a):
    import io

    import numpy as np
    from PIL import Image

    from inference.pipeline import Pipeline
    user = patient(chat, CLINIC_A)
    (aid,) = photo_ids(db, user)
    sign_in(client, "a@clinic.example")
    row = clinic_labels.shared_photo(db, CLINIC_A.id, aid)
    folder = files.user_dir(services.settings.files_dir, user.user)
    # made from the masks the worker kept when it assessed the photo (features/photos.py), kept
    made = client.get(f"/clinic/photos/{aid}/model-mask.png")
    assert made.headers["X-Model-Mask"] == "stored"
    mask_file = folder / clinic_labels.model_mask_file(row["photo_ref"])
    data_file = folder / media.overlay_data_name(row["overlay_ref"])
    assert (np.asarray(Image.open(mask_file)) == np.asarray(Image.open(io.BytesIO(made.data)))).all()
    assert mask_file.stat().st_mtime == data_file.stat().st_mtime  # retention ages it with the photo
    mask_file.unlink()
    assert client.get(f"/clinic/photos/{aid}/model-mask.png").data == made.data  # made again, the same
    mask_file.unlink()
    data_file.unlink()  # nothing kept to start from
    empty = client.get(f"/clinic/photos/{aid}/model-mask.png")
    assert empty.status_code == 200 and empty.headers["X-Model-Mask"] == "none"
    photo = (folder / media.file_name("photo", row["photo_ref"])).read_bytes()
    # what the worker does when it assesses the photo (the segmenter's masks in hand)
    found = Pipeline.from_dir(services.settings.models_dir).segment_photo(photo)
    clinic_labels.save_model_mask(services.settings.files_dir, user.user, row["photo_ref"], photo, found)
    stored = client.get(f"/clinic/photos/{aid}/model-mask.png")
    assert stored.headers["X-Model-Mask"] == "stored"
    kept = (folder / clinic_labels.model_mask_file(row["photo_ref"])).read_bytes()
    classes = np.asarray(Image.open(io.BytesIO(stored.data)))
    assert (classes == np.asarray(Image.open(io.BytesIO(kept)))).all()  # the kept classes, as kept
    assert classes.shape[::-1] == clinic_labels.work_size(photo) and (classes == 1).any()
    assert clinic_labels.save_model_mask(services.settings.files_dir, user.user, "r", photo, None) is None
    source = (ROOT / "bot/features/workspace/labelling.py").read_text()
    assert "segment_photo" not in source and "pipeline" not in source


@pytest.mark.parametrize("target, kept", [("/clinic/queue?", "/clinic/queue"), ("/clinic/?page=2?", "/clinic/?page=2"),
                                          ("/clinic/referrals/AX?", "/clinic/referrals/AX"),
                                          ("/clinic/../staff", "/clinic/"), ("/clinic/a/../../x", "/clinic/"),
                                          (None, "/clinic/"), ("", "/clinic/")])
def test_a_next_target_is_a_plain_workspace_path_without_a_trailing_question_mark(target, kept):
    assert web.safe_next(target) == kept


def test_a_page_outside_the_workspace_keeps_its_own_404(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404 and "Clinic workspace" not in response.get_data(as_text=True)


def test_the_language_links_are_this_page_with_its_arguments(client):
    page = client.get("/clinic/login?next=/clinic/queue&lang=en").get_data(as_text=True)
    assert 'href="/clinic/login?next=%2Fclinic%2Fqueue&amp;lang=ja"' in page


def test_a_static_file_and_its_304_are_cached_for_good_with_the_workspace_headers(client):
    page = client.get("/clinic/login").get_data(as_text=True)
    url = re.findall(r'(?:href|src)="(/clinic/static/[^"]+)"', page)[0]
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)
    for response in (first, again):
        assert "immutable" in response.headers["Cache-Control"]
        assert response.headers["Content-Security-Policy"] == web.CSP
        assert response.headers["Referrer-Policy"] == "same-origin"

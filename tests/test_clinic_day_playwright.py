"""Issue 21: a whole clinic day in Debian's headless Chromium against the real server. A patient
shares through LINE over signed webhooks and gets a code; another patient's newest result is a
same-day case. The clinician signs in, sees the list with the same-day case first, filters it,
finds the patient by the code they show, opens the results, looks at a photo beside its overlay
in the viewer (zoom, pan), labels the photo with zoom and undo, saves, sets the status (who and
when shown) and signs out; no Content-Security-Policy violation on the way.

Screenshots go to tests/artifacts/; with ADAI_DOCS_SCREENSHOTS=1 to docs/img/ (clinic_day_*.png,
the README's clinic workspace section shows them)."""

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.triage import triage
from storage import assessments, audit, clinic_referrals, consent, users
from tests.support.chat import photo
from tests.support.clinic import CLINIC_A, PASSWORD, ROOT, account, share
from tests.test_clinic_playwright import ARTIFACTS, app_config, keep_model_mask, needs_chromium, over_http, until  # noqa: F401
from tests.test_simulator_playwright import CHROMIUM, LAUNCH_ARGS

SHOTS = ROOT / "docs" / "img" if os.environ.get("ADAI_DOCS_SCREENSHOTS") == "1" else ARTIFACTS
# A digest of the painted canvas: a stroke changes it, an undo brings it back exactly.
CANVAS_DIGEST = """(() => { const c = document.getElementById('paint');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
    for (let i = 0; i < d.length; i++) n = (n * 31 + d[i]) % 2147483647;
    return n; })()"""


def same_day_patient(db, clock):
    """A patient whose newest result is a same-day case (stored as the photo feature stores one)."""
    user_id = "U" + "e" * 32
    users.ensure(db, user_id, clock.now())
    consent.record(db, user_id, "given", clock.now())
    probabilities = {"AD": 0.1, "IM": 0.05, "HI": 0.8, "MF": 0.05}
    assessments.add(db, user_id, clock.now() - timedelta(hours=3), {"quality": "ok", "probabilities": probabilities,
                    "top": "HI", "models": {"validated": False}}, triage(probabilities, shadow=True))
    clinic_referrals.share(db, user_id, CLINIC_A.id, clock.now() - timedelta(hours=2))
    return user_id


@needs_chromium
def test_a_clinic_day_from_sign_in_to_sign_out(over_http, live_server, db, services, clock):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    expect = sync_api.expect
    account(db, CLINIC_A, "doctor@clinic.example")
    urgent = same_day_patient(db, clock)
    user = over_http("ja")
    user.follow()
    user.agree()
    user.photo(photo("AD", size=(640, 480)))
    told = "\n".join(m.get("text", "") for m in share(user, CLINIC_A, research="yes"))
    (code,) = re.findall(r"あなたの番号：([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})", told)
    keep_model_mask(db, services, user.user)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1180, "height": 820}, locale="ja-JP")  # a tablet, landscape
        page.set_default_timeout(20_000)
        violations = []
        page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))

        # sign in
        page.goto(live_server.url + "/clinic/")
        assert "/clinic/login" in page.url
        page.fill("input[name=email]", "doctor@clinic.example")
        page.fill("input[name=password]", PASSWORD)
        page.keyboard.press("Enter")

        # the list: the same-day case first, then filtered by level and status
        expect(page.locator("h1")).to_have_text("紹介された患者さん")
        rows = page.locator("table.list tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_have_class(re.compile("same-day"))
        expect(rows.nth(0)).to_contain_text("当日受診")
        expect(rows.nth(1)).to_contain_text(code)
        page.screenshot(path=str(SHOTS / "clinic_day_1_list.png"), full_page=True)
        page.select_option("select[name=level]", "urgent")
        page.click("form.filters button[type=submit]")
        expect(rows).to_have_count(1)
        expect(rows.nth(0)).not_to_contain_text(code)
        page.select_option("select[name=level]", "")
        page.select_option("select[name=status]", "new")
        page.click("form.filters button[type=submit]")
        expect(rows).to_have_count(2)

        # find the patient by the code they show, typed as it is read out
        page.fill("input[name=code]", code.lower().replace("-", " "))
        page.keyboard.press("Enter")
        expect(page.locator("h1 b.code")).to_have_text(code)
        until(page, "[...document.querySelectorAll('.pics img')].every(i => i.complete && i.naturalWidth > 100)")
        page.screenshot(path=str(SHOTS / "clinic_day_2_patient.png"), full_page=True)

        # the photo viewer: photo beside overlay, zoomed and panned together, in the page
        before = page.url
        page.click("a.view-photo")
        dialog = page.locator("dialog#viewer-dialog")
        expect(dialog).to_be_visible()
        assert page.url == before
        viewer = dialog.locator("[data-viewer]")
        until(page, "[...document.querySelectorAll('#viewer-dialog img.zoomable')]"
                    ".every(i => i.complete && i.naturalWidth > 100)")
        dialog.locator("button[data-zoom=in]").click()
        dialog.locator("button[data-zoom=in]").click()
        images = dialog.locator("img.zoomable")
        zoomed = images.evaluate_all("images => images.map(i => i.style.transform)")
        frame = dialog.locator(".frame").first.bounding_box()
        page.mouse.move(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
        page.mouse.down()
        page.mouse.move(frame["x"] + frame["width"] / 2 + 60, frame["y"] + frame["height"] / 2 + 30, steps=6)
        page.mouse.up()
        assert float(viewer.get_attribute("data-zoom")) == pytest.approx(1.5625, abs=1e-3)
        transforms = images.evaluate_all("images => images.map(i => i.style.transform)")
        # both pictures show the same place, zoomed, and the drag moved them (together)
        assert len(transforms) == 2 and transforms[0] == transforms[1] and "scale(1.5625)" in transforms[0]
        assert transforms != zoomed and zoomed[0] == zoomed[1]
        expect(dialog.locator(".zoom-level")).to_have_text("倍率 156%")
        page.screenshot(path=str(SHOTS / "clinic_day_3_viewer.png"))
        page.keyboard.press("Escape")
        expect(dialog).not_to_be_visible()

        # label the photo: zoom, a stroke, undo, a stroke again, save
        page.click("a.button:has-text('ラベルをつける')")
        page.wait_for_selector("canvas#paint[data-ready='1']")
        page.check("input[name=diagnosis][value=AD]")
        page.click("button#zoom-in")
        assert float(page.get_attribute("canvas#paint", "data-zoom")) > 1
        start = page.evaluate(CANVAS_DIGEST)

        def stroke(y):
            page.evaluate("window.scrollTo(0, 0)")
            view = page.locator("#viewport").bounding_box()
            # on the skin left of the model's lesion (the photo's middle is all lesion)
            page.mouse.move(view["x"] + 0.04 * view["width"], view["y"] + view["height"] * y)
            page.mouse.down()
            page.mouse.move(view["x"] + 0.16 * view["width"], view["y"] + view["height"] * y, steps=12)
            page.mouse.up()

        stroke(0.45)
        assert page.evaluate(CANVAS_DIGEST) != start
        page.click("button#undo")
        assert page.evaluate(CANVAS_DIGEST) == start
        stroke(0.55)
        assert page.evaluate(CANVAS_DIGEST) != start
        page.screenshot(path=str(SHOTS / "clinic_day_4_label.png"), full_page=True)
        page.click("button:has-text('ラベルを保存')")
        expect(page.locator("p.ok[role=status]")).to_contain_text("保存しました")

        # back to the patient; the status set, with who and when
        page.click(f"section.about a:has-text('{code}')")
        expect(page.locator("h1 b.code")).to_have_text(code)
        page.select_option("select[name=status]", "seen")
        page.click("text=状況を更新")
        expect(page.locator("select[name=status]")).to_have_value("seen")
        expect(page.locator(".status-by")).to_contain_text("doctor@clinic.example")
        expect(page.locator(".status-by")).to_contain_text("受診済み")
        page.locator("form.card.row").screenshot(path=str(SHOTS / "clinic_day_5_status.png"))

        # sign out
        page.click("header button[type=submit]")
        expect(page.locator("input[name=email]")).to_be_visible()
        page.goto(live_server.url + "/clinic/")
        assert "/clinic/login" in page.url
        browser.close()

    assert violations == []
    actions = [e["action"] for e in audit.entries(db)]
    assert {audit.LABEL, audit.STATUS, audit.VIEW_PHOTO} <= set(actions)
    assert clinic_referrals.patient_of(db, CLINIC_A.id, user.user)["status"] == "seen"
    assert clinic_referrals.patient_of(db, CLINIC_A.id, urgent)["status"] == "new"

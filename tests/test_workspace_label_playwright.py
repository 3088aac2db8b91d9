"""Issue 21, the label page in headless Chromium against the real server: a painting is never lost
to a starting mask that loads late or not at all, nor to an expired session (the draft kept in
the browser comes back after signing in, on the same page); undo, zoom, opacity and hide work;
the page runs under its Content-Security-Policy without a single violation."""

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storage import clinic_labels, files, research
from tests.support.clinic import CLINIC_A, PASSWORD, account, share
from tests.test_clinic_playwright import app_config, needs_chromium, over_http, until  # noqa: F401
from tests.test_simulator_playwright import CHROMIUM, LAUNCH_ARGS



def lesion(rgba) -> bool:
    """The lesion's colour as the canvas gives it back (premultiplied alpha rounds by one)."""
    return rgba[3] == 150 and rgba[0] > 200 and rgba[2] < 80


@pytest.fixture
def browser_page(live_server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1180, "height": 820}, locale="ja-JP")
        page.set_default_timeout(20_000)
        page.violations = []
        page.on("console", lambda m: "Content Security Policy" in m.text and page.violations.append(m.text))
        yield page
        browser.close()


@pytest.fixture
def photo_id(over_http, db):
    account(db, CLINIC_A, "doctor@clinic.example")
    user = over_http("ja")
    user.follow()
    user.agree()
    user.photo(_photo())
    share(user, CLINIC_A, research="yes")
    return db.execute("SELECT id FROM assessments ORDER BY id").fetchone()[0]


def sign_in(page):
    page.fill("input[name=email]", "doctor@clinic.example")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")


def stroke(page, y=0.5, x0=0.3, x1=0.5):
    box = page.locator("canvas#paint").bounding_box()
    page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + x1 * box["width"], box["y"] + y * box["height"], steps=10)
    page.mouse.up()


def pixel(page, fx, fy):
    return page.evaluate(f"""(() => {{ const c = document.getElementById('paint');
        return Array.from(c.getContext('2d').getImageData(Math.floor(c.width * {fx}), Math.floor(c.height * {fy}), 1, 1).data); }})()""")


def saved_mask(db, services, photo):
    (row,) = clinic_labels.of_photo(db, CLINIC_A.id, photo)
    user_id = row["user_id"]
    path = files.user_dir(services.settings.files_dir, user_id) / research.mask_file(row["mask_ref"])
    return row, np.asarray(Image.open(path))


@needs_chromium
def test_painting_before_the_mask_loads_is_kept_and_save_waits_for_the_load(browser_page, live_server, photo_id,
                                                                            db, services):
    page = browser_page
    page.goto(live_server.url + "/clinic/login")
    sign_in(page)
    page.wait_for_url("**/clinic/")
    held = []
    page.route("**/model-mask.png", lambda route: held.append(route))  # the starting mask, held back
    page.goto(f"{live_server.url}/clinic/photos/{photo_id}/label")
    until(page, "window.getComputedStyle(document.getElementById('stage')).aspectRatio !== 'auto'")
    page.check("input[name=diagnosis][value=IM]")
    stroke(page, 0.5)
    page.click("button#save")
    assert "/label" in page.url and clinic_labels.of_photo(db, CLINIC_A.id, photo_id) == []
    assert "読み込み" in page.inner_text("#mask-status")
    held[0].continue_()
    page.wait_for_selector("canvas#paint[data-ready='1']")
    assert lesion(pixel(page, 0.4, 0.5))            # the stroke survived the mask's arrival
    page.click("button#save")
    page.wait_for_selector("#saved")
    _, mask = saved_mask(db, services, photo_id)
    height, width = mask.shape
    assert mask[height // 2, int(width * 0.4)] == 2

    # A starting mask that fails: nothing can be saved over the label just made.
    page.unroute("**/model-mask.png")
    page.route("**/mask.png?raw=1", lambda route: route.abort())
    page.goto(f"{live_server.url}/clinic/photos/{photo_id}/label")
    page.wait_for_selector("canvas#paint[data-ready='failed']")
    assert page.is_visible("button#retry")
    page.click("button#save")
    (row,) = clinic_labels.of_photo(db, CLINIC_A.id, photo_id)
    assert row["diagnosis"] == "IM" and saved_mask(db, services, photo_id)[1][height // 2, int(width * 0.4)] == 2
    assert page.violations == []


@needs_chromium
def test_a_painting_survives_an_expired_session_and_undo_zoom_opacity_hide_work(browser_page, live_server,
                                                                                 photo_id, db, services, clock):
    page = browser_page
    page.goto(f"{live_server.url}/clinic/photos/{photo_id}/label")
    assert "/clinic/login" in page.url and "next=" in page.url
    sign_in(page)
    page.wait_for_selector("canvas#paint[data-ready='1']")  # back on the page after signing in
    # Above the photo's lesion: the starting mask (the segmenter's, kept by the worker) has none there.
    stroke(page, 0.12)
    assert lesion(pixel(page, 0.4, 0.12))
    page.keyboard.press("Control+z")
    assert not lesion(pixel(page, 0.4, 0.12))             # undone
    page.keyboard.press("Control+y")
    assert lesion(pixel(page, 0.4, 0.12))             # redone
    page.click("button#zoom-in")
    assert float(page.get_attribute("canvas#paint", "data-zoom")) > 1
    page.click("button#zoom-fit")
    page.fill("input#opacity", "30")
    assert page.evaluate("document.getElementById('paint').style.opacity") == "0.3"
    page.evaluate("document.activeElement.blur()")  # keys typed into the slider stay the slider's
    page.keyboard.press("h")
    assert page.evaluate("getComputedStyle(document.getElementById('paint')).visibility") == "hidden"
    page.keyboard.press("h")
    page.check("input[name=diagnosis][value=HI]")

    clock.advance(minutes=31)                                # the session ends while painting
    page.click("button#save")
    page.wait_for_selector("input[name=email]")
    assert "next=" in page.url, page.url
    sign_in(page)
    page.wait_for_selector("canvas#paint[data-draft='restored']")
    assert page.is_visible("#draft-restored") and page.is_checked("input[name=diagnosis][value=HI]")
    assert lesion(pixel(page, 0.4, 0.12))
    page.click("button#save")
    page.wait_for_selector("#saved")
    row, mask = saved_mask(db, services, photo_id)
    height, width = mask.shape
    assert row["diagnosis"] == "HI" and mask[int(height * 0.12), int(width * 0.4)] == 2
    drafts = "Object.keys(localStorage).filter(k => k.startsWith('adai-label-draft')).length"
    for _ in range(50):  # the saved page clears the draft as it loads; a loaded machine takes a moment
        if page.evaluate(drafts) == 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(drafts) == 0
    # A confirmed reset: dismissing the question keeps the painting.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button#reset")
    assert lesion(pixel(page, 0.4, 0.12))
    assert page.violations == []


def _photo() -> bytes:
    from tests.support.chat import photo

    out = io.BytesIO()
    Image.open(io.BytesIO(photo("AD", size=(640, 480)))).save(out, format="JPEG")
    return out.getvalue()

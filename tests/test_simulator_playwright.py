"""The simulator page in headless Chromium (Debian's, no browser download): follow → consent →
photo → result card, against a real server in simulator mode; a screenshot is kept in
tests/artifacts/."""
import shutil
from pathlib import Path

import pytest

from tests.support.chat import photo
from tests.support.devmodels import build_dev_models

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (make chromium)",
)


@pytest.fixture
def app_config(tmp_path):
    """No LINE credentials: simulator mode with the in-process LINE emulator."""
    return {"data_dir": tmp_path / "var", "models_dir": build_dev_models(tmp_path / "models")}


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists()
                                             else shutil.which("chromium"), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 460, "height": 1400})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def test_follow_consent_photo_result_card(live_server, page, tmp_path):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/simulator")
    page.click("#follow")
    expect(page.locator(".bot-side").first).to_contain_text("友だち追加ありがとうございます")
    page.locator(".quick button", has_text="同意する").click()
    expect(page.locator(".bot-side").last).to_contain_text("記録を保存します")

    image = tmp_path / "rash.jpg"
    image.write_bytes(photo("HI"))
    page.set_input_files("#photo", str(image))
    card = page.locator(".flex-bubble").last
    expect(card).to_contain_text("今日中に受診してください")
    expect(card).to_contain_text("臨床的な検証を受けていません")
    expect(card.locator("button", has_text="4つの質問に答える")).to_be_visible()

    # Japanese is drawn with the bundled IPAex font, not a system fallback (no tofu).
    assert page.evaluate("document.fonts.check('16px IPAexGothic', '今日中に受診')")
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('IPAex') && f.status === 'loaded')")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "simulator.png"), full_page=True)

    # A Flex button posts its postback: the first red-flag question arrives as quick replies.
    card.locator("button", has_text="4つの質問に答える").click()
    expect(page.locator(".bot-side").last).to_contain_text("熱がある")
    expect(page.locator(".quick button", has_text="はい")).to_be_visible()


def test_simulator_is_absent_with_real_credentials(tmp_path):
    from bot import create_app

    app = create_app({"channel_secret": "s", "access_token": "t", "data_dir": tmp_path / "var",
                      "api_base_url": "http://127.0.0.1:9"})
    try:
        assert app.test_client().get("/simulator").status_code == 404
    finally:
        app.extensions["adai"].stop()


def test_signed_event_endpoint_rejects_bad_input(live_server):
    import requests

    url = live_server.url + "/simulator/api/event"
    user = "U" + "0" * 32
    assert requests.post(url, json={"user": "nobody", "kind": "text", "text": "hi"}, timeout=5).status_code == 400
    assert requests.post(url, json={"user": user, "kind": "text", "text": ""}, timeout=5).status_code == 400
    assert requests.post(url, json={"user": user, "kind": "location", "latitude": 95, "longitude": 0},
                         timeout=5).status_code == 400
    assert requests.post(url, json={"user": user, "kind": "teleport"}, timeout=5).status_code == 400

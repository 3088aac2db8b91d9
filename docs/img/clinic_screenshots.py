"""Makes the README's clinic workspace screenshots: `python -m bot demo seed` into a fresh data
folder, `python -m bot serve` in simulator mode, then Debian's headless Chromium signs in, opens
the referral list, a patient and a photo to label, and paints a stroke.

    .venv/bin/python docs/img/clinic_screenshots.py
"""
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.support import serve  # noqa: E402

OUT = Path(__file__).resolve().parent


def main():
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "ADAI_DATA_DIR": data, "ADAI_SIMULATOR": "1", "PYTHONPATH": str(ROOT)}
        seeded = subprocess.run([sys.executable, "-m", "bot", "demo", "seed"], cwd=ROOT, env=env,
                                capture_output=True, text=True, check=True).stdout
        email, password = re.search(r"email: (\S+)\s+password: (\S+)", seeded).groups()
        process, url = serve.start(env, Path(data) / "serve.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1180, "height": 820}, locale="ja-JP")
                page.goto(url + "/clinic/")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", password)
                page.keyboard.press("Enter")
                page.wait_for_selector("table.list")
                page.screenshot(path=str(OUT / "clinic_referrals.png"))
                page.goto(url + "/clinic/?lang=en")
                page.locator("table.list tbody tr a").nth(1).click()
                page.wait_for_function("[...document.images].every(i => i.complete)")
                page.evaluate("window.scrollTo(0, document.querySelector('section.result').offsetTop - 230)")
                page.screenshot(path=str(OUT / "clinic_patient.png"), full_page=False)
                page.goto(url + "/clinic/queue?lang=ja")
                page.locator("ol.queue a").first.click()
                page.wait_for_selector("canvas#paint[data-ready='1']")
                page.check("input[name=diagnosis][value=HI]")
                box = page.locator("canvas#paint").bounding_box()
                page.mouse.move(box["x"] + 0.30 * box["width"], box["y"] + 0.30 * box["height"])
                page.mouse.down()
                page.mouse.move(box["x"] + 0.45 * box["width"], box["y"] + 0.40 * box["height"], steps=15)
                page.mouse.up()
                page.screenshot(path=str(OUT / "clinic_label.png"), full_page=False)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()

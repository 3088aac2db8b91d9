"""Real photographs (not phantoms) through the simulator page, read as a patient with a
complication would read them: with the committed, unvalidated models nothing may reassure (no
routine level, no "looks like atopic dermatitis", no percentages). Photos from the real set's
held-out part (models/realset/SOURCES.csv: package, version, licence), headless Chromium."""
import pytest

from models import realphotos
from tests.test_simulator_playwright import (  # noqa: F401 — fixtures
    ARTIFACTS, app_config, browser, listener, live_server, needs_chromium, page,
)

# Healthy skin close-ups and portraits, a crowd, photos without skin.
PHOTOS = ("dp_forearm", "mh_luispedro", "sk_astronaut", "y5_bus", "sk_coffee", "sk_chelsea")
REASSURING = {"en": ("Keep up your usual care", "looks like an atopic dermatitis", "%"),
              "ja": ("いつものケアを続けましょう", "アトピー性皮膚炎の湿疹に近い", "%")}


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_real_photos_through_the_simulator_never_reassure(live_server, page, tmp_path, lang):
    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto(live_server.url + "/simulator")
    page.select_option("#language", lang)
    page.click("#follow")
    page.locator(".quick button").first.click()  # agree: results are kept, as for most patients
    expect(page.locator(".bot-side").last).to_contain_text({"en": "keep your record", "ja": "記録を保存します"}[lang])
    photos = {p.id: p for p in realphotos.photos("heldout")}
    replies = {}
    for photo_id in PHOTOS:
        path = tmp_path / f"{photo_id}.jpg"
        path.write_bytes(photos[photo_id].read())
        before = page.locator("#chat .bot-side").count()
        page.set_input_files("#photo", str(path))
        page.wait_for_function(f"document.querySelectorAll('#chat .bot-side').length > {before}")
        page.wait_for_timeout(800)  # every message of the answer
        replies[photo_id] = "\n".join(page.locator("#chat .bot-side").all_inner_texts()[before:])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"simulator_real_photos_{lang}.png"))
    (ARTIFACTS / f"simulator_real_photos_{lang}.txt").write_text(  # what the patient read, to review
        "\n\n".join(f"== {photo_id}\n{text}" for photo_id, text in replies.items()), encoding="utf-8")
    for photo_id, text in replies.items():
        assert text.strip(), photo_id
        assert not any(words in text for words in REASSURING[lang]), (photo_id, text)

"""The simulator at phone size (issue 25), in Debian's chromium: the "LINE language" switch
applies at once for an existing user (the bot reads the LINE profile at the next message), the
chat scrolls to the newest message, and the message box and quick replies stay on screen at
375 x 667 and 400 x 800. Screenshots: docs/img/simulator_phone_<width>.png."""
import os
import re
from pathlib import Path

import pytest

from bot.texts import t
from models.phantom import render
from tests.test_simulator_playwright import (  # noqa: F401 — fixtures
    PHANTOM_SEED, app_config, browser, listener, live_server, needs_chromium,
)

# Screenshots go to tests/artifacts/; with ADAI_DOCS_SCREENSHOTS=1 to docs/img/ (the README's).
DOCS_IMG = (Path(__file__).resolve().parents[1] / "docs" / "img" if os.environ.get("ADAI_DOCS_SCREENSHOTS") == "1"
            else Path(__file__).resolve().parent / "artifacts")
SIZES = [(375, 667), (400, 800)]


def _in_view(page, selector) -> bool:
    """The element is wholly inside the window (no page scrolling needed to see it)."""
    box = page.locator(selector).last.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 0.5 \
        and box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5


def _newest_shown(page) -> bool:
    """The chat shows the newest message: its top is in the chat's view, and the chat is scrolled
    to the bottom unless that message is taller than the chat."""
    return page.evaluate("""() => {
        const chat = document.getElementById('chat'), row = chat.lastElementChild;
        const c = chat.getBoundingClientRect(), r = row.getBoundingClientRect();
        const atBottom = chat.scrollTop + chat.clientHeight >= chat.scrollHeight - 2;
        return r.top >= c.top - 1 && r.top < c.bottom && (atBottom || r.height > chat.clientHeight - 16);
    }""")


@needs_chromium
@pytest.mark.parametrize("width, height", SIZES)
def test_language_switch_and_scrolling_at_phone_size(live_server, browser, app, tmp_path, width, height):
    expect = pytest.importorskip("playwright.sync_api").expect
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/simulator")
    page.select_option("#language", "ja")
    page.click("#follow")
    expect(page.locator(".bot-side").first).to_contain_text("友だち追加ありがとうございます")
    page.locator(".quick button", has_text="同意する").click()
    expect(page.locator(".bot-side").last).to_contain_text("記録を保存します")
    page.fill("#text", "help")
    page.press("#text", "Enter")
    expect(page.locator(".bot-side").last).to_contain_text(t("core.help_intro", "ja"))

    # The phone's LINE switches to English: the very next message is answered in English.
    page.select_option("#language", "en")
    page.wait_for_function("fetch('/simulator/api/messages?user=' + state.user).then(() => true)")
    page.wait_for_timeout(300)  # the profile call has gone out
    page.fill("#text", "help")
    page.press("#text", "Enter")
    expect(page.locator(".bot-side").last).to_contain_text(t("core.help_intro", "en"))
    assert _newest_shown(page)

    # A photo: the card is scrolled into view, and the quick replies and message box stay on screen.
    image = tmp_path / "rash.jpg"
    image.write_bytes(render(PHANTOM_SEED, label="HI", distance="medium").jpeg)
    bubbles = page.locator("#chat .bot-side").count()
    page.set_input_files("#photo", str(image))
    page.wait_for_function(f"document.querySelectorAll('#chat .bot-side').length > {bubbles}")
    page.wait_for_timeout(1500)  # every message of the answer has been shown
    expect(page.locator(".flex-bubble").last).to_contain_text("not clinically validated")
    assert _newest_shown(page)
    assert _in_view(page, "#text") and _in_view(page, "#send") and _in_view(page, "#photo + *, label.photo-button")
    if page.locator(".quick button").count():
        assert _in_view(page, ".quick button")
    # Nothing wider than the phone: no sideways scrolling of the page.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    DOCS_IMG.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / f"simulator_phone_{width}.png"))  # what the patient sees now

    # The rich menu folds away and back, the chat keeping the newest message in view.
    page.click("#menu-toggle")
    assert _newest_shown(page) and _in_view(page, "#text")
    page.click("#menu-toggle")
    assert _newest_shown(page) and _in_view(page, "#text")

    # Scrolled up to read an older message, then the bot answers: the chat follows.
    page.evaluate("document.getElementById('chat').scrollTop = 0")
    page.fill("#text", "history")
    page.press("#text", "Enter")
    page.wait_for_timeout(1500)
    page.wait_for_function("[...document.images].every(i => i.complete)")
    page.wait_for_timeout(200)
    assert _newest_shown(page), page.evaluate("""() => { const chat = document.getElementById('chat'),
        row = chat.lastElementChild; return [chat.scrollTop, chat.clientHeight, chat.scrollHeight,
        row.offsetTop, row.offsetHeight, row.textContent.slice(0, 40)]; }""")
    page.close()


def _lines(page, locator) -> int:
    """How many lines the element's text is drawn on."""
    return page.evaluate("""(el) => { const range = document.createRange(); range.selectNodeContents(el);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size; }""",
                         locator.element_handle())


@needs_chromium
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_class_names_on_the_card_are_never_broken_mid_word(live_server, browser, app, lang):
    """A validated result's class rows (アトピー性皮膚炎 was drawn as "アトピー性皮膚 / 炎"): each
    name on one line, its percentage beside it, at 375 px."""
    from bot.domain.triage import triage
    from bot.views.cards import result_card

    page = browser.new_page(viewport={"width": 375, "height": 667})
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/simulator")
    user = page.evaluate("state.user")
    probabilities = {"AD": 0.55, "IM": 0.2, "HI": 0.15, "MF": 0.1}
    card = result_card(lang, triage(probabilities), probabilities,
                       {"classifier": "adai-cls@0.1.0", "segmenter": "adai-seg@0.1.0", "validated": True})
    app.extensions["adai"].line.push(user, [card])
    page.locator(".fx-text", has_text=t("conv.cls_AD", lang)).first.wait_for()
    page.screenshot(path=str(DOCS_IMG / f"card_classes_{lang}.png"))
    for code in ("AD", "IM", "HI", "MF"):
        name = t(f"conv.cls_{code}", lang)
        label = page.locator(".fx-text").filter(has_text=re.compile("^" + re.escape(name) + "$")).first
        assert _lines(page, label) == 1, name  # the whole name on one line
    percent = page.locator(".fx-text", has_text="55%").first
    assert _lines(page, percent) == 1
    page.close()

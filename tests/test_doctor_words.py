"""The doctor's pages speak to the doctor (issue 25): the clinic workspace's chart has the
clinician's title ("The patient's skin over time", not "Your skin over time"), and neither the
workspace's patient page nor the /referral summary addresses the reader as the patient."""
import re

import pytest

from bot.views import charts, summary
from storage import clinic_referrals
from tests.support.chat import photo
from tests.support.clinic import CLINIC_A, account, patient, sign_in
from tests.support.devmodels import build_dev_models

PATIENT_VOICE = re.compile(r"\byour\b|あなた", re.IGNORECASE)


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models"),
            "public_url": "https://adai.example"}


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<body", 1)[-1])


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_workspace_chart_and_page_speak_to_the_clinician(chat, client, db, lang):
    account(db, CLINIC_A, "a@clinic.example")
    user = patient(chat, CLINIC_A, lang=lang)
    sign_in(client, "a@clinic.example")
    rid = clinic_referrals.patient_of(db, CLINIC_A.id, user.user)["referral_id"]
    page = client.get(f"/clinic/referrals/{rid}?lang={lang}").get_data(as_text=True)
    alts = re.findall(r'alt="([^"]*)"', page)
    assert alts and not [a for a in alts if PATIENT_VOICE.search(a)]
    png = client.get(f"/clinic/referrals/{rid}/chart.png").data
    poem_points, photo_points = charts.points(db, user.user)
    tz = summary.user_zone(db, user.user)
    assert png == charts.render(poem_points, photo_points, lang, tz, clinician=True)
    assert png != charts.render(poem_points, photo_points, lang, tz, clinician=False)


@pytest.mark.parametrize("lang, said", [("en", "summary for my doctor"), ("ja", "医師へのまとめ")])
def test_the_referral_summary_never_says_your(chat, client, lang, said):
    user = chat(lang)
    user.follow()
    user.agree()
    user.photo(photo("AD"))
    (made,) = user.say(said)
    url = re.search(r"https://adai\.example(/referral/\S+)", made["text"]).group(1)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not PATIENT_VOICE.search(_visible(html)), PATIENT_VOICE.findall(_visible(html))
    assert not [a for a in re.findall(r'alt="([^"]*)"', html) if PATIENT_VOICE.search(a)]


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("shadow", [True, False])
@pytest.mark.parametrize("probabilities", [None, {"AD": 0.9, "IM": 0.04, "HI": 0.03, "MF": 0.03}])
def test_a_card_never_shows_an_empty_ai_section(lang, shadow, probabilities):
    """Issue 25: a card at level routine showed "What the AI sees" with nothing under it. The
    heading comes only over a line of what the photo says (cards.result_card)."""
    from bot.domain.triage import ALL_FLAGS, triage
    from bot.texts import catalog, t
    from bot.views.cards import result_card
    from tests.support.chat import flex_texts

    no = {flag: False for flag in ALL_FLAGS}
    result = triage(probabilities, no, shadow=shadow)
    assert result.level == "routine"
    card = result_card(lang, result, probabilities, {"classifier": "c@1", "segmenter": "s@1", "validated": not shadow},
                       answers=no)
    texts = flex_texts(card)
    table = catalog()[lang]
    photo_says = {value for key, value in table.items() if key.startswith(("conv.img_", "conv.cls_"))}
    if t("conv.finding_title", lang) in texts:
        after = texts[texts.index(t("conv.finding_title", lang)) + 1]
        assert after in photo_says, after
    else:
        assert not photo_says & set(texts)

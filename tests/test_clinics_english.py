"""The clinics CSV's optional English columns (issue 25): name_en and address_en are shown to
English-speaking patients (the sample has them, romanised by us), Japanese patients keep the
Japanese; a file without them still loads and shows its own names to everyone."""
import pytest

from bot.domain import clinics
from tests.support.chat import flex_texts

SENDAI_STATION = (38.2601, 140.8825)
HEADER = "name,address,lat,lon,phone,url,dermatology,urgent_same_day"


def test_every_sample_clinic_has_an_english_name_and_address():
    for clinic in clinics.load():
        assert clinic.name_en.startswith("[Sample] ") and clinic.address_en.endswith("(sample)"), clinic
        assert clinic.name_en.isascii() and clinic.address_en.isascii()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_clinic_list_speaks_the_patients_language(chat, lang):
    user = chat(lang)
    user.follow()
    messages = user._send(user.events.location(*SENDAI_STATION, user=user.user))
    shown = " ".join(text for m in messages if m["type"] == "flex" for text in flex_texts(m))
    nearest = clinics.nearest(clinics.load(), *SENDAI_STATION, n=1)[0][0]
    if lang == "en":
        assert nearest.name_en in shown and nearest.address_en in shown
        assert "【サンプル】" not in shown and "宮城県" not in shown
    else:
        assert nearest.name in shown and nearest.address in shown and "[Sample]" not in shown


def test_the_english_columns_are_optional():
    (plain,) = clinics.parse(f"{HEADER}\nHifu,Sendai,38.26,140.87,,,yes,no\n")
    assert plain.name_in("en") == "Hifu" and plain.address_in("en") == "Sendai"
    (both,) = clinics.parse(f"{HEADER},name_en,address_en\n皮膚科,仙台,38.26,140.87,,,yes,no,Skin,Sendai\n")
    assert (both.name_in("en"), both.address_in("en")) == ("Skin", "Sendai")
    assert (both.name_in("ja"), both.address_in("ja")) == ("皮膚科", "仙台")
    assert both.id == clinics.derived_id("皮膚科", "仙台")  # ids do not change with the new columns

"""Clinic directory: CSV loading, nearest-first order, urgent-first after an urgent result."""

import datetime as dt

import pytest

from bot import settings as configuration
from bot.domain import clinics
from tests.support import webhooks
from tests.support.records import add_result

SENDAI_STATION = (38.2601, 140.8824)


def test_sample_file_loads_and_is_marked_as_sample():
    loaded = clinics.load(clinics.SAMPLE_CSV)
    assert len(loaded) >= 6
    assert all(c.sample for c in loaded)
    assert all("サンプル" in c.name for c in loaded)
    assert "SAMPLE DATA" in clinics.SAMPLE_CSV.read_text(encoding="utf-8").splitlines()[0]


def test_the_clinics_csv_setting_points_at_a_real_file(tmp_path, monkeypatch):
    real = tmp_path / "clinics.csv"
    real.write_text(
        "name,address,lat,lon,phone,url,dermatology,urgent_same_day\n"
        "A Clinic,Somewhere,35.0,139.0,03-1234-5678,https://a.example,yes,no\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ADAI_CLINICS_CSV", str(real))
    monkeypatch.setenv("ADAI_SIMULATOR", "1")  # no credentials needed to read a setting
    loaded = clinics.load(configuration.load().clinics_csv)
    assert [c.name for c in loaded] == ["A Clinic"]
    assert not loaded[0].sample


@pytest.mark.parametrize(
    "a, b, km",
    [
        ((38.2601, 140.8824), (38.2601, 140.8824), 0.0),
        ((35.6812, 139.7671), (38.2601, 140.8824), 305.0),  # Tokyo station to Sendai station
        ((0.0, 0.0), (0.0, 1.0), 111.2),
    ],
)
def test_haversine_distance(a, b, km):
    assert clinics.distance_km(*a, *b) == pytest.approx(km, abs=2.0)


def clinic(name, lat, lon, urgent=False):
    return clinics.Clinic(name, "", lat, lon, "", "", True, urgent)


def test_nearest_first_and_limited_to_n():
    here = (38.0, 140.0)
    near, middle, far = clinic("near", 38.01, 140.0), clinic("mid", 38.05, 140.0), clinic("far", 38.5, 140.0)
    ranked = clinics.nearest([far, near, middle], *here, n=2)
    assert [c.name for c, _ in ranked] == ["near", "mid"]
    assert ranked[0][1] < ranked[1][1]


def test_urgent_accepting_clinics_come_first_after_an_urgent_result():
    here = (38.0, 140.0)
    near = clinic("near", 38.01, 140.0)
    urgent_far = clinic("urgent-far", 38.3, 140.0, urgent=True)
    urgent_mid = clinic("urgent-mid", 38.1, 140.0, urgent=True)
    ordered = [c.name for c, _ in clinics.nearest([near, urgent_far, urgent_mid], *here, n=3, urgent_first=True)]
    assert ordered == ["urgent-mid", "urgent-far", "near"]
    plain = [c.name for c, _ in clinics.nearest([near, urgent_far, urgent_mid], *here, n=3)]
    assert plain == ["near", "urgent-mid", "urgent-far"]


def test_sample_order_from_sendai_station():
    ranked = clinics.nearest(clinics.load(clinics.SAMPLE_CSV), *SENDAI_STATION, n=3)
    assert ranked[0][0].name == "【サンプル】仙台駅前皮膚科"
    distances = [km for _, km in ranked]
    assert distances == sorted(distances)


@pytest.mark.parametrize(
    "row, problem",
    [
        ("X,addr,north,140,1,u,yes,no", "lat/lon"),
        ("X,addr,38,140,1,u,maybe,no", "yes/no"),
        ("X,addr,138,140,1,u,yes,no", "out of range"),
    ],
)
def test_bad_rows_are_reported_with_their_line(row, problem):
    text = "name,address,lat,lon,phone,url,dermatology,urgent_same_day\n" + row + "\n"
    with pytest.raises(clinics.ClinicFileError, match=problem):
        clinics.parse(text)


def test_missing_column_is_reported():
    with pytest.raises(clinics.ClinicFileError, match="urgent_same_day"):
        clinics.parse("name,address,lat,lon,phone,url,dermatology\n")


def test_map_and_call_links():
    c = clinics.Clinic("n", "a", 38.26, 140.88, "022-000-0002", "", True, True)
    assert clinics.map_url(c) == "https://www.google.com/maps/search/?api=1&query=38.260000,140.880000"
    assert clinics.tel_uri(c) == "tel:0220000002"


# --- "Find a clinic" over real webhooks -----------------------------------------------------------


def bubbles(messages):
    flex = [m for m in messages if m["type"] == "flex"][-1]
    return flex["contents"]["contents"]


def names(messages):
    return [b["body"]["contents"][0]["text"] for b in bubbles(messages)]


def test_find_a_clinic_asks_for_the_location_then_answers_nearest_first(deliver, events, emulator):
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=clinics", user=uid))   # the result card's / menu's button
    ask = emulator.messages_to(uid)[-1]
    assert [i["action"]["type"] for i in ask["quickReply"]["items"]] == ["location"]
    deliver(events.location(*SENDAI_STATION, user=uid))
    messages = emulator.messages_to(uid)
    header = messages[-2]["text"]
    assert "サンプルデータ" in header
    assert names(messages) == [c.name for c, _ in clinics.nearest(clinics.load(), *SENDAI_STATION, n=3)]
    first = bubbles(messages)[0]
    actions = [b["action"] for b in first["footer"]["contents"]]
    assert actions[0]["uri"].startswith("https://www.google.com/maps/search/?api=1&query=")
    assert actions[1]["uri"] == "tel:0220000002"
    assert first["body"]["contents"][1]["text"] == "0.0 km"


def test_after_an_urgent_result_same_day_clinics_come_first(deliver, events, emulator, db, clock):
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=consent&v=yes", user=uid))
    add_result(db, uid, clock.now(), {"AD": 0.05, "IM": 0.05, "HI": 0.85, "MF": 0.05})
    here = (38.3231, 140.8807)  # Izumi-Chuo: the nearest sample clinic does not take urgent cases
    deliver(events.location(*here, user=uid))
    messages = emulator.messages_to(uid)
    assert "119" in messages[-2]["text"]
    ranked = clinics.nearest(clinics.load(), *here, n=3, urgent_first=True)
    assert names(messages) == [c.name for c, _ in ranked]
    assert all(c.urgent_same_day for c, _ in ranked[:3])
    assert clinics.nearest(clinics.load(), *here, n=1)[0][0].name not in names(messages)
    # three days later the urgency no longer reorders
    clock.advance(days=4)
    deliver(events.location(*here, user=uid))
    assert names(emulator.messages_to(uid))[0] == clinics.nearest(clinics.load(), *here, n=1)[0][0].name


def test_find_a_clinic_by_text_in_english(deliver, events, emulator):
    uid = webhooks.user_id()
    emulator.set_profile(uid, language="en")
    deliver(events.follow(user=uid))
    deliver(events.text("Find a clinic", user=uid))
    assert "share your location" in emulator.messages_to(uid)[-1]["text"]

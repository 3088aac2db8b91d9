"""Progression chart: rendering (Japanese glyphs present, LINE size limits) and the chart in
"History" as a LINE image over signed links that expire."""

import datetime as dt
import io
import warnings
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot import create_app
from bot.views import charts
from tests.support import SECRET, webhooks
from tests.support.records import add_checkin, add_result

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 10, 4, 10, tzinfo=UTC)
POEM = [{"at": T0 + dt.timedelta(weeks=i), "score": s} for i, s in enumerate([18, 15, 12, 9, 7, 5])]
PHOTOS = [{"at": T0 + dt.timedelta(days=d), "lesion_fraction": lf, "p_not_ad": p, "level": lv}
          for d, lf, p, lv in [(1, .22, .55, "soon"), (9, .15, .3, "routine"), (20, .09, .2, "routine"),
                               (33, .05, .1, "routine")]]
LINE_ORIGINAL_MAX, LINE_PREVIEW_MAX = 10 * 1024 * 1024, 1024 * 1024


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_chart_renders_every_glyph_within_line_limits(lang, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.render(POEM, PHOTOS, lang, ZoneInfo("Asia/Tokyo"))
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    assert missing == []  # a Japanese label without the CJK font warns "Glyph ... missing from font(s)"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1200, 1080)
    assert len(png) < LINE_ORIGINAL_MAX
    small = charts.preview(png)
    preview = Image.open(io.BytesIO(small))
    assert preview.format == "PNG" and preview.width == 480 and len(small) < LINE_PREVIEW_MAX
    (tmp_path / f"chart_{lang}.png").write_bytes(png)


def test_the_cjk_font_is_the_bundled_ipaex_gothic():
    assert charts.cjk_font_name() == "IPAexGothic"


def test_empty_chart_still_renders():
    png = charts.render([], [], "ja")
    assert Image.open(io.BytesIO(png)).size == (1200, 1080)


@pytest.mark.parametrize(
    "scores, photos, lang, expected",
    [
        ([18, 5], 0, "en", "Your POEM score went from 18 to 5: clearly better."),
        ([5, 8], 0, "en", "Your POEM score went from 5 to 8: clearly worse. Please talk to your doctor."),
        ([10, 12], 0, "en", "Your POEM score went from 10 to 12: no big change."),
        ([], 3, "en", "3 photo results so far. Weekly check-ins make the trend easier to see."),
        # right after the first check-in: its score, no call to check in (issue 12 item 9)
        ([10], 3, "en", "Your POEM score was 10. Your next weekly check-in will show the change."),
        ([10], 0, "ja", "POEMスコアは10点でした。来週のチェックインで変化がわかります。"),
        ([], 0, "ja", "グラフにするには、チェックインか写真の記録がもう少し必要です。"),
        ([18, 5], 0, "ja", "POEMスコアは18点から5点へ、はっきり良くなっています。"),
    ],
)
def test_trend_sentence(scores, photos, lang, expected):
    points = [{"at": T0, "score": s} for s in scores]
    assert charts.trend_sentence(points, PHOTOS[:photos], lang) == expected


# --- History over real webhooks -----------------------------------------------------------------

@pytest.fixture
def app_config(app_config):
    return {**app_config, "public_url": "https://adai.example"}


@pytest.fixture
def patient(deliver, events, clock, db):
    clock.set(T0)
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=consent&v=yes", user=uid))
    for week, total in enumerate([16, 13, 9, 6]):
        add_checkin(db, uid, T0 + dt.timedelta(weeks=week), total)
    for day, ad, lesion in [(1, 0.45, 0.2), (12, 0.8, 0.12), (25, 0.9, 0.05)]:
        add_result(db, uid, T0 + dt.timedelta(days=day), {"AD": ad, "IM": 1 - ad - 0.02, "HI": 0.01, "MF": 0.01}, lesion)
    clock.set(T0 + dt.timedelta(days=28))
    return uid


def test_history_sends_the_chart_as_an_image_with_expiring_links(deliver, events, emulator, client, clock, patient, tmp_path):
    deliver(events.postback("action=history", user=patient))
    messages = emulator.messages_to(patient)
    images = [m for m in messages if m["type"] == "image"]
    assert len(images) == 1
    image = images[0]
    trend = messages[messages.index(image) + 1]
    assert trend["text"] == "POEMスコアは16点から6点へ、はっきり良くなっています。"
    original, preview = (urlparse(image[k]) for k in ("originalContentUrl", "previewImageUrl"))
    assert original.scheme == preview.scheme == "https"
    full = client.get(original.path)
    small = client.get(preview.path)
    assert full.status_code == small.status_code == 200
    assert full.mimetype == small.mimetype == "image/png"
    assert len(full.data) < LINE_ORIGINAL_MAX and len(small.data) < LINE_PREVIEW_MAX
    assert Image.open(io.BytesIO(full.data)).size == (1200, 1080)
    assert Image.open(io.BytesIO(small.data)).width == 480
    (tmp_path / "history_chart.png").write_bytes(full.data)
    clock.advance(hours=24)
    assert client.get(original.path).status_code == 404
    assert client.get(preview.path).status_code == 404


def test_history_without_consent_has_no_chart(deliver, events, emulator):
    uid = webhooks.user_id()
    deliver(events.follow(user=uid))
    deliver(events.postback("action=history", user=uid))
    assert [m for m in emulator.messages_to(uid) if m["type"] == "image"] == []


def _history_of_one_checkin(app, emulator, secret, clock, lang="ja") -> list[dict]:
    """A new user follows, agrees, has one check-in and asks for History: what the bot sent."""
    services, client = app.extensions["adai"], app.test_client()
    events = webhooks.Events(emulator, clock)
    uid = webhooks.user_id()
    emulator.set_profile(uid, language=lang)
    for event in (events.follow(user=uid), events.postback("action=consent&v=yes", user=uid)):
        raw, headers = webhooks.signed(secret, event)
        assert client.post("/callback", data=raw, headers=headers).status_code == 200
        services.worker.drain()
    add_checkin(services.db(), uid, clock.now(), 12)
    raw, headers = webhooks.signed(secret, events.postback("action=history", user=uid))
    client.post("/callback", data=raw, headers=headers)
    services.worker.drain()
    return emulator.messages_to(uid)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_in_simulator_mode_the_chart_is_an_image_message_with_a_short_text(tmp_path, clock, lang):
    """Issue 12 item 6: not a 200-character URL in a text. The simulator's emulator takes
    loopback http image links (LINE could not reach loopback anyway), both signed."""
    from bot.settings import SIMULATOR_SECRET

    app = create_app({"data_dir": tmp_path / "var", "models_dir": tmp_path / "models", "simulator": True,
                      "port": 8765, "assess_processes": 0}, clock=clock)
    try:
        messages = _history_of_one_checkin(app, app.extensions["adai"].emulator, SIMULATOR_SECRET, clock, lang)
        (image,) = [m for m in messages if m["type"] == "image"]
        trend = messages[messages.index(image) + 1]
        assert trend["type"] == "text" and "http" not in trend["text"] and len(trend["text"]) < 120
        for key in ("originalContentUrl", "previewImageUrl"):
            url = urlparse(image[key])
            assert (url.scheme, url.netloc) == ("http", "127.0.0.1:8765") and url.path.startswith("/media/")
            assert app.test_client().get(url.path).status_code == 200
        assert all("/media/" not in m.get("text", "") for m in messages)
    finally:
        app.extensions["adai"].stop()


def test_without_an_https_public_url_the_chart_link_goes_in_the_text(app_config, clock, emulator):
    """With LINE credentials but no https ADAI_PUBLIC_URL (a misconfiguration): LINE would
    refuse an http image, so a text link."""

    app = create_app({**app_config, "public_url": None}, clock=clock)
    try:
        last = _history_of_one_checkin(app, emulator, SECRET, clock)[-1]["text"]
        link = last.split("\n")[-1]
        assert link.startswith("http://127.0.0.1:") and "/media/" in link
        assert app.test_client().get(urlparse(link).path).status_code == 200
    finally:
        app.extensions["adai"].stop()


# --- the date axis (issue 12 item 1) -------------------------------------------------------------

@pytest.mark.parametrize(
    "case, when",
    [
        ("one point", [dt.datetime(2026, 12, 1, 9, 30)]),
        ("one day", [dt.datetime(2026, 12, 1, h, 5) for h in (8, 11, 15, 21)]),
        ("a week", [dt.datetime(2026, 12, 1, 9) + dt.timedelta(days=d) for d in range(7)]),
        ("a year", [dt.datetime(2026, 1, 5, 9) + dt.timedelta(weeks=w) for w in range(52)]),
    ],
)
def test_date_ticks_are_right_and_readable(case, when):
    (low, high), ticks, labels = charts.date_ticks(when)
    assert low <= min(when) and max(when) <= high
    assert 2 <= len(ticks) <= 8, labels
    assert len(set(labels)) == len(labels), labels  # never "2026-01-01" five times
    assert ticks == sorted(ticks) and all(low <= t <= high for t in ticks)
    for tick, label in zip(ticks, labels):  # each label names the date (or month) at its tick
        assert label in (tick.strftime("%Y-%m-%d"), tick.strftime("%Y-%m")), (tick, label)
    if case in ("one point", "one day"):
        assert "2026-12-01" in labels  # the day of the points is named


def drawn_figures(monkeypatch) -> list:
    """The matplotlib figures render() saves, as drawn (matplotlib's own savefig still runs)."""
    from matplotlib.figure import Figure
    figures, save = [], Figure.savefig

    def keep(figure, *args, **kwargs):
        figures.append(figure)
        return save(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def test_chart_of_one_point_has_its_date_on_the_axis(tmp_path, monkeypatch):
    """The rendered chart's axis: the risk axis carries the labels of date_ticks, on the day of
    the point in the user's zone (23:30 UTC on 11/30 is 08:30 on 12/01 in Tokyo), and the point
    is drawn inside that day."""
    from matplotlib.dates import date2num
    figures = drawn_figures(monkeypatch)
    at = dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    png = charts.render([], [{"at": at, "lesion_fraction": .1, "p_not_ad": .2, "level": "routine"}],
                        "ja", ZoneInfo("Asia/Tokyo"))
    (tmp_path / "one_point.png").write_bytes(png)
    assert Image.open(io.BytesIO(png)).size == (1200, 1080)
    (figure,) = figures
    risk_axis = figure.axes[2]
    labels = [label.get_text() for label in risk_axis.get_xticklabels()]
    assert labels == ["2026-11-30", "2026-12-01", "2026-12-02"]  # the point's day between its neighbours
    noon = date2num(dt.datetime(2026, 12, 1, 12))
    assert list(risk_axis.get_xticks()) == [noon - 1, noon, noon + 1]
    (x, level), = risk_axis.collections[0].get_offsets()
    assert x == pytest.approx(date2num(dt.datetime(2026, 12, 1, 8, 30))) and level == charts.LEVELS.index("routine")
    low, high = risk_axis.get_xlim()
    assert low < x < high and all(ax.get_xlim() == (low, high) for ax in figure.axes)  # shared

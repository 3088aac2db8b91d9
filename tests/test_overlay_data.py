"""The overlay is drawn when first opened (issue 23): the worker keeps a few KB saying what it is
drawn from (inference/overlay_data.py), and the first reader draws the very picture the
assessment would have drawn and keeps it with the photo's date. The clinic's label page starts
from the same kept masks."""
import json
import os
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from bot.engine import media
from bot.features import consent
from inference import Pipeline, overlay_data
from inference.overlay_data import OverlayDataError
from storage import assessments, files
from tests.support.chat import dark_photo, flex_actions, photo, unfamiliar_photo
from tests.support.devmodels import build_dev_models

JA_CAPTIONS = {"ok": ["結果: {top}（湿疹以外 {p_not_ad}）", "{crops}", "青 = 皮膚"],
               "unfamiliar": ["判定していません：学習した写真と違います", "青 = 皮膚"],
               "models": ["{segmenter} / {classifier} {validated}"], "box": "{n}",
               "not_validated": "臨床的な検証を受けていません"}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return build_dev_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def pipeline(models):
    return Pipeline.from_dir(models, threads=1)


@pytest.mark.parametrize("data, quality", [(photo("IM", seed=2), "ok"), (photo("AD", size=(1200, 900)), "ok"),
                                           (unfamiliar_photo(), "unfamiliar"), (dark_photo(), "too_dark")])
@pytest.mark.parametrize("captions", [None, JA_CAPTIONS])
def test_the_overlay_drawn_from_its_data_is_the_one_the_assessment_draws(pipeline, data, quality, captions):
    assessment = pipeline.assess(data, captions=captions)
    assert assessment.quality == quality
    stored = overlay_data.dumps(assessment)
    assert len(stored) < 8000  # a few KB against a ~100 KB JPEG
    assert overlay_data.render_jpeg(stored, data) == assessment.overlay_jpeg()


def test_the_masks_crops_and_captions_come_back_exactly(pipeline):
    assessment = pipeline.assess(photo("HI", seed=4), captions=JA_CAPTIONS)
    back = overlay_data.loads(overlay_data.dumps(assessment))
    assert (back.masks.skin == assessment.masks.skin).all() and (back.masks.lesion == assessment.masks.lesion).all()
    assert back.masks.lesion.any() and back.crops == assessment.crops and back.captions == JA_CAPTIONS
    assert (back.quality, back.probabilities, back.models, back.full_size) == (
        assessment.quality, assessment.probabilities, assessment.models, assessment.full_size)


@pytest.mark.parametrize("damaged", [b"", b"{", b"[]", json.dumps({"v": 99}).encode(),
                                     json.dumps({"v": 1, "quality": "ok"}).encode(),
                                     json.dumps({"v": 1, "quality": "ok", "crops": [], "probabilities": {},
                                                 "models": {}, "full_size": None, "captions": {},
                                                 "masks": "not base64!"}).encode()])
def test_damaged_data_is_a_named_error(damaged):
    with pytest.raises(OverlayDataError):
        overlay_data.loads(damaged)


# --- in the bot -------------------------------------------------------------------------------

@pytest.fixture
def app_config(app_config, models):
    return {**app_config, "models_dir": models}


def consented(chat, lang="en"):
    user = chat(lang)
    user.follow()
    user.agree()
    return user


def folder_of(services, user):
    return files.user_dir(services.settings.files_dir, user.user)


def test_a_photo_keeps_the_data_and_the_first_open_draws_the_overlay_once(chat, client, services, db):
    user = consented(chat, "ja")
    card = user.photo(photo("IM", seed=7))[0]
    link = next(a["uri"] for a in flex_actions(card) if a["type"] == "uri")
    (row,) = assessments.recent(db, user.user)
    folder, ref = folder_of(services, user), row["overlay_ref"]
    data_file, jpeg_file = folder / media.overlay_data_name(ref), folder / media.file_name("overlay", ref)
    assert data_file.is_file() and not jpeg_file.exists()  # nothing drawn for a picture nobody opened
    dated = data_file.stat().st_mtime

    first = client.get(urlsplit(link).path)
    assert first.status_code == 200 and first.data.startswith(b"\xff\xd8")
    assert jpeg_file.read_bytes() == first.data and data_file.is_file()  # the label page's masks stay
    assert jpeg_file.stat().st_mtime == dated  # the photo's date: retention ages it alike
    assert oct(jpeg_file.stat().st_mode & 0o777) == "0o600"
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left

    again = client.get(urlsplit(link).path)
    assert again.status_code == 200 and again.data == first.data
    (drawn,) = [m for m in services.metrics.registry.collect() if m.name == "adai_overlay_draw_seconds"]
    assert [s.value for s in drawn.samples if s.name.endswith("_count")] == [1.0]  # drawn once, observed


def test_an_overlay_whose_data_is_damaged_is_not_served_and_nothing_breaks(chat, client, services, db):
    user = consented(chat)
    card = user.photo(photo("AD", seed=8))[0]  # shadow mode: the questions card, then the first question
    link = next(a["uri"] for a in flex_actions(card) if a["type"] == "uri")
    (row,) = assessments.recent(db, user.user)
    (folder_of(services, user) / media.overlay_data_name(row["overlay_ref"])).write_bytes(b"{broken")
    assert client.get(urlsplit(link).path).status_code == 404  # the same answer as a gone picture


def test_retention_removes_an_overlay_never_opened(chat, services, db, clock):
    user = consented(chat)
    user.photo(photo("AD", seed=9))
    (row,) = assessments.recent(db, user.user)
    data_file = folder_of(services, user) / media.overlay_data_name(row["overlay_ref"])
    os.utime(data_file, None)  # dated now by the wall clock: only the purge by name can find it
    assert data_file.is_file()
    consent.purge_expired(services, db, clock.now() + timedelta(days=services.settings.retention_days + 1))
    assert not data_file.exists() and assessments.recent(db, user.user) == []


def test_overlays_opened_at_once_by_many_readers_are_each_drawn_right(pipeline):
    """The app's drawer draws on one thread of its own (engine/media.py: sixteen web threads each
    drawing grew the server by ~300 MB); readers at the same moment each get their own picture."""
    from concurrent.futures import ThreadPoolExecutor

    photos = [photo(kind, seed=i) for i, kind in enumerate(("AD", "IM", "HI", "MF") * 2)]
    assessments_ = [pipeline.assess(data) for data in photos]
    drawer = media.OverlayDrawer()
    try:
        with ThreadPoolExecutor(8) as readers:
            drawn = list(readers.map(lambda i: drawer.draw(overlay_data.dumps(assessments_[i]), photos[i]), range(8)))
    finally:
        drawer.close()
    assert drawn == [a.overlay_jpeg() for a in assessments_]
    assert drawer.draw(overlay_data.dumps(assessments_[0]), photos[0]) == drawn[0]  # after close: drawn in place

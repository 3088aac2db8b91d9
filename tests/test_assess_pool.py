"""Photo assessment in worker processes (bot.assess_pool) gives what the in-process Pipeline
gives: the same JSON, what the same overlay is drawn from, the same typed refusals; and the bot
answers with it."""

import pytest

from bot.engine.assess_pool import PooledPipeline
from inference import Pipeline, overlay_data
from inference.errors import InferenceError
from storage import assessments
from tests.support.chat import dark_photo, photo
from tests.support.devmodels import build_dev_models


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return build_dev_models(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def pooled(models):
    pool = PooledPipeline(Pipeline.from_dir(models, threads=1), models, processes=1)
    yield pool
    pool.close()


def without_timings(assessment) -> dict:
    result = assessment.to_dict()
    result.pop("timings_ms")
    return result


def test_the_pool_assesses_like_the_pipeline_and_brings_the_overlay(pooled, models):
    data = photo("IM", seed=3)
    here = Pipeline.from_dir(models, threads=1).assess(data)
    there = pooled.assess(data)
    assert there.ok and without_timings(there) == without_timings(here)
    # What the child made draws the very overlay the in-process pipeline draws, byte for byte.
    assert overlay_data.render_jpeg(there.overlay_data, data) == here.overlay_jpeg()
    assert there.image is None and there.masks is None  # the pictures stayed in the child


def test_the_pool_raises_the_same_typed_refusals(pooled):
    with pytest.raises(InferenceError) as refused:
        pooled.assess(b"not an image at all")
    assert refused.value.code == "unsupported_image"
    dark = pooled.assess(dark_photo())
    assert not dark.ok and dark.quality == "too_dark"
    # Stopped before the models: an overlay with the banner only (no masks, so no label mask).
    assert overlay_data.loads(dark.overlay_data).masks is None


@pytest.fixture
def app_config(app_config, models):
    return {**app_config, "models_dir": models, "assess_processes": 1}


def test_the_bot_answers_photos_through_the_pool_with_an_overlay_link(chat, services, db, models):
    """What the bot keeps and shows through the pool is what the in-process pipeline gives."""
    user = chat("en")
    user.follow()
    user.agree()
    data = photo("IM", seed=5)
    (card,) = user.photo(data)
    assert card["type"] == "flex"
    assert isinstance(services.pipeline().pipeline, PooledPipeline)  # the model set in use (engine/model_sets.py)
    assert "/media/" in str(card)  # the overlay (its data made in the child) was kept and linked
    here = Pipeline.from_dir(models, threads=1).assess(data).to_dict()
    (row,) = assessments.recent(db, user.user)
    stored = {key: row[key] for key in ("quality", "top", "p_not_ad", "skin_fraction", "lesion_fraction")}
    assert stored == {key: here[key] for key in stored}
    assert row["probabilities"] == pytest.approx(here["probabilities"]) and here["top"] == "IM"


def test_the_label_pages_starting_mask_is_kept_when_the_pool_assesses(chat, services, db, models):
    """Issue 21 item 11: the worker keeps the segmenter's masks beside the photo (made in the
    child, with the overlay's data), and the label page's starting mask made from them is
    exactly what the in-process pipeline gives, so no web request runs the segmenter."""
    from bot.engine import media
    from storage import clinic_labels, files

    user = chat("en")
    user.follow()
    user.agree()
    data = photo("IM", seed=5)
    user.photo(data)
    (row,) = assessments.recent(db, user.user)
    folder = files.user_dir(services.settings.files_dir, user.user)
    kept, _ = media.overlay_source(folder, row["overlay_ref"])
    here = Pipeline.from_dir(models, threads=1).assess(data)
    assert clinic_labels.model_mask_png(data, kept.masks, kept.full_size) == clinic_labels.model_mask_png(data, here.masks)
    data_file = folder / media.overlay_data_name(row["overlay_ref"])
    assert oct(data_file.stat().st_mode & 0o777) == "0o600"


def test_photos_from_several_lanes_at_once_each_get_their_own_answer(models):
    """Lanes share the children: more lanes than children wait for one, and every photo gets
    the answer for its own pixels."""
    from concurrent.futures import ThreadPoolExecutor

    photos = [photo(kind, seed=seed) for kind in ("IM", "AD", "MF") for seed in (1, 2)]
    here = Pipeline.from_dir(models, threads=1)
    expected = [without_timings(here.assess(data)) for data in photos]
    pool = PooledPipeline(here, models, processes=2)
    try:
        with ThreadPoolExecutor(4) as lanes:
            got = list(lanes.map(lambda data: without_timings(pool.assess(data)), photos * 2))
        assert got == expected * 2
        assert len(pool.pids()) == 2  # never more children than asked for
    finally:
        pool.close()


def test_a_killed_child_fails_only_its_photo_and_a_new_one_takes_the_next(models):
    import os
    import signal

    from bot.engine.assess_pool import AssessPoolRestarted

    pool = PooledPipeline(Pipeline.from_dir(models, threads=1), models, processes=1)
    try:
        data = photo("IM", seed=3)
        assert pool.assess(data).ok
        (pid,) = pool.pids()
        os.kill(pid, signal.SIGKILL)  # out of memory, or an operator's kill -9
        with pytest.raises(AssessPoolRestarted):
            pool.assess(data)
        assert pool.assess(data).ok  # a new child
        assert pool.pids() != [pid]
    finally:
        pool.close()


def test_a_retired_pool_finishes_photos_in_hand_and_its_children_exit(models):
    import multiprocessing
    import time

    from bot.engine.assess_pool import PoolClosed

    def alive(pids):  # active_children() also reaps the ones that exited
        return {p.pid for p in multiprocessing.active_children()} & set(pids)

    pool = PooledPipeline(Pipeline.from_dir(models, threads=1), models, processes=1)
    data = photo("IM", seed=3)
    assert pool.assess(data).ok
    children = pool.pids()
    assert alive(children)
    pool.retire()
    deadline = time.monotonic() + 10
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(children)
    # A photo that started on this set before the swap still gets its answer (a child of its own).
    assert pool.assess(data).ok
    assert pool.pids() == []  # and that child exits with it
    pool.close()
    with pytest.raises(PoolClosed):
        pool.assess(data)

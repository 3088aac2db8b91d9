"""Retake texts that fit what the photo showed (issue 25): real photographs from models/realset
(portraits, faces, rooms of people: SOURCES.csv label healthy_skin) through the real bot and the
committed models. A portrait never hears "I cannot see skin", a room of people never "the rash
looks small": they get "a face, people or a scene; send a close-up of the rash". A photo with no
skin at all still gets the no-skin text; the questions stay offered where they were."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.features.photos import retake_key
from bot.texts import t
from tests.support.chat import quick_replies

REALSET = Path(__file__).resolve().parents[1] / "models" / "realset"
MODELS = Path(__file__).resolve().parents[1] / "models"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "models_dir": MODELS}


# (photo, what it shows, the verdict of the committed models when this was written)
PORTRAITS_AND_SCENES = [
    ("train/fr_obama.jpg", "a portrait", "no_skin"),
    ("train/fr_biden.jpg", "a portrait", "no_skin"),
    ("train/fr_obama2.jpg", "a portrait", "no_lesion"),
    ("heldout/if_t1.jpg", "a group of six at a table", "no_skin"),
    ("heldout/y5_zidane.jpg", "two men in suits", "no_skin"),
    ("heldout/y5_bus.jpg", "people beside a bus", "no_skin"),
    ("heldout/fx_test.jpg", "a face", "lesion_too_small"),
    ("heldout/mpl_grace_hopper.jpg", "a portrait", "no_lesion"),
]


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("path, shows, verdict", PORTRAITS_AND_SCENES)
def test_a_face_or_a_scene_is_asked_for_a_close_up(chat, lang, path, shows, verdict):
    user = chat(lang)
    user.follow()
    (answer,) = user.photo((REALSET / path).read_bytes())
    text = answer["text"]
    assert text.startswith(t("conv.retake_scene", lang)), (shows, text)
    assert t("conv.retake_no_skin", lang) not in text
    assert t("conv.retake_lesion_too_small", lang) not in text
    labels = [a.get("label") for a in quick_replies(answer)]
    assert labels[:2] == [t("conv.qr_camera", lang), t("conv.qr_camera_roll", lang)]
    # The questions stay offered: the patient may have a rash and sent a wide photo.
    assert t("conv.qr_questions", lang) in labels and t("conv.retake_questions_too", lang) in text


@pytest.mark.parametrize("path", ["train/cv_scenetext01.jpg", "train/cv_board.jpg"])
def test_a_photo_without_any_skin_still_hears_so(chat, path):
    user = chat("en")
    user.follow()
    (answer,) = user.photo((REALSET / path).read_bytes())
    assert answer["text"].startswith(t("conv.retake_no_skin", "en"))


def _assessed(skin, crops=()):
    return SimpleNamespace(skin_fraction=skin, crops=list(crops))


@pytest.mark.parametrize(
    "quality, skin, crops, key",
    [
        ("no_skin", 0.0, (), "conv.retake_no_skin"),          # text, objects: nothing like skin
        ("no_skin", 0.0024, (), "conv.retake_scene"),          # a room of people
        ("no_skin", 0.035, (), "conv.retake_scene"),           # a portrait
        ("no_lesion", 0.15, (), "conv.retake_scene"),          # a face, no rash found
        ("no_lesion", 0.9, (), "conv.retake_no_lesion"),       # a close-up of clear skin
        ("lesion_too_small", 0.22, (), "conv.retake_scene"),   # a face with a speck taken for rash
        ("lesion_too_small", 0.7, (), "conv.retake_lesion_too_small"),  # skin close up, a far rash
        ("lesion_too_small", 0.2, ({"box": [0, 0, 9, 9]},), "conv.retake_lesion_too_small"),
        ("too_dark", None, (), "conv.retake_too_dark"),        # the gate before the models
        ("blurry", None, (), "conv.retake_blurry"),
    ],
)
def test_the_retake_text_follows_skin_and_crops(quality, skin, crops, key):
    assert retake_key(quality, _assessed(skin, crops)) == key
    assert retake_key(quality) == retake_key(quality, None)

"""The manifest's `validation` block as the bot reads it (inference/validation.py): a signed
block loads and reaches every assessment's `models`; a corrupt one, one that claims more than
it measured, or one measured on other models is a ModelManifestError naming the block."""
from __future__ import annotations

import json

import pytest

from inference import Pipeline
from inference.errors import ModelManifestError
from tests.support.devmodels import build_dev_models
from tests.support.validation import sign_copy


@pytest.fixture
def signed(tmp_path):
    folder = build_dev_models(tmp_path / "models")
    sign_copy(folder)
    return folder


def edit(folder, change):
    path = folder / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_a_signed_block_reaches_the_assessment(signed):
    models = Pipeline.from_dir(signed).models
    assert models["validated"] is True
    assert models["validation"]["photos"] == 240 and models["validation"]["patients"] == 120
    assert models["validation"]["clinic"] == "Sendai Skin Clinic"
    assert models["validation"]["sensitivity"][0] == 1.0


def test_an_unsigned_manifest_says_nothing_of_a_validation(tmp_path):
    models = Pipeline.from_dir(build_dev_models(tmp_path / "models")).models
    assert models["validated"] is False and "validation" not in models


def _set(path, value):
    def change(data):
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return change


def _drop(path):
    def change(data):
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]
    return change


CORRUPTIONS = {
    "validated without a block": (_drop("validation"), "validation block is missing"),
    "a block not marked validated": (_set("validated", False), "validated is False"),
    "validated as text": (_set("validated", "yes"), "validated is 'yes'"),
    "not a dict": (_set("validation", [1, 2]), "block missing or lacks"),
    "no signature": (_drop("validation.signed_by"), "block missing or lacks"),
    "an empty signature": (_set("validation.signed_by", "  "), "signed_by must be a non-empty text"),
    "no clinic": (_set("validation.clinic", ""), "clinic must be a non-empty text"),
    "other model files": (_set("validation.models.classifier", "0" * 64), "other model files"),
    "another familiarity block": (_set("familiarity.thresholds.photo_score", 999.0),
                                  "another familiarity block"),
    "more patients than photos": (_set("validation.patients", 241), "241 patients for 240 photos"),
    "a count that is not whole": (_set("validation.photos", 240.5), "photos must be a whole number"),
    "a rate outside its interval": (_set("validation.sensitivity.high", 0.5),
                                    "not a proportion inside its interval"),
    "a rate not its counts": (_set("validation.specificity.hits", 59), "is not 59/60"),
    "a rate without its counts": (_drop("validation.sensitivity.of"), "sensitivity needs"),
    "too few patients in a class": (_set("validation.counts.MF.patients", 29),
                                    "MF: 29 patients"),
    "a lower bound under 0.80": (_set("validation.specificity", {
        "value": 0.85, "low": 0.74, "high": 0.92, "hits": 51, "of": 60}), "lower 95 % bound 0.740"),
}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_a_corrupt_validation_block_is_a_manifest_error(signed, name):
    change, message = CORRUPTIONS[name]
    with pytest.raises(ModelManifestError, match="validat") as failed:
        Pipeline.from_dir(edit(signed, change))
    assert message in str(failed.value)
    assert failed.value.code == "model_manifest"

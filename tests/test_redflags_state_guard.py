"""The red-flag questionnaire's signed postback state (bot/domain/redflags.py): every field a
postback carries is covered by the signature, a missing or foreign signature is refused, and a
signed state whose numbers are out of range or of the wrong shape is refused too.

Pure: encode() writes the data as the bot sends it, router.parse_postback reads it back as a
postback arrives, decode() judges it."""
from urllib.parse import urlencode

import pytest

from bot.domain import redflags as rules
from bot.domain.triage import CLASSES, FLAGS
from bot.engine.router import parse_postback
from bot.tokens import derive_key

KEY = derive_key("channel-secret", rules.ACTION)
MODELS = {"segmenter": "adai-seg@0.1.0", "classifier": "adai-cls@0.1.0", "validated": False}
PROBABILITIES = {"AD": 0.7, "IM": 0.1, "HI": 0.15, "MF": 0.05}


def state(**changes) -> rules.RedFlagState:
    fields = {"probabilities": PROBABILITIES, "models": MODELS, "assessment_id": 41,
              "taken_at": 1_790_000_000, **changes}
    return rules.RedFlagState(**fields)


def fields_of(some_state, key=KEY) -> dict:
    return parse_postback(rules.encode(some_state, key))


def refused(fields, key=KEY) -> str:
    with pytest.raises(rules.BadRedFlagState) as failed:
        rules.decode(fields, key)
    return str(failed.value)


def test_the_state_comes_back_as_it_was_written():
    written = state(answers=rules.YES + rules.NO + rules.UNANSWERED * (len(FLAGS) - 2))
    assert rules.decode(fields_of(written), KEY) == written
    unjudged = state(probabilities=None, assessment_id=None, taken_at=None)
    assert rules.decode(fields_of(unjudged), KEY) == unjudged


@pytest.mark.parametrize("mac", [None, "", "A"])
def test_a_missing_or_empty_signature_is_refused(mac):
    fields = fields_of(state())
    if mac is None:
        del fields["m"]
    else:
        fields["m"] = mac
    assert refused(fields) == "signature"


def test_a_signature_made_with_another_key_or_cut_short_is_refused():
    assert refused(fields_of(state(), derive_key("another-secret", rules.ACTION))) == "signature"
    assert refused(fields_of(state(), derive_key("channel-secret", "media"))) == "signature"
    fields = fields_of(state())
    assert refused({**fields, "m": fields["m"][:-1]}) == "signature"


# A changed value for every field the data carries: each is refused because it is signed.
CHANGES = {
    "action": "rf2",
    "p": "0.0.1000.0",
    "f": rules.YES * len(FLAGS),
    "s": "other-seg@9",
    "c": "other-cls@9",
    "v": "1",
    "a": "42",     # another of the user's results would get these answers
    "t": "1",
}


def test_every_field_the_data_carries_is_signed():
    assert set(CHANGES) == set(rules.SIGNED) == set(fields_of(state())) - {"m"}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_changed_signed_field_is_refused(field):
    fields = fields_of(state())
    assert fields[field] != CHANGES[field]
    assert refused({**fields, field: CHANGES[field]}) == "signature"


@pytest.mark.parametrize("field", ["a", "t"])
def test_an_optional_field_added_or_dropped_is_refused(field):
    without = fields_of(state(assessment_id=None, taken_at=None))
    assert field not in without
    assert refused({**without, field: "7"}) == "signature"
    fields = fields_of(state())
    del fields[field]
    assert refused(fields) == "signature"


def test_the_assessment_id_cannot_be_moved_to_another_result():
    """Only the id that was signed comes back; a re-signed state with another id is another MAC."""
    data = rules.encode(state(assessment_id=41), KEY)
    moved = parse_postback(data.replace("a=41", "a=42"))
    assert moved["a"] == "42" and refused(moved) == "signature"
    other = fields_of(state(assessment_id=42))
    assert other["m"] != parse_postback(data)["m"]
    assert rules.decode(other, KEY).assessment_id == 42


def per_mille(values) -> dict:
    return dict(zip(CLASSES, (v / 1000 for v in values)))


@pytest.mark.parametrize("values", [(0, 0, 0, 1000), (1000, 0, 0, 0), (250, 250, 250, 250)])
def test_per_mille_at_the_ends_of_the_range_is_accepted(values):
    decoded = rules.decode(fields_of(state(probabilities=per_mille(values))), KEY)
    assert decoded.probabilities == per_mille(values)


@pytest.mark.parametrize("values", [(1001, 0, 0, 0), (0, 0, 0, -1), (500, 2000, 0, 0), (0, -1000, 0, 0)])
def test_a_signed_probability_out_of_range_is_refused(values):
    """The range check on its own: the data is correctly signed, only the numbers are wrong."""
    assert refused(fields_of(state(probabilities=per_mille(values)))) == "range"


@pytest.mark.parametrize("answers", [
    rules.YES * (len(FLAGS) - 1),           # one answer short
    rules.YES * (len(FLAGS) + 1),           # one too many
    "x" + rules.UNANSWERED * (len(FLAGS) - 1),  # not an answer mark
])
def test_signed_answers_of_the_wrong_shape_are_refused(answers):
    assert refused(fields_of(state(answers=answers))) == "shape"


def signed(fields: dict) -> dict:
    """Hand-made fields signed with the key, as an older version might have written them."""
    return parse_postback(urlencode({**fields, "m": rules._mac(KEY, fields)}))


def test_signed_probabilities_of_the_wrong_shape_or_kind_are_refused():
    base = {k: v for k, v in fields_of(state()).items() if k != "m"}
    assert rules.decode(signed(base), KEY) == state()
    assert refused(signed({**base, "p": "500.500.0"})) == "shape"
    assert refused(signed({**base, "p": "500.500.0.0.0"})) == "shape"
    assert refused(signed({**base, "p": "a.b.c.d"}))  # not numbers: a ValueError, refused
    assert refused(signed({**base, "a": "forty-one"}))
    no_answers = {k: v for k, v in base.items() if k != "f"}
    assert refused(signed(no_answers))  # a KeyError, refused


@pytest.mark.parametrize("mac", ["é" * 16, "ｍａｃ", "\x00"])
def test_a_signature_with_other_characters_is_refused_not_an_error(mac):
    """compare_digest refuses non-ASCII text with a TypeError: the MACs are compared as bytes."""
    assert refused({**fields_of(state()), "m": mac}) == "signature"

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


# --- the questionnaire itself, and the data's exact form ------------------------------------------

def test_a_fresh_questionnaire_asks_its_questions_in_order():
    from bot.domain.triage import ALL_FLAGS
    four = rules.fresh(PROBABILITIES, MODELS, FLAGS, assessment_id=3)
    assert four.answers == rules.UNANSWERED * 4 and four.flags == FLAGS and four.assessment_id == 3
    assert four.next_question() == FLAGS[0] and four.answered() == {}
    step = four.answer(FLAGS[0], True).answer(FLAGS[2], False)
    assert step.answers == rules.YES + rules.UNANSWERED + rules.NO + rules.UNANSWERED
    assert step.next_question() == FLAGS[1]
    assert step.answered() == {FLAGS[0]: True, FLAGS[2]: False}
    done = step.answer(FLAGS[1], False).answer(FLAGS[3], True)
    assert done.next_question() is None and list(done.answered()) == list(FLAGS)
    six = rules.fresh(None, MODELS, ALL_FLAGS)
    assert six.flags == ALL_FLAGS and six.answer(ALL_FLAGS[5], True).answers == rules.UNANSWERED * 5 + rules.YES


def stored_row(**changes) -> dict:
    return {"id": 7, "quality": "ok", "probabilities": {"AD": 0.20004, "IM": 0.35, "HI": 0.1, "MF": 0.35},
            "models": {"segmenter": "s@1", "classifier": "c@1", "validated": False}, **changes}


def test_a_stored_result_gets_the_questions_its_photo_asked():
    from bot.domain.triage import ALL_FLAGS
    shadowed = rules.from_stored(stored_row(), taken_at=1_790_000_000)
    assert shadowed.probabilities == {"AD": 0.2, "IM": 0.35, "HI": 0.1, "MF": 0.35}
    assert shadowed.models == {"segmenter": "s@1", "classifier": "c@1", "validated": False}
    assert (shadowed.assessment_id, shadowed.taken_at, shadowed.flags) == (7, 1_790_000_000, ALL_FLAGS)
    # validated, or a research preview: the top guess (IM) is a concern, the acute four follow
    assert rules.from_stored(stored_row(models={"segmenter": "s", "classifier": "c", "validated": True}), 1).flags == FLAGS
    assert rules.from_stored(stored_row(), 1, research_preview=True).flags == FLAGS
    unjudged = rules.from_stored(stored_row(quality="unfamiliar"), 1)
    assert unjudged.probabilities is None and unjudged.flags == ALL_FLAGS
    assert rules.from_stored(stored_row(probabilities={}), 1).probabilities is None
    assert rules.from_stored(stored_row(models={}), 1).models == {"segmenter": "", "classifier": "", "validated": False}


def test_probabilities_travel_to_three_decimals_with_every_class():
    assert rules.rounded({"AD": 0.12345, "HI": 0.9996}) == {"AD": 0.123, "IM": 0.0, "HI": 1.0, "MF": 0.0}


def test_the_mac_is_truncated_hmac_sha256_over_the_signed_fields_in_order():
    import base64
    import hashlib
    import hmac
    for assessment_id in range(40, 140):  # some of these MACs end in "X", a base64 letter
        fields = fields_of(state(assessment_id=assessment_id, taken_at=None))
        message = "\x1f".join(f"{name}={fields.get(name, '')}" for name in rules.SIGNED).encode()
        digest = hmac.new(KEY, message, hashlib.sha256).digest()[:rules.MAC_BYTES]
        assert fields["m"] == base64.urlsafe_b64encode(digest).decode()  # 12 bytes: no padding


def test_validated_models_and_missing_names_come_back_as_written():
    validated = state(models={**MODELS, "validated": True})
    assert rules.decode(fields_of(validated), KEY).models["validated"] is True
    assert fields_of(validated)["v"] == "1" and fields_of(state())["v"] == "0"
    nameless = state(models={})
    assert rules.decode(fields_of(nameless), KEY).models == {"segmenter": "", "classifier": "", "validated": False}
    base = {k: v for k, v in fields_of(state()).items() if k not in ("m", "s", "c")}
    assert rules.decode(signed(base), KEY).models == {"segmenter": "", "classifier": "", "validated": False}


@pytest.mark.parametrize("segmenter, classifier, kept", [
    ("a" * 200, "", 80),    # plain names: cut at 80
    ("/" * 200, "", 40),    # "/" is three characters in the data: 80 would not fit, 40 does
    ("é" * 200, "", 20),    # six each: 20
    ("é" * 200, "é" * 200, 0),  # both long: the names give way entirely
])
def test_model_names_give_way_in_steps_until_the_data_fits(segmenter, classifier, kept):
    data = rules.encode(state(models={"segmenter": segmenter, "classifier": classifier}), KEY)
    assert len(data) <= rules.MAX_DATA
    assert rules.decode(parse_postback(data), KEY).models["segmenter"] == segmenter[:kept]


def test_data_of_exactly_300_characters_keeps_the_names_whole():
    for n in range(81):
        names = {"segmenter": "a" * n, "classifier": "/" * 60}  # "/" is three characters in the data
        if len(rules.encode(state(models=names), KEY)) == rules.MAX_DATA:
            break
    else:
        pytest.fail("no name length makes the data exactly 300 characters")
    models = rules.decode(parse_postback(rules.encode(state(models=names), KEY)), KEY).models
    assert (models["segmenter"], models["classifier"]) == ("a" * n, "/" * 60)

"""The red-flag questions after a result, as yes/no quick replies: the four acute ones, then
the two slow ones when the image gave no concern (bot/domain/triage.questions).

The questionnaire keeps its state in the postback data itself (probabilities, answers so
far, model names, and the stored assessment's id when there is one), so it works the same
for a patient who has not consented — nothing is stored for them — and survives restarts.
The data is signed (HMAC-SHA256, truncated, field "m") with a key the caller derives from the
channel secret, so neither the probabilities, the answers nor the validated flag can be
changed by whoever sends a postback. Postback data is at most 300 characters; encode()
shortens the model names (shown on the card only) until it fits.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from bot.domain.triage import ALL_FLAGS, CLASSES, FLAGS, questions

ACTION = "rf"
RESUME = "rf_resume"  # postback of the reminder that asks for unanswered questions
UNANSWERED, YES, NO = "-", "1", "0"
NOT_JUDGED = "n"  # the "p" field of a photo the models did not judge
MAX_DATA = 300
MAC_BYTES = 12
SIGNED = ("action", "p", "f", "s", "c", "v", "a", "t")  # the fields the signature covers, in order


class BadRedFlagState(ValueError):
    """Postback data that is not a red-flag state we wrote (tampered or from an old version)."""


@dataclass(frozen=True)
class RedFlagState:
    probabilities: dict | None  # class -> probability (3 decimals); None: photo not judged
    models: dict  # segmenter, classifier, validated
    answers: str = UNANSWERED * len(FLAGS)  # one character per question asked (ALL_FLAGS order)
    assessment_id: int | None = None
    taken_at: int | None = None  # when the photo came (epoch seconds), for "Photo: date time"

    @property
    def flags(self) -> tuple[str, ...]:
        """The questions of this questionnaire: the acute four, or all six."""
        return ALL_FLAGS[:len(self.answers)]

    def answered(self) -> dict[str, bool]:
        return {flag: mark == YES for flag, mark in zip(self.flags, self.answers) if mark != UNANSWERED}

    def next_question(self) -> str | None:
        index = self.answers.find(UNANSWERED)
        return self.flags[index] if index >= 0 else None

    def answer(self, flag: str, yes: bool) -> "RedFlagState":
        index = self.flags.index(flag)
        marks = self.answers[:index] + (YES if yes else NO) + self.answers[index + 1:]
        return replace(self, answers=marks)


def fresh(probabilities: dict | None, models: dict, flags: tuple[str, ...], **fields) -> RedFlagState:
    """A questionnaire with every question of `flags` (triage.questions) still to answer."""
    return RedFlagState(probabilities, models, answers=UNANSWERED * len(flags), **fields)


def from_stored(row: dict, taken_at: int, research_preview: bool = False) -> RedFlagState:
    """A fresh questionnaire for a stored result (storage.assessments row): the same questions
    the photo's answer asked."""
    judged = row["quality"] == "ok" and bool(row["probabilities"])
    probabilities = rounded(row["probabilities"]) if judged else None
    models = {key: row["models"].get(key, "") for key in ("segmenter", "classifier")}
    models["validated"] = bool(row["models"].get("validated"))
    shadow = not (models["validated"] or research_preview)
    return fresh(probabilities, models, questions(probabilities, shadow), assessment_id=row["id"],
                 taken_at=taken_at)


def rounded(probabilities: dict) -> dict:
    """The precision the state carries; triage uses it from the first card on, so the
    level shown before and after the questions comes from the same numbers."""
    return {code: round(float(probabilities.get(code, 0.0)), 3) for code in CLASSES}


def _mac(key: bytes, fields: dict) -> str:
    message = "\x1f".join(f"{name}={fields.get(name, '')}" for name in SIGNED).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode(state: RedFlagState, key: bytes) -> str:
    fields = {
        "action": ACTION,
        "p": NOT_JUDGED if state.probabilities is None else
             ".".join(str(round(state.probabilities[c] * 1000)) for c in CLASSES),
        "f": state.answers,
        "s": str(state.models.get("segmenter", ""))[:80],
        "c": str(state.models.get("classifier", ""))[:80],
        "v": "1" if state.models.get("validated") else "0",
    }
    if state.assessment_id is not None:
        fields["a"] = str(state.assessment_id)
    if state.taken_at is not None:
        fields["t"] = str(int(state.taken_at))
    for limit in (80, 40, 20, 0):  # the model names give way until the data fits
        fields["s"], fields["c"] = fields["s"][:limit], fields["c"][:limit]
        data = urlencode({**fields, "m": _mac(key, fields)})
        if len(data) <= MAX_DATA:
            break
    return data


def decode(fields: dict, key: bytes) -> RedFlagState:
    """fields: the postback data already parsed (bot.engine.router.parse_postback); a missing
    or wrong signature is BadRedFlagState."""
    if not hmac.compare_digest(str(fields.get("m", "")).encode(), _mac(key, fields).encode()):
        raise BadRedFlagState("signature")
    try:
        judged = fields["p"] != NOT_JUDGED
        per_mille = [int(x) for x in fields["p"].split(".")] if judged else [0] * len(CLASSES)
        answers = fields["f"]
        if len(per_mille) != len(CLASSES) or len(answers) not in (len(FLAGS), len(ALL_FLAGS)) \
                or set(answers) - {UNANSWERED, YES, NO}:
            raise BadRedFlagState("shape")
        if any(not 0 <= x <= 1000 for x in per_mille):
            raise BadRedFlagState("range")
        assessment_id = int(fields["a"]) if fields.get("a") else None
        taken_at = int(fields["t"]) if fields.get("t") else None
    except (KeyError, ValueError) as error:
        raise BadRedFlagState(str(error)) from error
    return RedFlagState(
        probabilities={c: x / 1000 for c, x in zip(CLASSES, per_mille)} if judged else None,
        models={"segmenter": fields.get("s", ""), "classifier": fields.get("c", ""), "validated": fields.get("v") == "1"},
        answers=answers,
        assessment_id=assessment_id,
        taken_at=taken_at,
    )

"""The manifest's `validation` block: what the shipped models were checked on, and by whom.

`python -m models validate --sign NAME` writes it after running these very models on a
clinic's held-out patients (models/validate.py). The bot then states exactly what was
measured: "checked on N photos of M patients at <clinic>: sensitivity … (95 % CI …),
specificity …" — never more. Without the block the bot says "not clinically validated".

The block is refused (ModelManifestError) when it is malformed, when it was measured on
other model files or another familiarity block (those change what the models answer), or
when it does not meet the sign-off rules below: a signature is only as good as its numbers.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from inference.errors import ModelManifestError

# The sign-off rules (issue 11): enough patients in every class, and intervals whose lower
# ends clear 0.80 on both sides of AD-vs-others (a complication is the positive class).
MIN_PATIENTS_PER_CLASS = 30
MIN_LOWER_BOUND = 0.80
SIGNED_CLASSES = ("AD", "IM", "HI", "MF")
RATES = ("sensitivity", "specificity")
REQUIRED = ("data", "clinic", "date", "signed_by", "models", "familiarity", "photos", "patients",
            "counts", *RATES)


@dataclass(frozen=True)
class Rate:
    value: float
    low: float    # the 95 % Wilson interval
    high: float
    hits: int     # e.g. complications called complications
    of: int       # e.g. complications


@dataclass(frozen=True)
class Validation:
    clinic: str
    date: str
    signed_by: str
    data: str
    photos: int     # the photos the rates were measured on (AD, IM, HI, MF)
    patients: int   # their patients
    sensitivity: Rate
    specificity: Rate

    def summary(self) -> dict:
        """The facts a reply may state (the assessment's `models.validation`)."""
        return {"photos": self.photos, "patients": self.patients, "clinic": self.clinic,
                "sensitivity": [self.sensitivity.value, self.sensitivity.low, self.sensitivity.high],
                "specificity": [self.specificity.value, self.specificity.low, self.specificity.high]}


# What the English overlay (python -m inference assess --overlay) says; the bot has its own
# words in ja and en (bot/texts/conversation.py) with the same fields.
STATEMENT = ("checked on {photos} photos of {patients} patients at {clinic}: sensitivity "
             "{sensitivity} (95 % CI {sens_low}–{sens_high}), specificity {specificity} "
             "({spec_low}–{spec_high})")


def statement(models: dict, template: str = STATEMENT) -> str | None:
    """What the models were checked on, in `template`'s words; None while not validated."""
    summary = (models or {}).get("validation")
    return template.format(**statement_fields(summary)) if summary else None


def statement_fields(summary: dict) -> dict:
    """A summary as the words of a text template fill it in: counts, clinic and each rate
    with its interval to two decimals (more digits than a few hundred photos support)."""
    fields = {"photos": summary["photos"], "patients": summary["patients"],
              "clinic": summary["clinic"]}
    for name, short in (("sensitivity", "sens"), ("specificity", "spec")):
        value, low, high = summary[name]
        fields.update({name: f"{value:.2f}", f"{short}_low": f"{low:.2f}", f"{short}_high": f"{high:.2f}"})
    return fields


def block_digest(block) -> str:
    """A fingerprint of a manifest block (the familiarity limits a validation was run with)."""
    return hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()


def from_block(block, model_hashes: dict, familiarity_block) -> Validation:
    """The checked validation block; model_hashes: kind -> the manifest's sha256 of that file."""
    if not isinstance(block, dict) or any(key not in block for key in REQUIRED):
        raise ModelManifestError(f"validation: block missing or lacks one of {REQUIRED}")
    for key in ("data", "clinic", "date", "signed_by"):
        if not isinstance(block[key], str) or not block[key].strip():
            raise ModelManifestError(f"validation: {key} must be a non-empty text")
    if block["models"] != model_hashes:
        raise ModelManifestError("validation: measured on other model files than these (sha256 "
                                 "differs); validate the new models again")
    if block["familiarity"] != block_digest(familiarity_block):
        raise ModelManifestError("validation: measured with another familiarity block; "
                                 "validate again after calibrating")
    photos, patients = _count(block, "photos"), _count(block, "patients")
    if not 0 < patients <= photos:
        raise ModelManifestError(f"validation: {patients} patients for {photos} photos")
    rates = {name: _rate(block[name], name) for name in RATES}
    check_sign_off(_class_patients(block["counts"]), rates)
    return Validation(clinic=block["clinic"].strip(), date=block["date"],
                      signed_by=block["signed_by"].strip(), data=block["data"], photos=photos,
                      patients=patients, **rates)


def sign_off_problems(class_patients: dict, rates: dict) -> list[str]:
    """Why these numbers may not be signed (empty: they may). class_patients: class -> patients;
    rates: sensitivity and specificity as Rate."""
    problems = [f"{cls}: {class_patients.get(cls, 0)} patients (at least "
                f"{MIN_PATIENTS_PER_CLASS} per class)" for cls in SIGNED_CLASSES
                if class_patients.get(cls, 0) < MIN_PATIENTS_PER_CLASS]
    problems += [f"{name}: lower 95 % bound {rate.low:.3f} < {MIN_LOWER_BOUND}"
                 for name, rate in rates.items() if rate.low < MIN_LOWER_BOUND]
    return problems


def check_sign_off(class_patients: dict, rates: dict) -> None:
    problems = sign_off_problems(class_patients, rates)
    if problems:
        raise ModelManifestError("validation: below the sign-off rules: " + "; ".join(problems))


def _count(block: dict, key: str) -> int:
    value = block[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ModelManifestError(f"validation: {key} must be a whole number, not {value!r}")
    return value


def _class_patients(counts) -> dict:
    if not isinstance(counts, dict) or not all(isinstance(c, dict) for c in counts.values()):
        raise ModelManifestError("validation: counts must map each class to its photos and patients")
    return {cls: _count(entry, "patients") if "patients" in entry else 0
            for cls, entry in counts.items()}


def _rate(entry, name: str) -> Rate:
    try:
        rate = Rate(value=float(entry["value"]), low=float(entry["low"]), high=float(entry["high"]),
                    hits=int(entry["hits"]), of=int(entry["of"]))
    except (TypeError, KeyError, ValueError) as exc:
        raise ModelManifestError(f"validation: {name} needs value, low, high, hits, of ({exc!r})") from exc
    if not 0 <= rate.low <= rate.value <= rate.high <= 1 or not 0 <= rate.hits <= rate.of or not rate.of:
        raise ModelManifestError(f"validation: {name} {entry} is not a proportion inside its interval")
    if abs(rate.value - rate.hits / rate.of) > 1e-6:
        raise ModelManifestError(f"validation: {name} {rate.value} is not {rate.hits}/{rate.of}")
    return rate

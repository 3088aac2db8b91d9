"""A signed validation on a models folder copy, from rows whose counts are known exactly
(as models/validate.assess_items makes them), through the real sign-off code."""
from __future__ import annotations

from pathlib import Path

from models import signoff, validate

CLASSES = ("AD", "IM", "HI", "MF")


def rows(patients_per_class: int = 30, wrong_per_class: int = 0, photos_each: int = 2) -> list[dict]:
    """Each patient's photos all answered right, except `wrong_per_class` patients per class
    whose photos got no result (unfamiliar); and one healthy photo, not scored."""
    out = []
    for cls in CLASSES:
        for n in range(patients_per_class):
            answered = n >= wrong_per_class
            for shot in range(photos_each):
                probs = {c: (0.85 if c == cls else 0.05) for c in CLASSES}
                out.append({"id": f"{cls}{n}-{shot}", "label": cls, "patient": f"{cls}{n}",
                            "verdict": "ok" if answered else "unfamiliar",
                            "outcome": validate.NAMED if answered else validate.UNFAMILIAR,
                            "probabilities": probs if answered else {}})
    out.append({"id": "h", "label": "healthy", "patient": "h", "verdict": "no_lesion",
                "outcome": validate.NO_RESULT, "probabilities": {}})
    return out


def result(made: list[dict], synthetic: bool = False) -> dict:
    return {"data": "/clinic/test", "models_dir": "m", "models": {}, "synthetic": synthetic,
            "rows": made, "summary": validate.summarise(made)}


def sign_copy(models_dir: Path, clinic: str = "Sendai Skin Clinic", signed_by: str = "Dr. Sato",
              **row_options) -> dict:
    """Sign `models_dir` (a copy, never models/) with rows(**row_options); the block written."""
    return signoff.sign(result(rows(**row_options)), models_dir, clinic, signed_by,
                        date="2026-12-01")

"""A stored result's finding in words: where it came from (the photo or the patient's answers)
and, for a model no clinician validated, that the photo's finding is only what it "may show".
A finding that came from the answers is never shown as the AI's (CLINICAL.md, shadow mode)."""
from __future__ import annotations

from bot.domain.triage import FROM_ANSWERS, NOT_JUDGED, QUESTIONS
from bot.texts import t


def level_text(row: dict, lang: str) -> str:
    """The level as the patient reads it in their history ("questions not answered")."""
    return t("conv.status_questions" if row["level"] == QUESTIONS else f"conv.level_{row['level']}", lang)


def finding_text(row: dict, lang: str, clinician: bool = False) -> str:
    """row: storage.assessments (finding, finding_source, quality, validated)."""
    prefix = "referral" if clinician else "conv"
    finding = row["finding"]
    if finding != NOT_JUDGED and row.get("finding_source") == FROM_ANSWERS:
        return t(f"{prefix}.finding_answers", lang, finding=t(f"conv.cls_{finding}", lang))
    if finding == NOT_JUDGED:
        return t(f"{prefix}.finding_not_judged" if row["quality"] != "ok" else f"{prefix}.finding_none", lang)
    if not row.get("validated"):
        return t(f"{prefix}.finding_may", lang, finding=t(f"conv.cls_{finding}", lang))
    return t(f"conv.cls_{finding}", lang)

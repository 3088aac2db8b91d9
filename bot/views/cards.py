"""Flex messages the patient sees: the result card, yes/no quick replies, text with quick replies.

Builders are pure: data in, LINE message dicts out. Texts come from bot/texts/conversation.py.
"""
from __future__ import annotations

from bot.texts import t
from bot.domain import redflags as rules
from bot.domain.triage import ALL_FLAGS, CLASSES, Triage, advice_key
from inference.validation import statement

# "questions": the level waits for the answers (shadow mode); never the routine green.
LEVEL_COLOURS = {"urgent": "#C62828", "soon": "#E65100", "questions": "#37474F", "routine": "#2E7D32"}
BAR_COLOURS = {"AD": "#2E7D32", "IM": "#E65100", "HI": "#C62828", "MF": "#6A1B9A"}
MUTED = "#666666"


def text_message(text: str, quick: list[dict] | None = None) -> dict:
    message = {"type": "text", "text": text[:5000]}
    if quick:
        message["quickReply"] = {"items": [{"type": "action", "action": a} for a in quick[:13]]}
    return message


def postback(label: str, data: str, display: str | None = None, limit: int = 20) -> dict:
    """A postback action; LINE allows 20 characters in quick replies, 40 on Flex buttons."""
    action = {"type": "postback", "label": label[:limit], "data": data}
    if display:
        action["displayText"] = display
    return action


def yes_no(lang: str, yes_data: str, no_data: str) -> list[dict]:
    yes, no = t("conv.qr_yes", lang), t("conv.qr_no", lang)
    return [postback(yes, yes_data, yes), postback(no, no_data, no)]


def red_flag_question(lang: str, state, key: bytes) -> dict:
    """The next unanswered red-flag question of `state` (bot/domain/redflags.py), yes/no;
    `key` signs the answers' postback data."""
    flag = state.next_question()
    question = t(f"conv.rf_q_{flag}", lang)
    if not state.answered():
        question = f"{t('conv.rf_intro', lang, n=len(state.flags))}\n{question}"
    return text_message(question, yes_no(lang, rules.encode(state.answer(flag, True), key),
                                         rules.encode(state.answer(flag, False), key)))


def _text(text: str, **style) -> dict:
    return {"type": "text", "text": text, "wrap": True, **style}


def _probability_row(lang: str, code: str, value: float) -> dict:
    """The class name and its percentage on one line, the bar under them across the whole width:
    a name never shares its line with the bar, so アトピー性皮膚炎 or "atopic dermatitis" is never
    broken mid-word on a phone."""
    percent = round(value * 100)
    return {
        "type": "box", "layout": "vertical", "spacing": "xs",
        "contents": [
            {"type": "box", "layout": "horizontal", "contents": [
                _text(t(f"conv.cls_{code}", lang), size="sm", flex=1),
                _text(f"{percent}%", size="sm", align="end", flex=0),
            ]},
            {
                "type": "box", "layout": "vertical", "height": "8px",
                "backgroundColor": "#EEEEEE", "cornerRadius": "4px",
                "contents": [{
                    "type": "box", "layout": "vertical", "height": "8px", "contents": [],
                    "width": f"{max(percent, 1)}%", "backgroundColor": BAR_COLOURS[code],
                    "cornerRadius": "4px",
                }],
            },
        ],
    }


def model_lines(lang: str, models: dict, research_preview: bool = False) -> list[dict]:
    """Which model made the result and, while it is not validated, that it is not; once a
    clinic signed a validation, exactly what it was checked on. A research preview says so."""
    line = t("conv.model_line", lang, classifier=models.get("classifier", "?"), segmenter=models.get("segmenter", "?"))
    caveat = statement(models, t("conv.checked", lang)) or \
        t("conv.validated" if models.get("validated") else "conv.not_validated", lang)
    lines = [
        _text(line, size="xxs", color=MUTED),
        _text(caveat, size="xs", color="#B71C1C" if not models.get("validated") else MUTED, weight="bold"),
    ]
    if research_preview:
        lines.insert(0, _text(t("conv.research_preview", lang), size="xs", color="#B71C1C", weight="bold"))
    return lines


def result_card(
    lang: str,
    result: Triage,
    probabilities: dict[str, float] | None,
    models: dict,
    *,
    notes: tuple[str, ...] = (),
    questions_data: str | None = None,
    overlay_url: str | None = None,
    answers: dict[str, bool] | None = None,
    photo_time: str | None = None,
    questions: int = 4,
    research_preview: bool = False,
) -> dict:
    """The result as a Flex bubble: level first (urgent care leads), advice, the patient's
    answers, what the AI sees in the photo, the model. Each reason shows once: the most serious
    in the header; the answers as answered; under the AI heading only what the photo says.

    questions_data: postback data for "Answer 4 questions" (None once they are answered);
    overlay_url: a signed link to the overlay picture (None when nothing may be stored);
    answers: the red-flag answers (the updated card); photo_time: which photo ("2026-12-01 09:30");
    questions: how many questions the button offers; research_preview: label the card so.
    Shadow mode (result.shadow): no class percentages; the image's words say what it "may show".
    """
    level_text = t(f"conv.level_{result.level}", lang)
    colour = LEVEL_COLOURS[result.level]
    header = {
        "type": "box", "layout": "vertical", "backgroundColor": colour, "paddingAll": "16px",
        "contents": [
            _text(level_text, color="#FFFFFF", weight="bold", size="xl"),
            _text(t("conv." + result.reasons[0], lang), color="#FFFFFF", size="sm"),
        ],
    }
    # A photo the models did not judge (probabilities None) shows no class at all, and an
    # unvalidated model (shadow mode) no percentages: they would read as a verdict.
    shown = None if result.shadow else probabilities
    ranked = sorted(CLASSES, key=lambda c: shown.get(c, 0.0), reverse=True) if shown else []
    image_lines = [_text(t("conv." + reason, lang), size="sm", color=MUTED)
                   for reason in result.reasons[1:] if reason.startswith("img_")]
    image_lines += [_probability_row(lang, code, shown.get(code, 0.0)) for code in ranked]
    middle = [
        *([_text(t("conv.photo_of", lang, when=photo_time), size="xs", color=MUTED, margin="lg")]
          if photo_time else []),
        *_answer_lines(lang, answers),
        # The heading only over something: a card never shows an empty section.
        *([_text(t("conv.finding_title", lang), weight="bold", size="sm", margin="lg"), *image_lines]
          if image_lines else []),
    ]
    separator = {"type": "separator", "margin": "lg"}
    body = [
        _text(t("conv." + advice_key(result), lang), size="md"),
        separator,
        *([*middle, separator] if middle else []),  # never two lines around nothing
        *model_lines(lang, models, research_preview),
        *[_text(note, size="xs", color=MUTED) for note in notes],
        _text(t("conv.emergency", lang), size="sm", weight="bold", color=LEVEL_COLOURS["urgent"]),
    ]
    buttons = []
    if questions_data:
        label = t("conv.btn_questions", lang, n=questions)
        buttons.append(_button(postback(label, questions_data, label, limit=40), primary=True, colour=colour))
    clinic = t("conv.btn_clinic", lang)
    buttons.append(_button(postback(clinic, "action=clinics", clinic, limit=40)))
    if overlay_url:
        buttons.append(_button({"type": "uri", "label": t("conv.btn_overlay", lang)[:40], "uri": overlay_url}))
    history = t("conv.btn_history", lang)
    buttons.append(_button(postback(history, "action=history", history, limit=40)))
    bubble = {
        "type": "bubble",
        "header": header,
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons},
    }
    return {"type": "flex", "altText": t("conv.alt_result", lang, level=level_text)[:400], "contents": bubble}


def _answer_lines(lang: str, answers: dict[str, bool] | None) -> list[dict]:
    """The patient's red-flag answers, every question once, in the order asked."""
    if not answers:
        return []
    lines = [_text(t("conv.answers_title", lang), weight="bold", size="sm", margin="lg")]
    for flag in ALL_FLAGS:
        if flag in answers:
            answer = t("conv.qr_yes" if answers[flag] else "conv.qr_no", lang)
            lines.append(_text(t("conv.ans_line", lang, question=t(f"conv.ans_{flag}", lang), answer=answer),
                               size="sm", color=MUTED))
    return lines


def _button(action: dict, primary: bool = False, colour: str | None = None) -> dict:
    button = {"type": "button", "action": action, "height": "sm", "style": "primary" if primary else "secondary"}
    if primary and colour:
        button["color"] = colour
    return button

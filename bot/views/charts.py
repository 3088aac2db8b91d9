"""Progression chart: POEM score and photo findings over time, drawn with matplotlib (Agg).

`points(db, user_id)` reads what the chart shows; `render` draws it (matplotlib is imported on
first use: it is heavy and only charts need it).

Japanese labels need a CJK font: IPAex Gothic from matplotlib-fontja, found by bot.views.fonts without
importing that package (its import re-configures matplotlib's global rcParams); the font is
registered once and used through an rc_context only.
"""

import datetime as dt
import functools
import io

from PIL import Image

from bot.domain import poem
from bot.domain.schedule import parse_instant
from bot.texts import followup as texts
from bot.views.fonts import cjk_font_path
from storage import assessments
from storage import poem as poem_store

SIZE_IN = (8.0, 7.2)
DPI = 150  # 1200 x 1080 px: sharp on phones, a few hundred kB as PNG (LINE allows 10 MB)
PREVIEW_WIDTH = 480  # LINE preview images must stay under 1 MB; 480 px PNG is ~50 kB
CHART_RESULTS = 60  # photo results drawn at most
# The risk strip's rows, bottom up: "questions" (answers not given) sits apart from routine.
LEVELS = ("questions", "routine", "soon", "urgent")
LEVEL_COLOURS = {"questions": "#78909c", "routine": "#2e7d32", "soon": "#f9a825", "urgent": "#c62828"}
BAND_SHADES = ((0, 2, "#e8f5e9"), (3, 7, "#f1f8e9"), (8, 16, "#fffde7"), (17, 24, "#fff3e0"),
               (25, 28, "#ffebee"))


def points(db, user_id):
    """(POEM points, photo-result points), oldest first, for render(). Every stored result is a
    point, judged or not (a photo the models did not judge keeps its level from the answers)."""
    poem_points = [{"at": parse_instant(c["completed_at"]), "score": c["score"]}
                   for c in poem_store.history(db, user_id)]
    photo_points = [{"at": parse_instant(a["created_at"]),
                     "lesion_fraction": a["lesion_fraction"] or 0.0, "p_not_ad": a["p_not_ad"] or 0.0,
                     "level": a["level"], "judged": a["quality"] == "ok", "validated": bool(a["validated"])}
                    for a in reversed(assessments.recent(db, user_id, CHART_RESULTS))]
    return poem_points, photo_points


@functools.cache
def cjk_font_name():
    from matplotlib import font_manager

    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def _label(key, lang):
    table = texts.JA if lang == "ja" else texts.EN
    return table[key]


def render(poem_points, assessment_points, lang="ja", tz=None, clinician=False):
    """PNG bytes. poem_points: [{"at", "score"}]; assessment_points: [{"at", "lesion_fraction",
    "p_not_ad", "level", "judged", "validated"}]; "at" are aware datetimes, drawn on the wall
    clock of tz. clinician: the doctor's title, and the unvalidated model's guess marked as
    such; a patient sees the model's percentage only where a clinic validated the model."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    local = (lambda at: at.astimezone(tz).replace(tzinfo=None)) if tz else (lambda at: at)
    with matplotlib.rc_context({"font.family": [cjk_font_name(), "DejaVu Sans"],
                                "axes.spines.top": False, "axes.spines.right": False}):
        figure = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
        poem_ax, photo_ax, risk_ax = figure.subplots(
            3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 3, 1.2]})
        figure.suptitle(_label("chart.title_clinician" if clinician else "chart.title", lang), fontsize=15)
        _draw_poem(poem_ax, [local(p["at"]) for p in poem_points],
                   [p["score"] for p in poem_points], lang)
        judged = [a for a in assessment_points if a.get("judged", True)]
        _draw_photos(photo_ax, [local(a["at"]) for a in judged], judged, lang, clinician)
        _draw_risk(risk_ax, [local(a["at"]) for a in assessment_points], assessment_points, lang)
        when = [local(p["at"]) for p in poem_points] + [local(a["at"]) for a in assessment_points]
        if when:
            (low, high), ticks, labels = date_ticks(when)
            risk_ax.set_xlim(low, high)
            risk_ax.set_xticks(ticks, labels)
        if not poem_points and not assessment_points:
            poem_ax.text(0.5, 0.5, _label("chart.empty", lang), transform=poem_ax.transAxes,
                         ha="center", va="center", fontsize=14, color="#777")
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


DAY_STEPS = (1, 2, 3, 7, 14, 28)
MONTH_STEPS = (1, 2, 3, 6, 12)
MAX_TICKS = 7


def date_ticks(when):
    """((low, high), ticks, labels) for the x axis of naive local datetimes: up to 120 days,
    ticks at noon of days, labelled "%Y-%m-%d" (one point or one day: the day between its neighbours);
    longer, ticks on the first of months, labelled "%Y-%m". Labels are never repeated. The one date
    form the patient and the doctor read everywhere (history, cards, pages: ISO 8601)."""
    first, last = min(when).date(), max(when).date()
    days = (last - first).days
    pad = dt.timedelta(days=1 if days < 2 else 0)
    start = dt.datetime.combine(first, dt.time()) - pad
    end = dt.datetime.combine(last, dt.time()) + dt.timedelta(days=1) + pad
    if days <= 120:
        span = (end - start).days
        step = next(s for s in DAY_STEPS if -(-span // s) <= MAX_TICKS)
        ticks = [start + dt.timedelta(days=d, hours=12) for d in range(0, span, step)]
        return (start, end), ticks, [t.strftime("%Y-%m-%d") for t in ticks]
    months = []
    month = dt.datetime(first.year, first.month, 1)
    while month <= end:
        if month >= start:
            months.append(month)
        month = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
    step = next(s for s in MONTH_STEPS if -(-len(months) // s) <= MAX_TICKS)
    ticks = months[::step]
    return (start, end), ticks, [t.strftime("%Y-%m") for t in ticks]


def _draw_poem(ax, when, scores, lang):
    for low, high, colour in BAND_SHADES:
        ax.axhspan(low - 0.5, high + 0.5, color=colour, zorder=0)
        ax.text(1.005, (low + high) / 2, _label(f"poem.band.{_band_key(low)}", lang),
                transform=ax.get_yaxis_transform(), fontsize=8, va="center", color="#555")
    ax.set_ylim(-0.5, 28.5)
    ax.set_ylabel(_label("chart.poem", lang))
    if when:
        ax.plot(when, scores, marker="o", color="#1565c0", linewidth=2)
        for x, y in zip(when, scores):
            ax.annotate(str(y), (x, y), textcoords="offset points", xytext=(0, 7),
                        ha="center", fontsize=9)


def _band_key(low):
    return {0: "clear", 3: "mild", 8: "moderate", 17: "severe", 25: "very_severe"}[low]


def _draw_photos(ax, when, points, lang, clinician=False):
    ax.set_ylim(0, 100)
    ax.set_ylabel(_label("chart.percent", lang))
    if when:
        ax.plot(when, [100 * p["lesion_fraction"] for p in points], marker="s",
                color="#6a1b9a", label=_label("chart.lesion", lang))
        # Shadow mode: an unvalidated model's percentage is no verdict for the patient; the
        # clinician sees it, marked unvalidated.
        guessed = [(x, p) for x, p in zip(when, points) if clinician or p.get("validated", True)]
        if guessed:
            unvalidated = any(not p.get("validated", True) for _, p in guessed)
            ax.plot([x for x, _ in guessed], [100 * p["p_not_ad"] for _, p in guessed], marker="^",
                    linestyle="--", color="#ef6c00",
                    label=_label("chart.p_not_ad_unvalidated" if unvalidated else "chart.p_not_ad", lang))
        ax.legend(loc="upper left", fontsize=9, frameon=False)
    ax.grid(axis="y", color="#ddd")


def _draw_risk(ax, when, points, lang):
    """One dot per result at its level; a photo the models did not judge is a hollow diamond."""
    ax.set_ylim(-0.5, len(LEVELS) - 0.5)
    ax.set_yticks(range(len(LEVELS)), [_label(f"chart.risk.{lvl}", lang) for lvl in LEVELS],
                  fontsize=8)
    ax.set_ylabel(_label("chart.risk", lang))
    shown = [(x, p) for x, p in zip(when, points) if p.get("level") in LEVELS]
    for judged in (True, False):
        group = [(x, p["level"]) for x, p in shown if p.get("judged", True) is judged]
        if not group:
            continue
        colours = [LEVEL_COLOURS[lvl] for _, lvl in group]
        ax.scatter([x for x, _ in group], [LEVELS.index(lvl) for _, lvl in group], s=60, zorder=3,
                   marker="o" if judged else "D", c=colours if judged else "none",
                   edgecolors=colours, linewidths=2)
    if any(not p.get("judged", True) for _, p in shown):
        ax.text(1.0, 1.02, _label("chart.not_judged", lang), transform=ax.transAxes, ha="right",
                va="bottom", fontsize=8, color="#555")


def preview(png, width=PREVIEW_WIDTH):
    """A smaller PNG for LINE's previewImageUrl."""
    with Image.open(io.BytesIO(png)) as image:
        height = round(image.height * width / image.width)
        small = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def trend_sentence(poem_points, assessment_points, lang="ja"):
    """One plain sentence: first vs last POEM score with the 3-point rule; after the first
    check-in its score (no call to check in, one was just done); else the photo count."""
    if len(poem_points) >= 2:
        first, last = poem_points[0]["score"], poem_points[-1]["score"]
        key = f"trend.{poem.change(first, last)}"
        return _label(key, lang).format(first=first, last=last)
    if poem_points:
        return _label("trend.one_poem", lang).format(score=poem_points[0]["score"])
    if assessment_points:
        return _label("trend.photos_only", lang).format(count=len(assessment_points))
    return _label("trend.none", lang)

"""VALIDATION.md and its reliability plot, from models/validate.run's result."""
from __future__ import annotations

from pathlib import Path

from models.validate import NAMED, OUTCOMES

PLOT = "validation_reliability.png"


def percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def interval(rate) -> str:
    return f"{rate.value:.3f} | {rate.low:.3f}–{rate.high:.3f} | {rate.hits} of {rate.of}"


def intro(result: dict, sign_off: str) -> list[str]:
    models = result["models"]
    lines = [f"# Validation of the AD-AI models on held-out patients ({Path(result['data']).name})", ""]
    if result["synthetic"]:
        lines += ["**Synthetic phantom photos (meta.jsonl).** These numbers test the command, "
                  "not medicine: they are no clinical accuracy and may not be signed.", ""]
    lines += [f"- Command: `python -m models validate --data {result['data']}` (the shipped "
              f"pipeline of `{result['models_dir']}`)",
              f"- Models: segmenter `{models['segmenter']}`, classifier `{models['classifier']}`",
              f"- Sign-off: {sign_off}", ""]
    return lines


def counts_section(summary: dict) -> list[str]:
    lines = ["## Photos and patients per class", "", "| label | photos | patients |", "|---|---|---|"]
    lines += [f"| {label} | {c['photos']} | {c['patients']} |" for label, c in summary["counts"].items()]
    lines += [f"| all | {summary['photos']} | {summary['patients']} |", "",
              f"AD vs others is scored on the {summary['scored_photos']} photos of "
              f"{summary['scored_patients']} patients labelled AD, IM, HI or MF; `healthy`, "
              "`other` and `unusable` are counted here and below, not scored.", ""]
    return lines


def metrics_section(summary: dict) -> list[str]:
    scores = summary["scores"]
    lines = ["## AD vs others (a complication, IM/HI/MF, is the positive class)", "",
             "| | value | 95 % Wilson interval | photos |", "|---|---|---|---|",
             f"| sensitivity | {interval(summary['sensitivity'])} |",
             f"| specificity | {interval(summary['specificity'])} |", ""]
    if scores:
        lines += [f"A photo without a result (abstained, refused, no lesion found) counts as wrong on "
                  f"either side ({scores['no_result']} photos). AUC of P(not AD) {scores['auc']:.3f}, "
                  f"four-class accuracy {scores['accuracy4']:.3f}.", ""]
    lines += ["## Recall per class", "", "| class | recall | 95 % Wilson interval | photos |",
              "|---|---|---|---|"]
    lines += [f"| {cls} | {interval(rate)} |" for cls, rate in summary["recall"].items()]
    return lines + [""]


def outcomes_section(summary: dict) -> list[str]:
    table, abstention = summary["outcomes"], summary["abstention"]
    lines = ["## What the pipeline answered (abstention)", "",
             "| label | " + " | ".join(OUTCOMES) + " |", "|---|" + "---|" * len(OUTCOMES)]
    lines += [f"| {label} | " + " | ".join(str(cells[o]) for o in OUTCOMES) + " |"
              for label, cells in table.items()]
    named = table.get("all", {}).get(NAMED, 0)
    lines += ["", f"Abstention rate (no class named: unfamiliar, refused or no result): "
              f"{percent(abstention['all'])} of all {summary['photos']} photos "
              f"({summary['photos'] - named}); {percent(abstention['scored'])} of the photos "
              "labelled AD, IM, HI or MF.", ""]
    return lines


def reliability_section(summary: dict) -> list[str]:
    lines = ["## Reliability of P(not AD)", "", f"![reliability plot]({PLOT})", "",
             "The photos that got a result, binned by the model's P(not AD): the mean predicted "
             "probability against the share that were complications (on the diagonal: "
             "calibrated).", "", "| P(not AD) | photos | mean predicted | observed |",
             "|---|---|---|---|"]
    lines += [f"| {b['low']:.1f}–{b['high']:.1f} | {b['photos']} | {b['predicted']:.3f} | "
              f"{b['observed']:.3f} |" for b in summary["reliability"]]
    return lines + [""]


CAVEATS = [
    "## What these numbers are",
    "",
    "- The pipeline the bot runs, on this folder's photos only. The folder must hold patients "
    "never used in training (`python -m models train --data` splits by patient; keep the test "
    "patients out of its folder): the command cannot check that.",
    "- Intervals are 95 % Wilson score intervals per proportion; photos of one patient are not "
    "independent, so the true uncertainty is wider than shown when patients have many photos.",
    "- A signed validation lets the bot say what was measured here, in these words: \"checked "
    "on N photos of M patients at <clinic>: sensitivity …, specificity …\". It is not a "
    "licence to diagnose.",
    "",
]


def markdown(result: dict, sign_off: str) -> str:
    summary = result["summary"]
    return "\n".join(intro(result, sign_off) + counts_section(summary) + metrics_section(summary)
                     + outcomes_section(summary) + reliability_section(summary) + CAVEATS)


def plot(result: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    bins = result["summary"]["reliability"]
    fig, (curve, hist) = plt.subplots(2, 1, figsize=(5.2, 6.2), height_ratios=[3, 1], sharex=True)
    curve.plot([0, 1], [0, 1], color="grey", linestyle=":", label="calibrated")
    if bins:
        curve.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], "o-",
                   label="this test set")
    curve.set_xlim(0, 1)
    curve.set_ylim(-0.02, 1.02)
    curve.set_ylabel("share that were complications")
    curve.legend(loc="upper left", fontsize=8)
    hist.bar([(b["low"] + b["high"]) / 2 for b in bins], [b["photos"] for b in bins],
             width=0.09, color="#4C72B0")
    hist.set_xlabel("model's P(not AD)")
    hist.set_ylabel("photos")
    title = f"{result['summary']['scored_photos']} photos labelled AD/IM/HI/MF"
    if result["synthetic"]:
        title += "\nphantom photos — not clinical data"
    curve.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(result: dict, report: Path, sign_off: str) -> Path:
    report = Path(report)
    report.parent.mkdir(parents=True, exist_ok=True)
    plot(result, report.parent / PLOT)
    report.write_text(markdown(result, sign_off), encoding="utf-8")
    return report

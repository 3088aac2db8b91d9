"""Photo-level probabilities from the probabilities of each crop.

Why not a plain mean: the complications the bot must not miss (impetigo IM, herpes simplex /
eczema herpeticum HI, mycosis fungoides MF) are often patchy. If one crop of three shows
eczema herpeticum at 0.9 and the other two show ordinary AD, the mean puts HI at 0.3 and
AD wins: the one dangerous crop is averaged away. So the danger classes take their *maximum*
over crops (the strongest evidence anywhere in the photo), AD takes its *mean* (it is the
baseline the bot reassures about, so it must hold across the photo), and the result is
renormalised to sum to 1 so that `p_not_ad = 1 - AD` stays a probability-like score.
This errs towards sensitivity for complications: a false alarm costs a clinic visit, a
miss can cost an eye or a life. With one crop the result is that crop's probabilities.
"""
from __future__ import annotations

BASELINE = "AD"


class NoCrops(ValueError):
    """combine() was given no crop probabilities to combine."""


def combine(crop_probs: list[dict]) -> dict:
    """Mean of AD, max of every other class over the crops, renormalised (keys keep their order)."""
    if not crop_probs:
        raise NoCrops("combine() needs the probabilities of at least one crop")
    classes = list(crop_probs[0])
    pooled = {name: _pool(name, [float(p[name]) for p in crop_probs]) for name in classes}
    total = sum(pooled.values())
    if total <= 0:
        return {name: 1.0 / len(classes) for name in classes}
    return {name: value / total for name, value in pooled.items()}


def _pool(name: str, values: list[float]) -> float:
    return sum(values) / len(values) if name == BASELINE else max(values)

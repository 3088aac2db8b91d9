"""Agreement per pair of clinicians: Cohen's kappa over the photos both labelled, with n and a
95 % interval (the large-sample standard error, Cohen 1960), and a caution below FEW photos.
Kappa pools no raters: pairing "the first two labels of a photo, whoever made them" mixes
clinicians once a clinic has more than two."""

import math
from collections import Counter

from bot.domain.agreement import cohen_kappa

FEW = 20  # shared photos below which a kappa is shown with a caution
Z95 = 1.959964


def interval(pairs) -> tuple[float, float] | None:
    """The 95 % interval of kappa over [(a, b)], clipped to [-1, 1]; None without pairs."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    kappa = cohen_kappa(pairs)
    if expected == 1:
        return kappa, kappa
    half = Z95 * math.sqrt(observed * (1 - observed) / n) / (1 - expected)
    return max(-1.0, kappa - half), min(1.0, kappa + half)


def per_pair(by_raters: dict) -> list[dict]:
    """{(staff a, staff b): [(a's diagnosis, b's diagnosis), …]} -> one row per pair of raters."""
    rows = []
    for (a, b), pairs in sorted(by_raters.items()):
        low, high = interval(pairs)
        rows.append({"a": a, "b": b, "n": len(pairs), "kappa": cohen_kappa(pairs), "low": low, "high": high,
                     "agreed": sum(x == y for x, y in pairs), "few": len(pairs) < FEW})
    return rows

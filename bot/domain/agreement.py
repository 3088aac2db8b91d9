"""Agreement between two raters on the same items (Cohen's kappa), in a few lines of plain
Python: no scikit-learn at run time."""

from collections import Counter


def cohen_kappa(pairs) -> float | None:
    """κ = (p_o − p_e) / (1 − p_e) over [(rater A's label, rater B's label)]; None without pairs.
    When both raters always give the one same label (p_e = 1) agreement is perfect: 1.0."""
    pairs = list(pairs)
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    if expected == 1:
        return 1.0
    return (observed - expected) / (1 - expected)

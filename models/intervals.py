"""Confidence intervals for proportions (numpy-free: a few square roots)."""
from __future__ import annotations

import math

Z95 = 1.959963984540054  # the two-sided 95 % point of the normal distribution


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of successes / n. Unlike the plain p ± z·se it stays inside
    0..1 and keeps a width at 0 or n successes, which small clinic sets reach. n = 0: (0, 1),
    nothing is known."""
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes of {n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    # At 0 or n successes an end equals p exactly; rounding must not leave p outside.
    return max(0.0, min(p, (centre - spread) / denominator)), min(1.0, max(p, (centre + spread) / denominator))

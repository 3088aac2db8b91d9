"""AD-AI's crop rule: square windows with ≥ 80 % skin and ≥ 10 % lesion, a few per photo.

Window sides are multiples of the lesion's own size (the square root of its pixel count), so
the same rule finds sensible windows in a close-up (lesion fills the frame) and in a long
shot (lesion a few percent of it), capped at half the frame's short side. Among the windows that pass the rule, the best is the one
with the most lesion content (lesion pixels inside; ties go to the denser window). Then the
choice is greedy, k times: non-maximum suppression drops windows that overlap a chosen one
by more than 30 % of the smaller window, and lesion already inside a chosen window no longer
counts, so a later window must bring at least `min_lesion` of its own area in *new* lesion.
A small lesion therefore gets one good crop instead of three shifted copies, while a large
lesion or several lesions get crops on different parts.

Skin includes lesion pixels (a lesion is skin), matching the paper's definition.
All sums come from integral images, so every candidate costs four look-ups.
"""
from __future__ import annotations

import numpy as np

SIZE_FACTORS = (0.75, 1.0, 1.5, 2.0, 3.0)  # window side / sqrt(lesion pixels)
STRIDE_DIVISOR = 8                         # windows step by 1/8 of their side
MAX_OVERLAP = 0.3                          # intersection / smaller area above which NMS drops
MIN_SIZE_DIVISOR = 16                      # smallest window: short mask side / 16 (≥ 8 px)
MAX_SIZE_FRACTION = 0.5                    # largest window: half the short mask side

Box = tuple[int, int, int, int]


def window_sizes(lesion: np.ndarray, min_size: int | None = None) -> list[int]:
    """Window sides, in mask pixels, relative to the lesion's size.

    At most half the mask's short side (MAX_SIZE_FRACTION), so a close-up whose lesion fills
    the frame gets several detailed crops rather than one of the whole photo; never below
    `min_size` (default: short side / 16, at least 8).
    """
    smallest = min_size if min_size is not None else default_min_size(lesion.shape)
    largest = max(smallest, int(min(lesion.shape) * MAX_SIZE_FRACTION))
    base = float(np.sqrt(lesion.sum()))
    sizes = {min(max(int(round(base * f)), smallest), largest, *lesion.shape) for f in SIZE_FACTORS}
    return sorted(sizes)


def default_min_size(shape) -> int:
    return max(8, min(shape) // MIN_SIZE_DIVISOR)


def select_windows(skin: np.ndarray, lesion: np.ndarray, k: int = 3, min_skin: float = 0.8,
                   min_lesion: float = 0.1, *, sizes: list[int] | None = None,
                   min_size: int | None = None) -> list[Box]:
    """Up to `k` boxes (x0, y0, x1, y1) in mask pixels, best first; [] when none passes.

    `skin` and `lesion` are boolean masks of the same shape; skin is taken as skin ∪ lesion.
    `sizes` overrides the lesion-relative window sides (tests, evaluation on fixed crops).
    """
    skin = np.asarray(skin, dtype=bool) | np.asarray(lesion, dtype=bool)
    lesion = np.asarray(lesion, dtype=bool)
    if not lesion.any():
        return []
    sizes = sizes if sizes is not None else window_sizes(lesion, min_size)
    candidates = _candidates(_integral(skin), _integral(lesion), sizes, min_skin, min_lesion)
    return _suppress(candidates, lesion, k, min_lesion)


def _integral(mask: np.ndarray) -> np.ndarray:
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int32)
    # int32 sums are three times faster than numpy's bool → int64 default; masks stay < 2**31 px.
    table[1:, 1:] = mask.astype(np.int32).cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)
    return table


def _positions(length: int, size: int) -> np.ndarray:
    """Start offsets stepping size/8, always including the last one flush with the edge."""
    step = max(1, size // STRIDE_DIVISOR)
    starts = np.arange(0, length - size + 1, step)
    return np.unique(np.append(starts, length - size))


def _window_sums(table: np.ndarray, y0, x0, size) -> np.ndarray:
    """Mask pixels inside windows (any broadcastable arrays of top-left corners and sides)."""
    return table[y0 + size, x0 + size] - table[y0, x0 + size] - table[y0 + size, x0] + table[y0, x0]


def _candidates(skin_table, lesion_table, sizes, min_skin, min_lesion) -> np.ndarray:
    """Rows (lesion count, lesion fraction, x0, y0, size) of every window passing the 80/10 rule."""
    height, width = skin_table.shape[0] - 1, skin_table.shape[1] - 1
    rows = []
    for size in sorted(set(sizes)):
        if size < 1 or size > min(height, width):
            continue
        ys, xs = _positions(height, size), _positions(width, size)
        skin_px = _window_sums(skin_table, ys[:, None], xs[None, :], size)
        lesion_px = _window_sums(lesion_table, ys[:, None], xs[None, :], size)
        area = size * size
        # Integer-exact thresholds: 80 % of 100 px is 80 px, with no float rounding at the edge.
        passes = (skin_px >= _needed(min_skin, area)) & (lesion_px >= _needed(min_lesion, area))
        iy, ix = np.nonzero(passes)
        if iy.size:
            count = lesion_px[iy, ix]
            rows.append(np.stack([count, count / area, xs[ix], ys[iy],
                                  np.full(iy.size, size)], axis=1).astype(np.float64))
    return np.concatenate(rows) if rows else np.zeros((0, 5))


def _needed(fraction: float, area: int) -> int:
    """Smallest whole pixel count that is ≥ fraction × area (tolerant of 0.1 × 100 = 10.000…02)."""
    return int(np.ceil(fraction * area - 1e-9))


def _suppress(candidates: np.ndarray, lesion: np.ndarray, k: int, min_lesion: float) -> list[Box]:
    """Greedy choice by new lesion content (then density), with NMS on overlap of the smaller box."""
    chosen: list[Box] = []
    uncovered = lesion.copy()
    remaining = candidates
    while len(remaining) and len(chosen) < k:
        x0, y0, size = (remaining[:, i].astype(np.int64) for i in (2, 3, 4))
        new = _window_sums(_integral(uncovered), y0, x0, size)
        area = remaining[:, 4] ** 2
        keep = new >= np.ceil(min_lesion * area - 1e-9)
        remaining, new = remaining[keep], new[keep]
        if not len(remaining):
            break
        best = np.lexsort((-new / remaining[:, 4] ** 2, -new))[0]
        _, _, x0, y0, size = remaining[best]
        box = (int(x0), int(y0), int(x0 + size), int(y0 + size))
        chosen.append(box)
        uncovered[box[1]:box[3], box[0]:box[2]] = False
        remaining = remaining[_overlap(remaining, box) <= MAX_OVERLAP]
    return chosen


def _overlap(rows: np.ndarray, box: Box) -> np.ndarray:
    x0, y0, size = rows[:, 2], rows[:, 3], rows[:, 4]
    bx0, by0, bx1, by1 = box
    iw = np.clip(np.minimum(x0 + size, bx1) - np.maximum(x0, bx0), 0, None)
    ih = np.clip(np.minimum(y0 + size, by1) - np.maximum(y0, by0), 0, None)
    smaller = np.minimum(size * size, (bx1 - bx0) * (by1 - by0))
    return iw * ih / smaller


def to_full_size(box: Box, mask_shape, full_size) -> Box:
    """A box in mask pixels → pixels of the upright full-size photo."""
    sx = full_size[0] / mask_shape[1]
    sy = full_size[1] / mask_shape[0]
    x0, y0, x1, y1 = box
    return (int(round(x0 * sx)), int(round(y0 * sy)),
            min(full_size[0], int(round(x1 * sx))), min(full_size[1], int(round(y1 * sy))))

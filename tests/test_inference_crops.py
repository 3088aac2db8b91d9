"""The 80/10 crop rule on hand-made masks: thresholds at the edge, window sizes, NMS, top K."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference.crops import MAX_OVERLAP, default_min_size, select_windows, to_full_size, window_sizes


def flat_masks(skin_px: int, lesion_px: int, side: int = 10):
    """side×side masks: the first skin_px pixels are skin, the first lesion_px are lesion."""
    skin = np.zeros(side * side, bool)
    lesion = np.zeros(side * side, bool)
    skin[:skin_px] = True
    lesion[:lesion_px] = True
    return skin.reshape(side, side), lesion.reshape(side, side)


@pytest.mark.parametrize("skin_px, lesion_px, chosen", [
    (80, 10, True),    # exactly 80 % skin and exactly 10 % lesion: in
    (79, 10, False),   # one skin pixel short
    (80, 9, False),    # one lesion pixel short
    (100, 100, True),  # all lesion
    (100, 0, False),   # no lesion at all
])
def test_thresholds_are_inclusive_at_the_edge(skin_px, lesion_px, chosen):
    skin, lesion = flat_masks(skin_px, lesion_px)
    expected = [(0, 0, 10, 10)] if chosen else []
    assert select_windows(skin, lesion, sizes=[10]) == expected


def test_lesion_pixels_count_as_skin():
    skin, _ = flat_masks(70, 0)
    lesion = np.zeros((10, 10), bool)
    lesion[9, :] = True  # 10 lesion pixels outside the 70 skin pixels: 80 % skin in all
    assert select_windows(skin, lesion, sizes=[10]) == [(0, 0, 10, 10)]


@pytest.mark.parametrize("min_skin, min_lesion, chosen", [
    (0.5, 0.3, True), (0.5, 0.31, False), (0.51, 0.3, False)])
def test_thresholds_are_parameters(min_skin, min_lesion, chosen):
    skin, lesion = flat_masks(50, 30)
    result = select_windows(skin, lesion, min_skin=min_skin, min_lesion=min_lesion, sizes=[10])
    assert bool(result) is chosen


def body(shape=(192, 256), lesions=()):
    """A skin ellipse filling most of the frame, with square lesions (x, y, side)."""
    height, width = shape
    yy, xx = np.mgrid[0:height, 0:width]
    skin = ((xx - width / 2) / (0.45 * width)) ** 2 + ((yy - height / 2) / (0.45 * height)) ** 2 <= 1
    lesion = np.zeros(shape, bool)
    for x, y, side in lesions:
        lesion[y:y + side, x:x + side] = True
    return skin, lesion


def test_window_sizes_follow_the_lesion():
    _, small = body(lesions=[(120, 90, 8)])
    _, large = body(lesions=[(60, 40, 80)])
    small_sizes, large_sizes = window_sizes(small, min_size=1), window_sizes(large, min_size=1)
    assert len(small_sizes) >= 4
    assert small_sizes == [6, 8, 12, 16, 24]
    assert large_sizes == [60, 80, 96]  # capped at half the mask's short side


def test_window_sizes_never_go_below_the_minimum():
    _, tiny = body(lesions=[(120, 90, 2)])
    assert min(window_sizes(tiny)) == 12  # 192 // 16


@pytest.mark.parametrize("lesion_box", [(120, 90, 10), (40, 30, 60)])
def test_long_shot_and_close_up_both_get_a_window_holding_the_whole_lesion(lesion_box):
    skin, lesion = body(lesions=[lesion_box])
    boxes = select_windows(skin, lesion)
    assert boxes
    x0, y0, x1, y1 = boxes[0]
    assert x1 - x0 == y1 - y0  # square
    assert lesion[y0:y1, x0:x1].sum() == lesion.sum()


def test_ties_on_lesion_content_go_to_the_denser_window():
    skin = np.ones((40, 40), bool)
    lesion = np.zeros((40, 40), bool)
    lesion[10:20, 10:20] = True
    assert select_windows(skin, lesion, k=1, sizes=[10, 20]) == [(10, 10, 20, 20)]


def lesion_count(lesion, box):
    x0, y0, x1, y1 = box
    return int(lesion[y0:y1, x0:x1].sum())


def overlap_of_smaller(a, b):
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / smaller


def new_lesion_counts(lesion, boxes):
    """Lesion pixels each box adds to those already inside the boxes before it."""
    covered, counts = np.zeros_like(lesion), []
    for x0, y0, x1, y1 in boxes:
        counts.append(int((lesion & ~covered)[y0:y1, x0:x1].sum()))
        covered[y0:y1, x0:x1] = True
    return counts


def test_separate_lesions_get_separate_boxes_ordered_by_lesion_content():
    lesions = [(60, 60, 20), (280, 180, 12), (180, 40, 8)]
    skin, lesion = body((300, 400), lesions)
    boxes = select_windows(skin, lesion, k=10)
    assert new_lesion_counts(lesion, boxes) == [400, 144, 64]  # each lesion whole, largest first
    for x, y, side in lesions:
        assert any(b[0] <= x + side // 2 < b[2] and b[1] <= y + side // 2 < b[3] for b in boxes)


def test_a_small_lesion_gets_one_crop_not_shifted_copies():
    skin, lesion = body(lesions=[(120, 90, 10)])
    boxes = select_windows(skin, lesion, k=3)
    assert len(boxes) == 1 and lesion_count(lesion, boxes[0]) == 100


def test_a_large_lesion_gets_crops_on_different_parts():
    skin, lesion = body(lesions=[(40, 30, 176)])  # close-up: the lesion fills most of the frame
    boxes = select_windows(skin, lesion, k=3)
    assert len(boxes) == 3
    counts = new_lesion_counts(lesion, boxes)
    assert counts == sorted(counts, reverse=True)
    for box, new in zip(boxes, counts):
        assert new >= 0.1 * (box[2] - box[0]) ** 2  # each adds ≥ 10 % of its area in new lesion
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert overlap_of_smaller(a, b) <= MAX_OVERLAP


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_keeps_the_best_k(k):
    skin, lesion = body((300, 400), [(60, 60, 20), (280, 180, 12), (180, 40, 8)])
    everything = select_windows(skin, lesion, k=10)
    assert select_windows(skin, lesion, k=k) == everything[:k]


def test_nms_drops_windows_overlapping_a_chosen_one():
    skin = np.ones((64, 64), bool)
    lesion = np.zeros((64, 64), bool)
    lesion[8:56, 8:56] = True  # 48×48 lesion, 32-px windows: coverage alone would allow overlap
    boxes = select_windows(skin, lesion, k=5, sizes=[32])
    assert len(boxes) >= 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert overlap_of_smaller(a, b) <= MAX_OVERLAP


def test_lesion_on_the_edge_of_the_body_keeps_80_percent_skin():
    skin, lesion = body(lesions=[])
    lesion[90:100, 20:30] = True  # near the ellipse's left edge
    for box in select_windows(skin, lesion):
        x0, y0, x1, y1 = box
        window = (skin | lesion)[y0:y1, x0:x1]
        assert window.mean() >= 0.8


def test_boxes_map_to_full_size_pixels():
    assert to_full_size((10, 20, 30, 40), (192, 256), (4000, 3000)) == (156, 312, 469, 625)
    assert to_full_size((0, 0, 256, 192), (192, 256), (4000, 3000)) == (0, 0, 4000, 3000)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.3, 1.0), st.floats(0.01, 0.4))
def test_every_chosen_window_passes_the_rule(seed, skin_share, lesion_share):
    rng = np.random.default_rng(seed)
    skin = rng.random((48, 64)) < skin_share
    lesion = skin & (rng.random((48, 64)) < lesion_share)
    for x0, y0, x1, y1 in select_windows(skin, lesion, k=3):
        assert x1 - x0 == y1 - y0 and 0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 48
        area = (x1 - x0) * (y1 - y0)
        assert (skin | lesion)[y0:y1, x0:x1].sum() >= 0.8 * area - 1e-9
        assert lesion[y0:y1, x0:x1].sum() >= 0.1 * area - 1e-9


@pytest.mark.parametrize("extra_px, boxes", [
    (5, [(0, 0, 10, 10)]),                   # 5 new lesion pixels < 10 % of 100: no second box
    (9, [(0, 0, 10, 10)]),                   # one short of 10 %
    (10, [(0, 0, 10, 10), (7, 0, 17, 10)]),  # exactly 10 %: a second box, flush with the NMS limit
])
def test_a_later_window_needs_ten_percent_new_lesion_not_any(extra_px, boxes):
    """10×30 all skin; lesion in columns 0–9 and a few pixels at column 12. The window at x 7
    overlaps the first by exactly 30 % (kept by NMS) and holds 35 lesion pixels, but only the
    column-12 ones are new: "any new lesion" would take it with 5."""
    skin = np.ones((10, 30), bool)
    lesion = np.zeros((10, 30), bool)
    lesion[:, :10] = True
    lesion[:extra_px, 12] = True
    assert select_windows(skin, lesion, k=3, sizes=[10]) == boxes


def test_masks_of_other_types_count_pixels_not_values():
    """0/255 masks (as a PNG gives them) are read as booleans: 79 skin pixels are too few, 9 lesion
    pixels too few, whatever the value stored in each."""
    for skin_px, lesion_px in ((79, 10), (80, 9)):
        skin, lesion = flat_masks(skin_px, lesion_px)
        assert select_windows(skin.astype(np.uint8) * 255, lesion.astype(np.uint8) * 255, sizes=[10]) == []
    skin, lesion = flat_masks(80, 10)
    assert select_windows(skin.astype(np.uint8) * 255, lesion.astype(np.uint8) * 255, sizes=[10]) == [(0, 0, 10, 10)]


def test_window_sides_outside_the_mask_are_skipped_not_the_rest():
    skin, lesion = flat_masks(100, 100)
    assert select_windows(skin, lesion, sizes=[0, 11, 10, 50]) == [(0, 0, 10, 10)]
    one = np.zeros((10, 10), bool)
    one[4, 6] = True  # a one-pixel lesion gets a one-pixel window
    assert select_windows(np.ones((10, 10), bool), one, sizes=[1]) == [(6, 4, 7, 5)]


@pytest.mark.parametrize("shape, block, boxes", [
    ((2, 4), (slice(None), slice(None)), [(0, 0, 2, 2), (2, 0, 4, 2)]),   # side by side
    ((4, 2), (slice(None), slice(None)), [(0, 0, 2, 2), (0, 2, 2, 4)]),   # one above the other
])
def test_windows_that_only_touch_do_not_overlap(shape, block, boxes):
    lesion = np.zeros(shape, bool)
    lesion[block] = True
    assert select_windows(np.ones(shape, bool), lesion, k=3, sizes=[2]) == boxes


def test_windows_step_by_an_eighth_of_their_side():
    """Side 16 steps by 2: a lesion at offset 3 is framed from 2 (not 3, a step of 1 would)."""
    lesion = np.zeros((40, 40), bool)
    lesion[3:19, 3:19] = True
    assert select_windows(np.ones((40, 40), bool), lesion, k=1, sizes=[16]) == [(2, 2, 18, 18)]


def test_the_window_one_step_before_the_edge_is_a_candidate():
    lesion = np.zeros((10, 12), bool)
    lesion[:, 1:11] = True  # only the window starting at x 1 holds all of it
    assert select_windows(np.ones((10, 12), bool), lesion, k=1, sizes=[10]) == [(1, 0, 11, 10)]


def test_a_chosen_window_covers_its_own_columns_not_others():
    """The first box starts at x 20, y 0: only its own lesion stops counting as new."""
    lesion = np.zeros((10, 40), bool)
    lesion[:, 20:30] = True
    lesion[:6, 0:10] = True
    assert select_windows(np.ones((10, 40), bool), lesion, k=3, sizes=[10]) == [(20, 0, 30, 10), (0, 0, 10, 10)]


def test_at_most_three_boxes_by_default():
    lesion = np.zeros((10, 100), bool)
    for x in range(0, 100, 20):
        lesion[:, x:x + 10] = True  # five separate lesions
    assert len(select_windows(np.ones((10, 100), bool), lesion, k=5, sizes=[10])) == 5
    assert len(select_windows(np.ones((10, 100), bool), lesion, sizes=[10])) == 3


def test_the_smallest_window_is_a_sixteenth_of_the_short_side_but_at_least_8():
    assert default_min_size((64, 300)) == 8 and default_min_size((100, 100)) == 8
    assert default_min_size((160, 400)) == 10


def test_min_size_reaches_the_window_sides_and_the_mask_caps_them():
    _, lesion = body(lesions=[(120, 90, 10)])
    boxes = select_windows(np.ones(lesion.shape, bool), lesion, min_size=30)
    assert boxes and all(b[2] - b[0] >= 30 for b in boxes)
    small = np.zeros((10, 10), bool)
    small[2:4, 2:4] = True
    assert window_sizes(small, min_size=20) == [10]  # never larger than the mask


def test_overlap_is_measured_on_the_smaller_box_even_when_it_was_chosen_first():
    """A dense 8-px box is chosen first, away from the origin; a 16-px window holding a lesion
    line may overlap it by at most 30 % of the small box's area (rows 4–5 would be 37 % and
    31 %), so the first allowed start is row 6."""
    lesion = np.zeros((26, 60), bool)
    lesion[2:10, 40:48] = True   # 64 px: the first choice
    lesion[19, 28:44] = True     # a line only a 16-px window holds whole
    boxes = select_windows(np.ones((26, 60), bool), lesion, k=2, min_lesion=0.01, sizes=[8, 16])
    assert boxes == [(40, 2, 48, 10), (28, 6, 44, 22)]
    assert overlap_of_smaller(boxes[0], boxes[1]) <= MAX_OVERLAP < overlap_of_smaller(boxes[0], (28, 5, 44, 21))

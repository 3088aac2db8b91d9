"""The evaluation's numpy metrics against small cases worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest

from models.evaluate import auc, confusion, dilate, grid_any, macro_f1, scores


@pytest.mark.parametrize("positive, score, expected", [
    ([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1], 1.0),
    ([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], 0.0),
    ([1, 0], [0.5, 0.5], 0.5),                      # a tie counts one half
    ([1, 1, 0, 0], [0.9, 0.3, 0.5, 0.1], 0.75),     # 3 of 4 positive-negative pairs in order
])
def test_auc(positive, score, expected):
    assert auc(np.array(positive, bool), np.array(score, float)) == pytest.approx(expected)


def test_confusion_leaves_no_result_out_of_every_column():
    matrix = confusion(np.array([0, 1, 1, 2]), np.array([0, 1, -1, 3]))
    assert matrix[0, 0] == 1 and matrix[1, 1] == 1 and matrix[2, 3] == 1
    assert matrix.sum() == 3


def test_macro_f1_by_hand():
    truth, pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    # class 0: tp 1, fn 1 -> 2/3; class 1: tp 2, fp 1 -> 4/5; classes 2, 3 absent -> 1
    assert macro_f1(truth, pred) == pytest.approx((2 / 3 + 4 / 5 + 1 + 1) / 4)


def test_scores_count_a_missing_result_as_wrong_on_both_sides():
    truth = np.array([0, 0, 1, 2])           # AD, AD, IM, HI; positive = not AD
    pred = np.array([0, -1, 1, -1])          # one AD and one HI without result
    s = scores(truth, pred, np.array([0.1, 0.5, 0.9, 0.5]))
    assert s["sensitivity"] == 0.5 and s["specificity"] == 0.5
    assert s["accuracy4"] == 0.5 and s["no_result"] == 2


def test_grid_any_and_dilate():
    mask = np.zeros((8, 8), bool)
    mask[7, 7] = True
    assert grid_any(mask, (2, 2)).tolist() == [[False, False], [False, True]]
    grown = dilate(grid_any(mask, (4, 4)), 1)
    assert grown.sum() == 3 and grown[3, 3] and grown[2, 3] and grown[3, 2]

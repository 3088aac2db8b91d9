"""The combining rule: mean for AD, max over crops for IM/HI/MF, renormalised."""
import pytest

from inference.combine import NoCrops, combine


def probs(ad, im, hi, mf):
    return {"AD": ad, "IM": im, "HI": hi, "MF": mf}


def test_one_dangerous_crop_is_not_averaged_away():
    crops = [probs(0.9, 0.04, 0.03, 0.03), probs(0.9, 0.04, 0.03, 0.03), probs(0.05, 0.02, 0.9, 0.03)]
    plain_mean = sum(c["HI"] for c in crops) / len(crops)
    result = combine(crops)
    assert result["HI"] > result["AD"]
    assert max(result, key=result.get) == "HI"
    assert result["HI"] > plain_mean * 1.5
    assert 1 - result["AD"] > 0.5  # p_not_ad says "not AD"


@pytest.mark.parametrize("crops", [
    [probs(0.7, 0.1, 0.1, 0.1)],
    [probs(0.6, 0.2, 0.1, 0.1), probs(0.8, 0.05, 0.1, 0.05)],
    [probs(0.25, 0.25, 0.25, 0.25)] * 3,
    [probs(0.1, 0.6, 0.2, 0.1), probs(0.2, 0.1, 0.6, 0.1), probs(0.3, 0.1, 0.1, 0.5)],
])
def test_result_is_a_distribution_over_the_same_classes(crops):
    result = combine(crops)
    assert list(result) == ["AD", "IM", "HI", "MF"]
    assert sum(result.values()) == pytest.approx(1.0)
    assert all(0 <= v <= 1 for v in result.values())


def test_one_crop_is_returned_unchanged():
    assert combine([probs(0.7, 0.1, 0.15, 0.05)]) == pytest.approx(probs(0.7, 0.1, 0.15, 0.05))


def test_ad_is_the_mean_and_the_others_the_max_before_renormalising():
    result = combine([probs(0.8, 0.1, 0.05, 0.05), probs(0.6, 0.3, 0.05, 0.05)])
    pooled = probs(0.7, 0.3, 0.05, 0.05)
    total = sum(pooled.values())
    assert result == pytest.approx({k: v / total for k, v in pooled.items()})


def test_agreeing_ad_crops_stay_ad():
    result = combine([probs(0.85, 0.05, 0.05, 0.05)] * 3)
    assert result["AD"] == pytest.approx(0.85)


def test_no_crops_is_an_error():
    with pytest.raises(NoCrops):
        combine([])

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.metrics import selected_fraction


def _explanation(selected, d, k):
    return SimpleNamespace(selected=selected, qubo=SimpleNamespace(num_variables=d,
                                                                   num_feature_maps=k))


def test_counts_by_hand():
    assert selected_fraction([3, 5], totals=[12, 10]) == pytest.approx((3 / 12 + 5 / 10) / 2)
    assert selected_fraction([2, 4, 0], totals=16) == pytest.approx(6 / 48)
    assert selected_fraction([0, 2], totals=[0, 4]) == pytest.approx(0.25)  # d = 0 counts as 0


def test_explanations():
    items = [_explanation((1, 2), 4, 16), _explanation((7,), 8, 16), _explanation((), 0, 16)]
    assert selected_fraction(items) == pytest.approx((0.5 + 0.125 + 0.0) / 3)
    assert selected_fraction(items, relative_to="feature_maps") == pytest.approx(3 / 48)


def test_bad_inputs():
    with pytest.raises(InvalidArgumentError, match="is empty"):
        selected_fraction([], totals=3)
    with pytest.raises(InvalidArgumentError, match="required"):
        selected_fraction([1, 2])
    with pytest.raises(InvalidArgumentError, match=r"larger than its total 2"):
        selected_fraction([1, 3], totals=2)
    with pytest.raises(InvalidArgumentError, match="2 totals for 3 counts"):
        selected_fraction([1, 1, 1], totals=[2, 2])
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        selected_fraction([-1], totals=2)
    with pytest.raises(InvalidTypeError, match=r"selections\[1\]"):
        selected_fraction([1, 0.5], totals=2)
    with pytest.raises(InvalidArgumentError, match="taken from the explanations"):
        selected_fraction([_explanation((1,), 2, 4)], totals=2)
    with pytest.raises(InvalidArgumentError, match="relative_to"):
        selected_fraction([_explanation((1,), 2, 4)], relative_to="k")

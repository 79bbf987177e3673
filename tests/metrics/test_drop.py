from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.metrics import average_drop, drop_per_image, increase_in_confidence


def test_hand_computed_four_images():
    Y = [0.8, 0.5, 0.2, 0.4]
    O = [0.4, 0.6, 0.1, 0.4]  # noqa: E741
    # drops: (0.8-0.4)/0.8 = 0.5, 0 (O > Y), (0.2-0.1)/0.2 = 0.5, 0 (equal) -> mean 0.25
    assert average_drop(Y, O) == pytest.approx(25.0, abs=1e-12)
    # only image 1 increases (0.6 > 0.5); equality (image 3) is not an increase
    assert increase_in_confidence(Y, O) == pytest.approx(25.0, abs=1e-12)
    np.testing.assert_allclose(drop_per_image(Y, O), [0.5, 0.0, 0.5, 0.0], atol=1e-15)


def test_hand_computed_two_drops():
    Y = np.array([0.9, 0.6])
    O = np.array([0.3, 0.15])  # noqa: E741
    # (0.9-0.3)/0.9 = 2/3, (0.6-0.15)/0.6 = 0.75 -> 100 * (2/3 + 3/4) / 2
    assert average_drop(Y, O) == pytest.approx(70.83333333333333, abs=1e-10)
    assert increase_in_confidence(Y, O) == 0.0


def test_all_increase():
    assert average_drop([0.1, 0.2, 0.3], [0.5, 0.5, 0.5]) == 0.0
    assert increase_in_confidence([0.1, 0.2, 0.3], [0.5, 0.5, 0.5]) == 100.0


def test_accepts_torch_tensors():
    Y = torch.tensor([0.5, 0.25], dtype=torch.float64)
    O = torch.tensor([0.125, 0.5], dtype=torch.float64)  # noqa: E741
    assert average_drop(Y, O) == pytest.approx(100 * (0.75 + 0.0) / 2)
    assert increase_in_confidence(Y, O) == 50.0


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.floats(0.0, 1.0, exclude_min=True), min_size=n, max_size=n),
    st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))))
def test_average_drop_in_range(pair):
    Y, O = pair  # noqa: E741
    drop = average_drop(Y, O)
    increase = increase_in_confidence(Y, O)
    assert 0.0 <= drop <= 100.0
    assert 0.0 <= increase <= 100.0
    per = drop_per_image(Y, O)
    assert np.all((per >= 0.0) & (per <= 1.0))
    # images whose confidence does not fall contribute nothing to the drop
    assert np.all(per[np.asarray(O) >= np.asarray(Y)] == 0.0)


@pytest.mark.parametrize(
    ("Y", "O", "match"),
    [
        ([0.5, 0.5], [0.5], "has 1 values but original has 2"),
        ([0.5, 0.0], [0.5, 0.1], "Y is 0 for image 1"),
        ([0.5, float("nan")], [0.5, 0.1], "NaN"),
        ([0.5, 0.4], [0.5, float("inf")], "NaN or inf"),
        ([0.5, 1.2], [0.5, 0.1], r"must lie in \[0, 1\]"),
        ([0.5, 0.2], [-0.1, 0.1], r"must lie in \[0, 1\]"),
        ([], [], "non-empty"),
        ([[0.5]], [[0.5]], "1-D"),
    ],
)
def test_bad_inputs(Y, O, match):  # noqa: N803, E741
    with pytest.raises(InvalidArgumentError, match=match) as info:
        average_drop(Y, O)
    assert "Fix:" in str(info.value)


def test_increase_refuses_mismatch_and_types():
    with pytest.raises(InvalidArgumentError, match="masked="):
        increase_in_confidence([0.5, 0.5], [0.5, 0.5, 0.5])
    with pytest.raises(InvalidTypeError, match="original"):
        increase_in_confidence(["a"], [0.5])

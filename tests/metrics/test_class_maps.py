from __future__ import annotations

import math

import numpy as np
import pytest

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.metrics import (
    EmptyClassWarning,
    bhattacharyya_matrix,
    plot_class_map,
    selection_histograms,
)

# Three classes, K = 4 maps.
#   class 0: (0, 1), (0,)     -> counts [2, 1, 0, 0] -> p0 = [2/3, 1/3, 0, 0]
#   class 1: (1, 2), (2, 3)   -> counts [0, 1, 2, 1] -> p1 = [0, 1/4, 1/2, 1/4]
#   class 2: (3,)             -> counts [0, 0, 0, 1] -> p2 = [0, 0, 0, 1]
SELECTIONS = [(0, 1), (1, 2), (3,), (0,), (2, 3)]
LABELS = [0, 1, 2, 0, 1]


def test_hand_computed_histograms():
    p = selection_histograms(SELECTIONS, LABELS, num_feature_maps=4, num_classes=3)
    np.testing.assert_allclose(p, [[2 / 3, 1 / 3, 0, 0], [0, 0.25, 0.5, 0.25], [0, 0, 0, 1]],
                               atol=1e-15)


def test_hand_computed_three_class_matrix():
    bc = bhattacharyya_matrix(selection_histograms(SELECTIONS, LABELS, 4, 3))
    # BC(0,1) = sqrt(1/3 * 1/4) = sqrt(1/12); BC(0,2) = 0; BC(1,2) = sqrt(1/4 * 1) = 1/2
    expected = np.array([
        [1.0, 0.28867513459481287, 0.0],
        [0.28867513459481287, 1.0, 0.5],
        [0.0, 0.5, 1.0],
    ])
    np.testing.assert_allclose(bc, expected, atol=1e-12)
    assert expected[0, 1] == pytest.approx(1 / math.sqrt(12))


def test_symmetric_unit_diagonal_in_range():
    rng = np.random.default_rng(0)
    hist = rng.random((7, 16)) * (rng.random((7, 16)) > 0.5)
    hist[:, 0] += 0.1  # no empty class
    bc = bhattacharyya_matrix(hist)
    assert np.array_equal(bc, bc.T)
    assert np.array_equal(np.diag(bc), np.ones(7))
    assert bc.min() >= 0.0 and bc.max() <= 1.0
    # raw counts and normalised histograms give the same matrix
    np.testing.assert_allclose(bhattacharyya_matrix(hist * 13.0), bc, atol=1e-15)


def test_disjoint_selections_give_zero_and_identical_give_one():
    disjoint = selection_histograms([(0, 1), (2,), (3, 4, 5)], [0, 1, 2], 6, 3)
    np.testing.assert_array_equal(bhattacharyya_matrix(disjoint), np.eye(3))
    same = selection_histograms([(1, 4), (1, 4), (4, 1)], [0, 1, 2], 6, 3)
    np.testing.assert_allclose(bhattacharyya_matrix(same), np.ones((3, 3)), atol=1e-15)


def test_class_without_selections_is_nan_with_a_warning():
    hist = selection_histograms([(0,), (), (0, 1)], [0, 1, 0], 3, 3)  # class 2: no images
    assert np.array_equal(hist[1], np.zeros(3)) and np.array_equal(hist[2], np.zeros(3))
    with pytest.warns(EmptyClassWarning, match=r"\[1, 2\]"):
        bc = bhattacharyya_matrix(hist)
    assert bc[0, 0] == 1.0
    assert np.isnan(bc[1:, :]).all() and np.isnan(bc[:, 1:]).all()


def test_plot_writes_a_png(tmp_path):
    bc = bhattacharyya_matrix(selection_histograms(SELECTIONS, LABELS, 4, 3))
    path = tmp_path / "figs" / "class_map.png"
    fig = plot_class_map(bc, ["cat", "dog", "ship"], path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("1.00") == 3 and "0.29" in texts and "0.50" in texts
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["cat", "dog", "ship"]


def test_plot_marks_nan_cells(tmp_path):
    with pytest.warns(EmptyClassWarning):
        bc = bhattacharyya_matrix([[1.0, 0.0], [0.0, 0.0]])
    fig = plot_class_map(bc, ["a", "b"], tmp_path / "m.png")
    assert [t.get_text() for t in fig.axes[0].texts] == ["1.00", "n/a", "n/a", "n/a"]
    assert (tmp_path / "m.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([(0, 4)], [0], 4, 2), InvalidArgumentError, r"channels must lie in \[0, 4\)"),
        (([(0, 0)], [0], 4, 2), InvalidArgumentError, "repeats a channel"),
        (([(0,)], [2], 4, 2), InvalidArgumentError, r"labels\[0\]=2"),
        (([(0,)], [0, 1], 4, 2), InvalidArgumentError, "2 entries for 1 selections"),
        (([(0.5,)], [0], 4, 2), InvalidTypeError, r"selections\[0\]"),
        (([(0,)], [0], 0, 2), InvalidArgumentError, "num_feature_maps"),
        (([3], [0], 4, 2), InvalidTypeError, r"selections\[0\]"),
    ],
)
def test_histogram_bad_inputs(args, error, match):
    with pytest.raises(error, match=match) as info:
        selection_histograms(*args)
    assert "Fix:" in str(info.value)


def test_matrix_and_plot_bad_inputs():
    with pytest.raises(InvalidArgumentError, match="2-D"):
        bhattacharyya_matrix([0.5, 0.5])
    with pytest.raises(InvalidArgumentError, match=">= 0"):
        bhattacharyya_matrix([[0.5, -0.5], [1.0, 0.0]])
    with pytest.raises(InvalidArgumentError, match="square"):
        plot_class_map(np.ones((2, 3)), ["a", "b"])
    with pytest.raises(InvalidArgumentError, match="needs 2 names"):
        plot_class_map(np.eye(2), ["a"])
    with pytest.raises(InvalidArgumentError, match=r"\[0, 1\]"):
        plot_class_map(2 * np.eye(2), ["a", "b"])

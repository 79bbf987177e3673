import itertools

import numpy as np
import pytest
from scipy import stats

from hybridxai.evaluate import holm, mean_ci, paired_wilcoxon
from hybridxai.exceptions import InvalidArgumentError


def holm_by_definition(p):
    """Holm by the rejection rule: adjusted p_i = smallest alpha at which H_i is rejected."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    for rank, i in enumerate(order):
        out[i] = min(1.0, max((m - j) * p[order[j]] for j in range(rank + 1)))
    return np.array(out)


def test_holm_matches_definition_on_fixed_and_random_inputs():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    rng = np.random.default_rng(0)
    for m in (1, 2, 3, 7):
        p = rng.uniform(0, 0.2, size=m)
        np.testing.assert_allclose(holm(p), holm_by_definition(list(p)), rtol=0, atol=1e-15)


def test_holm_rejections_follow_step_down_rule():
    p = [0.001, 0.011, 0.02, 0.04, 0.3]
    adjusted = holm(p)
    # step-down at alpha=0.05: 0.001*5, 0.011*4=0.044 reject; 0.02*3=0.06 stop
    assert (adjusted <= 0.05).tolist() == [True, True, False, False, False]


def test_holm_refuses_bad_p():
    with pytest.raises(InvalidArgumentError):
        holm([0.1, 1.5])


def test_wilcoxon_matches_scipy_on_fixed_inputs():
    a = np.array([0.31, 0.12, 0.55, 0.40, 0.28, 0.61, 0.19, 0.47, 0.05, 0.33])
    b = np.array([0.30, 0.20, 0.41, 0.42, 0.10, 0.50, 0.25, 0.30, 0.05, 0.20])
    ours = paired_wilcoxon(a, b)
    ref = stats.wilcoxon(a, b, zero_method="wilcox")
    assert ours.statistic == ref.statistic and ours.p_value == ref.pvalue
    assert ours.n_nonzero == 9
    assert ours.median_difference == pytest.approx(np.median(a - b))


def test_wilcoxon_exact_small_case_by_enumeration():
    diff = np.array([1.0, -2.0, 3.0, 4.0, 5.0])
    w = paired_wilcoxon(diff, np.zeros(5))
    # exact two-sided p: enumerate all 2^5 sign patterns of ranks 1..5
    ranks = np.arange(1, 6)
    observed = min(ranks[diff > 0].sum(), ranks[diff < 0].sum())
    extremes = sum(1 for signs in itertools.product([0, 1], repeat=5)
                   if min(ranks[np.array(signs) == 1].sum(), ranks[np.array(signs) == 0].sum()) <= observed)
    assert w.statistic == observed == 2
    assert w.p_value == pytest.approx(extremes / 32)


def test_wilcoxon_all_ties_is_p_one():
    assert paired_wilcoxon([1.0, 2.0], [1.0, 2.0]).p_value == 1.0


def test_mean_ci_matches_t_interval():
    x = np.array([0.2, 0.4, 0.1, 0.5, 0.3])
    r = mean_ci(x)
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert r.mean == pytest.approx(0.3)
    assert (r.low, r.high) == pytest.approx((0.3 - half, 0.3 + half))
    assert mean_ci([2.0, 2.0]).half_width == 0.0

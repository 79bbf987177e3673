"""Summary statistics for per-image scores: mean ± 95 % CI, paired Wilcoxon, Holm correction.

The confidence interval is Student's t interval of the mean (``scipy.stats.t``); the paired test
is ``scipy.stats.wilcoxon`` (two-sided, zero differences dropped: ``zero_method="wilcox"``);
``scipy`` has no Holm step-down correction, so :func:`holm` implements it (Holm, 1979) — a few
lines, tested against the definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from hybridxai.exceptions import invalid_argument

__all__ = ["MeanCI", "mean_ci", "PairedTest", "paired_wilcoxon", "holm"]


class MeanCI(NamedTuple):
    """Mean of ``n`` values and its two-sided confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """``(high − low) / 2`` (0 for a single value or constant values)."""
        return 0.5 * (self.high - self.low)


def _values(name: str, values: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise invalid_argument(name, values, "is empty", "pass at least one score")
    if not np.all(np.isfinite(x)):
        raise invalid_argument(name, values, "contains NaN or inf", "drop or fix the undefined scores")
    return x


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> MeanCI:
    """Mean and Student-t confidence interval ``mean ± t_{n−1} · s / √n``.

    Args:
        values: The per-image scores.
        confidence: Coverage in (0, 1).

    Returns:
        The :class:`MeanCI` (a zero-width interval for one value or constant values).

    Example:
        >>> r = mean_ci([1.0, 2.0, 3.0])
        >>> round(r.mean, 3), round(r.low, 3), round(r.high, 3)
        (2.0, -0.484, 4.484)
    """
    if not 0.0 < confidence < 1.0:
        raise invalid_argument("confidence", confidence, "must lie in (0, 1)", "pass e.g. 0.95")
    x = _values("values", values)
    mean = float(x.mean())
    if x.size < 2 or np.all(x == x[0]):
        return MeanCI(mean, mean, mean, int(x.size))
    low, high = stats.t.interval(confidence, x.size - 1, loc=mean, scale=stats.sem(x))
    return MeanCI(mean, float(low), float(high), int(x.size))


class PairedTest(NamedTuple):
    """A two-sided paired Wilcoxon signed-rank test of ``method − reference``."""

    statistic: float
    p_value: float
    n_nonzero: int
    median_difference: float


def paired_wilcoxon(method: ArrayLike, reference: ArrayLike) -> PairedTest:
    """Two-sided paired Wilcoxon signed-rank test (``scipy.stats.wilcoxon``).

    Pairs with a zero difference are dropped (``zero_method="wilcox"``); when every pair ties,
    there is no evidence of a difference and ``p = 1``.

    Args:
        method: Scores of the method, one per image.
        reference: Scores of the reference method on the same images, in the same order.

    Returns:
        The :class:`PairedTest`.

    Raises:
        InvalidArgumentError: Different lengths, empty input, NaN.

    Example:
        >>> t = paired_wilcoxon([1.0, 2.0, 3.5, 4.0], [0.0, 0.5, 1.0, 4.0])
        >>> t.n_nonzero, t.statistic
        (3, 0.0)
    """
    a, b = _values("method", method), _values("reference", reference)
    if a.shape != b.shape:
        raise invalid_argument("method", method, f"has {a.size} scores but reference has {b.size}",
                               "pass paired scores of the same images")
    diff = a - b
    nonzero = int(np.count_nonzero(diff))
    median = float(np.median(diff))
    if nonzero == 0:
        return PairedTest(0.0, 1.0, 0, median)
    result = stats.wilcoxon(a, b, zero_method="wilcox", alternative="two-sided")
    return PairedTest(float(result.statistic), float(result.pvalue), nonzero, median)


def holm(p_values: Sequence[float] | ArrayLike) -> NDArray[np.float64]:
    """Holm–Bonferroni adjusted p-values (step-down; controls the family-wise error rate).

    With the ``m`` p-values sorted ascending, ``p_(1) ≤ … ≤ p_(m)``, the adjusted value of
    ``p_(i)`` is ``min(1, max_{j ≤ i} (m − j + 1) · p_(j))``; reject where it is ``≤ α``.

    Args:
        p_values: The family's raw p-values.

    Returns:
        The adjusted p-values, in the input order.

    Example:
        >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
        [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    if p.size == 0:
        return p
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise invalid_argument("p_values", p_values, "must be finite values in [0, 1]",
                               "pass raw p-values from a test")
    order = np.argsort(p, kind="stable")
    scaled = (p.size - np.arange(p.size)) * p[order]
    adjusted = np.minimum(1.0, np.maximum.accumulate(scaled))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def describe(values: ArrayLike) -> dict[str, Any]:
    """``{"mean", "ci_low", "ci_high", "n"}`` of :func:`mean_ci` at 95 %, for tables."""
    r = mean_ci(values)
    return {"mean": r.mean, "ci_low": r.low, "ci_high": r.high, "n": r.n}

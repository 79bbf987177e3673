"""Statistics of the couplings ``J_pq`` of feature-selection QUBOs (the paper's Fig. 5, bottom).

The paper histograms the off-diagonal couplings (the diagonal bins removed), finds them well
approximated by a Gaussian for small problems and concludes that the Ising model is of
Sherrington–Kirkpatrick (SK) type. This module computes the same histogram and puts numbers
on the claim: moments, a Gaussian fit, a normality test, and a comparison with the SK scale.

**SK comparison.** The SK model has ``H = -Σ_{i<j} J_ij σ_i σ_j`` with i.i.d.
``J_ij ~ N(0, J²/d)``: zero mean and a standard deviation shrinking like ``1/√d``. The cosine
similarities of feature maps are non-negative with a *non-zero* mean (a ferromagnetic or
antiferromagnetic bias, depending on the sign convention) and a spread that does not shrink
with ``d``; in spin form a mean coupling acts like a uniform field on the magnetisation. So
"Gaussian" here means Gaussian *fluctuations* around a mean; :attr:`CouplingStatistics.sk_ratio`
reports ``std·√d``, which is ``J`` (constant in ``d``) for SK-scaled couplings.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> stats = coupling_statistics(rng.normal(0.4, 0.1, size=2000))
    >>> round(stats.mean, 2), round(stats.std, 2), stats.normality_pvalue > 0.01
    (0.4, 0.1, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dimod
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sstats

from hybridxai.anneal.ising import dense_qubo
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["CouplingStatistics", "coupling_statistics", "off_diagonal_couplings"]

Form = Literal["binary", "spin"]


@dataclass
class CouplingStatistics:
    """Distribution of off-diagonal couplings.

    Attributes:
        values: The couplings (one per pair ``p < q``, all problems pooled).
        count: Number of couplings.
        num_problems: Number of QUBOs/matrices pooled.
        num_variables: Mean number of variables ``d`` per problem (for the SK scale).
        mean: Sample mean.
        std: Sample standard deviation (``ddof = 1``).
        skewness: Sample skewness (0 for a Gaussian).
        kurtosis: Excess kurtosis (0 for a Gaussian).
        fit_mean: Mean of the maximum-likelihood Gaussian (``scipy.stats.norm.fit``).
        fit_std: Its standard deviation.
        normality_test: ``"dagostino"`` (D'Agostino–Pearson, ``n >= 20``) or ``"shapiro"``.
        normality_statistic: The test statistic.
        normality_pvalue: Its p-value (small: reject normality).
        form: ``"binary"`` (QUBO coefficients / raw ``J``) or ``"spin"`` (Ising ``J/4``).
    """

    values: NDArray[np.float64]
    count: int
    num_problems: int
    num_variables: float
    mean: float
    std: float
    skewness: float
    kurtosis: float
    fit_mean: float
    fit_std: float
    normality_test: str
    normality_statistic: float
    normality_pvalue: float
    form: str

    @property
    def sk_std(self) -> float:
        """The SK standard deviation ``1/√d`` for the pooled problems' mean ``d``."""
        return 1.0 / math.sqrt(self.num_variables) if self.num_variables > 0 else math.nan

    @property
    def sk_ratio(self) -> float:
        """``std·√d``: constant across sizes for SK-scaled couplings (``J`` in ``N(0, J²/d)``)."""
        return self.std * math.sqrt(self.num_variables) if self.num_variables > 0 else math.nan

    def is_gaussian(self, alpha: float = 0.05) -> bool:
        """Whether the normality test does not reject a Gaussian at level ``alpha``."""
        return bool(self.normality_pvalue >= alpha)

    def gaussian_pdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """Density of the fitted Gaussian at ``x``."""
        return sstats.norm.pdf(np.asarray(x, dtype=np.float64), self.fit_mean, max(self.fit_std, 1e-300))

    def histogram(self, bins: Any = "auto") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(density, edges)`` of the couplings (``numpy.histogram``, ``density=True``)."""
        return np.histogram(self.values, bins=bins, density=True)

    def summary(self) -> str:
        """A short text report, including the SK comparison."""
        verdict = "consistent with" if self.is_gaussian() else "not"
        return (
            f"{self.count} couplings from {self.num_problems} problem(s), mean d = "
            f"{self.num_variables:.1f} ({self.form} form): mean {self.mean:.4g}, std {self.std:.4g}, "
            f"skewness {self.skewness:.3g}, excess kurtosis {self.kurtosis:.3g}; Gaussian fit "
            f"N({self.fit_mean:.4g}, {self.fit_std:.4g}²); {self.normality_test} p = "
            f"{self.normality_pvalue:.3g} ({verdict} a Gaussian at 5 %). SK couplings would be "
            f"N(0, 1/d): std {self.sk_std:.3g} and mean 0; here std·√d = {self.sk_ratio:.3g}"
            f" and mean/std = {self.mean / self.std if self.std > 0 else math.nan:.3g}."
        )

    def plot(self, path: str | Path | None = None, *, ax: Any = None, bins: Any = "auto") -> Any:
        """Histogram with the Gaussian fit overlaid; returns the ``Figure``."""
        from hybridxai.analysis.plots import plot_couplings

        return plot_couplings(self, path=path, ax=ax, bins=bins)


def off_diagonal_couplings(problem: Any, form: Form = "binary") -> tuple[NDArray[np.float64], int]:
    """The couplings ``p < q`` of one problem and its number of variables.

    Args:
        problem: A ``dimod.BinaryQuadraticModel`` (every pair, absent ones as 0), a square
            symmetric matrix ``J`` (upper triangle; the diagonal is ignored, as in the paper),
            or a 1-D array of couplings (used as is; ``d`` is inferred from its length).
        form: ``"binary"`` (QUBO coefficients) or ``"spin"`` (Ising couplings ``J/4``).

    Returns:
        ``(values, d)``.
    """
    if isinstance(problem, dimod.BinaryQuadraticModel):
        q = dense_qubo(problem).quadratic
        d = q.shape[0]
        values = q[np.triu_indices(d, k=1)]
    else:
        try:
            arr = np.asarray(problem, dtype=np.float64)
        except (TypeError, ValueError):
            raise invalid_type("qubos", problem, "a BQM, a square matrix or a 1-D array of couplings",
                               "pass e.g. a FeatureQubo's J matrix or its bqm") from None
        if arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
            d = arr.shape[0]
            values = arr[np.triu_indices(d, k=1)]
        elif arr.ndim == 1:
            values = arr
            d = int(round((1 + math.sqrt(1 + 8 * arr.size)) / 2))
        else:
            raise invalid_argument("qubos", problem, "arrays must be square matrices or 1-D",
                                   "pass a (d, d) coupling matrix or the list of couplings")
    values = np.asarray(values, dtype=np.float64)
    if form == "spin":
        values = values / 4.0
    elif form != "binary":
        raise invalid_argument("form", form, "must be 'binary' or 'spin'", "pass form='binary'")
    return values, d


def coupling_statistics(qubos: Any, *, form: Form = "binary") -> CouplingStatistics:
    """Pool the off-diagonal couplings of one or many problems and describe their distribution.

    Args:
        qubos: One problem or an iterable of them: ``dimod.BinaryQuadraticModel`` (its
            quadratic biases, i.e. ``(1 - beta)·J`` for hybridxai's QUBO), square ``J``
            matrices (the raw cosine similarities, as in the paper's figure), or 1-D arrays
            of couplings.
        form: ``"binary"`` or ``"spin"`` (Ising couplings ``J/4``: same shape, scaled).

    Returns:
        A :class:`CouplingStatistics`.

    Raises:
        InvalidArgumentError: If fewer than 3 couplings are found or they are not finite.
    """
    single = isinstance(qubos, dimod.BinaryQuadraticModel) or (
        isinstance(qubos, np.ndarray) and qubos.dtype != object)
    problems: Iterable[Any] = [qubos] if single else list(qubos)
    chunks, sizes = [], []
    for problem in problems:
        values, d = off_diagonal_couplings(problem, form)
        chunks.append(values)
        sizes.append(d)
    if not chunks:
        raise invalid_argument("qubos", qubos, "is empty", "pass at least one QUBO")
    values = np.concatenate(chunks)
    if values.size < 3:
        raise invalid_argument("qubos", qubos, f"has only {values.size} couplings",
                               "pass problems with at least 3 variable pairs in total")
    if not np.all(np.isfinite(values)):
        raise invalid_argument("qubos", qubos, "contains NaN or inf couplings",
                               "check the feature maps that produced them")
    std = float(values.std(ddof=1))
    constant = std == 0.0
    skewness = 0.0 if constant else float(sstats.skew(values, bias=False))
    kurtosis = 0.0 if constant else float(sstats.kurtosis(values, fisher=True, bias=False))
    fit_mean, fit_std = (float(x) for x in sstats.norm.fit(values))
    if constant:
        test, statistic, pvalue = "none", math.nan, 0.0
    elif values.size >= 20:
        res = sstats.normaltest(values)
        test, statistic, pvalue = "dagostino", float(res.statistic), float(res.pvalue)
    else:
        res = sstats.shapiro(values)
        test, statistic, pvalue = "shapiro", float(res.statistic), float(res.pvalue)
    return CouplingStatistics(
        values=values, count=int(values.size), num_problems=len(chunks),
        num_variables=float(np.mean(sizes)), mean=float(values.mean()), std=std,
        skewness=skewness, kurtosis=kurtosis, fit_mean=fit_mean, fit_std=fit_std,
        normality_test=test, normality_statistic=statistic, normality_pvalue=pvalue, form=form,
    )

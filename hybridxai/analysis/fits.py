"""Fits the paper uses: fidelity against size (Landau–Zener regime) and the gap scaling.

* :func:`fit_exponential` — ``F(d) = a·exp(-c·d) + const`` (the paper's red dashed line in
  Fig. 5 at ``T = 10``).
* :func:`fit_power_law` — ``Δ_min(d) = A·d**p`` (Fig. 7; a gap shrinking like ``1/d`` means an
  adiabatic time growing like ``d**2``).
* :func:`landau_zener_probability` — the two-level diabatic transition probability.

Example:
    >>> import numpy as np
    >>> d = np.arange(4, 20)
    >>> fit = fit_exponential(d, 0.9 * np.exp(-0.25 * d) + 0.05)
    >>> round(fit.a, 3), round(fit.c, 3), round(fit.const, 3)
    (0.9, 0.25, 0.05)
    >>> round(float(landau_zener_probability(0.1, 0.01)), 4)   # exp(-π·0.01/0.02)
    0.2079
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeWarning, curve_fit

from hybridxai.exceptions import invalid_argument

__all__ = [
    "ExponentialFit",
    "PowerLawFit",
    "fit_exponential",
    "fit_power_law",
    "landau_zener_probability",
    "sweep_rate",
]


def _pair(x: ArrayLike, y: ArrayLike, xname: str, yname: str,
          minimum: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    try:
        xa = np.asarray(x, dtype=np.float64).ravel()
        ya = np.asarray(y, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise invalid_argument(f"{xname}, {yname}", (x, y), "must be numeric sequences",
                               "pass two equal-length lists of numbers") from None
    if xa.size != ya.size:
        raise invalid_argument(yname, y, f"has {ya.size} values for {xa.size} {xname}",
                               f"pass one {yname[:-1] if yname.endswith('s') else yname} per entry")
    if xa.size < minimum:
        raise invalid_argument(xname, x, f"a fit needs at least {minimum} points, got {xa.size}",
                               f"pass results for at least {minimum} sizes")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise invalid_argument(yname, y, "contains NaN or inf", "drop the failed points first")
    return xa, ya


def _r_squared(y: NDArray[np.float64], model: NDArray[np.float64]) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - model) ** 2)) / total if total > 0 else math.nan


@dataclass
class ExponentialFit:
    """``F(d) = a·exp(-c·d) + const`` fitted by least squares.

    Attributes:
        a: Amplitude.
        c: Decay rate per qubit.
        const: Asymptote (0 when fitted without a constant).
        stderr: One-sigma uncertainties ``{"a", "c", "const"}`` from the covariance (``inf``
            when the data do not determine them).
        covariance: The parameter covariance matrix.
        r_squared: Coefficient of determination.
        num_points: Number of data points.
    """

    a: float
    c: float
    const: float
    stderr: dict[str, float]
    covariance: NDArray[np.float64]
    r_squared: float
    num_points: int
    fit_constant: bool = True

    @property
    def params(self) -> dict[str, float]:
        """``{"a": …, "c": …, "const": …}``."""
        return {"a": self.a, "c": self.c, "const": self.const}

    def predict(self, d: ArrayLike) -> NDArray[np.float64]:
        """The fitted curve at ``d``."""
        return self.a * np.exp(-self.c * np.asarray(d, dtype=np.float64)) + self.const

    def describe(self) -> str:
        """One line, e.g. for a legend."""
        return (f"{self.a:.3g}·exp(-{self.c:.3g}±{self.stderr['c']:.2g}·d) + {self.const:.3g}"
                f" (R²={self.r_squared:.3f})")


@dataclass
class PowerLawFit:
    """``Δ(d) = A·d**p`` fitted on log–log axes.

    Attributes:
        amplitude: ``A``.
        exponent: ``p`` (negative for a gap that closes with size).
        stderr: One-sigma uncertainties ``{"amplitude", "exponent"}``.
        r_squared: Coefficient of determination of ``log Δ``.
        num_points: Number of data points.
    """

    amplitude: float
    exponent: float
    stderr: dict[str, float] = field(default_factory=dict)
    r_squared: float = math.nan
    num_points: int = 0

    @property
    def time_exponent(self) -> float:
        """Exponent of the adiabatic time ``T ∝ Δ_min**-2 ∝ d**(-2p)``."""
        return -2.0 * self.exponent

    def predict(self, d: ArrayLike) -> NDArray[np.float64]:
        """The fitted power law at ``d``."""
        return self.amplitude * np.asarray(d, dtype=np.float64) ** self.exponent

    def describe(self) -> str:
        """One line, e.g. for a legend."""
        return (f"{self.amplitude:.3g}·d^({self.exponent:.3g}±{self.stderr.get('exponent', math.nan):.2g})"
                f" (R²={self.r_squared:.3f})")

    def plot(self, d_values: ArrayLike, gaps: ArrayLike, path: str | Path | None = None,
             *, ax: Any = None) -> Any:
        """Log–log plot of the data with this fit; returns the ``Figure``."""
        from hybridxai.analysis.plots import plot_gap_scaling

        return plot_gap_scaling(d_values, gaps, fit=self, path=path, ax=ax)


def fit_exponential(
    d_values: ArrayLike,
    fidelities: ArrayLike,
    *,
    sigma: ArrayLike | None = None,
    fit_constant: bool = True,
    p0: tuple[float, ...] | None = None,
) -> ExponentialFit:
    """Fit ``F(d) = a·exp(-c·d) + const`` (the paper's Landau–Zener-regime fit).

    Args:
        d_values: Problem sizes (numbers of qubits).
        fidelities: Final fidelities (e.g. medians over images) at those sizes.
        sigma: Optional one-sigma errors of the fidelities (weights of the fit).
        fit_constant: Fit the asymptote ``const`` (needs 4 or more points for uncertainties);
            ``False`` fixes it at 0.
        p0: Starting values ``(a, c[, const])``; a log-linear estimate by default.

    Returns:
        An :class:`ExponentialFit`.

    Raises:
        InvalidArgumentError: For mismatched lengths, too few points or non-finite data.
    """
    d, f = _pair(d_values, fidelities, "d_values", "fidelities", 3 if fit_constant else 2)
    weights = None if sigma is None else np.asarray(sigma, dtype=np.float64).ravel()
    if weights is not None and (weights.size != f.size or np.any(weights <= 0)):
        raise invalid_argument("sigma", sigma, "needs one positive error per point",
                               "pass sigma=None or positive standard errors")
    if p0 is None:
        const0 = max(0.0, float(f.min()) - 0.05 * float(np.ptp(f))) if fit_constant else 0.0
        y = np.clip(f - const0, 1e-12, None)
        slope, intercept = np.polyfit(d, np.log(y), 1)
        p0 = (float(np.exp(intercept)), float(-slope)) + ((const0,) if fit_constant else ())

    def model(x: NDArray[np.float64], a: float, c: float, const: float = 0.0) -> NDArray[np.float64]:
        return a * np.exp(-c * x) + const

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        if fit_constant:
            popt, pcov = curve_fit(model, d, f, p0=p0, sigma=weights, maxfev=20000)
        else:
            popt, pcov = curve_fit(lambda x, a, c: model(x, a, c), d, f, p0=p0[:2], sigma=weights,
                                   maxfev=20000)
    names = ["a", "c", "const"][: popt.size]
    errors = np.sqrt(np.clip(np.diag(pcov), 0, None)) if np.all(np.isfinite(pcov)) \
        else np.full(popt.size, math.inf)
    stderr = dict(zip(names, map(float, errors), strict=True))
    stderr.setdefault("const", 0.0)
    const = float(popt[2]) if fit_constant else 0.0
    fitted = model(d, float(popt[0]), float(popt[1]), const)
    return ExponentialFit(float(popt[0]), float(popt[1]), const, stderr, np.asarray(pcov),
                          _r_squared(f, fitted), int(d.size), fit_constant)


def fit_power_law(d_values: ArrayLike, gaps: ArrayLike) -> PowerLawFit:
    """Fit ``Δ_min(d) = A·d**p`` by least squares on ``log Δ = log A + p·log d``.

    Args:
        d_values: Problem sizes (> 0).
        gaps: Minimum gaps (> 0), e.g. per-size means or medians (the paper's Fig. 7).

    Returns:
        A :class:`PowerLawFit`.

    Raises:
        InvalidArgumentError: For non-positive values, mismatched lengths or fewer than 2
            distinct sizes.

    Example:
        >>> fit = fit_power_law([4, 8, 16, 32], [0.5, 0.25, 0.125, 0.0625])
        >>> round(fit.exponent, 6), round(fit.amplitude, 6), round(fit.time_exponent, 6)
        (-1.0, 2.0, 2.0)
    """
    d, g = _pair(d_values, gaps, "d_values", "gaps", 2)
    if np.any(d <= 0) or np.any(g <= 0):
        raise invalid_argument("gaps", gaps, "sizes and gaps must be positive for a log-log fit",
                               "drop zero gaps (degenerate or failed instances) first")
    if np.unique(d).size < 2:
        raise invalid_argument("d_values", d_values, "needs at least two distinct sizes",
                               "pass gaps for two or more problem sizes")
    x, y = np.log(d), np.log(g)
    coeffs, cov = np.polyfit(x, y, 1, cov=True) if d.size > 3 else (np.polyfit(x, y, 1), None)
    exponent, log_amplitude = float(coeffs[0]), float(coeffs[1])
    if cov is not None and np.all(np.isfinite(cov)):
        e_exp, e_log = math.sqrt(max(cov[0, 0], 0.0)), math.sqrt(max(cov[1, 1], 0.0))
    else:
        e_exp = e_log = math.inf if d.size > 2 else 0.0
    amplitude = math.exp(log_amplitude)
    fitted = log_amplitude + exponent * x
    return PowerLawFit(amplitude, exponent, {"amplitude": amplitude * e_log, "exponent": e_exp},
                       _r_squared(y, fitted), int(d.size))


def landau_zener_probability(min_gap: ArrayLike, sweep_rate: ArrayLike) -> NDArray[np.float64]:
    """Landau–Zener probability of a diabatic transition across an avoided crossing.

    Convention (``ħ = 1``): near the crossing the two levels are those of
    ``H = (v·t/2)·σ_z + (Δ/2)·σ_x``, so ``Δ`` is the minimum gap and ``v`` the rate at which
    the *diabatic* energy difference changes, ``v = |d(E_a - E_b)/dt|``. Then

    ``P = exp(-π·Δ²/(2·v))``.

    (Equivalently ``exp(-2π·a²/v)`` with the coupling ``a = Δ/2``.) For an anneal
    ``s = t/T`` whose diabatic levels cross with slope difference ``k = |d(E_a - E_b)/ds|``,
    ``v = k/T`` (see :func:`sweep_rate`); the fidelity after a single crossing is ``1 - P``.

    Args:
        min_gap: ``Δ`` (>= 0).
        sweep_rate: ``v`` (> 0).

    Returns:
        ``P`` (array, broadcast over the inputs).
    """
    gap = np.asarray(min_gap, dtype=np.float64)
    rate = np.asarray(sweep_rate, dtype=np.float64)
    if np.any(~np.isfinite(gap)) or np.any(gap < 0):
        raise invalid_argument("min_gap", min_gap, "must be finite and >= 0", "pass e.g. min_gap=0.1")
    if np.any(~np.isfinite(rate)) or np.any(rate <= 0):
        raise invalid_argument("sweep_rate", sweep_rate, "must be finite and > 0",
                               "pass e.g. sweep_rate=slope_difference / total_time")
    return np.exp(-np.pi * gap**2 / (2.0 * rate))


def sweep_rate(slope_difference: ArrayLike, total_time: ArrayLike) -> NDArray[np.float64]:
    """``v = |d(E_a - E_b)/ds| / T`` for the linear schedule ``s = t/T``.

    Example:
        >>> float(sweep_rate(2.0, 10.0))
        0.2
    """
    slope = np.abs(np.asarray(slope_difference, dtype=np.float64))
    times = np.asarray(total_time, dtype=np.float64)
    if np.any(~np.isfinite(times)) or np.any(times <= 0):
        raise invalid_argument("total_time", total_time, "must be positive", "pass e.g. total_time=10")
    return slope / times

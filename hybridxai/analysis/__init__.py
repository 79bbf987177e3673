"""Exact physics of the anneal: spectrum, minimum gap, fidelity, fits and coupling statistics.

Everything works on ``H(s) = (1 - s)·H_D + s·H_P`` with ``H_D = -c·Σ_p X_p`` (``c = 1`` for
``driver_scale="unit"``, ``1/d`` for ``"1/d"``) and ``H_P`` the diagonal of the QUBO
(:func:`hybridxai.anneal.ising.basis_energies`, offset included); qubit ``i`` is the
``i``-th variable of the BQM, basis states are little-endian (see
:mod:`hybridxai.anneal.ising`).

* :func:`spectrum` — lowest ``k`` levels along ``s``.
* :func:`min_gap` — ``Δ_min`` and ``s*`` (adaptive search, or a scan of the anneal's time grid;
  ``conventions="authors"`` gives the authors' grid minimum of ``E_1 − E_0``).
* :func:`gap_profile` — ``E_0(s)``, ``E_1(s)``, the gap and ``|<1|∂ₛH|0>|`` on a grid (the
  input of ``schedule="local-adiabatic"``).
* :func:`fidelity_curve` — final ground-state fidelity against the anneal time.
* :func:`fit_exponential`, :func:`fit_power_law`, :func:`landau_zener_probability` — the fits.
* :func:`coupling_statistics` — the ``J`` distribution, Gaussian fit and SK comparison.
* :func:`random_feature_qubo`, :func:`synthetic_feature_maps` — random instances shaped like
  the paper's, for tests, benchmarks and demos; :func:`flip_symmetric_qubo`, their couplings
  alone (the global spin-flip symmetry, whose level crossings give the gap kinks).

The operator and eigensolvers live in :mod:`hybridxai.anneal.operators` and
:mod:`hybridxai.anneal.eigensolvers` (the samplers need them for gap-aware schedules); their
public names are re-exported here.

Every result has a ``.plot(path=None)`` method returning a matplotlib ``Figure`` (Agg canvas,
nothing is displayed) and writing it when ``path`` is given (PNG, or the format its suffix names:
``.pdf``, ``.svg``, ...).

Example:
    >>> import dimod
    >>> from hybridxai.analysis import min_gap
    >>> bqm = dimod.BinaryQuadraticModel({0: -0.7, 1: -0.4}, {(0, 1): 0.3}, 0.0, "BINARY")
    >>> result = min_gap(bqm)
    >>> result.min_gap > 0 and 0 <= result.s_min <= 1
    True
"""

from hybridxai.analysis.couplings import CouplingStatistics, coupling_statistics
from hybridxai.analysis.fidelity import FidelityCurve, fidelity_curve
from hybridxai.analysis.fits import (
    ExponentialFit,
    PowerLawFit,
    fit_exponential,
    fit_power_law,
    landau_zener_probability,
    sweep_rate,
)
from hybridxai.analysis.gap import MinGapResult, gap_at, min_gap, per_step_points
from hybridxai.analysis.instances import flip_symmetric_qubo, random_feature_qubo, synthetic_feature_maps
from hybridxai.analysis.plots import plot_fidelity_vs_size, plot_gap_scaling
from hybridxai.analysis.profile import GapProfileResult, gap_profile
from hybridxai.analysis.spectrum import SpectrumResult, spectrum
from hybridxai.anneal.eigensolvers import Eigenpairs, lowest_eigenpairs
from hybridxai.anneal.operators import (
    AnnealingOperator,
    annealing_matrix,
    annealing_operator,
    driver_sum_csr,
)

__all__ = [
    "AnnealingOperator",
    "annealing_operator",
    "annealing_matrix",
    "driver_sum_csr",
    "Eigenpairs",
    "lowest_eigenpairs",
    "SpectrumResult",
    "spectrum",
    "MinGapResult",
    "min_gap",
    "gap_at",
    "per_step_points",
    "GapProfileResult",
    "gap_profile",
    "FidelityCurve",
    "fidelity_curve",
    "ExponentialFit",
    "PowerLawFit",
    "fit_exponential",
    "fit_power_law",
    "landau_zener_probability",
    "sweep_rate",
    "CouplingStatistics",
    "coupling_statistics",
    "random_feature_qubo",
    "flip_symmetric_qubo",
    "synthetic_feature_maps",
    "plot_fidelity_vs_size",
    "plot_gap_scaling",
]

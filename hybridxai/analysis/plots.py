"""Matplotlib figures of the annealing analysis (headless: Agg canvas, no pyplot, no display).

The result objects are typed ``Any`` here on purpose: the result modules (``gap``, ``spectrum``,
``fidelity``, ``fits``, ``couplings``) call these functions from their ``plot()`` methods, so this
module must not import them back (no import cycle). Each function names the type it reads.

Every function returns the :class:`matplotlib.figure.Figure` and, when ``path`` is given,
writes it there (PNG, or the format the suffix names, e.g. ``.pdf``; parent directories are
created). Pass ``ax`` to draw into an existing
``Axes`` instead (then the figure is that ``Axes``' figure).

Example:
    >>> import numpy as np
    >>> from hybridxai.analysis.fits import fit_exponential
    >>> d = np.arange(4, 16)
    >>> fit = fit_exponential(d, 0.8 * np.exp(-0.3 * d) + 0.1)
    >>> fig = plot_fidelity_vs_size(d, 0.8 * np.exp(-0.3 * d) + 0.1, fit=fit)
    >>> len(fig.axes)
    1
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hybridxai._util.figures import agg_figure, save_figure
from hybridxai.exceptions import invalid_argument

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


__all__ = [
    "new_figure",
    "finish",
    "plot_gap",
    "plot_gap_profile",
    "plot_spectrum",
    "plot_fidelity",
    "plot_fidelity_vs_size",
    "plot_gap_scaling",
    "plot_couplings",
    "excited_level",
]


def new_figure(ax: Axes | None = None, figsize: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    """A new figure on an Agg canvas (or the figure of ``ax``) and the ``Axes`` to draw on.

    Raises:
        InvalidArgumentError: If ``ax`` is neither ``None`` nor one matplotlib ``Axes``.
    """
    if ax is not None:
        from matplotlib.axes import Axes as AxesType

        if not isinstance(ax, AxesType):
            raise invalid_argument("ax", ax, "needs one matplotlib Axes",
                                   "pass e.g. ax=fig.add_subplot(), or leave ax out for a new figure")
        return ax.figure, ax
    fig = agg_figure(figsize)
    return fig, fig.add_subplot(1, 1, 1)


def finish(fig: Figure, path: str | Path | None, dpi: int = 120) -> Figure:
    """Write ``fig`` to ``path`` (if given; PNG or the format its suffix names) and return it."""
    if path is not None:
        save_figure(fig, path, dpi)
    return fig


def plot_gap(result: Any, path: str | Path | None = None, *, ax: Axes | None = None) -> Figure:
    """``Δ(s)`` at the evaluated points, with ``s*`` and ``Δ_min`` marked.

    ``result`` is a :class:`~hybridxai.analysis.gap.MinGapResult`.
    """
    fig, ax = new_figure(ax)
    label = f"{excited_level(result)} - E_0"
    ax.plot(result.s, result.gaps, ".-", lw=1, ms=4, label=f"gap ${label}$ ({result.method})")
    ax.axvline(result.s_min, color="C3", ls="--", lw=1)
    ax.plot([result.s_min], [result.min_gap], "o", color="C3",
            label=f"$\\Delta_{{min}}$ = {result.min_gap:.4g} at $s^*$ = {result.s_min:.4f}")
    ax.set_xlabel("s = t / T")
    ax.set_ylabel("gap")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.set_title(f"Minimum gap, d = {result.num_qubits}, driver scale {result.driver_scale}")
    ax.legend(loc="best", fontsize=8)
    return finish(fig, path)


def plot_gap_profile(result: Any, path: str | Path | None = None, *,
                     ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """``E_0``, ``E_g`` (top) and ``Δ``, ``|<g|∂ₛH|0>|`` (bottom, log scale) along ``s``.

    ``result`` is a :class:`~hybridxai.analysis.profile.GapProfileResult`. The exact end points
    (``result.ends``) extend the energy and gap lines to ``s = 0`` and ``s = 1``; the matrix
    element is not defined there. ``ax``: one ``Axes`` draws the bottom panel (gap and matrix
    element) into it, a pair ``(top, bottom)`` both panels.
    """
    from matplotlib.axes import Axes as AxesType

    if ax is None:
        fig = agg_figure((6.0, 6.0))
        top, bottom = fig.subplots(2, 1, sharex=True)
    else:
        panels = [ax] if isinstance(ax, AxesType) else list(np.ravel(np.array(ax, dtype=object)))
        if (len(panels) not in (1, 2) or not all(isinstance(p, AxesType) for p in panels)
                or (len(panels) == 2 and panels[0] is panels[1])):
            raise invalid_argument("ax", ax, "needs one matplotlib Axes or a pair (top, bottom) of "
                                   "two different ones", "pass ax=fig.subplots(2, 1) or a single Axes")
        top, bottom = (None, panels[0]) if len(panels) == 1 else panels
        fig = bottom.figure
    excited = excited_level(result)
    s, e0, eg, gaps = (_with_ends(result, values, name) for values, name in (
        (result.s, "s"), (result.ground_energies, "e0"), (result.excited_energies, "eg"),
        (result.gaps, "gap")))
    title = f"Gap profile, d = {result.num_qubits}, driver scale {result.driver_scale}"
    if top is not None:
        top.plot(s, e0, lw=1, label="$E_0$")
        top.plot(s, eg, lw=1, label=f"${excited}$")
        top.set_ylabel("energy")
        top.set_title(title)
        top.legend(loc="best", fontsize=8)
    else:
        bottom.set_title(title)
    positive = gaps > 0.0  # E_1 − E_0 of a degenerate H_P is 0 at s = 1: off a log scale
    bottom.semilogy(s[positive], gaps[positive], ".-", lw=1, ms=3, label=f"gap ${excited} - E_0$")
    if not np.isnan(result.couplings).all():  # gap_profile(matrix_elements=False): none
        bottom.semilogy(result.s, result.couplings, ".-", lw=1, ms=3,
                        label=f"$|\\langle {excited[2:]}|\\partial_s H|0\\rangle|$")
    bottom.axvline(result.s_min, color="C3", ls="--", lw=1,
                   label=f"min gap {result.min_gap:.3g} at s = {result.s_min:.3f}")
    bottom.set_xlabel("s = t / T")
    bottom.set_ylabel("gap" if np.isnan(result.couplings).all() else "gap, matrix element")
    bottom.set_xlim(0, 1)
    bottom.legend(loc="best", fontsize=8)
    return finish(fig, path)


def excited_level(result: Any) -> str:
    """The level whose distance to ``E_0`` a gap result holds: ``E_1``, or ``E_g`` for the manifold gap.

    Example:
        >>> from types import SimpleNamespace
        >>> excited_level(SimpleNamespace(degeneracy=2, info={"gap": "lowest-two"}))
        'E_1'
        >>> excited_level(SimpleNamespace(degeneracy=2, info={"gap": "manifold"}))
        'E_2'
    """
    lowest_two = result.info.get("gap") == "lowest-two"
    return "E_1" if result.degeneracy == 1 or lowest_two else f"E_{result.degeneracy}"


def _with_ends(result: Any, values: ArrayLike, name: str) -> NDArray[np.float64]:
    """A profile's ``values`` with its exact end points' ``name`` attribute before and after."""
    if result.ends is None:
        return np.asarray(values, dtype=np.float64)
    start, end = result.ends
    return np.concatenate([[getattr(start, name)], values, [getattr(end, name)]])


def plot_spectrum(result: Any, path: str | Path | None = None, *,
                  ax: Axes | None = None, relative: bool = False) -> Figure:
    """The lowest ``k`` levels along ``s`` (relative to ``E_0`` when ``relative``).

    ``result`` is a :class:`~hybridxai.analysis.spectrum.SpectrumResult`.
    """
    fig, ax = new_figure(ax)
    energies = result.energies - result.energies[:, :1] if relative else result.energies
    for j in range(energies.shape[1]):
        ax.plot(result.s, energies[:, j], lw=1, label=f"$E_{j}$")
    ax.set_xlabel("s = t / T")
    ax.set_ylabel("$E_j - E_0$" if relative else "energy")
    ax.set_title(f"Lowest {energies.shape[1]} levels of H(s), d = {result.num_qubits}")
    if energies.shape[1] <= 8:
        ax.legend(loc="best", fontsize=8)
    return finish(fig, path)


def plot_fidelity(result: Any, path: str | Path | None = None, *,
                  ax: Axes | None = None) -> Figure:
    """Final ground-state fidelity against the anneal time ``T``.

    ``result`` is a :class:`~hybridxai.analysis.fidelity.FidelityCurve`.
    """
    fig, ax = new_figure(ax)
    order = np.argsort(result.total_times, kind="stable")  # times given in any order: one line
    ax.plot(np.asarray(result.total_times)[order], np.asarray(result.fidelities)[order], "o-", lw=1,
            label=result.method)
    ax.axhline(result.initial_overlap, color="0.5", ls=":", lw=1,
               label=f"$|\\langle +|$ground$\\rangle|^2$ = {result.initial_overlap:.3g}")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("anneal time T")
    ax.set_ylabel("fidelity F")
    ax.set_title(f"Ground-state fidelity, d = {result.num_qubits}")
    ax.legend(loc="best", fontsize=8)
    return finish(fig, path)


def plot_fidelity_vs_size(d_values: ArrayLike, fidelities: ArrayLike, *,
                          fit: Any | None = None, errors: ArrayLike | None = None,
                          path: str | Path | None = None, ax: Axes | None = None,
                          label: str = "fidelity") -> Figure:
    """Fidelity against the number of qubits ``d``, with the exponential fit when given."""
    fig, ax = new_figure(ax)
    d = np.asarray(d_values, dtype=np.float64)
    f = np.asarray(fidelities, dtype=np.float64)
    if errors is None:
        ax.plot(d, f, "o", label=label)
    else:
        ax.errorbar(d, f, yerr=np.asarray(errors), fmt="o", capsize=3, label=label)
    if fit is not None:
        grid = np.linspace(d.min(), d.max(), 200)
        ax.plot(grid, fit.predict(grid), "r--", lw=1, label=fit.describe())
    ax.set_xlabel("number of qubits d")
    ax.set_ylabel("fidelity F")
    ax.legend(loc="best", fontsize=8)
    return finish(fig, path)


def plot_gap_scaling(d_values: ArrayLike, gaps: ArrayLike, *, fit: Any | None = None,
                     path: str | Path | None = None, ax: Axes | None = None) -> Figure:
    """``Δ_min`` against ``d`` on log–log axes (the paper's Fig. 7), with a power-law fit."""
    fig, ax = new_figure(ax)
    d = np.asarray(d_values, dtype=np.float64)
    g = np.asarray(gaps, dtype=np.float64)
    ax.loglog(d, g, "o", ms=4, alpha=0.7, label="$\\Delta_{min}$")
    if fit is not None:
        grid = np.geomspace(d.min(), d.max(), 100)
        ax.loglog(grid, fit.predict(grid), "r--", lw=1, label=fit.describe())
    ax.set_xlabel("number of qubits d")
    ax.set_ylabel("$\\Delta_{min}$")
    ax.legend(loc="best", fontsize=8)
    return finish(fig, path)


def plot_couplings(stats: Any, path: str | Path | None = None, *,
                   ax: Axes | None = None, bins: Any = "auto") -> Figure:
    """Histogram of the off-diagonal couplings with the fitted Gaussian overlaid.

    ``stats`` is a :class:`~hybridxai.analysis.couplings.CouplingStatistics`.
    """
    fig, ax = new_figure(ax)
    ax.hist(stats.values, bins=bins, density=True, alpha=0.6, color="C0",
            label=f"couplings (n = {stats.count})")
    lo, hi = float(stats.values.min()), float(stats.values.max())
    pad = 0.1 * (hi - lo if hi > lo else 1.0)
    grid = np.linspace(lo - pad, hi + pad, 300)
    ax.plot(grid, stats.gaussian_pdf(grid), "r-", lw=1.5,
            label=f"Gaussian fit: μ = {stats.fit_mean:.3g}, σ = {stats.fit_std:.3g}")
    ax.set_xlabel("coupling J")
    ax.set_ylabel("density")
    ax.set_title(f"Couplings: skew {stats.skewness:.2f}, excess kurtosis {stats.kurtosis:.2f}, "
                 f"normality p = {stats.normality_pvalue:.2g}", fontsize=9)
    ax.legend(loc="best", fontsize=8)
    return finish(fig, path)

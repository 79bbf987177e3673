"""The paper's figures, drawn from reproduction records.

Each function returns a :class:`matplotlib.figure.Figure` made by
:func:`hybridxai._util.figures.agg_figure` (the one figure stack of the package, shared with
:mod:`hybridxai.analysis.plots`); the report writes it with
:func:`hybridxai._util.figures.save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hybridxai._util.figures import agg_figure
from hybridxai.reproduce.config import TABLE_FILTERS
from hybridxai.reproduce.records import PhysicsRecord
from hybridxai.reproduce.summary import BetaCurve, by_size, quartiles, with_measures

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "beta_figure", "gap_histogram_figure", "fidelity_time_figure", "fidelity_size_figure",
    "gap_size_figure", "s_star_figure", "coupling_figure", "conventions_figure", "time_to_fidelity_figure",
]


def beta_figure(sweep: BetaCurve, full: BetaCurve | None = None) -> Figure:
    """Fig. 3: Average Drop and the selected fraction vs beta."""
    fig = agg_figure((9, 3.6))
    left, right = fig.subplots(1, 2)
    restricted = f"restricted N_f={TABLE_FILTERS} (exact)"
    left.plot(sweep.beta, sweep.average_drop, "o-", label=restricted)
    right.plot(sweep.beta, sweep.fraction_selected, "o-", label=restricted)
    if full is not None:
        left.plot(full.beta, full.average_drop, "s--", label="full model (SA)")
        right.plot(full.beta, full.fraction_selected, "s--", label="full model (SA)")
    left.set(xlabel="beta", ylabel="Average Drop %", title="Average Drop vs beta")
    right.set(xlabel="beta", ylabel="mean |S| / d", title="Selected fraction vs beta", ylim=(0, 1.05))
    left.legend()
    right.legend()
    return fig


def gap_histogram_figure(gaps: dict[int, Sequence[float]]) -> Figure:
    """Fig. 4: histogram and cumulative distribution of the minimum gap, per N_f."""
    fig = agg_figure((9, 3.6))
    hist, cum = fig.subplots(1, 2)
    every = np.concatenate([np.asarray(v, float) for v in gaps.values() if len(v)]) if gaps else np.zeros(0)
    bins = np.linspace(0, max(float(every.max()) if every.size else 1.0, 1e-3) * 1.05, 30)
    for nf, values in gaps.items():
        v = np.sort(np.asarray(values, float))
        if not v.size:
            continue
        hist.hist(v, bins=bins, alpha=0.5, label=f"N_f={nf}")
        cum.plot(v, np.arange(1, v.size + 1) / v.size, label=f"N_f={nf}")
    hist.set(xlabel="Δ_min", ylabel="images", title="Minimum gap")
    cum.set(xlabel="Δ_min", ylabel="P(gap ≤ Δ)", title="Cumulative", ylim=(0, 1.02))
    hist.legend()
    cum.legend()
    return fig


def fidelity_time_figure(records: Sequence[PhysicsRecord], class_names: Sequence[str]) -> Figure:
    """Fig. 5 (top): median final fidelity vs anneal time per class, with quartile bars."""
    fig = agg_figure((7.5, 4.2))
    ax = fig.subplots()
    measured = with_measures(records)
    if measured:
        times = np.asarray(measured[0][1].total_times, float)
        for c, name in enumerate(class_names):
            rows = [m.fidelity for r, m in measured if r.label == c]
            if not rows:
                continue
            q = np.array([quartiles(col) for col in np.asarray(rows).T])
            ax.errorbar(times + 0.4 * (c - 4.5), q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]],
                        fmt="o-", capsize=2, label=name)
    ax.set(xlabel="anneal time T", ylabel="median fidelity", ylim=(0, 1.02),
           title=f"Final ground-state fidelity vs T (N_f = {TABLE_FILTERS})")
    ax.legend(fontsize=7, ncol=2)
    return fig


def fidelity_size_figure(records: Sequence[PhysicsRecord], fit: Any | None) -> Figure:
    """Fig. 5 (bottom): fidelity vs d per anneal time, quartile bars, exponential fit at small T."""
    fig = agg_figure((7.5, 4.2))
    _fidelity_size(fig.subplots(), records, fit)
    return fig


def _fidelity_size(ax: Any, records: Sequence[PhysicsRecord], fit: Any | None) -> None:
    measured = with_measures(records)
    if measured:
        times = measured[0][1].total_times
        for k, t in enumerate(times):
            groups = by_size(records, lambda m, k=k: m.fidelity[k])
            ds = np.array(list(groups))
            q = np.array([quartiles(v) for v in groups.values()])
            ax.errorbar(ds, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o", capsize=2,
                        label=f"T={t:g}")
        if fit is not None:
            grid = np.linspace(min(r.d for r, _ in measured), max(r.d for r, _ in measured), 100)
            ax.plot(grid, fit.predict(grid), "k--", label=f"fit at T={times[0]:g}: {fit.describe()}")
    ax.set(xlabel="number of qubits d", ylabel="median fidelity", ylim=(0, 1.02),
           title="Final fidelity vs problem size")
    ax.legend(fontsize=7)


def gap_size_figure(records: Sequence[PhysicsRecord], fit: Any | None, hardest: int = 3) -> Figure:
    """Fig. 7: minimum gap vs d (median, quartiles), power-law fit, hardest instances marked."""
    fig = agg_figure((7.5, 4.2))
    _gap_size(fig.subplots(), records, fit, hardest)
    return fig


def _gap_size(ax: Any, records: Sequence[PhysicsRecord], fit: Any | None, hardest: int = 3) -> None:
    measured = with_measures(records)
    if measured:
        ax.scatter([r.d for r, _ in measured], [m.min_gap for _, m in measured], s=8, alpha=0.35,
                   label="instances")
        groups = by_size(records, lambda m: m.min_gap)
        ds = np.array(list(groups))
        q = np.array([quartiles(v) for v in groups.values()])
        ax.errorbar(ds, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o-", capsize=3,
                    color="C1", label="median and quartiles")
        worst = sorted(measured, key=lambda pair: pair[1].min_gap)[:hardest]
        ax.scatter([r.d for r, _ in worst], [m.min_gap for _, m in worst], s=80, facecolors="none",
                   edgecolors="red", label=f"{hardest} hardest")
        if fit is not None:
            grid = np.linspace(max(1, ds.min()), ds.max(), 100)
            ax.plot(grid, fit.predict(grid), "k--", label=f"power law: {fit.describe()}")
    ax.set(xlabel="number of qubits d", ylabel="Δ_min", yscale="log", title="Minimum gap vs d")
    ax.legend(fontsize=7)


def conventions_figure(kind: str, panels: dict[str, tuple[Sequence[PhysicsRecord], Any | None]]) -> Figure:
    """Fig. 5 (bottom) or Fig. 7 under each set of conventions, side by side, on shared axes.

    Args:
        kind: ``"fidelity"`` (fidelity vs d per anneal time) or ``"gap"`` (Δ_min vs d).
        panels: ``{conventions: (records with those conventions' measures, fit or None)}``,
            drawn left to right.

    Returns:
        The figure (one panel per entry, shared ``y`` axis).
    """
    fig = agg_figure((6.5 * max(1, len(panels)), 4.2))
    axes = np.atleast_1d(fig.subplots(1, max(1, len(panels)), sharey=True))
    for ax, (name, (records, fit)) in zip(axes, panels.items(), strict=False):
        if kind == "gap":
            _gap_size(ax, records, fit)
        else:
            _fidelity_size(ax, records, fit)
        ax.set_title(f"{ax.get_title()} — conventions={name!r}")
    return fig


def time_to_fidelity_figure(times: dict[str, dict[int, float]], fits: dict[str, dict[str, Any]],
                            target: float = 0.9) -> Figure:
    """The median anneal time reaching fidelity ``target`` vs d, per conventions, with the fits.

    Args:
        times: ``{conventions: {d: median T}}``.
        fits: ``{conventions: {"power": fit or None, "exponential": fit or None}}``.
        target: The fidelity reached.
    """
    fig = agg_figure((7.5, 4.2))
    ax = fig.subplots()
    for k, (name, by_d) in enumerate(times.items()):
        if not by_d:
            continue
        ds = np.array(list(by_d), float)
        ax.plot(ds, list(by_d.values()), "o", color=f"C{k}", label=f"{name}: median T")
        grid = np.linspace(ds.min(), ds.max(), 100)
        for style, key in (("--", "power"), (":", "exponential")):
            fit = fits.get(name, {}).get(key)
            if fit is not None:
                ax.plot(grid, fit.predict(grid), style, color=f"C{k}",
                        label=f"{name} {key}: {fit.describe()}")
    ax.set(xlabel="number of qubits d", ylabel=f"T with fidelity ≥ {target:g}", yscale="log",
           title=f"Anneal time needed for fidelity ≥ {target:g}")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6)
    else:
        ax.text(0.5, 0.5, f"no size where most instances reach fidelity {target:g}",
                ha="center", va="center", transform=ax.transAxes)
    return fig


def s_star_figure(records: Sequence[PhysicsRecord]) -> Figure:
    """Fig. 8: distribution of the location s* of the minimum gap."""
    fig = agg_figure((6, 3.6))
    ax = fig.subplots()
    values = [m.s_min for _, m in with_measures(records)]
    ax.hist(values, bins=np.linspace(0, 1, 26))
    ax.set(xlabel="s*", ylabel="instances", title="Where the gap is smallest", xlim=(0, 1))
    return fig


def coupling_figure(couplings: dict[int, Sequence[float]]) -> Figure:
    """Histograms of the couplings J per N_f, with the fitted Gaussian (paper Fig. 5, bottom)."""
    from scipy import stats

    fig = agg_figure((4 * max(1, len(couplings)), 3.4))
    axes = np.atleast_1d(fig.subplots(1, max(1, len(couplings))))
    for ax, (nf, values) in zip(axes, couplings.items(), strict=False):
        v = np.asarray(values, float)
        if v.size < 2:
            continue
        ax.hist(v, bins=40, density=True, alpha=0.6)
        mu, sigma = float(v.mean()), float(v.std())
        grid = np.linspace(v.min(), v.max(), 200)
        if sigma > 0:
            ax.plot(grid, stats.norm.pdf(grid, mu, sigma), "k-")
        ax.set(title=f"N_f={nf}: μ={mu:.3f}, σ={sigma:.3f}", xlabel="J_pq", ylabel="density")
    return fig

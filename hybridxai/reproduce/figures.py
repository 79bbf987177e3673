"""The paper's figures, drawn from reproduction records (matplotlib object API, PNG files)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from hybridxai.reproduce.summary import physics_by_d, quartiles

__all__ = [
    "beta_figure", "gap_histogram_figure", "fidelity_time_figure", "fidelity_size_figure",
    "gap_size_figure", "s_star_figure", "coupling_figure", "save",
]


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, format="png")
    return path


def beta_figure(sweep: dict[str, list[float]], full: dict[str, list[float]] | None = None) -> Figure:
    """Fig. 3: Average Drop and the selected fraction vs beta."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot(sweep["beta"], sweep["average_drop"], "o-", label="restricted N_f=16 (exact)")
    right.plot(sweep["beta"], sweep["fraction_selected"], "o-", label="restricted N_f=16 (exact)")
    if full:
        left.plot(full["beta"], full["average_drop"], "s--", label="full model (SA)")
        right.plot(full["beta"], full["fraction_selected"], "s--", label="full model (SA)")
    left.set(xlabel="beta", ylabel="Average Drop %", title="Average Drop vs beta")
    right.set(xlabel="beta", ylabel="mean |S| / d", title="Selected fraction vs beta", ylim=(0, 1.05))
    left.legend()
    right.legend()
    return fig


def gap_histogram_figure(gaps: dict[int, Sequence[float]]) -> Figure:
    """Fig. 4: histogram and cumulative distribution of the minimum gap, per N_f."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
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


def fidelity_time_figure(records: Sequence[dict[str, Any]], class_names: Sequence[str]) -> Figure:
    """Fig. 5 (top): median final fidelity vs anneal time per class, with quartile bars."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    with_fid = [r for r in records if "fidelity" in r]
    if with_fid:
        times = np.asarray(with_fid[0]["total_times"], float)
        for c, name in enumerate(class_names):
            rows = [r["fidelity"] for r in with_fid if r["label"] == c]
            if not rows:
                continue
            q = np.array([quartiles(col) for col in np.asarray(rows).T])
            ax.errorbar(times + 0.4 * (c - 4.5), q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]],
                        fmt="o-", capsize=2, label=name)
    ax.set(xlabel="anneal time T", ylabel="median fidelity", ylim=(0, 1.02),
           title="Final ground-state fidelity vs T (N_f = 16)")
    ax.legend(fontsize=7, ncol=2)
    return fig


def fidelity_size_figure(records: Sequence[dict[str, Any]], fit: Any | None) -> Figure:
    """Fig. 5 (bottom): fidelity vs d per anneal time, quartile bars, exponential fit at small T."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    with_fid = [r for r in records if "fidelity" in r]
    if with_fid:
        times = with_fid[0]["total_times"]
        for k, t in enumerate(times):
            groups = physics_by_d(with_fid, "fidelity", k)
            ds = np.array(list(groups))
            q = np.array([quartiles(v) for v in groups.values()])
            ax.errorbar(ds, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o", capsize=2,
                        label=f"T={t:g}")
        if fit is not None:
            grid = np.linspace(min(r["d"] for r in with_fid), max(r["d"] for r in with_fid), 100)
            ax.plot(grid, fit.predict(grid), "k--", label=f"fit at T={times[0]:g}: {fit.describe()}")
    ax.set(xlabel="number of qubits d", ylabel="median fidelity", ylim=(0, 1.02),
           title="Final fidelity vs problem size")
    ax.legend(fontsize=7)
    return fig


def gap_size_figure(records: Sequence[dict[str, Any]], fit: Any | None, hardest: int = 3) -> Figure:
    """Fig. 7: minimum gap vs d (median, quartiles), power-law fit, hardest instances marked."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    with_gap = [r for r in records if "min_gap" in r]
    if with_gap:
        ax.scatter([r["d"] for r in with_gap], [r["min_gap"] for r in with_gap], s=8, alpha=0.35,
                   label="instances")
        groups = physics_by_d(with_gap, "min_gap")
        ds = np.array(list(groups))
        q = np.array([quartiles(v) for v in groups.values()])
        ax.errorbar(ds, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o-", capsize=3,
                    color="C1", label="median and quartiles")
        worst = sorted(with_gap, key=lambda r: r["min_gap"])[:hardest]
        ax.scatter([r["d"] for r in worst], [r["min_gap"] for r in worst], s=80, facecolors="none",
                   edgecolors="red", label=f"{hardest} hardest")
        if fit is not None:
            grid = np.linspace(max(1, ds.min()), ds.max(), 100)
            ax.plot(grid, fit.predict(grid), "k--", label=f"power law: {fit.describe()}")
    ax.set(xlabel="number of qubits d", ylabel="Δ_min", yscale="log", title="Minimum gap vs d")
    ax.legend(fontsize=7)
    return fig


def s_star_figure(records: Sequence[dict[str, Any]]) -> Figure:
    """Fig. 8: distribution of the location s* of the minimum gap."""
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.subplots()
    values = [r["s_min"] for r in records if "s_min" in r]
    ax.hist(values, bins=np.linspace(0, 1, 26))
    ax.set(xlabel="s*", ylabel="instances", title="Where the gap is smallest", xlim=(0, 1))
    return fig


def coupling_figure(couplings: dict[int, Sequence[float]]) -> Figure:
    """Histograms of the couplings J per N_f, with the fitted Gaussian (paper Fig. 5, bottom)."""
    from scipy import stats

    fig = Figure(figsize=(4 * max(1, len(couplings)), 3.4), layout="constrained")
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

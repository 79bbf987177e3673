"""Assemble ``report.md`` and the PNG figures from the records of a reproduction run."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hybridxai._util.fileio import to_jsonable, versions
from hybridxai.backends.sa.sampler import DEFAULT_NUM_READS, DEFAULT_NUM_SWEEPS
from hybridxai.metrics import plot_class_map
from hybridxai.reproduce import figures
from hybridxai.reproduce.config import ReproduceConfig
from hybridxai.reproduce.store import RecordStore
from hybridxai.reproduce.summary import (
    MethodScores,
    beta_sweep,
    class_map,
    physics_by_d,
    quartiles,
    score_methods,
)

__all__ = ["write_report"]


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"


def _table(scores: Sequence[MethodScores], classes: Sequence[str]) -> list[str]:
    lines = ["| class | " + " | ".join(s.name for s in scores) + " |", "|---|" + "---|" * len(scores)]
    for c, name in enumerate(classes):
        lines.append(f"| {c} {name} | " + " | ".join(_fmt(s.per_class[c]) for s in scores) + " |")
    lines.append("| **Average Drop %** | " + " | ".join(f"**{_fmt(s.average_drop)}**" for s in scores) + " |")
    lines.append("| Increase in Confidence % | " + " | ".join(_fmt(s.increase) for s in scores) + " |")
    lines.append("| mean \\|S\\|/d | " + " | ".join(_fmt(s.fraction_selected) for s in scores) + " |")
    lines.append("| images | " + " | ".join(str(s.count) for s in scores) + " |")
    return lines


def _fit_or_none(kind: str, x: Sequence[float], y: Sequence[float]) -> Any:
    from hybridxai.analysis import fit_exponential, fit_power_law

    if len(set(x)) < 3:
        return None
    try:
        return fit_exponential(x, y) if kind == "exp" else fit_power_law(x, y)
    except (RuntimeError, ValueError):
        return None


def _sa_selection(beta: str) -> Any:
    """``record -> (|S|, d)`` for the SA selection at one beta."""
    return lambda r: (len(r["sa"][beta]["selected"]), r["sa"][beta]["d"])


def _fit_dict(fit: Any) -> dict[str, Any] | None:
    if fit is None:
        return None
    return {k: v for k, v in vars(fit).items() if not isinstance(v, np.ndarray)}


def write_report(
    out: Path, config: ReproduceConfig, store: RecordStore, classes: Sequence[str], elapsed: dict[str, float]
) -> Path:
    """Write ``report.md``, the figures and ``summary.json`` into ``out``; return the report path."""
    fig_dir = out / "figures"
    restricted = list(store.iter_all("restricted16"))
    full = list(store.iter_all("full"))
    physics = {nf: list(store.iter_all(f"physics{nf}")) for nf in config.num_filters}
    n_classes = len(classes)
    lines: list[str] = [
        f"# Reproduction on {config.dataset} ({config.backbone} backbone)",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M:%S')} by `hybridxai reproduce`"
        f"{' --quick' if config.quick else ''}. Settings (all numbers below depend only on these):",
        "",
        "```json",
        json.dumps(config.to_dict(), indent=1),
        "```",
        "",
        f"Test images: {config.per_class} per class drawn with seed {config.seed} from the official "
        "test split (never used to train the heads). Each image is explained for its true class. "
        "Y is the softmax probability of that class on the image, O the same on the image "
        "multiplied by the map in [0, 1] pixel space before normalisation (design.md §2).",
        "",
    ]
    summary: dict[str, Any] = {"settings": config.to_dict(), "versions": versions(), "elapsed_s": elapsed}

    # Table 1 -------------------------------------------------------------------------------
    sel_qa = {"qa": lambda r: (len(r["qa"]["selected"]), r["qa"]["d"])}
    scores_r = score_methods(
        restricted,
        {"gradcam": "GradCAM", "gradcam_pp": "GradCAM++", "qa": f"QA-GradCAM β={config.qa_beta:g}"},
        n_classes,
        sel_qa,
    )
    sa_keys = {f"sa:{b:g}": f"SA-GradCAM β={b:g}" for b in config.sa_betas}
    sel_sa = {k: _sa_selection(k.split(":")[1]) for k in sa_keys}
    scores_f = score_methods(
        full, {"gradcam": "GradCAM", "gradcam_pp": "GradCAM++", **sa_keys}, n_classes, sel_sa
    )
    qa_fid = [r["qa"]["fidelity"] for r in restricted]
    qa_opt = [r["qa"]["optimal"] for r in restricted]
    lines += [
        "## Table 1 — Average Drop % per class (lower is better)",
        "",
        f"Restricted model, N_f = 16 maps at `head.conv`: the annealing selection is the lowest-energy "
        f"of d² samples of the final state of a digitized anneal (native statevector backend, "
        f"T = {config.selection_time:g}, dt = {config.time_step:g}, linear schedule, driver "
        f"`{config.driver_scale}`, seed {config.seed}), at most {config.max_qubits} qubits. Median "
        f"fidelity of those anneals: {_fmt(float(np.median(qa_fid)) if qa_fid else None)}; the "
        f"selection was the exact optimum for {sum(qa_opt)}/{len(qa_opt)} images.",
        "",
        *_table(scores_r, classes),
        "",
        f"Full model (all {full[0]['num_feature_maps'] if full else '?'} maps of the last block, "
        f"global average pooling, linear head): SA (numba engine, {DEFAULT_NUM_READS} reads, "
        f"{DEFAULT_NUM_SWEEPS} sweeps, "
        f"steepest-descent polish, seed {config.seed}) on all positive maps.",
        "",
        *_table(scores_f, classes),
        "",
    ]
    summary["table1"] = {"restricted": [s.__dict__ for s in scores_r], "full": [s.__dict__ for s in scores_f]}

    # Fig. 2 ---------------------------------------------------------------------------------
    bc_r = (
        class_map([r["qa"]["selected"] for r in restricted], [r["label"] for r in restricted], 16, n_classes)
        if restricted
        else None
    )
    top_beta = max(config.sa_betas)
    bc_f = (
        class_map(
            [r["sa"][f"{top_beta:g}"]["selected"] for r in full],
            [r["label"] for r in full],
            full[0]["num_feature_maps"],
            n_classes,
        )
        if full
        else None
    )
    lines += ["## Fig. 2 — class–class maps (Bhattacharyya coefficient of the selected-map histograms)", ""]
    for name, matrix, title in (
        ("fig2_restricted_qa.png", bc_r, f"Restricted N_f=16, QA β={config.qa_beta:g}"),
        ("fig2_full_sa.png", bc_f, f"Full model, SA β={top_beta:g}"),
    ):
        if matrix is None:
            continue
        fig = plot_class_map(matrix, list(classes), title=title)
        figures.save(fig, fig_dir / name)
        off = matrix[~np.eye(n_classes, dtype=bool)]
        order = np.dstack(
            np.unravel_index(np.argsort(-np.nan_to_num(np.triu(matrix, 1)), axis=None), matrix.shape)
        )[0][:3]
        pairs = ", ".join(f"{classes[i]}–{classes[j]} {matrix[i, j]:.2f}" for i, j in order)
        lines += [
            f"![{title}](figures/{name})",
            "",
            f"{title}: mean off-diagonal {np.nanmean(off):.3f}, "
            f"{int(np.sum(off > 0.05) // 2)} of {n_classes * (n_classes - 1) // 2} pairs above 0.05; "
            f"largest overlaps: {pairs}.",
            "",
        ]
    summary["fig2"] = {"restricted_qa": bc_r, "full_sa": bc_f}

    # Fig. 3 ---------------------------------------------------------------------------------
    sweep = beta_sweep(restricted, config.sweep_betas) if restricted else None
    full_sweep = (
        {
            "beta": [float(b) for b in config.sa_betas],
            "average_drop": [s.average_drop for s in scores_f[2:]],
            "fraction_selected": [s.fraction_selected or 0.0 for s in scores_f[2:]],
        }
        if full
        else None
    )
    if sweep:
        figures.save(figures.beta_figure(sweep, full_sweep), fig_dir / "fig3_beta.png")
        lines += [
            "## Fig. 3 — Average Drop and selected fraction vs beta",
            "",
            "Restricted N_f = 16 model solved exactly at each beta (the ground state the anneal "
            "targets); full model with SA.",
            "",
            "![beta sweep](figures/fig3_beta.png)",
            "",
            "| beta | " + " | ".join(f"{b:g}" for b in sweep["beta"]) + " |",
            "|---|" + "---|" * len(sweep["beta"]),
            "| Average Drop % | " + " | ".join(_fmt(v) for v in sweep["average_drop"]) + " |",
            "| mean \\|S\\|/d | " + " | ".join(_fmt(v) for v in sweep["fraction_selected"]) + " |",
            "",
        ]
    summary["fig3"] = {"restricted": sweep, "full": full_sweep}

    # Physics ----------------------------------------------------------------------------------
    every = [r for rs in physics.values() for r in rs]
    gaps = {nf: [r["min_gap"] for r in rs if "min_gap" in r] for nf, rs in physics.items()}
    lines += [
        "## Annealing physics",
        "",
        f"Each image's QUBO at β = {config.qa_beta:g} (at most {config.max_qubits} qubits), "
        f"H(s) = (1−s)·H_D + s·H_P with H_D = −ΣX ({config.driver_scale}); Δ_min and s* from "
        "`hybridxai.analysis.min_gap` (adaptive, exact to 1e-6); final fidelities from the "
        f"native annealer with dt = {config.time_step:g}.",
        "",
    ]
    if any(gaps.values()):
        figures.save(figures.gap_histogram_figure(gaps), fig_dir / "fig4_gap_histogram.png")
        all_gaps = np.concatenate([np.asarray(v) for v in gaps.values() if v])
        lines += [
            "### Fig. 4 — distribution of the minimum gap",
            "",
            "![gap histogram](figures/fig4_gap_histogram.png)",
            "",
            "| N_f | instances | median Δ_min | q25 | q75 | min | P(Δ_min < 0.01) |",
            "|---|---|---|---|---|---|---|",
        ]
        for nf, v in gaps.items():
            if v:
                q = quartiles(v)
                lines.append(
                    f"| {nf} | {len(v)} | {_fmt(q[1])} | {_fmt(q[0])} | {_fmt(q[2])} | "
                    f"{_fmt(min(v))} | {_fmt(float(np.mean(np.asarray(v) < 0.01)))} |"
                )
        lines += [
            "",
            f"Over all {all_gaps.size} instances the median gap is {_fmt(float(np.median(all_gaps)))}.",
            "",
        ]
    restricted_physics = physics.get(16, [])
    if any("fidelity" in r for r in restricted_physics):
        figures.save(
            figures.fidelity_time_figure(restricted_physics, classes), fig_dir / "fig5_fidelity_time.png"
        )
        with_fid = [r for r in every if "fidelity" in r]
        groups = physics_by_d(with_fid, "fidelity", 0)
        fit = _fit_or_none(
            "exp", [d for d, v in groups.items() for _ in v], [x for v in groups.values() for x in v]
        )
        figures.save(figures.fidelity_size_figure(with_fid, fit), fig_dir / "fig5_fidelity_size.png")
        times = with_fid[0]["total_times"]
        med = [float(np.median([r["fidelity"][k] for r in with_fid])) for k in range(len(times))]
        lines += [
            "### Fig. 5 — final fidelity vs anneal time and vs problem size",
            "",
            "![fidelity vs T](figures/fig5_fidelity_time.png)",
            "",
            "![fidelity vs d](figures/fig5_fidelity_size.png)",
            "",
            "| T | " + " | ".join(f"{t:g}" for t in times) + " |",
            "|---|" + "---|" * len(times),
            "| median fidelity (all N_f) | " + " | ".join(_fmt(m) for m in med) + " |",
            "",
            (
                f"Exponential fit of fidelity vs d at T = {times[0]:g}: {fit.describe()}."
                if fit is not None
                else "Too few distinct d for the exponential fit."
            ),
            "",
        ]
        summary["fig5"] = {"total_times": times, "median_fidelity": med, "fit": _fit_dict(fit)}
    with_gap = [r for r in every if "min_gap" in r]
    if with_gap:
        groups = physics_by_d(with_gap, "min_gap")
        med_d = list(groups)
        fit = _fit_or_none("power", med_d, [float(np.median(v)) for v in groups.values()])
        figures.save(figures.gap_size_figure(with_gap, fit), fig_dir / "fig7_gap_vs_d.png")
        figures.save(figures.s_star_figure(with_gap), fig_dir / "fig8_s_star.png")
        hardest = sorted(with_gap, key=lambda r: r["min_gap"])[:3]
        s_values = [r["s_min"] for r in with_gap]
        lines += [
            "### Fig. 7 — minimum gap vs d",
            "",
            "![gap vs d](figures/fig7_gap_vs_d.png)",
            "",
            (
                f"Power-law fit of the median gap: {fit.describe()}."
                if fit is not None
                else "Too few distinct d for the power-law fit."
            ),
            "Hardest instances: "
            + ", ".join(
                f"image {r['position']} ({classes[r['label']]}, N_f={r['num_filters']}, d={r['d']}, "
                f"Δ_min={r['min_gap']:.3g} at s*={r['s_min']:.3f})"
                for r in hardest
            )
            + ".",
            "",
            "### Fig. 8 — location of the minimum gap",
            "",
            "![s*](figures/fig8_s_star.png)",
            "",
            f"s*: median {_fmt(float(np.median(s_values)))}, quartiles "
            f"{_fmt(quartiles(s_values)[0])}–{_fmt(quartiles(s_values)[2])}.",
            "",
        ]
        summary["fig7"] = {"fit": _fit_dict(fit)}
    couplings = {nf: [j for r in rs for j in r["J"]] for nf, rs in physics.items()}
    if any(len(v) > 1 for v in couplings.values()):
        figures.save(figures.coupling_figure(couplings), fig_dir / "couplings.png")
        lines += [
            "### Couplings J per N_f",
            "",
            "![couplings](figures/couplings.png)",
            "",
            "| N_f | pairs | mean | std | skewness | excess kurtosis |",
            "|---|---|---|---|---|---|",
        ]
        from scipy import stats

        for nf, v in couplings.items():
            if len(v) > 3:
                a = np.asarray(v)
                lines.append(
                    f"| {nf} | {a.size} | {a.mean():.3f} | {a.std():.3f} | "
                    f"{stats.skew(a):.2f} | {stats.kurtosis(a):.2f} |"
                )
        lines.append("")
    lines += ["## Run", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in elapsed.items()]
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()), ""]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(to_jsonable(summary), indent=1), encoding="utf-8")
    return report

"""Assemble ``report.md``, the PNG figures and ``summary.json`` from the records of a reproduction run.

The report is a list of sections (:data:`SECTIONS`), one function per table or figure. Each
reads the typed records (:class:`ReportInputs`), writes its figures and returns its Markdown
lines and its part of ``summary.json`` (:class:`Section`); :func:`write_report` joins them in
order. Stage names and method keys come from the configuration
(:class:`~hybridxai.reproduce.config.ReproduceConfig`, :mod:`hybridxai.reproduce.records`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hybridxai._util.figures import save_png
from hybridxai._util.fileio import to_jsonable, versions, write_atomic
from hybridxai.backends.sa.sampler import DEFAULT_NUM_READS, DEFAULT_NUM_SWEEPS
from hybridxai.metrics import plot_class_map
from hybridxai.reproduce import figures
from hybridxai.reproduce.config import FULL_STAGE, TABLE_FILTERS, ReproduceConfig
from hybridxai.reproduce.records import (
    BASELINES,
    QA,
    FullRecord,
    PhysicsMeasures,
    PhysicsRecord,
    RestrictedRecord,
    beta_key,
    sa_method,
)
from hybridxai.reproduce.store import RecordStore
from hybridxai.reproduce.summary import (
    BetaCurve,
    MethodScores,
    beta_sweep,
    by_size,
    class_map,
    quartiles,
    score_methods,
    with_measures,
)

__all__ = ["write_report", "ReportInputs", "Section", "SECTIONS", "restricted_methods", "full_methods"]


def restricted_methods(config: ReproduceConfig) -> dict[str, str]:
    """The maps scored on the restricted model, method key → table label."""
    return {**BASELINES, QA: f"QA-GradCAM β={config.qa_beta:g}"}


def full_methods(config: ReproduceConfig) -> dict[str, str]:
    """The maps scored on the full model, method key → table label."""
    return {**BASELINES, **{sa_method(b): f"SA-GradCAM β={b:g}" for b in config.sa_betas}}


@dataclass(frozen=True)
class ReportInputs:
    """Everything the sections read: the settings, the typed records and the scores.

    Attributes:
        config: The settings of the run.
        classes: Class names.
        elapsed: Seconds per stage.
        figure_dir: Folder of the PNG figures.
        restricted: Records of the restricted stage (:attr:`ReproduceConfig.restricted_stage`).
        full: Records of the full stage.
        physics: Records of each physics stage, by ``N_f``.
        restricted_scores: Table 1 scores of :func:`restricted_methods`, by method key.
        full_scores: Table 1 scores of :func:`full_methods`, by method key.
    """

    config: ReproduceConfig
    classes: Sequence[str]
    elapsed: dict[str, float]
    figure_dir: Path
    restricted: list[RestrictedRecord]
    full: list[FullRecord]
    physics: dict[int, list[PhysicsRecord]]
    restricted_scores: dict[str, MethodScores] = field(repr=False)
    full_scores: dict[str, MethodScores] = field(repr=False)

    @classmethod
    def load(cls, out: Path, config: ReproduceConfig, store: RecordStore, classes: Sequence[str],
             elapsed: dict[str, float]) -> ReportInputs:
        """Read the records of every stage of ``config`` from ``store`` and score Table 1."""
        restricted = [RestrictedRecord.from_dict(r) for r in store.iter_all(config.restricted_stage)]
        full = [FullRecord.from_dict(r) for r in store.iter_all(FULL_STAGE)]
        physics = {nf: [PhysicsRecord.from_dict(r) for r in store.iter_all(stage)]
                   for nf, stage in config.physics_stages.items()}
        return cls(config, classes, elapsed, out / "figures", restricted, full, physics,
                   score_methods(restricted, restricted_methods(config), len(classes)),
                   score_methods(full, full_methods(config), len(classes)))

    @property
    def measured(self) -> list[tuple[PhysicsRecord, PhysicsMeasures]]:
        """Physics records of every ``N_f`` that have measures (``d`` > 0), with their measures."""
        return with_measures([r for rs in self.physics.values() for r in rs])


@dataclass(frozen=True)
class Section:
    """One part of the report.

    Attributes:
        lines: Its Markdown lines.
        summary: Its entries of ``summary.json``.
    """

    lines: list[str]
    summary: dict[str, Any] = field(default_factory=dict)


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


def _fit_dict(fit: Any) -> dict[str, Any] | None:
    if fit is None:
        return None
    return {k: v for k, v in vars(fit).items() if not isinstance(v, np.ndarray)}


def _header(data: ReportInputs) -> Section:
    """Title, settings and how the images were chosen."""
    config = data.config
    lines = [
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
    return Section(lines, {"settings": config.to_dict(), "versions": versions(), "elapsed_s": data.elapsed})


def _table1(data: ReportInputs) -> Section:
    """Table 1: Average Drop per class of every method, restricted and full model."""
    config, restricted, full = data.config, data.restricted, data.full
    qa_fid = [r.qa.fidelity for r in restricted]
    qa_opt = [r.qa.optimal for r in restricted]
    scores_r, scores_f = list(data.restricted_scores.values()), list(data.full_scores.values())
    lines = [
        "## Table 1 — Average Drop % per class (lower is better)",
        "",
        f"Restricted model, N_f = {TABLE_FILTERS} maps at `head.conv`: the annealing selection is the "
        f"lowest-energy of d² samples of the final state of a digitized anneal (native statevector backend, "
        f"T = {config.selection_time:g}, dt = {config.time_step:g}, linear schedule, driver "
        f"`{config.driver_scale}`, seed {config.seed}), at most {config.max_qubits} qubits. Median "
        f"fidelity of those anneals: {_fmt(float(np.median(qa_fid)) if qa_fid else None)}; the "
        f"selection was the exact optimum for {sum(qa_opt)}/{len(qa_opt)} images.",
        "",
        *_table(scores_r, data.classes),
        "",
        f"Full model (all {full[0].num_feature_maps if full else '?'} maps of the last block, "
        f"global average pooling, linear head): SA (numba engine, {DEFAULT_NUM_READS} reads, "
        f"{DEFAULT_NUM_SWEEPS} sweeps, steepest-descent polish, seed {config.seed}) on all positive maps.",
        "",
        *_table(scores_f, data.classes),
        "",
    ]
    table = {"restricted": [asdict(s) for s in scores_r], "full": [asdict(s) for s in scores_f]}
    return Section(lines, {"table1": table})


def _class_map_lines(matrix: np.ndarray, classes: Sequence[str], title: str, name: str) -> list[str]:
    """The figure link and the overlap statistics of one class–class map."""
    n = len(classes)
    off = matrix[~np.eye(n, dtype=bool)]
    upper = np.nan_to_num(np.triu(matrix, 1))
    order = np.dstack(np.unravel_index(np.argsort(-upper, axis=None), matrix.shape))[0][:3]
    pairs = ", ".join(f"{classes[i]}–{classes[j]} {matrix[i, j]:.2f}" for i, j in order)
    return [
        f"![{title}](figures/{name})",
        "",
        f"{title}: mean off-diagonal {np.nanmean(off):.3f}, "
        f"{int(np.sum(off > 0.05) // 2)} of {n * (n - 1) // 2} pairs above 0.05; "
        f"largest overlaps: {pairs}.",
        "",
    ]


def _fig2(data: ReportInputs) -> Section:
    """Fig. 2: class–class maps of the QA selection (restricted) and of SA at the largest beta (full)."""
    config, classes, n = data.config, data.classes, len(data.classes)
    top_beta = max(config.sa_betas)
    bc_r = bc_f = None
    if data.restricted:
        bc_r = class_map([r.qa.selected for r in data.restricted], [r.label for r in data.restricted],
                         TABLE_FILTERS, n)
    if data.full:
        bc_f = class_map([r.sa[beta_key(top_beta)].selected for r in data.full], [r.label for r in data.full],
                         data.full[0].num_feature_maps, n)
    lines = ["## Fig. 2 — class–class maps (Bhattacharyya coefficient of the selected-map histograms)", ""]
    for name, matrix, title in (
        ("fig2_restricted_qa.png", bc_r, f"Restricted N_f={TABLE_FILTERS}, QA β={config.qa_beta:g}"),
        ("fig2_full_sa.png", bc_f, f"Full model, SA β={top_beta:g}"),
    ):
        if matrix is not None:
            save_png(plot_class_map(matrix, list(classes), title=title), data.figure_dir / name)
            lines += _class_map_lines(matrix, classes, title, name)
    return Section(lines, {"fig2": {"restricted_qa": bc_r, "full_sa": bc_f}})


def _fig3(data: ReportInputs) -> Section:
    """Fig. 3: Average Drop and selected fraction against beta (restricted exact, full SA)."""
    config = data.config
    sweep = beta_sweep(data.restricted, config.sweep_betas) if data.restricted else None
    full_sweep = None
    if data.full:
        sa = [data.full_scores[sa_method(b)] for b in config.sa_betas]
        full_sweep = BetaCurve([float(b) for b in config.sa_betas], [s.average_drop for s in sa],
                               [s.fraction_selected or 0.0 for s in sa])
    lines: list[str] = []
    if sweep is not None:
        save_png(figures.beta_figure(sweep, full_sweep), data.figure_dir / "fig3_beta.png")
        lines = [
            "## Fig. 3 — Average Drop and selected fraction vs beta",
            "",
            f"Restricted N_f = {TABLE_FILTERS} model solved exactly at each beta (the ground state the "
            "anneal targets); full model with SA.",
            "",
            "![beta sweep](figures/fig3_beta.png)",
            "",
            "| beta | " + " | ".join(f"{b:g}" for b in sweep.beta) + " |",
            "|---|" + "---|" * len(sweep.beta),
            "| Average Drop % | " + " | ".join(_fmt(v) for v in sweep.average_drop) + " |",
            "| mean \\|S\\|/d | " + " | ".join(_fmt(v) for v in sweep.fraction_selected) + " |",
            "",
        ]
    curves = {"restricted": sweep, "full": full_sweep}
    return Section(lines, {"fig3": {k: asdict(v) if v is not None else None for k, v in curves.items()}})


def _physics(data: ReportInputs) -> Section:
    """How the annealing physics below was measured."""
    config = data.config
    return Section([
        "## Annealing physics",
        "",
        f"Each image's QUBO at β = {config.qa_beta:g} (at most {config.max_qubits} qubits), "
        f"H(s) = (1−s)·H_D + s·H_P with H_D = −ΣX ({config.driver_scale}); Δ_min and s* from "
        "`hybridxai.analysis.min_gap` (adaptive, exact to 1e-6); final fidelities from the "
        f"native annealer with dt = {config.time_step:g}.",
        "",
    ])


def _fig4(data: ReportInputs) -> Section:
    """Fig. 4: distribution of the minimum gap per N_f."""
    gaps = {nf: [r.measures.min_gap for r in rs if r.measures is not None] for nf, rs in data.physics.items()}
    if not any(gaps.values()):
        return Section([])
    save_png(figures.gap_histogram_figure(gaps), data.figure_dir / "fig4_gap_histogram.png")
    all_gaps = np.concatenate([np.asarray(v) for v in gaps.values() if v])
    lines = [
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
            lines.append(f"| {nf} | {len(v)} | {_fmt(q[1])} | {_fmt(q[0])} | {_fmt(q[2])} | "
                         f"{_fmt(min(v))} | {_fmt(float(np.mean(np.asarray(v) < 0.01)))} |")
    median = _fmt(float(np.median(all_gaps)))
    lines += ["", f"Over all {all_gaps.size} instances the median gap is {median}.", ""]
    return Section(lines)


def _fig5(data: ReportInputs) -> Section:
    """Fig. 5: final fidelity against the anneal time (N_f = 16) and against the size d (every N_f)."""
    restricted_physics = data.physics.get(TABLE_FILTERS, [])
    measured = data.measured
    if not any(r.measures is not None for r in restricted_physics):
        return Section([])
    every = [r for r, _ in measured]
    groups = by_size(every, lambda m: m.fidelity[0])
    sizes = [d for d, values in groups.items() for _ in values]
    fit = _fit_or_none("exp", sizes, [x for values in groups.values() for x in values])
    save_png(figures.fidelity_time_figure(restricted_physics, data.classes),
             data.figure_dir / "fig5_fidelity_time.png")
    save_png(figures.fidelity_size_figure(every, fit), data.figure_dir / "fig5_fidelity_size.png")
    times = list(measured[0][1].total_times)
    med = [float(np.median([m.fidelity[k] for _, m in measured])) for k in range(len(times))]
    lines = [
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
        (f"Exponential fit of fidelity vs d at T = {times[0]:g}: {fit.describe()}." if fit is not None
         else "Too few distinct d for the exponential fit."),
        "",
    ]
    return Section(lines, {"fig5": {"total_times": times, "median_fidelity": med, "fit": _fit_dict(fit)}})


def _fig7(data: ReportInputs) -> Section:
    """Fig. 7: the minimum gap against d, power-law fit of its median, the hardest instances."""
    measured = data.measured
    if not measured:
        return Section([])
    every = [r for r, _ in measured]
    groups = by_size(every, lambda m: m.min_gap)
    fit = _fit_or_none("power", list(groups), [float(np.median(v)) for v in groups.values()])
    save_png(figures.gap_size_figure(every, fit), data.figure_dir / "fig7_gap_vs_d.png")
    hardest = sorted(measured, key=lambda pair: pair[1].min_gap)[:3]
    lines = [
        "### Fig. 7 — minimum gap vs d",
        "",
        "![gap vs d](figures/fig7_gap_vs_d.png)",
        "",
        (f"Power-law fit of the median gap: {fit.describe()}." if fit is not None
         else "Too few distinct d for the power-law fit."),
        "Hardest instances: "
        + ", ".join(f"image {r.position} ({data.classes[r.label]}, N_f={r.num_filters}, d={r.d}, "
                    f"Δ_min={m.min_gap:.3g} at s*={m.s_min:.3f})" for r, m in hardest)
        + ".",
        "",
    ]
    return Section(lines, {"fig7": {"fit": _fit_dict(fit)}})


def _fig8(data: ReportInputs) -> Section:
    """Fig. 8: where the minimum gap lies."""
    measured = data.measured
    if not measured:
        return Section([])
    save_png(figures.s_star_figure([r for r, _ in measured]), data.figure_dir / "fig8_s_star.png")
    s_values = [m.s_min for _, m in measured]
    q25, _, q75 = quartiles(s_values)
    return Section([
        "### Fig. 8 — location of the minimum gap",
        "",
        "![s*](figures/fig8_s_star.png)",
        "",
        f"s*: median {_fmt(float(np.median(s_values)))}, quartiles {_fmt(q25)}–{_fmt(q75)}.",
        "",
    ])


def _couplings(data: ReportInputs) -> Section:
    """The distribution of the couplings J per N_f."""
    from scipy import stats

    couplings = {nf: [j for r in rs for j in r.couplings] for nf, rs in data.physics.items()}
    if not any(len(v) > 1 for v in couplings.values()):
        return Section([])
    save_png(figures.coupling_figure(couplings), data.figure_dir / "couplings.png")
    lines = [
        "### Couplings J per N_f",
        "",
        "![couplings](figures/couplings.png)",
        "",
        "| N_f | pairs | mean | std | skewness | excess kurtosis |",
        "|---|---|---|---|---|---|",
    ]
    for nf, v in couplings.items():
        if len(v) > 3:
            a = np.asarray(v)
            lines.append(f"| {nf} | {a.size} | {a.mean():.3f} | {a.std():.3f} | "
                         f"{stats.skew(a):.2f} | {stats.kurtosis(a):.2f} |")
    return Section([*lines, ""])


def _run(data: ReportInputs) -> Section:
    """Seconds per stage and package versions."""
    lines = ["## Run", "", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in data.elapsed.items()]
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()), ""]
    return Section(lines)


SECTIONS: tuple[Callable[[ReportInputs], Section], ...] = (
    _header, _table1, _fig2, _fig3, _physics, _fig4, _fig5, _fig7, _fig8, _couplings, _run,
)
"""The sections of ``report.md``, in order."""


def write_report(
    out: Path, config: ReproduceConfig, store: RecordStore, classes: Sequence[str], elapsed: dict[str, float]
) -> Path:
    """Write ``report.md``, the figures and ``summary.json`` into ``out``; return the report path.

    Args:
        out: The run directory (figures go to ``out/figures``).
        config: The settings of the run.
        store: Its records.
        classes: Class names.
        elapsed: Seconds per stage.

    Returns:
        The path of ``report.md``.
    """
    data = ReportInputs.load(out, config, store, classes, elapsed)
    lines: list[str] = []
    summary: dict[str, Any] = {}
    for section in SECTIONS:
        part = section(data)
        lines += part.lines
        summary.update(part.summary)
    report = out / "report.md"
    text = "\n".join(lines)
    write_atomic(report, lambda p: p.write_text(text, encoding="utf-8"))
    numbers = json.dumps(to_jsonable(summary), indent=1)
    write_atomic(out / "summary.json", lambda p: p.write_text(numbers, encoding="utf-8"))
    return report

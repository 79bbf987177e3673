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

from hybridxai._util.figures import save_figure
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
    median_time_to_fidelity,
    quartiles,
    score_methods,
    with_measures,
)

__all__ = ["write_report", "ReportInputs", "Section", "SECTIONS", "restricted_methods", "full_methods",
           "PAPER_CLAIMS"]

PAPER_CLAIMS: dict[str, tuple[str, str]] = {
    "min_gap": ("Δ_min concentrated near ≈ 0.1 energy units, essentially none below ≈ 0.01 "
                "(issue #18 reads 0.097)",
                "§II.3 (Fig. 4) and Discussion; paper-2604.25649.txt lines 66, 79"),
    "fidelity": ("fidelity high and roughly constant in class and d for T ≥ 10; diabatic, decaying "
                 "with d, below",
                 "§II.3 (Fig. 5) and Discussion; paper-2604.25649.txt lines 70, 79"),
    "scaling": ("mean Δ_min falls as a power of d, so the T needed scales as d²",
                "Discussion and Appendix A (Fig. 7); paper-2604.25649.txt lines 79, 112"),
}
"""The paper's claims set beside the measured numbers: ``{key: (claim, where)}``. The reference
text drops the paper's inline mathematics, so the values in the claims are those of the figures
and of issue #18, with the lines of the text that state them."""

_TARGET_FIDELITY = 0.9


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
            save_figure(plot_class_map(matrix, list(classes), title=title), data.figure_dir / name)
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
        save_figure(figures.beta_figure(sweep, full_sweep), data.figure_dir / "fig3_beta.png")
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
    save_figure(figures.gap_histogram_figure(gaps), data.figure_dir / "fig4_gap_histogram.png")
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
    save_figure(figures.fidelity_time_figure(restricted_physics, data.classes),
             data.figure_dir / "fig5_fidelity_time.png")
    save_figure(figures.fidelity_size_figure(every, fit), data.figure_dir / "fig5_fidelity_size.png")
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
    save_figure(figures.gap_size_figure(every, fit), data.figure_dir / "fig7_gap_vs_d.png")
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
    save_figure(figures.s_star_figure([r for r, _ in measured]), data.figure_dir / "fig8_s_star.png")
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


def _conventions(data: ReportInputs) -> Section:
    """Fig. 5 (bottom) and Fig. 7 under hybridxai's and the authors' conventions, side by side."""
    every = [r for rs in data.physics.values() for r in rs]
    names = [n for n in data.config.conventions
             if n == "hybridxai" or any(n in r.by_conventions for r in every)]
    if len(names) < 2 or not with_measures(every):
        return Section([])
    under = {n: [r.under(n) for r in every] for n in names}
    fidelity_fits, gap_fits, t90, t90_fits, rows = {}, {}, {}, {}, {}
    for n, records in under.items():
        groups = by_size(records, lambda m: m.fidelity[0])
        fidelity_fits[n] = _fit_or_none("exp", [d for d, v in groups.items() for _ in v],
                                        [x for v in groups.values() for x in v])
        gaps = by_size(records, lambda m: m.min_gap)
        positive = {d: [g for g in v if g > 0] for d, v in gaps.items()}
        positive = {d: v for d, v in positive.items() if v}
        gap_fits[n] = _fit_or_none("power", list(positive), [float(np.median(v)) for v in positive.values()])
        t90[n] = median_time_to_fidelity(records, _TARGET_FIDELITY)
        t90_fits[n] = _time_fits(t90[n])
        measured = with_measures(records)
        times = list(measured[0][1].total_times)
        rows[n] = {
            "median_min_gap": float(np.median([m.min_gap for _, m in measured])),
            "median_fidelity": {f"{t:g}": float(np.median([m.fidelity[k] for _, m in measured]))
                                for k, t in enumerate(times)},
            "gap_power_law": _fit_dict(gap_fits[n]),
            "fidelity_fit": _fit_dict(fidelity_fits[n]),
            "time_to_fidelity": {str(d): t for d, t in t90[n].items()},
            "time_fits": {k: _fit_dict(f) for k, f in t90_fits[n].items()},
        }
    save_figure(figures.conventions_figure("fidelity", {n: (under[n], fidelity_fits[n]) for n in names}),
             data.figure_dir / "fig5_fidelity_size_conventions.png")
    save_figure(figures.conventions_figure("gap", {n: (under[n], gap_fits[n]) for n in names}),
             data.figure_dir / "fig7_gap_vs_d_conventions.png")
    save_figure(figures.time_to_fidelity_figure(t90, t90_fits, _TARGET_FIDELITY),
             data.figure_dir / "time_to_fidelity_vs_d.png")
    times = list(next(iter(rows.values()))["median_fidelity"])

    def cells(value: Callable[[dict[str, Any]], str]) -> str:
        return " | ".join(value(rows[n]) for n in names)

    def fit_text(fit: dict[str, Any] | None, kind: str) -> str:
        if fit is None:
            return "–"
        if kind == "power":
            return f"d^{fit['exponent']:.2f} (R² {fit['r_squared']:.2f})"
        return f"exp({-fit['c']:.2f}·d) (R² {fit['r_squared']:.2f})"

    lines = [
        "### Conventions — hybridxai's default and the authors' preset on the same images",
        "",
        "Every physics image is measured twice: with hybridxai's conventions (QUBO of `build_qubo`, "
        f"driver `{data.config.driver_scale}`, midpoint grid, gap to the first level outside the ground "
        "manifold, fidelity on the whole ground manifold) and with `conventions=\"authors\"` (their "
        "H_P, which is hybridxai's (`build_qubo(..., conventions=\"authors\")`), driver (1/d)·ΣX, "
        "M = int(T/dt) points s_k = k/(M − 1), gap E_1 − E_0 minimised over s, fidelity of the "
        "lowest-H_P basis state; see docs/reproduction.md). Same maps, same d.",
        "",
        "![fidelity vs d, both conventions](figures/fig5_fidelity_size_conventions.png)",
        "",
        "![gap vs d, both conventions](figures/fig7_gap_vs_d_conventions.png)",
        "",
        f"![T for fidelity ≥ {_TARGET_FIDELITY:g}](figures/time_to_fidelity_vs_d.png)",
        "",
        "| quantity | paper | " + " | ".join(f"measured, {n}" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
        f"| median Δ_min | {PAPER_CLAIMS['min_gap'][0]} | "
        + cells(lambda r: _fmt(r["median_min_gap"])) + " |",
        *(f"| median fidelity at T = {t} | {PAPER_CLAIMS['fidelity'][0] if k == 0 else '〃'} | "
          + cells(lambda r, t=t: _fmt(r["median_fidelity"][t])) + " |" for k, t in enumerate(times)),
        f"| median Δ_min vs d | {PAPER_CLAIMS['scaling'][0]} | "
        + cells(lambda r: fit_text(r["gap_power_law"], "power")) + " |",
        f"| median T for fidelity ≥ {_TARGET_FIDELITY:g} vs d, power law | T ∝ d² | "
        + cells(lambda r: fit_text(r["time_fits"].get("power"), "power")) + " |",
        f"| median T for fidelity ≥ {_TARGET_FIDELITY:g} vs d, exponential | – | "
        + cells(lambda r: fit_text(r["time_fits"].get("exponential"), "exp")) + " |",
        "",
        "Where the paper says it: " + "; ".join(f"{key}: {where}" for key, (_, where) in PAPER_CLAIMS.items())
        + ".",
        f"The time for fidelity ≥ {_TARGET_FIDELITY:g} is interpolated in log T between the measured "
        "anneal times, per instance; sizes where more than half the instances never reach it are "
        "left out of the fits.",
        "",
    ]
    return Section(lines, {"conventions": rows})


def _time_fits(times: dict[int, float]) -> dict[str, Any]:
    """Power-law and exponential fits of the median time against d (``None`` below 3 sizes)."""
    from hybridxai.analysis import fit_exponential, fit_power_law

    if len(times) < 3:
        return {"power": None, "exponential": None}
    ds, ts = list(times), list(times.values())
    out: dict[str, Any] = {}
    for key, fit in (("power", lambda: fit_power_law(ds, ts)),
                     ("exponential", lambda: fit_exponential(ds, ts, fit_constant=False))):
        try:
            out[key] = fit()
        except (RuntimeError, ValueError):
            out[key] = None
    return out


def _couplings(data: ReportInputs) -> Section:
    """The distribution of the couplings J per N_f."""
    from scipy import stats

    couplings = {nf: [j for r in rs for j in r.couplings] for nf, rs in data.physics.items()}
    if not any(len(v) > 1 for v in couplings.values()):
        return Section([])
    save_figure(figures.coupling_figure(couplings), data.figure_dir / "couplings.png")
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
    _header, _table1, _fig2, _fig3, _physics, _fig4, _fig5, _fig7, _fig8, _conventions, _couplings, _run,
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

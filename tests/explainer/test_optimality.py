"""Every explanation says how good its selection is (real MobileNetV2 instances, checked exactly)."""

from __future__ import annotations

import warnings
from pathlib import Path

import dimod
import numpy as np
import pytest

import hybridxai
from hybridxai import SuboptimalSelectionWarning
from hybridxai.anneal.qubo import build_qubo, importance
from hybridxai.backends.registry import get_sampler
from hybridxai.exceptions import InvalidArgumentError
from hybridxai.explainer.solve import solve

POOR = dict(backend="statevector", max_qubits=12, beta=0.7, seed=0, total_time=1.0)


def _exact_optimum(bqm: dimod.BinaryQuadraticModel) -> float:
    return float(dimod.ExactSolver().sample(bqm).first.energy)


@pytest.fixture(scope="module")
def poor(mobilenet, chelsea):
    with pytest.warns(SuboptimalSelectionWarning) as record:
        e = hybridxai.explain(mobilenet, chelsea, **POOR)
    return e, [w for w in record if issubclass(w.category, SuboptimalSelectionWarning)]


def test_a_poor_anneal_is_flagged_with_the_right_gap(poor) -> None:
    e, _ = poor
    report = e.info["optimality"]
    e_star = _exact_optimum(e.qubo.bqm)
    assert report["best_known"] == "exact" and report["optimal"] is False
    assert report["energy"] == pytest.approx(e.energy, abs=1e-9)
    assert report["best_energy"] == pytest.approx(e_star, abs=1e-9)
    gap = (e.energy - e_star) / abs(e_star)
    assert report["relative_gap"] == pytest.approx(gap, rel=1e-9)
    assert e.optimality_phrase == f"energy {100 * gap:.1f} % above optimum"
    assert report["optimum_probability"] == pytest.approx(e.info["fidelity"], abs=1e-12)
    # the optimum is among the near-ties the user is told about
    assert any(t["energy"] == pytest.approx(e_star, abs=1e-9) for t in report["near_ties"])


def test_the_warning_names_the_knobs_and_points_at_the_caller(poor) -> None:
    _, record = poor
    assert len(record) == 1
    message = str(record[0].message)
    for knob in ("total_time", "schedule='local-adiabatic'", "num_reads", "postprocess='descent'"):
        assert knob in message
    assert Path(record[0].filename).resolve() == Path(__file__).resolve()


def test_summary_manifest_and_figure_show_the_phrase(poor, tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    e, _ = poor
    phrase = e.optimality_phrase
    assert phrase and phrase in e.summary() and "\n" not in e.summary()
    assert e.manifest()["info"]["optimality"]["phrase"] == phrase
    assert len(repr(e)) < 1000
    fig = e.plot()
    try:
        assert phrase in fig.get_suptitle()
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_exact_backend_is_optimal_and_silent(mobilenet, chelsea) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuboptimalSelectionWarning)
        e = hybridxai.explain(mobilenet, chelsea, backend="exact", max_qubits=12, beta=0.7, seed=0)
    assert e.optimality_phrase == "optimal" and e.info["optimality"]["optimal"] is True
    assert e.energy == pytest.approx(_exact_optimum(e.qubo.bqm), abs=1e-9)
    assert e.info["optimality"]["optimum_probability"] is None


def test_the_default_explanation_says_optimum_not_proven(cat_explanation) -> None:
    report = cat_explanation.info["optimality"]
    assert cat_explanation.qubo.num_variables > 24
    assert report["best_known"] == "best-of-reads" and report["optimal"] is None
    assert cat_explanation.optimality_phrase.endswith("reads; optimum not proven")
    assert cat_explanation.optimality_phrase in cat_explanation.summary()


@pytest.mark.parametrize("image", [0, 1])
@pytest.mark.parametrize("backend", ["statevector", "sa", "exact", "certified"])
def test_solve_reports_agree_with_the_exact_solver_on_real_instances(mobilenet_features, image,
                                                                     backend) -> None:
    f = mobilenet_features
    a, g = f.activations[image], f.gradients[image]
    assert int((importance(g) > 0).sum()) >= 10
    qubo = build_qubo(a, g, beta=0.7, max_qubits=10)
    solution = solve(qubo, get_sampler(backend), seed=0, warn=False)
    report = solution.optimality
    e_star = _exact_optimum(qubo.bqm)
    assert report is solution.sampleset.info["optimality"]
    assert report["energy"] == pytest.approx(solution.energy, abs=1e-9)
    assert report["best_energy"] == pytest.approx(e_star, abs=1e-9)
    assert report["best_known"] == "exact"
    assert report["optimal"] is bool(solution.energy <= e_star + 1e-9 * max(1, abs(e_star)))
    if backend == "statevector":
        assert report["optimum_probability"] == pytest.approx(solution.sampleset.info["fidelity"])
    else:
        assert report["optimum_probability"] is None


def test_solve_can_stay_quiet_or_skip_the_report(mobilenet_features) -> None:
    f = mobilenet_features
    qubo = build_qubo(f.activations[0], f.gradients[0], beta=0.7, max_qubits=10)
    sampler = get_sampler("statevector")
    options = {"total_time": 0.5, "num_reads": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuboptimalSelectionWarning)
        quiet = solve(qubo, sampler, seed=3, options=options, warn=False)
        skipped = solve(qubo, sampler, seed=3, options=options, optimality=None)
    assert skipped.optimality is None
    if quiet.optimality["optimal"] is False:
        with pytest.warns(SuboptimalSelectionWarning):
            solve(qubo, sampler, seed=3, options=options)
    with pytest.raises(InvalidArgumentError, match="^how="):
        solve(qubo, sampler, seed=3, optimality="proven")


def test_descent_on_a_real_instance_is_reported_apart(mobilenet, chelsea) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SuboptimalSelectionWarning)
        e = hybridxai.explain(mobilenet, chelsea, **POOR, postprocess="descent")
    raw, polished = e.info["raw"], e.info["postprocessed"]
    assert polished["energy"] <= raw["energy"] + 1e-12
    assert e.energy == pytest.approx(polished["energy"])
    assert raw["optimality"]["optimum_probability"] == pytest.approx(e.info["fidelity"])
    assert e.info["optimality"]["energy"] == pytest.approx(polished["energy"])
    assert np.isfinite(raw["optimality"]["relative_gap"])


def test_an_empty_qubo_is_optimal() -> None:
    rng = np.random.default_rng(0)
    qubo = build_qubo(rng.random((3, 4, 4)), -np.ones((3, 4, 4)), beta=0.7)
    solution = solve(qubo, get_sampler("sa"))
    assert qubo.num_variables == 0 and solution.optimality["optimal"] is True
    assert solution.optimality["phrase"] == "optimal"


class _OffBy(dimod.Sampler):
    """The exact solver's samples with every energy moved by ``shift`` (a backend bug)."""

    parameters: dict = {}
    properties: dict = {}

    def __init__(self, shift: float) -> None:
        self.shift = shift

    def sample(self, bqm, **kwargs):
        exact = dimod.ExactSolver().sample(bqm)
        return dimod.SampleSet.from_samples((exact.record.sample, list(exact.variables)), exact.vartype,
                                            energy=exact.record.energy + self.shift)


@pytest.mark.parametrize(("units", "beta"), [(1.0, 0.7), (1e-9, 1.0)])
def test_energies_that_do_not_match_the_qubo_raise_in_any_units(units, beta) -> None:
    # raw importance from tiny gradients, importance alone (beta = 1): a QUBO in units of
    # 1e-9, where the absolute tolerance of 1e-6 used before let any mismatch through
    # (docs/benchmarks.md, seventeenth round)
    rng = np.random.default_rng(1)
    qubo = build_qubo(rng.random((6, 4, 4)), units * rng.random((6, 4, 4)), beta=beta,
                      importance_scale="raw")
    scale = sum(abs(b) for b in qubo.bqm.linear.values()) + sum(abs(b) for b in qubo.bqm.quadratic.values())
    assert scale < 100 * units
    assert solve(qubo, _OffBy(0.0)).selected  # honest energies pass
    with pytest.raises(RuntimeError, match="do not match the BQM"):
        solve(qubo, _OffBy(1e-3 * scale))

"""explain() on the real MobileNetV2 with the quantum simulators and a fake IBM device."""

from __future__ import annotations

import numpy as np
import pytest

import hybridxai

SETTINGS = dict(max_qubits=6, beta=0.7, seed=0, total_time=2.0, num_steps=40)


@pytest.fixture(scope="module")
def quantum_explanations(mobilenet, chelsea):
    return {name: hybridxai.explain(mobilenet, chelsea, backend=name, **SETTINGS)
            for name in ("statevector", "aer", "pennylane")}


def test_simulators_give_the_same_explanation(quantum_explanations) -> None:
    reference = quantum_explanations["statevector"]
    assert reference.target_name == "Egyptian cat"
    assert reference.qubo.num_variables == 6
    for name, e in quantum_explanations.items():
        assert e.selected == reference.selected, name
        assert e.info["fidelity"] == pytest.approx(reference.info["fidelity"], abs=1e-9), name
        assert e.energy == pytest.approx(e.qubo.energy(e.selected))
        np.testing.assert_allclose(e.saliency, reference.saliency, atol=1e-6)
        assert e.info["num_qubits"] == 6 and e.info["num_steps"] == 40


def test_analyze_adds_the_minimum_gap(mobilenet, chelsea) -> None:
    e = hybridxai.explain(mobilenet, chelsea, backend="statevector", analyze=True, **SETTINGS)
    from hybridxai.analysis import min_gap

    exact = min_gap(e.qubo.bqm)
    assert e.info["min_gap"] == pytest.approx(exact.min_gap, abs=1e-6)
    assert e.info["s_min"] == pytest.approx(exact.s_min, abs=1e-3)
    assert "min_gap" in e.manifest()["info"]


def test_explain_on_a_fake_ibm_device(mobilenet, chelsea) -> None:
    sampler = hybridxai.get_sampler("ibm-runtime", backend="fake_manila")
    e = hybridxai.explain(mobilenet, chelsea, backend=sampler, max_qubits=4, beta=0.7, seed=0,
                          total_time=1.0, num_steps=4, num_reads=256)
    assert e.qubo.num_variables == 4
    assert set(e.selected) <= set(e.qubo.channels)
    assert e.energy == pytest.approx(e.qubo.energy(e.selected))
    assert e.saliency.shape == (224, 224) and 0.0 <= e.saliency.min() <= e.saliency.max() <= 1.0


def test_the_readme_quantum_example_with_defaults_is_optimal_on_chelsea(mobilenet, chelsea) -> None:
    """Issue #16: the quantum example with the samplers' defaults returns the proven optimum,
    and without max_qubits an annealing sampler keeps the 16 most important maps."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", hybridxai.SuboptimalSelectionWarning)
        e = hybridxai.explain(mobilenet, chelsea, backend="statevector", beta=0.7, seed=0)
    assert e.qubo.num_variables == 16 and e.settings["max_qubits"] == 16
    report = e.info["optimality"]
    assert report["best_known"] == "exact" and report["optimal"] is True
    assert e.optimality_phrase == "optimal"

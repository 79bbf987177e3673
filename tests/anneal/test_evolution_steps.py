"""``evolve(..., on_step=)``: every step reported once, on every engine, without touching the state."""

from __future__ import annotations

import dimod
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai.anneal.evolution import evolve, numba_available
from hybridxai.anneal.ising import dense_qubo
from hybridxai.anneal.schedules import trotter_layers

ENGINES = ["numpy"] + (["numba"] if numba_available() else [])


def random_qubo(d: int, seed: int):
    rng = np.random.default_rng(seed)
    return dense_qubo(dimod.BinaryQuadraticModel(
        {i: float(rng.normal()) for i in range(d)},
        {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)}, 0.0, "BINARY"))


def counted(qubo, layers, **options):
    calls: list[int] = []
    state = evolve(qubo, layers, on_step=calls.append, **options)
    return state, calls


@settings(max_examples=30, deadline=None)
@given(d=st.integers(1, 6), steps=st.integers(1, 40), order=st.sampled_from([1, 2]),
       engine=st.sampled_from(ENGINES), seed=st.integers(0, 3))
def test_every_step_is_reported_once_and_the_state_is_unchanged(d, steps, order, engine, seed):
    qubo = random_qubo(d, seed)
    layers = trotter_layers(None, 2.0, steps, order, 1.0)
    state, calls = counted(qubo, layers, engine=engine)
    assert sum(calls) == steps == sum(1 for kind, _ in layers if kind == "problem")
    assert all(n >= 1 for n in calls)
    np.testing.assert_array_equal(state, evolve(qubo, layers, engine=engine))


@pytest.mark.skipif(not numba_available(), reason="numba engine")
@pytest.mark.parametrize("order", [1, 2])
def test_threaded_passes_report_one_step_each(order):
    # 2**18 amplitudes: the numba engine runs its passes on two threads and reports after each;
    # with order 2 the pass that finishes the last driver layer is not a step
    qubo = random_qubo(18, 0)
    layers = trotter_layers(None, 1.0, 6, order, 1.0)
    state, calls = counted(qubo, layers, threads=2)
    assert calls == [1] * 6
    single, serial_calls = counted(qubo, layers, threads=1)
    assert serial_calls == [6]
    np.testing.assert_allclose(state, single, atol=1e-12)

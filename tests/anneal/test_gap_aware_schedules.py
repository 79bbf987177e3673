"""Gap-aware schedules: local-adiabatic and pause, their validation, caching and use by the samplers."""

import numpy as np
import pytest

from hybridxai.analysis import random_feature_qubo
from hybridxai.anneal import schedules
from hybridxai.anneal.gap_profile import compute_gap_profile
from hybridxai.anneal.schedules import (
    ProblemSchedule,
    as_schedule,
    cached_gap_profile,
    check_schedule,
    local_adiabatic_schedule,
    pause_schedule,
    trotter_layers,
)
from hybridxai.backends.statevector import StatevectorAnnealingSampler
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError


def test_pause_schedule_shape():
    sched = as_schedule(("pause", 0.6, 0.25))
    u = np.linspace(0, 1, 101)
    s = sched(u)
    assert s[0] == 0 and s[-1] == 1 and np.all(np.diff(s) >= 0)
    held = np.isclose(s, 0.6)
    assert held.mean() == pytest.approx(0.25, abs=0.02)
    assert sched.name == "pause(s_p=0.6, fraction=0.25)"
    assert pause_schedule(0.5, 0.0)(0.3) == pytest.approx(0.3)


@pytest.mark.parametrize("schedule,match", [
    (("pause", 0.0, 0.2), "s_p"), (("pause", 1.0, 0.2), "s_p"), (("pause", -0.5, 0.2), "s_p"),
    (("pause", 0.5, 1.0), "fraction"), (("pause", 0.5, -0.1), "fraction"),
    (("pause", 0.5, float("nan")), "fraction"), (("pause", "mid", 0.1), "s_p"),
    (("hold", 0.5, 0.1), "pause"), ("adiabatic", "local-adiabatic"),
    (lambda u: 1 - u, "s\\(0\\)=0"), (lambda u: np.sin(3 * u) / np.sin(3), "non-decreasing"),
])
def test_bad_schedules_fail_before_work(schedule, match):
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match="schedule") as info:
        check_schedule(schedule)
    assert info.match(match)


@pytest.mark.parametrize("kwargs,name", [({"coupling_exponent": -1}, "coupling_exponent"),
                                         ({"gap_exponent": 0}, "gap_exponent"),
                                         ({"num_points": 2}, "num_points")])
def test_bad_local_adiabatic_parameters(kwargs, name):
    with pytest.raises(InvalidArgumentError, match=name):
        local_adiabatic_schedule(**kwargs)


def test_local_adiabatic_needs_the_problem():
    assert isinstance(check_schedule("local-adiabatic"), ProblemSchedule)
    with pytest.raises(InvalidArgumentError, match="schedule.*problem"):
        as_schedule("local-adiabatic")
    with pytest.raises(InvalidArgumentError, match="schedule.*problem"):
        trotter_layers("local-adiabatic", 1.0, 10)


def test_local_adiabatic_follows_the_rule():
    """du/ds is proportional to m^a / g^b on the profile grid (here the strict rule a=1, b=2)."""
    bqm = random_feature_qubo(6, 2)
    strict = local_adiabatic_schedule(1.0, 2.0, num_points=32)
    sched = as_schedule(strict, problem=bqm)
    assert sched.name == "local-adiabatic(a=1, b=2, num_points=32)"
    profile = compute_gap_profile(bqm, 32)
    u = np.linspace(0, 1, 200001)
    s = sched(u)
    assert s[0] == 0 and s[-1] == 1 and np.all(np.diff(s) >= 0)
    # time spent between consecutive grid points, against the rule's prediction
    inner = profile.s[4:-4]
    spent = np.diff(np.interp(inner, s, u))
    weight = profile.couplings / profile.gaps**2
    predicted = np.diff(inner) * 0.5 * (weight[4:-5] + weight[5:-4])
    ratio = spent / predicted
    assert np.ptp(ratio) / ratio.mean() < 0.05
    # slow where the gap is small: the sweep near the minimum gap is slower than the average
    lo, hi = profile.s_min - 1 / 64, min(profile.s_min + 1 / 64, 1.0)
    assert np.diff(np.interp([lo, hi], s, u))[0] > 3 * (hi - lo)


def test_profile_is_cached_per_problem(monkeypatch):
    bqm = random_feature_qubo(5, 11)
    calls = []
    original = schedules.compute_gap_profile

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(schedules, "compute_gap_profile", counting)
    schedules._profile_cache.clear()
    first = cached_gap_profile(bqm, "unit", 16)
    relabelled = bqm.relabel_variables({v: f"v{v}" for v in bqm.variables}, inplace=False)
    assert cached_gap_profile(relabelled, 1.0, 16) is first
    assert len(calls) == 1
    cached_gap_profile(bqm, "1/d", 16)
    cached_gap_profile(bqm, "unit", 24)
    assert len(calls) == 3


def _fidelity(bqm, schedule, total_time=100.0):
    sampler = StatevectorAnnealingSampler(total_time=total_time, seed=0)
    sampleset = sampler.sample(bqm, schedule=schedule, num_reads=1)
    return sampleset.info["fidelity"], sampleset.info["schedule"]


def test_local_adiabatic_beats_linear_at_t100():
    """Median ground-state fidelity at T = 100 on d = 8 paper-like instances (unit driver).

    Measured: linear 0.20, local-adiabatic 0.68 (3.4x the median; the instance-wise ratio has
    median 2.9x). The strict rule (a=1, b=2) reaches 0.12 only. A 5x gain is not reachable here:
    it would need a fidelity of 1.0 (5 x 0.20).
    """
    linear, gap_aware, strict = [], [], []
    for seed in range(10):
        bqm = random_feature_qubo(8, seed)
        linear.append(_fidelity(bqm, "linear")[0])
        fidelity, name = _fidelity(bqm, "local-adiabatic")
        assert name == "local-adiabatic"
        gap_aware.append(fidelity)
        strict.append(_fidelity(bqm, local_adiabatic_schedule(1.0, 2.0))[0])
    assert np.median(gap_aware) >= 3.0 * np.median(linear)
    assert np.median(np.array(gap_aware) / np.array(linear)) >= 2.5
    assert np.median(gap_aware) > np.median(strict)


def test_samplers_agree_on_local_adiabatic():
    pytest.importorskip("qiskit_aer")
    pytest.importorskip("pennylane")
    from hybridxai.backends.aer import AerAnnealingSampler
    from hybridxai.backends.pennylane_sampler import PennyLaneAnnealingSampler

    bqm = random_feature_qubo(8, 3)
    results = []
    for cls in (StatevectorAnnealingSampler, AerAnnealingSampler, PennyLaneAnnealingSampler):
        sampleset = cls(total_time=10.0, num_steps=200, seed=0).sample(
            bqm, schedule="local-adiabatic", num_reads=5)
        assert sampleset.info["schedule"] == "local-adiabatic"
        results.append(sampleset.info["fidelity"])
    assert max(results) - min(results) < 1e-9
    linear = StatevectorAnnealingSampler(total_time=10.0, num_steps=200, seed=0).sample(
        bqm, num_reads=5).info["fidelity"]
    assert abs(linear - results[0]) > 1e-6  # the schedule really changed the anneal


def test_sampler_validates_schedule_before_work():
    sampler = StatevectorAnnealingSampler()
    sampler.check_options(schedule="local-adiabatic")
    sampler.check_options(schedule=("pause", 0.5, 0.1))
    with pytest.raises(InvalidArgumentError, match="schedule"):
        sampler.check_options(schedule=("pause", 1.5, 0.1))
    with pytest.raises(InvalidArgumentError, match="schedule"):
        sampler.sample(random_feature_qubo(4, 0), schedule=("pause", 0.5, 1.0))
    info = sampler.sample(random_feature_qubo(4, 0), schedule=("pause", 0.5, 0.1), num_reads=2).info
    assert info["schedule"] == "pause(s_p=0.5, fraction=0.1)"


def test_a_profile_without_matrix_elements_is_refused_by_name():
    bare = compute_gap_profile(random_feature_qubo(5, 1), 16, matrix_elements=False)
    with pytest.raises(InvalidArgumentError) as info:
        ProblemSchedule().from_profile(bare)
    assert "profile=" in str(info.value) and "matrix_elements=True" in str(info.value)

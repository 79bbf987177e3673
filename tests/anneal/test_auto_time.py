"""total_time="auto": the rule's first guess, verification by simulation, and validation."""

import math

import dimod
import numpy as np
import pytest

from hybridxai.analysis import random_feature_qubo
from hybridxai.anneal.auto_time import adiabatic_time_scale, auto_total_time
from hybridxai.anneal.gap_profile import compute_gap_profile
from hybridxai.backends.statevector import StatevectorAnnealingSampler
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError


def _fidelity(bqm, total_time, schedule="local-adiabatic"):
    sampler = StatevectorAnnealingSampler(total_time=total_time, seed=0)
    return sampler.sample(bqm, schedule=schedule, num_reads=1).info["fidelity"]


@pytest.mark.parametrize("d,seed", [(4, 0), (6, 1), (8, 0)])
def test_auto_time_reaches_target_and_is_shortest_found(d, seed):
    bqm = random_feature_qubo(d, seed)
    choice = auto_total_time(bqm, target_fidelity=0.9)
    assert choice.fidelity >= 0.9
    # the recorded fidelity is what a sampler gets at that T
    assert _fidelity(bqm, choice.total_time) == pytest.approx(choice.fidelity, abs=1e-9)
    # half the chosen time misses the target (or is below the smallest step we try)
    times = dict(choice.trials)
    half = choice.total_time / 2
    if half in times:
        assert times[half] < 0.9
    assert choice.trials[0][0] == pytest.approx(choice.first_guess)
    assert choice.as_dict()["schedule"] == "local-adiabatic"


def test_first_guess_follows_the_rule():
    bqm = random_feature_qubo(5, 3)
    profile = compute_gap_profile(bqm, 64, tol=1e-7)
    s = np.concatenate([[0.0], profile.s, [1.0]])
    r = profile.couplings / profile.gaps**2
    r = np.concatenate([r[:1], r, r[-1:]])
    expected = float(np.trapezoid(r, s)) if hasattr(np, "trapezoid") else float(np.trapz(r, s))
    assert adiabatic_time_scale(bqm) == pytest.approx(expected, rel=1e-6)
    choice = auto_total_time(bqm, target_fidelity=0.75)
    assert choice.first_guess == pytest.approx(expected / math.sqrt(0.25), rel=1e-6)


def test_unreachable_target_names_the_argument():
    bqm = random_feature_qubo(6, 1)
    with pytest.raises(InvalidArgumentError, match="target_fidelity.*max_total_time"):
        auto_total_time(bqm, target_fidelity=0.999, schedule="linear", max_total_time=5.0)


@pytest.mark.parametrize("kwargs,name", [
    ({"target_fidelity": 1.0}, "target_fidelity"), ({"target_fidelity": 0.0}, "target_fidelity"),
    ({"target_fidelity": "high"}, "target_fidelity"), ({"max_total_time": -1.0}, "max_total_time"),
    ({"schedule": ("pause", 2.0, 0.1)}, "schedule"), ({"time_step": 0}, "time_step"),
])
def test_bad_arguments_fail_before_work(kwargs, name, monkeypatch):
    import hybridxai.anneal.auto_time as auto

    monkeypatch.setattr(auto, "evolve", lambda *a, **k: pytest.fail("simulated before validating"))
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match=name):
        auto_total_time(dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY"), **kwargs)


def test_sampler_total_time_auto_records_the_choice():
    bqm = random_feature_qubo(6, 1)
    sampler = StatevectorAnnealingSampler(seed=0)
    info = sampler.sample(bqm, total_time="auto", schedule="local-adiabatic", num_reads=5).info
    choice = info["auto_total_time"]
    assert info["fidelity"] >= 0.9 and choice["target_fidelity"] == 0.9
    assert info["total_time"] == choice["total_time"]
    assert info["num_steps"] == math.ceil(choice["total_time"] / 0.01 - 1e-9)
    assert info["fidelity"] == pytest.approx(choice["fidelity"], abs=1e-9)
    assert info["schedule"] == choice["schedule"] == "local-adiabatic"
    strict = sampler.sample(bqm, total_time="auto", target_fidelity=0.95, num_reads=5).info
    assert strict["fidelity"] >= 0.95 and strict["schedule"] == "linear"
    assert "auto_total_time" not in sampler.sample(bqm, num_reads=2).info


@pytest.mark.parametrize("options,name", [
    ({"total_time": "auto", "target_fidelity": 1.2}, "target_fidelity"),
    ({"target_fidelity": 0.9}, "target_fidelity"),
    ({"total_time": "auto", "num_steps": 10}, "num_steps"),
    ({"total_time": "soon"}, "total_time"),
])
def test_sampler_validates_auto_options_before_work(options, name):
    sampler = StatevectorAnnealingSampler(seed=0)
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match=name):
        sampler.check_options(**options)
    with pytest.raises((InvalidArgumentError, InvalidTypeError), match=name):
        sampler.sample(random_feature_qubo(4, 0), **options)


@pytest.mark.parametrize("bqm", [None, "bqm", 3.0])
def test_auto_total_time_names_a_bqm_that_is_not_one(bqm):
    with pytest.raises(InvalidTypeError, match="bqm has type"):
        auto_total_time(bqm)

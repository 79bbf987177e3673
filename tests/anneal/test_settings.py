"""``AnnealSpec``: presets, grids and validation."""

from __future__ import annotations

import numpy as np
import pytest

from hybridxai.anneal.settings import PRESETS, AnnealSpec
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, ProblemTooLargeError


def test_hybridxai_preset_is_the_midpoint_rule_with_ceil_steps() -> None:
    spec = AnnealSpec(total_time=10.0)
    assert spec.steps() == 1000 and spec.step_time() == pytest.approx(0.01)
    np.testing.assert_allclose(spec.s_points(), (np.arange(1000) + 0.5) / 1000)
    assert AnnealSpec(total_time=0.015).steps() == 2  # ceil(1.5)


@pytest.mark.parametrize("total_time", [0.05, 1.0, 10.0, 0.123])
def test_authors_grid_is_numpy_linspace_with_int_points(total_time: float) -> None:
    spec = AnnealSpec.from_conventions("authors", total_time=total_time)
    m = int(total_time / 0.01)
    assert spec.steps() == m
    np.testing.assert_allclose(spec.s_points(), np.linspace(0, total_time, m) / total_time, atol=1e-15)
    assert (spec.driver_scale, spec.gap, spec.fidelity) == ("1/d", "lowest-two", "lowest-state")
    assert spec.driver_coefficient(8) == pytest.approx(1 / 8)


def test_a_preset_fills_in_only_what_is_not_given() -> None:
    spec = AnnealSpec.from_conventions("authors", driver_scale="unit", time_grid=None)
    assert spec.driver_scale == "unit" and spec.time_grid == "endpoints" and spec.conventions == "authors"
    assert set(PRESETS["authors"]) == set(PRESETS["hybridxai"])


def test_to_dict_is_plain_and_resolves_steps() -> None:
    d = AnnealSpec(total_time=2.0, schedule=lambda u: u**2).to_dict()
    assert d["num_steps"] == 200 and d["schedule"].startswith("callable:")
    assert all(isinstance(v, (str, int, float)) for v in d.values())


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"conventions": "paper"}, "conventions"),
    ({"time_grid": "left"}, "time_grid"),
    ({"gap": "first"}, "gap"),
    ({"fidelity": "overlap"}, "fidelity"),
    ({"total_time": -1.0}, "total_time"),
    ({"time_step": 0.0}, "time_step"),
    ({"order": 3}, "order"),
    ({"driver_scale": "2/d"}, "driver_scale"),
    ({"schedule": lambda u: 1 - u}, "schedule"),
])
def test_bad_settings_name_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=name):
        AnnealSpec(**kwargs)


def test_the_endpoint_grid_needs_two_points() -> None:
    with pytest.raises(InvalidArgumentError, match="num_steps"):
        AnnealSpec.from_conventions("authors", total_time=0.015)
    with pytest.raises(InvalidTypeError, match="num_steps"):
        AnnealSpec(num_steps=2.5)


@pytest.mark.parametrize("total_time", [0.001, 0.015, 0.0199])
def test_a_too_short_endpoint_anneal_names_total_time_not_num_steps(total_time):
    # num_steps was never given: the one point comes from total_time / time_step
    with pytest.raises(InvalidArgumentError, match=rf"^total_time={total_time} is invalid") as info:
        AnnealSpec.from_conventions("authors", total_time=total_time)
    assert "Fix: pass total_time >= 0.02 or num_steps >= 2" in str(info.value)


# counts no machine holds (640 B a step: 1e12 steps are 582 TiB), so the test is the same anywhere
@pytest.mark.parametrize(("kwargs", "name"), [
    ({"total_time": 1e10}, "total_time=10000000000.0"),  # 1e12 steps at dt = 0.01
    ({"total_time": 10.0, "time_step": 1e-11}, "total_time=10.0"),
    ({"num_steps": 10**12}, "num_steps=1000000000000"),
])
def test_absurd_step_counts_are_refused_before_anything_is_built(kwargs, name) -> None:
    with pytest.raises(ProblemTooLargeError) as info:
        AnnealSpec(**kwargs)
    message = str(info.value)
    assert message.startswith(name) and "anneal steps" in message and "may be used" in message
    assert "Fix: pass" in message


def test_a_long_anneal_that_fits_is_accepted() -> None:
    assert AnnealSpec(total_time=1e4).steps() == 10**6  # 610 MiB at 640 B a step


@pytest.mark.parametrize("grid", ["midpoint", "endpoints"])
def test_an_infinite_step_count_is_refused_not_overflowed(grid) -> None:
    with pytest.raises(InvalidArgumentError, match="total_time=1e[+]300 is invalid: gives an infinite"):
        AnnealSpec(total_time=1e300, time_step=1e-300, time_grid=grid)


def test_fidelity_curve_and_samplers_refuse_absurd_anneals_up_front() -> None:
    from hybridxai.analysis import fidelity_curve, random_feature_qubo
    from hybridxai.backends import get_sampler

    bqm = random_feature_qubo(4, 0)
    with pytest.raises(ProblemTooLargeError, match="total_time"):
        fidelity_curve(bqm, [10.0, 1e10], method="statevector")
    with pytest.raises(ProblemTooLargeError, match="num_steps"):
        fidelity_curve(bqm, [10.0], num_steps=10**12, method="statevector")
    sampler = get_sampler("statevector", seed=0)
    with pytest.raises(ProblemTooLargeError, match="total_time"):
        sampler.sample(bqm, total_time=1e10)
    with pytest.raises(ProblemTooLargeError, match="num_steps"):
        sampler.sample(bqm, total_time=10.0, num_steps=10**12)

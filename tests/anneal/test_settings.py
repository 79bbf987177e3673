"""``AnnealSpec``: presets, grids and validation."""

from __future__ import annotations

import numpy as np
import pytest

from hybridxai.anneal.settings import PRESETS, AnnealSpec
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError


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

"""The saved benchmark instances (benchmarks/instances/) load, and their stored optimum is exact."""

from __future__ import annotations

from pathlib import Path

import dimod
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def instances(benchmark_instances) -> list[dict]:
    return benchmark_instances


def test_instance_set_is_large_enough_and_small_on_disk(instances):
    sizes = [x["d"] for x in instances]
    assert sum(12 <= d <= 16 for d in sizes) >= 100
    assert len({(x["photo"], x["target"]) for x in instances}) >= 100
    assert all(x["beta"] == 0.7 for x in instances)
    assert (ROOT / "benchmarks" / "instances" / "mobilenet_v2_beta0.7.npz").stat().st_size < 5e6


@pytest.mark.parametrize("index", [0, 150, 399])
def test_stored_optimum_matches_exact_solver(instances, index):
    x = instances[index]
    bqm = x["bqm"]
    assert bqm.num_variables == x["d"] == len(x["channels"])
    # the stored dense arrays are the BQM: energy offset + h·n + nᵀJn
    rng = np.random.default_rng(index)
    bits = rng.integers(0, 2, size=(5, x["d"]))
    dense = x["offset"] + bits @ x["h"] + np.einsum("mi,ij,mj->m", bits, x["J"], bits)
    assert np.allclose(dense, bqm.energies((bits, list(range(x["d"])))))
    sampleset = dimod.ExactSolver().sample(bqm)
    ground = float(sampleset.first.energy)
    assert ground == pytest.approx(x["ground_energy"], rel=1e-12, abs=1e-12)
    stored = {i: int(b) for i, b in enumerate(x["ground_bits"])}
    assert bqm.energy(stored) == pytest.approx(ground, rel=1e-12, abs=1e-12)
    low = np.abs(sampleset.record.energy - ground) <= 1e-9 * max(1.0, abs(ground))
    assert int(low.sum()) == x["degeneracy"]

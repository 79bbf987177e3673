"""Issue item C5: bad seeds and impossible num_reads get one clear error on every local backend."""

from __future__ import annotations

import dimod
import pytest

from hybridxai.backends.registry import get_sampler
from hybridxai.exceptions import InvalidArgumentError

BACKENDS = {
    "sa": {},
    "statevector": {"total_time": 1.0, "num_steps": 4},
    "aer": {"total_time": 1.0, "num_steps": 4},
    "pennylane": {"total_time": 1.0, "num_steps": 4},
}
BQM = dimod.BinaryQuadraticModel({0: -1.0, 1: 0.5}, {(0, 1): 1.0}, 0.0, "BINARY")


@pytest.mark.parametrize("name", sorted(BACKENDS))
@pytest.mark.parametrize("seed", [-3, 1.5, True, 2**40])
def test_c5_bad_seed_is_one_clear_error(name, seed):
    sampler = get_sampler(name, **BACKENDS[name])
    with pytest.raises(InvalidArgumentError, match=r"seed=.*\[0, 2\*\*32\)"):
        sampler.sample(BQM, seed=seed)
    with pytest.raises(InvalidArgumentError, match="seed"):
        sampler.check_options(seed=seed)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_c5_num_reads_beyond_memory_is_refused_before_allocating(name):
    sampler = get_sampler(name, **BACKENDS[name])
    with pytest.raises(InvalidArgumentError, match=r"num_reads=1000000000000 .*GiB.*Fix: pass num_reads="):
        sampler.sample(BQM, num_reads=10**12)

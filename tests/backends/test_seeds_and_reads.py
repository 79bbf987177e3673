"""Issue 17, item C5: bad seeds and impossible num_reads get one clear error on every backend.

``seed=-3``, ``seed=1.5``, ``seed=True`` (and a seed beyond numpy's ``2**32``) and
``num_reads=10**12`` are refused by the base class's pre-flight check with one
:class:`~hybridxai.exceptions.InvalidArgumentError` naming the argument, before any work: not a
traceback from deep inside an SDK, and not a ``MemoryError``.
"""

from __future__ import annotations

import pytest

from hybridxai.backends.base import check_num_reads
from hybridxai.backends.registry import BACKENDS
from hybridxai.exceptions import InvalidArgumentError
from tests.backends.test_contract import BQM, cheap

SEEDED = ["sa", "statevector", "aer", "pennylane", "ibm-runtime", "dwave"]
"""The backends with a ``seed`` parameter (the others refuse it as an unknown option)."""


def test_c5_the_seeded_list_is_complete():
    for name in BACKENDS:
        if BACKENDS[name].installed():
            assert ("seed" in cheap(name).parameters) == (name in SEEDED), name


@pytest.mark.parametrize("name", sorted(BACKENDS))
@pytest.mark.parametrize("seed", [-3, 1.5, True, 2**40])
def test_c5_bad_seed_is_one_clear_error(name, seed):
    sampler = cheap(name)
    expected = r"seed=.*\[0, 2\*\*32\)" if name in SEEDED or sampler.forwards_unknown_options \
        else r"parameters=\['seed'\] .*unknown options"
    with pytest.raises(InvalidArgumentError, match=expected):
        sampler.sample(BQM, seed=seed)
    with pytest.raises(InvalidArgumentError, match="seed"):
        sampler.check_options(seed=seed)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_c5_num_reads_beyond_memory_is_refused_before_any_work(name):
    sampler = cheap(name)
    if "num_reads" in sampler.parameters or sampler.forwards_unknown_options:
        expected = r"num_reads=1000000000000 .*GiB.*Fix: pass num_reads="
    else:
        expected = r"parameters=\['num_reads'\] .*unknown options"
    with pytest.raises(InvalidArgumentError, match=expected):
        sampler.sample(BQM, num_reads=10**12)
    with pytest.raises(InvalidArgumentError, match="num_reads"):
        sampler.check_options(num_reads=10**12)


@pytest.mark.parametrize("value", [0, -1, 1.5, 2.0, True, "10"])
def test_c5_num_reads_must_be_a_positive_integer(value):
    with pytest.raises(InvalidArgumentError, match=r"num_reads=.*positive integer \(at least 1\)"):
        check_num_reads(value)


@pytest.mark.parametrize("name", [name for name in SEEDED if name != "dwave"])  # dwave: seed per call
def test_c5_constructor_defaults_are_checked_the_same_way(name):
    sampler = cheap(name)
    config = {"backend": "fake_manila"} if name == "ibm-runtime" else {}
    with pytest.raises(InvalidArgumentError, match=r"seed=-3 .*\[0, 2\*\*32\)"):
        type(sampler)(**config, seed=-3)

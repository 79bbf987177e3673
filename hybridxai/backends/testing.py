"""The sampler contract: what every hybridxai backend guarantees, checkable on any sampler.

A backend registered with :func:`hybridxai.backends.registry.register_backend` is used by
:func:`hybridxai.explain` like every built-in one, so it must keep the same contract.
:func:`check_sampler` runs it on a sampler *instance* and raises ``AssertionError`` on the first
broken rule; :func:`contract_checks` lists the rules one by one, for a parametrised pytest suite.

The rules:

1. dimod's API contract (``dimod.testing.assert_sampler_api``): a ``dimod.Sampler`` with
   ``parameters`` and ``properties``.
2. Small BINARY and SPIN models with mixed labels and an offset come back in their own vartype
   and labels, every reported energy equals ``bqm.energies`` of its sample (offset included,
   ``dimod.testing.assert_sampleset_energies``), and ``num_reads`` is honoured where it is a
   parameter.
3. The empty model gives a sample set without variables (dimod's convention).
4. A sampler with a ``seed`` parameter returns the same samples for the same seed.
5. hybridxai's own samplers also put ``backend`` and ``timing`` in ``info`` (``*_ns`` durations,
   as dwave-samplers does; ``*_us`` for times a remote solver reports itself), and have a
   pre-flight ``check_options(**options)`` that refuses a bad ``num_reads`` before any work.

Unknown keyword arguments: dimod asks samplers to accept and warn on them. hybridxai's samplers
are stricter and *refuse* them with an error naming the keyword, because a mistyped knob
(``total_tme=100``) that is only warned about silently runs the default anneal, and a quantum run
can cost QPU time. :func:`check_sampler` checks that rule only with ``strict_keywords=True``
(the default). The D-Wave samplers pass extra keywords on to the QPU, which refuses unknown
ones itself.

Example:
    >>> from hybridxai.backends.registry import get_sampler
    >>> check_sampler(get_sampler("exact"))
    >>> check_sampler(get_sampler("statevector", total_time=1.0, num_steps=4, seed=0))
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import dimod
import dimod.testing

__all__ = ["check_sampler", "contract_checks", "contract_bqms"]

Check = Callable[[dimod.Sampler, dict[str, Any]], None]


def contract_bqms() -> list[dimod.BinaryQuadraticModel]:
    """The small models of the contract: BINARY and SPIN, mixed labels, an offset, 3 variables."""
    linear = {"a": -1.0, 7: 0.5, ("t", 1): -0.25}
    quadratic = {("a", 7): 0.75, (7, ("t", 1)): -0.5}
    return [dimod.BinaryQuadraticModel(linear, quadratic, 1.25, vartype)
            for vartype in (dimod.BINARY, dimod.SPIN)]


def _own(sampler: dimod.Sampler) -> bool:
    return type(sampler).__module__.startswith("hybridxai.")


def _api(sampler: dimod.Sampler, _: dict[str, Any]) -> None:
    assert isinstance(sampler, dimod.Sampler), f"{type(sampler).__name__} is not a dimod.Sampler"
    dimod.testing.assert_sampler_api(sampler)


def _round_trip(sampler: dimod.Sampler, options: dict[str, Any]) -> None:
    reads = {"num_reads": 5} if "num_reads" in sampler.parameters else {}
    for bqm in contract_bqms():
        sampleset = sampler.sample(bqm, **reads, **options)
        assert isinstance(sampleset, dimod.SampleSet), "sample() must return a dimod.SampleSet"
        assert len(sampleset) > 0, "sample() returned no samples"
        assert sampleset.vartype is bqm.vartype, f"vartype {sampleset.vartype} for a {bqm.vartype} model"
        assert set(sampleset.variables) == set(bqm.variables), "the samples lost or renamed variables"
        dimod.testing.assert_sampleset_energies(sampleset, bqm)
        if reads and "num_occurrences" in sampleset.record.dtype.names:
            total = int(sampleset.record.num_occurrences.sum())
            assert total <= reads["num_reads"], f"num_reads=5 gave {total} reads"


def _empty(sampler: dimod.Sampler, options: dict[str, Any]) -> None:
    sampleset = sampler.sample(dimod.BinaryQuadraticModel({}, {}, 0.5, dimod.BINARY), **options)
    assert isinstance(sampleset, dimod.SampleSet) and len(sampleset.variables) == 0, \
        "the empty model must give a sample set without variables"


def _seeded(sampler: dimod.Sampler, options: dict[str, Any]) -> None:
    if "seed" not in sampler.parameters:
        return
    bqm = contract_bqms()[0]
    extra = {"num_reads": 20} if "num_reads" in sampler.parameters else {}
    first = sampler.sample(bqm, seed=5, **extra, **options)
    second = sampler.sample(bqm, seed=5, **extra, **options)
    assert first.record.sample.tolist() == second.record.sample.tolist(), "seed=5 twice gave other samples"


def _info(sampler: dimod.Sampler, options: dict[str, Any]) -> None:
    if not _own(sampler):
        return
    info = sampler.sample(contract_bqms()[0], **options).info
    assert "backend" in info, "info lacks 'backend'"
    timing = info.get("timing")
    assert isinstance(timing, dict) and timing, "info lacks 'timing'"
    assert all(key.endswith(("_ns", "_us")) for key in timing), \
        f"timing keys must end in _ns (or _us for times a remote solver reports): {sorted(timing)}"


def _preflight(sampler: dimod.Sampler, _: dict[str, Any]) -> None:
    if not _own(sampler):
        return
    check = getattr(sampler, "check_options", None)
    assert callable(check), "hybridxai samplers need a check_options(**options) pre-flight check"
    if "num_reads" in sampler.parameters:
        try:
            check(num_reads=0)
        except ValueError as exc:
            assert "num_reads" in str(exc), f"the error does not name num_reads: {exc}"
        else:
            raise AssertionError("check_options(num_reads=0) did not refuse the value")


def _strict_keywords(sampler: dimod.Sampler, options: dict[str, Any]) -> None:
    if not _own(sampler):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sampler.sample(contract_bqms()[0], no_such_keyword=1, **options)
        except (TypeError, ValueError) as exc:
            assert "no_such_keyword" in str(exc), f"the error does not name the keyword: {exc}"
        else:
            raise AssertionError("an unknown keyword was accepted")


_CHECKS: dict[str, Check] = {
    "dimod API": _api,
    "BINARY and SPIN round trip": _round_trip,
    "empty model": _empty,
    "seed reproducibility": _seeded,
    "info keys": _info,
    "pre-flight check_options": _preflight,
    "unknown keywords refused": _strict_keywords,
}


def contract_checks(strict_keywords: bool = True) -> Iterator[tuple[str, Check]]:
    """The rules as ``(name, check)`` pairs; ``check(sampler, options)`` raises on a break.

    Args:
        strict_keywords: Include the rule that unknown keywords are refused.

    Example:
        >>> [name for name, _ in contract_checks()][:2]
        ['dimod API', 'BINARY and SPIN round trip']
    """
    for name, check in _CHECKS.items():
        if strict_keywords or name != "unknown keywords refused":
            yield name, check


def check_sampler(sampler: dimod.Sampler, *, strict_keywords: bool = True, **options: Any) -> None:
    """Run every rule of the contract on ``sampler``; raise on the first that breaks.

    Args:
        sampler: The sampler instance (configure it cheaply: a short anneal, few reads).
        strict_keywords: Also require unknown keywords to be refused (hybridxai's rule; pass
            ``False`` for a sampler that follows dimod's warn-and-ignore rule).
        **options: Extra keyword arguments for every ``sample`` call.

    Raises:
        AssertionError: Naming the rule and what broke it.
    """
    for name, check in contract_checks(strict_keywords):
        try:
            check(sampler, options)
        except AssertionError as exc:
            raise AssertionError(f"{type(sampler).__name__} breaks the sampler contract ({name}): {exc}") \
                from exc


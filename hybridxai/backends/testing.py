"""The sampler contract: what every hybridxai backend guarantees, checkable on any sampler.

A backend registered with :func:`hybridxai.backends.registry.register_backend` is used by
:func:`hybridxai.explain` like every built-in one, so it must keep the same contract (in the
spirit of ``dimod.testing``). :func:`check_sampler` runs it on a sampler *instance* and raises
``AssertionError`` on the first broken rule; :func:`contract_checks` lists the rules one by
one, for a parametrised pytest suite. :func:`annealing_sampler_tests` adds, for a new
:class:`~hybridxai.backends.annealing.AnnealingSampler`, the tests the built-in annealers pass
(its final state against the native engine's, the sample set, the argument checks).

The rules:

1. dimod's API contract (``dimod.testing.assert_sampler_api``): a ``dimod.Sampler`` with
   ``parameters`` and ``properties``.
2. Small BINARY and SPIN models with mixed labels and an offset come back in their own vartype
   and labels, every reported energy equals ``bqm.energies`` of its sample (offset included,
   ``dimod.testing.assert_sampleset_energies``), and ``num_reads`` reads are returned where it
   is a parameter.
3. The empty model gives a sample set without variables (dimod's convention).
4. A sampler with a ``seed`` parameter returns the same samples for the same seed.
5. hybridxai samplers (:class:`~hybridxai.backends.base.BaseSampler`) also put ``backend`` and
   ``timing`` in ``info`` (``*_ns`` durations, as dwave-samplers does; ``*_us`` for times a
   remote solver reports itself), and
6. refuse bad values before any work, in the pre-flight ``check_options`` and in ``sample``:
   ``num_reads=0``, and (issue 17, C5) ``seed=-3``, ``seed=1.5``, ``seed=True`` and
   ``num_reads=10**12`` are one :class:`~hybridxai.exceptions.InvalidArgumentError` naming the
   argument, not a traceback or a ``MemoryError``.
7. Unknown keyword arguments are refused, naming the keyword.

Unknown keyword arguments: dimod asks samplers to accept and warn on them
(``dimod.Sampler.remove_unknown_kwargs``). hybridxai's samplers are stricter and *refuse* them,
because a mistyped knob (``total_tme=100``) that is only warned about silently runs the default
anneal, and a quantum run can cost QPU time. The remote samplers that pass solver parameters
through (``forwards_unknown_options``: "dwave", "leap-hybrid") leave that check to the solver.
:func:`check_sampler` applies rule 7 to the hybridxai samplers that
do not forward (``strict_keywords=None``, the default), to every sampler with ``True``, and to
none with ``False``.

Example:
    >>> from hybridxai.backends.registry import get_sampler
    >>> check_sampler(get_sampler("exact"))
    >>> check_sampler(get_sampler("statevector", total_time=1.0, num_steps=4, seed=0))
"""

from __future__ import annotations

import sys
import unittest
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from unittest import mock

import dimod
import dimod.testing
import numpy as np

from hybridxai._util.optional import EXTRAS
from hybridxai.backends.annealing import AnnealingSampler
from hybridxai.backends.base import BaseSampler
from hybridxai.backends.registry import BACKENDS, get_sampler
from hybridxai.backends.statevector import StatevectorAnnealingSampler
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, MissingDependencyError

__all__ = [
    "check_sampler",
    "contract_checks",
    "contract_bqms",
    "mixed_label_bqm",
    "annealing_sampler_tests",
    "BAD_ANNEALING_ARGUMENTS",
    "C5_BAD_VALUES",
]

Check = Callable[[dimod.Sampler, dict[str, Any]], None]

C5_BAD_VALUES: tuple[tuple[str, Any], ...] = (("seed", -3), ("seed", 1.5), ("seed", True),
                                              ("num_reads", 10**12))
"""``(argument, value)`` pairs every hybridxai backend refuses up front (issue 17, item C5)."""


def contract_bqms() -> list[dimod.BinaryQuadraticModel]:
    """The small models of the contract: BINARY and SPIN, mixed labels, an offset, 3 variables."""
    linear = {"a": -1.0, 7: 0.5, ("t", 1): -0.25}
    quadratic = {("a", 7): 0.75, (7, ("t", 1)): -0.5}
    return [dimod.BinaryQuadraticModel(linear, quadratic, 1.25, vartype)
            for vartype in (dimod.BINARY, dimod.SPIN)]


def mixed_label_bqm(num_variables: int, seed: int, vartype: dimod.typing.VartypeLike = "BINARY"
                    ) -> dimod.BinaryQuadraticModel:
    """A dense random model (``dimod.generators.gnp_random_bqm``) with mixed labels and an offset.

    Args:
        num_variables: ``d``.
        seed: Seed of the biases.
        vartype: ``"BINARY"`` or ``"SPIN"``.

    Example:
        >>> bqm = mixed_label_bqm(3, seed=0)
        >>> list(bqm.variables), bqm.num_interactions
        (['v0', 1, ('v', 2)], 3)
    """
    labels = [("v", i) if i % 3 == 2 else (i if i % 3 == 1 else f"v{i}") for i in range(num_variables)]
    rng = np.random.default_rng(seed)
    bqm = dimod.generators.gnp_random_bqm(labels, 1.0, vartype, random_state=seed,
                                          bias_generator=lambda n: rng.normal(size=n))
    bqm.offset = float(rng.normal())
    return bqm


def _own(sampler: dimod.Sampler) -> bool:
    return isinstance(sampler, BaseSampler)


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
        if reads:
            total = int(sampleset.record.num_occurrences.sum())
            assert total == reads["num_reads"], f"num_reads=5 gave {total} reads"


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
    assert info.get("backend") == sampler.backend_name, \
        f"info['backend'] is {info.get('backend')!r}, not the backend_name {sampler.backend_name!r}"
    timing = info.get("timing")
    assert isinstance(timing, dict) and timing, "info lacks 'timing'"
    assert all(key.endswith(("_ns", "_us")) for key in timing), \
        f"timing keys must end in _ns (or _us for times a remote solver reports): {sorted(timing)}"


def _refused(call: Callable[[], Any], name: str, what: str) -> None:
    try:
        call()
    except InvalidArgumentError as exc:
        assert name in str(exc), f"{what}: the error does not name {name}: {exc}"
    except Exception as exc:  # noqa: BLE001 - any other outcome breaks the rule
        raise AssertionError(f"{what} raised {type(exc).__name__}: {exc}, not InvalidArgumentError") from exc
    else:
        raise AssertionError(f"{what} was accepted")


def _preflight(sampler: dimod.Sampler, options: dict[str, Any]) -> None:
    if not _own(sampler):
        return
    check = getattr(sampler, "check_options", None)
    assert callable(check), "hybridxai samplers need a check_options(bqm=None, **options) pre-flight check"
    resolved = check(**options)
    assert isinstance(resolved, dict), \
        f"check_options returned {type(resolved).__name__}, not the options dict"
    bqm = contract_bqms()[0]
    bad = [("num_reads", 0)] if "num_reads" in sampler.parameters else []
    for name, value in bad + list(C5_BAD_VALUES):
        given = {**options, name: value}
        _refused(lambda: check(**given), name, f"check_options({name}={value!r})")  # noqa: B023
        _refused(lambda: check(bqm, **given), name, f"check_options(bqm, {name}={value!r})")  # noqa: B023
        _refused(lambda: sampler.sample(bqm, **given), name, f"sample({name}={value!r})")  # noqa: B023
    try:  # check_options(None) checks the options alone; sample(None) must not get that far
        sampler.sample(None, **options)
    except InvalidTypeError:
        pass
    except Exception as exc:  # noqa: BLE001 - any other outcome breaks the rule
        raise AssertionError(f"sample(None) raised {type(exc).__name__}: {exc}, not InvalidTypeError") \
            from exc
    else:
        raise AssertionError("sample(None) was accepted")


def _strict_keywords(sampler: dimod.Sampler, options: dict[str, Any]) -> None:
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
    "bad values refused up front": _preflight,
    "unknown keywords refused": _strict_keywords,
}


def _strict(sampler: dimod.Sampler, strict_keywords: bool | None) -> bool:
    if strict_keywords is not None:
        return strict_keywords
    return _own(sampler) and not getattr(sampler, "forwards_unknown_options", False)


def contract_checks(sampler: dimod.Sampler | None = None,
                    strict_keywords: bool | None = None) -> Iterator[tuple[str, Check]]:
    """The rules as ``(name, check)`` pairs; ``check(sampler, options)`` raises on a break.

    For ``pytest.mark.parametrize("name, check", contract_checks())``: one test per rule.

    Args:
        sampler: Leave out the rules that do not apply to it (``None``: every rule).
        strict_keywords: See :func:`check_sampler`.

    Example:
        >>> [name for name, _ in contract_checks()][:2]
        ['dimod API', 'BINARY and SPIN round trip']
    """
    for name, check in _CHECKS.items():
        if check is _strict_keywords and sampler is not None and not _strict(sampler, strict_keywords):
            continue
        yield name, check


def check_sampler(sampler: dimod.Sampler, *, strict_keywords: bool | None = None, **options: Any) -> None:
    """Run every rule of the contract on ``sampler``; raise on the first that breaks.

    Args:
        sampler: The sampler instance (configure it cheaply: a short anneal, few reads).
        strict_keywords: Require unknown keywords to be refused: ``None`` (default) for
            hybridxai samplers that do not forward them to a remote solver, ``True`` for any
            sampler, ``False`` for none (a sampler following dimod's warn-and-ignore rule).
        **options: Extra keyword arguments for every ``sample`` call.

    Raises:
        AssertionError: Naming the rule and what broke it.
    """
    for name, check in contract_checks(sampler, strict_keywords):
        try:
            check(sampler, options)
        except AssertionError as exc:
            raise AssertionError(f"{type(sampler).__name__} breaks the sampler contract ({name}): {exc}") \
                from exc


# --------------------------------------------------------------------------------------------
# the tests of an AnnealingSampler
# --------------------------------------------------------------------------------------------
BadArgument = tuple[dict[str, Any], type[Exception], str]

BAD_ANNEALING_ARGUMENTS: list[BadArgument] = [
    (dict(total_time=0.0), InvalidArgumentError, "total_time"),
    (dict(total_time=-3.0), InvalidArgumentError, "total_time"),
    (dict(num_steps=0), InvalidArgumentError, "num_steps"),
    (dict(num_steps=-1), InvalidArgumentError, "num_steps"),
    (dict(num_steps=1.5), InvalidTypeError, "num_steps"),
    (dict(num_steps="10"), InvalidTypeError, "num_steps"),
    (dict(num_reads=0), InvalidArgumentError, "num_reads"),
    (dict(order=4), InvalidArgumentError, "order"),
    (dict(schedule=lambda u: u - 0.5 * np.sin(2 * np.pi * u)), InvalidArgumentError, "non-decreasing"),
    (dict(driver_scale=-1.0), InvalidArgumentError, "driver_scale"),
    (dict(shots=10), InvalidArgumentError, "shots"),
]
"""``(sample() keyword arguments, error, text the message must contain)`` for every annealer."""

Reference = Callable[..., np.ndarray]


def _native_reference(bqm: dimod.BinaryQuadraticModel, total_time: float, num_steps: int,
                      schedule: Any = None, order: int = 1, driver_scale: Any = "unit") -> np.ndarray:
    """The final state of the native engine (numpy, complex128): the reference of the annealers."""
    return StatevectorAnnealingSampler(engine="numpy").final_state(
        bqm, total_time=total_time, num_steps=num_steps, schedule=schedule, order=order,
        driver_scale=driver_scale)


def _quadratic(u: Any) -> Any:
    return np.asarray(u) ** 2


def _sin2(u: Any) -> Any:
    return np.sin(0.5 * np.pi * np.asarray(u)) ** 2


class _AnnealingSamplerChecks:
    """The test methods of :func:`annealing_sampler_tests` (a mixin; the factory binds them)."""

    sampler_class: type[AnnealingSampler]
    backend: str
    reference: Reference
    bad_sample_arguments: Sequence[BadArgument]
    subTest: Callable[..., Any]  # noqa: N815 - unittest.TestCase's

    def test_passes_check_sampler(self) -> None:
        check_sampler(self.sampler_class(total_time=1.0, num_steps=4, seed=0))

    def test_final_state_matches_the_reference(self) -> None:
        for d in (2, 5, 8):
            for order in (1, 2):
                for vartype in ("BINARY", "SPIN"):
                    with self.subTest(d=d, order=order, vartype=vartype):
                        bqm = mixed_label_bqm(d, seed=d + 20 * order, vartype=vartype)
                        state = self.sampler_class().final_state(bqm, total_time=2.0, num_steps=6,
                                                                 order=order)
                        assert state.dtype == np.complex128 and state.shape == (2**d,)
                        expected = self.reference(bqm, 2.0, 6, order=order)
                        np.testing.assert_allclose(state, expected, atol=1e-9, rtol=0)

    def test_nonlinear_schedule_and_driver_scale(self) -> None:
        for vartype, schedule, driver_scale, order in (("SPIN", _quadratic, "1/d", 2),
                                                       ("BINARY", _sin2, 0.5, 1)):
            with self.subTest(schedule=schedule.__name__, driver_scale=driver_scale):
                bqm = mixed_label_bqm(4, seed=3, vartype=vartype)
                sampler = self.sampler_class(driver_scale=driver_scale)
                state = sampler.final_state(bqm, total_time=3.0, num_steps=8, schedule=schedule, order=order)
                expected = self.reference(bqm, 3.0, 8, schedule, order, driver_scale=driver_scale)
                np.testing.assert_allclose(state, expected, atol=1e-9, rtol=0)

    def test_sampleset_finds_the_ground_state(self) -> None:
        for vartype in ("BINARY", "SPIN"):
            with self.subTest(vartype=vartype):
                bqm = mixed_label_bqm(4, seed=12, vartype=vartype)
                sampler = self.sampler_class(total_time=20.0, num_steps=200, seed=1)
                sampleset = sampler.sample(bqm, num_reads=50)
                assert sampleset.vartype is bqm.vartype
                assert set(sampleset.variables) == set(bqm.variables)
                dimod.testing.assert_sampleset_energies(sampleset, bqm)
                ground = dimod.ExactSolver().sample(bqm).first.energy
                np.testing.assert_allclose(sampleset.first.energy, ground, rtol=1e-9, atol=1e-12)
                assert sampleset.info["fidelity"] > 0.5
                assert sampleset.info["backend"] == self.backend
                assert sum(sampleset.record.num_occurrences) == 50
                assert set(sampleset.info["timing"]) >= {"preprocessing_ns", "sampling_ns",
                                                         "postprocessing_ns"}

    def test_sampling_is_reproducible_with_a_seed(self) -> None:
        bqm = mixed_label_bqm(3, seed=0)
        a = self.sampler_class(total_time=1.0, num_steps=5).sample(bqm, seed=5, num_reads=30)
        b = self.sampler_class(total_time=1.0, num_steps=5).sample(bqm, seed=5, num_reads=30)
        np.testing.assert_array_equal(a.record.sample, b.record.sample)
        np.testing.assert_array_equal(a.record.num_occurrences, b.record.num_occurrences)

    def test_empty_model_keeps_the_offset_phase(self) -> None:
        bqm = dimod.BinaryQuadraticModel({}, {}, 1.5, "SPIN")
        state = self.sampler_class().final_state(bqm, total_time=2.0, num_steps=3)
        np.testing.assert_allclose(state, [np.exp(-1j * 1.5 * 1.0)], atol=1e-12)

    def test_bad_sample_arguments(self) -> None:
        bqm = mixed_label_bqm(2, seed=0)
        for kwargs, error, name in list(BAD_ANNEALING_ARGUMENTS) + list(self.bad_sample_arguments):
            with self.subTest(argument=next(iter(kwargs))):
                sampler = self.sampler_class(total_time=1.0, num_steps=2)
                for call, given in ((sampler.sample, (bqm,)), (sampler.check_options, ())):
                    try:
                        call(*given, **kwargs)
                    except error as exc:
                        assert name in str(exc), f"{kwargs}: {name!r} not in {exc}"
                    else:
                        raise AssertionError(f"{kwargs} was accepted")

    def test_bad_constructor_arguments(self) -> None:
        for call, error, name in ((lambda: self.sampler_class(total_time=-1.0), InvalidArgumentError,
                                   "total_time"),
                                  (lambda: self.sampler_class(seed=-3), InvalidArgumentError, "seed"),
                                  (lambda: self.sampler_class().sample({"a": 1.0}), InvalidTypeError, "bqm")):
            try:
                call()
            except error as exc:
                assert name in str(exc), f"{name!r} not in {exc}"
            else:
                raise AssertionError(f"a bad {name} was accepted")

    def test_missing_sdk_names_the_extra(self) -> None:
        extra = BACKENDS[self.backend].extra if self.backend in BACKENDS else None
        if extra is None:
            return
        fix = EXTRAS[extra].pip
        blocked = {module: None for module in EXTRAS[extra].modules}
        for call in (self.sampler_class, lambda: get_sampler(self.backend)):
            with mock.patch.dict(sys.modules, blocked):
                try:
                    call()
                except MissingDependencyError as exc:
                    assert fix in str(exc), f"{fix!r} not in {exc}"
                else:
                    raise AssertionError(f"{self.backend} was created without {EXTRAS[extra].modules}")


def annealing_sampler_tests(
    sampler_class: type[AnnealingSampler],
    *,
    backend: str | None = None,
    bad_sample_arguments: Sequence[BadArgument] = (),
    reference: Reference | None = None,
) -> type[unittest.TestCase]:
    """The tests every statevector annealing backend passes, as a ``unittest.TestCase`` class.

    Bind the result to a ``Test…`` name in a test module (pytest and unittest collect it). It
    holds :func:`check_sampler`, dimod's generated BQM tests
    (``dimod.testing.load_sampler_bqm_tests``), the final state against ``reference`` (BINARY
    and SPIN, 2 to 8 qubits, Trotter orders 1 and 2, non-linear schedules and driver scales),
    the sample set, seeds, the empty model, :data:`BAD_ANNEALING_ARGUMENTS` and the error when
    the backend's SDK is missing.

    Args:
        sampler_class: The :class:`~hybridxai.backends.annealing.AnnealingSampler` subclass
            (it implements ``_evolve``).
        backend: Its registry name (default: ``sampler_class.backend_name``).
        bad_sample_arguments: Backend-specific ``(kwargs, error, text)`` cases.
        reference: ``reference(bqm, total_time, num_steps, schedule=None, order=1,
            driver_scale="unit")`` → the expected final state (default: the native engine's,
            itself tested against dense matrix exponentials).

    Returns:
        The ``unittest.TestCase`` subclass.

    Example:
        >>> TestStatevector = annealing_sampler_tests(StatevectorAnnealingSampler)
        >>> TestStatevector.__name__
        'StatevectorAnnealingSamplerTests'
    """

    def quick_sampler() -> dimod.Sampler:
        return sampler_class(total_time=1.0, num_steps=4, seed=7)

    quick_sampler.__name__ = f"quick_{sampler_class.__name__}"
    attributes = {
        "sampler_class": sampler_class,
        "backend": backend or sampler_class.backend_name,
        "reference": staticmethod(reference or _native_reference),
        "bad_sample_arguments": tuple(bad_sample_arguments),
        "test_sampler_api": lambda self: dimod.testing.assert_sampler_api(sampler_class()),
    }
    cls = type(f"{sampler_class.__name__}Tests", (_AnnealingSamplerChecks, unittest.TestCase), attributes)
    return dimod.testing.load_sampler_bqm_tests(quick_sampler)(cls)

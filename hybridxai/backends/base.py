"""The base class of every hybridxai sampler: defaults, the pre-flight check, ``info`` and results.

:class:`BaseSampler` is a ``dimod.Sampler`` that writes down what all of hybridxai's backends
promise (and :func:`hybridxai.backends.testing.check_sampler` verifies):

* ``self.defaults``: the constructor's defaults of the :meth:`~BaseSampler.sample` options; a
  call's option left out (or ``None``) takes the default.
* :meth:`~BaseSampler.check_options`: ONE pre-flight check, cheap and without any model work,
  called first by ``sample`` and by :func:`hybridxai.explain` before the network runs. It
  returns the resolved options (``dict``) on every backend. With a ``bqm`` it also checks the
  problem (finite biases, size limits of the backend).
* Unknown keyword arguments are refused with an error naming them. dimod's rule is to accept
  and warn (``dimod.Sampler.remove_unknown_kwargs``); hybridxai is stricter because a mistyped
  knob (``total_tme=100``) that is only warned about silently runs the default anneal, and a
  remote run costs QPU time. Remote samplers that pass solver parameters through
  (:attr:`~BaseSampler.forwards_unknown_options`) leave the check to the solver.
* ``seed`` and ``num_reads`` mean the same everywhere and are checked the same way: a seed is
  an integer in ``[0, 2**32)`` or ``None``; ``num_reads`` a positive integer whose samples fit
  in memory.
* ``info`` always has ``backend`` (the registry name) and ``timing``, wall-clock durations in
  nanoseconds under ``*_ns`` keys (``preprocessing_ns``, ``sampling_ns``,
  ``postprocessing_ns`` as dwave-samplers reports them; durations a remote solver reports
  itself keep its unit, e.g. ``*_us``). :meth:`~BaseSampler.to_sampleset` builds every result.

Example:
    >>> import dimod
    >>> class OneFlip(BaseSampler):
    ...     backend_name = "one-flip"
    ...     parameters = {"seed": []}
    ...     def sample(self, bqm, **options):
    ...         self.check_options(bqm, **options)
    ...         ground = dimod.ExactSolver().sample(bqm).lowest()
    ...         return self.to_sampleset(ground, info={}, timing={"sampling_ns": 0})
    >>> bqm = dimod.BinaryQuadraticModel({"a": -1.0}, {}, 0.5, "BINARY")
    >>> result = OneFlip().sample(bqm, seed=3)
    >>> float(result.first.energy), result.info["backend"]
    (-0.5, 'one-flip')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import dimod

from hybridxai._util.checks import check_bqm, check_positive_int, check_reads_memory, check_seed
from hybridxai._util.memory import available_memory_bytes
from hybridxai.exceptions import invalid_argument

__all__ = ["BaseSampler", "check_num_reads"]


def check_num_reads(num_reads: Any, bytes_per_read: int = 16) -> int:
    """A ``num_reads``: a positive integer whose samples fit in 80 % of the available memory.

    Args:
        num_reads: The value given.
        bytes_per_read: Memory one read needs, to refuse impossible counts before allocating.

    Returns:
        The value, as an ``int``.

    Raises:
        InvalidArgumentError: Not an integer (``bool`` and floats included, as for ``seed``),
            below 1, or more reads than memory holds.

    Example:
        >>> check_num_reads(100)
        100
    """
    num_reads = check_positive_int("num_reads", num_reads, "pass e.g. num_reads=100")
    return check_reads_memory(num_reads, bytes_per_read, int(0.8 * available_memory_bytes()))


class BaseSampler(dimod.Sampler):
    """Base of hybridxai's samplers (see the module docstring for the contract).

    A subclass sets :attr:`backend_name`, declares :attr:`parameters`, puts its constructor
    defaults in :attr:`defaults`, checks its own option values in :meth:`_resolve_options`
    (and the problem in :meth:`_check_problem`), and implements ``sample`` as
    ``options = self.check_options(bqm, **options)``, the work, then
    ``return self.to_sampleset(...)``.

    Args:
        **defaults: The defaults of the :meth:`sample` options.
    """

    backend_name: ClassVar[str] = ""
    """The registry name, also ``info["backend"]`` and ``properties["backend"]``."""
    bytes_per_read: ClassVar[int] = 16
    """Memory one read takes in the result (refuses an impossible ``num_reads`` up front)."""
    forwards_unknown_options: ClassVar[bool] = False
    """``True`` for remote samplers that pass options they do not declare to the solver."""
    default_max_variables: ClassVar[int | None] = None
    """How many of the most important feature maps ``explain`` keeps for this sampler when the
    user gives no ``max_qubits`` (``None``: all of them)."""

    def __init__(self, **defaults: Any) -> None:
        self.defaults: dict[str, Any] = dict(defaults)

    @property
    def properties(self) -> dict[str, Any]:
        """Static properties of the sampler (dimod convention): at least ``backend``."""
        return {"backend": self.backend_name}

    # -- the pre-flight check ------------------------------------------------------------
    def check_options(self, bqm: dimod.BinaryQuadraticModel | None = None, **options: Any) -> dict[str, Any]:
        """Validate :meth:`sample`'s options (and ``bqm``, if given) without doing any work.

        Args:
            bqm: The problem, to also check its biases and the backend's size limits; ``None``
                checks the options alone (what :func:`hybridxai.explain` does before the model
                runs).
            **options: Keyword arguments of :meth:`sample`.

        Returns:
            The options :meth:`sample` will use: the defaults updated by the given options
            (``None`` meaning "the default"), resolved by the backend.

        Raises:
            InvalidArgumentError: An unknown option, a bad value (``seed=-3``,
                ``num_reads=1.5``, ...), or a problem the backend cannot take.
            InvalidTypeError: ``bqm`` is not a ``dimod.BinaryQuadraticModel`` (and some
                backends' options of the wrong type).
        """
        if bqm is not None:
            check_bqm(bqm)
        if not self.forwards_unknown_options:
            unknown = sorted(set(options) - set(self.parameters), key=str)
            if unknown:
                raise invalid_argument("parameters", unknown,
                                       f"unknown options for the '{self.backend_name}' backend",
                                       f"use some of {sorted(self.parameters)}")
        resolved = {**self.defaults, **{k: v for k, v in options.items() if v is not None}}
        self._check_common(resolved)
        resolved = self._resolve_options(resolved, bqm)
        if bqm is not None:
            self._check_problem(bqm, resolved)
        return resolved

    def check_sample(self, bqm: dimod.BinaryQuadraticModel, **options: Any) -> dict[str, Any]:
        """:meth:`check_options` for a :meth:`sample` call, where ``bqm`` is required.

        ``check_options(None, ...)`` checks the options alone; a ``sample(None)`` must not be
        taken for that, so ``None`` is refused here like any other non-BQM.

        Raises:
            InvalidTypeError: ``bqm`` is ``None`` or not a ``dimod.BinaryQuadraticModel``.
        """
        if bqm is None:
            check_bqm(bqm)  # raises the error every other non-BQM gets
        return self.check_options(bqm, **options)

    def _check_common(self, options: Mapping[str, Any]) -> None:
        """The checks of the options every backend shares: ``seed`` and ``num_reads``."""
        check_seed(options.get("seed"))
        if options.get("num_reads") is not None:
            check_num_reads(options["num_reads"], self.bytes_per_read)

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        """Check the backend's own option values; return them resolved (defaults filled in)."""
        return options

    def _check_problem(self, bqm: dimod.BinaryQuadraticModel, options: Mapping[str, Any]) -> None:
        """Refuse a problem the backend cannot take (too large for its memory or device)."""

    # -- results -------------------------------------------------------------------------
    def to_sampleset(
        self,
        samples: Any,
        *,
        info: Mapping[str, Any],
        timing: Mapping[str, int | float],
        vartype: dimod.typing.VartypeLike | None = None,
        energy: Any = None,
        **vectors: Any,
    ) -> dimod.SampleSet:
        """The result of :meth:`sample`, with the ``info`` keys every backend shares.

        Args:
            samples: A ``dimod.SampleSet`` (its record is kept: energies, occurrences and any
                per-sample field such as ``chain_break_fraction``), or samples in any form
                ``dimod.as_samples`` takes, e.g. ``(array, labels)``.
            info: The backend's ``info``; ``backend`` is set to :attr:`backend_name`.
            timing: Durations, ``*_ns`` (or a remote solver's own unit, ``*_us``).
            vartype: The problem's vartype (for raw samples).
            energy: The energies, offset included (for raw samples).
            **vectors: Further per-sample fields (``num_occurrences``, ``probability``).

        Returns:
            The ``dimod.SampleSet``.
        """
        info = {"backend": self.backend_name, **info, "timing": dict(timing)}
        info["backend"] = self.backend_name
        if isinstance(samples, dimod.SampleSet):
            return dimod.SampleSet(samples.record, samples.variables, info, samples.vartype)
        return dimod.SampleSet.from_samples(samples, vartype=vartype, energy=energy, info=info,
                                            **vectors)

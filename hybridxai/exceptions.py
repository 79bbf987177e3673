"""Exceptions raised by hybridxai.

Every error a user can provoke is one of the classes below. Each subclasses the
built-in exception a Python programmer would expect (``ValueError``, ``TypeError``,
``ImportError`` …), so ``except ValueError`` keeps working, and each message names
the argument, the value received and the fix.

Use :func:`invalid_argument` / :func:`invalid_type` to build them so the wording is
uniform across the package.

Example:
    >>> from hybridxai.exceptions import invalid_argument
    >>> err = invalid_argument("beta", 1.5, "must lie in [0, 1]", "pass a value such as beta=0.7")
    >>> str(err)
    'beta=1.5 is invalid: must lie in [0, 1]. Fix: pass a value such as beta=0.7.'
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "HybridXAIError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "LayerNotFoundError",
    "UnknownBackendError",
    "ProblemTooLargeError",
    "MissingDependencyError",
    "ConfigurationError",
    "ServiceUnavailableError",
    "SuboptimalSelectionWarning",
    "UnresolvedProfileWarning",
    "MemoryLimitedWarning",
    "invalid_argument",
    "invalid_type",
    "describe_value",
]


class HybridXAIError(Exception):
    """Base class of every error raised on purpose by hybridxai."""


class InvalidArgumentError(HybridXAIError, ValueError):
    """An argument has the right type but a value that cannot be used."""


class InvalidTypeError(HybridXAIError, TypeError):
    """An argument has a type that hybridxai cannot use."""


class LayerNotFoundError(InvalidArgumentError):
    """The requested target layer does not exist, or the model has no usable layer."""


class UnknownBackendError(InvalidArgumentError):
    """A backend name that is not in the sampler registry."""


class ProblemTooLargeError(InvalidArgumentError):
    """The problem exceeds what a solver can hold (exact enumeration, statevector memory)."""


class MissingDependencyError(HybridXAIError, ImportError):
    """An optional dependency is not installed; the message names the pip command."""


class ConfigurationError(HybridXAIError, RuntimeError):
    """A remote service is not configured (missing or invalid credentials)."""


class ServiceUnavailableError(HybridXAIError, ConnectionError):
    """A remote service or download cannot be reached (no network, service down)."""


class SuboptimalSelectionWarning(UserWarning):
    """The selection's QUBO energy is above the best energy known for its QUBO.

    Raised (as a warning) by :func:`hybridxai.explain` when a backend returns a selection that is
    provably not optimal (see ``Explanation.info["optimality"]``); the message names the settings
    that fix it (``total_time``, ``schedule="local-adiabatic"``, ``num_reads``,
    ``postprocess="descent"``).
    """


class UnresolvedProfileWarning(UserWarning):
    """An adaptive gap profile stopped before its targets were met.

    Raised (as a warning) by :func:`hybridxai.analysis.gap_profile` (and
    :func:`hybridxai.anneal.gap_profile.compute_gap_profile`) with ``adaptive=True`` when the
    points ran out before every interpolation error was within ``rtol`` or before the lowest
    point was within ``tol`` of the minimum (also when the eigensolver cannot reach ``tol``);
    the result's ``info["interpolation_error"]`` and ``info["resolved"]`` say how far it got,
    and the message names the fix (a larger ``num_points``, ``rtol`` or ``tol``).
    """


class MemoryLimitedWarning(UserWarning):
    """The memory budget holds fewer eigensolver vectors than preferred: the work is slower.

    Raised (as a warning) by :func:`hybridxai.analysis.gap_profile` (and
    :func:`hybridxai.anneal.gap_profile.compute_gap_profile`) when ``max_memory_bytes`` (or, by
    default, 80 % of the free memory) leaves the Davidson solver a smaller search space than it
    would choose; the result is as accurate, and the message names the budget that avoids it.
    (:func:`hybridxai.analysis.min_gap` always uses the smallest search space.)
    """


def describe_value(value: Any, limit: int = 80) -> str:
    """Return a short, readable description of ``value`` for error messages.

    Tensors and arrays are described by type, shape and dtype rather than printed.

    Args:
        value: Any object.
        limit: Maximum length of the ``repr`` used for other objects.

    Returns:
        A one-line description.
    """
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"<{type(value).__name__} shape={tuple(shape)} dtype={dtype}>"
    if isinstance(value, (list, tuple)) and any(
            getattr(v, "shape", None) is not None and getattr(v, "dtype", None) is not None
            for v in value):
        # a list of arrays/tensors: describe the items, do not print their values
        items = ", ".join(describe_value(v, limit) for v in value[:2])
        more = ", ..." if len(value) > 2 else ""
        return f"<{type(value).__name__} of {len(value)}: {items}{more}>"
    text = " ".join(repr(value).split())  # one line, even for multi-line reprs
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def invalid_argument(
    name: str,
    value: Any,
    problem: str,
    fix: str,
    cls: type[InvalidArgumentError] = InvalidArgumentError,
) -> InvalidArgumentError:
    """Build a uniformly worded value error.

    Args:
        name: The argument's name as the user wrote it (``"beta"``).
        value: The value received.
        problem: What is wrong with it (``"must lie in [0, 1]"``).
        fix: What to do instead (``"pass a value such as beta=0.7"``).
        cls: The exception class to instantiate.

    Returns:
        The exception, ready to ``raise``.
    """
    return cls(f"{name}={describe_value(value)} is invalid: {problem}. Fix: {_sentence(fix)}")


def invalid_type(name: str, value: Any, expected: str, fix: str) -> InvalidTypeError:
    """Build a uniformly worded type error.

    Args:
        name: The argument's name.
        value: The value received.
        expected: A description of the accepted types.
        fix: What to do instead.

    Returns:
        The exception, ready to ``raise``.
    """
    return InvalidTypeError(
        f"{name} has type {type(value).__name__} ({describe_value(value)}); expected {expected}. "
        f"Fix: {_sentence(fix)}"
    )

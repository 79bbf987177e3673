"""Small argument validators shared across the package (uniform wording, see :mod:`hybridxai.exceptions`).

* :func:`check_positive_int` — counts (workers, reads, batch sizes).
* :func:`check_bqm` — a ``dimod.BinaryQuadraticModel`` with finite biases (samplers, exact physics).
* :func:`check_seed` — a sampler seed: an integer in ``[0, 2**32)`` or ``None``.
* :func:`check_reads_memory` — a ``num_reads`` whose samples fit in memory.
* :func:`check_flag` — a ``True``/``False`` switch (numpy's bools too), optionally ``None``.
"""

from __future__ import annotations

import numbers
from typing import Any

import dimod
import numpy as np

from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["check_positive_int", "check_bqm", "check_seed", "check_reads_memory", "check_flag"]


def check_flag(name: str, value: object, fix: str | None = None, *, optional: bool = False) -> bool:
    """A switch: ``True`` or ``False`` (``numpy.bool_`` too), or ``None`` when ``optional``.

    Args:
        name: The argument, for the message.
        value: Its value.
        fix: What to pass instead; default ``"pass <name>=True or <name>=False"``.
        optional: ``None`` is accepted (and returned as ``False``).

    Returns:
        The value as a Python ``bool``.

    Raises:
        InvalidTypeError: For anything else (a string such as ``"yes"``, ``0``, ``1.0``).

    Example:
        >>> check_flag("adaptive", np.True_)
        True
        >>> check_flag("adaptive", "yes")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.InvalidTypeError: adaptive has type str ('yes'); expected True or False...
    """
    if not isinstance(value, (bool, np.bool_)) and not (optional and value is None):
        raise invalid_type(name, value, "True or False" + (" or None" if optional else ""),
                           fix or f"pass {name}=True or {name}=False")
    return bool(value)


def check_positive_int(name: str, value: object, fix: str, *, minimum: int = 1) -> int:
    """Validate an integer count such as ``workers`` or ``retries``.

    Python and numpy integers are accepted; ``bool``, floats (even ``2.0``) and anything else are
    refused. The one wording for counts: ``"must be a positive integer (at least 1)"``.

    Args:
        name: The argument's name as the user wrote it (``"workers"``).
        value: The value received.
        fix: What to do instead (``"pass e.g. --workers 4"``).
        minimum: The smallest value allowed (default 1; 0 for counts such as retries).

    Returns:
        The value, as an ``int``.

    Raises:
        InvalidArgumentError: Not an integer, or below ``minimum``.

    Example:
        >>> check_positive_int("workers", 4, "pass e.g. workers=2")
        4
        >>> check_positive_int("retries", 0, "pass e.g. retries=2", minimum=0)
        0
        >>> check_positive_int("workers", 0, "pass e.g. workers=2")
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.InvalidArgumentError: workers=0 is invalid: must be a positive integer
        (at least 1). Fix: pass e.g. workers=2.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        problem = {1: "must be a positive integer (at least 1)", 0: "must be a non-negative integer"}.get(
            minimum, f"must be an integer of at least {minimum}")
        raise invalid_argument(name, value, problem, fix)
    return int(value)


def check_bqm(bqm: Any, name: str = "bqm") -> dimod.BinaryQuadraticModel:
    """Refuse anything but a ``dimod.BinaryQuadraticModel`` with finite biases.

    Args:
        bqm: The value passed by the user.
        name: The argument's name, for the message.

    Returns:
        ``bqm`` unchanged.

    Raises:
        InvalidTypeError: If ``bqm`` is not a ``dimod.BinaryQuadraticModel``.
        InvalidArgumentError: If a linear or quadratic bias, or the offset, is NaN or infinite
            (every energy would be NaN, and a simulated state would lose its norm).

    Example:
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY")
        >>> check_bqm(bqm) is bqm
        True
    """
    if not isinstance(bqm, dimod.BinaryQuadraticModel):
        raise invalid_type(name, bqm, "a dimod.BinaryQuadraticModel",
                           "build one with hybridxai.build_qubo(...).bqm or "
                           "dimod.BinaryQuadraticModel(...)")
    linear, (_, _, quadratic), offset = bqm.to_numpy_vectors()
    finite = (np.all(np.isfinite(linear)) and np.all(np.isfinite(quadratic))
              and np.isfinite(offset))
    if not finite:
        raise invalid_argument(name, bqm, "has NaN or infinite biases, so no energy is defined",
                               "check how the QUBO was built (build_qubo refuses non-finite "
                               "feature maps and gradients)")
    return bqm


def check_seed(seed: object, *, optional: bool = True) -> int | None:
    """A seed: an integer in ``[0, 2**32)`` (numpy's ``SeedSequence`` range), or ``None`` if ``optional``.

    Example:
        >>> check_seed(3), check_seed(None)
        (3, None)
        >>> check_seed(None, optional=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.InvalidArgumentError: seed=None is invalid: must be a non-negative...
    """
    if seed is None and optional:
        return None
    if (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer))
            or not 0 <= seed < 2**32):
        also = " or None" if optional else ""
        raise invalid_argument("seed", seed, f"must be a non-negative integer in [0, 2**32){also}",
                               "pass e.g. seed=0")
    return int(seed)


def check_reads_memory(num_reads: int, bytes_per_read: int, budget: int) -> int:
    """Refuse a ``num_reads`` whose samples would not fit in ``budget`` bytes (before allocating).

    Example:
        >>> check_reads_memory(100, 16, 10**6)
        100
    """
    if num_reads * bytes_per_read > budget:
        raise invalid_argument(
            "num_reads", num_reads,
            f"needs {num_reads * bytes_per_read / 2**30:.3g} GiB for the samples, more than the "
            f"{budget / 2**30:.3g} GiB that may be used",
            f"pass num_reads={max(1, budget // bytes_per_read)} or fewer",
        )
    return int(num_reads)

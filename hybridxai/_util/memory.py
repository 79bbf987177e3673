"""How much memory a ``2**d`` statevector (or a long list of steps) needs, and refusing it before allocating.

Shared by the annealing backends, the circuit builders and the exact analysis, so every
"too many qubits" (and "too many steps") error is worded the same way.
"""

from __future__ import annotations

import math
import numbers
import os

from hybridxai.exceptions import ProblemTooLargeError, invalid_argument, invalid_type

__all__ = [
    "available_memory_bytes",
    "check_memory_budget",
    "check_statevector_memory",
    "check_count_memory",
    "human_bytes",
]


def check_memory_budget(max_bytes: object, name: str = "max_memory_bytes") -> int | None:
    """A memory budget argument as whole bytes: ``None`` (the default budget) or a positive number.

    Args:
        max_bytes: The argument.
        name: Its name, for the message.

    Returns:
        ``None``, or ``int(max_bytes)``.

    Raises:
        InvalidTypeError: For a string, a bool or anything else that is not a real number.
        InvalidArgumentError: For a number below one byte, NaN or infinity.

    Example:
        >>> check_memory_budget(None), check_memory_budget(2.5e9)
        (None, 2500000000)
        >>> check_memory_budget("1GB")
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.InvalidTypeError: max_memory_bytes has type str ('1GB'); expected a
        number of bytes or None. Fix: pass e.g. max_memory_bytes=2**30 (1 GiB), or None for 80 %
        of the available memory.
    """
    fix = f"pass e.g. {name}=2**30 (1 GiB), or None for 80 % of the available memory"
    if max_bytes is None:
        return None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, numbers.Real):
        raise invalid_type(name, max_bytes, "a number of bytes or None", fix)
    if not math.isfinite(float(max_bytes)) or max_bytes < 1:
        raise invalid_argument(name, max_bytes, "must be a positive, finite number of bytes", fix)
    return int(max_bytes)


def available_memory_bytes() -> int:
    """Memory available to a new allocation (``MemAvailable``), falling back to total RAM."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def human_bytes(n: float) -> str:
    """Bytes in binary units; beyond 1024 PiB, a power of two (``2**654 B``), not 180 digits.

    Example:
        >>> human_bytes(3 * 2**30), human_bytes(2.0**60), human_bytes(16 * 2.0**654)
        ('3.0 GiB', '1024.0 PiB', 'about 2**658 B')
    """
    if n >= 2.0**60 * 1024:
        return f"about 2**{round(math.log2(n))} B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_statevector_memory(
    num_qubits: int,
    bytes_per_amplitude: int,
    *,
    backend: str,
    max_bytes: int | None = None,
    subject: str | None = None,
    fix: str | None = None,
) -> int:
    """Refuse, before allocating, a statevector that would not fit in memory.

    Args:
        num_qubits: ``d``.
        bytes_per_amplitude: All bytes the backend needs per basis state (state, diagonal,
            workspace), e.g. ``16 + 8`` for a complex128 state and a float64 diagonal.
        backend: Backend name, for the message.
        max_bytes: Budget; default 80 % of the currently available memory.
        subject: What needs the ``2**d`` values, for the message; default
            ``"the '<backend>' backend: its statevector"``.
        fix: What to do instead, for the message; ``{fit}`` in it becomes the largest qubit
            count that fits. Default: fewer feature maps in ``hybridxai.explain()`` or
            ``backend='sa'``.

    Returns:
        The number of bytes that will be needed.

    Raises:
        ProblemTooLargeError: If the need exceeds the budget; the message names the qubit
            count, the bytes needed and the fix.

    Example:
        >>> check_statevector_memory(10, 24, backend="statevector", max_bytes=2**20)
        24576
        >>> try:
        ...     check_statevector_memory(20, 24, backend="statevector", max_bytes=2**20)
        ... except ProblemTooLargeError as exc:
        ...     print(exc)  # doctest: +NORMALIZE_WHITESPACE
        num_qubits=20 is too large for the 'statevector' backend: its statevector needs 24.0 MiB
        but only 1.0 MiB may be used. Fix: pass max_qubits=15 (or fewer) to hybridxai.explain()
        to keep only the most important feature maps, or use backend='sa' for large problems.
    """
    need = (2**num_qubits) * bytes_per_amplitude
    checked = check_memory_budget(max_bytes)
    budget = int(0.8 * available_memory_bytes()) if checked is None else checked
    if need > budget:
        fit = min(max(0, int(math.log2(max(budget, 1) / bytes_per_amplitude))), num_qubits - 1)
        what = subject or f"the {backend!r} backend: its statevector"
        advice = fix or ("pass max_qubits={fit} (or fewer) to hybridxai.explain() to keep only the "
                         "most important feature maps, or use backend='sa' for large problems")
        if fit < 1:  # not even one qubit: only a larger budget helps
            advice = ("free memory or raise the memory budget (max_memory_bytes): not even one "
                      "qubit fits in it")
        raise ProblemTooLargeError(
            f"num_qubits={num_qubits} is too large for {what} needs {human_bytes(need)} but "
            f"only {human_bytes(budget)} may be used. Fix: {advice.format(fit=fit)}."
        )
    return need


_COUNT_CHECK_FROM = 10**6  # below this many items no check (see check_count_memory)


def check_count_memory(name: str, value: object, count: int, bytes_each: int, what: str,
                       fix: str, max_bytes: int | None = None) -> None:
    """Refuse, before allocating, ``count`` items of ``bytes_each`` that would not fit in memory.

    For arguments that set a length (anneal steps, grid points): an absurd value is refused
    with its name and the memory it would take, instead of numpy's ``MemoryError`` minutes
    later. Below a million items nothing is checked: the call costs a read of
    ``/proc/meminfo``, and a million anneal steps take about 610 MiB.

    Args:
        name: The argument, for the message.
        value: Its value, for the message.
        count: How many items it asks for.
        bytes_each: Bytes per item (all the per-item arrays and records together).
        what: What the items are, for the message (e.g. ``"anneal steps"``).
        fix: What to do instead.
        max_bytes: Budget; default 80 % of the currently available memory.

    Raises:
        ProblemTooLargeError: If ``count·bytes_each`` exceeds the budget.

    Example:
        >>> check_count_memory("num_steps", 10**9, 10**9, 64, "anneal steps", "pass fewer",
        ...                    max_bytes=2**30)  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.ProblemTooLargeError: num_steps=1000000000 asks for 1e+09 anneal
        steps, which need 59.6 GiB but only 1.0 GiB may be used. Fix: pass fewer.
    """
    if count < _COUNT_CHECK_FROM:
        return
    need = count * bytes_each
    budget = int(0.8 * available_memory_bytes()) if max_bytes is None else max_bytes
    if need > budget:
        raise ProblemTooLargeError(
            f"{name}={value!r} asks for {count:.3g} {what}, which need {human_bytes(need)} but "
            f"only {human_bytes(budget)} may be used. Fix: {fix}."
        )

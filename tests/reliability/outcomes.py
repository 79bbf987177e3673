"""Run the catalogue's cases once per process and remember what happened.

The parametrised test and the table generator share these outcomes, so a full test run does
each call once. A case's ``setup`` (imports, model loading) is not timed; a call that takes a
second or more is run once more and timed warm, so one-off costs of a process (first imports,
numba's on-disk cache) are not blamed on the error path. Every call runs with internet sockets
disabled (:func:`tests.reliability._support.no_network`).
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reliability import _support as S
from tests.reliability.cases import by_id

__all__ = ["Outcome", "outcome", "stable_message", "TIME_LIMIT"]

ROOT = Path(__file__).resolve().parents[2]

TIME_LIMIT = 1.0
"""Seconds a bad input may take to be refused (issue #7: "in well under a second")."""


@dataclass
class Outcome:
    """What one call did.

    Attributes:
        error: The exception raised, or ``None``.
        result: The return value (``None`` when it raised).
        caught: Warnings emitted during the call.
        elapsed: Seconds the (warm) call took.
        cold: Seconds the first call took (equal to ``elapsed`` unless it was rerun).
    """

    error: BaseException | None
    result: Any
    caught: list[warnings.WarningMessage] = field(default_factory=list)
    elapsed: float = 0.0
    cold: float = 0.0

    @property
    def message(self) -> str:
        """The exception's message, the CLI's stderr, or ''."""
        if self.error is not None:
            return str(self.error)
        if isinstance(self.result, S.CliResult):
            return self.result.stderr.strip()
        return ""


def _call(key: str) -> Outcome:
    case = by_id()[key]
    with warnings.catch_warnings(record=True) as caught, S.no_network():
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            result, error = case.call(), None
        except Exception as exc:  # noqa: BLE001 - the outcome is what is under test
            result, error = None, exc
        elapsed = time.perf_counter() - start
    return Outcome(error, result, list(caught), elapsed, elapsed)


@functools.cache
def outcome(key: str) -> Outcome:
    """Run the case with id ``key`` (once per process) and return what happened."""
    case = by_id()[key]
    if case.setup is not None:
        case.setup()
    first = _call(key)
    if first.elapsed < TIME_LIMIT:
        return first
    warm = _call(key)
    warm.cold = first.elapsed
    return warm


_VOLATILE = (
    # memory available on this machine, and the qubit count that would fit in it
    (re.compile(r"only [\d.]+ [KMGTP]?i?B may be used"), "only <memory budget> may be used"),
    (re.compile(r"max_qubits=\d+ \(or fewer\)"), "max_qubits=<what fits> (or fewer)"),
    (re.compile(r"the budget fits d ≤ \d+\)"), "the budget fits d ≤ <what fits>)"),
    (re.compile(r"max_qubits=\d+\), or"), "max_qubits=<what fits>), or"),
    (re.compile(r" at 0x[0-9a-fA-F]+"), ""),
    (re.compile(r"hybridxai-nocreds-[A-Za-z0-9_]+"), "<empty HOME>"),
    # the CPUs of this machine, suggested as a worker count (execution.make_executor, --workers)
    (re.compile(r"\b(workers[ =])\d+(?= \(the CPUs)"), r"\1<CPUs>"),
    # the local stand-in servers of the --scheduler cases listen on a free port
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
)


def stable_message(text: str) -> str:
    """``text`` with machine-dependent parts (free memory, CPUs, temp paths, addresses) replaced."""
    text = " ".join(text.split())
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.replace(str(ROOT) + os.sep, "").replace(tempfile.gettempdir(), "<tmp>")

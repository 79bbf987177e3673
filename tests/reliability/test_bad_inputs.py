"""Every bad input of the catalogue gets its named error, a useful message, fast (issue #7).

For each :class:`~tests.reliability.cases.Case`:

* the call raises exactly the expected class, which subclasses the built-in a Python
  programmer would catch (``ValueError``, ``TypeError``, ``ImportError`` …);
* the message names the argument, the value and the fix (the case's substrings, and
  ``"Fix:"``), on one line;
* it fails in under a second, without opening a network connection;
* accepted inputs (all-negative importance, a single map, …) behave as documented;
* the command line exits with status 2 and prints exactly one line on stderr.

``docs/reliability.md`` holds the table generated from these outcomes; the last test checks
it is in sync.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridxai.exceptions import (
    ConfigurationError,
    HybridXAIError,
    InvalidArgumentError,
    InvalidTypeError,
    MissingDependencyError,
    ServiceUnavailableError,
)
from tests.reliability import _support as S
from tests.reliability.cases import CASES, by_id, case_id
from tests.reliability.outcomes import TIME_LIMIT, outcome

BUILTIN = {
    InvalidArgumentError: ValueError,
    InvalidTypeError: TypeError,
    MissingDependencyError: ImportError,
    ConfigurationError: RuntimeError,
    ServiceUnavailableError: ConnectionError,
}


def builtin_of(cls: type[BaseException]) -> type[BaseException]:
    """The built-in exception a hybridxai error class stands for."""
    for base in cls.__mro__:
        if base in BUILTIN:
            return BUILTIN[base]
    raise AssertionError(f"{cls.__name__} is not under a hybridxai base class")


IDS = [case_id(case) for case in CASES]


@pytest.mark.parametrize("key", IDS)
def test_bad_input(key: str) -> None:
    case = by_id()[key]
    result = outcome(key)
    where = f"{case.entry}: {case.bad}"
    if case.exit_status is not None:  # the command line
        assert result.error is None, f"{where}: the CLI raised {result.error!r} instead of exiting"
        cli = result.result
        assert isinstance(cli, S.CliResult)
        assert cli.status == case.exit_status, f"{where}: exit status {cli.status}, stderr {cli.stderr!r}"
        lines = cli.stderr.strip().splitlines()
        assert len(lines) == 1, f"{where}: stderr is not one line: {cli.stderr!r}"
        assert lines[0].startswith("hybridxai: error: ") and "Fix:" in lines[0], lines[0]
        message = lines[0]
    elif case.raises is not None:
        error = result.error
        assert error is not None, f"{where}: no error, returned {result.result!r}"
        assert type(error) is case.raises, (
            f"{where}: raised {type(error).__name__}: {error}, expected {case.raises.__name__}")
        assert isinstance(error, HybridXAIError)
        assert isinstance(error, builtin_of(case.raises))
        message = str(error)
        assert "Fix:" in message, f"{where}: the message names no fix: {message}"
        assert "\n" not in message.strip(), f"{where}: the message spans several lines"
    else:  # accepted, possibly with a warning
        assert result.error is None, f"{where}: raised {result.error!r}, expected it to be accepted"
        if case.warns is not None:
            assert any(issubclass(w.category, case.warns) for w in result.caught), (
                f"{where}: no {case.warns.__name__} among {[w.category for w in result.caught]}")
        if case.check is not None:
            case.check(result.result)
        message = ""
    for part in case.contains:
        assert part in message, f"{where}: {part!r} not in the message: {message}"
    assert result.elapsed < TIME_LIMIT, f"{where}: took {result.elapsed:.2f} s (limit {TIME_LIMIT} s)"


def test_catalogue_covers_every_entry_point_and_topic() -> None:
    entries = {case.entry.split("(")[0].split(":")[0] for case in CASES}
    for needed in ("explain", "explain_batch", "build_qubo", "get_sampler", "sample", "circuits.",
                   "analysis.min_gap", "analysis.fidelity_curve", "analysis.spectrum",
                   "analysis.fit_exponential", "metrics.average_drop",
                   "metrics.increase_in_confidence", "metrics.masked_confidences",
                   "metrics.deletion_curves", "metrics.insertion_curves",
                   "metrics.selection_histograms", "metrics.bhattacharyya_matrix", "explain_folder",
                   "certify", "execution.make_executor", "cli"):
        assert any(e.startswith(needed) for e in entries), f"no case for {needed}"
    from hybridxai.backends.registry import BACKENDS

    backends = {case.entry for case in CASES if case.entry.startswith("sample(")}
    for name in BACKENDS:  # every registered backend, including ones added later
        assert f"sample('{name}')" in backends, (
            f"no sample() case for the registered backend {name!r}: add some to "
            "tests/reliability/cases.py")
    topics = {case.topic for case in CASES}
    for topic in ("wrong type", "wrong shape", "NaN/inf", "empty", "single FM", "all-negative importance",
                  "duplicate FMs", "zero-norm FM", "beta/gamma/k range", "non-monotone schedule",
                  "zero/negative time", "memory", "no conv layer", "model output", "device",
                  "missing SDK", "missing credentials"):
        assert topic in topics, f"no case for {topic!r}"


def test_reliability_table_is_in_sync() -> None:
    from tests.reliability.write_table import DOC, generated_block, read_block

    current = read_block(Path(DOC).read_text(encoding="utf-8"))
    expected = generated_block()
    assert current == expected, (
        "docs/reliability.md is out of date with tests/reliability/cases.py: run "
        "`python -m tests.reliability.write_table` to regenerate it")

"""The ``hybridxai`` command: a typer app whose errors are one line and an exit status.

Exit status: 0 done; 1 a run that finished but could not explain every image (the others are
kept; rerunning retries the failed ones); 2 a usage or input error, printed as one line
``hybridxai: error: ... Fix: ...`` on stderr with no traceback; 130 interrupted by Ctrl-C
(finished results kept).
"""

from __future__ import annotations

import errno
import functools
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from hybridxai.cli import commands
from hybridxai.cli.console import plain
from hybridxai.cli.explain import explain_command
from hybridxai.exceptions import HybridXAIError

__all__ = ["app", "main", "MULTI_VALUE_OPTIONS"]

MULTI_VALUE_OPTIONS: dict[str, tuple[str, ...]] = {
    "train": ("--num-filters",),
    "evaluate": ("--methods", "--metrics"),
}
"""Options taking several values after one flag (``--methods a b c``), as the command line always did."""


def _spread(args: list[str]) -> list[str]:
    """``--methods a b`` → ``--methods a --methods b``; a bare ``--num-filters`` → ``--num-filters none``."""
    command = next((a for a in args if not a.startswith("-")), None)
    multi = MULTI_VALUE_OPTIONS.get(command or "", ())
    result: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg not in multi:
            result.append(arg)
            continue
        values = []
        while i < len(args) and not args[i].startswith("--"):
            values.append(args[i])
            i += 1
        for value in values or (["none"] if arg == "--num-filters" else []):
            result += [arg, value]
        if not values and arg != "--num-filters":
            result.append(arg)  # click reports the missing value
    return result


_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
"""The base class of typer's usage errors (click's ``ClickException``, vendored by recent typer)."""


def _rejected_value(error: Exception) -> str:
    """The value typer could not convert, when its message does not quote it."""
    cause = error.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            return f"invalid value {errors()[0]['input']!r}: "
        except (LookupError, TypeError):
            return ""
    return ""


def _one_line(error: Any) -> str:
    """A usage error as ``hybridxai: error: ... (in 'hybridxai explain'). Fix: ...``."""
    context = getattr(error, "ctx", None)
    where = context.command_path if context is not None else "hybridxai"
    message = error.format_message()
    if isinstance(error, typer.BadParameter) and error.param is not None:
        opts = getattr(error.param, "opts", None) or [error.param.name]
        message = f"argument {'/'.join(opts)}: {_rejected_value(error)}{error.message}"
    message = " ".join(message.split()).rstrip(".")
    return f"hybridxai: error: {message} (in '{where}'). Fix: see '{where} --help'."


class OneLineGroup(TyperGroup):
    """Typer's group, but usage errors print one line (no box, no usage block) and exit 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Run the command; with ``standalone_mode`` exit with its status, else return it."""
        argv = list(sys.argv[1:] if args is None else args)
        try:
            result = super().main(_spread(argv) or ["--help"], prog_name or "hybridxai", complete_var,
                                  standalone_mode=False, **extra)
            status = 2 if not argv else result if isinstance(result, int) else 0  # no command: usage
        except _USAGE_ERROR as exc:
            print(_one_line(exc), file=sys.stderr)
            status = int(getattr(exc, "exit_code", 2))
        except typer.Abort:
            print("hybridxai: interrupted. Rerun the same command to resume.", file=sys.stderr)
            status = 130
        if standalone_mode:
            sys.exit(status)
        return status


def _guard(command: Callable[..., int]) -> Callable[..., int]:
    """Turn hybridxai's errors into one line on stderr and an exit status."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> int:
        try:
            return command(*args, **kwargs)
        except HybridXAIError as exc:
            print(f"hybridxai: error: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("hybridxai: interrupted. Rerun the same command to resume.", file=sys.stderr)
            return 130
        except OSError as exc:  # unreadable input, unwritable output folder, full disk ...
            fix = ("free some disk space and rerun the same command: finished results are kept"
                   if exc.errno == errno.ENOSPC else "check the path and its permissions")
            print(f"hybridxai: error: {exc.strerror or exc} ({exc.filename or 'file system'}). "
                  f"Fix: {fix}.", file=sys.stderr)
            return 2

    return run


app = typer.Typer(
    cls=OneLineGroup, name="hybridxai", add_completion=False, pretty_exceptions_enable=False,
    help="Explain CNN image classifiers by selecting feature maps with a QUBO, solved by simulated "
         "or quantum annealing.",
    epilog="Examples: 'hybridxai explain --sample chelsea', 'hybridxai explain cat.jpg --model resnet18 "
           "--target tabby --backend exact --max-qubits 16', 'hybridxai explain photos/ --out out/photos', "
           "'hybridxai backends'.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(importlib.import_module("hybridxai").__version__)
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_version, is_eager=True)] = False) -> None:
    """Explain CNN image classifiers by selecting feature maps with a QUBO."""


def _register(name: str, function: Callable[..., int], short: str) -> None:
    doc = plain(function.__doc__ or "")
    app.command(name, help=doc, short_help=short)(_guard(function))


_register("explain", explain_command, "Explain one image's prediction, or a folder of images.")
_register("backends", commands.backends_command, "List the solver backends and whether they are installed.")
_register("samples", commands.samples_command, "List the bundled sample photos.")
_register("train", commands.train_command, "Train the paper's heads on a frozen pretrained backbone.")
_register("reproduce", commands.reproduce_command, "Reproduce the paper's tables and figures.")
_register("evaluate", commands.evaluate_command,
          "Compare the faithfulness of explanation methods (Quantus).")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Args:
        argv: Arguments (default ``sys.argv[1:]``).

    Example:
        >>> main(["samples"]) == 0  # doctest: +ELLIPSIS
        astronaut
        ...
        True
    """
    return int(typer.main.get_command(app).main(argv, "hybridxai", standalone_mode=False))

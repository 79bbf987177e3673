"""What the command line prints: plain help text, rich progress bars and tables.

Example:
    >>> plain("See :func:`hybridxai.explain` and ``--out``.")
    'See hybridxai.explain and --out.'
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

__all__ = ["plain", "stdout", "stderr", "RichBar", "table"]

_ROLE = re.compile(r":(?:[a-z]+:)?[a-z]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LITERAL = re.compile(r"``([^`]*)``")


def plain(text: str) -> str:
    """``text`` without reStructuredText markup (roles and literals), as help shows it.

    Args:
        text: A docstring or help text.

    Returns:
        The text with ``:role:`target``` → ``target`` and ````code```` → ``code``.

    Example:
        >>> plain("a :class:`~hybridxai.explainer.settings.ExplainSettings`")
        'a hybridxai.explainer.settings.ExplainSettings'
    """
    return _LITERAL.sub(r"\1", _ROLE.sub(r"\1", text))


def stdout() -> Console:
    """A console on the current ``sys.stdout`` (no colour codes when it is not a terminal)."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def stderr() -> Console:
    """A console on the current ``sys.stderr``."""
    return Console(file=sys.stderr, highlight=False)


class RichBar:
    """A rich progress bar with the part of tqdm's interface the runners use.

    It draws only on a terminal (so logs and captured output stay clean); :meth:`write` prints
    above the bar.

    Args:
        total: Steps in all.
        initial: Steps already done.
        desc: Label.
        unit: Name of one step.
        disable: Draw nothing.
    """

    def __init__(self, *, total: int, initial: int = 0, desc: str = "", unit: str = "it",
                 disable: bool = False) -> None:
        console = stderr()
        self._console = console
        self._progress: Progress | None = None
        if not disable and console.is_terminal:
            self._progress = Progress(TextColumn(f"{desc} [progress.description]"), BarColumn(),
                                      MofNCompleteColumn(), TextColumn(unit), TimeRemainingColumn(),
                                      console=console, transient=False)
            self._task = self._progress.add_task("", total=total, completed=initial)
            self._progress.start()

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps."""
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def write(self, text: str) -> None:
        """Print a line (above the bar while it is drawn)."""
        self._console.print(text, markup=False, highlight=False)

    def close(self) -> None:
        """Stop drawing."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A rich table of strings (``None`` shown as an empty cell).

    Example:
        >>> table("t", ["a", "b"], [[1, None]]).row_count
        1
    """
    result = Table(title=title, title_justify="left")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*("" if v is None else str(v) for v in row))
    return result

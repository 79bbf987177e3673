"""Progress bars of long work: tqdm's, or a tqdm-compatible class the caller passes.

Every entry point that can run for minutes takes one ``progress`` argument with the same
meaning: ``True`` or ``False`` to show or hide the bar, ``None`` for that entry point's default,
or a class called like ``tqdm(total=, initial=, desc=, unit=, disable=)`` to draw it with (e.g.
``tqdm.rich.tqdm``, which draws the count and the label but not tqdm's postfix, where the
physics shows the last point's ``s`` and gap). :func:`check_progress` refuses anything else
before any work starts, and :func:`progress_bar` makes the bar. The explanations
(:mod:`hybridxai.explainer`) and the exact physics (:func:`hybridxai.analysis.min_gap`,
:func:`hybridxai.analysis.gap_profile`, :func:`hybridxai.analysis.fidelity_curve`) share them.

Example:
    >>> bar = progress_bar(False, total=2, desc="explain", unit="image", default=True)
    >>> bar.update(1); bar.close()
    >>> check_progress("yes")
    Traceback (most recent call last):
    ...
    hybridxai.exceptions.InvalidTypeError: progress has type str ('yes'); expected True, False,
    None or a tqdm-compatible class. Fix: pass progress=False to hide the bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from hybridxai.exceptions import invalid_type

__all__ = ["ProgressLike", "check_progress", "progress_bar", "show_progress"]

ProgressLike = bool | Callable[..., Any] | None
"""What a ``progress`` argument takes: a bool, ``None`` (the default) or a tqdm-like class."""


def check_progress(progress: Any) -> None:
    """Refuse a ``progress`` value that is neither a bool, ``None`` nor a tqdm-like class.

    Args:
        progress: The argument.

    Raises:
        InvalidTypeError: If it is something else (a string, a number …). A callable that is
            not called like tqdm is refused by :func:`progress_bar`, which calls it.
    """
    if not (progress is None or isinstance(progress, (bool, np.bool_)) or callable(progress)):
        raise invalid_type("progress", progress, "True, False, None or a tqdm-compatible class",
                           "pass progress=False to hide the bar")


def show_progress(progress: ProgressLike, default: bool) -> bool:
    """Whether the bar is drawn: ``default`` for ``None``, else what ``progress`` says.

    Example:
        >>> show_progress(None, True), show_progress(False, True), show_progress(tqdm, False)
        (True, False, True)
    """
    return default if progress is None else bool(progress)


def progress_bar(progress: ProgressLike, *, total: int | None, initial: int = 0,
                 desc: str, unit: str, default: bool) -> Any:
    """The progress bar the ``progress`` argument asks for: tqdm's, or the given tqdm-like class.

    Args:
        progress: The argument (a bool, ``None`` or a class called like ``tqdm``).
        total: Steps in all (``None``: not known in advance; the bar counts and times them).
        initial: Steps already done (a resumed run).
        desc: Label.
        unit: Name of one step.
        default: Whether the bar is drawn when ``progress`` is ``None`` (:func:`show_progress`);
            otherwise it is made but draws nothing.

    Returns:
        An object with tqdm's ``update(n)``, ``write(text)`` and ``close()``.

    Raises:
        InvalidTypeError: If ``progress`` is a callable that does not take tqdm's arguments or
            does not return an object with ``update`` and ``close``.
    """
    factory = progress if callable(progress) and not isinstance(progress, (bool, np.bool_)) else tqdm
    expected = ("True, False, None or a tqdm-compatible class (called as tqdm(total=, initial=, "
                "desc=, unit=, disable=), returning an object with update(n) and close())")
    try:
        bar = factory(total=total, initial=initial, desc=desc, unit=unit,
                      disable=not show_progress(progress, default))
    except TypeError as exc:  # a callable that is not called like tqdm (e.g. print)
        raise invalid_type("progress", progress, expected,
                           f"pass progress=True for tqdm's bar ({exc})") from exc
    if not (callable(getattr(bar, "update", None)) and callable(getattr(bar, "close", None))):
        raise invalid_type("progress", progress, expected,
                           f"pass progress=True for tqdm's bar (it returned {type(bar).__name__})")
    return bar

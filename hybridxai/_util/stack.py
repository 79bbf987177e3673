"""The ``stacklevel`` that points a warning at the user's code, however deep inside hybridxai it is raised.

A fixed ``stacklevel`` is right for one call path only: ``gap_profile`` reaches
``compute_gap_profile`` one frame deeper than a user who calls ``compute_gap_profile`` itself.
Python 3.12's ``warnings.warn(skip_file_prefixes=...)`` does this, but hybridxai supports 3.10.
"""

from __future__ import annotations

import inspect
import os

__all__ = ["caller_stacklevel"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def caller_stacklevel() -> int:
    """``stacklevel`` of the first frame outside hybridxai, counted from the caller of this.

    The function that calls this (and then ``warnings.warn``) is level 1.

    Example:
        >>> caller_stacklevel()  # called from outside the package: the caller itself
        1
    """
    frame = inspect.currentframe()
    frame = frame.f_back if frame is not None else None  # the caller's frame: stacklevel 1
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
        level += 1
    return level if frame is not None else 1

"""Small argument validators shared across the package (uniform wording, see :mod:`hybridxai.exceptions`)."""

from __future__ import annotations

import numbers

from hybridxai.exceptions import invalid_argument

__all__ = ["check_positive_int"]


def check_positive_int(name: str, value: object, fix: str, *, minimum: int = 1) -> int:
    """Validate an integer count such as ``workers`` or ``retries``.

    Python and numpy integers are accepted; ``bool``, floats (even ``2.0``) and anything else are
    refused.

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
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        problem = {1: "must be a positive integer", 0: "must be a non-negative integer"}.get(
            minimum, f"must be an integer of at least {minimum}")
        raise invalid_argument(name, value, problem, fix)
    return int(value)

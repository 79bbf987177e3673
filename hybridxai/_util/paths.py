r"""Where hybridxai keeps its files: the per-user cache folder, from :mod:`platformdirs`.

``~/.cache/hybridxai`` on Linux (``$XDG_CACHE_HOME/hybridxai`` when that is set),
``~/Library/Caches/hybridxai`` on macOS and ``%LOCALAPPDATA%\hybridxai\Cache`` on Windows.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "user_cache_dir"]

APP_NAME = "hybridxai"


def user_cache_dir(subfolder: str, env: str | None = None) -> Path:
    """A folder of hybridxai's user cache, or the one an environment variable names.

    Args:
        subfolder: The folder inside the user cache (``"features"``, ``"datasets"`` …).
        env: An environment variable that overrides the whole path when set and non-empty
            (``~`` is expanded).

    Returns:
        The path (not created).

    Example:
        >>> os.environ["HYBRIDXAI_EXAMPLE"] = "~/elsewhere"
        >>> user_cache_dir("features", "HYBRIDXAI_EXAMPLE") == Path.home() / "elsewhere"
        True
        >>> del os.environ["HYBRIDXAI_EXAMPLE"]
        >>> user_cache_dir("features").parts[-2:]
        ('hybridxai', 'features')
    """
    override = os.environ.get(env) if env else None
    if override:
        return Path(override).expanduser()
    return platformdirs.user_cache_path(APP_NAME, appauthor=False) / subfolder

"""File output shared by every writer of results: JSON-safe values, atomic writes, output folders."""

from __future__ import annotations

import math
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from hybridxai.exceptions import invalid_argument

__all__ = ["versions", "to_jsonable", "write_atomic", "output_folder"]

_VERSIONED = ("hybridxai", "torch", "torchvision", "numpy", "dimod", "dwave-samplers", "qiskit",
              "qiskit-aer", "pennylane", "pennylane-lightning", "dwave-system")


def versions() -> dict[str, str]:
    """Versions of Python and of the installed packages that shape a result."""
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, paths and nested containers for ``json.dump``.

    Non-finite floats become ``None``; objects with no JSON form become their ``repr``.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def write_atomic(path: Path, write: Any) -> None:
    """Write via a temporary file in the same folder and rename, so no half file is left."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_folder(path: str | os.PathLike[str], name: str = "directory") -> Path:
    """Check, before any work is done, that results can be written under ``path``.

    Args:
        path: The output folder (need not exist yet).
        name: The argument's name, for the message (``"out"``, ``"--out"`` ...).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        InvalidArgumentError: If ``path`` (or one of its parents) is an existing file, or the
            nearest existing parent is not writable.

    Example:
        >>> output_folder("hybridxai-out/cat", "out").name
        'cat'
    """
    folder = Path(path)
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise invalid_argument(name, str(path), f"{candidate} is a file, not a folder",
                                       "pass a folder path (new or existing) for the results")
            if not os.access(candidate, os.W_OK | os.X_OK):
                raise invalid_argument(name, str(path), f"{candidate} is not writable",
                                       "pass a folder you can write to")
            break
    return folder

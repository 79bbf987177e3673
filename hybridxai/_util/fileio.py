"""File output shared by every writer of results: JSON-safe values, atomic writes, output folders."""

from __future__ import annotations

import errno
import json
import math
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from hybridxai.exceptions import invalid_argument

__all__ = ["versions", "to_jsonable", "write_atomic", "output_folder", "is_inside", "read_json",
           "disk_full"]

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


def disk_full(exc: OSError, path: str | os.PathLike[str]) -> OSError:
    """The clear form of a "no space left on device" error while writing ``path``.

    Args:
        exc: The error raised by the write.
        path: The file being written.

    Returns:
        ``exc`` itself if it is not about a full disk, else an :class:`OSError` with
        ``errno.ENOSPC`` whose message says so in words.

    Example:
        >>> disk_full(OSError(errno.ENOSPC, "No space left on device"), "out/a.png").strerror
        'disk full (no space left on device): the file was not written'
    """
    if exc.errno != errno.ENOSPC:
        return exc
    return OSError(errno.ENOSPC, "disk full (no space left on device): the file was not written", str(path))


def write_atomic(path: Path, write: Any) -> None:
    """Write via a temporary file in the same folder and rename, so no half file is left.

    Args:
        path: The file to write (its folder must exist).
        write: Called with the temporary file's path; writes the content there.

    Raises:
        OSError: From the write; a full disk is said in words (:func:`disk_full`), and neither
            ``path`` nor the temporary file is changed or left behind.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise disk_full(exc, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether ``path``, with every link and ``..`` resolved, lies in ``root`` (or is it).

    Example:
        >>> is_inside("out/a/../b", "out"), is_inside("out/../elsewhere", "out")
        (True, False)
    """
    return Path(path).resolve().is_relative_to(Path(root).resolve())


def read_json(path: str | os.PathLike[str], name: str, value: Any = None) -> Any:
    """Read a JSON file; a damaged one is one clear error naming the file.

    Args:
        path: The file.
        name: The argument that led to the file (``"out"``, ``"config"``), for the message.
        value: That argument's value (default: the path).

    Returns:
        The parsed content.

    Raises:
        InvalidArgumentError: The file is not valid JSON (or not UTF-8 text).
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        problem = f"{path} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except UnicodeDecodeError:
        problem = f"{path} is not UTF-8 text, so not a JSON file"
    raise invalid_argument(name, str(path) if value is None else value, problem,
                           "restore the file, or delete it together with the results it belongs to")


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

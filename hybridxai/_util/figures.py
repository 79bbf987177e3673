r"""The one way hybridxai makes and writes a figure: matplotlib's object API on an Agg canvas.

No pyplot and no display, so figures are drawn the same on a headless machine and in worker
processes. matplotlib is imported when a figure is made, not when this module is. Files are
PNG unless their name asks for another format matplotlib writes (``.pdf``, ``.svg``, ...).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> fig = agg_figure((3.0, 2.0))
    >>> _ = fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    >>> folder = Path(tempfile.mkdtemp())
    >>> save_figure(fig, folder / "sub" / "line.png").read_bytes()[:4] == b"\x89PNG"
    True
    >>> save_figure(fig, folder / "line.pdf").read_bytes()[:5] == b"%PDF-"
    True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from hybridxai._util.fileio import write_atomic
from hybridxai.exceptions import invalid_argument

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["agg_figure", "save_figure", "figure_format", "DPI"]

DPI = 120
"""Resolution of every raster image hybridxai writes (dots per inch)."""

_NEEDS_LATEX = {"pgf"}  # matplotlib runs LaTeX to write these


def agg_figure(figsize: tuple[float, float] = (6.0, 4.0)) -> Figure:
    """A new empty figure with constrained layout, attached to an Agg canvas.

    Args:
        figsize: Width and height in inches.

    Returns:
        The figure (add axes with ``fig.subplots(...)`` or ``fig.add_subplot(...)``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_format(path: str | os.PathLike[str]) -> str:
    """The file format ``path`` asks for: its suffix, or ``"png"`` when it has none.

    A suffix asks for a format when it is made of letters (``.pdf``, ``.svg``); one that is
    not (``gap_s0.5``, ``fig_T10.0``) is part of the name, which is then a PNG, as is a name
    without a dot. A name that is only a suffix (``.pdf``) asks for that format.

    Args:
        path: The file to write.

    Returns:
        A format matplotlib writes without pyplot or LaTeX (``"png"``, ``"pdf"``, ``"svg"``,
        ``"jpg"``...).

    Raises:
        InvalidArgumentError: For a suffix of letters matplotlib cannot write here (checked
            before drawing).

    Example:
        >>> figure_format("fig.PDF"), figure_format("out/profile"), figure_format("a.b.svg")
        ('pdf', 'png', 'svg')
        >>> figure_format("gap_s0.5"), figure_format(".pdf")
        ('png', 'pdf')
    """
    from matplotlib.backend_bases import FigureCanvasBase

    name = Path(path).name
    suffix = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if not suffix.isalpha():
        return "png"
    supported = set(FigureCanvasBase.get_supported_filetypes()) - _NEEDS_LATEX
    if suffix not in supported:
        raise invalid_argument(
            "path", os.fspath(path), f"matplotlib cannot write '.{suffix}' files here",
            "end the name in .png, .pdf, .svg, .eps or .jpg (or another format matplotlib "
            "writes)")
    return suffix


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = DPI) -> Path:
    """Write ``fig`` in the format its name asks for (PNG without a suffix); return the path.

    Missing parent folders are created. The file is written whole or not at all (a temporary
    file renamed into place), and a full disk is said in words.

    Args:
        fig: The figure.
        path: Where to write it; ``.pdf``, ``.svg`` and matplotlib's other formats are written
            as such (:func:`figure_format`).
        dpi: Resolution of raster formats.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        InvalidArgumentError: For a suffix matplotlib cannot write, or a folder (or ``""``)
            instead of a file name.
        PermissionError: The folder cannot be written to (the message names ``path``).
        OSError: The file could not be written otherwise.
    """
    target = Path(path)
    if target.name in ("", ".", "..") or target.is_dir():
        raise invalid_argument("path", os.fspath(path), "is a folder, not a file name",
                               "pass a file in it, e.g. path='<folder>/profile.png'")
    kind = figure_format(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, lambda tmp: fig.savefig(tmp, format=kind, dpi=dpi))
    except PermissionError as exc:
        raise PermissionError(
            exc.errno, f"cannot write the figure {os.fspath(target)!r} ({exc.strerror}). Fix: "
            "pass a path in a folder you can write to") from exc
    return target

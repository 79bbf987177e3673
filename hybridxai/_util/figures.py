r"""The one way hybridxai makes and writes a figure: matplotlib's object API on an Agg canvas, PNG files.

No pyplot and no display, so figures are drawn the same on a headless machine and in worker
processes. matplotlib is imported when a figure is made, not when this module is.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> fig = agg_figure((3.0, 2.0))
    >>> _ = fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    >>> path = save_png(fig, Path(tempfile.mkdtemp()) / "sub" / "line.png")
    >>> path.read_bytes()[:4] == b"\x89PNG"
    True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from hybridxai._util.fileio import write_atomic

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["agg_figure", "save_png", "DPI"]

DPI = 120
"""Resolution of every PNG hybridxai writes (dots per inch)."""


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


def save_png(fig: Figure, path: str | os.PathLike[str], dpi: int = DPI) -> Path:
    """Write ``fig`` as a PNG file, creating missing parent folders; return the path.

    The file is written whole or not at all (a temporary file renamed into place), and a full
    disk is said in words.

    Args:
        fig: The figure.
        path: Where to write it.
        dpi: Resolution.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        OSError: The file could not be written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))
    return target

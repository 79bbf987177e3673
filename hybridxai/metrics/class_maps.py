"""Class–class map: how much two classes share selected feature maps (the paper's Fig. 2).

For each class ``c``, ``p_c(k)`` is the normalised histogram over the ``K`` feature maps of
how often map ``k`` was selected for images of class ``c``; the map between classes ``c`` and
``c'`` is the Bhattacharyya coefficient ``BC(c, c') = Σ_k sqrt(p_c(k)·p_c'(k))``: 1 on the
diagonal, 0 for classes whose selections never share a map.

Convention for a class with no selections (no images, or only empty selections): ``p_c`` is
undefined, so its histogram row is all zeros and its row and column of the BC matrix —
diagonal included — are NaN, with an :class:`EmptyClassWarning`. :func:`plot_class_map`
draws NaN cells blank and writes "n/a".
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hybridxai._util.checks import check_positive_int
from hybridxai._util.figures import save_figure
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.metrics._checks import as_index

__all__ = ["EmptyClassWarning", "selection_histograms", "bhattacharyya_matrix", "plot_class_map"]


class EmptyClassWarning(UserWarning):
    """A class has no selected feature maps, so its Bhattacharyya coefficients are NaN."""


def _count(name: str, value: Any) -> int:
    fix = f"pass a positive int for {name}"
    return check_positive_int(name, as_index(name, value, fix), fix)


def selection_histograms(
    selections: Sequence[Sequence[int]],
    labels: Sequence[int] | NDArray[np.integer],
    num_feature_maps: int,
    num_classes: int,
) -> NDArray[np.float64]:
    """Per-class normalised histograms ``p_c(k)`` of selected feature maps.

    Args:
        selections: One tuple of selected channel indices per image (e.g.
            ``[e.selected for e in explanations]``); each index in ``[0, num_feature_maps)``,
            no repeats within a tuple.
        labels: The class of each image (true labels, or the explained targets), in
            ``[0, num_classes)``.
        num_feature_maps: ``K``, the number of maps at the layer.
        num_classes: Number of classes (rows).

    Returns:
        float64 ``(num_classes, K)``; row ``c`` sums to 1, or is all zeros when class ``c``
        has no selections.

    Raises:
        InvalidArgumentError: Lengths that differ, indices out of range, repeated channels.
        InvalidTypeError: Non-integer indices or labels.

    Example:
        >>> selection_histograms([(0, 1), (1,), (2,)], [0, 0, 1], 3, 2).tolist()
        [[0.3333333333333333, 0.6666666666666666, 0.0], [0.0, 0.0, 1.0]]

    """
    k = _count("num_feature_maps", num_feature_maps)
    c = _count("num_classes", num_classes)
    fix = "pass one tuple of channel indices per image, e.g. [e.selected for e in explanations]"
    if isinstance(selections, (str, bytes)) or not isinstance(selections, Sequence):
        raise invalid_type("selections", selections, "a sequence of channel tuples", fix)
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        raise invalid_type("labels", labels, "a sequence of class indices",
                           "pass one class index per image")
    if len(labels) != len(selections):
        raise invalid_argument("labels", labels,
                               f"has {len(labels)} entries for {len(selections)} selections",
                               "pass exactly one class per image")
    classes = np.array([as_index(f"labels[{i}]", y, "pass integer class indices")
                        for i, y in enumerate(labels)], dtype=np.int64)
    bad = np.flatnonzero((classes < 0) | (classes >= c))
    if bad.size:
        i = int(bad[0])
        raise invalid_argument(f"labels[{i}]", int(classes[i]), f"must lie in [0, {c})",
                               "pass class indices below num_classes")
    rows: list[NDArray[np.int64]] = []
    for i, sel in enumerate(selections):
        if isinstance(sel, (str, bytes)) or not isinstance(sel, (Sequence, np.ndarray)):
            raise invalid_type(f"selections[{i}]", sel, "a tuple of channel indices", fix)
        channels = np.array([as_index(f"selections[{i}]", ch, fix) for ch in sel], dtype=np.int64)
        if channels.size and (channels.min() < 0 or channels.max() >= k):
            raise invalid_argument(f"selections[{i}]", tuple(sel), f"channels must lie in [0, {k})",
                                   "check num_feature_maps (K of the explained layer)")
        if np.unique(channels).size != channels.size:
            raise invalid_argument(f"selections[{i}]", tuple(sel), "repeats a channel",
                                   "pass each selected channel once")
        rows.append(channels)
    counts = np.zeros((c, k), dtype=np.float64)
    if rows:
        flat = np.concatenate(rows)
        owner = np.repeat(classes, [r.size for r in rows])
        np.add.at(counts, (owner, flat), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def bhattacharyya_matrix(histograms: Any) -> NDArray[np.float64]:
    """Bhattacharyya coefficients ``BC(c, c') = Σ_k sqrt(p_c(k)·p_c'(k))`` between rows.

    Rows are normalised to sum 1 first, so raw counts work too. The result is exactly
    symmetric, in [0, 1], with 1 on the diagonal. A row of zeros (a class with no selections)
    gives a NaN row and column and an :class:`EmptyClassWarning`.

    Args:
        histograms: ``(C, K)`` non-negative, e.g. from :func:`selection_histograms`.

    Returns:
        float64 ``(C, C)``.

    Raises:
        InvalidArgumentError: Not 2-D, negative or non-finite entries.

    Example:
        >>> bhattacharyya_matrix([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]).round(12).tolist()
        [[1.0, 0.5], [0.5, 1.0]]

    """
    try:
        p = np.array(histograms, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid_type("histograms", histograms, "a (C, K) array of non-negative numbers",
                           "pass the output of selection_histograms()") from None
    fix = "pass a (num_classes, K) array such as selection_histograms(...)"
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise invalid_argument("histograms", histograms, f"must be a non-empty 2-D (C, K) array, "
                               f"got shape {p.shape}", fix)
    if not np.all(np.isfinite(p)) or (p < 0).any():
        raise invalid_argument("histograms", histograms, "entries must be finite and >= 0", fix)
    totals = p.sum(axis=1)
    empty = totals == 0
    p = np.divide(p, totals[:, None], out=np.zeros_like(p), where=~empty[:, None])
    roots = np.sqrt(p)
    bc = roots @ roots.T
    bc = np.clip(0.5 * (bc + bc.T), 0.0, 1.0)
    np.fill_diagonal(bc, 1.0)
    if empty.any():
        warnings.warn(f"classes {np.flatnonzero(empty).tolist()} have no selected feature maps; "
                      "their Bhattacharyya coefficients are NaN", EmptyClassWarning, stacklevel=2)
        bc[empty, :] = np.nan
        bc[:, empty] = np.nan
    return bc


def plot_class_map(
    matrix: Any,
    class_names: Sequence[str],
    path: str | os.PathLike[str] | None = None,
    *,
    title: str | None = "Class–class map (Bhattacharyya coefficient)",
    cmap: str = "viridis",
    decimals: int = 2,
) -> Any:
    """Draw the class–class map as an annotated heat map, like the paper's Fig. 2.

    Uses matplotlib's object API (no pyplot state, works under Agg). NaN cells are blank
    and annotated "n/a".

    Args:
        matrix: ``(C, C)`` values in [0, 1] (NaN allowed), e.g. :func:`bhattacharyya_matrix`.
        class_names: ``C`` labels for the rows and columns.
        path: Where to write the figure (PNG, or the format the suffix names, e.g. ``.pdf``;
            parent folders are created); ``None`` writes nothing.
        title: Figure title, or ``None``.
        cmap: A matplotlib colormap name.
        decimals: Digits after the point in the cell annotations.

    Returns:
        The ``matplotlib.figure.Figure``.

    Raises:
        InvalidArgumentError: A matrix that is not square, values outside [0, 1], or a
            ``class_names`` of the wrong length.

    Example:
        >>> fig = plot_class_map([[1.0, 0.5], [0.5, 1.0]], ["cat", "dog"])
        >>> fig.axes[0].get_xticklabels()[1].get_text()
        'dog'

    """
    from matplotlib.figure import Figure

    try:
        m = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid_type("matrix", matrix, "a square array", "pass bhattacharyya_matrix(...)") \
            from None
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise invalid_argument("matrix", matrix, f"must be a non-empty square array, got shape "
                               f"{m.shape}", "pass bhattacharyya_matrix(...)")
    finite = m[np.isfinite(m)]
    if np.isinf(m).any() or (finite.size and (finite.min() < 0.0 or finite.max() > 1.0)):
        raise invalid_argument("matrix", matrix, "values must lie in [0, 1] (NaN allowed)",
                               "pass Bhattacharyya coefficients")
    if isinstance(class_names, str) or len(class_names) != m.shape[0]:
        raise invalid_argument("class_names", class_names,
                               f"needs {m.shape[0]} names, one per row of the matrix",
                               "pass e.g. ['airplane', 'bird', ...] in class-index order")
    n = m.shape[0]
    side = max(4.0, 0.6 * n + 2.0)
    fig = Figure(figsize=(side + 1.0, side), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, label="Bhattacharyya coefficient")
    ax.set_xticks(range(n), labels=[str(s) for s in class_names], rotation=45, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(n), labels=[str(s) for s in class_names])
    colours = image.cmap(image.norm(np.nan_to_num(m)))
    for i in range(n):
        for j in range(n):
            if np.isnan(m[i, j]):
                text, colour = "n/a", "black"
            else:
                text = f"{m[i, j]:.{decimals}f}"
                r, g, b, _ = colours[i, j]
                colour = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
    if title:
        ax.set_title(title)
    if path is not None:
        save_figure(fig, path)
    return fig

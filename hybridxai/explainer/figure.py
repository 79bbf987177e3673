"""The picture of one :class:`~hybridxai.explainer.explanation.Explanation` (``explanation.png``).

Panels, top to bottom:

1. the user's picture with the selection's saliency over the region the model saw; the
   selection's saliency and GradCAM of the same layer, both min–max scaled, on one colour scale;
2. the selected maps (most important first, with ``α``), the importance of every positive map
   with the selected ones marked, and the redundancy ``J`` between the QUBO's maps;
3. for quantum backends: the final-state probability of the best selections (the optimum
   marked) and, when the explanation holds one, the gap profile of the anneal.

Every function draws with pyplot on the axes it is given or creates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hybridxai.backends.optimality import optimum_margin

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

# ``e`` below is a :class:`~hybridxai.explainer.explanation.Explanation`; this module does not import
# it, because ``Explanation.plot`` calls into this module (no import cycle).
Explanation = Any

__all__ = ["draw_overlay", "draw_explanation", "MAX_MAPS_SHOWN"]

MAX_MAPS_SHOWN = 12
"""The grid of selected maps shows at most this many (the most important)."""

_CMAP = "jet"


def draw_overlay(e: Explanation, ax: Axes, alpha: float = 0.5) -> None:
    """The saliency over the picture: the user's own when known, else the model's input."""
    if e.picture is not None and e.input_box is not None:
        left, top, right, bottom = e.input_box
        ax.imshow(e.picture)
        ax.imshow(e.saliency, cmap=_CMAP, vmin=0.0, vmax=1.0, alpha=alpha,
                  extent=(left, right, bottom, top), interpolation="bilinear")
        ax.add_patch(_box_patch(left, top, right, bottom))
        ax.set_xlim(0, e.picture.shape[1])
        ax.set_ylim(e.picture.shape[0], 0)
    else:
        ax.imshow(e.overlay(alpha=alpha))
    ax.set_title(f"{e.label}, p={e.probability:.2f}", fontsize=9)
    ax.set_axis_off()


def _box_patch(left: float, top: float, right: float, bottom: float) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((left, top), right - left, bottom - top, fill=False, ls="--", lw=0.8, color="white")


def _optimality(e: Explanation) -> str:
    phrase = e.optimality_phrase
    return f" · {phrase}" if phrase else ""


def _quantum(e: Explanation) -> bool:
    return "probability" in e.sampleset.record.dtype.names and len(e.sampleset) > 0


def draw_explanation(e: Explanation, figsize: tuple[float, float] | None = None) -> Figure:
    """The whole explanation as a new pyplot figure (see the module docstring)."""
    import matplotlib.pyplot as plt

    rows = 3 if _quantum(e) else 2
    fig = plt.figure(figsize=figsize or (15.0, 4.2 * rows), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(rows, 1, height_ratios=[1.0, 1.0, 0.8][:rows]))
    _draw_maps_row(e, subfigs[0])
    _draw_selection_row(e, subfigs[1])
    if rows == 3:
        _draw_quantum_row(e, subfigs[2])
    fig.suptitle(f"{e.label} · layer {e.layer} · backend {e.backend} · beta={e.qubo.beta:g} · "
                 f"{e.num_selected}/{e.qubo.num_variables} maps selected{_optimality(e)}", fontsize=11)
    return fig


def _draw_maps_row(e: Explanation, sub: SubFigure) -> None:
    axes = sub.subplots(1, 3)
    draw_overlay(e, axes[0])
    if e.activations is None:
        axes[1].imshow(e.saliency, cmap=_CMAP, vmin=0.0, vmax=1.0)
        axes[1].set_title("selection (min-max scaled)", fontsize=9)
        axes[2].text(0.5, 0.5, "GradCAM needs the layer's maps\n(not kept with this explanation)",
                     ha="center", va="center", fontsize=8)
    else:
        for ax, image_map, title in ((axes[1], e.saliency, f"selection ({e.num_selected} maps)"),
                                     (axes[2], e.gradcam(), f"GradCAM (all {e.qubo.num_feature_maps} maps)")):
            image = ax.imshow(image_map, cmap=_CMAP, vmin=0.0, vmax=1.0)
            ax.set_title(title, fontsize=9)
        sub.colorbar(image, ax=list(axes[1:]), fraction=0.03)
    for ax in axes:
        ax.set_axis_off()


def _draw_selection_row(e: Explanation, sub: SubFigure) -> None:
    left, right = sub.subfigures(1, 2, width_ratios=[1.1, 1.6])
    _draw_selected_maps(e, left)
    bars, heat = right.subplots(1, 2, width_ratios=[1.5, 1.0])
    _draw_importance(e, bars)
    _draw_redundancy(e, heat, right)


def _draw_selected_maps(e: Explanation, sub: SubFigure) -> None:
    chosen = sorted(e.selected, key=lambda k: -float(e.importance[k]))[:MAX_MAPS_SHOWN]
    if e.activations is None or not chosen:
        ax = sub.subplots()
        ax.text(0.5, 0.5, "no map selected" if not chosen else "maps not kept", ha="center", va="center")
        ax.set_axis_off()
        return
    cols = min(4, len(chosen))
    rows = int(np.ceil(len(chosen) / cols))
    axes = np.atleast_1d(sub.subplots(rows, cols)).ravel()
    for ax, k in zip(axes, chosen, strict=False):
        ax.imshow(e.activations[k], cmap="viridis")
        ax.set_title(f"#{k}  α={e.importance[k]:.2g}", fontsize=7)
    for ax in axes:
        ax.set_axis_off()
    shown = f"{len(chosen)} most important of {e.num_selected}" if e.num_selected > len(chosen) else \
        f"all {e.num_selected}"
    sub.suptitle(f"selected maps ({shown})", fontsize=9)


def _draw_importance(e: Explanation, ax: Axes) -> None:
    alpha = np.asarray(e.importance, dtype=np.float64)
    positive = np.flatnonzero(alpha > 0)
    order = positive[np.argsort(-alpha[positive], kind="stable")]
    selected = set(e.selected)
    colors = ["C3" if k in selected else "0.7" for k in order]
    ax.bar(np.arange(order.size), alpha[order], color=colors, width=1.0)
    ax.set_xlabel("positive maps, by importance")
    ax.set_ylabel("importance α")
    ax.set_title(f"importance: selected in red ({e.num_selected}), "
                 f"not selected in grey ({order.size - e.num_selected})", fontsize=9)


def _draw_redundancy(e: Explanation, ax: Axes, sub: SubFigure) -> None:
    q = e.qubo
    if q.num_variables == 0:
        ax.text(0.5, 0.5, "empty QUBO", ha="center", va="center")
        ax.set_axis_off()
        return
    order = np.argsort(-q.h, kind="stable")
    image = ax.imshow(q.J[np.ix_(order, order)], cmap="magma", vmin=0.0, vmax=1.0, interpolation="nearest")
    marks = [i for i, p in enumerate(order) if q.channels[p] in set(e.selected)]
    if q.num_variables <= 64:
        ax.set_xticks(marks, [""] * len(marks))
        ax.set_yticks(marks, [""] * len(marks))
        ax.tick_params(color="C3", length=4, width=1.5)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_title("redundancy J (by importance; ticks = selected)", fontsize=9)
    sub.colorbar(image, ax=ax, fraction=0.046)


def _draw_quantum_row(e: Explanation, sub: SubFigure) -> None:
    profile = e.info.get("gap_profile")
    has_profile = isinstance(profile, dict) and "s" in profile and "gap" in profile
    axes = np.atleast_1d(sub.subplots(1, 2 if has_profile else 1))
    _draw_probabilities(e, axes[0])
    if has_profile:
        ax = axes[1]
        ax.plot(profile["s"], profile["gap"], lw=1.2)
        ax.set_xlabel("s")
        ax.set_ylabel("gap E1 - E0")
        ax.set_yscale("log")
        ax.set_title("gap profile of the anneal", fontsize=9)


def _draw_probabilities(e: Explanation, ax: Axes, top: int = 10) -> None:
    record = e.sampleset.record
    order = np.argsort(record.energy, kind="stable")[:top]
    ground = e.info.get("ground_energy", float(record.energy.min()))
    labels = [f"{record.energy[i]:.4g}" for i in order]
    margin = optimum_margin(e.qubo.bqm, ground)  # the optimality report's own test, in any units
    colors = ["C2" if record.energy[i] - ground <= margin else "C0" for i in order]
    ax.bar(np.arange(order.size), record.probability[order], color=colors)
    ax.set_xticks(np.arange(order.size), labels, rotation=45, fontsize=7)
    ax.set_xlabel("selections by QUBO energy (green: optimum)")
    ax.set_ylabel("final-state probability")
    fidelity = e.info.get("fidelity")
    extra = f", ground-state fidelity {fidelity:.3g}" if isinstance(fidelity, float) else ""
    ax.set_title(f"best {order.size} selections{extra}", fontsize=9)

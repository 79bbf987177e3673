"""``evaluate``: faithfulness of several explanation methods on the same images, with statistics."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from tqdm.auto import tqdm

from hybridxai._util.checks import check_positive_int
from hybridxai._util.figures import save_figure
from hybridxai._util.fileio import output_folder, to_jsonable, versions, write_atomic
from hybridxai._util.progress import show_progress
from hybridxai.evaluate.faithfulness import METRICS, QuantusSettings, score_methods
from hybridxai.evaluate.methods import MethodSpec, compute_maps, parse_methods
from hybridxai.evaluate.statistics import holm, mean_ci, paired_wilcoxon
from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.vision.features import extract_features
from hybridxai.vision.features.layers import LayerLike, resolve_layers
from hybridxai.vision.images import ImageLike, find_normalization, prepare_images
from hybridxai.vision.models import model_info
from hybridxai.vision.targets import TargetLike

__all__ = ["Evaluation", "evaluate", "DEFAULT_METHODS", "DEFAULT_METRICS"]

DEFAULT_METHODS = ("qubo:beta=0.7", "qubo:beta=0.99", "random:beta=0.7", "gradcam", "gradcam++")
"""Methods compared by default (ScoreCAM is left out: one forward pass per feature map)."""

DEFAULT_METRICS = tuple(METRICS)
"""Every metric of :data:`~hybridxai.evaluate.faithfulness.METRICS`."""

_COLUMNS = ("metric", "method", "higher_is_better", "n", "mean", "ci_low", "ci_high",
            "median_diff_vs_ref", "wilcoxon_stat", "p_value", "p_holm", "significant", "verdict")


@dataclass(frozen=True)
class Evaluation:
    """Per-image scores of each method on each metric, and their summary.

    Attributes:
        scores: ``{metric: {method: float64 (N,)}}``, images in input order.
        methods: Method names, in order.
        reference: The method every other one is tested against.
        targets: The explained class per image.
        sources: A description of each image (its path …).
        selection_sizes: ``{method: (N,)}`` maps kept by ``qubo``/``random`` methods.
        layer: The explained layer.
        alpha: Significance level of the Holm-corrected tests.
        settings: Everything needed to rerun (methods, metrics, seed, Quantus settings …).
        maps: ``{method: float32 (N, H, W)}``, the maps that were scored.
    """

    scores: dict[str, dict[str, NDArray[np.float64]]]
    methods: tuple[str, ...]
    reference: str
    targets: tuple[int, ...]
    sources: tuple[str, ...]
    selection_sizes: dict[str, NDArray[np.int64]]
    layer: str
    alpha: float = 0.05
    settings: dict[str, Any] = field(default_factory=dict)
    maps: dict[str, NDArray[np.float32]] = field(default_factory=dict, repr=False)

    @property
    def num_images(self) -> int:
        """``N``."""
        return len(self.targets)

    def table(self) -> list[dict[str, Any]]:
        """One row per (metric, method): mean, 95 % CI and the test against the reference.

        The Holm correction is applied within each metric, over the methods compared with the
        reference (one family per metric). ``verdict`` says ``"better"``/``"worse"`` than the
        reference when the corrected test is significant at :attr:`alpha` (using the metric's
        direction), else ``"n.s."``; the reference's own row says ``"reference"``.

        Returns:
            A list of dicts with the keys of the CSV columns.
        """
        rows: list[dict[str, Any]] = []
        for metric, by_method in self.scores.items():
            info = METRICS[metric]
            ref = by_method[self.reference]
            tests = {m: paired_wilcoxon(v, ref) for m, v in by_method.items() if m != self.reference}
            adjusted = dict(zip(tests, holm([t.p_value for t in tests.values()]), strict=True))
            for method, values in by_method.items():
                ci = mean_ci(values)
                row: dict[str, Any] = {"metric": metric, "method": method,
                                       "higher_is_better": info.higher_is_better, "n": ci.n,
                                       "mean": ci.mean, "ci_low": ci.low, "ci_high": ci.high}
                if method == self.reference:
                    row.update(median_diff_vs_ref=0.0, wilcoxon_stat=None, p_value=None, p_holm=None,
                               significant=None, verdict="reference")
                else:
                    t, p = tests[method], float(adjusted[method])
                    significant = p <= self.alpha
                    better = (t.median_difference > 0) == info.higher_is_better
                    if t.median_difference == 0:
                        better = (float(np.mean(values - ref)) > 0) == info.higher_is_better
                    row.update(median_diff_vs_ref=t.median_difference, wilcoxon_stat=t.statistic,
                               p_value=t.p_value, p_holm=p, significant=significant,
                               verdict=("better" if better else "worse") if significant else "n.s.")
                rows.append(row)
        return rows

    def to_csv(self) -> str:
        """The summary :meth:`table` as CSV text."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.table():
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        return buffer.getvalue()

    def scores_csv(self) -> str:
        """Per-image scores as CSV: one row per image, one column per (metric, method)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = [(metric, method) for metric, by in self.scores.items() for method in by]
        sized = list(self.selection_sizes)
        writer.writerow(["image", "source", "target", *[f"{a}[{b}]" for a, b in columns],
                         *[f"selected[{m}]" for m in sized]])
        for i in range(self.num_images):
            writer.writerow([i, self.sources[i], self.targets[i],
                             *[repr(float(self.scores[a][b][i])) for a, b in columns],
                             *[int(self.selection_sizes[m][i]) for m in sized]])
        return buffer.getvalue()

    def to_markdown(self) -> str:
        """The summary as a Markdown table (mean [95 % CI], Holm-corrected p vs the reference)."""
        lines = [f"{self.num_images} images, layer `{self.layer}`, reference `{self.reference}`, "
                 f"paired two-sided Wilcoxon, Holm-corrected within each metric (α = {self.alpha:g}).",
                 "", "| metric | method | mean [95 % CI] | median Δ vs ref | p (Holm) | verdict |",
                 "|---|---|---|---|---|---|"]
        for row in self.table():
            arrow = "↑" if row["higher_is_better"] else "↓"
            p = "—" if row["p_holm"] is None else f"{row['p_holm']:.3g}"
            lines.append(f"| {row['metric']} {arrow} | {row['method']} | {row['mean']:.4g} "
                         f"[{row['ci_low']:.4g}, {row['ci_high']:.4g}] | {row['median_diff_vs_ref']:.3g} "
                         f"| {p} | {row['verdict']} |")
        if self.selection_sizes:
            lines += ["", "| method | maps kept (mean) | min | max |", "|---|---|---|---|"]
            for method, sizes in self.selection_sizes.items():
                lines.append(f"| {method} | {sizes.mean():.1f} | {sizes.min()} | {sizes.max()} |")
        return "\n".join(lines) + "\n"

    def plot(self, path: str | Path | None = None) -> Any:
        """Bar chart: one panel per metric, mean and 95 % CI per method (``*`` = significant).

        Args:
            path: Where to write the figure (PNG, or the format the suffix names, e.g.
                ``.pdf``); ``None`` only returns the figure.

        Returns:
            The matplotlib ``Figure``.
        """
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        rows = self.table()
        metrics = list(self.scores)
        fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.6), squeeze=False)
        for ax, metric in zip(axes[0], metrics, strict=True):
            mine = [r for r in rows if r["metric"] == metric]
            x = np.arange(len(mine))
            means = np.array([r["mean"] for r in mine])
            err = np.array([[r["mean"] - r["ci_low"] for r in mine],
                            [r["ci_high"] - r["mean"] for r in mine]])
            colors = ["0.5" if r["verdict"] == "reference" else
                      {"better": "tab:green", "worse": "tab:red"}.get(r["verdict"], "tab:blue") for r in mine]
            ax.bar(x, means, yerr=err, color=colors, capsize=3)
            for xi, r in zip(x, mine, strict=True):
                if r["significant"]:
                    ax.annotate("*", (xi, r["ci_high"]), ha="center", va="bottom")
            ax.set_xticks(x, [r["method"] for r in mine], rotation=60, ha="right", fontsize=7)
            ax.set_title(f"{metric} ({'↑' if METRICS[metric].higher_is_better else '↓'})", fontsize=9)
        fig.suptitle(f"{self.num_images} images; * Holm p ≤ {self.alpha:g} vs {self.reference} "
                     "(green better, red worse)", fontsize=9)
        fig.tight_layout()
        if path is not None:
            save_figure(fig, path)
            plt.close(fig)
        return fig

    def save(self, out: str | Path) -> dict[str, Path]:
        """Write ``summary.csv``, ``summary.md``, ``scores.csv``, ``settings.json`` and ``summary.png``.

        Args:
            out: The output folder (created if needed).

        Returns:
            ``{kind: path}`` of the files written.
        """
        folder = output_folder(out, "out")
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"summary_csv": folder / "summary.csv", "summary_md": folder / "summary.md",
                 "scores_csv": folder / "scores.csv", "settings": folder / "settings.json",
                 "plot": folder / "summary.png"}
        for key, text in (("summary_csv", self.to_csv()), ("summary_md", self.to_markdown()),
                          ("scores_csv", self.scores_csv()),
                          ("settings", json.dumps(to_jsonable(self.settings), indent=2) + "\n")):
            write_atomic(paths[key], lambda path, t=text: path.write_text(t, encoding="utf-8"))
        self.plot(paths["plot"])
        return paths


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    fix = f"pass some of {', '.join(METRICS)}"
    if isinstance(metrics, str) or not isinstance(metrics, Sequence) or not metrics:
        raise invalid_argument("metrics", metrics, "needs a non-empty list of metric names", fix)
    names = tuple(str(m).strip().lower() for m in metrics)
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise invalid_argument("metrics", metrics, f"{unknown} are not known metrics", fix)
    return tuple(dict.fromkeys(names))


def evaluate(
    model: nn.Module,
    images: ImageLike | Sequence[ImageLike],
    methods: Sequence[str] | str = DEFAULT_METHODS,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    reference: str = "gradcam",
    target: TargetLike = None,
    layer: LayerLike = None,
    transform: Callable[[Any], torch.Tensor] | None = None,
    seed: int = 0,
    settings: QuantusSettings | None = None,
    batch_size: int = 16,
    alpha: float = 0.05,
    progress: bool | None = None,
) -> Evaluation:
    """Evaluate the faithfulness of explanation methods on the same images, with paired tests.

    Each image is explained once per method (the same class — the prediction on the clean
    image unless ``target`` is given — and the same layer), every map is scored by every
    metric, and :meth:`Evaluation.table` gives mean ± 95 % CI per metric and method and a paired
    two-sided Wilcoxon test against ``reference`` with Holm's correction. All arguments are
    checked, and all images loaded, before the model runs.

    Args:
        model: A CNN classifier returning logits (e.g. ``hybridxai.load_pretrained("mobilenet_v2")``).
        images: Paths, PIL images, arrays (raw pictures, passed through ``transform``) or a
            preprocessed ``N×C×H×W`` tensor; at least 2 images (the tests are paired over images).
        methods: Specs (see :mod:`hybridxai.evaluate.methods`): ``"qubo:beta=0.7"``,
            ``"random:beta=0.7"``, ``"gradcam"``, ``"gradcam++"``, ``"scorecam"`` …
        metrics: Names from :data:`~hybridxai.evaluate.faithfulness.METRICS`.
        reference: The method the others are tested against; must be among ``methods``.
        target: ``None`` (the predicted class), one class for all, or one per image.
        layer: The explained layer (default: the model's registered one, else the last
            spatial maps).
        transform: Preprocessing of raw pictures (default: the model's registered one).
        seed: Seed of the QUBO solver, the random control and Quantus's random draws.
        settings: Quantus settings (default :class:`QuantusSettings()`).
        batch_size: Images per forward pass.
        alpha: Significance level of the corrected tests.
        progress: Show a progress bar (default: when there is more than one image).

    Returns:
        The :class:`Evaluation`.

    Raises:
        InvalidArgumentError: Unknown methods or metrics, a reference not among the methods,
            fewer than two images, unreadable images, bad seed/batch size/alpha.
        MissingDependencyError: Quantus or pytorch-grad-cam missing
            (``pip install 'hybridxai[eval]'``).

    Example:
        >>> import skimage.data
        >>> from hybridxai.vision.models import load_paper_model
        >>> model = load_paper_model("fashion-mnist", "restricted", 16)
        >>> pictures = [skimage.data.camera(), skimage.data.coins()]   # or paths of image files
        >>> result = evaluate(model, pictures, ["qubo:beta=0.7", "gradcam"], metrics=["average_drop"],
        ...                   seed=0, progress=False)
        >>> print(result.to_markdown())
        2 images, layer `head.conv`, reference `gradcam`, paired two-sided Wilcoxon, ...
        | metric | method | mean [95 % CI] | median Δ vs ref | p (Holm) | verdict |
        ...
    """
    if not isinstance(model, nn.Module):
        raise invalid_type("model", model, "a torch.nn.Module", "pass a PyTorch CNN classifier")
    specs: tuple[MethodSpec, ...] = parse_methods(methods)
    names = tuple(s.name for s in specs)
    chosen_metrics = _check_metrics(metrics)
    try:
        ref = next(s.name for s in parse_methods([reference]))
    except (ValueError, TypeError) as exc:
        raise invalid_argument("reference", reference, "is not a method spec",
                               "pass one of the methods, e.g. reference='gradcam'") from exc
    if ref not in names:
        raise invalid_argument("reference", reference, f"is not among the methods {list(names)}",
                               "add it to methods, or pass one of them as reference")
    seed = check_positive_int("seed", seed, "pass e.g. seed=0", minimum=0)
    batch_size = check_positive_int("batch_size", batch_size, "pass e.g. batch_size=16")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0:
        raise invalid_argument("alpha", alpha, "must lie in (0, 1)", "pass e.g. alpha=0.05")
    settings = settings if settings is not None else QuantusSettings()
    if not isinstance(settings, QuantusSettings):
        raise invalid_type("settings", settings, "a QuantusSettings", "pass QuantusSettings(...) or None")
    if any(s.kind in ("gradcam", "gradcam++", "scorecam") for s in specs):
        from hybridxai._util.optional import import_optional

        import_optional("pytorch_grad_cam", "eval", "the CAM baselines")
    if set(chosen_metrics) - {"average_drop", "increase_in_confidence"}:
        from hybridxai._util.optional import import_optional

        import_optional("quantus", "eval", "the Quantus metrics")
    info = model_info(model)
    transform = transform if transform is not None else (info.transform if info else None)
    if layer is None and info is not None and info.default_layer:
        layer = info.default_layer
    for spec in specs:  # a layer named in a spec must exist before anything runs
        if spec.layer is not None:
            try:
                resolve_layers(model, spec.layer)
            except (ValueError, TypeError, LookupError) as exc:
                raise invalid_argument("methods", spec.name, f"layer={spec.layer!r} is not a layer of "
                                       f"the model ({exc})", "name a layer such as 'features.17'") from exc
    prepared = prepare_images(images, transform, name="images")
    n = prepared.batch.shape[0]
    if n < 2:
        raise invalid_argument("images", images, f"holds {n} image; the paired tests need several",
                               "pass at least 2 images (for a meaningful test, dozens)")

    show = show_progress(progress, n > 1)
    started = time.perf_counter()
    steps = len(specs) + len(specs) * len(chosen_metrics) + 1
    with tqdm(total=steps, desc="evaluate", unit="step", disable=not show) as bar:
        bar.set_postfix_str("features")
        features = extract_features(model, prepared.batch, layer=layer, targets=target,
                                    class_names=info.class_names if info else None)
        bar.update(1)
        targets = tuple(int(t) for t in features.targets)

        def method_started(name: str) -> None:
            bar.set_postfix_str(f"maps {name}")

        maps, sizes = compute_maps(model, prepared.batch, specs, features, seed=seed, batch_size=batch_size,
                                   progress=method_started)
        bar.update(len(specs))

        def scored(metric: str, method: str) -> None:
            bar.set_postfix_str(f"{metric} {method}")
            bar.update(2 if metric == "average_drop" and "increase_in_confidence" in chosen_metrics else 1)

        pixels = torch.stack([torch.from_numpy(np.ascontiguousarray(p)).permute(2, 0, 1)
                              for p in prepared.display])
        scores = score_methods(model, prepared.batch, pixels, targets, maps, metrics=chosen_metrics,
                               normalize=find_normalization(transform), settings=settings, seed=seed,
                               batch_size=batch_size, progress=scored)
    record = {
        "methods": list(names), "metrics": list(chosen_metrics), "reference": ref, "seed": seed,
        "layer": features.layer, "alpha": alpha, "batch_size": batch_size,
        "quantus": settings.__dict__, "model": info.name if info else type(model).__name__,
        "weights": info.weights if info else None, "num_images": n,
        "seconds": round(time.perf_counter() - started, 1), "versions": versions(),
    }
    return Evaluation(scores=scores, methods=names, reference=ref, targets=targets,
                      sources=prepared.sources, selection_sizes=sizes, layer=features.layer,
                      alpha=float(alpha), settings=record, maps=maps)

"""``hybridxai train``, ``reproduce``, ``evaluate``, ``backends`` and ``samples``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hybridxai.cli.console import plain, stdout, table

__all__ = ["train_command", "reproduce_command", "evaluate_command", "backends_command",
           "samples_command", "backend_rows"]


def train_command(
    dataset: Annotated[str, typer.Option(help="fashion-mnist, stl10 or imagefolder.")] = "fashion-mnist",
    root: Annotated[str | None, typer.Option(
        help="Data location (default: the dataset's usual place; required for imagefolder).",
        show_default=False)] = None,
    backbone: Annotated[str, typer.Option(help="mobilenet_v2 (offline) or resnet18.")] = "mobilenet_v2",
    num_filters: Annotated[list[str] | None, typer.Option(
        metavar="N...", help="N_f of the restricted heads (default 16 24 32; 'none': no restricted head).",
        show_default=False)] = None,
    no_full: Annotated[bool, typer.Option("--no-full", help="Do not train the full-model head.")] = False,
    train_size: Annotated[int, typer.Option(help="Training items.")] = 10_000,
    val_size: Annotated[int, typer.Option(help="Validation items, from the training split.")] = 2_000,
    test_size: Annotated[int, typer.Option(help="Test items.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Split/initialisation seed.")] = 0,
    epochs: Annotated[int, typer.Option(help="Epochs.")] = 15,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 1e-3,
    batch_size: Annotated[int, typer.Option(help="Mini-batch size.")] = 64,
    weight_decay: Annotated[float, typer.Option(help="Adam weight decay.")] = 0.0,
    image_size: Annotated[int, typer.Option(help="Input side in pixels.")] = 224,
    cache_dir: Annotated[str | None, typer.Option(
        help="Feature cache (default: the user cache folder).", show_default=False)] = None,
    out: Annotated[str, typer.Option(help="Checkpoint folder.")] = "checkpoints",
    download: Annotated[bool, typer.Option("--download", help="Allow downloading data and weights.")] = False,
) -> int:
    """Train the paper's heads on a frozen pretrained backbone.

    Backbone features are computed once and cached (float16), each head is trained with Adam,
    and the best-validation epoch is kept and written as a checkpoint.
    """
    from hybridxai.exceptions import invalid_argument
    from hybridxai.training import TrainConfig, train_paper_models

    counts: list[int] = []
    for text in num_filters if num_filters is not None else ["16", "24", "32"]:
        if text.lower() == "none":
            continue
        try:
            counts.append(int(text))
        except ValueError:
            raise invalid_argument("num_filters", text, "is not an integer",
                                   "pass e.g. --num-filters 16 24 32") from None
    heads: list[Any] = [("restricted", n) for n in counts]
    if not no_full:
        heads.append("full")
    results = train_paper_models(
        dataset, root, backbone=backbone, heads=heads, train_size=train_size, val_size=val_size,
        test_size=test_size, seed=seed, image_size=image_size,
        config=TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, weight_decay=weight_decay, seed=seed),
        cache_dir=cache_dir, out_dir=out, download=download,
    )
    for r in results:
        print(f"{r.name}: best epoch {r.best_epoch}, val {r.val_accuracy:.4f}, "
              f"test {r.test_accuracy:.4f} -> {r.path}")
    return 0


def reproduce_command(
    dataset: Annotated[str, typer.Option(help="fashion-mnist (offline) or stl10.")] = "fashion-mnist",
    backbone: Annotated[str, typer.Option(help="mobilenet_v2 (offline) or resnet18.")] = "mobilenet_v2",
    quick: Annotated[bool, typer.Option("--quick",
                                        help="A few images per class: minutes, not hours.")] = False,
    per_class: Annotated[int | None, typer.Option(
        help="Test images per class (default 20; 3 with --quick).", show_default=False)] = None,
    max_qubits: Annotated[int | None, typer.Option(help="Cap on d for the exact physics.",
                                                   show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the image draw and the solvers.")] = 0,
    root: Annotated[str | None, typer.Option(help="Where the data set lives (default: its usual place).",
                                             show_default=False)] = None,
    checkpoints: Annotated[str | None, typer.Option(
        help="Folder of heads from 'hybridxai train' (default: the shipped Fashion-MNIST heads).",
        show_default=False)] = None,
    out: Annotated[str, typer.Option(help="Run directory.")] = "hybridxai-out/reproduction",
    workers: Annotated[int | None, typer.Option(
        help="Local worker processes (default: the CPUs available, at most 8; 1: this process only).",
        show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        metavar="ADDRESS", help="Run on a Dask cluster: address of its running scheduler, e.g. "
        "tcp://10.0.0.5:8786 (pip install 'hybridxai[dask]').", show_default=False)] = None,
) -> int:
    """Reproduce the paper's tables and figures.

    Explains test images with the shipped paper models and writes report.md with Table 1 and
    Figs. 2-8 (resumes if interrupted).
    """
    from hybridxai._util.fileio import output_folder
    from hybridxai.reproduce import ReproduceConfig, reproduce
    from hybridxai.runs.execution import UnitsFailedError, make_executor

    overrides: dict[str, Any] = {k: v for k, v in (("per_class", per_class), ("max_qubits", max_qubits))
                                 if v is not None}
    overrides.update(dataset=dataset, backbone=backbone, seed=seed, root=root, checkpoints=checkpoints)
    config = ReproduceConfig.quick_variant(**overrides) if quick else ReproduceConfig(**overrides)
    try:
        # the executor first: bad --workers/--scheduler values, and an address where no Dask
        # scheduler answers, are refused before --out is created
        with make_executor(workers=workers, scheduler=scheduler) as executor:
            output_folder(out, "--out")
            print(f"running on {executor.describe()}", flush=True)
            report = reproduce(config, out, executor=executor)
    except UnitsFailedError as exc:  # a partial run: the other results are kept, exit 1 (not 2)
        records = Path(out) / "records"
        stages = dict.fromkeys(str(f["stage"]) for f in exc.failures)
        print(f"hybridxai: {len(exc.failures)} image(s) failed after their retries; the results of "
              f"the others are kept in {records} and no report was written. Rerun the same command "
              "to retry only the failed ones; errors and tracebacks:", file=sys.stderr)
        for stage in stages:
            print(f"  {records / f'{stage}.failed.jsonl'}", file=sys.stderr)
        return 1
    print(f"report: {report}")
    print(f"figures: {report.parent / 'figures'}")
    return 0


def evaluate_command(
    images: Annotated[list[str], typer.Argument(metavar="IMAGES...",
                                                help="Image files (JPEG/PNG), at least 2.")],
    methods: Annotated[list[str] | None, typer.Option(
        metavar="SPEC...", help="Method specs, e.g. qubo:beta=0.7 qubo:beta=0.99 random:beta=0.7 gradcam "
        "gradcam++ scorecam (default: all but scorecam).", show_default=False)] = None,
    metrics: Annotated[list[str] | None, typer.Option(
        metavar="NAME...", help="faithfulness_correlation aopc road_morf average_drop increase_in_confidence "
        "(default: all).", show_default=False)] = None,
    reference: Annotated[str, typer.Option(help="Method the others are tested against.")] = "gradcam",
    model: Annotated[str, typer.Option(help="Pretrained model.")] = "mobilenet_v2",
    layer: Annotated[str | None, typer.Option(help="Target layer, dotted name (default: last conv maps).",
                                              show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of solver, random control and Quantus.")] = 0,
    batch_size: Annotated[int, typer.Option(help="Images per forward pass.")] = 16,
    out: Annotated[str, typer.Option(help="Output folder.")] = "hybridxai-out/evaluate",
) -> int:
    """Compare the faithfulness of explanation methods (Quantus).

    Explains the same images with several methods, scores every map with Quantus faithfulness
    metrics and Average Drop / Increase in Confidence, and tests each method against a reference
    (paired Wilcoxon, Holm-corrected). Needs pip install 'hybridxai[eval]'.
    """
    from hybridxai._util.fileio import output_folder
    from hybridxai.evaluate import DEFAULT_METHODS, DEFAULT_METRICS, evaluate
    from hybridxai.evaluate.methods import parse_methods
    from hybridxai.vision.models import load_pretrained

    parse_methods(methods or DEFAULT_METHODS)  # bad specs fail before the model loads
    folder = output_folder(out, "--out")
    print(f"loading {model} ...", flush=True)
    net = load_pretrained(model)
    result = evaluate(net, images, methods or DEFAULT_METHODS, metrics=metrics or DEFAULT_METRICS,
                      reference=reference, layer=layer, seed=seed, batch_size=batch_size)
    paths = result.save(folder)
    print(result.to_markdown())
    print(f"summary: {paths['summary_md']}  table: {paths['summary_csv']}  per image: "
          f"{paths['scores_csv']}  plot: {paths['plot']}")
    return 0


def backend_rows() -> list[list[str]]:
    """``[name, status, why not, description]`` of every registered backend (imports only installed ones).

    The description is the first line of the sampler class's docstring (the registry's summary
    where the class cannot be imported); "why not" names the missing modules and the pip extra
    of :data:`hybridxai._util.optional.EXTRAS`.
    """
    import importlib.util

    from hybridxai._util.optional import EXTRAS
    from hybridxai.backends.registry import BACKENDS

    rows = []
    for name, spec in BACKENDS.items():
        description, why = spec.summary, ""
        if spec.installed():
            try:
                doc = (spec.load().__doc__ or "").strip()
                description = plain(doc.splitlines()[0]) if doc else description
                status = "installed"
            except ImportError as exc:
                status, why = "not installed", str(exc).split("Fix: ")[-1].rstrip(".")
        else:
            extra = EXTRAS[spec.extra] if spec.extra else None
            missing = [m for m in (extra.modules if extra else ()) if not _found(importlib.util, m)]
            status = "not installed"
            why = f"needs {', '.join(missing or extra.modules)}: {extra.pip}" if extra else ""
        rows.append([name, status, why, description])
    return rows


def _found(util: Any, module: str) -> bool:
    try:
        return util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def backends_command() -> int:
    """List the solver backends: what each is, and whether it is installed (and if not, why)."""
    rows = backend_rows()
    console = stdout()
    console.print(table("backends", ["backend", "status", "description"],
                        [[n, s + (f" ({w})" if w else ""), d] for n, s, w, d in rows]))
    return 0


def samples_command() -> int:
    """List the bundled sample photos."""
    from hybridxai.vision.samples import sample_names

    print("\n".join(sample_names()))
    return 0

"""The ``hybridxai`` command line.

Examples::

    hybridxai explain --sample chelsea                 # bundled photo, offline MobileNetV2
    hybridxai explain cat.jpg --backend exact --max-qubits 16 --beta 0.7 --out out/cat
    hybridxai explain photos/ --out out/photos          # a folder; rerun to resume
    hybridxai backends                                 # what is installed
    hybridxai reproduce --dataset fashion-mnist --quick # the paper's tables and figures
    hybridxai evaluate a.jpg b.jpg c.jpg --methods qubo:beta=0.7 gradcam --out out/eval

Errors caused by the input print one line and exit with status 2; Ctrl-C stops cleanly
(finished results kept) with status 130. A run that finished but
could not explain every image (``explain FOLDER``, ``reproduce``) keeps the other results, says
which failed and exits with status 1; rerunning the same command retries only those.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from hybridxai.exceptions import HybridXAIError

__all__ = ["main", "build_parser"]


def _add_explain(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="explain one image's prediction, or a folder of images",
                       description="Explain a pretrained classifier's prediction on one image by "
                                   "selecting feature maps with a QUBO. Given a folder or several "
                                   "files, results are written per image as they are produced and "
                                   "a rerun resumes where an interrupted one stopped.")
    p.add_argument("image", nargs="*", help="image file (JPEG/PNG), a folder, or several files; "
                                            "or use --sample")
    p.add_argument("--sample", help="use a bundled photo instead (chelsea, coffee, astronaut, ...)")
    p.add_argument("--model", default="mobilenet_v2", help="pretrained model (default mobilenet_v2)")
    p.add_argument("--backend", default="sa", help="solver: sa, exact, statevector, aer, pennylane, "
                                                   "dwave, ... (default sa)")
    p.add_argument("--beta", type=float, default=None, help="trade-off in [0, 1] (default: 0.7 "
                                                            "for <=64 variables, else 0.99)")
    p.add_argument("--layer", default=None, help="target layer, dotted name (default: last conv maps)")
    p.add_argument("--target", type=int, default=None, help="class index (default: predicted)")
    p.add_argument("--max-qubits", type=int, default=None, help="keep the K most important maps")
    p.add_argument("--cardinality", type=int, default=None, help="target number of selected maps")
    p.add_argument("--seed", type=int, default=None, help="solver seed (default: drawn, recorded)")
    p.add_argument("--num-reads", type=int, default=None, help="samples drawn by the solver")
    p.add_argument("--total-time", type=float, default=None, help="anneal time T (quantum backends)")
    p.add_argument("--num-steps", type=int, default=None, help="Trotter steps (quantum backends)")
    p.add_argument("--analyze", action="store_true", help="also compute the minimum gap")
    p.add_argument("--out", default=None, help="output folder (default hybridxai-out/<image or "
                                                "folder>)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="images per pass for a folder (default 16; a resumed run keeps its own)")


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the paper's heads on a frozen pretrained backbone",
                       description="Train the paper's restricted (N_f maps) and full models: "
                                   "backbone features are computed once and cached (float16), "
                                   "each head is trained with Adam, the best-validation epoch "
                                   "is kept and written as a checkpoint.")
    p.add_argument("--dataset", default="fashion-mnist",
                   help="fashion-mnist, stl10 or imagefolder (default fashion-mnist)")
    p.add_argument("--root", default=None, help="data location (default: the dataset's usual "
                                                "place; required for imagefolder)")
    p.add_argument("--backbone", default="mobilenet_v2", help="mobilenet_v2 (offline) or resnet18")
    p.add_argument("--num-filters", type=int, nargs="*", default=[16, 24, 32],
                   help="N_f of the restricted heads (default 16 24 32; none: no restricted head)")
    p.add_argument("--no-full", action="store_true", help="do not train the full-model head")
    p.add_argument("--train-size", type=int, default=10_000, help="training items (default 10000)")
    p.add_argument("--val-size", type=int, default=2_000, help="validation items, from the "
                                                              "training split (default 2000)")
    p.add_argument("--test-size", type=int, default=2_000, help="test items (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="split/initialisation seed (default 0)")
    p.add_argument("--epochs", type=int, default=15, help="epochs (default 15)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--batch-size", type=int, default=64, help="mini-batch size (default 64)")
    p.add_argument("--weight-decay", type=float, default=0.0, help="Adam weight decay (default 0)")
    p.add_argument("--image-size", type=int, default=224, help="input side in pixels (default 224)")
    p.add_argument("--cache-dir", default=None, help="feature cache (default "
                                                     "~/.cache/hybridxai/features)")
    p.add_argument("--out", default="checkpoints", help="checkpoint folder (default checkpoints)")
    p.add_argument("--download", action="store_true", help="allow downloading data and weights")


def _add_reproduce(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="reproduce the paper's tables and figures",
                       description="Explain test images with the shipped paper models and write "
                                   "report.md with Table 1 and Figs. 2-8 (resumes if interrupted).")
    p.add_argument("--dataset", default="fashion-mnist", help="fashion-mnist (offline) or stl10")
    p.add_argument("--backbone", default="mobilenet_v2", help="mobilenet_v2 (offline) or resnet18")
    p.add_argument("--quick", action="store_true", help="a few images per class: minutes, not hours")
    p.add_argument("--per-class", type=int, default=None, help="test images per class (default 20; "
                                                               "3 with --quick)")
    p.add_argument("--max-qubits", type=int, default=None, help="cap on d for the exact physics")
    p.add_argument("--seed", type=int, default=0, help="seed of the image draw and the solvers")
    p.add_argument("--root", default=None, help="where the data set lives (default: its usual place)")
    p.add_argument("--checkpoints", default=None, help="folder of heads from 'hybridxai train' "
                                                       "(default: the shipped Fashion-MNIST heads)")
    p.add_argument("--out", default="hybridxai-out/reproduction", help="run directory")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: the "
                                                             "CPUs available, at most 8; 1: this "
                                                             "process only)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster: address of its running scheduler, e.g. "
                        "tcp://10.0.0.5:8786 (pip install 'hybridxai[dask]')")


class _OneLineParser(argparse.ArgumentParser):
    """``ArgumentParser`` whose usage errors are one line and a fix, like every other error."""

    def error(self, message: str) -> NoReturn:
        """Print one line (no usage block) and exit with status 2."""
        self.exit(2, f"hybridxai: error: {message} (in '{self.prog}'). Fix: see '{self.prog} --help'.\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _OneLineParser(prog="hybridxai", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")
    _add_explain(sub)
    _add_train(sub)
    _add_reproduce(sub)
    _add_evaluate(sub)
    sub.add_parser("backends", help="list the solver backends and whether they are installed")
    sub.add_parser("samples", help="list the bundled sample photos")
    return parser


def _explain(args: argparse.Namespace) -> int:
    from hybridxai._util.fileio import output_folder
    from hybridxai.exceptions import invalid_argument
    from hybridxai.explainer import explain
    from hybridxai.vision.models import load_pretrained
    from hybridxai.vision.samples import load_sample

    if len(args.image) > 1 or (args.image and args.sample is None and Path(args.image[0]).is_dir()):
        return _explain_many(args)
    args.image = args.image[0] if args.image else None
    if (args.image is None) == (args.sample is None):
        raise invalid_argument("image", args.image, "give exactly one of IMAGE or --sample",
                               "run e.g. 'hybridxai explain --sample chelsea' or "
                               "'hybridxai explain photo.jpg'")
    image: Any = load_sample(args.sample) if args.sample else args.image
    stem = args.sample or Path(args.image).stem
    out = output_folder(Path(args.out) if args.out else Path("hybridxai-out") / stem, "--out")
    options = {k: v for k, v in (("num_reads", args.num_reads), ("total_time", args.total_time),
                                 ("num_steps", args.num_steps)) if v is not None}
    print(f"loading {args.model} ...", flush=True)
    model = load_pretrained(args.model)
    explanation = explain(
        model, image, target=args.target, layer=args.layer, backend=args.backend, beta=args.beta,
        seed=args.seed, max_qubits=args.max_qubits, cardinality=args.cardinality,
        analyze=args.analyze, **options,
    )
    paths = explanation.save(out)
    print(f"predicted class: {explanation.label} (p={explanation.probability:.3f})")
    print(f"selected {explanation.num_selected} of {explanation.qubo.num_variables} positive "
          f"feature maps (K={explanation.qubo.num_feature_maps}, layer {explanation.layer}, "
          f"backend {explanation.backend}, beta={explanation.qubo.beta:g}, seed {explanation.seed})")
    for key in ("fidelity", "min_gap", "s_min"):
        if key in explanation.info:
            print(f"{key}: {explanation.info[key]:.6g}")
    print(f"overlay: {paths['overlay']}")
    print(f"heat map: {paths['heatmap']}  figure: {paths['figure']}  manifest: {paths['manifest']}")
    return 0


def _explain_many(args: argparse.Namespace) -> int:
    """``hybridxai explain FOLDER`` / ``explain A.jpg B.jpg ...``: resumable, one result per image."""
    from hybridxai.exceptions import invalid_argument
    from hybridxai.explainer import explain_folder, load_results
    from hybridxai.vision.models import load_pretrained

    if args.sample is not None:
        raise invalid_argument("image", args.image, "give exactly one of IMAGE or --sample",
                               "run e.g. 'hybridxai explain photos/' or 'hybridxai explain --sample chelsea'")
    images: Any = args.image[0] if len(args.image) == 1 else args.image
    out = Path(args.out) if args.out else Path("hybridxai-out") / (
        Path(args.image[0]).resolve().name if len(args.image) == 1 else "batch")
    options = {k: v for k, v in (("num_reads", args.num_reads), ("total_time", args.total_time),
                                 ("num_steps", args.num_steps)) if v is not None}
    print(f"loading {args.model} ...", flush=True)
    model = load_pretrained(args.model)
    try:
        report = explain_folder(
            model, images, out, batch_size=args.batch_size, target=args.target, layer=args.layer,
            backend=args.backend, beta=args.beta, seed=args.seed, max_qubits=args.max_qubits,
            cardinality=args.cardinality, analyze=args.analyze, **options,
        )
    except KeyboardInterrupt:
        done = sum(r.get("status") == "done" for r in load_results(out).values())
        print(f"hybridxai: interrupted; the {done} image(s) finished are kept in {out}. Rerun the same "
              "command to resume.", file=sys.stderr)
        return 130
    for note in report.notes:
        print(f"note: {note}")
    if report.resumed:
        print(f"resumed: {report.resumed} image(s) were already done")
    print(f"explained {len(report.done)} of {len(report.records)} images into {report.out} "
          f"(seed {report.settings['seed']})")
    for record in report.failed:
        print(f"failed: {record['key']}: {record['error']}")
    print(f"summary: {report.summary}  results: {report.out / 'results.jsonl'}")
    return 1 if report.failed else 0


def _train(args: argparse.Namespace) -> int:
    from hybridxai.training import TrainConfig, train_paper_models

    heads: list[Any] = [("restricted", n) for n in args.num_filters]
    if not args.no_full:
        heads.append("full")
    results = train_paper_models(
        args.dataset, args.root, backbone=args.backbone, heads=heads,
        train_size=args.train_size, val_size=args.val_size, test_size=args.test_size,
        seed=args.seed, image_size=args.image_size,
        config=TrainConfig(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                           weight_decay=args.weight_decay, seed=args.seed),
        cache_dir=args.cache_dir, out_dir=args.out, download=args.download,
    )
    for r in results:
        print(f"{r.name}: best epoch {r.best_epoch}, val {r.val_accuracy:.4f}, "
              f"test {r.test_accuracy:.4f} -> {r.path}")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from hybridxai._util.fileio import output_folder
    from hybridxai.reproduce import ReproduceConfig, reproduce

    output_folder(args.out, "--out")
    overrides = {k: v for k, v in (("per_class", args.per_class), ("max_qubits", args.max_qubits))
                 if v is not None}
    overrides.update(dataset=args.dataset, backbone=args.backbone, seed=args.seed, root=args.root,
                     checkpoints=args.checkpoints)
    config = (ReproduceConfig.quick_variant(**overrides) if args.quick
              else ReproduceConfig(**overrides))
    from hybridxai.runs.execution import UnitsFailedError, make_executor

    try:
        with make_executor(workers=args.workers, scheduler=args.scheduler) as executor:
            print(f"running on {executor.describe()}", flush=True)
            report = reproduce(config, args.out, executor=executor)
    except UnitsFailedError as exc:  # a partial run: the other results are kept, exit 1 (not 2)
        records = Path(args.out) / "records"
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


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compare the faithfulness of explanation methods (Quantus)",
                       description="Explain the same images with several methods, score every map "
                                   "with Quantus faithfulness metrics and Average Drop / Increase in "
                                   "Confidence, and test each method against a reference (paired "
                                   "Wilcoxon, Holm-corrected). Needs pip install 'hybridxai[eval]'.")
    p.add_argument("images", nargs="+", help="image files (JPEG/PNG), at least 2")
    p.add_argument("--methods", nargs="+", default=None,
                   help="method specs, e.g. qubo:beta=0.7 qubo:beta=0.99 random:beta=0.7 gradcam "
                        "gradcam++ scorecam (default: all but scorecam)")
    p.add_argument("--metrics", nargs="+", default=None,
                   help="faithfulness_correlation aopc road_morf average_drop increase_in_confidence "
                        "(default: all)")
    p.add_argument("--reference", default="gradcam", help="method the others are tested against")
    p.add_argument("--model", default="mobilenet_v2", help="pretrained model (default mobilenet_v2)")
    p.add_argument("--layer", default=None, help="target layer, dotted name (default: last conv maps)")
    p.add_argument("--seed", type=int, default=0, help="seed of solver, random control and Quantus")
    p.add_argument("--batch-size", type=int, default=16, help="images per forward pass")
    p.add_argument("--out", default="hybridxai-out/evaluate", help="output folder")


def _evaluate(args: argparse.Namespace) -> int:
    from hybridxai._util.fileio import output_folder
    from hybridxai.evaluate import DEFAULT_METHODS, DEFAULT_METRICS, evaluate
    from hybridxai.evaluate.methods import parse_methods
    from hybridxai.vision.models import load_pretrained

    parse_methods(args.methods or DEFAULT_METHODS)  # bad specs fail before the model loads
    out = output_folder(args.out, "--out")
    print(f"loading {args.model} ...", flush=True)
    model = load_pretrained(args.model)
    result = evaluate(model, args.images, args.methods or DEFAULT_METHODS,
                      metrics=args.metrics or DEFAULT_METRICS, reference=args.reference,
                      layer=args.layer, seed=args.seed, batch_size=args.batch_size)
    paths = result.save(out)
    print(result.to_markdown())
    print(f"summary: {paths['summary_md']}  table: {paths['summary_csv']}  per image: "
          f"{paths['scores_csv']}  plot: {paths['plot']}")
    return 0


def _backends() -> int:
    from hybridxai.backends.registry import BACKENDS

    for name, spec in BACKENDS.items():
        try:
            spec.load()
            status = "installed"
        except ImportError as exc:
            status = f"not installed ({str(exc).split('Fix: ')[-1]})"
        print(f"{name:12s} {status:12s} {spec.summary}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Args:
        argv: Arguments (default ``sys.argv[1:]``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (one line already printed), --help
        return int(exc.code or 0)
    if args.version:
        print(importlib.import_module("hybridxai").__version__)
        return 0
    try:
        if args.command == "explain":
            return _explain(args)
        if args.command == "train":
            return _train(args)
        if args.command == "reproduce":
            return _reproduce(args)
        if args.command == "evaluate":
            return _evaluate(args)
        if args.command == "backends":
            return _backends()
        if args.command == "samples":
            from hybridxai.vision.samples import sample_names

            print("\n".join(sample_names()))
            return 0
    except HybridXAIError as exc:
        print(f"hybridxai: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hybridxai: interrupted. Rerun the same command to resume.", file=sys.stderr)
        return 130
    except OSError as exc:  # unreadable input, unwritable output folder, full disk ...
        fix = ("free some disk space and rerun the same command: finished results are kept"
               if exc.errno == errno.ENOSPC else "check the path and its permissions")
        print(f"hybridxai: error: {exc.strerror or exc} ({exc.filename or 'file system'}). "
              f"Fix: {fix}.", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

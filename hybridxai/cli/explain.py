"""``hybridxai explain``: one picture, several, or a folder (resumable), with any backend's options."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hybridxai.cli.console import RichBar, stdout, table
from hybridxai.exceptions import invalid_argument

__all__ = ["explain_command", "parse_target", "parse_option"]

_SOLVER = "Solver options (each goes to the backend's sample(); see 'hybridxai backends')"
_RUN = "Explanation settings"


def parse_target(text: str | None) -> int | str | None:
    """``--target``: a class index (``281``) or a class name (``tabby``).

    Example:
        >>> parse_target("281"), parse_target("tabby"), parse_target(None)
        (281, 'tabby', None)
    """
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def parse_option(text: str) -> tuple[str, Any]:
    """``--option NAME=VALUE``: a Python literal (number, bool, list …) or else a string.

    Example:
        >>> parse_option("num_reads=5"), parse_option("schedule=linear"), parse_option("polish=False")
        (('num_reads', 5), ('schedule', 'linear'), ('polish', False))
    """
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name.isidentifier():
        raise invalid_argument("option", text, "is not NAME=VALUE", "pass e.g. --option num_sweeps=2000")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def _sampler_options(named: dict[str, Any], extra: list[str] | None) -> dict[str, Any]:
    options = {k: v for k, v in named.items() if v is not None}
    for text in extra or []:
        name, value = parse_option(text)
        if name in options:
            raise invalid_argument("option", text, f"sets {name}, which another option already sets",
                                   f"give {name} once")
        options[name] = value
    return options


def explain_command(
    image: Annotated[list[str] | None, typer.Argument(
        metavar="IMAGE...", help="Image file (JPEG/PNG), a folder, or several files; or use --sample.",
        show_default=False)] = None,
    sample: Annotated[str | None, typer.Option(
        help="Use a bundled photo instead (chelsea, coffee, astronaut, ...; see 'hybridxai samples').",
        rich_help_panel="Input")] = None,
    model: Annotated[str, typer.Option(
        help="torchvision classifier name, or module:callable returning a torch.nn.Module.",
        rich_help_panel="Model")] = "mobilenet_v2",
    checkpoint: Annotated[Path | None, typer.Option(
        help="Weights (a state dict) to load into --model instead of the pretrained ones.",
        rich_help_panel="Model", show_default=False)] = None,
    device: Annotated[str, typer.Option(help="Torch device to run the model on.",
                                        rich_help_panel="Model")] = "cpu",
    layer: Annotated[str | None, typer.Option(
        help="Target layer, a dotted name (e.g. features.17); join several with '+'. "
             "Default: the last spatial feature maps.", rich_help_panel=_RUN, show_default=False)] = None,
    target: Annotated[str | None, typer.Option(
        help="Class to explain: an index (281) or a class name (tabby). Default: the predicted one.",
        rich_help_panel=_RUN, show_default=False)] = None,
    backend: Annotated[str, typer.Option(
        help="Solver: sa, exact, certified, statevector, aer, pennylane, dwave, ...",
        rich_help_panel=_RUN)] = "sa",
    beta: Annotated[float | None, typer.Option(
        help="Importance/redundancy trade-off in [0, 1]. Default: 0.7 for <= 64 variables, else 0.99.",
        rich_help_panel=_RUN, show_default=False)] = None,
    max_qubits: Annotated[int | None, typer.Option(
        help="Keep only the K most important feature maps. Default: all; 16 for statevector, aer, "
             "pennylane and ibm-runtime.", rich_help_panel=_RUN,
        show_default=False)] = None,
    cardinality: Annotated[int | None, typer.Option(
        help="Target number of selected maps k (penalty gamma*(sum n - k)^2).", rich_help_panel=_RUN,
        show_default=False)] = None,
    gamma: Annotated[float, typer.Option(help="Strength of the cardinality penalty.",
                                         rich_help_panel=_RUN)] = 1.0,
    importance: Annotated[str, typer.Option(
        help="How each map's importance is computed: gradcam, contribution or gradcam++.",
        rich_help_panel=_RUN)] = "gradcam",
    seed: Annotated[int | None, typer.Option(
        help="Solver seed. Default: drawn, and recorded with the results.", rich_help_panel=_RUN,
        show_default=False)] = None,
    analyze: Annotated[bool, typer.Option(
        "--analyze", help="Also compute the anneal's minimum gap.", rich_help_panel=_RUN)] = False,
    num_reads: Annotated[int | None, typer.Option(help="Samples drawn by the solver.",
                                                  rich_help_panel=_SOLVER, show_default=False)] = None,
    num_sweeps: Annotated[int | None, typer.Option(help="Sweeps per read (sa).", rich_help_panel=_SOLVER,
                                                   show_default=False)] = None,
    total_time: Annotated[str | None, typer.Option(
        help="Anneal time T (statevector, aer, pennylane, ibm-runtime), or 'auto'.",
        rich_help_panel=_SOLVER, show_default=False)] = None,
    num_steps: Annotated[int | None, typer.Option(help="Trotter steps (quantum backends).",
                                                  rich_help_panel=_SOLVER, show_default=False)] = None,
    schedule: Annotated[str | None, typer.Option(
        help="Anneal schedule, e.g. linear or local-adiabatic (quantum backends).",
        rich_help_panel=_SOLVER, show_default=False)] = None,
    order: Annotated[int | None, typer.Option(help="Trotter order, 1 or 2 (quantum backends).",
                                              rich_help_panel=_SOLVER, show_default=False)] = None,
    driver_scale: Annotated[str | None, typer.Option(
        help="Driver scale: unit, 1/d or a number (quantum backends).", rich_help_panel=_SOLVER,
        show_default=False)] = None,
    conventions: Annotated[str | None, typer.Option(
        help="Anneal conventions: hybridxai (default) or authors, the paper's code's driver, time grid, "
             "gap and fidelity (quantum backends; docs/reproduction.md).", rich_help_panel=_SOLVER,
        show_default=False)] = None,
    postprocess: Annotated[str | None, typer.Option(
        help="Post-processing of the reads (quantum backends; default none).", rich_help_panel=_SOLVER,
        show_default=False)] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds of branch and bound (certified).",
                                                     rich_help_panel=_SOLVER, show_default=False)] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-o", metavar="NAME=VALUE",
        help="Any other option of the backend's sample(), e.g. -o engine=numpy -o polish=False.",
        rich_help_panel=_SOLVER, show_default=False)] = None,
    out: Annotated[str | None, typer.Option(
        help="Output folder. Default: hybridxai-out/<image or folder name>.", show_default=False,
        rich_help_panel="Output")] = None,
    batch_size: Annotated[int | None, typer.Option(
        help="Images per pass for a folder (default 16; a resumed run keeps its own).", show_default=False,
        rich_help_panel="Output")] = None,
) -> int:
    """Explain a classifier's prediction by selecting feature maps with a QUBO.

    Given a folder or several files, each result is written as soon as it is made, and rerunning
    the same command resumes where an interrupted run stopped.
    """
    from hybridxai.cli.models import check_device
    from hybridxai.explainer.settings import ExplainSettings

    images = list(image or [])
    many = len(images) > 1 or (len(images) == 1 and sample is None and Path(images[0]).is_dir())
    options = _sampler_options({
        "num_reads": num_reads, "num_sweeps": num_sweeps,
        "total_time": None if total_time is None else _number_or_text(total_time),
        "num_steps": num_steps, "schedule": schedule, "order": order,
        "driver_scale": None if driver_scale is None else _number_or_text(driver_scale),
        "conventions": conventions, "postprocess": postprocess, "time_limit": time_limit}, option)
    settings = ExplainSettings(
        target=parse_target(target), layer=layer, backend=backend, beta=beta, seed=seed,
        max_qubits=max_qubits, cardinality=cardinality, gamma=gamma, importance=importance,
        analyze=analyze, progress=RichBar if many else False, sampler_options=options)
    settings.sampler()  # the backend and its options, before the model loads
    torch_device = check_device(device)
    if checkpoint is not None and not checkpoint.is_file():
        raise invalid_argument("checkpoint", str(checkpoint), "no such file", "check the path")
    if many:
        if sample is not None:
            raise invalid_argument("image", images, "give exactly one of IMAGE or --sample", "run e.g. "
                                   "'hybridxai explain photos/' or 'hybridxai explain --sample chelsea'")
        return _explain_many(images, settings, model, checkpoint, torch_device, out, batch_size)
    return _explain_one(images[0] if images else None, sample, settings, model, checkpoint, torch_device, out)


def _explain_one(image: str | None, sample: str | None, settings: Any, model_name: str,
                 checkpoint: Path | None, device: Any, out: str | None) -> int:
    from hybridxai._util.fileio import output_folder
    from hybridxai.cli.models import load_model
    from hybridxai.explainer import explain
    from hybridxai.vision.samples import load_sample

    if (image is None) == (sample is None):
        raise invalid_argument("image", image, "give exactly one of IMAGE or --sample",
                               "run e.g. 'hybridxai explain --sample chelsea' or "
                               "'hybridxai explain photo.jpg'")
    picture: Any = load_sample(sample) if sample else image
    if image is not None and not Path(image).exists():
        raise invalid_argument("image", image, "no such image file", "check the path")
    stem = sample or Path(str(image)).stem
    folder = output_folder(Path(out) if out else Path("hybridxai-out") / stem, "--out")
    print(f"loading {model_name} ...", flush=True)
    net = load_model(model_name, checkpoint, device)
    e = explain(net, picture, settings=settings)
    paths = e.save(folder)
    phrase = e.optimality_phrase
    print(f"predicted class: {e.label} (p={e.probability:.3f})")
    print(f"selected {e.num_selected} of {e.qubo.num_variables} positive feature maps "
          f"(K={e.qubo.num_feature_maps}, layer {e.layer}, backend {e.backend}, beta={e.qubo.beta:g}, "
          f"seed {e.seed}{'; ' + phrase if phrase else ''})")
    for key in ("fidelity", "min_gap", "s_min"):
        if key in e.info:
            print(f"{key}: {e.info[key]:.6g}")
    rows = [["class", e.label], ["probability", f"{e.probability:.3f}"],
            ["selected", f"{e.num_selected} of {e.qubo.num_variables} (K={e.qubo.num_feature_maps})"],
            ["layer", e.layer], ["backend", e.backend], ["beta", f"{e.qubo.beta:g}"], ["seed", e.seed],
            ["energy", f"{e.energy:.6g}"], ["optimality", phrase or "not reported"]]
    stdout().print(table("explanation", ["setting", "value"], rows))
    print(f"overlay: {paths['overlay']}")
    print(f"heat map: {paths['heatmap']}  figure: {paths['figure']}  manifest: {paths['manifest']}")
    return 0


def _explain_many(images: list[str], settings: Any, model_name: str, checkpoint: Path | None, device: Any,
                  out: str | None, batch_size: int | None) -> int:
    """``hybridxai explain FOLDER`` / ``explain A.jpg B.jpg ...``: resumable, one result per image."""
    from hybridxai.cli.models import load_model
    from hybridxai.explainer import explain_folder, load_results

    source: Any = images[0] if len(images) == 1 else images
    folder = Path(out) if out else Path("hybridxai-out") / (
        Path(images[0]).resolve().name if len(images) == 1 else "batch")
    print(f"loading {model_name} ...", flush=True)
    net = load_model(model_name, checkpoint, device)
    try:
        report = explain_folder(net, source, folder, batch_size=batch_size, settings=settings)
    except KeyboardInterrupt:
        done = sum(r.get("status") == "done" for r in load_results(folder).values())
        print(f"hybridxai: interrupted; the {done} image(s) finished are kept in {folder}. Rerun the same "
              "command to resume.", file=sys.stderr)
        return 130
    for note in report.notes:
        print(f"note: {note}")
    if report.resumed:
        print(f"resumed: {report.resumed} image(s) were already done")
    rows = [[r.get("key"), r.get("status"), r.get("class_name") or r.get("target"),
             None if r.get("probability") is None else f"{r['probability']:.3f}",
             None if r.get("num_selected") is None else f"{r['num_selected']} of {r.get('num_variables')}",
             _optimality(report.out, r)] for r in report.records[:_TABLE_ROWS]]
    more = len(report.records) - len(rows)
    stdout().print(table(f"results ({more} more in the summary)" if more > 0 else "results",
                         ["image", "status", "class", "p", "selected", "optimality"], rows))
    print(f"explained {len(report.done)} of {len(report.records)} images into {report.out} "
          f"(seed {report.settings['seed']})")
    for record in report.failed:
        print(f"failed: {record['key']}: {record['error']}")
    print(f"summary: {report.summary}  results: {report.out / 'results.jsonl'}")
    return 1 if report.failed else 0


_TABLE_ROWS = 30


def _optimality(out: Path, record: dict[str, Any]) -> str:
    """The optimality phrase of one image's result, read from its ``manifest.json``."""
    import json

    if not isinstance(record.get("result"), str):
        return ""
    try:
        info = json.loads((out / record["result"] / "manifest.json").read_text(encoding="utf-8"))["info"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    report = info.get("optimality") if isinstance(info, dict) else None
    return str(report.get("phrase", "")) if isinstance(report, dict) else ""

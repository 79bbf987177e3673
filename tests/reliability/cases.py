"""The catalogue of bad inputs a user will give, and what each one gets (issue #7).

One :class:`Case` per bad input and public entry point: a zero-argument callable that makes the
call, the exception class it must raise (or the warning / the accepted behaviour), and the
substrings its message must contain — the argument's name, the offending value and the fix.
``test_bad_inputs.py`` runs every case (right class, subclass of the matching built-in, message,
under one second, no network); ``write_table.py`` turns the catalogue and the actual messages
into the table in ``docs/reliability.md``.

Cases build their inputs lazily (inside the callable), so importing this module is cheap.
Models are the tiny CNN of ``tests/conftest.py``; the pretrained MobileNetV2 appears only
where the command line needs it.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np

from hybridxai.exceptions import (
    ConfigurationError,
    InvalidArgumentError,
    InvalidTypeError,
    LayerNotFoundError,
    MissingDependencyError,
    ProblemTooLargeError,
    ServiceUnavailableError,
    UnknownBackendError,
)
from hybridxai.explainer.pipeline import EmptySelectionWarning
from hybridxai.metrics import EmptyClassWarning
from tests.reliability import _support as S

__all__ = ["Case", "CASES", "case_id"]


@dataclass(frozen=True)
class Case:
    """One bad input for one entry point.

    Attributes:
        entry: The public entry point, as users write it (``"explain"``, ``"sample('aer')"``).
        bad: The bad input, in a few words.
        call: Makes the call; no arguments.
        raises: The exception class the call must raise (exactly this class), or ``None``.
        contains: Substrings the message (or CLI stderr) must contain: argument, value, fix.
        warns: A warning the call must emit instead (with ``raises=None``).
        check: For accepted inputs: an assertion on the call's result.
        outcome: For accepted inputs: what happens, in words (for the table).
        exit_status: For the command line: the expected exit status (the call returns a
            :class:`~tests.reliability._support.CliResult`).
        setup: Untimed preparation run once before the timed call (imports, model loading).
        topic: The issue's category (wrong type, NaN/inf, memory, ...).
    """

    entry: str
    bad: str
    call: Callable[[], Any]
    raises: type[BaseException] | None = None
    contains: tuple[str, ...] = ()
    warns: type[Warning] | None = None
    check: Callable[[Any], None] | None = None
    outcome: str = ""
    exit_status: int | None = None
    setup: Callable[[], Any] | None = None
    topic: str = ""


def case_id(case: Case) -> str:
    """A readable, unique pytest id."""
    text = f"{case.entry}: {case.bad}"
    return "".join(ch if ch.isalnum() or ch in "._-=()'" else "_" for ch in text)[:90]


CASES: list[Case] = []


def add(entry: str, bad: str, call: Callable[[], Any], raises: type[BaseException] | None = None,
        *contains: str, **kwargs: Any) -> None:
    CASES.append(Case(entry, bad, call, raises, tuple(contains), **kwargs))


def _expect(predicate: Callable[[Any], bool], what: str) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert predicate(result), what

    return check


# -- lazy imports (the callables run inside the tests) ---------------------------------------

def _hx():
    import hybridxai

    return hybridxai


def _explain():
    from hybridxai.explainer.pipeline import explain

    return explain


def _explain_batch():
    from hybridxai.explainer.pipeline import explain_batch

    return explain_batch


def _torch():
    import torch

    return torch


def _warm_quantum() -> None:
    import pennylane  # noqa: F401
    import qiskit  # noqa: F401
    import qiskit_aer  # noqa: F401


def _warm_cloud() -> None:
    import dwave.cloud  # noqa: F401
    import dwave.system  # noqa: F401
    import qiskit_ibm_runtime  # noqa: F401


# ============================================================================================
# explain / explain_batch
# ============================================================================================

def explain(image: Callable[[], Any] | None = None, *, model: Callable[[], Any] | None = None,
            **kwargs: Any) -> Callable[[], Any]:
    """``hybridxai.explain(tiny_cnn, image, backend="exact", seed=0, ...)`` with overrides."""

    def run() -> Any:
        net = S.tiny_cnn() if model is None else model()
        picture = S.image() if image is None else image()
        return _explain()(net, picture, **{"backend": "exact", "seed": 0, **kwargs})

    return run


def explain_batch(images: Callable[[], Any], **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        return _explain_batch()(S.tiny_cnn(), images(), backend="exact", seed=0, **kwargs)

    return run


def _rand(*shape: int) -> Callable[[], Any]:
    return lambda: _torch().rand(*shape)


def _nan_image(value: float) -> Callable[[], Any]:
    def make() -> Any:
        x = S.image().clone()
        x[0, 3, 4] = value
        return x

    return make


E = "explain"
EB = "explain_batch"

add(E, "model is a string, not a torch Module", explain(model=lambda: "resnet18"), InvalidTypeError,
    "model has type str", "'resnet18'", "Fix: pass a PyTorch", topic="wrong type")
add(E, "model is a class, not an instance", explain(model=lambda: type(S.tiny_cnn())),
    InvalidTypeError, "model has type type", "Sequential", "Fix:", topic="wrong type")
add(E, "image is a 2-D tensor (H×W)", explain(_rand(16, 16)), InvalidArgumentError,
    "image=<Tensor shape=(16, 16)", "C×H×W", "Fix:", topic="wrong shape")
add(E, "image is a 5-D tensor", explain(_rand(1, 1, 3, 16, 16)), InvalidArgumentError,
    "image=<Tensor shape=(1, 1, 3, 16, 16)", "Fix:", topic="wrong shape")
add(E, "image holds NaN", explain(_nan_image(float("nan"))), InvalidArgumentError,
    "image=<Tensor shape=(1, 3, 16, 16)", "NaN or inf", "Fix: check the image loading",
    topic="NaN/inf")
add(E, "image holds +inf", explain(_nan_image(float("inf"))), InvalidArgumentError,
    "image=<Tensor", "NaN or inf", "Fix:", topic="NaN/inf")
add(E, "image is an integer (uint8) tensor", explain(lambda: (S.image() * 255).to(_torch().uint8)),
    InvalidArgumentError, "image=<Tensor", "dtype=torch.uint8", "floating point", "Fix:",
    topic="wrong type")
add(E, "image is a batch of 2 tensors", explain(_rand(2, 3, 16, 16)), InvalidArgumentError,
    "image=<Tensor shape=(2, 3, 16, 16)", "batch of 2", "Fix: call hybridxai.explain_batch()",
    topic="wrong shape")
add(E, "image is a list of images", explain(lambda: [S.image(), S.image()]), InvalidArgumentError,
    "image=<list of 2: <Tensor shape=(3, 16, 16)", "sequence of images",
    "Fix: call hybridxai.explain_batch()", topic="wrong type")
add(E, "image is an int", explain(lambda: 42), InvalidTypeError, "image has type int", "42",
    "Fix: pass e.g. 'cat.jpg'", topic="wrong type")
add(E, "image path does not exist", explain(lambda: "no_such_photo.jpg"), InvalidArgumentError,
    "image='no_such_photo.jpg'", "no such image file", "Fix: check the path", topic="missing file")
add(E, "image file is not a picture", explain(lambda: __file__), InvalidArgumentError,
    "image='", "not a readable image", "Fix: pass a JPEG/PNG", topic="wrong type")
add(E, "numpy image is channel-first (3×H×W)",
    explain(lambda: np.random.default_rng(0).random((3, 16, 16))), InvalidArgumentError,
    "image=<ndarray shape=(3, 16, 16)", "channel-first", "Fix: pass H×W×C", topic="wrong shape")
add(E, "float numpy image in 0..255 instead of [0, 1]",
    explain(lambda: np.full((16, 16, 3), 200.0), transform=lambda p: _torch().zeros(3, 16, 16)),
    InvalidArgumentError, "image=<ndarray shape=(16, 16, 3)", "[0, 1]", "Fix: divide 0–255 data",
    topic="out of range")
add(E, "raw picture without a transform",
    explain(lambda: np.zeros((16, 16, 3), dtype=np.uint8)), InvalidArgumentError,
    "transform=None", "raw picture", "Fix: pass transform=weights.transforms()", topic="missing setting")
add(E, "transform returns a PIL image, not a tensor",
    explain(lambda: np.zeros((16, 16, 3), dtype=np.uint8), transform=lambda p: p),
    InvalidTypeError, "transform has type function", "torch.Tensor", "Fix: end the transform",
    topic="wrong type")
add(E, "image on the 'meta' device (no data)", explain(lambda: _torch().empty(3, 16, 16, device="meta")),
    InvalidArgumentError, "image=<Tensor shape=(1, 3, 16, 16)", "'meta' device",
    "Fix: create it with real pixel values", topic="device")
add(E, "image in float64 while the model is float32 (another dtype)",
    explain(lambda: S.image().double()), None,
    check=_expect(lambda e: e.saliency.shape == (16, 16), "explained"),
    outcome="accepted: moved to the model's device and dtype", topic="device")
add(E, "model in float64 with a float32 image", explain(model=lambda: S.double_cnn()), None,
    check=_expect(lambda e: e.saliency.shape == (16, 16), "explained"),
    outcome="accepted: the image is cast to the model's dtype", topic="device")
add(E, "model on the 'meta' device (weights never loaded)", explain(model=S.meta_cnn),
    InvalidArgumentError, "model=Sequential(", "'meta' device", "Fix: materialise it with "
    "model.to_empty(device='cpu')", topic="device")
add(E, "beta = 1.5", explain(beta=1.5), InvalidArgumentError, "beta=1.5", "[0, 1]",
    "Fix: pass e.g. beta=0.7", topic="beta/gamma/k range")
add(E, "beta = -0.1", explain(beta=-0.1), InvalidArgumentError, "beta=-0.1", "[0, 1]", "Fix:",
    topic="beta/gamma/k range")
add(E, "beta = NaN", explain(beta=float("nan")), InvalidArgumentError, "beta=nan", "[0, 1]", "Fix:",
    topic="NaN/inf")
add(E, "beta is a string", explain(beta="0.7"), InvalidTypeError, "beta has type str", "'0.7'",
    "Fix: pass e.g. beta=0.7", topic="wrong type")
add(E, "gamma < 0 with a cardinality", explain(cardinality=1, gamma=-1.0), InvalidArgumentError,
    "gamma=-1.0", ">= 0", "Fix: pass e.g. gamma=1.0", topic="beta/gamma/k range")
add(E, "gamma = inf", explain(cardinality=1, gamma=math.inf), InvalidArgumentError, "gamma=inf",
    "finite", "Fix:", topic="NaN/inf")
add(E, "cardinality k larger than d", explain(cardinality=99), InvalidArgumentError, "cardinality=99",
    "<= d =", "Fix: pass a smaller k", topic="beta/gamma/k range")
add(E, "cardinality k < 0", explain(cardinality=-1), InvalidArgumentError, "cardinality=-1",
    "0 <= k", "Fix:", topic="beta/gamma/k range")
add(E, "cardinality k is a float", explain(cardinality=2.5), InvalidArgumentError, "cardinality=2.5",
    "integer", "Fix:", topic="wrong type")
add(E, "seed < 0", explain(seed=-1), InvalidArgumentError, "seed=-1", "non-negative",
    "Fix: pass e.g. seed=0", topic="out of range")
add(E, "seed is a float", explain(seed=1.5), InvalidArgumentError, "seed=1.5", "integer", "Fix:",
    topic="wrong type")
add(E, "max_qubits = 0", explain(max_qubits=0), InvalidArgumentError, "max_qubits=0", "positive",
    "Fix: pass e.g. max_qubits=16", topic="out of range")
add(E, "target out of range", explain(target=99), InvalidArgumentError, "target=99", "[0, 5)",
    "Fix: pass a valid class index", topic="out of range")
add(E, "target is a float", explain(target=1.0), InvalidTypeError, "target has type float", "1.0",
    "Fix: pass one class index", topic="wrong type")
add(E, "target is a bool", explain(target=True), InvalidTypeError, "target has type bool", "True",
    "Fix:", topic="wrong type")
add(E, "layer name does not exist", explain(layer="conv9"), LayerNotFoundError, "layer='conv9'",
    "no submodule", "Fix: pass one of the names", topic="bad layer")
add(E, "layer is an int", explain(layer=3), InvalidTypeError, "layer has type int", "3",
    "Fix: pass e.g. layer='features.18'", topic="wrong type")
add(E, "layer is a module of another model",
    lambda: _explain()(S.tiny_cnn(), S.image(), backend="exact", layer=S.other_conv()),
    LayerNotFoundError, "layer=Conv2d(...)", "not a submodule", "Fix: pass a module taken from the "
    "same model", topic="bad layer")
add(E, "layer output is not a feature map (the Linear head)", explain(layer="8"),
    InvalidArgumentError, "layer='8'", "not (N, K, h, w)", "Fix: pick a convolutional layer",
    topic="bad layer")
add(E, "model computes its logits under torch.no_grad()",
    explain(model=S.no_grad_head_net, layer="body.2"), InvalidArgumentError, "layer='body.2'",
    "do not depend on its output through autograd", "Fix: pick a layer on the path",
    topic="bad layer")
add(E, "model without conv layers (an MLP)", explain(model=S.mlp), LayerNotFoundError,
    "layer=None", "no module produces a spatial feature map", "Fix: pass layer=", topic="no conv layer")
add(E, "model returns a tuple", explain(model=lambda: S.wrapped_net("tuple")), InvalidArgumentError,
    "model=TupleOutputNet", "returned a tuple", "SelectOutput(model, 0)", topic="model output")
add(E, "model returns a dict", explain(model=lambda: S.wrapped_net("dict")), InvalidArgumentError,
    "model=DictOutputNet", "returned a dict", "SelectOutput(model, 'logits')", topic="model output")
add(E, "model returns a HuggingFace-style object with .logits",
    explain(model=lambda: S.wrapped_net("hf")), None,
    check=_expect(lambda e: e.saliency.shape == (16, 16), "explained"),
    outcome="accepted: the .logits tensor is used", topic="model output")
add(E, "model returns a 1-D tensor", explain(model=lambda: S.wrapped_net("vector")),
    InvalidArgumentError, "model=VectorOutputNet", "tensor of shape (1,)", "Fix: wrap the model",
    topic="model output")
add(E, "backend name unknown", explain(backend="quantum"), UnknownBackendError,
    "backend='quantum'", "'statevector'", "Fix: pass one of these names", topic="unknown name")
add(E, "backend is an int", explain(backend=3), InvalidTypeError, "backend has type int", "3",
    "Fix: pass e.g. backend='sa'", topic="wrong type")
add(E, "sampler option the backend does not take", explain(backend="sa", total_time=10.0),
    InvalidArgumentError, "sampler_options=['total_time']", "'sa' backend", "Fix: use some of",
    topic="unknown option")
add(E, "sampler option out of range (num_steps=0)", explain(backend="statevector", num_steps=0),
    InvalidArgumentError, "num_steps=0", "at least 1", "Fix:", topic="zero/negative time")
add(E, "all feature maps have negative importance", explain(model=S.negative_net), None,
    warns=EmptySelectionWarning,
    check=_expect(lambda e: e.selected == () and float(e.saliency.max()) == 0.0, "empty"),
    outcome="EmptySelectionWarning; empty selection, all-zero map", topic="all-negative importance")
add(E, "a single feature map", explain(model=S.single_map_net), None,
    check=_expect(lambda e: e.qubo.num_variables == 1 and e.selected == (0,), "one map selected"),
    outcome="accepted: d = 1, the map is selected", topic="single FM")
add(E, "more qubits than the statevector memory budget",
    lambda: _explain()(S.tiny_cnn(), S.image(), seed=0,
                          backend=_hx().get_sampler("statevector", max_memory_bytes=64)),
    ProblemTooLargeError, "num_qubits=", "'statevector' backend",
    "Fix: free memory or raise the memory budget (max_memory_bytes)", topic="memory")
add(E, "backend's SDK not installed (aer without qiskit-aer)",
    S.without(["qiskit_aer"], explain(backend="aer")), MissingDependencyError, "qiskit_aer",
    "Fix: pip install 'hybridxai[qiskit]'", setup=_warm_quantum, topic="missing SDK")
add(E, "D-Wave backend without a Leap token", S.without_credentials(explain(backend="dwave")),
    ConfigurationError, "no Leap API token", "DWAVE_API_TOKEN", "Fix: run `dwave config create`",
    setup=_warm_cloud, topic="missing credentials")
add(E, "a vision transformer (only a patch-embedding convolution)", explain(model=S.tiny_vit),
    LayerNotFoundError, "layer=None", "TinyViT", "'conv_proj', a patch embedding", "vision transformer",
    "Fix: explain a CNN, or pass layer= explicitly", topic="no conv layer")
add(E, "input smaller than the network's stride (1×1 maps)", explain(model=S.strided_cnn),
    InvalidArgumentError, "images=<Tensor shape=(1, 3, 16, 16)", "at 16×16 pixels", "gives 1×1 feature maps",
    "Fix: pass larger images", topic="wrong shape")
add(E, "layer is an empty list", explain(layer=[]), InvalidArgumentError, "layer=[]", "empty list",
    "Fix: pass e.g. layer='features.18'", topic="bad layer")
add(E, "layer list names a layer twice", explain(layer=["2", "2"]), InvalidArgumentError,
    "layer=['2', '2']", "more than once", "Fix: list each layer once", topic="bad layer")
add(E, "layer list with an unknown name", explain(layer=["2", "nope"]), LayerNotFoundError,
    "layer='nope'", "no submodule", "Fix: pass one of the names", topic="bad layer")
add(E, "layer list holding an int", explain(layer=["2", 3]), InvalidTypeError, "layer has type int",
    "a list of them", "Fix: pass e.g. layer='features.18'", topic="wrong type")
add(E, "layer names joined by '+' with an empty part", explain(layer="2+"), InvalidArgumentError,
    "layer='2+'", "empty name around '+'", "Fix: join dotted names", topic="bad layer")
add(E, "class-name target for a model without class names", explain(target="tabby"), InvalidTypeError,
    "target has type str", "'tabby'", "class names", "Fix: pass the class index", topic="unknown name")
add(E, "class-name target that is not a class name",
    explain(target="tabby", class_names=["cat", "dog", "car", "ship", "frog"]), InvalidArgumentError,
    "target='tabby'", "not one of the model's 5 class names", "Fix: pass a class index",
    topic="unknown name")
add(E, "pause outside (0, 1) in the schedule",
    explain(backend="statevector", max_qubits=4, schedule=("pause", 1.5, 0.2)), InvalidArgumentError,
    "schedule=('pause', 1.5, 0.2)", "strictly between 0 and 1", "Fix: pass e.g. schedule=('pause', 0.6, 0.2)",
    topic="non-monotone schedule")
add(E, "a schedule that falls (non-monotone samples)",
    explain(backend="statevector", max_qubits=4, schedule=([0, 0.5, 0.7, 1], [0, 0.8, 0.3, 1])),
    InvalidArgumentError, "schedule='sampled(4 points)'", "non-decreasing", "Fix: use a monotone schedule",
    topic="non-monotone schedule")
add(E, "target_fidelity = 1.5 (outside (0, 1))",
    explain(backend="statevector", max_qubits=4, total_time="auto", target_fidelity=1.5),
    InvalidArgumentError, "target_fidelity=1.5", "strictly between 0 and 1",
    "Fix: pass e.g. target_fidelity=0.9", topic="out of range")
add(E, "target_fidelity = 0",
    explain(backend="statevector", max_qubits=4, total_time="auto", target_fidelity=0), InvalidArgumentError,
    "target_fidelity=0", "Fix:", topic="out of range")

add(EB, "target list shorter than the batch", explain_batch(_rand(2, 3, 16, 16), target=[0, 1, 2]),
    InvalidArgumentError, "target=[0, 1, 2]", "3 classes for a batch of 2", "Fix: pass one class",
    topic="wrong shape")
add(EB, "target is a 2-D tensor",
    lambda: _explain_batch()(S.tiny_cnn(), _torch().rand(2, 3, 16, 16), backend="exact",
                                target=_torch().zeros(2, 1, dtype=_torch().long)),
    InvalidArgumentError, "target=<Tensor shape=(2, 1)", "1-D integer", "Fix:", topic="wrong shape")
add(EB, "images of different sizes", explain_batch(lambda: [_torch().rand(3, 16, 16),
                                                            _torch().rand(3, 20, 20)]),
    InvalidArgumentError, "image=[(3, 16, 16), (3, 20, 20)]", "different sizes", "Fix: resize them",
    topic="wrong shape")
add(EB, "an empty list of images", explain_batch(lambda: []), InvalidArgumentError, "image=[]",
    "empty sequence", "Fix: pass at least one image", topic="empty")
add(EB, "one image in the list holds NaN", explain_batch(lambda: [S.image(), _nan_image(math.nan)()]),
    InvalidArgumentError, "image[1]=<Tensor", "NaN or inf", "Fix:", topic="NaN/inf")


# ============================================================================================
# build_qubo and FeatureQubo
# ============================================================================================

def qubo(acts: Any = None, grads: Any = None, **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        a, g = S.maps()
        return _hx().build_qubo(a if acts is None else acts() if callable(acts) else acts,
                                g if grads is None else grads() if callable(grads) else grads,
                                **kwargs)

    return run


BQ = "build_qubo"
add(BQ, "activations is a string", qubo("maps"), InvalidTypeError, "activations has type str",
    "'maps'", "Fix: pass the feature maps", topic="wrong type")
add(BQ, "activations is 1-D", qubo(np.ones(4)), InvalidArgumentError,
    "activations=<ndarray shape=(4,)", "(K, h, w)", "Fix: pass one image's maps", topic="wrong shape")
add(BQ, "activations is a batch (4-D)", qubo(np.ones((1, 4, 3, 3))), InvalidArgumentError,
    "activations=<ndarray shape=(1, 4, 3, 3)", "Fix: pass one image's maps; index a batch with [i]",
    topic="wrong shape")
add(BQ, "no feature maps (K = 0)", qubo(np.ones((0, 3, 3)), np.ones((0, 3, 3))), InvalidArgumentError,
    "activations=<ndarray shape=(0, 3, 3)", "K = 0", "Fix: pass at least one map", topic="empty")
add(BQ, "NaN in the activations", qubo(lambda: S.with_nan(S.maps()[0])), InvalidArgumentError,
    "activations=<ndarray shape=(4, 3, 3)", "NaN or inf", "Fix: check the model", topic="NaN/inf")
add(BQ, "inf in the gradients", qubo(None, lambda: S.with_nan(S.maps()[1], math.inf)),
    InvalidArgumentError, "gradients=<ndarray shape=(4, 3, 3)", "NaN or inf", "Fix:", topic="NaN/inf")
add(BQ, "NaN in a gradient tensor", qubo(None, lambda: _torch().full((4, 3, 3), math.nan)),
    InvalidArgumentError, "gradients=<ndarray", "NaN or inf", "Fix:", topic="NaN/inf")
add(BQ, "gradients of another shape", qubo(None, np.ones((4, 2, 2))), InvalidArgumentError,
    "gradients=<ndarray shape=(4, 2, 2)", "(4, 3, 3)", "Fix: pass the gradients of the same layer",
    topic="wrong shape")
add(BQ, "beta = 1.5", qubo(beta=1.5), InvalidArgumentError, "beta=1.5", "[0, 1]",
    "Fix: pass e.g. beta=0.7", topic="beta/gamma/k range")
add(BQ, "beta = -0.5", qubo(beta=-0.5), InvalidArgumentError, "beta=-0.5", "[0, 1]", "Fix:",
    topic="beta/gamma/k range")
add(BQ, "beta = NaN", qubo(beta=math.nan), InvalidArgumentError, "beta=nan", "[0, 1]", "Fix:",
    topic="NaN/inf")
add(BQ, "beta is a string", qubo(beta="high"), InvalidTypeError, "beta has type str", "'high'",
    "Fix: pass e.g. beta=0.7", topic="wrong type")
add(BQ, "beta is a bool", qubo(beta=True), InvalidTypeError, "beta has type bool", "True", "Fix:",
    topic="wrong type")
add(BQ, "gamma < 0", qubo(cardinality=2, gamma=-0.5), InvalidArgumentError, "gamma=-0.5", ">= 0",
    "Fix: pass e.g. gamma=1.0", topic="beta/gamma/k range")
add(BQ, "gamma = NaN", qubo(cardinality=2, gamma=math.nan), InvalidArgumentError, "gamma=nan",
    "finite", "Fix:", topic="NaN/inf")
add(BQ, "cardinality k > d", qubo(cardinality=5), InvalidArgumentError, "cardinality=5", "d = 4",
    "Fix: pass a smaller k", topic="beta/gamma/k range")
add(BQ, "cardinality k < 0", qubo(cardinality=-1), InvalidArgumentError, "cardinality=-1", "0 <= k",
    "Fix:", topic="beta/gamma/k range")
add(BQ, "cardinality k is a float", qubo(cardinality=1.5), InvalidArgumentError, "cardinality=1.5",
    "integer", "Fix:", topic="wrong type")
add(BQ, "max_qubits = 0", qubo(max_qubits=0), InvalidArgumentError, "max_qubits=0", "positive",
    "Fix: pass e.g. max_qubits=16", topic="out of range")
add(BQ, "max_qubits is a float", qubo(max_qubits=2.5), InvalidArgumentError, "max_qubits=2.5",
    "integer", "Fix:", topic="wrong type")
add(BQ, "an unknown conventions preset", qubo(conventions="paper"), InvalidArgumentError,
    "conventions='paper'", "not a known convention", "Fix: pass one of ['authors', 'hybridxai']",
    topic="unknown name")
add(BQ, "conventions is an int", qubo(conventions=3), InvalidArgumentError, "conventions=3",
    "Fix: pass one of", topic="wrong type")
add(BQ, "an unknown importance_scale", qubo(importance_scale="huge"), InvalidArgumentError,
    "importance_scale='huge'", "not a known scale", "Fix: pass one of ['max', 'raw']", topic="unknown name")
add(BQ, "importance_scale is a number", qubo(importance_scale=-1.0), InvalidArgumentError,
    "importance_scale=-1.0", "Fix: pass one of ['max', 'raw']", topic="wrong type")
add(BQ, "all importances negative", qubo(None, lambda: S.maps(sign=-1.0)[1]), None,
    check=_expect(lambda q: q.num_variables == 0 and q.bqm.num_variables == 0, "d = 0"),
    outcome="accepted: d = 0, an empty BQM (explain warns and returns an empty map)",
    topic="all-negative importance")
add(BQ, "all gradients zero", qubo(None, np.zeros((4, 3, 3))), None,
    check=_expect(lambda q: q.num_variables == 0, "d = 0"),
    outcome="accepted: d = 0 (no positive importance)", topic="all-negative importance")
add(BQ, "a single feature map", qubo(np.ones((1, 3, 3)), np.ones((1, 3, 3))), None,
    check=_expect(lambda q: q.num_variables == 1 and q.h.tolist() == [1.0] and q.J.tolist() == [[0.0]],
                  "d = 1, h = [1], J = [[0]]"),
    outcome="accepted: d = 1, h = [1], J = [[0]]", topic="single FM")
add(BQ, "two identical feature maps", qubo(lambda: np.repeat(S.maps()[0][:1], 2, axis=0),
                                           np.ones((2, 3, 3))), None,
    check=_expect(lambda q: abs(q.J[0, 1] - 1.0) < 1e-12, "J = 1 between duplicates"),
    outcome="accepted: J = 1 between the duplicates", topic="duplicate FMs")
add(BQ, "a zero-norm feature map", qubo(lambda: np.concatenate([np.zeros((1, 3, 3)), S.maps()[0][:2]]),
                                        np.ones((3, 3, 3))), None,
    check=_expect(lambda q: q.J[0].tolist() == [0.0, 0.0, 0.0] and q.num_variables == 3,
                  "J = 0 for the zero map"),
    outcome="accepted: J = 0 with every other map", topic="zero-norm FM")


def _fq():
    a, g = S.maps()
    return _hx().build_qubo(a, g)


FQ = "FeatureQubo"
add(FQ + ".interpret", "sample lacks some channels", lambda: _fq().interpret({0: 1}),
    InvalidArgumentError, "sample={0: 1}", "lacks channels [1, 2, 3]", "Fix: pass a sample of this",
    topic="wrong shape")
add(FQ + ".interpret", "sample is a list", lambda: _fq().interpret([1, 0, 1, 1]), InvalidTypeError,
    "sample has type list", "[1, 0, 1, 1]", "Fix: pass sampleset.first.sample", topic="wrong type")
add(FQ + ".interpret", "an empty SampleSet",
    lambda: _fq().interpret(dimod.SampleSet.from_samples([], "BINARY", energy=[])),
    InvalidArgumentError, "sample=", "empty", "Fix: sample with num_reads >= 1", topic="empty")
add(FQ + ".energy", "a channel that is not in the QUBO", lambda: _fq().energy([7]),
    InvalidArgumentError, "selection=7", "not one of the QUBO's channels", "Fix: select among",
    topic="out of range")
add(FQ + ".energy", "booleans instead of channel indices", lambda: _fq().energy([True, False]),
    InvalidArgumentError, "selection=True", "booleans", "Fix: pass a numpy boolean mask",
    topic="wrong type")
add(FQ + ".energy", "a boolean mask of the wrong length",
    lambda: _fq().energy(np.array([True, False])), InvalidArgumentError,
    "selection=<ndarray shape=(2,)", "shape (4,)", "Fix: pass one flag per filtered channel",
    topic="wrong shape")


# ============================================================================================
# get_sampler
# ============================================================================================

def sampler(name: Any, **config: Any) -> Callable[[], Any]:
    return lambda: _hx().get_sampler(name, **config)


GS = "get_sampler"
add(GS, "unknown backend name", sampler("qpu"), UnknownBackendError, "backend='qpu'",
    "'exact'", "'statevector'", "Fix: pass one of these names", topic="unknown name")
add(GS, "name is an int", sampler(7), InvalidTypeError, "name has type int", "7",
    "Fix: pass one of 'exact'", topic="wrong type")
add(GS, "a sampler instance plus configuration",
    lambda: _hx().get_sampler(_hx().get_sampler("exact"), seed=1), InvalidTypeError,
    "config has type dict", "{'seed': 1}", "Fix: configure the sampler instance", topic="wrong type")
add(GS, "an option the backend does not take", sampler("sa", temperature=1.0), InvalidArgumentError,
    "config=['temperature']", "backend 'sa'", "Fix: pass only the options", topic="unknown option")
add(GS, "an option out of range (total_time < 0)", sampler("statevector", total_time=-1.0),
    InvalidArgumentError, "total_time=-1.0", "positive", "Fix: pass e.g. total_time=10.0",
    topic="zero/negative time")
for _name, _blocked, _extra in (
        ("aer", ["qiskit_aer"], "qiskit"),
        ("pennylane", ["pennylane"], "pennylane"),
        ("dwave", ["dwave.cloud", "dwave.cloud.config", "dwave.system"], "dwave"),
        ("leap-hybrid", ["dwave.cloud", "dwave.cloud.config", "dwave.system"], "dwave"),
        ("ibm-runtime", ["qiskit_ibm_runtime", "qiskit_ibm_runtime.accounts"], "ibm")):
    add(GS, f"'{_name}' without its SDK installed",
        S.without(_blocked, S.without_credentials(sampler(_name))), MissingDependencyError,
        f"'{_blocked[0].split('.')[0]}'", f"Fix: pip install 'hybridxai[{_extra}]'",
        setup=lambda: (_warm_quantum(), _warm_cloud()), topic="missing SDK")
add(GS, "'dwave' without a Leap token", S.without_credentials(sampler("dwave")), ConfigurationError,
    "backend 'dwave'", "no Leap API token", "Fix: run `dwave config create`", setup=_warm_cloud,
    topic="missing credentials")
add(GS, "'leap-hybrid' without a Leap token", S.without_credentials(sampler("leap-hybrid")),
    ConfigurationError, "backend 'leap-hybrid'", "no Leap API token", "Fix: run `dwave config create`",
    setup=_warm_cloud, topic="missing credentials")
add(GS, "'ibm-runtime' without an IBM Quantum account", S.without_credentials(sampler("ibm-runtime")),
    ConfigurationError, "backend 'ibm-runtime'", "no usable IBM Quantum account",
    "QISKIT_IBM_TOKEN", "Fix: save an account once", "QiskitRuntimeService.save_account", setup=_warm_cloud,
    topic="missing credentials")
add(GS, "'ibm-runtime' for a named device without an account",
    S.without_credentials(sampler("ibm-runtime", backend="ibm_brisbane")), ConfigurationError,
    "backend 'ibm-runtime'", "no usable IBM Quantum account", "fake_manila", setup=_warm_cloud,
    topic="missing credentials")
add(GS, "'dwave' with a token that is not a string", S.without_credentials(sampler("dwave", token=1234)),
    InvalidTypeError, "token must be a string", "got int (value hidden)", "Fix: pass token='...'",
    setup=_warm_cloud, topic="wrong type")


# ============================================================================================
# every backend's sample()
# ============================================================================================

def sample(backend: str, bqm: Callable[[], Any] = lambda: S.chain_bqm(3), *,
           config: dict[str, Any] | None = None, **params: Any) -> Callable[[], Any]:
    def run() -> Any:
        smp = _hx().get_sampler(backend, **(config or {}))
        return smp.sample(bqm(), **params)

    return run


QUICK = {"total_time": 1.0, "num_steps": 4}


def _non_monotone(u: Any) -> Any:
    return u + 0.3 * np.sin(2 * np.pi * u)


def _half(u: Any) -> Any:
    return 0.5 * u


for _b in ("exact", "sa", "statevector", "aer", "pennylane"):
    _e = f"sample('{_b}')"
    _quantum = _b in ("statevector", "aer", "pennylane")
    _p = QUICK if _quantum else {}
    _setup = _warm_quantum if _b in ("aer", "pennylane") else None
    _reads = {} if _b == "exact" else {"num_reads": 20, "seed": 0}
    add(_e, "bqm is a dict, not a BQM", sample(_b, lambda: {0: -1.0}, **_p), InvalidTypeError,
        "bqm has type dict", "{0: -1.0}", "Fix: build one with hybridxai.build_qubo", setup=_setup,
        topic="wrong type")
    add(_e, "bqm is None", sample(_b, lambda: None, **_p), InvalidTypeError,
        "bqm has type NoneType", "Fix: build one with hybridxai.build_qubo", setup=_setup,
        topic="wrong type")
    add(_e, "NaN bias in the BQM", sample(_b, S.nan_bqm, **_p), InvalidArgumentError, "bqm=",
        "NaN or infinite biases", "Fix: check how the QUBO was built", setup=_setup, topic="NaN/inf")
    add(_e, "an unknown option", sample(_b, shots=10, **_p), InvalidArgumentError, "shots",
        "Fix:", setup=_setup, topic="unknown option")
    add(_e, "an empty BQM (d = 0)", sample(_b, lambda: dimod.BinaryQuadraticModel("BINARY"), **_p),
        None, check=_expect(lambda ss: len(ss) >= 1 and len(ss.variables) == 0, "one empty sample"),
        outcome="accepted: one empty sample", setup=_setup, topic="empty")
    add(_e, "a single variable", sample(_b, lambda: S.chain_bqm(1), **_reads, **_p), None,
        check=_expect(lambda ss: ss.first.sample == {0: 1}, "selects it"),
        outcome="accepted: its ground state", setup=_setup, topic="single FM")
    if _b == "exact":
        add(_e, "40 variables (2**40 states)", sample(_b, S.wide_bqm), ProblemTooLargeError,
            "num_variables=40", "limit 24", "Fix: use backend='sa'", topic="memory")
        add(_e, "num_states = 0", sample(_b, num_states=0), InvalidArgumentError, "num_states=0",
            "positive", "Fix: pass e.g. num_states=10", topic="out of range")
    if _b == "sa":
        add(_e, "num_reads = 0", sample(_b, num_reads=0), InvalidArgumentError, "num_reads=0",
            "positive integer", "Fix: pass e.g. num_reads=100", topic="out of range")
        add(_e, "num_sweeps < 0", sample(_b, num_sweeps=-5), InvalidArgumentError, "num_sweeps=-5",
            "positive integer", "Fix:", topic="out of range")
        add(_e, "seed < 0", sample(_b, seed=-1), InvalidArgumentError, "seed=-1", "[0, 2**32)",
            "Fix: pass e.g. seed=0", topic="out of range")
        add(_e, "unknown engine", sample(_b, engine="gpu"), InvalidArgumentError, "engine='gpu'",
            "Fix: pass engine='numba'", topic="unknown name")
        add(_e, "beta_range with hot > cold", sample(_b, beta_range=(5.0, 1.0)), InvalidArgumentError,
            "beta_range=(5.0, 1.0)", "0 < hot <= cold", "Fix:", topic="out of range")
        add(_e, "initial_states of the wrong shape", sample(_b, initial_states=np.zeros((2, 5))),
            InvalidArgumentError, "initial_states=<ndarray shape=(2, 5)", "(R, 3)", "Fix:",
            topic="wrong shape")
    if _quantum:
        add(_e, "40 qubits (more than memory allows)", sample(_b, S.wide_bqm, **_p),
            ProblemTooLargeError, "num_qubits=40", f"'{_b}' backend", "Fix: pass max_qubits=",
            setup=_setup, topic="memory")
        add(_e, "total_time = 0", sample(_b, total_time=0.0, num_steps=4), InvalidArgumentError,
            "total_time=0.0", "positive", "Fix: pass e.g. total_time=10.0", setup=_setup,
            topic="zero/negative time")
        add(_e, "total_time < 0", sample(_b, total_time=-5.0, num_steps=4), InvalidArgumentError,
            "total_time=-5.0", "positive", "Fix:", setup=_setup, topic="zero/negative time")
        add(_e, "total_time = NaN", sample(_b, total_time=math.nan, num_steps=4),
            InvalidArgumentError, "total_time=nan", "finite", "Fix:", setup=_setup, topic="NaN/inf")
        add(_e, "num_steps = 0", sample(_b, total_time=1.0, num_steps=0), InvalidArgumentError,
            "num_steps=0", "at least 1", "Fix:", setup=_setup, topic="zero/negative time")
        add(_e, "total_time = 1e10 (1e12 steps at dt = 0.01)", sample(_b, total_time=1e10),
            ProblemTooLargeError, "total_time=10000000000.0", "anneal steps", "may be used",
            "Fix: pass a shorter total_time", setup=_setup, topic="memory")
        add(_e, "num_steps = 10**12", sample(_b, total_time=1.0, num_steps=10**12),
            ProblemTooLargeError, "num_steps=1000000000000", "anneal steps",
            "Fix: pass fewer num_steps", setup=_setup, topic="memory")
        add(_e, "non-monotone schedule", sample(_b, schedule=_non_monotone, **_p),
            InvalidArgumentError, "schedule='callable:_non_monotone'", "non-decreasing",
            "Fix: use a monotone schedule", setup=_setup, topic="non-monotone schedule")
        add(_e, "schedule that does not end at s = 1", sample(_b, schedule=_half, **_p),
            InvalidArgumentError, "schedule='callable:_half'", "s(1)=0.5", "Fix: rescale it",
            setup=_setup, topic="non-monotone schedule")
        add(_e, "Trotter order 3", sample(_b, order=3, **_p), InvalidArgumentError, "order=3",
            "1 or 2", "Fix: pass order=1", setup=_setup, topic="out of range")
        add(_e, "driver_scale < 0", sample(_b, driver_scale=-1.0, **_p), InvalidArgumentError,
            "driver_scale=-1.0", "positive", "Fix: pass driver_scale='unit'", setup=_setup,
            topic="out of range")
        add(_e, "num_reads = 0", sample(_b, num_reads=0, **_p), InvalidArgumentError,
            "num_reads=0", "at least 1", "Fix: pass e.g. num_reads=100", setup=_setup,
            topic="out of range")
    if _b == "statevector":
        add(_e, "total_time is a string", sample(_b, total_time="10", num_steps=4), InvalidTypeError,
            "total_time has type str", "'10'", "Fix: pass e.g. total_time=10.0",
            topic="wrong type")
        add(_e, "num_steps is a float", sample(_b, total_time=1.0, num_steps=2.5), InvalidTypeError,
            "num_steps has type float", "2.5", "Fix: pass e.g. num_steps=1000", topic="wrong type")
        add(_e, "schedule given by an unknown name", sample(_b, schedule="quadratic", **_p),
            InvalidArgumentError, "schedule='quadratic'", "'linear'", "Fix: pass 'linear', 'local-adiabatic'",
            topic="unknown name")
        add(_e, "schedule samples with decreasing times",
            sample(_b, schedule=([0.0, 0.6, 0.5, 1.0], [0.0, 0.5, 0.6, 1.0]), **_p),
            InvalidArgumentError, "schedule=<ndarray shape=(4,)", "strictly increasing",
            "Fix: sort the samples by time", topic="non-monotone schedule")
        add(_e, "schedule samples that go down",
            sample(_b, schedule=([0.0, 0.4, 0.6, 1.0], [0.0, 0.7, 0.3, 1.0]), **_p),
            InvalidArgumentError, "schedule='sampled(4 points)'", "non-decreasing", "Fix:",
            topic="non-monotone schedule")
        add(_e, "driver_scale is an unknown name", sample(_b, driver_scale="huge", **_p),
            InvalidArgumentError, "driver_scale='huge'", "'unit', '1/d'", "Fix:", topic="unknown name")
        add(_e, "dtype that is not complex", sample(_b, dtype="float32", **_p), InvalidArgumentError,
            "dtype='float32'", "'complex128' or 'complex64'", "Fix: pass dtype='complex128'",
            topic="wrong type")
        add(_e, "unknown engine", sample(_b, engine="cuda", **_p), InvalidArgumentError,
            "engine='cuda'", "Fix: pass engine='auto'", topic="unknown name")
        add(_e, "threads = 0", sample(_b, threads=0, **_p), InvalidArgumentError, "threads=0",
            "at least 1", "Fix: pass e.g. threads=2", topic="out of range")
        add(_e, "engine='numba' without numba installed",
            S.without(["numba"], sample(_b, engine="numba", **_p)), MissingDependencyError,
            "engine='numba'", "'numba'", "Fix: pip install numba", topic="missing SDK")
        add("get_sampler('statevector')", "a memory budget smaller than the problem",
            sample(_b, lambda: S.chain_bqm(12), config={"max_memory_bytes": 2**16}, **_p),
            ProblemTooLargeError, "num_qubits=12", "64.0 KiB", "Fix: pass max_qubits=",
            topic="memory")
    if _b == "aer":
        add(_e, "precision other than double/single", sample(_b, precision="half", **_p),
            InvalidArgumentError, "precision='half'", "'double'", "Fix: pass precision='double'",
            setup=_setup, topic="unknown name")
    if _b == "pennylane":
        add("get_sampler('pennylane')", "a device that does not exist",
            sampler("pennylane", device="no.such.device"), InvalidArgumentError,
            "device='no.such.device'", "could not be created", "Fix: pass device='default.qubit'",
            setup=_setup, topic="unknown name")


def _mock_dwave(**config: Any) -> Any:
    from dwave.system.testing import MockDWaveSampler

    return _hx().get_sampler("dwave", child=MockDWaveSampler(), **config)


DW = "sample('dwave')"
add(DW, "bqm is a string", lambda: _mock_dwave().sample("bqm"), InvalidTypeError,
    "bqm has type str", "'bqm'", "Fix:", setup=_warm_cloud, topic="wrong type")
add(DW, "num_reads = 0", lambda: _mock_dwave().sample(S.chain_bqm(3), num_reads=0),
    InvalidArgumentError, "num_reads=0", "at least 1", "Fix:", setup=_warm_cloud, topic="out of range")
add(DW, "chain_strength < 0", lambda: _mock_dwave().sample(S.chain_bqm(3), chain_strength=-1.0),
    InvalidArgumentError, "chain_strength=-1.0", "positive", "Fix:", setup=_warm_cloud,
    topic="out of range")
add("get_sampler('dwave')", "child is not a structured sampler",
    lambda: _hx().get_sampler("dwave", child=_hx().get_sampler("exact")), InvalidTypeError,
    "child has type ExactSampler", "Fix: pass child=dwave.system.testing.MockDWaveSampler()",
    setup=_warm_cloud, topic="wrong type")
for _bad, _schedule, _needle in (
        ("anneal_schedule whose time goes back", [[0, 0], [10, 0.7], [5, 1]], "time t must increase"),
        ("anneal_schedule longer than the QPU's maximum anneal time", [[0, 0], [3000, 1]],
         "maximum anneal time of 2000 µs"),
        ("anneal_schedule steeper than the QPU allows", [[0, 0], [0.1, 1]], "maximum of 2 per µs"),
        ("anneal_schedule with more points than the QPU takes",
         [[0, 0]] + [[i, 0.05 * i] for i in range(1, 15)] + [[30, 1]], "at most 12"),
        ("anneal_schedule whose s falls (forward anneal)", [[0, 0], [5, 0.8], [10, 0.6], [20, 1]],
         "must be non-decreasing"),
        ("anneal_schedule not starting at t = 0", [[1, 0], [20, 1]], "the first point must be at t=0"),
        ("anneal_schedule not ending at s = 1", [[0, 0], [20, 0.9]], "the last point must have s=1"),
        ("anneal_schedule with s outside [0, 1]", [[0, 0], [1, 1.5], [20, 1]], "must lie in [0, 1]")):
    add(DW, _bad,
        lambda _schedule=_schedule: _mock_dwave().sample(S.chain_bqm(3), anneal_schedule=_schedule),
        InvalidArgumentError, "anneal_schedule=", _needle, "Fix: pass a list of [t_µs, s] points",
        setup=_warm_cloud,
        topic="non-monotone schedule" if "falls" in _bad or "back" in _bad else "out of range")
add(DW, "anneal_schedule together with annealing_time",
    lambda: _mock_dwave().sample(S.chain_bqm(3), anneal_schedule=[[0, 0], [20, 1]], annealing_time=50),
    InvalidArgumentError, "annealing_time=50", "cannot be combined with anneal_schedule",
    "Fix: leave annealing_time unset", setup=_warm_cloud, topic="unknown option")
add(DW, "schedule='local-adiabatic' with annealing_time beyond the QPU's range",
    lambda: _mock_dwave().sample(S.chain_bqm(3), schedule="local-adiabatic", annealing_time=5000),
    InvalidArgumentError, "annealing_time=5000", "annealing_time_range [0.5, 2000]",
    "Fix: pass e.g. annealing_time=20", setup=_warm_cloud, topic="out of range")


def _spec(**kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        from hybridxai.anneal.settings import AnnealSpec

        return AnnealSpec(**kwargs)

    return run


AS = "anneal.AnnealSpec"
add(AS, "schedule that falls (non-monotone samples)", _spec(schedule=([0, 0.5, 0.7, 1], [0, 0.8, 0.3, 1])),
    InvalidArgumentError, "schedule='sampled(4 points)'", "must be non-decreasing",
    "Fix: use a monotone schedule", topic="non-monotone schedule")
add(AS, "schedule running backwards (s(0) = 1)", _spec(schedule=lambda u: 1 - u), InvalidArgumentError,
    "schedule='callable:<lambda>'", "s(0)=0 and s(1)=1", "Fix: rescale it", topic="non-monotone schedule")
add(AS, "pause at s_p = 1.5", _spec(schedule=("pause", 1.5, 0.2)), InvalidArgumentError,
    "schedule=('pause', 1.5, 0.2)", "strictly between 0 and 1", "Fix:", topic="out of range")
add(AS, "pause at s_p = 0", _spec(schedule=("pause", 0.0, 0.2)), InvalidArgumentError,
    "schedule=('pause', 0.0, 0.2)", "strictly between 0 and 1", "Fix:", topic="out of range")
add(AS, "pause lasting the whole anneal (fraction 1)", _spec(schedule=("pause", 0.5, 1.0)),
    InvalidArgumentError, "schedule=('pause', 0.5, 1.0)", "[0, 1)", "Fix:", topic="out of range")
add(AS, "total_time = 0", _spec(total_time=0.0), InvalidArgumentError, "total_time=0.0", "Fix:",
    topic="zero/negative time")
add(AS, "unknown conventions preset", _spec(conventions="paper"), InvalidArgumentError,
    "conventions='paper'", "Fix: pass one of", topic="unknown name")


def _mock_hybrid(**config: Any) -> Any:
    from unittest import mock

    from dwave.system import LeapHybridSampler
    from dwave.system.testing import MockLeapHybridSolver

    with mock.patch("dwave.system.samplers.leap_hybrid_sampler.Client") as client:
        client.from_config.return_value.get_solver.return_value = MockLeapHybridSolver()
        child = LeapHybridSampler()
    return _hx().get_sampler("leap-hybrid", child=child, raw_results_dir=None, **config)


LH = "sample('leap-hybrid')"
add(LH, "bqm is a string", lambda: _mock_hybrid().sample("bqm"), InvalidTypeError,
    "bqm has type str", "'bqm'", "Fix:", setup=_warm_cloud, topic="wrong type")
add(LH, "time_limit given as a string", lambda: _mock_hybrid().sample(S.chain_bqm(2), time_limit="3s"),
    InvalidTypeError, "time_limit has type str", "'3s'", "Fix:", setup=_warm_cloud, topic="wrong type")
add("get_sampler('leap-hybrid')", "time_limit = 0", lambda: _mock_hybrid(time_limit=0),
    InvalidArgumentError, "time_limit=0", "Fix:", setup=_warm_cloud, topic="zero/negative time")

CE = "sample('certified')"
add(CE, "bqm is a dict", sample("certified", lambda: {0: -1.0}), InvalidTypeError, "has type dict",
    "{0: -1.0}", "Fix:", topic="wrong type")
add(CE, "NaN bias in the BQM", sample("certified", S.nan_bqm), InvalidArgumentError,
    "NaN or infinite biases", "Fix:", topic="NaN/inf")
add(CE, "time_limit < 0", sample("certified", time_limit=-1.0), InvalidArgumentError,
    "time_limit=-1.0", "Fix: pass a number of seconds", topic="zero/negative time")
add(CE, "an unknown option", sample("certified", shots=10), InvalidArgumentError,
    "parameters=['shots']", "Fix: use some of", topic="unknown option")


def _manila(**config: Any) -> Any:
    return _hx().get_sampler("ibm-runtime", backend="fake_manila", **config)


IBM = "sample('ibm-runtime')"
add(IBM, "more qubits than the device has", lambda: _manila(num_steps=1).sample(S.chain_bqm(8)),
    ProblemTooLargeError, "8", "fake_manila", "Fix:", setup=_warm_cloud, topic="memory")
add(IBM, "total_time = 0", lambda: _manila(total_time=0.0), InvalidArgumentError,
    "total_time=0.0", "positive", "Fix:", setup=_warm_cloud, topic="zero/negative time")
add(IBM, "num_steps = 0", lambda: _manila(num_steps=0), InvalidArgumentError, "num_steps=0",
    "at least 1", "Fix:", setup=_warm_cloud, topic="zero/negative time")
add(IBM, "optimization_level = 5", lambda: _manila(optimization_level=5), InvalidArgumentError,
    "optimization_level=5", "0, 1, 2 or 3", "Fix: pass optimization_level=1", setup=_warm_cloud,
    topic="out of range")
add(IBM, "backend is an int", lambda: _hx().get_sampler("ibm-runtime", backend=42), InvalidTypeError,
    "backend has type int", "42", "Fix: pass backend='fake_manila'", setup=_warm_cloud,
    topic="wrong type")


# ============================================================================================
# circuits
# ============================================================================================

def _circuits():
    import hybridxai.circuits as circuits

    return circuits


def _qk_circuit(bqm: Callable[[], Any] = lambda: S.chain_bqm(3), **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        options = {"total_time": 1.0, "num_steps": 2, **kwargs}
        return _circuits().annealing_circuit(bqm(), **options)

    return run


def _pl_tape(**kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        options = {"total_time": 1.0, "num_steps": 2, **kwargs}
        return _circuits().annealing_tape(S.chain_bqm(3), **options)

    return run


AC = "circuits.annealing_circuit"
AT = "circuits.annealing_tape"
add(AC, "bqm is a dict", _qk_circuit(lambda: {0: -1.0}), InvalidTypeError, "bqm has type dict",
    "Fix: build one with hybridxai.build_qubo", setup=_warm_quantum, topic="wrong type")
add(AC, "total_time = 0", _qk_circuit(total_time=0.0), InvalidArgumentError, "total_time=0.0",
    "positive", "Fix:", setup=_warm_quantum, topic="zero/negative time")
add(AC, "total_time < 0", _qk_circuit(total_time=-1.0), InvalidArgumentError, "total_time=-1.0",
    "positive", "Fix:", setup=_warm_quantum, topic="zero/negative time")
add(AC, "num_steps = 0", _qk_circuit(num_steps=0), InvalidArgumentError, "num_steps=0", "at least 1",
    "Fix:", setup=_warm_quantum, topic="zero/negative time")
add(AC, "Trotter order 0", _qk_circuit(order=0), InvalidArgumentError, "order=0", "1 or 2", "Fix:",
    setup=_warm_quantum, topic="out of range")
add(AC, "non-monotone schedule", _qk_circuit(schedule=_non_monotone), InvalidArgumentError,
    "schedule='callable:_non_monotone'", "non-decreasing", "Fix: use a monotone schedule",
    setup=_warm_quantum, topic="non-monotone schedule")
add(AC, "driver_scale = 0", _qk_circuit(driver_scale=0.0), InvalidArgumentError, "driver_scale=0.0",
    "positive", "Fix:", setup=_warm_quantum, topic="out of range")
add(AC, "Qiskit not installed", S.without(["qiskit"], _qk_circuit()), MissingDependencyError,
    "'qiskit'", "Fix: pip install 'hybridxai[qiskit]'", setup=_warm_quantum, topic="missing SDK")
add(AT, "total_time < 0", _pl_tape(total_time=-1.0), InvalidArgumentError, "total_time=-1.0",
    "positive", "Fix:", setup=_warm_quantum, topic="zero/negative time")
add(AT, "schedule not starting at s = 0", _pl_tape(schedule=lambda u: 0.5 + 0.5 * u),
    InvalidArgumentError, "schedule='callable:<lambda>'", "s(0)=0.5", "Fix: rescale it",
    setup=_warm_quantum, topic="non-monotone schedule")
add(AT, "PennyLane not installed", S.without(["pennylane"], _pl_tape()), MissingDependencyError,
    "'pennylane'", "Fix: pip install 'hybridxai[pennylane]'", setup=_warm_quantum, topic="missing SDK")
add("circuits.annealing_qnode", "a PennyLane device that does not exist",
    lambda: _circuits().annealing_qnode(S.chain_bqm(2), 1.0, 2, device="no.such.device"),
    InvalidArgumentError, "device='no.such.device'", "could not be created", "Fix:",
    setup=_warm_quantum, topic="unknown name")
add(AC, "40 variables with diagonal_gate=True (a 2**40 diagonal)",
    _qk_circuit(S.wide_bqm, diagonal_gate=True), ProblemTooLargeError, "num_qubits=40",
    "diagonal_gate=True", "Fix: pass max_qubits=", setup=_warm_quantum, topic="memory")
add("circuits.annealing_qnode", "40 variables (2**40 amplitudes)",
    lambda: _circuits().annealing_qnode(S.wide_bqm(), 1.0, 2), ProblemTooLargeError,
    "num_qubits=40", "'pennylane' backend", "Fix: pass max_qubits=", setup=_warm_quantum,
    topic="memory")
add("circuits.trotter_circuit", "a layer of unknown kind",
    lambda: _circuits().trotter_circuit(S.chain_bqm(2), [("mixer", 0.1)]), InvalidArgumentError,
    "layers[0]=('mixer', 0.1)", "'driver' or 'problem'", "Fix: build the layers", setup=_warm_quantum,
    topic="unknown name")
add("circuits.trotter_circuit", "a NaN layer coefficient",
    lambda: _circuits().trotter_circuit(S.chain_bqm(2), [("driver", math.nan)]), InvalidArgumentError,
    "layers[0]=('driver', nan)", "finite", "Fix:", setup=_warm_quantum, topic="NaN/inf")
add("circuits.trotter_layers", "num_steps < 0",
    lambda: _circuits().trotter_layers(None, 1.0, -3), InvalidArgumentError, "num_steps=-3",
    "at least 1", "Fix:", topic="zero/negative time")
add("circuits.as_schedule", "a non-monotone callable", lambda: _circuits().as_schedule(_non_monotone),
    InvalidArgumentError, "schedule='callable:_non_monotone'", "falls by", "Fix: use a monotone",
    topic="non-monotone schedule")
add("circuits.as_schedule", "a schedule of the wrong type", lambda: _circuits().as_schedule(42),
    InvalidTypeError, "schedule has type int", "42", "Fix: pass schedule='linear'", topic="wrong type")
add("circuits.as_schedule", "samples of unequal length",
    lambda: _circuits().as_schedule(([0.0, 1.0], [0.0, 0.5, 1.0])), InvalidArgumentError,
    "schedule=(2, 3)", "equal length", "Fix: pass schedule=(times, values)", topic="wrong shape")
add("circuits.as_schedule", "samples holding NaN",
    lambda: _circuits().as_schedule(([0.0, 0.5, 1.0], [0.0, math.nan, 1.0])), InvalidArgumentError,
    "schedule=<ndarray shape=(3,)", "NaN or inf", "Fix: pass finite samples", topic="NaN/inf")
add("circuits.to_sparse_pauli_op", "bqm is a numpy matrix",
    lambda: _circuits().to_sparse_pauli_op(np.eye(2)), InvalidTypeError, "bqm has type ndarray",
    "Fix: build one with", setup=_warm_quantum, topic="wrong type")
add("circuits.to_sparse_pauli_op", "Qiskit not installed",
    S.without(["qiskit", "qiskit.quantum_info"],
              lambda: _circuits().to_sparse_pauli_op(S.chain_bqm(2))),
    MissingDependencyError, "to_sparse_pauli_op()", "'qiskit'", "Fix: pip install 'hybridxai[qiskit]'",
    setup=_warm_quantum, topic="missing SDK")
add("circuits.to_pennylane", "PennyLane not installed",
    S.without(["pennylane"], lambda: _circuits().to_pennylane(S.chain_bqm(2))),
    MissingDependencyError, "to_pennylane()", "'pennylane'", "Fix: pip install 'hybridxai[pennylane]'",
    setup=_warm_quantum, topic="missing SDK")
add("circuits.driver_sparse_pauli_op", "num_qubits < 0",
    lambda: _circuits().driver_sparse_pauli_op(-1), InvalidArgumentError, "num_qubits=-1",
    "non-negative", "Fix: pass e.g. num_qubits=4", topic="out of range")
add("circuits.driver_pennylane", "scale is an unknown name",
    lambda: _circuits().driver_pennylane(2, scale="big"), InvalidArgumentError, "driver_scale='big'",
    "'unit', '1/d'", "Fix:", setup=_warm_quantum, topic="unknown name")
add("circuits.from_quadratic_program", "not a QuadraticProgram",
    lambda: _circuits().from_quadratic_program(S.chain_bqm(2)), InvalidTypeError,
    "qp has type BinaryQuadraticModel", "Fix: build one with qiskit_optimization.QuadraticProgram()",
    setup=_warm_quantum, topic="wrong type")


# ============================================================================================
# analysis
# ============================================================================================

def _an():
    import hybridxai.analysis as analysis

    return analysis


MG = "analysis.min_gap"
FC = "analysis.fidelity_curve"
SP = "analysis.spectrum"
add(MG, "bqm is a dict", lambda: _an().min_gap({0: -1.0}), InvalidTypeError, "bqm has type dict",
    "Fix: build one with", topic="wrong type")
add(MG, "an empty BQM", lambda: _an().min_gap(dimod.BinaryQuadraticModel("BINARY")),
    InvalidArgumentError, "bqm=", "no variables", "Fix: pass a QUBO with at least one variable",
    topic="empty")
add(MG, "a constant H_P (no gap)",
    lambda: _an().min_gap(dimod.BinaryQuadraticModel({0: 0.0, 1: 0.0}, {}, 0.0, "BINARY")),
    InvalidArgumentError, "bqm=", "H_P is constant", "Fix: pass a QUBO with at least two distinct",
    topic="empty")
add(MG, "NaN bias in the BQM", lambda: _an().min_gap(S.nan_bqm()), InvalidArgumentError, "bqm=",
    "NaN or infinite biases", "Fix:", topic="NaN/inf")
add(MG, "40 variables", lambda: _an().min_gap(S.wide_bqm()), ProblemTooLargeError,
    "bqm has 40 variables", "min_gap", "Fix: analyse a smaller QUBO", "max_qubits=",
    topic="memory")
add(MG, "a memory budget of 1 KiB", lambda: _an().min_gap(S.chain_bqm(4), max_memory_bytes=1024),
    ProblemTooLargeError, "bqm has 4 variables", "1.0 KiB may be used",
    "Fix: analyse a smaller QUBO", "pass a larger max_memory_bytes", topic="memory")
add(MG, "tol = 0", lambda: _an().min_gap(S.chain_bqm(2), tol=0.0), InvalidArgumentError, "tol=0.0",
    "(0, 0.1]", "Fix: pass e.g. tol=1e-6", topic="out of range")
add(MG, "unknown eigensolver", lambda: _an().min_gap(S.chain_bqm(2), solver="lapack"),
    InvalidArgumentError, "solver='lapack'", "unknown eigensolver", "Fix:", topic="unknown name")
add(MG, "driver_scale = 0", lambda: _an().min_gap(S.chain_bqm(2), driver_scale=0),
    InvalidArgumentError, "driver_scale=0", "positive", "Fix:", topic="out of range")
add(MG, "an s_grid of two points", lambda: _an().min_gap(S.chain_bqm(2), s_grid=2),
    InvalidArgumentError, "s_grid=", "at least 3 points", "Fix:", topic="wrong shape")
add(MG, "max_memory_bytes as a string", lambda: _an().min_gap(S.chain_bqm(2), max_memory_bytes="1GB"),
    InvalidTypeError, "max_memory_bytes has type str", "Fix: pass e.g. max_memory_bytes=2**30",
    topic="wrong type")
add(MG, "max_memory_bytes negative", lambda: _an().min_gap(S.chain_bqm(2), max_memory_bytes=-5),
    InvalidArgumentError, "max_memory_bytes=-5", "positive, finite number of bytes", "Fix:",
    topic="out of range")
add("get_sampler", "statevector with max_memory_bytes=True",
    lambda: _hx().get_sampler("statevector", max_memory_bytes=True), InvalidTypeError,
    "max_memory_bytes has type bool", "Fix: pass e.g. max_memory_bytes=2**30", topic="wrong type")
add(MG, "seed as a string", lambda: _an().min_gap(S.chain_bqm(2), seed="a"), InvalidArgumentError,
    "seed='a'", "non-negative integer", "Fix: pass e.g. seed=0", topic="wrong type")
add(MG, "dense as a string", lambda: _an().min_gap(S.chain_bqm(2), dense="yes"), InvalidTypeError,
    "dense has type str", "Fix: pass dense=False", topic="wrong type")
add(MG, "progress given as a string", lambda: _an().min_gap(S.chain_bqm(2), progress="yes"),
    InvalidTypeError, "progress has type str", "tqdm-compatible class", "Fix: pass progress=False",
    topic="wrong type")
add(MG, "total_time without dense=True", lambda: _an().min_gap(S.chain_bqm(2), total_time=5.0),
    InvalidArgumentError, "total_time=5.0", "only the per-step search (dense=True)",
    "Fix: pass dense=True as well", topic="out of range")
add(MG, "a plot into a string", lambda: _an().min_gap(S.chain_bqm(2)).plot(ax="foo"),
    InvalidArgumentError, "ax='foo'", "needs one matplotlib Axes", "Fix:", topic="wrong type")
add("analysis.flip_symmetric_qubo", "fields as a string",
    lambda: _an().flip_symmetric_qubo(5, 0, fields="big"), InvalidTypeError,
    "fields has type str", "Fix: pass e.g. fields=1e-2", topic="wrong type")
add("analysis.flip_symmetric_qubo", "fields = NaN",
    lambda: _an().flip_symmetric_qubo(5, 0, fields=float("nan")), InvalidArgumentError,
    "fields=nan", "finite and >= 0", "Fix: pass e.g. fields=1e-2", topic="NaN/inf")
add("analysis.flip_symmetric_qubo", "seed = None", lambda: _an().flip_symmetric_qubo(5, None),
    InvalidArgumentError, "seed=None", "integer in [0, 2**32)", "Fix: pass e.g. seed=0",
    topic="wrong type")
add("analysis.flip_symmetric_qubo", "d = 1", lambda: _an().flip_symmetric_qubo(1, 0),
    InvalidArgumentError, "d=1", "at least 2", "Fix: pass e.g. d=8", topic="out of range")
add("analysis.gap_at", "s = 1.5", lambda: _an().gap_at(S.chain_bqm(2), 1.5), InvalidArgumentError,
    "s=1.5", "[0, 1]", "Fix:", topic="out of range")
GP = "analysis.gap_profile"
add(GP, "40 variables", lambda: _an().gap_profile(S.wide_bqm()), ProblemTooLargeError,
    "bqm has 40 variables", "gap_profile", "Fix: analyse a smaller QUBO", "max_qubits=",
    topic="memory")
add(GP, "a memory budget of 1 KiB",
    lambda: _an().gap_profile(S.chain_bqm(4), max_memory_bytes=1024), ProblemTooLargeError,
    "bqm has 4 variables", "1.0 KiB may be used", "pass a larger max_memory_bytes", topic="memory")
add(GP, "num_points = 1", lambda: _an().gap_profile(S.chain_bqm(2), num_points=1),
    InvalidArgumentError, "num_points=1", "at least 2 grid points", "Fix: pass e.g. num_points=64",
    topic="out of range")
add(GP, "the end point s = 1 in the grid", lambda: _an().gap_profile(S.chain_bqm(2), s=[0.5, 1.0]),
    InvalidArgumentError, "s=1.0", "end points are excluded", "Fix:", topic="out of range")
add(GP, "tol = 0", lambda: _an().gap_profile(S.chain_bqm(2), tol=0.0), InvalidArgumentError,
    "tol=0.0", "(0, 0.1]", "Fix: pass e.g. tol=1e-10", topic="out of range")
add(GP, "unknown eigensolver", lambda: _an().gap_profile(S.chain_bqm(2), solver="lapack"),
    InvalidArgumentError, "solver='lapack'", "unknown eigensolver", "Fix:", topic="unknown name")
add(GP, "adaptive with rtol = 0", lambda: _an().gap_profile(S.chain_bqm(2), adaptive=True, rtol=0.0),
    InvalidArgumentError, "rtol=0.0", "(0, 0.5]", "Fix: pass e.g. rtol=0.01", topic="out of range")
add(GP, "adaptive with an explicit grid",
    lambda: _an().gap_profile(S.chain_bqm(2), adaptive=True, s=[0.5]), InvalidArgumentError,
    "s=[0.5]", "cannot be combined with adaptive=True", "Fix:", topic="wrong shape")
add(GP, "adaptive given as a string", lambda: _an().gap_profile(S.chain_bqm(2), adaptive="yes"),
    InvalidTypeError, "adaptive", "'yes'", "Fix: pass adaptive=True", topic="wrong type")
add(GP, "max_memory_bytes NaN", lambda: _an().gap_profile(S.chain_bqm(2), max_memory_bytes=math.nan),
    InvalidArgumentError, "max_memory_bytes=nan", "positive, finite number of bytes", "Fix:",
    topic="NaN/inf")
add(GP, "progress given as a string", lambda: _an().gap_profile(S.chain_bqm(2), progress="yes"),
    InvalidTypeError, "progress has type str", "tqdm-compatible class", "Fix: pass progress=False",
    topic="wrong type")
add(GP, "rtol without adaptive=True", lambda: _an().gap_profile(S.chain_bqm(2), rtol=1e-3),
    InvalidArgumentError, "rtol=0.001", "a grid profile would ignore it", "Fix: pass adaptive=True",
    topic="unknown option")
add(GP, "matrix_elements given as a string",
    lambda: _an().gap_profile(S.chain_bqm(2), matrix_elements="no"), InvalidTypeError,
    "matrix_elements has type str", "Fix: pass matrix_elements=False", topic="wrong type")
add(GP, "num_points = 10**10",
    lambda: _an().gap_profile(S.chain_bqm(2), num_points=10**10), ProblemTooLargeError,
    "num_points=10000000000", "profile points", "may be used", "Fix: pass e.g. num_points=64",
    "adaptive=True", topic="memory")
add(GP, "a plot file ending in .foo",
    lambda: _an().gap_profile(S.chain_bqm(2), num_points=4).plot(
        os.path.join(tempfile.gettempdir(), "hybridxai-plots", "profile.foo")),
    InvalidArgumentError, "path=", "profile.foo", "cannot write '.foo' files here",
    "Fix: end the name in .png, .pdf", topic="unknown name")
add(GP, "a plot path that is a folder",
    lambda: _an().gap_profile(S.chain_bqm(2), num_points=4).plot(tempfile.gettempdir()),
    InvalidArgumentError, "path=", "is a folder, not a file name", "Fix: pass a file in it",
    topic="wrong shape")

add(GP, "plot into three Axes",
    lambda: _an().gap_profile(S.chain_bqm(2), num_points=4).plot(ax=_three_axes()),
    InvalidArgumentError, "ax=", "needs one matplotlib Axes or a pair (top, bottom)",
    "Fix: pass ax=fig.subplots(2, 1) or a single Axes", topic="wrong shape")


def _three_axes() -> Any:
    from matplotlib.figure import Figure

    return Figure().subplots(1, 3)


def _auto_total_time(*args: Any, **kwargs: Any) -> Any:
    from hybridxai.anneal.auto_time import auto_total_time

    return auto_total_time(*args, **kwargs)


add("anneal.auto_total_time", "bqm is None", lambda: _auto_total_time(None), InvalidTypeError,
    "bqm has type NoneType", "Fix: pass the QUBO to anneal", topic="wrong type")
add(FC, "an anneal time of 1e10 (1e12 steps at dt = 0.01)",
    lambda: _an().fidelity_curve(S.chain_bqm(2), [10.0, 1e10], method="statevector"),
    ProblemTooLargeError, "total_time=10000000000.0", "anneal steps", "may be used",
    "Fix: pass a shorter total_time", topic="memory")
add(FC, "num_steps = 10**12",
    lambda: _an().fidelity_curve(S.chain_bqm(2), [10.0], num_steps=10**12, method="statevector"),
    ProblemTooLargeError, "num_steps=1000000000000", "anneal steps", "Fix: pass fewer num_steps",
    topic="memory")
add(FC, "order 2 with expm_multiply",
    lambda: _an().fidelity_curve(S.chain_bqm(2), [1.0], method="expm_multiply", order=2),
    InvalidArgumentError, "order=2", "Trotter order of method='statevector'",
    "Fix: drop order, or pass method='statevector'", topic="unknown option")
add(FC, "progress given as a string",
    lambda: _an().fidelity_curve(S.chain_bqm(2), [1.0], progress="yes"), InvalidTypeError,
    "progress has type str", "tqdm-compatible class", "Fix: pass progress=False", topic="wrong type")
add(FC, "no anneal times", lambda: _an().fidelity_curve(S.chain_bqm(2), []), InvalidArgumentError,
    "total_times=[]", "empty", "Fix: pass e.g. total_times=[10, 30, 50, 70, 100]", topic="empty")
add(FC, "an anneal time of 0", lambda: _an().fidelity_curve(S.chain_bqm(2), [10.0, 0.0]),
    InvalidArgumentError, "total_times=0.0", "positive", "Fix: pass e.g. total_times=",
    topic="zero/negative time")
add(FC, "a negative anneal time", lambda: _an().fidelity_curve(S.chain_bqm(2), [-5.0]),
    InvalidArgumentError, "total_times=-5.0", "positive", "Fix:", topic="zero/negative time")
add(FC, "anneal times that are not numbers", lambda: _an().fidelity_curve(S.chain_bqm(2), ["ten"]),
    InvalidTypeError, "total_times has type list", "['ten']", "Fix:", topic="wrong type")
add(FC, "num_steps = 0", lambda: _an().fidelity_curve(S.chain_bqm(2), [1.0], num_steps=0),
    InvalidArgumentError, "num_steps=0", "positive integer", "Fix:", topic="zero/negative time")
add(FC, "time_step = 0", lambda: _an().fidelity_curve(S.chain_bqm(2), [1.0], time_step=0.0),
    InvalidArgumentError, "time_step=0.0", "positive", "Fix:", topic="zero/negative time")
add(FC, "unknown method", lambda: _an().fidelity_curve(S.chain_bqm(2), [1.0], method="rk4"),
    InvalidArgumentError, "method='rk4'", "unknown evolution method", "Fix: pass method=",
    topic="unknown name")
add(FC, "non-monotone schedule",
    lambda: _an().fidelity_curve(S.chain_bqm(2), [1.0], schedule=_non_monotone),
    InvalidArgumentError, "schedule='callable:_non_monotone'", "non-decreasing", "Fix:",
    topic="non-monotone schedule")
add(FC, "40 variables with expm_multiply", lambda: _an().fidelity_curve(S.wide_bqm(), [1.0]),
    ProblemTooLargeError, "bqm='<BQM with 40 variables>'", "limited to 20 qubits",
    "Fix: pass method='statevector'", topic="memory")
add(FC, "40 variables with the statevector method",
    lambda: _an().fidelity_curve(S.wide_bqm(), [1.0], method="statevector"), ProblemTooLargeError,
    "bqm has 40 variables", "Fix: analyse a smaller QUBO", "max_qubits=", topic="memory")
add(SP, "k = 0 levels", lambda: _an().spectrum(S.chain_bqm(2), [0.5], k=0), InvalidArgumentError,
    "k=0", "at least 1", "Fix: pass e.g. k=4", topic="out of range")
add(SP, "k is a float", lambda: _an().spectrum(S.chain_bqm(2), [0.5], k=2.5), InvalidTypeError,
    "k has type float", "2.5", "Fix: pass e.g. k=4", topic="wrong type")
add(SP, "more levels than 2**d", lambda: _an().spectrum(S.chain_bqm(2), [0.5], k=5),
    InvalidArgumentError, "k=5", "exceeds the 4 levels", "Fix:", topic="out of range")
add(SP, "more levels than 2**d, enough to exceed the memory",
    lambda: _an().spectrum(S.chain_bqm(16), [0.5], k=2**16 + 1), InvalidArgumentError,
    "k=65537", "exceeds the 65536 levels of a 16-qubit problem", "Fix: pass k <= 65536",
    topic="out of range")
add(SP, "seed negative", lambda: _an().spectrum(S.chain_bqm(2), [0.5], seed=-1), InvalidArgumentError,
    "seed=-1", "non-negative integer", "Fix: pass e.g. seed=0", topic="out of range")
add(SP, "s outside [0, 1]", lambda: _an().spectrum(S.chain_bqm(2), [0.5, 1.5]), InvalidArgumentError,
    "s_values=", "[0, 1]", "Fix:", topic="out of range")
add(SP, "no s values", lambda: _an().spectrum(S.chain_bqm(2), []), InvalidArgumentError,
    "s_values=[]", "empty", "Fix:", topic="empty")
add(SP, "40 variables", lambda: _an().spectrum(S.wide_bqm(), [0.5]), ProblemTooLargeError,
    "bqm has 40 variables", "spectrum", "Fix: analyse a smaller QUBO", "max_qubits=",
    topic="memory")
add("analysis.fit_exponential", "x and y of different lengths",
    lambda: _an().fit_exponential([4, 6, 8, 10], [0.9, 0.8, 0.7]), InvalidArgumentError,
    "has 3 values for 4", "Fix:", topic="wrong shape")
add("analysis.fit_exponential", "too few points",
    lambda: _an().fit_exponential([4, 6], [0.9, 0.8]), InvalidArgumentError, "at least",
    "got 2", "Fix:", topic="empty")
add("analysis.fit_exponential", "NaN fidelities",
    lambda: _an().fit_exponential([4, 6, 8, 10], [0.9, math.nan, 0.7, 0.6]), InvalidArgumentError,
    "NaN or inf", "Fix: drop the failed points first", topic="NaN/inf")
add("analysis.fit_power_law", "a zero gap", lambda: _an().fit_power_law([4, 6, 8], [0.2, 0.0, 0.1]),
    InvalidArgumentError, "gaps=[0.2, 0.0, 0.1]", "positive", "Fix:", topic="out of range")
add("analysis.fit_power_law", "a single size", lambda: _an().fit_power_law([4, 4, 4], [0.2, 0.3, 0.1]),
    InvalidArgumentError, "d_values=[4, 4, 4]", "two distinct sizes", "Fix:", topic="empty")
add("analysis.landau_zener_probability", "a negative gap",
    lambda: _an().landau_zener_probability(-0.1, 1.0), InvalidArgumentError, "min_gap=-0.1", ">= 0",
    "Fix: pass e.g. min_gap=0.1", topic="out of range")
add("analysis.landau_zener_probability", "a sweep rate of 0",
    lambda: _an().landau_zener_probability(0.1, 0.0), InvalidArgumentError, "sweep_rate=0.0", "> 0",
    "Fix:", topic="zero/negative time")
add("analysis.sweep_rate", "total_time = 0", lambda: _an().sweep_rate(1.0, 0.0), InvalidArgumentError,
    "total_time=0.0", "positive", "Fix: pass e.g. total_time=10", topic="zero/negative time")
add("analysis.coupling_statistics", "no QUBOs", lambda: _an().coupling_statistics([]),
    InvalidArgumentError, "qubos=[]", "empty", "Fix: pass at least one QUBO", topic="empty")
add("analysis.coupling_statistics", "a matrix holding NaN",
    lambda: _an().coupling_statistics([np.array([[0.0, math.nan, 0.2], [math.nan, 0, 0.1],
                                                 [0.2, 0.1, 0.0]])] * 2),
    InvalidArgumentError, "qubos=", "NaN or inf", "Fix:", topic="NaN/inf")


# ============================================================================================
# metrics
# ============================================================================================

def _mx():
    import hybridxai.metrics as metrics

    return metrics


def _pix(n: int = 2) -> Any:
    return _torch().from_numpy(np.random.default_rng(1).random((n, 3, 16, 16), dtype=np.float32))


def _ones(n: int = 2) -> Any:
    return _torch().ones(n, 16, 16)


def masked(pixels: Callable[[], Any] = _pix, maps: Callable[[], Any] = _ones, targets: Any = None,
           model: Callable[[], Any] = S.tiny_cnn, **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        options = {"normalize": None, **kwargs}
        return _mx().masked_confidences(model(), pixels(), maps(), targets, **options)

    return run


AD = "metrics.average_drop"
IC = "metrics.increase_in_confidence"
MC = "metrics.masked_confidences"
add(AD, "Y and O of different lengths", lambda: _mx().average_drop([0.5, 0.4], [0.3]),
    InvalidArgumentError, "masked=[0.3]", "has 1 values but original has 2",
    "Fix: pass one masked probability", topic="wrong shape")
add(AD, "a probability above 1", lambda: _mx().average_drop([0.5, 1.2], [0.3, 0.4]),
    InvalidArgumentError, "original=[0.5, 1.2]", "[0, 1]", "Fix: apply softmax", topic="out of range")
add(AD, "NaN in O", lambda: _mx().average_drop([0.5, 0.4], [0.3, math.nan]), InvalidArgumentError,
    "masked=[0.3, nan]", "NaN or inf", "Fix:", topic="NaN/inf")
add(AD, "Y = 0 (relative drop undefined)", lambda: _mx().average_drop([0.0, 0.4], [0.3, 0.2]),
    InvalidArgumentError, "original=[0.0, 0.4]", "Y is 0 for image 0", "Fix: explain a class",
    topic="out of range")
add(AD, "empty arrays", lambda: _mx().average_drop([], []), InvalidArgumentError, "original=[]",
    "non-empty 1-D", "Fix:", topic="empty")
add(AD, "a 2-D array", lambda: _mx().average_drop([[0.5, 0.4]], [[0.3, 0.2]]), InvalidArgumentError,
    "original=[[0.5, 0.4]]", "shape (1, 2)", "Fix:", topic="wrong shape")
add(AD, "strings instead of numbers", lambda: _mx().average_drop(["high"], [0.2]), InvalidTypeError,
    "original has type list", "['high']", "Fix: pass one softmax probability", topic="wrong type")
add(AD, "O > Y for every image", lambda: _mx().average_drop([0.2, 0.3], [0.9, 0.8]), None,
    check=_expect(lambda v: v == 0.0, "0 %"), outcome="accepted: 0 % (drops are clipped at 0)",
    topic="out of range")
add(IC, "Y and O of different lengths", lambda: _mx().increase_in_confidence([0.5], [0.3, 0.2]),
    InvalidArgumentError, "masked=[0.3, 0.2]", "has 2 values but original has 1", "Fix:",
    topic="wrong shape")
add(IC, "a negative probability", lambda: _mx().increase_in_confidence([0.5, -0.1], [0.3, 0.2]),
    InvalidArgumentError, "original=[0.5, -0.1]", "[0, 1]", "Fix: apply softmax", topic="out of range")
add(MC, "model is a function", masked(model=lambda: (lambda x: x)), InvalidTypeError,
    "model has type function", "Fix: pass the classifier itself", topic="wrong type")
add(MC, "normalised pixels (outside [0, 1])", masked(lambda: _pix() * 4 - 2), InvalidArgumentError,
    "pixels=<Tensor shape=(2, 3, 16, 16)", "[0, 1]", "Fix: undo the normalisation", topic="out of range")
add(MC, "pixels without a batch dimension", masked(lambda: _pix()[0]), InvalidArgumentError,
    "pixels=<Tensor shape=(3, 16, 16)", "(N, C, H, W)", "Fix: pass un-normalised images",
    topic="wrong shape")
add(MC, "NaN in the pixels", masked(lambda: _pix().index_fill_(3, _torch().tensor([2]), math.nan)),
    InvalidArgumentError, "pixels=<Tensor", "NaN or inf", "Fix:", topic="NaN/inf")
add(MC, "uint8 pixels", masked(lambda: (_pix() * 255).to(_torch().uint8)), InvalidArgumentError,
    "pixels=<Tensor", "torch.uint8", "Fix: convert 0–255 uint8 data", topic="wrong type")
add(MC, "pixels on the 'meta' device", masked(lambda: _torch().empty(2, 3, 16, 16, device="meta")),
    InvalidArgumentError, "pixels=<Tensor shape=(2, 3, 16, 16)", "'meta' device", "Fix:", topic="device")
add(MC, "model on the 'meta' device", masked(model=S.meta_cnn), InvalidArgumentError,
    "model=Sequential(", "'meta' device", "Fix: materialise it", topic="device")
add(MC, "maps of another size", masked(maps=lambda: _torch().ones(2, 8, 8)), InvalidArgumentError,
    "maps=<Tensor shape=(2, 8, 8)", "does not match pixels", "Fix: pass one map per image",
    topic="wrong shape")
add(MC, "maps above 1", masked(maps=lambda: _ones() * 3), InvalidArgumentError,
    "maps=<Tensor shape=(2, 16, 16)", "[0, 1]", "Fix: min–max scale", topic="out of range")
add(MC, "NaN in the maps", masked(maps=lambda: _ones().index_fill_(2, _torch().tensor([1]), math.nan)),
    InvalidArgumentError, "maps=<Tensor", "NaN or inf", "Fix:", topic="NaN/inf")
add(MC, "one target for 3 images given for 2", masked(targets=[0, 1, 2]), InvalidArgumentError,
    "targets=[0, 1, 2]", "3 classes for a batch of 2 images", "Fix:", topic="wrong shape")
add(MC, "a float target", masked(targets=1.5), InvalidTypeError, "targets has type float", "1.5",
    "Fix:", topic="wrong type")
add(MC, "a negative target", masked(targets=-1), InvalidArgumentError, "targets=-1",
    "non-negative", "Fix:", topic="out of range")
add(MC, "a target beyond the model's classes", masked(targets=7), InvalidArgumentError, "targets=7",
    "[0, 5)", "Fix: pass a valid class index", topic="out of range")
add(MC, "batch_size = 0", masked(batch_size=0), InvalidArgumentError, "batch_size=0", "at least 1",
    "Fix: pass a positive number", topic="out of range")
add(MC, "normalize with 2 means for 3 channels", masked(normalize=([0.5, 0.5], [0.2, 0.2, 0.2])),
    InvalidArgumentError, "normalize=([0.5, 0.5], [0.2, 0.2, 0.2])", "1 or 3 values", "Fix:",
    topic="wrong shape")
add(MC, "normalize with std = 0", masked(normalize=([0.5], [0.0])), InvalidArgumentError,
    "normalize=([0.5], [0.0])", "std must be positive", "Fix:", topic="out of range")
add(MC, "model returns a tuple", masked(model=lambda: S.wrapped_net("tuple")), InvalidArgumentError,
    "model=TupleOutputNet", "returned a tuple", "SelectOutput(model, 0)", topic="model output")
add(MC, "model returns a HuggingFace-style object", masked(model=lambda: S.wrapped_net("hf")), None,
    check=_expect(lambda r: r.original.shape == (2,), "two probabilities"),
    outcome="accepted: the .logits tensor is used", topic="model output")

DC = "metrics.deletion_curves"
IN = "metrics.insertion_curves"


def curves(kind: str, **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        options = {"normalize": None, "steps": 4, **kwargs}
        maps = options.pop("maps", None)
        fn = _mx().deletion_curves if kind == "deletion" else _mx().insertion_curves
        return fn(S.tiny_cnn(), _pix(1), _torch().rand(1, 16, 16) if maps is None else maps(),
                  **options)

    return run


add(DC, "steps = 0", curves("deletion", steps=0), InvalidArgumentError, "steps=0", "[1, 256]",
    "Fix: pass a number of steps", topic="out of range")
add(DC, "more steps than pixels", curves("deletion", steps=1000), InvalidArgumentError,
    "steps=1000", "[1, 256]", "Fix:", topic="out of range")
add(DC, "steps is a float", curves("deletion", steps=2.5), InvalidTypeError, "steps has type float",
    "2.5", "Fix:", topic="wrong type")
add(DC, "NaN in the saliency", curves("deletion", maps=lambda: _torch().full((1, 16, 16), math.nan)),
    InvalidArgumentError, "maps=<Tensor shape=(1, 16, 16)", "NaN or inf", "Fix:", topic="NaN/inf")
add(IN, "blur sigma = 0", curves("insertion", sigma=0.0), InvalidArgumentError, "sigma=0.0",
    "positive", "Fix: pass e.g. sigma=5.0", topic="out of range")
add(IN, "even blur kernel", curves("insertion", kernel_size=4), InvalidArgumentError,
    "kernel_size=4", "odd", "Fix: pass e.g. kernel_size=11", topic="out of range")
add("metrics.area_under_curve", "a single point", lambda: _mx().area_under_curve([0.5]),
    InvalidArgumentError, "probabilities=[0.5]", "at least two points", "Fix:", topic="empty")
add("metrics.area_under_curve", "fractions that decrease",
    lambda: _mx().area_under_curve([0.5, 0.4, 0.3], [0.0, 0.6, 0.5]), InvalidArgumentError,
    "fractions=[0.0, 0.6, 0.5]", "non-decreasing", "Fix:", topic="non-monotone schedule")
add("metrics.gaussian_blur", "a 3-D image", lambda: _mx().gaussian_blur(_pix()[0]),
    InvalidArgumentError, "pixels=<Tensor shape=(3, 16, 16)", "(N, C, H, W)",
    "Fix: add a batch dimension", topic="wrong shape")

SH = "metrics.selection_histograms"
add(SH, "labels and selections of different lengths",
    lambda: _mx().selection_histograms([(0,), (1,)], [0], 4, 2), InvalidArgumentError, "labels=[0]",
    "1 entries for 2 selections", "Fix: pass exactly one class per image", topic="wrong shape")
add(SH, "a channel beyond K", lambda: _mx().selection_histograms([(0, 9)], [0], 4, 2),
    InvalidArgumentError, "selections[0]=(0, 9)", "[0, 4)", "Fix: check num_feature_maps",
    topic="out of range")
add(SH, "a repeated channel", lambda: _mx().selection_histograms([(1, 1)], [0], 4, 2),
    InvalidArgumentError, "selections[0]=(1, 1)", "repeats a channel", "Fix:", topic="duplicate FMs")
add(SH, "num_classes = 0", lambda: _mx().selection_histograms([(1,)], [0], 4, 0), InvalidArgumentError,
    "num_classes=0", "at least 1", "Fix:", topic="out of range")
add(SH, "a label beyond num_classes", lambda: _mx().selection_histograms([(1,)], [3], 4, 2),
    InvalidArgumentError, "labels[0]=3", "[0, 2)", "Fix:", topic="out of range")
add(SH, "selections is a string", lambda: _mx().selection_histograms("0,1", [0], 4, 2),
    InvalidTypeError, "selections has type str", "'0,1'", "Fix:", topic="wrong type")
BM = "metrics.bhattacharyya_matrix"
add(BM, "negative histogram entries", lambda: _mx().bhattacharyya_matrix([[0.5, -0.5], [0.5, 0.5]]),
    InvalidArgumentError, "histograms=[[0.5, -0.5], [0.5, 0.5]]", ">= 0", "Fix:", topic="out of range")
add(BM, "a 1-D array", lambda: _mx().bhattacharyya_matrix([0.5, 0.5]), InvalidArgumentError,
    "histograms=[0.5, 0.5]", "2-D (C, K)", "Fix:", topic="wrong shape")
add(BM, "NaN entries", lambda: _mx().bhattacharyya_matrix([[0.5, math.nan], [0.5, 0.5]]),
    InvalidArgumentError, "histograms=", "finite", "Fix:", topic="NaN/inf")
add(BM, "a class with no selections", lambda: _mx().bhattacharyya_matrix([[0.5, 0.5], [0.0, 0.0]]),
    None, warns=EmptyClassWarning,
    check=_expect(lambda m: m[0, 0] == 1.0 and np.isnan(m[1]).all(), "NaN row"),
    outcome="EmptyClassWarning; that row and column are NaN", topic="empty")
add("metrics.plot_class_map", "a non-square matrix", lambda: _mx().plot_class_map([[1.0, 0.5]], ["a"]),
    InvalidArgumentError, "matrix=[[1.0, 0.5]]", "square", "Fix: pass bhattacharyya_matrix",
    topic="wrong shape")
add("metrics.plot_class_map", "too few class names",
    lambda: _mx().plot_class_map([[1.0, 0.5], [0.5, 1.0]], ["cat"]), InvalidArgumentError,
    "class_names=['cat']", "needs 2 names", "Fix:", topic="wrong shape")
SF = "metrics.selected_fraction"
add(SF, "no selections", lambda: _mx().selected_fraction([], totals=4), InvalidArgumentError,
    "selections=[]", "empty", "Fix:", topic="empty")
add(SF, "a count larger than its total", lambda: _mx().selected_fraction([3, 9], totals=8),
    InvalidArgumentError, "selections[1]=9", "larger than its total 8", "Fix:", topic="out of range")
add(SF, "counts without totals", lambda: _mx().selected_fraction([3, 2]), InvalidArgumentError,
    "totals=None", "required", "Fix:", topic="missing setting")
add("metrics.explanation_arrays", "an empty list", lambda: _mx().explanation_arrays([]),
    InvalidArgumentError, "explanations=[]", "empty", "Fix: pass a list of hybridxai.Explanation",
    topic="empty")
add("metrics.explanation_arrays", "items that are not explanations",
    lambda: _mx().explanation_arrays([np.zeros((4, 4))]), InvalidTypeError,
    "explanations[0] has type ndarray", "Fix:", topic="wrong type")


# ============================================================================================
# explain_folder, certify, execution.make_executor
# ============================================================================================

FOLDER_OUT = os.path.join(tempfile.gettempdir(), "hybridxai-reliability-folder-out")
FOLDER_FILE = os.path.join(tempfile.gettempdir(), "hybridxai-reliability-folder-file")


def _identity(x: Any) -> Any:
    return x


def _warm_folder() -> None:
    import hybridxai.explainer.folder  # noqa: F401

    S.tiny_cnn()


def _make_folder_file() -> None:
    _warm_folder()
    with open(FOLDER_FILE, "w", encoding="utf-8") as fh:
        fh.write("a file where the output folder should go\n")


def explain_folder(images: Any = "no_such_folder", *, model: Callable[[], Any] | None = None,
                   out: str = FOLDER_OUT, **kwargs: Any) -> Callable[[], Any]:
    """``hybridxai.explain_folder(tiny_cnn, images, out, backend="exact", ...)`` with overrides."""

    def run() -> Any:
        from hybridxai.explainer.folder import explain_folder as call

        net = S.tiny_cnn() if model is None else model()
        options = {"backend": "exact", "seed": 0, "progress": False, "transform": _identity, **kwargs}
        return call(net, images, out, **options)

    return run


EF = "explain_folder"
add(EF, "model is a string", explain_folder(model=lambda: "mobilenet_v2"), InvalidTypeError,
    "model has type str", "'mobilenet_v2'", "Fix:", setup=_warm_folder, topic="wrong type")
add(EF, "batch_size = 0", explain_folder(batch_size=0), InvalidArgumentError, "batch_size=0", "Fix:",
    setup=_warm_folder, topic="out of range")
add(EF, "a model whose preprocessing is unknown", explain_folder(transform=None), InvalidArgumentError,
    "transform=None", "Fix: pass transform=", setup=_warm_folder, topic="missing setting")
add(EF, "a folder that does not exist", explain_folder("no_such_folder"), InvalidArgumentError,
    "images='no_such_folder'", "no such folder", "Fix:", setup=_warm_folder, topic="missing file")
add(EF, "an empty list of images", explain_folder([]), InvalidArgumentError, "images=[]", "empty",
    "Fix:", setup=_warm_folder, topic="empty")
add(EF, "images given as arrays", explain_folder([np.zeros((8, 8, 3))]), InvalidTypeError,
    "images has type ndarray", "Fix:", setup=_warm_folder, topic="wrong type")
add(EF, "out names an existing file", explain_folder("no_such_folder", out=FOLDER_FILE),
    InvalidArgumentError, "out=", "hybridxai-reliability-folder-file", "is a file, not a folder",
    "Fix:", setup=_make_folder_file, topic="missing file")


def _certify(*args: Any, **kwargs: Any) -> Callable[[], Any]:
    """``certify(chain_bqm(3), ...)``; a positional argument replaces the problem."""

    def run() -> Any:
        from hybridxai.backends.certified.branch_and_bound import certify

        problem = args[0]() if args else S.chain_bqm(3)
        return certify(problem, **kwargs)

    return run


CT = "certify"
add(CT, "time_limit = 0", _certify(time_limit=0), InvalidArgumentError, "time_limit=0.0", "positive",
    "Fix: pass a number of seconds", topic="zero/negative time")
add(CT, "time_limit < 0", _certify(time_limit=-5), InvalidArgumentError, "time_limit=-5.0",
    "Fix: pass a number of seconds", topic="zero/negative time")
add(CT, "time_limit is NaN", _certify(time_limit=float("nan")), InvalidArgumentError, "time_limit=nan",
    "finite", "Fix:", topic="NaN/inf")
add(CT, "time_limit is a string", _certify(time_limit="60"), InvalidTypeError,
    "time_limit has type str", "'60'", "Fix: pass a number of seconds", topic="wrong type")
add(CT, "tolerance = 1 (relative: must be below 1)", _certify(tolerance=1.0), InvalidArgumentError,
    "tolerance=1.0", "below 1", "Fix: pass e.g. tolerance=1e-12", topic="out of range")
add(CT, "max_nodes = 0", _certify(max_nodes=0), InvalidArgumentError, "max_nodes=0", "at least 1",
    "Fix: pass a positive integer", topic="out of range")
add(CT, "problem is a dict of QUBO coefficients", _certify(lambda: {(0, 1): 1.0}), InvalidTypeError,
    "problem has type dict", "Fix: pass qubo.bqm", topic="wrong type")
add(CT, "problem is a constrained model", _certify(lambda: dimod.ConstrainedQuadraticModel()),
    InvalidTypeError, "problem has type ConstrainedQuadraticModel", "Fix:", topic="wrong type")
add(CT, "NaN bias in the BQM", _certify(S.nan_bqm), InvalidArgumentError, "problem=",
    "NaN or infinite biases", "Fix:", topic="NaN/inf")
add(CT, "incumbent lacks variables", _certify(incumbent={0: 1}), InvalidArgumentError, "incumbent=",
    "lacks variables [1, 2]", "Fix: pass a sample", topic="wrong shape")
add(CT, "incumbent of the wrong length", _certify(incumbent=np.zeros(5)), InvalidArgumentError,
    "incumbent=<ndarray shape=(5,)", "one value per variable (3)", "Fix:", topic="wrong shape")
add(CT, "spins as the incumbent of a BINARY model", _certify(incumbent=[-1, 1, 1]),
    InvalidArgumentError, "incumbent=", "only 0/1", "Fix:", topic="out of range")
add(CT, "incumbent is a string", _certify(incumbent="best"), InvalidTypeError,
    "incumbent has type str", "'best'", "Fix:", topic="wrong type")


def _executor(**kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        from hybridxai.runs.execution import make_executor

        executor = make_executor(**kwargs)
        executor.close()
        return executor

    return run


MX = "execution.make_executor"
add(MX, "workers = 0", _executor(workers=0), InvalidArgumentError, "workers=0", "Fix:",
    topic="out of range")
add(MX, "scheduler that is not an address", _executor(scheduler="not-an-address"), InvalidArgumentError,
    "scheduler='not-an-address'", "Fix:", topic="unknown name")
add(MX, "both workers and scheduler", _executor(workers=2, scheduler="tcp://127.0.0.1:8786"),
    InvalidArgumentError, "workers=2", "Fix:", topic="out of range")
add(MX, "scheduler with an http:// address (C3)", _executor(scheduler="http://localhost:1234"),
    InvalidArgumentError, "scheduler='http://localhost:1234'", "protocol 'http://'",
    "Fix: pass the address a running 'dask scheduler' prints", topic="unknown name")
add(MX, "scheduler 'foo' (C3)", _executor(scheduler="foo"), InvalidArgumentError, "scheduler='foo'",
    "not a Dask scheduler address", "Fix:", topic="unknown name")
add(MX, "scheduler port outside 1..65535 (C3)", _executor(scheduler="tcp://localhost:70000"),
    InvalidArgumentError, "scheduler='tcp://localhost:70000'", "outside 1..65535", "Fix:",
    topic="out of range")
add(MX, "scheduler address of a web server, not Dask (C3)",
    lambda: _executor(scheduler=S.http_server_address(), timeout=0.5)(), ServiceUnavailableError,
    "is not a Dask scheduler", "answered like a web (HTTP) server", "Fix: pass the address a running",
    setup=S.http_server_address, topic="unknown name")
add(MX, "scheduler address where nothing listens (C3)",
    lambda: _executor(scheduler=S.closed_port_address(), timeout=0.5)(), ServiceUnavailableError,
    "no Dask scheduler answered at tcp://127.0.0.1:", "ConnectionRefusedError", "Fix: start one with",
    setup=S.closed_port_address, topic="missing setting")
add("execution.check_scheduler", "a web server's address (C3)",
    lambda: _check_scheduler(S.http_server_address()), ServiceUnavailableError, "is not a Dask scheduler",
    "Fix:", setup=S.http_server_address, topic="unknown name")


def _check_scheduler(address: str) -> Any:
    from hybridxai.runs.execution import check_scheduler

    return check_scheduler(address, timeout=0.5)


# ============================================================================================
# the command line
# ============================================================================================

NOT_A_DIR = os.path.join(tempfile.gettempdir(), "hybridxai-reliability-not-a-dir")


def _make_not_a_dir() -> None:
    _warm_cli()
    with open(NOT_A_DIR, "w", encoding="utf-8") as fh:
        fh.write("a file where the output folder should go\n")


def cli(*argv: str, wrap: Callable[[Callable[[], Any]], Callable[[], Any]] | None = None,
        model: Callable[[], Any] | None = S.cli_model) -> Callable[[], Any]:
    def run() -> Any:
        return S.run_cli(["explain", *argv], model=model)

    return wrap(run) if wrap else run


def _warm_cli() -> None:
    S.cli_model()
    from hybridxai.vision.samples import load_sample

    load_sample("chelsea")


def add_cli(bad: str, argv: tuple[str, ...], *contains: str, setup: Callable[[], Any] = _warm_cli,
            wrap: Callable[[Callable[[], Any]], Callable[[], Any]] | None = None,
            topic: str = "", status: int = 2, model: Callable[[], Any] | None = S.cli_model) -> None:
    CASES.append(Case("cli: hybridxai explain", bad, cli(*argv, wrap=wrap, model=model), None,
                      tuple(contains), exit_status=status, setup=setup, topic=topic))


add_cli("--beta 2", ("--sample", "chelsea", "--beta", "2"), "beta=2.0", "[0, 1]", "Fix: pass e.g. beta=0.7",
        topic="beta/gamma/k range")
add_cli("--beta -0.5", ("--sample", "chelsea", "--beta", "-0.5"), "beta=-0.5", "Fix:",
        topic="beta/gamma/k range")
add_cli("--cardinality larger than d", ("--sample", "chelsea", "--max-qubits", "8", "--cardinality",
                                        "20"), "cardinality=20", "d = 8", "Fix:",
        topic="beta/gamma/k range")
add_cli("--seed -1", ("--sample", "chelsea", "--seed", "-1"), "seed=-1", "Fix: pass e.g. seed=0",
        topic="out of range")
add_cli("--max-qubits 0", ("--sample", "chelsea", "--max-qubits", "0"), "max_qubits=0", "Fix:",
        topic="out of range")
add_cli("--backend nope", ("--sample", "chelsea", "--backend", "nope"), "backend='nope'", "'sa'",
        "Fix: pass one of these names", topic="unknown name")
add_cli("an image file that does not exist", ("no_such_photo.jpg",), "no_such_photo.jpg",
        "Fix: check the path", topic="missing file")
add_cli("--sample that does not exist", ("--sample", "mona_lisa"), "sample='mona_lisa'", "chelsea",
        "Fix:", topic="unknown name")
add_cli("neither IMAGE nor --sample", (), "image=", "IMAGE or --sample", "Fix: run e.g.",
        topic="missing setting")
add_cli("--layer that does not exist", ("--sample", "chelsea", "--layer", "features.99"),
        "layer='features.99'", "Fix: pass one of the names", topic="bad layer")
add_cli("--target 5000", ("--sample", "chelsea", "--target", "5000"), "target=5000", "[0, 10)",
        "Fix: pass a valid class index", topic="out of range")
add_cli("--num-reads 0", ("--sample", "chelsea", "--max-qubits", "8", "--num-reads", "0"),
        "num_reads=0", "Fix: pass e.g. num_reads=100", topic="out of range")
add_cli("--total-time for the sa backend", ("--sample", "chelsea", "--total-time", "10"),
        "sampler_options=['total_time']", "Fix:", topic="unknown option")
add_cli("--total-time 0 on a quantum backend", ("--sample", "chelsea", "--backend", "statevector",
                                                "--max-qubits", "4", "--total-time", "0"),
        "total_time=0.0", "positive", "Fix:", topic="zero/negative time")
add_cli("40 qubits on the statevector backend", ("--sample", "chelsea", "--backend", "statevector",
                                                 "--max-qubits", "40"),
        "num_qubits=40", "Fix: pass max_qubits=", topic="memory")
add_cli("--backend aer without qiskit-aer", ("--sample", "chelsea", "--backend", "aer"),
        "qiskit_aer", "Fix: pip install 'hybridxai[qiskit]'",
        wrap=lambda run: S.without(["qiskit_aer"], run),
        setup=lambda: (_warm_cli(), _warm_quantum()), topic="missing SDK")
add_cli("--backend dwave without a Leap token", ("--sample", "chelsea", "--backend", "dwave"),
        "no Leap API token", "Fix: run `dwave config create`", wrap=S.without_credentials,
        setup=lambda: (_warm_cli(), _warm_cloud()), topic="missing credentials")
add_cli("--out names an existing file", ("--sample", "chelsea", "--backend", "exact", "--max-qubits",
                                         "4", "--seed", "0", "--out", NOT_A_DIR),
        "--out=", "hybridxai-reliability-not-a-dir", "is a file, not a folder",
        "Fix: pass a folder path", setup=_make_not_a_dir, topic="missing file")
add_cli("--beta is not a number", ("--sample", "chelsea", "--beta", "high"), "argument --beta",
        "'high'", "in 'hybridxai explain'", "Fix: see 'hybridxai explain --help'", topic="wrong type")
add_cli("--max-qubits is not an integer", ("--sample", "chelsea", "--max-qubits", "2.5"),
        "argument --max-qubits", "'2.5'", "Fix: see 'hybridxai explain --help'", topic="wrong type")
add_cli("--model that does not exist", ("--sample", "chelsea", "--model", "vgg16"), "name='vgg16'",
        "mobilenet_v2", "Fix:", topic="unknown name", model=None)


@functools.cache
def by_id() -> dict[str, Case]:
    """``{case_id: case}``; ids are unique (checked here)."""
    table: dict[str, Case] = {}
    for case in CASES:
        key = case_id(case)
        assert key not in table, f"duplicate case id {key}"
        table[key] = case
    return table

"""Helpers for the reliability suite: tiny models, blocked imports, empty credentials, no network.

Everything here is cheap and deterministic; models are built once and cached (the library
hands them back unchanged, which ``tests/test_reliability.py`` checks).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from unittest import mock

import dimod
import numpy as np

from tests.conftest import build_no_grad_head_cnn, build_tiny_cnn

# -- models ----------------------------------------------------------------------------------


@functools.cache
def tiny_cnn():
    """The shared tiny CNN of ``tests/conftest.py`` (3→8→12 channels, 5 classes), eval mode."""
    return build_tiny_cnn(num_classes=5, seed=0)


@functools.cache
def image():
    """A fixed 3×16×16 model-ready image for the tiny CNN."""
    import torch

    return torch.from_numpy(np.random.default_rng(0).random((3, 16, 16), dtype=np.float32))


def _wrapper(kind: str):
    import torch
    from torch import nn

    class Wrapped(nn.Module):
        """The tiny CNN behind a forward that returns something other than a logits tensor."""

        def __init__(self) -> None:
            super().__init__()
            self.net = build_tiny_cnn(num_classes=5, seed=0)

        def forward(self, x: torch.Tensor) -> Any:
            logits = self.net(x)
            if kind == "tuple":
                return logits, x
            if kind == "dict":
                return {"logits": logits, "aux": x}
            if kind == "hf":
                return HFOutput(logits=logits)
            if kind == "vector":
                return logits[:, 0]
            raise AssertionError(kind)

    Wrapped.__name__ = f"{kind.capitalize()}OutputNet"
    return Wrapped().eval()


class HFOutput(dict):
    """Mimics ``transformers.modeling_outputs.ImageClassifierOutput``: a dict with attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@functools.cache
def wrapped_net(kind: str):
    """The tiny CNN returning a ``"tuple"``, ``"dict"``, ``"hf"`` output or a 1-D ``"vector"``."""
    return _wrapper(kind)


@functools.cache
def mlp():
    """A classifier without any convolutional (spatial) layer."""
    from torch import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 5)).eval()


@functools.cache
def other_conv():
    """A convolution that belongs to another model."""
    return build_tiny_cnn(num_classes=5, seed=1)[0]


@functools.cache
def no_grad_head_net():
    """The tiny CNN with its head (after layer "2") run under ``torch.no_grad()``."""
    return build_no_grad_head_cnn()


def _conv_pool_linear(channels: int):
    """Conv(3→channels) → ReLU → global average pool → Linear(channels→2), seeded with 0."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                             nn.Flatten(), nn.Linear(channels, 2))


@functools.cache
def negative_net():
    """A CNN whose head weights are all negative: every feature map has negative importance."""
    import torch

    model = _conv_pool_linear(4)
    with torch.no_grad():
        model[4].weight.copy_(-torch.rand(2, 4) - 0.1)
    return model.eval()


@functools.cache
def single_map_net():
    """A CNN with one feature map at its last conv layer (d = 1 for its predicted class)."""
    import torch

    model = _conv_pool_linear(1)
    with torch.no_grad():
        model[0].bias.fill_(1.0)
        model[4].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        model[4].bias.copy_(torch.tensor([0.0, -10.0]))
    return model.eval()


@functools.cache
def double_cnn():
    """The tiny CNN in float64."""
    return build_tiny_cnn(num_classes=5, seed=0).double()


@functools.cache
def meta_cnn():
    """The tiny CNN on PyTorch's ``meta`` device (shapes only, no data)."""
    return build_tiny_cnn(num_classes=5, seed=0).to("meta")


@functools.cache
def cli_model():
    """A small CNN registered like a pretrained model (preprocessing, class names, layer).

    The command line loads its model by name; the reliability cases hand it this one so that
    their timing measures the command's own checks, not MobileNetV2's forward pass. Its last
    conv layer has 96 maps, of which more than 40 have positive importance for its prediction on
    the bundled photos (so ``--max-qubits 40`` gives 40 qubits).
    """
    import torch
    from torch import nn
    from torchvision import transforms

    from hybridxai.vision.models.pretrained import ModelInfo, register_model_info

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 96, 3, padding=1, stride=2), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, 10),
        ).eval()
    transform = transforms.Compose([
        transforms.Resize(32), transforms.CenterCrop(32), transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    names = ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")
    register_model_info(model, ModelInfo("tiny_cli_cnn", transform, names, default_layer="3"))
    return model


# -- problems --------------------------------------------------------------------------------


def chain_bqm(num_variables: int, *, seed: int = 0) -> dimod.BinaryQuadraticModel:
    """A small random BINARY BQM (dense couplings) with labels 0..d-1."""
    rng = np.random.default_rng(seed)
    linear = {i: float(-rng.random()) for i in range(num_variables)}
    quadratic = {(i, j): float(rng.random()) for i in range(num_variables)
                 for j in range(i + 1, num_variables)}
    return dimod.BinaryQuadraticModel(linear, quadratic, 0.0, dimod.BINARY)


def wide_bqm(num_variables: int = 40) -> dimod.BinaryQuadraticModel:
    """A BQM with many variables and no couplings (cheap to build, far too big to simulate)."""
    return dimod.BinaryQuadraticModel({i: -1.0 for i in range(num_variables)}, {}, 0.0,
                                      dimod.BINARY)


def nan_bqm() -> dimod.BinaryQuadraticModel:
    """A two-variable BQM with a NaN linear bias."""
    return dimod.BinaryQuadraticModel({0: float("nan"), 1: -1.0}, {(0, 1): 0.5}, 0.0,
                                      dimod.BINARY)


def maps(k: int = 4, *, seed: int = 0, sign: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Random ``(activations, gradients)`` of shape ``(k, 3, 3)``; ``sign`` < 0: all alpha < 0."""
    rng = np.random.default_rng(seed)
    acts = rng.random((k, 3, 3))
    grads = sign * (0.1 + rng.random((k, 3, 3)))
    return acts, grads


def with_nan(array: np.ndarray, value: float = float("nan")) -> np.ndarray:
    """A copy of ``array`` with one entry replaced by ``value``."""
    out = np.array(array, dtype=np.float64, copy=True)
    out.flat[1] = value
    return out


# -- environment -----------------------------------------------------------------------------


@contextlib.contextmanager
def blocked_imports(*modules: str) -> Iterator[None]:
    """Make ``import <module>`` fail (as if the package were not installed) inside the block.

    A ``None`` entry in ``sys.modules`` makes every import of that name raise ``ImportError``;
    the previous entries are restored afterwards, so already imported SDKs keep working in
    the rest of the session.
    """
    saved = {name: sys.modules.get(name, _MISSING) for name in modules}
    try:
        for name in modules:
            sys.modules[name] = None  # type: ignore[assignment]
        yield
    finally:
        for name, module in saved.items():
            if module is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


_MISSING = object()


def without(modules: Sequence[str], call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` wrapped so that it runs with ``modules`` blocked."""

    def run() -> Any:
        with blocked_imports(*modules):
            return call()

    return run


_CREDENTIAL_VARS = (
    "DWAVE_API_TOKEN", "DWAVE_PROFILE", "DWAVE_API_ENDPOINT", "DWAVE_API_REGION",
    "DWAVE_API_SOLVER", "DWAVE_API_CLIENT", "QISKIT_IBM_TOKEN", "QISKIT_IBM_CHANNEL",
    "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
    "all_proxy",
)


@contextlib.contextmanager
def no_credentials() -> Iterator[str]:
    """No D-Wave token and no IBM Quantum account anywhere: env unset, empty config, tmp HOME."""
    with tempfile.TemporaryDirectory(prefix="hybridxai-nocreds-") as home:
        conf = os.path.join(home, "dwave.conf")
        with open(conf, "w", encoding="utf-8"):
            pass
        env = {var: value for var, value in os.environ.items() if var not in _CREDENTIAL_VARS}
        env.update(HOME=home, DWAVE_CONFIG_FILE=conf, XDG_CONFIG_HOME=os.path.join(home, "config"),
                   XDG_CACHE_HOME=os.path.join(home, "cache"))
        with mock.patch.dict(os.environ, env, clear=True):
            yield home


def without_credentials(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` wrapped so that it runs with no cloud credentials configured."""

    def run() -> Any:
        with no_credentials():
            return call()

    return run


class NetworkAttempt(AssertionError):
    """Raised when code under test tries to open a network connection."""


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Fail loudly on any attempt to connect an internet socket inside the block.

    Loopback addresses (``127.0.0.1``, ``::1``, ``localhost``) stay allowed: they reach only the
    local stand-in servers of the ``--scheduler`` cases, never the network.
    """
    real_connect = socket.socket.connect
    real_create_connection = socket.create_connection

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise NetworkAttempt(f"network connection attempted to {address!r}")
        return real_connect(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(address):
            raise NetworkAttempt(f"network connection attempted to {address!r}")
        return real_create_connection(address, *args, **kwargs)

    with mock.patch.object(socket.socket, "connect", connect), \
            mock.patch.object(socket, "create_connection", create_connection):
        yield


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) and address else None
    return host in ("127.0.0.1", "::1", "localhost")


# -- local stand-ins for a Dask scheduler address (C3) ----------------------------------------


def _serve_forever(server: socket.socket, reply: bytes) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            with contextlib.suppress(OSError):
                conn.sendall(reply)


@functools.cache
def http_server_address() -> str:
    """``tcp://127.0.0.1:PORT`` of a local server that answers every connection like a web server."""
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    reply = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    threading.Thread(target=_serve_forever, args=(server, reply), daemon=True).start()
    return f"tcp://127.0.0.1:{server.getsockname()[1]}"


@functools.cache
def closed_port_address() -> str:
    """``tcp://127.0.0.1:PORT`` of a local port where nothing listens."""
    with socket.create_server(("127.0.0.1", 0)) as spare:
        port = spare.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


# -- models refused by the feature extraction ---------------------------------------------------


@functools.cache
def tiny_vit():
    """A vision-transformer-like classifier: its only convolution is a 4×4/4 patch embedding."""
    import torch
    from torch import nn

    class TinyViT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv_proj = nn.Conv2d(3, 8, 4, stride=4)
            self.encoder = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
            self.head = nn.Linear(8, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            tokens = self.conv_proj(x).flatten(2).transpose(1, 2)
            return self.head(self.encoder(tokens).mean(1))

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return TinyViT().eval()


@functools.cache
def strided_cnn():
    """Two stride-4 convolutions: a 16×16 input shrinks to 1×1 maps (input below the stride)."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3, stride=4, padding=1), nn.ReLU(),
                             nn.Conv2d(4, 6, 3, stride=4, padding=1), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5)).eval()


# -- the command line ------------------------------------------------------------------------


class CliResult:
    """Exit status and captured output of one ``hybridxai.cli.main`` call."""

    def __init__(self, status: int, stdout: str, stderr: str) -> None:
        self.status = status
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"CliResult(status={self.status}, stderr={self.stderr!r})"


def run_cli(argv: Sequence[str], *, model: Callable[[], Any] | None = cli_model) -> CliResult:
    """Run the CLI in-process with captured output.

    ``hybridxai.vision.models.load_pretrained`` (what the CLI calls) is replaced by ``model`` (a
    small registered CNN by default; ``None`` keeps the real loader), so the timing covers the
    command's own checks and not loading weights or a large forward pass.
    """
    import hybridxai.vision.models
    from hybridxai.cli import main

    out, err = io.StringIO(), io.StringIO()
    patches = [] if model is None else [
        mock.patch.object(hybridxai.vision.models, "load_pretrained", lambda *a, **k: model())]
    with contextlib.ExitStack() as stack:
        for p in patches:
            stack.enter_context(p)
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        status = main(list(argv))
    return CliResult(status, out.getvalue(), err.getvalue())

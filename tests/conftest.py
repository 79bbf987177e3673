"""Shared pytest fixtures: small random QUBOs and deterministic settings."""

from __future__ import annotations

import os

import dimod
import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

try:  # hypothesis is a dev dependency; only the property tests need it
    from hypothesis import settings as hypothesis_settings
except ImportError:  # pragma: no cover
    pass
else:
    # "ci" (the default): the same examples on every run and machine, so a failure reproduces
    # and a pass means the same thing everywhere; the failing example's blob is printed for
    # @reproduce_failure. HYPOTHESIS_PROFILE=dev (or --hypothesis-profile=dev) draws new
    # random examples on each run, to explore.
    hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    hypothesis_settings.register_profile("dev", deadline=None, print_blob=True)
    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def skip_without_extra(extra: str) -> None:
    """Skip the calling test module unless the pip extra ``extra`` of hybridxai is installed.

    The extras and their modules are declared once, in :data:`hybridxai._util.optional.EXTRAS`;
    call this at the top of a test module instead of ``pytest.importorskip`` on each SDK.
    """
    from hybridxai._util.optional import EXTRAS, extra_installed

    if not extra_installed(extra):
        pytest.skip(f"needs {EXTRAS[extra].pip}", allow_module_level=True)


def requires_extra(extra: str) -> pytest.MarkDecorator:
    """``skipif`` mark for a test (or parameter) that needs the pip extra ``extra``."""
    from hybridxai._util.optional import EXTRAS, extra_installed

    return pytest.mark.skipif(not extra_installed(extra), reason=f"needs {EXTRAS[extra].pip}")


def random_bqm(num_variables: int, seed: int, vartype: str = "BINARY") -> dimod.BinaryQuadraticModel:
    """A dense random BQM with labels that are not 0..d-1 (to catch label mix-ups)."""
    rng = np.random.default_rng(seed)
    labels = [int(x) for x in rng.choice(1000, size=num_variables, replace=False)]
    linear = {v: float(rng.normal()) for v in labels}
    quadratic = {
        (labels[i], labels[j]): float(rng.normal())
        for i in range(num_variables)
        for j in range(i + 1, num_variables)
    }
    return dimod.BinaryQuadraticModel(linear, quadratic, float(rng.normal()), vartype)


@pytest.fixture
def make_bqm():
    """Factory fixture: ``make_bqm(d, seed, vartype="BINARY")``."""
    return random_bqm


# -- shared fixtures for the spine tests (features, explain, CLI) --------------------------------

HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
              "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs")


def hooks_left(model) -> dict[str, list[str]]:
    """Every module of ``model`` that still has a hook registered: ``{module name: [dicts]}``."""
    left: dict[str, list[str]] = {}
    for name, module in model.named_modules():
        full = [attr for attr in HOOK_DICTS if getattr(module, attr, None)]
        if getattr(module, "_backward_pre_hooks", None):
            full.append("_backward_pre_hooks")
        if full:
            left[name or "<root>"] = full
    return left


def training_flags(model) -> dict[str, bool]:
    """``{module name: training}`` for every module."""
    return {name: module.training for name, module in model.named_modules()}


def build_tiny_cnn(num_classes: int = 5, seed: int = 0, inplace: bool = True):
    """A small random CNN (3→8→12 channels, ``num_classes`` logits) in eval mode."""
    import torch
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(inplace=inplace),
            nn.Conv2d(8, 12, 3, padding=1),
            nn.BatchNorm2d(12),
            nn.ReLU(inplace=inplace),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Linear(12, num_classes),
        )
    return model.eval()


def build_no_grad_head_cnn():
    """The tiny CNN split after layer "2" (``body`` / ``head``), its head run under ``no_grad``.

    Its logits do not depend on ``body.2``'s maps through autograd, so explaining that layer
    must fail with a clear error.
    """
    import torch
    from torch import nn

    class NoGradHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = build_tiny_cnn(num_classes=5, seed=0)[:3]
            self.head = build_tiny_cnn(num_classes=5, seed=0)[3:]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            maps = self.body(x)
            with torch.no_grad():
                return self.head(maps)

    return NoGradHead().eval()


@pytest.fixture
def make_cnn():
    """Factory fixture: ``make_cnn(num_classes=5, seed=0, inplace=True)`` (small random CNN)."""
    return build_tiny_cnn


@pytest.fixture
def model_checks():
    """``(hooks_left, training_flags)`` helpers for hook/flag hygiene assertions."""
    return hooks_left, training_flags


@pytest.fixture(scope="session")
def mobilenet():
    """The real ImageNet MobileNetV2 (offline weights), loaded once per session, eval mode.

    Tests must hand it back unchanged (eval mode, no hooks, no ``.grad``).
    """
    from hybridxai.vision.models import load_pretrained

    model = load_pretrained("mobilenet_v2", download=False)
    yield model
    assert not hooks_left(model), "a test left hooks on the shared MobileNetV2"
    assert not model.training, "a test left the shared MobileNetV2 in training mode"


@pytest.fixture(scope="session")
def chelsea():
    """scikit-image's ``chelsea`` photo (an Egyptian cat) as an RGB PIL image."""
    from hybridxai.vision.samples import load_sample

    return load_sample("chelsea")


@pytest.fixture(scope="session")
def coffee():
    """scikit-image's ``coffee`` photo (an espresso) as an RGB PIL image."""
    from hybridxai.vision.samples import load_sample

    return load_sample("coffee")


@pytest.fixture(scope="session")
def mobilenet_inputs(mobilenet, chelsea, coffee):
    """The two photos preprocessed by the model's registered transform, ``(2, 3, 224, 224)``."""
    import torch

    from hybridxai.vision.models import model_info

    transform = model_info(mobilenet).transform
    return torch.stack([transform(chelsea), transform(coffee)])


@pytest.fixture(scope="session")
def mobilenet_features(mobilenet, mobilenet_inputs):
    """``extract_features`` of both photos at the default layer (one shared pass)."""
    from hybridxai.vision.features import extract_features

    return extract_features(mobilenet, mobilenet_inputs)


@pytest.fixture(scope="session")
def cat_explanation(mobilenet, chelsea):
    """``explain(mobilenet, chelsea, seed=0)`` with every default (SA backend, full layer)."""
    from hybridxai import explain

    return explain(mobilenet, chelsea, seed=0)


@pytest.fixture(scope="session")
def dask_client():
    """One Dask ``LocalCluster`` (2 worker processes, no dashboard) and its client for the session.

    Starting a cluster is the slow part of the Dask tests; every test that needs one shares this.
    """
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="session")
def benchmark_instances() -> list[dict]:
    """The saved real QUBOs of benchmarks/instances/, loaded by benchmarks/make_instances.py."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "make_instances.py"
    spec = importlib.util.spec_from_file_location("make_instances", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_instances()

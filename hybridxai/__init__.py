"""hybridxai: explain CNN classifiers by selecting feature maps with quantum annealing.

The main entry point is :func:`explain`::

    import hybridxai
    model, info = hybridxai.load_pretrained("mobilenet_v2")
    explanation = hybridxai.explain(model, "cat.jpg", transform=info.transform)
    explanation.save("out/")

Heavy submodules are imported on first attribute access, so ``import hybridxai`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "explain": "hybridxai.explainer",
    "explain_batch": "hybridxai.explainer",
    "EmptySelectionWarning": "hybridxai.explainer",
    "explain_folder": "hybridxai.batch",
    "Explanation": "hybridxai.explanation",
    "build_qubo": "hybridxai.qubo",
    "FeatureQubo": "hybridxai.qubo",
    "get_sampler": "hybridxai.backends.registry",
    "available_backends": "hybridxai.backends.registry",
    "load_pretrained": "hybridxai.models",
    "extract_features": "hybridxai.features",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hybridxai' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

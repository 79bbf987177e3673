"""hybridxai: explain CNN classifiers by selecting feature maps with quantum annealing.

The main entry point is :func:`explain`:

    >>> import tempfile, hybridxai, skimage.data
    >>> model = hybridxai.load_pretrained("mobilenet_v2")   # eval mode, preprocessing registered
    >>> explanation = hybridxai.explain(model, skimage.data.chelsea(), seed=0)   # or "cat.jpg"
    >>> explanation.target_name
    'Egyptian cat'
    >>> sorted(explanation.save(tempfile.mkdtemp()))   # or explanation.save("out/")
    ['figure', 'heatmap', 'manifest', 'overlay', 'saliency']

Heavy submodules are imported on first attribute access, so ``import hybridxai`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "explain": "hybridxai.explainer.pipeline",
    "explain_batch": "hybridxai.explainer.pipeline",
    "EmptySelectionWarning": "hybridxai.explainer.pipeline",
    "SuboptimalSelectionWarning": "hybridxai.exceptions",
    "explain_folder": "hybridxai.explainer.folder",
    "ExplainSettings": "hybridxai.explainer.settings",
    "Explanation": "hybridxai.explainer.explanation",
    "build_qubo": "hybridxai.anneal.qubo",
    "FeatureQubo": "hybridxai.anneal.qubo",
    "get_sampler": "hybridxai.backends.registry",
    "available_backends": "hybridxai.backends.registry",
    "load_pretrained": "hybridxai.vision.models",
    "extract_features": "hybridxai.vision.features",
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

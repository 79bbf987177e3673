"""Models: pretrained torchvision classifiers and the paper's restricted/full architectures.

:func:`load_pretrained` loads an ImageNet classifier and registers its preprocessing and class
names (see :func:`model_info`), so :func:`hybridxai.explain` needs no ``transform=`` for it.
:func:`build_paper_model` builds the paper's restricted / full models and
:func:`load_paper_model` loads the trained heads shipped with the package.
"""

from hybridxai.vision.models.checkpoint import load_paper_model
from hybridxai.vision.models.paper import (
    PAPER_BACKBONES,
    PAPER_KINDS,
    PAPER_NUM_FILTERS,
    FullHead,
    PaperModel,
    RestrictedHead,
    build_paper_model,
    shipped_checkpoints,
    split_backbone,
)
from hybridxai.vision.models.pretrained import (
    PRETRAINED,
    ModelInfo,
    load_pretrained,
    model_info,
    register_model_info,
)

__all__ = [
    "PRETRAINED", "ModelInfo", "load_pretrained", "model_info", "register_model_info",
    "PAPER_BACKBONES", "PAPER_KINDS", "PAPER_NUM_FILTERS", "FullHead", "PaperModel",
    "RestrictedHead", "build_paper_model", "load_paper_model", "shipped_checkpoints",
    "split_backbone",
]

"""Models: pretrained torchvision classifiers and the paper's restricted/full architectures.

:func:`load_pretrained` loads an ImageNet classifier and registers its preprocessing and class
names (see :func:`model_info`), so :func:`hybridxai.explain` needs no ``transform=`` for it.
"""

from hybridxai.models.pretrained import (
    PRETRAINED,
    ModelInfo,
    load_pretrained,
    model_info,
    register_model_info,
)

__all__ = ["PRETRAINED", "ModelInfo", "load_pretrained", "model_info", "register_model_info"]

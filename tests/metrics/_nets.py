"""Tiny models built by the metric tests."""

from __future__ import annotations

import torch
from torch import nn

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def tiny_cnn(seed: int = 0, num_classes: int = 5, dtype: torch.dtype = torch.float64) -> nn.Module:
    """Conv → BatchNorm → ReLU → Dropout → pool → Linear, with non-trivial BN statistics."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Conv2d(6, 8, 3, padding=1, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, num_classes),
    ).to(dtype)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(8, 3, 12, 12, dtype=dtype))
    return net


class PixelLogit(nn.Module):
    """Two classes: logit 0 is 0, logit 1 is ``Σ_{c,i,j} w[i,j]·x[c,i,j] − bias``.

    So ``p_1 = sigmoid(Σ w·x − bias)``: a known function of a few pixels.
    """

    def __init__(self, weights: torch.Tensor, bias: float) -> None:
        super().__init__()
        self.register_buffer("w", weights.to(torch.float64))
        self.bias = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = (x.sum(dim=1) * self.w).sum(dim=(1, 2)) - self.bias
        return torch.stack([torch.zeros_like(s), s], dim=1)


class MustNotRun(nn.Module):
    """A model whose forward fails: input checks must reject bad arguments before it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise AssertionError("the model ran although the arguments were invalid")

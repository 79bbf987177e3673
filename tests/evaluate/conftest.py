import pytest
import torch
from torch import nn

pytest.importorskip("quantus")
pytest.importorskip("pytorch_grad_cam")


class TinyCNN(nn.Module):
    """Two conv layers, global pooling, 5 classes; counts forward passes."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(6, 12, 3, padding=1, stride=2), nn.ReLU())
        self.head = nn.Linear(12, 5)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.head(self.features(x).mean(dim=(2, 3)))


@pytest.fixture
def tiny_model() -> TinyCNN:
    torch.manual_seed(0)
    return TinyCNN().eval()


@pytest.fixture
def tiny_images() -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.rand(6, 3, 24, 24, generator=g)

"""Training a head on cached backbone features: Adam, best-validation epoch kept.

The paper trains its head with Adam, records the validation accuracy after every epoch and
keeps the weights of the best epoch, then reports the test accuracy of those weights
(arXiv 2604.25649, §IV.3). :func:`fit_head` does exactly that on tensors of cached features.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from hybridxai._util.checks import check_positive_int
from hybridxai.exceptions import invalid_argument

__all__ = ["TrainConfig", "TrainResult", "EvalResult", "fit_head", "evaluate", "head_forward"]

Forward = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Attributes:
        epochs: Passes over the training features.
        lr: Adam learning rate.
        batch_size: Mini-batch size.
        weight_decay: Adam weight decay (L2).
        seed: Seed of the head's initialisation (set by the caller) and of the shuffling.
    """

    epochs: int = 15
    lr: float = 1e-3
    batch_size: int = 64
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            check_positive_int(name, getattr(self, name),
                               f"pass e.g. {name}={TrainConfig.__dataclass_fields__[name].default}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise invalid_argument("lr", self.lr, "must be a positive number", "pass e.g. lr=1e-3")
        if not (isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0):
            raise invalid_argument("weight_decay", self.weight_decay, "must be >= 0",
                                   "pass e.g. weight_decay=0")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (recorded in checkpoints), with the optimiser's name."""
        return {"optimizer": "Adam", **asdict(self)}


@dataclass(frozen=True)
class EvalResult:
    """Loss, accuracy and predictions on one set of features."""

    loss: float
    accuracy: float
    predictions: np.ndarray


@dataclass
class TrainResult:
    """What :func:`fit_head` returns.

    Attributes:
        best_state: Head ``state_dict`` of the best-validation epoch (also loaded in the head).
        best_epoch: That epoch (1-based).
        best_val_accuracy: Its validation accuracy.
        history: One dict per epoch: ``epoch``, ``train_loss``, ``train_accuracy``,
            ``val_loss``, ``val_accuracy``, ``seconds``.
        seconds: Total training time.
    """

    best_state: dict[str, torch.Tensor]
    best_epoch: int
    best_val_accuracy: float
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def head_forward(kind: str, head: nn.Module) -> Forward:
    """How a head consumes cached features.

    A restricted head takes the stage maps as they are; a full head's first operation is global
    average pooling, which the cache has already applied, so only its ``fc`` is run.
    """
    if kind == "restricted":
        return head
    if kind == "full":
        return head.fc
    raise invalid_argument("kind", kind, "unknown model kind", "pass 'restricted' or 'full'")


@torch.no_grad()
def evaluate(forward: Forward, inputs: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 256) -> EvalResult:
    """Mean cross-entropy, accuracy and predicted classes (the module is used as it is set).

    Args:
        forward: Maps a float32 batch of features to logits.
        inputs: Features (any float dtype; converted to float32 per batch).
        labels: Labels, ``int64``.
        batch_size: Evaluation batch size.
    """
    total, preds = 0.0, []
    for start in range(0, len(labels), batch_size):
        logits = forward(inputs[start:start + batch_size].float())
        y = labels[start:start + batch_size]
        total += float(F.cross_entropy(logits, y, reduction="sum"))
        preds.append(logits.argmax(1))
    pred = torch.cat(preds) if preds else torch.zeros(0, dtype=torch.long)
    n = max(len(labels), 1)
    return EvalResult(total / n, float((pred == labels).float().sum()) / n, pred.numpy())


def fit_head(
    head: nn.Module,
    forward: Forward,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    config: TrainConfig | None = None,
    *,
    progress: bool = True,
    desc: str = "train",
) -> TrainResult:
    """Train ``head`` with Adam and keep the weights of the best validation epoch.

    Args:
        head: The trainable module (its parameters are optimised).
        forward: Features → logits using ``head`` (see :func:`head_forward`).
        train: ``(features, labels)`` for training.
        val: ``(features, labels)`` for model selection.
        config: The :class:`TrainConfig` (default: its defaults).
        progress: Show a tqdm bar over epochs.
        desc: Bar label.

    Returns:
        The :class:`TrainResult`; ``head`` holds the best weights and is in eval mode.
    """
    config = config if config is not None else TrainConfig()
    x_train, y_train = train
    x_val, y_val = val
    if len(x_train) != len(y_train) or len(x_val) != len(y_val) or not len(y_train):
        raise invalid_argument("train/val", (len(x_train), len(y_train), len(x_val), len(y_val)),
                               "need as many labels as features, and at least one training item",
                               "pass (features, labels) pairs of equal length")
    params = [p for p in head.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    best: TrainResult | None = None
    history: list[dict[str, float]] = []
    t_start = time.perf_counter()
    bar = tqdm(range(1, config.epochs + 1), desc=desc, unit="epoch", disable=not progress)
    for epoch in bar:
        t0 = time.perf_counter()
        head.train()
        order = torch.randperm(len(y_train), generator=generator)
        loss_sum, correct, seen = 0.0, 0, 0
        for start in range(0, len(order), config.batch_size):
            idx = order[start:start + config.batch_size]
            if len(idx) == 1 and len(order) > 1:
                continue  # a batch of one breaks batch norm; the item is seen next epoch
            logits = forward(x_train[idx].float())
            loss = F.cross_entropy(logits, y_train[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach().item() * len(idx)
            correct += int((logits.argmax(1) == y_train[idx]).sum())
            seen += len(idx)
        head.eval()
        result = evaluate(forward, x_val, y_val)
        row = {"epoch": epoch, "train_loss": loss_sum / max(seen, 1),
               "train_accuracy": correct / max(seen, 1), "val_loss": result.loss,
               "val_accuracy": result.accuracy, "seconds": time.perf_counter() - t0}
        history.append(row)
        if best is None or result.accuracy > best.best_val_accuracy:
            best = TrainResult(copy.deepcopy(head.state_dict()), epoch, result.accuracy)
        bar.set_postfix(train=f"{row['train_accuracy']:.3f}", val=f"{result.accuracy:.3f}",
                        best=f"{best.best_val_accuracy:.3f}@{best.best_epoch}")
    assert best is not None
    head.load_state_dict(best.best_state)
    head.eval()
    best.history = history
    best.seconds = time.perf_counter() - t_start
    return best

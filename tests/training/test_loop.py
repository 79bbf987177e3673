"""fit_head on synthetic cached features: it learns, and it keeps the best-validation epoch."""

from __future__ import annotations

import pytest
import torch

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.training import TrainConfig, evaluate, fit_head, head_forward
from hybridxai.vision.models import FullHead, RestrictedHead


def synthetic_stage(n: int, seed: int, channels: int = 8, side: int = 4, classes: int = 3):
    """Stage-like features whose class sets the mean of one channel block (float16, as cached)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, classes, (n,), generator=g)
    x = torch.randn(n, channels, side, side, generator=g)
    for c in range(classes):
        x[y == c, 2 * c:2 * c + 2] += 1.5
    return x.half(), y


def test_restricted_head_learns_and_keeps_best_epoch() -> None:
    torch.manual_seed(0)
    head = RestrictedHead(8, 4, 3, spatial=4)
    forward = head_forward("restricted", head)
    train, val = synthetic_stage(300, 0), synthetic_stage(120, 1)
    head.eval()
    before = evaluate(forward, *val).accuracy
    result = fit_head(head, forward, train, val, TrainConfig(epochs=6, lr=1e-2, batch_size=32),
                      progress=False)
    after = evaluate(forward, *val).accuracy
    accuracies = [row["val_accuracy"] for row in result.history]
    assert len(result.history) == 6
    assert after > 0.9 and after > before + 0.3
    assert result.best_val_accuracy == max(accuracies) == after
    assert result.best_epoch == accuracies.index(max(accuracies)) + 1
    for key, value in head.state_dict().items():
        torch.testing.assert_close(value, result.best_state[key])
    assert not head.training


def test_later_worse_epochs_do_not_overwrite_the_best(monkeypatch) -> None:
    """Validation accuracies are scripted (0.5, 0.9, 0.7, 0.6): epoch 2's weights must be kept."""
    import copy

    import hybridxai.training.loop as loop

    torch.manual_seed(0)
    head = RestrictedHead(8, 4, 3, spatial=4)
    script = iter([0.5, 0.9, 0.7, 0.6])
    snapshots = []

    def scripted(forward, inputs, labels, batch_size=256):
        snapshots.append(copy.deepcopy(head.state_dict()))
        return loop.EvalResult(0.0, next(script), torch.zeros(0).numpy())

    monkeypatch.setattr(loop, "evaluate", scripted)
    result = fit_head(head, head, synthetic_stage(64, 0), synthetic_stage(16, 1),
                      TrainConfig(epochs=4, lr=1e-2), progress=False)
    assert result.best_epoch == 2 and result.best_val_accuracy == 0.9
    assert [row["val_accuracy"] for row in result.history] == [0.5, 0.9, 0.7, 0.6]
    for key, value in head.state_dict().items():
        torch.testing.assert_close(value, snapshots[1][key])
    assert not torch.equal(snapshots[1]["fc.weight"], snapshots[3]["fc.weight"])


def test_full_head_trains_its_linear_layer_on_pooled_features() -> None:
    torch.manual_seed(0)
    head = FullHead(8, 3)
    forward = head_forward("full", head)
    assert forward is head.fc
    (xt, yt), (xv, yv) = synthetic_stage(300, 0), synthetic_stage(120, 1)
    result = fit_head(head, forward, (xt.float().mean((2, 3)), yt),
                      (xv.float().mean((2, 3)), yv), TrainConfig(epochs=5, lr=5e-2),
                      progress=False)
    assert result.best_val_accuracy > 0.8
    with torch.no_grad():  # the whole head on the maps gives what fc gives on pooled maps
        torch.testing.assert_close(head(xv.float()), head.fc(xv.float().mean((2, 3))))


def test_config_and_input_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="epochs="):
        TrainConfig(epochs=0)
    with pytest.raises(InvalidArgumentError, match="lr="):
        TrainConfig(lr=-1.0)
    head = FullHead(8, 3)
    with pytest.raises(InvalidArgumentError, match="train/val"):
        fit_head(head, head.fc, (torch.zeros(3, 8), torch.zeros(2, dtype=torch.long)),
                 (torch.zeros(1, 8), torch.zeros(1, dtype=torch.long)), progress=False)
    with pytest.raises(InvalidArgumentError, match="kind="):
        head_forward("half", head)

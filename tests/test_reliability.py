"""State and leak checks over many calls (issue 7): hooks, gradients, training flags, memory."""

from __future__ import annotations

import gc
import os
import warnings

import pytest
import torch

import hybridxai
from hybridxai.exceptions import HybridXAIError


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_thousand_explains_leave_no_state_and_flat_memory(make_cnn, model_checks) -> None:
    hooks_left, training_flags = model_checks
    torch.manual_seed(0)
    model = make_cnn(num_classes=5, seed=0)
    model.train()  # explained in eval mode, handed back in training mode
    flags_before = training_flags(model)
    image = torch.rand(3, 16, 16)
    sampler = hybridxai.get_sampler("exact")

    def run(count: int, *, failing: bool) -> None:
        for i in range(count):
            if failing:
                with pytest.raises(HybridXAIError):
                    hybridxai.explain(model, image, target=99, backend=sampler)
            else:
                hybridxai.explain(model, image, backend=sampler, seed=i, beta=0.7)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run(50, failing=False)  # warm-up: allocator pools, numba, caches
        run(50, failing=True)
        gc.collect()
        before = _rss_bytes()
        run(500, failing=False)
        run(500, failing=True)
        gc.collect()
        after = _rss_bytes()
    growth = after - before
    assert growth < 20 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 1,000 calls"
    assert not hooks_left(model)
    assert training_flags(model) == flags_before
    assert all(p.grad is None for p in model.parameters())

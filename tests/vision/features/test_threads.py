"""U2: several threads explaining with one shared model get the results of serial runs.

The hooks live on the model's modules, so without a lock a thread's hook fires during another
thread's forward pass (maps captured twice or from the wrong image), and one thread's
``eval_mode`` exit puts a model that was in training mode back into it while another thread runs.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from torch import nn

import hybridxai
from hybridxai.vision.features import extract_features
from hybridxai.vision.features.locking import model_lock
from tests.metrics._nets import tiny_cnn

THREADS = 4


def small_cnn() -> nn.Module:
    """Conv → BN → ReLU → Dropout → strided conv → pool → linear; left in *training* mode."""
    return tiny_cnn(seed=1, num_classes=5, dtype=torch.float32)


def images(count: int) -> list[torch.Tensor]:
    rng = np.random.default_rng(7)
    return [torch.from_numpy(rng.random((3, 16, 16), dtype=np.float32)) for _ in range(count)]


def _in_threads(function, items):
    barrier = threading.Barrier(THREADS)

    def run(item):
        barrier.wait(timeout=30)  # all threads start their work together
        return [function(item) for _ in range(3)]

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, items))


@pytest.mark.filterwarnings("ignore:Sequential is in training mode")
def test_u2_four_threads_extract_the_same_features_as_serial_runs() -> None:
    model = small_cnn()
    batch = images(THREADS)
    serial = [extract_features(model, x[None], layer="4") for x in batch]
    results = _in_threads(lambda x: extract_features(model, x[None], layer="4"), batch)
    for expected, runs in zip(serial, results, strict=True):
        for got in runs:
            assert got.targets == expected.targets
            torch.testing.assert_close(got.activations, expected.activations, rtol=0, atol=0)
            torch.testing.assert_close(got.gradients, expected.gradients, rtol=0, atol=0)
    assert model.training and all(m.training for m in model.modules())  # flags restored
    assert not any(m._forward_hooks for m in model.modules())  # no hook left behind


@pytest.mark.filterwarnings("ignore:Sequential is in training mode")
def test_u2_four_threads_explain_like_serial_runs() -> None:
    model = small_cnn()
    batch = images(THREADS)

    def explain(x: torch.Tensor):
        return hybridxai.explain(model, x, backend="exact", seed=0)

    serial = [explain(x) for x in batch]
    results = _in_threads(explain, batch)
    for expected, runs in zip(serial, results, strict=True):
        for got in runs:
            assert got.target == expected.target and got.layer == expected.layer
            assert np.array_equal(got.selected, expected.selected)
            np.testing.assert_array_equal(np.asarray(got.saliency), np.asarray(expected.saliency))
    assert model.training


def test_u2_the_lock_is_one_reentrant_lock_per_model() -> None:
    first, second = small_cnn(), small_cnn()
    assert model_lock(first) is model_lock(first)
    assert model_lock(first) is not model_lock(second)
    with model_lock(first), model_lock(first):  # re-entrant: find_default_layer runs inside it
        pass
    acquired = []
    with model_lock(first):
        thread = threading.Thread(target=lambda: acquired.append(model_lock(first).acquire(timeout=0.05)))
        thread.start()
        thread.join()
    assert acquired == [False]  # another thread waits while one holds the model


def test_u2_a_model_is_not_kept_alive_by_its_lock() -> None:
    import gc
    import weakref

    model = small_cnn()
    model_lock(model)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None

"""The tiny serial reproduction every test of this folder compares with (run once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridxai.reproduce import ReproduceConfig, reproduce
from tests.reproduce.test_reproduce import FASHION, TINY


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``reproduce`` of :data:`TINY` with the default executor (this process); do not modify it."""
    if not FASHION.is_dir():
        pytest.skip("Fashion-MNIST (Debian package dataset-fashion-mnist) is not installed")
    out = tmp_path_factory.mktemp("tiny")
    reproduce(ReproduceConfig(**TINY), out, progress=False)
    return out

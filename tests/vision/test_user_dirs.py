"""Default folders come from platformdirs, and the environment variables still override them."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

from hybridxai.vision.data import default_data_dir


def test_default_data_dir_is_in_the_platform_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("HYBRIDXAI_DATA", raising=False)
    assert default_data_dir() == platformdirs.user_cache_path("hybridxai", appauthor=False) / "datasets"
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        assert default_data_dir() == tmp_path / "hybridxai" / "datasets"


def test_hybridxai_data_overrides_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HYBRIDXAI_DATA", str(tmp_path / "data"))
    assert default_data_dir() == tmp_path / "data"
    monkeypatch.setenv("HYBRIDXAI_DATA", "~/data")
    assert default_data_dir() == Path.home() / "data"
    monkeypatch.setenv("HYBRIDXAI_DATA", "")  # empty: as if unset
    assert default_data_dir().parts[-2:] == ("hybridxai", "datasets")

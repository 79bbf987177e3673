"""The ``progress`` argument shared by the explanations and the exact physics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridxai._util.progress import check_progress, progress_bar, show_progress
from hybridxai.exceptions import InvalidTypeError


class Recorder:
    """A tqdm-like class that remembers how it was made and used."""

    def __init__(self, **options):
        self.options, self.count, self.closed = options, 0, False

    def update(self, n=1):
        self.count += n

    def close(self):
        self.closed = True


@pytest.mark.parametrize("value", [None, True, False, np.bool_(True), Recorder])
def test_accepted_values(value):
    check_progress(value)


@pytest.mark.parametrize("value", ["yes", 1, 0.5, [True]])
def test_other_values_are_refused_with_the_argument_and_the_fix(value):
    with pytest.raises(InvalidTypeError) as info:
        check_progress(value)
    assert str(info.value).startswith("progress has type")
    assert "Fix: pass progress=False" in str(info.value)


@given(default=st.booleans(),
       value=st.sampled_from([None, True, False, np.bool_(True), np.bool_(False), Recorder]))
def test_none_means_the_default_and_anything_else_is_obeyed(default, value):
    expected = default if value is None else bool(value)
    assert show_progress(value, default) is expected


def test_a_given_class_draws_the_bar_with_tqdm_s_arguments():
    bar = progress_bar(Recorder, total=None, desc="min_gap", unit="point", default=True)
    assert isinstance(bar, Recorder)
    assert bar.options == {"total": None, "initial": 0, "desc": "min_gap", "unit": "point",
                           "disable": False}


@pytest.mark.parametrize("value", [None, True, False])
def test_a_bool_or_none_draws_tqdm_s_bar(value):
    bar = progress_bar(value, total=3, desc="x", unit="y", default=False)
    bar.update(3)
    bar.close()
    assert type(bar).__module__.startswith("tqdm")

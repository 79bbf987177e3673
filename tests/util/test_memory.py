"""The shared "too many qubits" check: refused before allocating, with the size that fits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridxai._util.memory import check_statevector_memory
from hybridxai.exceptions import ProblemTooLargeError


@given(d=st.integers(1, 60), per_amplitude=st.integers(1, 512), budget=st.integers(1, 2**40))
def test_refused_exactly_when_the_need_exceeds_the_budget(d, per_amplitude, budget):
    need = 2**d * per_amplitude
    if need <= budget:
        assert check_statevector_memory(d, per_amplitude, backend="x", max_bytes=budget) == need
        return
    with pytest.raises(ProblemTooLargeError) as info:
        check_statevector_memory(d, per_amplitude, backend="x", max_bytes=budget,
                                 fix="keep d <= {fit}")
    message = str(info.value)
    assert message.startswith(f"num_qubits={d} is too large for the 'x' backend")
    if "keep d <= " in message:  # the advised size fits and is smaller than d
        fit = int(message.rsplit("keep d <= ", 1)[1].rstrip("."))
        assert 1 <= fit < d and 2**fit * per_amplitude <= budget
    else:  # not even one qubit fits: only a larger budget helps
        assert 2 * per_amplitude > budget and "not even one qubit fits" in message

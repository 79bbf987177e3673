"""Error classes and the uniform wording: argument, value, problem, fix — on one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hybridxai import exceptions as ex


@pytest.mark.parametrize(
    ("cls", "base"),
    [
        (ex.InvalidArgumentError, ValueError),
        (ex.InvalidTypeError, TypeError),
        (ex.LayerNotFoundError, ValueError),
        (ex.UnknownBackendError, ValueError),
        (ex.ProblemTooLargeError, ValueError),
        (ex.MissingDependencyError, ImportError),
        (ex.ConfigurationError, RuntimeError),
        (ex.ServiceUnavailableError, ConnectionError),
    ],
)
def test_each_error_is_also_the_builtin_users_expect(cls, base):
    assert issubclass(cls, base) and issubclass(cls, ex.HybridXAIError)


def test_invalid_argument_wording():
    err = ex.invalid_argument("beta", 1.5, "must lie in [0, 1]", "pass beta=0.7")
    assert str(err) == "beta=1.5 is invalid: must lie in [0, 1]. Fix: pass beta=0.7."
    assert type(err) is ex.InvalidArgumentError
    custom = ex.invalid_argument("layer", "x", "no such layer", "pick another!",
                                 cls=ex.LayerNotFoundError)
    assert type(custom) is ex.LayerNotFoundError and str(custom).endswith("Fix: pick another!")


def test_invalid_type_wording():
    err = ex.invalid_type("model", "resnet", "a torch.nn.Module", "pass the network")
    assert str(err) == ("model has type str ('resnet'); expected a torch.nn.Module. "
                        "Fix: pass the network.")


def test_describe_value_keeps_messages_short_and_on_one_line():
    assert ex.describe_value(torch.zeros(2, 3)) == "<Tensor shape=(2, 3) dtype=torch.float32>"
    assert ex.describe_value(np.zeros((4,), np.uint8)) == "<ndarray shape=(4,) dtype=uint8>"
    long = ex.describe_value("x" * 500)
    assert len(long) == 80 and long.endswith("...")

    class MultiLine:
        def __repr__(self):
            return "first line\n   second line"

    assert ex.describe_value(MultiLine()) == "first line second line"
    err = ex.invalid_argument("sample", MultiLine(), "is empty", "sample more")
    assert "\n" not in str(err)

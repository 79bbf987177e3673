"""The one target type and parser (hybridxai.vision.targets): forms, class names, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError
from hybridxai.vision.models import ModelInfo, register_model_info
from hybridxai.vision.targets import (
    check_target,
    check_target_range,
    class_index,
    class_names_of,
    parse_targets,
    resolve_targets,
    select_targets,
)

NAMES = ("tench", "tabby, tabby cat", "tiger cat", "crane", "crane, construction crane", "Persian_cat")
IMAGENET = tuple(torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"])


# -- the forms of a target --------------------------------------------------------------------------


def test_resolve_targets_forms():
    logits = torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.0, 1.0]])
    assert resolve_targets(None, logits) == (1, 0)
    assert resolve_targets(2, logits) == (2, 2)
    assert resolve_targets(np.int64(2), logits) == (2, 2)
    assert resolve_targets(np.uint8(2), logits) == (2, 2)
    assert resolve_targets([0, 2], logits) == (0, 2)
    assert resolve_targets((0, 2), logits) == (0, 2)
    assert resolve_targets(torch.tensor([2, 1]), logits) == (2, 1)
    assert resolve_targets(torch.tensor(1), logits) == (1, 1)
    assert resolve_targets(np.array(1), logits) == (1, 1)
    assert resolve_targets(np.array([1, 2]), logits) == (1, 2)
    assert resolve_targets([torch.tensor(2), np.int32(0)], logits) == (2, 0)


def test_names_mix_with_indices_one_for_all_or_one_per_image():
    assert parse_targets("tabby", 3, class_names=NAMES) == (1, 1, 1)
    assert parse_targets(["tiger cat", 0, torch.tensor(5)], 3, class_names=NAMES) == (2, 0, 5)
    assert parse_targets(np.array(["tench", "tabby cat"]), 2, class_names=NAMES) == (0, 1)
    assert parse_targets(None, 4, class_names=NAMES) is None


@pytest.mark.parametrize(
    ("targets", "error"),
    [
        (3, InvalidArgumentError),                      # beyond the 3 classes
        (-1, InvalidArgumentError),                     # negative
        ([0, 1, 2], InvalidArgumentError),              # 3 for 2 images
        ([1], InvalidArgumentError),
        ([0, 7], InvalidArgumentError),
        (torch.tensor([[0, 1]]), InvalidArgumentError),  # 2-D
        (torch.tensor([0.0, 1.0]), InvalidArgumentError),  # float tensor
        (torch.tensor([True, False]), InvalidArgumentError),  # bool tensor
        (np.array([0.5, 1.0]), InvalidArgumentError),
        (1.0, InvalidTypeError),
        ("1", InvalidTypeError),                         # a name, but the names are unknown
        (True, InvalidTypeError),
        (np.bool_(True), InvalidTypeError),
        ([True, 0], InvalidTypeError),
        ([0, "1"], InvalidTypeError),
        ([[0], [1]], InvalidTypeError),
        (object(), InvalidTypeError),
    ],
)
def test_bad_targets_name_the_argument_the_value_and_the_fix(targets, error):
    logits = torch.zeros(2, 3)
    with pytest.raises(error) as info:
        resolve_targets(targets, logits)
    message = str(info.value)
    assert message.startswith("target") and "Fix:" in message
    with pytest.raises(error) as info:  # the metrics' name
        resolve_targets(targets, logits, name="targets")
    assert str(info.value).startswith("targets")


def test_messages_are_the_documented_ones():
    with pytest.raises(InvalidArgumentError, match=r"^target=\[0, 1, 2\] is invalid: gives 3 classes "
                       r"for a batch of 2 images\. Fix: pass one class for all images"):
        parse_targets([0, 1, 2], 2)
    with pytest.raises(InvalidArgumentError, match=r"^targets=7 is invalid: must lie in \[0, 5\) for "
                       r"this model\. Fix: pass a valid class index, or targets=None"):
        check_target_range((0, 7), 5, name="targets")
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        parse_targets(-1, 2)
    with pytest.raises(InvalidTypeError, match=r"target has type str .*class_names="):
        parse_targets("tabby", 1)


def test_select_targets_takes_the_rows_of_a_chunk():
    logits = torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.0, 1.0]])
    assert select_targets(None, logits).tolist() == [1, 0]
    assert select_targets((2, 0, 1, 1), logits, 1).tolist() == [0, 1]
    assert select_targets((2, 0), logits).dtype == torch.long
    with pytest.raises(InvalidArgumentError, match=r"target=3 .*\[0, 3\)"):
        select_targets((0, 3), logits)


def test_check_target_takes_one_class():
    for ok in (None, 3, np.int64(3), torch.tensor(3), np.array(3), "tabby"):
        check_target(ok)
    for bad, error in (([3], InvalidTypeError), (torch.tensor([3]), InvalidTypeError),
                       ((3,), InvalidTypeError), (True, InvalidTypeError), (2.0, InvalidTypeError),
                       (-2, InvalidArgumentError), (torch.tensor(2.0), InvalidArgumentError)):
        with pytest.raises(error, match="^target"):
            check_target(bad)
    with pytest.raises(InvalidTypeError, match="Fix: pass one class index for all images"):
        check_target([1], "pass one class index for all images")


# -- class names --------------------------------------------------------------------------------


def test_names_match_case_spaces_underscores_and_synonyms():
    assert class_index("tabby", NAMES) == 1
    assert class_index("  TABBY   cat ", NAMES) == 1
    assert class_index("tabby, tabby cat", NAMES) == 1
    assert class_index("persian cat", NAMES) == 5
    assert class_index("construction crane", NAMES) == 4
    assert class_index("crane, construction crane", NAMES) == 4  # the whole name first
    assert class_index("tabby, tabby cat", ("tench", "tabby")) == 1  # a query listing synonyms


def test_a_name_of_several_classes_lists_them():
    names = ("crane, bird crane", "crane, construction crane")
    with pytest.raises(InvalidArgumentError) as info:
        class_index("crane", names)
    message = str(info.value)
    assert "target='crane'" in message and "0 ('crane, bird crane')" in message
    assert "1 ('crane, construction crane')" in message and "Fix: pass the class index" in message
    assert class_index("crane", NAMES) == 3  # a whole name beats a synonym of another class


def test_names_differing_in_case_are_told_apart_by_their_spelling():
    assert class_index("Cardigan", IMAGENET) == 264 and class_index("cardigan", IMAGENET) == 474
    with pytest.raises(InvalidArgumentError, match=r"264 \('Cardigan'\), 474 \('cardigan'\)"):
        class_index("CARDIGAN", IMAGENET)


def test_an_unknown_name_lists_close_matches():
    with pytest.raises(InvalidArgumentError) as info:
        class_index("tabbby", IMAGENET, name="targets")
    message = str(info.value)
    assert message.startswith("targets='tabbby' is invalid: is not one of the model's 1000 class names")
    assert "'tabby' (281)" in message and "Fix: pass one of those names" in message
    with pytest.raises(InvalidArgumentError, match="none is close.*Fix: pass a class index"):
        class_index("qqqqqq", IMAGENET)


def test_every_imagenet_name_resolves_to_its_own_index():
    assert all(class_index(name, IMAGENET) == i for i, name in enumerate(IMAGENET))
    assert class_index("tabby", IMAGENET) == 281
    assert class_index("Egyptian_cat", IMAGENET) == 285


def test_registered_names_are_found():
    net = torch.nn.Linear(2, 3)
    assert class_names_of(net) is None
    register_model_info(net, ModelInfo("tiny", None, ("a", "b", "c")))
    assert class_names_of(net) == ("a", "b", "c")
    assert parse_targets("c", 2, class_names=class_names_of(net)) == (2, 2)

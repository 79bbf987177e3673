"""The target classes to explain or score: one type, one parser (in the manner of captum's ``TargetType``).

A target is one class for every image or one class per image, each class given as

* a non-negative integer: a Python ``int``, a numpy integer, a 0-d integer tensor or array;
* a class name, when the model's class names are known (registered by
  :func:`hybridxai.load_pretrained`, or given as ``class_names=``): ``"tabby"``. Names are
  matched without regard to case, ``_`` or repeated spaces; a name listing synonyms (``"tabby,
  tabby cat"``, as in the ImageNet synset lists) is matched by the whole list or by any one of
  them, and a query listing synonyms matches a class carrying any of them. Where that leaves
  several classes, the one spelled with the same case wins; an ambiguous or unknown name is
  refused, with the candidates or its close matches;

or ``None`` for the predicted class (the argmax of each image's logits). Several classes come
as a sequence, a 1-D integer tensor or a 1-D array. Booleans and floats are refused.

Parsing happens before the forward pass (:func:`parse_targets`); the range ``[0, num_classes)``
is checked once the logits are known (:func:`select_targets`). Every error names the argument
(``target`` or ``targets``), the value and the fix.

Example:
    >>> import torch
    >>> names = ("tench", "tabby, tabby cat", "tiger cat")
    >>> parse_targets("Tabby Cat", 2, class_names=names)
    (1, 1)
    >>> parse_targets([torch.tensor(2), "tench"], 2, class_names=names)
    (2, 0)
    >>> resolve_targets(None, torch.tensor([[0.0, 2.0, 1.0]]))
    (1,)
"""

from __future__ import annotations

import difflib
import functools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from hybridxai.exceptions import invalid_argument, invalid_type
from hybridxai.vision.models.pretrained import model_info

__all__ = [
    "TargetLike", "class_names_of", "class_index", "check_target", "parse_targets",
    "check_target_range", "select_targets", "resolve_targets",
]

TargetLike = (int | np.integer | str | torch.Tensor | NDArray[np.integer]
              | Sequence[int | np.integer | str | torch.Tensor] | None)
"""One class for all images or one per image: indices, 0-d/1-D integer tensors, class names."""


def _fix(name: str) -> str:
    return (f"pass one class index for all images (e.g. {name}=281), one per image, a class name "
            f"(e.g. {name}='tabby') when the model's class names are known, or {name}=None for "
            "the predicted class")


def class_names_of(model: nn.Module) -> tuple[str, ...] | None:
    """The class names registered for ``model`` (:func:`hybridxai.vision.models.model_info`), if any.

    Example:
        >>> class_names_of(torch.nn.Linear(2, 2)) is None
        True
    """
    info = model_info(model)
    return info.class_names if info is not None else None


def _spaced(text: str) -> str:
    return " ".join(text.replace("_", " ").split())


def _normal(text: str) -> str:
    return _spaced(text).casefold()


@functools.lru_cache(maxsize=16)
def _name_index(class_names: tuple[str, ...]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Classes by normalised full name, and by each normalised synonym (comma-separated part)."""
    full: dict[str, list[int]] = {}
    synonyms: dict[str, list[int]] = {}
    for i, text in enumerate(class_names):
        full.setdefault(_normal(text), []).append(i)
        for part in text.split(","):
            key = _normal(part)
            if key and i not in synonyms.setdefault(key, []):
                synonyms[key].append(i)
    return full, synonyms


def class_index(label: str, class_names: Sequence[str], *, name: str = "target") -> int:
    """The index of the class called ``label``.

    The whole normalised name is tried first, then its synonyms (see the module docstring).
    Where names differ only in case (ImageNet's ``"Cardigan"``, a dog, and ``"cardigan"``), the
    one spelled exactly as ``label`` is taken.

    Args:
        label: A class name, e.g. ``"tabby"`` or ``"tabby cat"``.
        class_names: The model's class names, by index.
        name: The argument's name, for error messages.

    Returns:
        The class index.

    Raises:
        InvalidArgumentError: No class has that name (the message lists close matches), or the
            name fits several classes (ImageNet has two ``"crane"``; the message lists them).

    Example:
        >>> names = ("tench", "tabby, tabby cat", "tiger cat", "crane", "crane")
        >>> class_index("TABBY_cat", names), class_index("tabby, tabby cat", ("tabby",))
        (1, 0)
        >>> class_index("tabby catt", names)
        Traceback (most recent call last):
        ...
        hybridxai.exceptions.InvalidArgumentError: target='tabby catt' is invalid: is not one of \
the model's 5 class names (close matches: 'tabby, tabby cat' (1)). Fix: pass one of those names \
or a class index, e.g. target='tabby, tabby cat'.
    """
    names = tuple(str(text) for text in class_names)
    full, synonyms = _name_index(names)
    key = _normal(label)
    hits = full.get(key) or sorted({i for part in label.split(",") if _normal(part)
                                    for i in synonyms.get(_normal(part), ())})
    if len(hits) > 1:  # names differing only in case (ImageNet's 'Cardigan' and 'cardigan')
        spelled = [i for i in hits if _spaced(names[i]) == _spaced(label)
                   or _spaced(label) in (_spaced(part) for part in names[i].split(","))]
        hits = spelled if len(spelled) == 1 else hits
    if len(hits) == 1:
        return hits[0]
    if hits:
        listed = ", ".join(f"{i} ({names[i]!r})" for i in hits)
        raise invalid_argument(name, label, f"names {len(hits)} classes of the model: {listed}",
                               f"pass the class index instead, e.g. {name}={hits[0]}")
    close: list[int] = []
    for match in difflib.get_close_matches(key, list(synonyms) + list(full), n=5, cutoff=0.6):
        for i in full.get(match, []) + synonyms.get(match, []):
            if i not in close:
                close.append(i)
    close = close[:5]
    if close:
        listed = ", ".join(f"{names[i]!r} ({i})" for i in close)
        raise invalid_argument(name, label, f"is not one of the model's {len(names)} class names "
                               f"(close matches: {listed})",
                               f"pass one of those names or a class index, e.g. {name}={names[close[0]]!r}")
    raise invalid_argument(name, label, f"is not one of the model's {len(names)} class names "
                           "and none is close", "pass a class index, or a name from the model's "
                           "class names (hybridxai.vision.models.model_info(model).class_names)")


def _values(value: torch.Tensor | np.ndarray, name: str, fix: str) -> Any:
    """The Python value(s) of an integer (or, for arrays, string) tensor/array of at most 1-D."""
    if isinstance(value, torch.Tensor):
        integral = not (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool)
    else:
        integral = value.dtype.kind in "iuUS"
    if not integral or value.ndim > 1:
        raise invalid_argument(name, value, "must be a 0-d or 1-D integer tensor/array (one class "
                               "for all images or one per image)", fix)
    return value.tolist()


def _one(value: Any, name: str, class_names: Sequence[str] | None, fix: str,
         expected: str = "an int (a class index), a class name, a sequence of them or None") -> int:
    """One class: a non-negative index, a 0-d integer tensor/array, or a class name."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        value = _values(value, name, fix)
    if isinstance(value, str):
        if class_names is None:
            raise invalid_type(name, value, "a class index (a class name needs the model's class "
                               "names, which are unknown here)",
                               f"pass the class index (e.g. {name}=281), or give the class names: "
                               "class_names=[...] or hybridxai.vision.models.register_model_info()")
        return class_index(value, class_names, name=name)
    if isinstance(value, (bool, np.bool_)):
        raise invalid_type(name, value, expected, fix)
    try:
        index = operator.index(value)
    except TypeError:
        raise invalid_type(name, value, expected, fix) from None
    if index < 0:
        raise invalid_argument(name, value, "class indices must be non-negative", fix)
    return index


def check_target(target: Any, fix: str | None = None, *, name: str = "target") -> None:
    """Refuse what cannot be a single class for all images (before anything runs).

    Class names are not looked up here (see :func:`parse_targets`), only accepted as strings.

    Args:
        target: ``None``, an index, a 0-d integer tensor/array, or a class name.
        fix: What the message advises instead (default: the general advice).
        name: The argument's name.

    Raises:
        InvalidTypeError: A sequence, a 1-D tensor, a bool, a float …
        InvalidArgumentError: A negative index, a float tensor.

    Example:
        >>> check_target(torch.tensor(3)), check_target("tabby")
        (None, None)
    """
    if fix is None:
        fix = (f"pass one class index (e.g. {name}=281), a class name (e.g. {name}='tabby') when "
               f"the model's class names are known, or {name}=None for the predicted class")
    if target is None or isinstance(target, str):
        return
    if (isinstance(target, (torch.Tensor, np.ndarray)) and target.ndim > 0) or (
            isinstance(target, Sequence) and not isinstance(target, bytes)):
        raise invalid_type(name, target, "one class (an int, a 0-d integer tensor or a class "
                           "name) or None", fix)
    _one(target, name, None, fix, expected="an int (a class index), a class name or None")


def parse_targets(
    targets: TargetLike,
    n: int,
    *,
    name: str = "target",
    class_names: Sequence[str] | None = None,
) -> tuple[int, ...] | None:
    """Parse targets for ``n`` images, before the forward pass.

    Args:
        targets: ``None`` (the argmax, chosen later), one class for all images, or a sequence /
            1-D tensor / 1-D array of ``n`` classes; classes as described in the module docstring.
        n: The number of images.
        name: The argument's name, for error messages (``"target"`` or ``"targets"``).
        class_names: The model's class names, to look up names; ``None`` refuses names.

    Returns:
        ``None``, or ``n`` non-negative class indices (their upper bound is checked by
        :func:`select_targets` once the logits are known).

    Raises:
        InvalidArgumentError: A wrong count, a negative index, a tensor of another rank or dtype,
            an unknown or ambiguous class name.
        InvalidTypeError: A bool, a float, a string when the class names are unknown, …

    Example:
        >>> import numpy as np
        >>> parse_targets(np.int64(3), 2), parse_targets(np.array([1, 2]), 2), parse_targets(None, 2)
        ((3, 3), (1, 2), None)
    """
    if targets is None:
        return None
    fix = _fix(name)
    items: Any = targets
    if isinstance(items, (torch.Tensor, np.ndarray)):
        items = _values(items, name, fix)
    if isinstance(items, Sequence) and not isinstance(items, (str, bytes)):
        if len(items) != n:
            raise invalid_argument(name, items, f"gives {len(items)} classes for a batch of {n} "
                                   "images", "pass one class for all images or exactly one per image")
        return tuple(_one(item, name, class_names, fix) for item in items)
    return (_one(items, name, class_names, fix),) * n


def check_target_range(chosen: Sequence[int] | None, num_classes: int, *, name: str = "target") -> None:
    """Refuse parsed targets outside ``[0, num_classes)`` (known after the first forward pass).

    Raises:
        InvalidArgumentError: Naming the first class out of range.
    """
    bad = [t for t in chosen or () if not 0 <= t < num_classes]
    if bad:
        raise invalid_argument(name, bad[0], f"must lie in [0, {num_classes}) for this model",
                               f"pass a valid class index, or {name}=None for the predicted class")


def select_targets(
    chosen: Sequence[int] | None, logits: torch.Tensor, start: int = 0, *, name: str = "target"
) -> torch.Tensor:
    """The target classes of the images ``start .. start + B`` whose logits ``(B, C)`` are given.

    Args:
        chosen: The result of :func:`parse_targets` for the whole batch.
        logits: The logits of ``B`` consecutive images.
        start: The index of the first of them in the batch.
        name: The argument's name, for error messages.

    Returns:
        A long tensor ``(B,)`` on the logits' device: the given classes (range-checked), or the
        argmax of each row when ``chosen`` is ``None``.

    Example:
        >>> logits = torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.0, 1.0]])
        >>> select_targets(None, logits).tolist(), select_targets((2, 0, 1), logits, 1).tolist()
        ([1, 0], [0, 1])
    """
    if chosen is None:
        return logits.argmax(dim=1)
    check_target_range(chosen, logits.shape[1], name=name)
    part = chosen[start:start + logits.shape[0]]
    return torch.tensor(part, dtype=torch.long, device=logits.device)


def resolve_targets(
    targets: TargetLike,
    logits: torch.Tensor,
    *,
    name: str = "target",
    class_names: Sequence[str] | None = None,
) -> tuple[int, ...]:
    """Target class per image: :func:`parse_targets` and :func:`select_targets` in one step.

    Args:
        targets: ``None`` (argmax of each image's logits), one class for every image, or one
            per image.
        logits: Shape ``(N, num_classes)``.
        name: The argument's name, for error messages.
        class_names: The model's class names, to look up names.

    Returns:
        A tuple of ``N`` class indices.

    Example:
        >>> resolve_targets("b", torch.zeros(2, 3), class_names=("a", "b", "c"))
        (1, 1)
    """
    chosen = parse_targets(targets, logits.shape[0], name=name, class_names=class_names)
    return tuple(int(t) for t in select_targets(chosen, logits, name=name).tolist())

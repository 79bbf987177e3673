"""The settings of an explanation, in one typed, frozen object checked once.

:class:`ExplainSettings` holds every setting that :func:`hybridxai.explain`,
:func:`hybridxai.explain_batch`, :func:`hybridxai.explain_folder` and the ``hybridxai explain``
command share (class, layer, solver and its options, trade-off, seed …). Each value is checked
when the object is made, before any model is loaded or run; :meth:`ExplainSettings.sampler`
then builds the solver and checks its options (the backends' pre-flight check). The three
functions build it from their keywords with :meth:`ExplainSettings.from_keywords`, which also
sorts the remaining keywords into the solver's options and refuses misspelt ones with a
``TypeError`` suggesting the closest name; users who keep one set of settings pass it as
``settings=``.

Example:
    >>> settings = ExplainSettings(backend="exact", beta=0.7, seed=0, max_qubits=8)
    >>> settings.beta, settings.sampler_options
    (0.7, {})
    >>> ExplainSettings.from_keywords({"seed": 1}, {"num_reads": 5}).sampler_options
    {'num_reads': 5}
    >>> ExplainSettings(beta=2)
    Traceback (most recent call last):
    ...
    hybridxai.exceptions.InvalidArgumentError: beta=2 is invalid: must lie in [0, 1]. Fix: pass
    e.g. beta=0.7, or beta=None for the paper's default.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dimod
import numpy as np
import torch
from torch import nn

from hybridxai._util.checks import check_flag, check_positive_int, check_seed
from hybridxai._util.progress import ProgressLike, check_progress
from hybridxai.anneal.qubo import check_importance_mode
from hybridxai.backends.annealing import AnnealingSampler
from hybridxai.backends.base import BaseSampler
from hybridxai.backends.registry import BACKENDS, get_sampler
from hybridxai.exceptions import InvalidArgumentError, InvalidTypeError, invalid_argument, invalid_type
from hybridxai.vision.features.layers import LayerLike
from hybridxai.vision.targets import TargetLike, check_target, parse_targets

__all__ = ["ExplainSettings", "SETTING_NAMES", "UnknownSettingError", "backend_name",
           "QUANTUM_MAX_QUBITS"]

QUANTUM_MAX_QUBITS = AnnealingSampler.default_max_variables
"""``max_qubits`` of the annealing samplers when none is given (their
:attr:`~hybridxai.backends.base.BaseSampler.default_max_variables`): the README's quantum
example's size. Measured (docs/backends.md, "Getting the optimum from a quantum backend"): with the
samplers' defaults the returned selection was the exact optimum on every saved real instance at
d = 12 and 16 and on the bundled photos, and one ``explain`` at d = 16 takes about 5 s on 2 cores."""


def backend_name(backend: str | dimod.Sampler) -> str:
    """The name recorded for a backend: its registry name, or the sampler's class name.

    Example:
        >>> backend_name("sa"), backend_name(dimod.ExactSolver())
        ('sa', 'ExactSolver')
    """
    return backend if isinstance(backend, str) else type(backend).__name__


class UnknownSettingError(InvalidArgumentError, TypeError):
    """A keyword that is neither a setting nor an option of the chosen backend (a ``TypeError``).

    Also an :class:`~hybridxai.exceptions.InvalidArgumentError` (a ``ValueError``), as unknown
    sampler options were before they were told apart from misspelt settings.
    """


def _check_beta(beta: Any) -> float | None:
    fix = "pass e.g. beta=0.7, or beta=None for the paper's default"
    if beta is None:
        return None
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, numbers.Real):
        raise invalid_type("beta", beta, "a number in [0, 1] or None", fix)
    if math.isnan(float(beta)) or not 0.0 <= float(beta) <= 1.0:
        raise invalid_argument("beta", beta, "must lie in [0, 1]", fix)
    return float(beta)


def _check_gamma(gamma: Any) -> float:
    if (isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, numbers.Real)
            or not math.isfinite(float(gamma)) or gamma < 0):
        raise invalid_argument("gamma", gamma, "must be a finite number >= 0", "pass e.g. gamma=1.0")
    return float(gamma)


def _check_targets(target: Any) -> None:
    """One class for all images, or a sequence / 1-D tensor of classes (one per image)."""
    if isinstance(target, (torch.Tensor, np.ndarray)):  # rank and dtype; names cannot be in a tensor
        parse_targets(target, int(target.shape[0]) if target.ndim == 1 else 1)
        return
    if isinstance(target, Sequence) and not isinstance(target, (str, bytes)):
        if not target:
            raise invalid_argument("target", target, "is an empty list",
                                   "pass one class per image, or target=None for the predicted ones")
        for item in target:
            check_target(item)
        return
    check_target(target)


def _check_layer(layer: Any) -> None:
    """The layer's type (its name is looked up in the model by :mod:`hybridxai.vision.features`)."""
    fix = "pass e.g. layer='features.18' or layer=['features.17', 'features.18']"
    parts = layer if isinstance(layer, (list, tuple)) else [layer]
    if isinstance(layer, (list, tuple)) and not layer:
        raise invalid_argument("layer", layer, "is an empty list", fix)
    for part in parts:
        if part is None and len(parts) == 1:
            continue
        if not isinstance(part, (str, nn.Module)):
            raise invalid_type("layer", part, "an nn.Module, a dotted name (str), a list of them or None",
                               fix)
        if isinstance(part, str) and not part.strip():
            raise invalid_argument("layer", part, "is an empty name", fix)


def _check_class_names(names: Any) -> tuple[str, ...] | None:
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence) \
            or not all(isinstance(n, str) for n in names):
        raise invalid_type("class_names", names, "a sequence of class names (str) or None",
                           "pass e.g. class_names=['cat', 'dog']")
    return tuple(names)


@dataclass(frozen=True)
class ExplainSettings:
    """Every setting of an explanation, checked when made (frozen: use ``dataclasses.replace``).

    Attributes:
        target: Class to explain: an index (``int``, numpy integer, 0-d tensor) or a class name
            (``"tabby"``); for several images also one per image; ``None``: the predicted class.
        layer: Target layer (module or dotted name), or a list of layers whose maps are joined
            along channels; ``None``: the last spatial feature maps.
        backend: A registry name (``"sa"``, ``"exact"``, ``"statevector"`` …) or a
            ``dimod.Sampler``.
        beta: Importance/redundancy trade-off in [0, 1]; ``None``: 0.7 for problems of up to 64
            variables, else 0.99.
        seed: Solver seed, an integer in ``[0, 2**32)``; ``None``: the sampler's, else drawn.
        max_qubits: Keep only this many most important positive maps. ``None``: all of them for
            classical backends, and :data:`QUANTUM_MAX_QUBITS` (16) for the annealing samplers
            (``statevector``, ``aer``, ``pennylane``, ``ibm-runtime``), whose state grows as
            ``2**d`` (see :meth:`qubits_for`).
        cardinality: Target number of selected maps ``k`` (penalty ``gamma·(Σn − k)²``).
        gamma: Strength of that penalty (≥ 0).
        importance: How each map's importance is computed (``"gradcam"``, ``"contribution"``,
            ``"gradcam++"``; see :data:`hybridxai.anneal.qubo.IMPORTANCE_MODES`).
        transform: Preprocessing of raw pictures; ``None``: the model's registered one.
        class_names: Names of the classes; ``None``: the model's registered ones.
        analyze: Also compute the anneal's minimum gap.
        progress: Show a progress bar (``None``: the runner's default), or a tqdm-compatible
            class to draw it with (called like ``tqdm(total=, initial=, desc=, unit=,
            disable=)``; e.g. ``tqdm.rich.tqdm``).
        sampler_options: Options of the solver's ``sample`` (``num_reads``, ``total_time`` …).
    """

    target: TargetLike = None
    layer: LayerLike = None
    backend: str | dimod.Sampler = "sa"
    beta: float | None = None
    seed: int | None = None
    max_qubits: int | None = None
    cardinality: int | None = None
    gamma: float = 1.0
    importance: str = "gradcam"
    transform: Callable[[Any], torch.Tensor] | None = None
    class_names: Sequence[str] | None = None
    analyze: bool = False
    progress: ProgressLike = None
    sampler_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Check every value (no model or solver work) and normalise numbers to Python types."""
        set_ = object.__setattr__
        _check_targets(self.target)
        _check_layer(self.layer)
        if not isinstance(self.backend, (str, dimod.Sampler)):
            raise invalid_type("backend", self.backend, "a backend name (str) or a dimod.Sampler",
                               "pass e.g. backend='sa' or backend=hybridxai.get_sampler('exact')")
        set_(self, "beta", _check_beta(self.beta))
        set_(self, "seed", check_seed(self.seed))
        if self.max_qubits is not None:
            set_(self, "max_qubits", check_positive_int(
                "max_qubits", self.max_qubits, "pass e.g. max_qubits=16 for quantum backends, or None"))
        if self.cardinality is not None:  # its upper bound, d, is known once the maps are
            k = self.cardinality
            if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 0:
                raise invalid_argument("cardinality", k, "must be an integer with 0 <= k",
                                       "pass e.g. cardinality=5, or cardinality=None for no size penalty")
            set_(self, "cardinality", int(k))
        set_(self, "gamma", _check_gamma(self.gamma))
        check_importance_mode(self.importance)
        if self.transform is not None and not callable(self.transform):
            raise invalid_type("transform", self.transform, "a callable (picture -> tensor) or None",
                               "pass e.g. weights.transforms(), or None for the model's registered one")
        set_(self, "class_names", _check_class_names(self.class_names))
        check_flag("analyze", self.analyze)
        check_progress(self.progress)
        if not isinstance(self.sampler_options, Mapping) or not all(
                isinstance(k, str) for k in self.sampler_options):
            raise invalid_type("sampler_options", self.sampler_options, "a mapping of option names to values",
                               "pass e.g. sampler_options={'num_reads': 100}")
        set_(self, "sampler_options", dict(self.sampler_options))

    @property
    def backend_name(self) -> str:
        """The backend's registry name, or the sampler's class name."""
        return backend_name(self.backend)

    def qubits_for(self, sampler: dimod.Sampler) -> int | None:
        """The ``max_qubits`` used with ``sampler``: the setting, or its default for that solver.

        Example:
            >>> ExplainSettings().qubits_for(get_sampler("statevector"))
            16
            >>> ExplainSettings().qubits_for(get_sampler("sa")) is None
            True
        """
        if self.max_qubits is not None:
            return self.max_qubits
        return getattr(sampler, "default_max_variables", None)

    def sampler(self) -> dimod.Sampler:
        """Build the solver and check :attr:`sampler_options` against it, before any model work.

        Returns:
            The ``dimod.Sampler``.

        Raises:
            UnknownBackendError: The backend name is not registered.
            MissingDependencyError: Its optional SDK is not installed.
            InvalidArgumentError: An option it does not take, or a bad option value.

        Example:
            >>> ExplainSettings(backend="exact").sampler().__class__.__name__
            'ExactSampler'
        """
        sampler = get_sampler(self.backend)
        own = isinstance(sampler, BaseSampler)
        known = set(sampler.parameters)
        unknown = set(self.sampler_options) - known
        if unknown and not (own and sampler.forwards_unknown_options):  # remote solvers check those
            raise invalid_argument(
                "sampler_options", sorted(unknown), f"not accepted by the '{self.backend_name}' backend"
                + _elsewhere(sorted(unknown)), f"use some of {sorted(known)} or another backend")
        if own:  # hybridxai's backends check values in their pre-flight check
            sampler.check_options(**self.sampler_options)
        return sampler

    @classmethod
    def from_keywords(cls, given: Mapping[str, Any], extra: Mapping[str, Any], *,
                      settings: ExplainSettings | None = None, caller: str = "explain") -> ExplainSettings:
        """The settings of one call of ``explain``/``explain_batch``/``explain_folder``.

        Args:
            given: The call's setting keywords (names of :data:`SETTING_NAMES`; others ignored).
            extra: The remaining keywords (``**sampler_options``): options of the backend's
                ``sample``, or mistakes.
            settings: An :class:`ExplainSettings` passed as ``settings=``; the setting keywords
                must then be left at their defaults.
            caller: The function's name, for messages.

        Returns:
            The checked settings.

        Raises:
            TypeError: A keyword that is neither a setting nor an option of the chosen backend
                (:class:`UnknownSettingError`, naming the closest names); ``settings=`` that is
                not an :class:`ExplainSettings`, or given together with other settings
                (:class:`~hybridxai.exceptions.InvalidTypeError`).
            InvalidArgumentError: A bad value; or an option of another backend (``total_time``
                for ``"sa"``).
        """
        values = {k: v for k, v in given.items() if k in SETTING_NAMES and k != "sampler_options"}
        if settings is not None:
            if not isinstance(settings, ExplainSettings):
                raise invalid_type("settings", settings, "an ExplainSettings or None",
                                   "pass settings=hybridxai.ExplainSettings(...)")
            base = {f.name: f.default for f in dataclasses.fields(cls) if f.name != "sampler_options"}
            changed = sorted(k for k, v in values.items() if not _same(v, base.get(k)))
            if changed or extra:
                change = f"{changed[0]}=..." if changed else "sampler_options={...}"
                raise InvalidTypeError(
                    f"{caller}() got settings= and also {', '.join(changed + sorted(extra))}. Fix: pass "
                    f"the settings in one place, e.g. settings=dataclasses.replace(settings, {change}).")
            return settings
        if extra:
            backend = values.get("backend", "sa")
            if not isinstance(backend, (str, dimod.Sampler)):
                cls(backend=backend)  # raises the type error
            _check_unknown(caller, sorted(extra), get_sampler(backend), backend_name(backend))
        return cls(**values, sampler_options=dict(extra))


SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ExplainSettings))
"""The fields of :class:`ExplainSettings`."""


def _same(a: Any, b: Any) -> bool:
    try:
        return a is b or bool(a == b)
    except Exception:  # noqa: BLE001 - tensors, arrays: not a default
        return False


def _core_options() -> dict[str, list[str]]:
    """``{option: [backends taking it]}`` over the backends that need no optional SDK."""
    found: dict[str, list[str]] = {}
    for name, spec in BACKENDS.items():
        if spec.extra is not None:
            continue
        try:
            parameters = get_sampler(name).parameters
        except Exception:  # noqa: BLE001 - a backend that cannot be built here says nothing
            continue
        for option in parameters:
            found.setdefault(option, []).append(name)
    return found


def _elsewhere(names: Sequence[str]) -> str:
    where = _core_options()
    hints = [f"{n} is an option of the {', '.join(repr(b) for b in where[n])} backend" for n in names
             if n in where]
    return f" ({'; '.join(hints)})" if hints else ""


def _check_unknown(caller: str, names: Sequence[str], sampler: dimod.Sampler, backend: str) -> None:
    """Refuse misspelt keywords (``TypeError`` with the closest names) before anything runs.

    A keyword that the backend takes is its option. One that another built-in backend takes
    (``total_time`` with ``"sa"``) is left to :meth:`ExplainSettings.sampler`'s message. A remote
    backend that forwards unknown options to its solver gets every name not close to a setting.
    """
    options = list(sampler.parameters)
    forwards = isinstance(sampler, BaseSampler) and sampler.forwards_unknown_options
    for name in names:
        if name in options:
            continue
        if name in SETTING_NAMES:  # a setting this function does not take as a keyword
            raise UnknownSettingError(
                f"{caller}() got an unexpected keyword argument {name!r}. Fix: pass "
                f"settings=ExplainSettings({name}=...) instead.")
        near_setting = difflib.get_close_matches(name, SETTING_NAMES, n=3, cutoff=0.6)
        if (forwards or name in _core_options()) and not near_setting:
            continue
        close = difflib.get_close_matches(name, list(dict.fromkeys([*SETTING_NAMES, *options])), n=3,
                                        cutoff=0.6)
        hint = f"did you mean {' or '.join(f'{c}=' for c in close)}?" if close else (
            f"the settings are {', '.join(SETTING_NAMES)}; the {backend!r} backend's options are "
            f"{', '.join(options) or 'none'}")
        raise UnknownSettingError(
            f"{caller}() got an unexpected keyword argument {name!r}: not a setting of {caller}() and "
            f"not an option of the {backend!r} backend. Fix: {hint}")

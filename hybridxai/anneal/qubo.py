"""The feature-selection QUBO of docs/method.md (the paper's eqs 1–5).

For one image with feature maps ``A`` (``K×h×w``) and gradients ``G = ∂y_c/∂A``:

1. ``alpha_k = mean_ij G_k[i, j]`` (the GradCAM weight; other importance modes:
   :data:`IMPORTANCE_MODES`, :func:`importance`);
2. ``P = {k : alpha_k > 0}`` (optionally only the ``max_qubits`` largest), ``d = |P|``;
3. ``h_p = alpha_p / max_{q∈P} alpha_q`` ∈ (0, 1];
4. ``J_pq = |<A_p, A_q>| / (‖A_p‖·‖A_q‖)``, ``J_pp = 0``, ``J = 0`` for a zero map;
5. ``H_P(n) = (1 − beta)·Σ_{p<q} J_pq n_p n_q − beta·Σ_p h_p n_p [+ gamma·(Σ_p n_p − k)²]``.

``n_p = 1`` selects feature map ``p``. The BQM's variable labels are the original channel
indices, in ascending order (so qubit 0 is the lowest selected channel).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import dimod
import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from hybridxai._util.blas import blas_threads
from hybridxai._util.checks import check_positive_int
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["FeatureQubo", "build_qubo", "importance", "redundancy", "IMPORTANCE_MODES",
           "check_importance_mode"]

Conventions = Literal["hybridxai", "authors"]
ImportanceScale = Literal["max", "raw"]

CONVENTIONS: dict[str, tuple[float, float]] = {"hybridxai": (1.0, 1.0), "authors": (1.0, 1.0)}
"""Factors of the importance and the pair term of ``H_P`` under each convention (see :func:`build_qubo`).

Both are 1: the authors' simulation builds ``H_P`` from ``pz = (I − Z)/2 = n`` (checc1/FS_QA
``src/finalSimulation.py`` line 3, ``from qutip_class import *``; ``src/utils/qutip_class.py``
line 107), which is hybridxai's form. The ``pz = I − Z = 2n`` of ``src/utils/qutip_utils.py``
line 110 is in a module their simulation does not import.
"""

IMPORTANCE_SCALES = ("max", "raw")

ImportanceMode = Literal["gradcam", "contribution", "gradcam++"]

IMPORTANCE_MODES: tuple[str, ...] = ("gradcam", "contribution", "gradcam++")
"""How :func:`importance` turns one image's maps ``A`` and gradients ``G = ∂y_c/∂A`` into ``alpha``.

* ``"gradcam"`` (default): ``alpha_k = mean_ij G_k[i, j]``, GradCAM's weight (the paper's eq. 1).
  After the last convolution of a network that ends in global average pooling and a linear
  classifier (MobileNetV2's ``features.18``, ResNet's ``layer4``) ``G_k = W[c, k]/(h·w)`` at every
  position, so ``alpha`` is the same for every image of a class (docs/faithfulness.md).
* ``"contribution"``: ``alpha_k = mean_ij G_k[i, j]·A_k[i, j]``, the map's first-order
  contribution to the logit (gradient × activation). It depends on the image at every layer; at
  such a last layer ``h·w·Σ_k alpha_k`` is exactly the logit minus the classifier's bias. Meant
  for maps after a ReLU: on signed maps (MobileNetV2's linear-bottleneck block outputs
  ``features.17``, ``features.14``) its selections measured clearly less faithful.
* ``"gradcam++"``: GradCAM++'s weights (Chattopadhay et al. 2018, eq. 19, with the gradients of
  the logit, as pytorch-grad-cam's ``GradCAMPlusPlus`` computes them):
  ``alpha_k = Σ_ij a_kij·relu(G_k[i, j])``, ``a_kij = G²/(2G² + Σ_ab A_k[a, b]·G³ + 1e-6)``
  (0 where ``G = 0``). Never negative; image-dependent through ``Σ_ab A_k``.
"""


def check_importance_mode(mode: object, name: str = "importance") -> str:
    """Check an importance mode (one of :data:`IMPORTANCE_MODES`) and return it.

    Args:
        mode: The value given.
        name: The argument's name in the error message.

    Returns:
        The mode (a str).

    Raises:
        InvalidArgumentError: Anything that is not one of :data:`IMPORTANCE_MODES`.

    Example:
        >>> check_importance_mode("contribution")
        'contribution'
    """
    if not isinstance(mode, str) or mode not in IMPORTANCE_MODES:
        raise invalid_argument(name, mode, f"is not an importance mode ({', '.join(IMPORTANCE_MODES)})",
                               f"pass {name}='gradcam' (GradCAM's weight, the default), "
                               f"{name}='contribution' (gradient × activation) or {name}='gradcam++'")
    return mode


def _as_array(x: ArrayLike | torch.Tensor, name: str) -> NDArray[np.float64]:
    if isinstance(x, torch.Tensor):
        x = x.detach().to("cpu", torch.float64).numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid_type(name, x, "a numeric array or tensor of shape (K, h, w)",
                           "pass the feature maps of one image, e.g. features.activations[0]") from None
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise invalid_argument(name, arr, "must have shape (K, h, w) (or (K, n) flattened maps)",
                               "pass one image's maps; index a batch with [i]")
    if arr.shape[0] == 0:
        raise invalid_argument(name, arr, "has no feature maps (K = 0)", "pass at least one map")
    if not np.all(np.isfinite(arr)):
        raise invalid_argument(name, arr, "contains NaN or inf values",
                               "check the model and input; non-finite maps cannot be compared")
    return arr


def _weights(g: torch.Tensor, a: torch.Tensor | None, mode: str) -> torch.Tensor:
    """``alpha`` of float64 CPU tensors ``(..., K, h, w)`` under ``mode`` (see :data:`IMPORTANCE_MODES`)."""
    if mode == "gradcam":
        return g.mean(dim=(-2, -1))
    assert a is not None
    if mode == "contribution":
        return (g * a).mean(dim=(-2, -1))
    g2 = g * g
    total = a.sum(dim=(-2, -1), keepdim=True)
    aij = torch.where(g != 0, g2 / (2.0 * g2 + total * g2 * g + 1e-6), torch.zeros_like(g))
    return (aij * g.clamp_min(0.0)).sum(dim=(-2, -1))


def importance(
    gradients: ArrayLike | torch.Tensor,
    activations: ArrayLike | torch.Tensor | None = None,
    *,
    mode: ImportanceMode = "gradcam",
) -> NDArray[np.float64] | torch.Tensor:
    """The importance ``alpha_k`` of each map (eq. 1): the one implementation.

    By default GradCAM's weight ``alpha_k = (1/(h·w))·Σ_ij G_k[i, j]``; ``mode`` chooses another
    rule (:data:`IMPORTANCE_MODES`: ``"contribution"`` = mean of gradient × activation,
    ``"gradcam++"``), which needs the ``activations`` too.

    The QUBO, :attr:`hybridxai.vision.features.FeatureBatch.importance`, GradCAM
    (:func:`hybridxai.baselines.gradcam_weights`), the explanation and the reproduction all
    use this function, so their ``alpha`` agree bit for bit: it is always computed in
    float64, on the CPU, over a contiguous copy, whatever the input's device, dtype, layout or
    batch size (the same image in a batch of one or of many gives the same bits).

    Args:
        gradients: ``∂y_c/∂A``: a tensor ``(..., K, h, w)`` (one image or a batch), or one
            image's ``(K, h, w)`` / ``(K, n)`` (flattened maps) as an array-like (checked finite)
            or a tensor.
        activations: The maps ``A``, the gradients' shape; needed by every mode but
            ``"gradcam"`` (ignored there).
        mode: ``"gradcam"`` (default), ``"contribution"`` or ``"gradcam++"``.

    Returns:
        For a tensor: a float64 tensor ``(..., K)`` on the tensor's device (detached). Otherwise
        a float64 numpy array ``(K,)``.

    Raises:
        InvalidArgumentError: A tensor with fewer than 2 dimensions, an array of another
            shape or with NaN/inf, an unknown ``mode``, or missing or mismatched
            ``activations`` for a mode that needs them.

    Example:
        >>> import numpy as np, torch
        >>> g = np.array([[[1.0, 3.0], [0.0, 0.0]], [[-2.0, -2.0], [-2.0, -2.0]]])
        >>> importance(g).tolist(), importance(torch.tensor(g[None], dtype=torch.float32)).tolist()
        ([1.0, -2.0], [[1.0, -2.0]])
        >>> a = np.array([[[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]])
        >>> importance(g, a, mode="contribution").tolist()
        [0.75, -0.5]
    """
    mode = check_importance_mode(mode, "mode")
    tensor = isinstance(gradients, torch.Tensor)
    if tensor:
        if gradients.dim() < 2:
            raise invalid_argument("gradients", gradients, "must have shape (..., K, h, w) or (K, n)",
                                   "pass FeatureBatch.gradients or one image's gradients[i]")
        g = gradients.detach().to("cpu", torch.float64).contiguous()
        g = g[:, :, None] if g.dim() == 2 else g  # (K, n) flattened maps
    else:
        g = torch.tensor(np.ascontiguousarray(_as_array(gradients, "gradients")))
    a = None
    if mode != "gradcam":
        if activations is None:
            raise invalid_argument("activations", None, f"are needed by mode={mode!r}",
                                   "pass the feature maps A of the same layer and image(s)")
        if isinstance(activations, torch.Tensor):
            a = activations.detach().to("cpu", torch.float64).contiguous()
            a = a[:, :, None] if a.dim() == 2 else a
        else:
            a = torch.tensor(np.ascontiguousarray(_as_array(activations, "activations")))
        if a.shape != g.shape:
            raise invalid_argument("activations", tuple(a.shape),
                                   f"must have the gradients' shape {tuple(g.shape)}",
                                   "pass the maps and gradients of the same layer and image(s)")
    alpha = _weights(g, a, mode)
    return alpha.to(gradients.device) if tensor else alpha.numpy()  # type: ignore[union-attr]


def redundancy(activations: ArrayLike | torch.Tensor) -> NDArray[np.float64]:
    """Absolute cosine similarity between flattened maps (eq. 4), zero diagonal.

    Maps with zero norm have ``J = 0`` with every other map.

    Example:
        >>> import numpy as np
        >>> redundancy(np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0]])).tolist()
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    a = _as_array(activations, "activations")
    flat = a.reshape(a.shape[0], -1)
    norms = np.linalg.norm(flat, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    unit = flat / safe[:, None]
    unit[norms == 0] = 0.0
    with blas_threads(1):  # a small product; idle BLAS threads would spin and slow what follows
        j = np.abs(unit @ unit.T)
    np.fill_diagonal(j, 0.0)
    return np.clip(j, 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class FeatureQubo:
    """The QUBO of one image.

    Attributes:
        channels: Original indices of the filtered maps ``P`` (ascending) — the BQM labels.
        alpha: Importance of all ``K`` maps (GradCAM weights unless ``importance_mode`` says otherwise).
        h: Normalised importance of the filtered maps, ``(d,)``.
        J: Redundancy between the filtered maps, ``(d, d)`` symmetric, zero diagonal.
        beta: Trade-off between redundancy and importance, in [0, 1].
        cardinality: ``k`` of the optional penalty ``gamma·(Σ n − k)²``, or ``None``.
        gamma: Penalty strength (unused when ``cardinality`` is ``None``).
        max_qubits: The cap on ``d`` that was applied, or ``None``.
        dropped: Positive maps left out because of ``max_qubits`` (descending importance).
        bqm: The BINARY ``dimod.BinaryQuadraticModel`` (labels = ``channels``).
        conventions: ``"hybridxai"`` or ``"authors"`` (see :func:`build_qubo`).
        importance_scale: ``"max"`` (``h = α/max α``) or ``"raw"`` (``h = α``).
        importance_mode: How ``alpha`` was computed (:data:`IMPORTANCE_MODES`).
    """

    channels: tuple[int, ...]
    alpha: NDArray[np.float64]
    h: NDArray[np.float64]
    J: NDArray[np.float64]
    beta: float
    cardinality: int | None
    gamma: float
    max_qubits: int | None
    dropped: tuple[int, ...]
    bqm: dimod.BinaryQuadraticModel = field(repr=False)
    conventions: str = "hybridxai"
    importance_scale: str = "max"
    importance_mode: str = "gradcam"

    @property
    def num_feature_maps(self) -> int:
        """``K``, the number of maps at the layer."""
        return int(self.alpha.shape[0])

    @property
    def num_variables(self) -> int:
        """``d``, the number of binary variables (qubits)."""
        return len(self.channels)

    @property
    def num_positive(self) -> int:
        """Number of maps with ``alpha > 0`` (before any ``max_qubits`` cap)."""
        return int(np.sum(self.alpha > 0))

    def selection_vector(
        self, selection: Iterable[int] | Mapping[Any, int] | NDArray[np.bool_]
    ) -> NDArray[np.int8]:
        """Binary vector over ``channels`` for a selection.

        Args:
            selection: Selected channel indices (any iterable of ints), a sample mapping
                ``{channel: value}`` (BINARY 1 or SPIN +1 = selected), or a boolean mask of
                length ``d`` over ``channels``.

        Returns:
            ``n`` of shape ``(d,)``.
        """
        if isinstance(selection, Mapping):
            return self._vector(self.interpret(selection))
        if isinstance(selection, np.ndarray) and selection.dtype == np.bool_:
            if selection.shape != (len(self.channels),):
                raise invalid_argument("selection", selection,
                                       f"a boolean mask must have shape ({len(self.channels)},)",
                                       "pass one flag per filtered channel (qubo.channels)")
            return selection.astype(np.int8)
        return self._vector(selection)

    def _vector(self, channels: Iterable[int]) -> NDArray[np.int8]:
        index = {c: i for i, c in enumerate(self.channels)}
        n = np.zeros(len(self.channels), dtype=np.int8)
        for c in channels:
            if isinstance(c, (bool, np.bool_)) or (isinstance(c, torch.Tensor) and c.dtype == torch.bool):
                raise invalid_argument(
                    "selection", c, "holds booleans, which would be read as channel indices 0 and 1",
                    f"pass a numpy boolean mask of shape ({len(self.channels)},) or the selected "
                    "channel indices",
                )
            c_int = int(c)
            if c_int not in index:
                raise invalid_argument(
                    "selection", c_int, "is not one of the QUBO's channels",
                    f"select among the {len(self.channels)} filtered channels (qubo.channels)",
                )
            n[index[c_int]] = 1
        return n

    @property
    def importance_weight(self) -> float:
        """The coefficient of ``-Σ_p h_p n_p`` in ``H_P``: ``β`` under both conventions."""
        return CONVENTIONS[self.conventions][0] * self.beta

    @property
    def redundancy_weight(self) -> float:
        """The coefficient of ``Σ_{p<q} J_pq n_p n_q``: ``1 − β`` under both conventions."""
        return CONVENTIONS[self.conventions][1] * (1.0 - self.beta)

    def local_fields(self, n: NDArray[np.floating]) -> NDArray[np.float64]:
        """``∂H_P/∂n_p`` at the binary vector ``n``, without the cardinality penalty.

        Flipping ``n_p`` from 0 to 1 changes the energy by the field (from 1 to 0 by minus it).

        Example:
            >>> import numpy as np
            >>> q = build_qubo(np.eye(2).reshape(2, 1, 2), np.ones((2, 1, 2)), beta=0.5)
            >>> q.local_fields(np.array([1.0, 0.0])).tolist()
            [-0.5, -0.5]
        """
        return -self.importance_weight * self.h + self.redundancy_weight * (self.J @ n)

    def energy(self, selection: Iterable[int] | Mapping[Any, int] | NDArray[np.bool_]) -> float:
        """``H_P`` of a selection, computed from ``h`` and ``J`` (not through the BQM).

        Args:
            selection: See :meth:`selection_vector`.

        Returns:
            The energy, penalty included.
        """
        n = self.selection_vector(selection).astype(np.float64)
        value = (self.redundancy_weight * 0.5 * float(n @ self.J @ n)
                 - self.importance_weight * float(self.h @ n))
        if self.cardinality is not None:
            value += self.gamma * (float(n.sum()) - self.cardinality) ** 2
        return value

    def interpret(self, sample: Mapping[Any, int] | dimod.SampleSet) -> tuple[int, ...]:
        """Selected channel indices of a sample (or of the lowest-energy sample of a SampleSet).

        Works for BINARY (1 = selected) and SPIN (+1 = selected) samples.

        Example:
            >>> import numpy as np
            >>> q = build_qubo(np.ones((3, 2, 2)), np.ones((3, 2, 2)), beta=1.0)
            >>> q.interpret({0: 1, 1: 0, 2: 1})
            (0, 2)
        """
        if isinstance(sample, dimod.SampleSet):
            if len(sample) == 0:
                raise invalid_argument("sample", sample, "the sample set is empty",
                                       "sample with num_reads >= 1")
            sample = sample.first.sample
        if not isinstance(sample, Mapping):
            raise invalid_type("sample", sample, "a mapping {channel: value} or a dimod.SampleSet",
                               "pass sampleset.first.sample")
        missing = [c for c in self.channels if c not in sample]
        if missing:
            raise invalid_argument("sample", dict(sample), f"lacks channels {missing[:5]}",
                                   "pass a sample of this QUBO's bqm")
        return tuple(c for c in self.channels if sample[c] == 1)


def _check_unit_interval(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise invalid_type(name, value, "a number in [0, 1]", f"pass e.g. {name}=0.7")
    if not np.isfinite(value) or not 0.0 <= value <= 1.0:
        raise invalid_argument(name, value, "must lie in [0, 1]",
                               f"pass e.g. {name}=0.7 (the paper's quantum setting) or 0.99 (its SA setting)")
    return float(value)


def build_qubo(
    activations: ArrayLike | torch.Tensor,
    gradients: ArrayLike | torch.Tensor,
    *,
    beta: float = 0.7,
    cardinality: int | None = None,
    gamma: float = 1.0,
    max_qubits: int | None = None,
    conventions: Conventions = "hybridxai",
    importance_scale: ImportanceScale = "max",
    importance: ImportanceMode = "gradcam",
) -> FeatureQubo:
    """Build the feature-selection QUBO of one image (docs/method.md, the paper's eqs 1–5).

    Args:
        activations: Feature maps ``A`` of one image, ``(K, h, w)``.
        gradients: ``∂y_c/∂A``, same shape.
        beta: Importance/redundancy trade-off in [0, 1]; ``1`` selects every positive map,
            ``0`` selects none.
        cardinality: Optional target size ``k`` for the penalty ``gamma·(Σ n − k)²``.
        gamma: Strength of that penalty (≥ 0).
        max_qubits: Keep only the ``max_qubits`` positive maps with the largest ``alpha``
            (ties: lower index first), so quantum backends fit any model.
        conventions: ``"hybridxai"`` (default): ``H_P = (1−β)·Σ_{p<q} J_pq n_p n_q − β·Σ_p h_p n_p``.
            ``"authors"``: the problem Hamiltonian the paper's public simulation code builds
            (checc1/FS_QA ``src/finalSimulation.py``, ``(1−β)·Σ_{i<j} J_ij pz_i pz_j −
            β·Σ_i α_i pz_i`` with ``pz = (I − Z)/2 = n`` from ``src/utils/qutip_class.py``,
            the module it imports). That is the same ``H_P`` as ``"hybridxai"``: the name only
            records the choice (``qubo.conventions``), so a run under the authors' anneal
            conventions states its QUBO's too. Combine with ``importance_scale="raw"`` for the
            paper's unscaled α.
        importance_scale: ``"max"`` (default): ``h_p = α_p / max_q α_q`` in (0, 1]. ``"raw"``:
            ``h_p = α_p`` as in the paper's equation; the trade-off against ``J ∈ [0, 1]`` then
            depends on the gradients' scale (the model and the layer).
        importance: How ``alpha`` is computed (:data:`IMPORTANCE_MODES`): ``"gradcam"``
            (default, the spatial mean of the gradients), ``"contribution"`` (the spatial mean
            of gradient × activation, image-dependent even after the last convolution) or
            ``"gradcam++"`` (GradCAM++'s weights).

    Returns:
        The :class:`FeatureQubo`. When no map has ``alpha > 0`` it has ``d = 0`` and an
        empty BQM.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> q = build_qubo(rng.random((8, 7, 7)), rng.normal(size=(8, 7, 7)), beta=0.7)
        >>> q.channels == tuple(int(k) for k in np.flatnonzero(q.alpha > 0))
        True
    """
    a = _as_array(activations, "activations")
    g = _as_array(gradients, "gradients")
    if a.shape != g.shape:
        raise invalid_argument("gradients", g, f"must have the activations' shape {a.shape}",
                               "pass the gradients of the same layer and image")
    beta = _check_unit_interval("beta", beta)
    if conventions not in CONVENTIONS:
        raise invalid_argument("conventions", conventions, "is not a known convention",
                               f"pass one of {sorted(CONVENTIONS)}")
    if importance_scale not in IMPORTANCE_SCALES:
        raise invalid_argument("importance_scale", importance_scale, "is not a known scale",
                               f"pass one of {list(IMPORTANCE_SCALES)}")
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.floating, np.integer)) \
            or not np.isfinite(gamma) or gamma < 0:
        raise invalid_argument("gamma", gamma, "must be a finite number >= 0",
                               "pass e.g. gamma=1.0")
    if max_qubits is not None:
        max_qubits = check_positive_int("max_qubits", max_qubits, "pass e.g. max_qubits=16, or None")
    mode = check_importance_mode(importance)
    alpha = _weights(torch.tensor(np.ascontiguousarray(g)), torch.tensor(np.ascontiguousarray(a)),
                     mode).numpy()
    positive = np.flatnonzero(alpha > 0)
    ranked = positive[np.lexsort((positive, -alpha[positive]))]
    kept = ranked if max_qubits is None else ranked[:max_qubits]
    dropped = tuple(int(c) for c in ranked[len(kept):])
    channels = np.sort(kept)
    d = channels.size
    if cardinality is not None:
        if isinstance(cardinality, bool) or not isinstance(cardinality, (int, np.integer)) \
                or not 0 <= cardinality <= max(d, 0):
            raise invalid_argument(
                "cardinality", cardinality,
                f"must be an integer k with 0 <= k <= d = {d} (the number of positive maps)",
                "pass a smaller k, or cardinality=None for no size penalty",
            )
        cardinality = int(cardinality)
    scale = alpha[channels].max() if d and importance_scale == "max" else 1.0
    h = alpha[channels] / scale if d else np.zeros(0)
    J = redundancy(a[channels]) if d else np.zeros((0, 0))

    importance_factor, pair_factor = CONVENTIONS[conventions]
    linear = -(importance_factor * beta) * h
    quadratic = np.triu((pair_factor * (1.0 - beta)) * J, k=1)
    offset = 0.0
    if cardinality is not None:
        linear = linear + gamma * (1.0 - 2.0 * cardinality)
        quadratic = quadratic + np.triu(np.full((d, d), 2.0 * gamma), k=1)
        offset = gamma * cardinality**2
    bqm = dimod.BinaryQuadraticModel(linear, quadratic, offset, dimod.BINARY) if d else \
        dimod.BinaryQuadraticModel({}, {}, offset, dimod.BINARY)
    if d:
        bqm.relabel_variables({i: int(c) for i, c in enumerate(channels)}, inplace=True)
    return FeatureQubo(
        channels=tuple(int(c) for c in channels), alpha=alpha, h=h, J=J, beta=beta,
        cardinality=cardinality, gamma=float(gamma), max_qubits=max_qubits, dropped=dropped,
        bqm=bqm, conventions=conventions, importance_scale=importance_scale, importance_mode=mode,
    )

"""Random test instances shaped like the paper's feature-selection QUBOs.

The analysis results (gaps, spectra, coupling statistics) depend on the structure of the
problem: the QUBOs of docs/method.md have fields ``-beta·h_p`` with ``h_p ∈ (0, 1]`` and
non-negative couplings ``(1 - beta)·J_pq`` (cosine similarities of ReLU maps, with a common
component that makes them positively correlated), which unstructured Gaussian instances do not
reproduce. :func:`random_feature_qubo` builds such a QUBO from synthetic maps, without a model;
:func:`synthetic_feature_maps` makes activations and gradients for
:func:`hybridxai.build_qubo` (for demos of the whole QUBO pipeline without a CNN).

Example:
    >>> bqm = random_feature_qubo(4, seed=0)
    >>> len(bqm.variables), bqm.vartype.name
    (4, 'BINARY')
    >>> all(bias < 0 for bias in bqm.linear.values()), all(b > 0 for b in bqm.quadratic.values())
    (True, True)
"""

from __future__ import annotations

import math

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai._util.checks import check_positive_int, check_seed
from hybridxai.exceptions import invalid_argument, invalid_type

__all__ = ["random_feature_qubo", "flip_symmetric_qubo", "synthetic_feature_maps"]


def random_feature_qubo(d: int, seed: int, beta: float = 0.7,
                        pixels: int = 196) -> dimod.BinaryQuadraticModel:
    """A feature-selection-like QUBO on ``d`` synthetic feature maps.

    Each map is ``ReLU(noise + 0.6·common)`` over ``pixels`` pixels (196: the 14×14 maps of the
    paper's layer), ``J`` is their cosine similarity and the GradCAM weights are
    ``alpha ~ Gamma(2)``, so ``h = alpha / max(alpha)``. The QUBO is that of
    :func:`hybridxai.build_qubo` without the positivity filter:
    ``H_P(n) = (1 - beta)·Σ_{p<q} J_pq n_p n_q - beta·Σ_p h_p n_p``.

    Args:
        d: Number of maps (variables, labelled ``0..d-1``), at least 1.
        seed: Seed of ``numpy.random.default_rng``; the instance is a function of all arguments.
        beta: Trade-off between redundancy and importance, in ``[0, 1]``.
        pixels: Pixels per map (fewer pixels give more spread-out couplings).

    Returns:
        A BINARY ``dimod.BinaryQuadraticModel`` with zero offset.

    Raises:
        InvalidArgumentError: If ``d`` or ``pixels`` is below 1, or ``beta`` is outside [0, 1].
        InvalidTypeError: If ``d`` or ``pixels`` is not an integer.
    """
    for name, value in (("d", d), ("pixels", pixels)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise invalid_type(name, value, "a positive integer", f"pass e.g. {name}=8")
        check_positive_int(name, value, f"pass e.g. {name}=8")
    if not 0.0 <= beta <= 1.0:
        raise invalid_argument("beta", beta, "must be in [0, 1]", "pass e.g. beta=0.7")
    rng = np.random.default_rng(seed)
    maps = np.maximum(rng.normal(size=(d, pixels)) + 0.6 * rng.normal(size=pixels), 0)
    norms = np.linalg.norm(maps, axis=1)
    j = maps @ maps.T / np.outer(norms, norms)
    alpha = rng.gamma(2.0, size=d)
    h = alpha / alpha.max()
    return dimod.BinaryQuadraticModel(
        {p: -beta * h[p] for p in range(d)},
        {(p, q): (1 - beta) * j[p, q] for p in range(d) for q in range(p + 1, d)}, 0.0, "BINARY")


def flip_symmetric_qubo(d: int, seed: int, fields: float = 0.0) -> dimod.BinaryQuadraticModel:
    """The SPIN couplings of :func:`random_feature_qubo` alone, or with weak random fields.

    Without fields every state is degenerate with its global flip (``H_P`` has two ground
    states), and the levels of the two symmetry sectors cross along the anneal, which gives the
    gap kinks; weak fields keep the crossings nearly. The exact-physics tests and benchmarks use
    them for the hardest gap shapes (:func:`hybridxai.analysis.min_gap`'s shape check).

    Args:
        d: Number of variables (labelled ``0..d-1``), at least 2.
        seed: Seed of the couplings (as in :func:`random_feature_qubo`); the fields are drawn
            from ``numpy.random.default_rng(1000 + seed)``.
        fields: Standard deviation of the SPIN fields (0: none).

    Returns:
        A SPIN ``dimod.BinaryQuadraticModel`` with zero offset, variables ``0..d-1`` in order.

    Raises:
        InvalidArgumentError: If ``d`` is below 2, ``seed`` is not a non-negative integer, or
            ``fields`` is negative or not finite.
        InvalidTypeError: If ``d`` is not an integer or ``fields`` not a number.

    Example:
        >>> list(flip_symmetric_qubo(4, 0).variables)
        [0, 1, 2, 3]
        >>> from hybridxai.anneal.ising import flip_asymmetry
        >>> flip_asymmetry(flip_symmetric_qubo(6, 0))
        0.0
        >>> 0 < flip_asymmetry(flip_symmetric_qubo(6, 0, fields=1e-2)) < 1
        True
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise invalid_type("d", d, "an integer >= 2", "pass e.g. d=8")
    check_positive_int("d", d, "pass e.g. d=8 (the couplings need two variables)", minimum=2)
    seed = check_seed(seed, optional=False)  # the instance is a function of it
    if isinstance(fields, bool) or not isinstance(fields, (int, float, np.integer, np.floating)):
        raise invalid_type("fields", fields, "a number >= 0", "pass e.g. fields=1e-2 (or 0: none)")
    if not (math.isfinite(fields) and fields >= 0.0):
        raise invalid_argument("fields", fields, "must be finite and >= 0 (a standard deviation)",
                               "pass e.g. fields=1e-2 (or 0: none)")
    couplings = dict(random_feature_qubo(d, seed).spin.quadratic)
    rng = np.random.default_rng(1000 + int(seed or 0))
    # every variable first, in order: qubit i is variable i
    bqm = dimod.BinaryQuadraticModel("SPIN")
    bqm.add_linear_from({i: float(fields * rng.normal()) if fields else 0.0 for i in range(d)})
    bqm.add_quadratic_from(couplings)
    return bqm


def synthetic_feature_maps(
    num_maps: int, size: int = 7, seed: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Blob-like activations and gradients shaped like a CNN's last convolutional layer.

    Each map is the sum of two Gaussian blobs at random places; the gradients are a per-map
    constant ``N(0, 1)/size²`` (about half the maps get a positive GradCAM weight) plus
    ``N(0, 0.01)`` pixel noise.

    Args:
        num_maps: ``K``, the number of maps.
        size: Side of the square maps (7: a 224-pixel input at stride 32).
        seed: Seed of ``numpy.random.default_rng``.

    Returns:
        ``(activations, gradients)``, both of shape ``(K, size, size)``: the arguments of
        :func:`hybridxai.build_qubo`.

    Example:
        >>> activations, gradients = synthetic_feature_maps(8, seed=1)
        >>> activations.shape, gradients.shape
        ((8, 7, 7), (8, 7, 7))
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    activations = np.zeros((num_maps, size, size))
    for k in range(num_maps):
        for _ in range(2):
            cy, cx = rng.uniform(0, size, 2)
            width = rng.uniform(0.8, 2.5)
            activations[k] += rng.uniform(0.5, 2.0) * np.exp(
                -((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * width**2))
    gradients = rng.normal(0.0, 1.0, (num_maps, 1, 1)) / size**2 + rng.normal(
        0.0, 0.01, (num_maps, size, size))
    return activations, gradients

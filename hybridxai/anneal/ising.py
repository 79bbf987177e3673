"""Dense views of a binary quadratic model and its energies on computational basis states.

Conventions used everywhere in hybridxai (Hamiltonians, circuits, simulators, analysis):

* **Qubit order.** Qubit ``i`` carries the ``i``-th variable of ``bqm.variables`` (insertion
  order). For the QUBOs built by :func:`hybridxai.build_qubo` the variables are the selected
  channel indices in ascending order, so qubit 0 is the lowest channel index.
* **Basis index.** A computational basis state is indexed little-endian, as in Qiskit:
  ``index = sum_i n_i * 2**i`` where ``n_i`` is the binary value of qubit ``i``. A statevector of
  length ``2**d`` produced by any backend uses this order (PennyLane's wire order is converted).
* **Binary/spin map.** ``n = (1 - Z) / 2``: ``n = 1`` (feature map selected) is ``|1>``, the ``Z = -1``
  eigenstate. SPIN-valued BQMs are converted to BINARY first with ``s = 2 n - 1``, so the spin
  value ``+1`` is ``|1>`` as well.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import dimod
import numpy as np
from numpy.typing import NDArray

from hybridxai.exceptions import invalid_type

__all__ = [
    "DenseQubo", "dense_qubo", "as_dense_qubo", "basis_energies", "indices_to_bits",
    "IsingTerms", "ising_terms", "flip_asymmetry", "flip_symmetries", "nearly_symmetric",
    "NEAR_SYMMETRIC",
]


@dataclass(frozen=True)
class DenseQubo:
    """A BINARY quadratic model as dense arrays, in qubit order.

    Attributes:
        variables: Variable labels; ``variables[i]`` is qubit ``i``.
        linear: Shape ``(d,)``, the linear biases ``a_i``.
        quadratic: Shape ``(d, d)``, strictly upper triangular ``b_ij`` (``i < j``).
        offset: The constant energy offset.
        vartype: The vartype of the BQM this came from (samples are reported in it).

    The energy of a binary vector ``n`` is ``offset + a @ n + n @ B @ n``.
    """

    variables: tuple[Hashable, ...]
    linear: NDArray[np.float64]
    quadratic: NDArray[np.float64]
    offset: float
    vartype: dimod.Vartype

    @property
    def num_variables(self) -> int:
        """Number of variables (qubits)."""
        return len(self.variables)

    def energies(self, bits: NDArray[np.integer]) -> NDArray[np.float64]:
        """Energies of binary rows ``bits`` (shape ``(m, d)``), offset included."""
        n = np.atleast_2d(np.asarray(bits, dtype=np.float64))
        # (n Q) · n row by row: one BLAS product (an unoptimised 3-operand einsum took ~9 ms at d = 650)
        return self.offset + n @ self.linear + np.einsum("mj,mj->m", n @ self.quadratic, n)


def dense_qubo(bqm: dimod.BinaryQuadraticModel) -> DenseQubo:
    """Convert a BQM (BINARY or SPIN) to dense BINARY arrays in qubit order.

    Args:
        bqm: The model. SPIN models are converted with ``s = 2n - 1``.

    Returns:
        The dense view.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({"a": -1.0}, {("a", "b"): 2.0}, 0.5, "BINARY")
        >>> q = dense_qubo(bqm)
        >>> q.variables, q.linear.tolist(), float(q.quadratic[0, 1]), q.offset
        (('a', 'b'), [-1.0, 0.0], 2.0, 0.5)
    """
    binary = bqm if bqm.vartype is dimod.BINARY else bqm.change_vartype(dimod.BINARY, inplace=False)
    variables = tuple(bqm.variables)
    d = len(variables)
    # vectorised: a Python loop over the ~200k pairs of a 650-variable feature QUBO took 0.3 s
    linear, (rows, cols, biases), offset = binary.to_numpy_vectors(variable_order=list(variables))
    quadratic = np.zeros((d, d), dtype=np.float64)
    # a BQM holds each pair once, so plain assignment suffices (np.add.at took ~3 ms at d = 650)
    quadratic[np.minimum(rows, cols), np.maximum(rows, cols)] = biases
    return DenseQubo(variables, np.asarray(linear, dtype=np.float64), quadratic, float(offset), bqm.vartype)


def basis_energies(
    qubo: DenseQubo | dimod.BinaryQuadraticModel, dtype: type = np.float64
) -> NDArray[np.floating]:
    """Energies of all ``2**d`` computational basis states (the diagonal of ``H_P``).

    Built by doubling, one qubit at a time, in ``O(2**d)`` time and memory, with no
    ``(2**d, d)`` bit matrix.

    Args:
        qubo: A :class:`DenseQubo` or a BQM.
        dtype: Floating dtype of the result.

    Returns:
        Array ``E`` with ``E[index]`` the energy (offset included) of the basis state
        ``index`` in little-endian order (see module docstring).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
        >>> basis_energies(bqm).tolist()   # |00>, |10> (q0=1), |01> (q1=1), |11>
        [0.0, -1.0, -1.0, 1.0]
    """
    q = qubo if isinstance(qubo, DenseQubo) else dense_qubo(qubo)
    energies = np.full(1, q.offset, dtype=dtype)
    for k in range(q.num_variables):
        # field[z] = a_k + sum_{j<k} b_jk n_j(z) for the 2**k states of the lower qubits
        field = np.full(1, q.linear[k], dtype=dtype)
        for j in range(k):
            field = np.concatenate((field, field + q.quadratic[j, k]))
        energies = np.concatenate((energies, energies + field))
    return energies


def indices_to_bits(indices: NDArray[np.integer] | Sequence[int], num_qubits: int) -> NDArray[np.int8]:
    """Binary rows (qubit order) of little-endian basis indices.

    Args:
        indices: Basis-state indices.
        num_qubits: Number of qubits ``d``.

    Returns:
        Array of shape ``(len(indices), d)`` with ``bits[m, i] = n_i`` of ``indices[m]``.
    """
    idx = np.asarray(indices, dtype=np.int64).reshape(-1, 1)
    return ((idx >> np.arange(num_qubits, dtype=np.int64)) & 1).astype(np.int8)


@dataclass(frozen=True)
class IsingTerms:
    """Pauli-Z coefficients of ``H_P`` in qubit order.

    ``H_P = constant·I + Σ_i z[i]·Z_i + Σ_{i<j} zz[i, j]·Z_i Z_j``.

    Attributes:
        variables: Variable labels; ``variables[i]`` is qubit ``i``.
        z: Shape ``(d,)``, the single-qubit ``Z`` coefficients.
        zz: Shape ``(d, d)``, strictly upper triangular ``Z_i Z_j`` coefficients.
        constant: The identity coefficient (the BQM offset plus what the ``n → Z`` map adds).

    """

    variables: tuple[Hashable, ...]
    z: NDArray[np.float64]
    zz: NDArray[np.float64]
    constant: float

    @property
    def num_qubits(self) -> int:
        """Number of qubits ``d``."""
        return len(self.variables)

    def pauli_terms(self) -> list[tuple[tuple[int, ...], float]]:
        """Return the non-zero ``Z``/``ZZ`` terms as ``((qubits...), coeff)``, Z terms first."""
        terms: list[tuple[tuple[int, ...], float]] = [
            ((int(i),), float(self.z[i])) for i in np.flatnonzero(self.z)
        ]
        rows, cols = np.nonzero(self.zz)
        terms.extend(
            ((int(i), int(j)), float(self.zz[i, j])) for i, j in zip(rows, cols, strict=True)
        )
        return terms


def as_dense_qubo(problem: Any, name: str = "bqm") -> DenseQubo:
    """Return ``problem`` as a :class:`DenseQubo`, converting a dimod BQM.

    Args:
        problem: a :class:`DenseQubo` (returned as is) or a ``dimod.BinaryQuadraticModel``.
        name: the argument name used in the error message.

    Raises:
        TypeError: ``problem`` is neither.

    Example:
        >>> import dimod
        >>> as_dense_qubo(dimod.BQM({0: 1.0}, {}, 0.0, "BINARY")).num_variables
        1
    """
    if isinstance(problem, DenseQubo):
        return problem
    if isinstance(problem, dimod.BinaryQuadraticModel):
        return dense_qubo(problem)
    raise invalid_type(
        name, problem, "a dimod.BinaryQuadraticModel",
        "build one with hybridxai.build_qubo(...).bqm or dimod.BinaryQuadraticModel(...)",
    )


def ising_terms(problem: dimod.BinaryQuadraticModel | DenseQubo) -> IsingTerms:
    """Rewrite a BQM as Pauli-Z coefficients with ``n = (1 - Z)/2``.

    For the BINARY energy ``offset + Σ a_i n_i + Σ_{i<j} b_ij n_i n_j``:
    ``z_i = -a_i/2 - Σ_{j≠i} b_ij/4``, ``zz_ij = b_ij/4`` and
    ``constant = offset + Σ a_i/2 + Σ_{i<j} b_ij/4``. SPIN models are converted to BINARY first
    (``s = 2n - 1``), so a spin ``+1`` is ``|1>`` and ``h_i s_i`` becomes ``-h_i Z_i``.

    Args:
        problem: A BQM (BINARY or SPIN) or a :class:`~hybridxai.anneal.ising.DenseQubo`.

    Returns:
        The coefficients.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({"a": -1.0}, {("a", "b"): 2.0}, 0.5, "BINARY")
        >>> t = ising_terms(bqm)
        >>> t.z.tolist(), float(t.zz[0, 1]), t.constant
        ([0.0, -0.5], 0.5, 0.5)

    """
    q = as_dense_qubo(problem)
    b = q.quadratic
    z = -0.5 * q.linear - 0.25 * (b.sum(axis=1) + b.sum(axis=0))
    constant = q.offset + 0.5 * float(q.linear.sum()) + 0.25 * float(b.sum())
    return IsingTerms(q.variables, z, 0.25 * b, float(constant))


def flip_asymmetry(problem: dimod.BinaryQuadraticModel | DenseQubo) -> float:
    """How strongly the fields break the global spin-flip symmetry: typical field over coupling.

    The root mean square of the Pauli-Z fields (over every variable) over that of the
    couplings (over the pairs that have one), from :func:`ising_terms`. 0 for couplings alone
    (every state degenerate with its flip); ``inf`` without couplings. SPIN fields and
    couplings drawn from one distribution give about 1; the feature-selection QUBOs have
    2.5–16 (``random_feature_qubo`` and the ``chelsea`` QUBOs at d = 8–24; docs/benchmarks.md,
    twelfth round).

    Example:
        >>> import dimod
        >>> flip_asymmetry(dimod.BinaryQuadraticModel({}, {(0, 1): 1.0}, 0.0, "SPIN"))
        0.0
        >>> flip_asymmetry(dimod.BinaryQuadraticModel({0: 0.5, 1: 0.5}, {(0, 1): 1.0}, 0.0, "SPIN"))
        0.5
    """
    terms = ising_terms(problem)
    couplings = terms.zz[terms.zz != 0.0]
    fields = float(np.sqrt(np.mean(terms.z**2))) if terms.z.size else 0.0
    if couplings.size == 0:
        return math.inf if fields > 0.0 else 0.0
    return fields / float(np.sqrt(np.mean(couplings**2)))


NEAR_SYMMETRIC = 1.0
"""Below this :func:`~hybridxai.anneal.ising.flip_asymmetry` a problem counts as flip-symmetric.

Minima of ``Δ`` were missed at 0.02–0.25 and none at 0.56–13; the feature-selection
QUBOs lie at 2.5–16 (docs/benchmarks.md, twelfth round).
"""


def flip_symmetries(problem: dimod.BinaryQuadraticModel | DenseQubo, *,
                    rtol: float = 1e-12) -> tuple[int, ...]:
    """The spin flips that leave ``H_P`` unchanged: one per connected group of coupled spins without fields.

    Flipping every spin of a connected component of the coupling graph changes no coupling
    inside it and meets none outside, so it leaves ``H_P`` unchanged exactly when the
    component's Pauli-Z fields (:func:`ising_terms`) all vanish: a coupling-only Ising model
    (the global flip), a free variable (its own flip). ``H_D = -c·ΣX`` commutes with every
    flip, so ``H(s)`` does too for every ``s``, and its levels split into symmetry sectors
    whose levels may cross (:mod:`hybridxai.anneal.sectors`).

    Args:
        problem: A BQM (BINARY or SPIN) or a :class:`DenseQubo`.
        rtol: A field counts as zero below ``rtol`` times the largest field or coupling (the
            BINARY form of a SPIN model leaves fields of rounding size).

    Returns:
        One bit mask per symmetry (bit ``i`` = qubit ``i``, the little-endian basis of
        :func:`basis_energies`), components in order of their lowest qubit.

    Example:
        >>> import dimod
        >>> flip_symmetries(dimod.BinaryQuadraticModel({}, {(0, 1): 1.0, (1, 2): -0.5}, 0.0, "SPIN"))
        (7,)
        >>> flip_symmetries(dimod.BinaryQuadraticModel({0: 0.3, 2: 0.0}, {(0, 1): 1.0}, 0.0, "SPIN"))
        (4,)
    """
    terms = ising_terms(problem)
    d = terms.num_qubits
    scale = max(float(np.abs(terms.z).max(initial=0.0)), float(np.abs(terms.zz).max(initial=0.0)))
    zero_field = np.abs(terms.z) <= rtol * scale
    coupled = (terms.zz != 0.0) | (terms.zz.T != 0.0)
    component = np.full(d, -1)
    masks: list[int] = []
    for root in range(d):
        if component[root] >= 0:
            continue
        members, stack = [], [root]
        component[root] = root
        while stack:
            i = stack.pop()
            members.append(i)
            for j in np.flatnonzero(coupled[i] & (component < 0)):
                component[j] = root
                stack.append(int(j))
        if zero_field[members].all():
            masks.append(sum(1 << int(i) for i in members))
    return tuple(masks)


def nearly_symmetric(bqm: dimod.BinaryQuadraticModel, g: int) -> bool:
    """Whether ``H_P`` has (nearly) the global spin-flip symmetry, or another degenerate ground.

    Then levels of different symmetry sectors cross or nearly cross along the anneal, and ``Δ``
    has kinks (:func:`hybridxai.analysis.min_gap`'s shape check).

    Args:
        bqm: The QUBO.
        g: The ground degeneracy of ``H_P``
            (:func:`hybridxai.anneal.gap_profile.ground_degeneracy`).

    Example:
        >>> import dimod
        >>> nearly_symmetric(dimod.BinaryQuadraticModel({0: 0.1}, {(0, 1): 1.0}, 0.0, "SPIN"), 1)
        True
        >>> nearly_symmetric(dimod.BinaryQuadraticModel({0: 2.0}, {(0, 1): 1.0}, 0.0, "SPIN"), 1)
        False
    """
    return g > 1 or flip_asymmetry(bqm) < NEAR_SYMMETRIC

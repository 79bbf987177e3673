"""The native digitized-annealing engine: Trotter layers applied to a statevector.

The Trotter product of :func:`hybridxai.anneal.schedules.trotter_layers` is applied directly
to a statevector, with no circuit objects: a driver layer ``("driver", θ)`` is ``RX(-2θ) =
cos θ·I + i sin θ·X`` on every qubit, a problem layer ``("problem", γ)`` multiplies amplitude
``z`` by ``exp(-iγ·E(z))`` (``E`` = :func:`~hybridxai.anneal.ising.basis_energies`, offset
included). The result is the same state, global phase included, as the "aer" and "pennylane"
backends produce from the equivalent circuits.

Two engines compute it:

* ``engine="numba"`` (the default whenever numba imports): a fused, cache-blocked, multi-threaded
  kernel (:mod:`hybridxai.anneal._evolution_kernels`) that streams the state through memory
  once per Trotter step, applies the problem phase without evaluating ``exp`` per amplitude and
  uses explicit 256-bit SIMD. Kernels are compiled on first use and cached on disk
  (``cache=True``), so only the very first call in an environment pays the compilation (about
  10 s per dtype, more on a busy machine); later processes load them in under a second.
* ``engine="numpy"``: the readable reference, a few lines of numpy per layer; used when numba is
  not installed.

Both accept ``dtype="complex128"`` (default) or ``"complex64"``; :func:`evolve` also takes the
same choice by its user-facing name, ``precision="double"`` (default) or ``"single"``. Single
precision halves the memory of the evolving state and the bytes streamed per Trotter step, and
puts 8 float32 lanes instead of 4 float64 in each 256-bit vector, which makes the numba engine
about 1.8-2x faster at d = 16-24 (docs/benchmarks.md, "Single precision and the
memory-bandwidth floor"). Only the amplitudes are float32: energies, local fields, angles and
their ``sin``/``cos`` are computed in float64 and rounded once per sub-block, and callers turn
the final state into probabilities in float64 (``|ψ|²`` of the complex128 cast), so the
ground-state fidelity of single precision agrees with double to within
:func:`single_precision_fidelity_bound` (1e-5 per 1000 Trotter steps; measured: at most 2.1e-6
on d = 8-20 with 1000 steps, 2.0e-5 with 10**4, 2e-4 with 10**5).

Used by the "statevector" backend (:mod:`hybridxai.backends.statevector`) and by
:func:`hybridxai.analysis.fidelity_curve`; :func:`evolve` is the one entry point.
"""

from __future__ import annotations

import importlib
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from hybridxai._util.aligned import aligned_empty
from hybridxai._util.checks import check_positive_int
from hybridxai.anneal.ising import DenseQubo, basis_energies
from hybridxai.anneal.schedules import Layer
from hybridxai.exceptions import MissingDependencyError, invalid_argument, invalid_type

__all__ = [
    "Engine", "Precision", "StateDType", "SINGLE_PRECISION_FIDELITY_BOUND",
    "single_precision_fidelity_bound", "evolve", "evolve_numpy",
    "evolve_numba", "numba_available",
    "driver_problem_sequence", "check_dtype", "check_precision", "precision_of", "state_dtype",
    "check_engine", "check_threads", "resolve_engine",
    "default_threads",
]

Engine = Literal["auto", "numba", "numpy"]
StateDType = Literal["complex128", "complex64"]

_DTYPES: dict[str, type[np.complexfloating]] = {
    "complex128": np.complex128,
    "complex64": np.complex64,
}
_PRECISIONS: dict[str, str] = {"double": "complex128", "single": "complex64"}
Precision = Literal["double", "single"]
SINGLE_PRECISION_FIDELITY_BOUND = 1e-5
"""Documented bound on ``|F_single - F_double|`` (ground-state fidelity) per 1000 Trotter steps.

See :func:`single_precision_fidelity_bound`. Measured (docs/benchmarks.md): at most 2.1e-6
over 42 instances at d = 8-20 with 1000 steps, 2.0e-5 at d = 8-12 with 10**4 steps and 2e-4 at
d = 10 with 10**5 steps: float32 rounding accumulates about linearly with the number of steps.
"""
_ENGINES = ("auto", "numba", "numpy")
_PHASE_CHUNK = 1 << 16  # amplitudes per chunk of the numpy engine's phase multiplication
_MIN_PARALLEL_SIZE = 1 << 18  # smaller states are evolved on one thread (passes are too short)


# --------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------
def check_dtype(dtype: Any) -> str:
    """The dtype's name, ``"complex128"`` or ``"complex64"``; anything else is an error naming ``dtype``."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise invalid_argument(
            "dtype", dtype, "the state must be 'complex128' or 'complex64'",
            "pass dtype='complex128' (default) or dtype='complex64' for half the memory",
        )
    return name


def check_precision(precision: Any) -> str:
    """``precision`` if it is ``"double"`` (complex128) or ``"single"`` (complex64), else an error.

    The one check of the state-precision option of every statevector backend (native, Aer).

    Example:
        >>> check_precision("single")
        'single'
    """
    if not isinstance(precision, str) or precision not in _PRECISIONS:
        raise invalid_argument(
            "precision", precision, "the state precision must be 'double' or 'single'",
            "pass precision='double' (complex128, default) or precision='single' (complex64: half "
            "the memory, about twice as fast)",
        )
    return precision


def precision_of(dtype: Any) -> str:
    """``"single"`` for a complex64 state, ``"double"`` for complex128.

    Example:
        >>> precision_of("complex64"), precision_of(np.complex128)
        ('single', 'double')
    """
    return "single" if check_dtype(dtype) == "complex64" else "double"


def state_dtype(dtype: Any = None, precision: Any = None, *, default: Any = "complex128") -> str:
    """The state dtype chosen by ``dtype`` and/or ``precision`` (its user-facing name).

    Neither given: ``default``. One given: that one. Both given: they must agree, except that a
    ``dtype`` equal to ``default`` counts as not given, so that a default dtype (e.g. a
    sampler's) never blocks an explicit ``precision``.

    Args:
        dtype: ``"complex128"``, ``"complex64"`` (or the numpy types), or ``None``.
        precision: ``"double"``, ``"single"`` or ``None``.
        default: The dtype used when neither is given.

    Returns:
        ``"complex128"`` or ``"complex64"``.

    Raises:
        InvalidArgumentError: An unknown dtype or precision, or the two contradict each other.

    Example:
        >>> state_dtype(precision="single"), state_dtype(), state_dtype("complex64", "single")
        ('complex64', 'complex128', 'complex64')
    """
    default = check_dtype(default)
    name = default if dtype is None else check_dtype(dtype)
    if precision is None:
        return name
    wanted = _PRECISIONS[check_precision(precision)]
    if name not in (wanted, default):
        raise invalid_argument(
            "precision", precision, f"contradicts dtype={name!r} given in the same call",
            "pass only one of precision= and dtype=",
        )
    return wanted


def single_precision_fidelity_bound(num_steps: int) -> float:
    """Documented bound on ``|F_single - F_double|`` after ``num_steps`` Trotter steps.

    ``SINGLE_PRECISION_FIDELITY_BOUND · max(1, M / 1000)``: 1e-5 up to 1000 steps (measured
    at most 2.1e-6 at d = 8-20), growing linearly with ``M`` as the float32 rounding does.

    Example:
        >>> single_precision_fidelity_bound(1000), single_precision_fidelity_bound(10_000)
        (1e-05, 0.0001)
    """
    steps = check_positive_int("num_steps", num_steps, "pass the number of Trotter steps M")
    return SINGLE_PRECISION_FIDELITY_BOUND * max(1.0, steps / 1000)


def check_engine(engine: Any) -> str:
    """``engine`` if it is ``"auto"``, ``"numba"`` or ``"numpy"``; else an error naming it."""
    if engine not in _ENGINES:
        raise invalid_argument(
            "engine", engine, f"must be one of {', '.join(repr(e) for e in _ENGINES)}",
            "pass engine='auto' (numba when installed, else numpy)",
        )
    return str(engine)


def check_threads(threads: Any) -> int | None:
    """``threads`` as a positive ``int``, or ``None`` (one per available core)."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise invalid_type("threads", threads, "a positive integer or None",
                           "pass e.g. threads=2, or None for one per core")
    return check_positive_int("threads", threads, "pass e.g. threads=2, or None for one per core")


def numba_available() -> bool:
    """Whether the numba engine can be used (numba imports)."""
    try:
        importlib.import_module("numba")
    except ImportError:
        return False
    return True


def resolve_engine(engine: str) -> str:
    """The engine that runs: ``"auto"`` becomes numba when it imports, else numpy."""
    if engine == "auto":
        return "numba" if numba_available() else "numpy"
    if engine == "numba" and not numba_available():
        raise MissingDependencyError(
            "engine='numba' needs the package 'numba', which could not be imported. "
            "Fix: pip install numba, or pass engine='numpy' (slower)."
        )
    return engine


# --------------------------------------------------------------------------------------------
# numpy engine: the readable reference
# --------------------------------------------------------------------------------------------
def _apply_driver_numpy(psi: NDArray[np.complexfloating], num_qubits: int, theta: float) -> None:
    """``psi ← exp(-iθ·H_D) psi`` with ``H_D = -Σ X``: ``cos θ·I + i sin θ·X`` on every qubit."""
    c, s = math.cos(theta), 1j * math.sin(theta)
    for q in range(num_qubits):
        pairs = psi.reshape(-1, 2, 2**q)  # axis 1 is the bit of qubit q
        a, b = pairs[:, 0, :], pairs[:, 1, :]
        a_old = a.copy()
        a *= c
        a += s * b
        b *= c
        b += s * a_old


def _apply_problem_numpy(
    psi: NDArray[np.complexfloating], diagonal: NDArray[np.float64], gamma: float
) -> None:
    """``psi ← exp(-iγ·H_P) psi``: amplitude ``z`` times ``exp(-iγ·E(z))`` (in chunks)."""
    for start in range(0, psi.size, _PHASE_CHUNK):
        stop = start + _PHASE_CHUNK
        psi[start:stop] *= np.exp((-1j * gamma) * diagonal[start:stop])


def evolve_numpy(
    diagonal: NDArray[np.float64],
    layers: Sequence[Layer],
    dtype: str = "complex128",
    on_step: Callable[[int], Any] | None = None,
) -> NDArray[np.complexfloating]:
    """Apply the layers to ``|+>^d`` with plain numpy (the reference engine).

    Args:
        diagonal: ``basis_energies`` of the problem (length ``2**d``, offset included).
        layers: ``("driver", θ)`` / ``("problem", γ)`` layers, applied left to right.
        dtype: ``"complex128"`` or ``"complex64"``.
        on_step: Called with 1 after each problem layer.

    Returns:
        The final state (little-endian, length ``2**d``).
    """
    state_dtype = _DTYPES[check_dtype(dtype)]
    num_qubits = int(round(math.log2(diagonal.size)))
    psi = np.full(diagonal.size, 2.0 ** (-num_qubits / 2), dtype=state_dtype)
    for kind, coeff in layers:
        if kind == "driver":
            _apply_driver_numpy(psi, num_qubits, float(coeff))
        elif kind == "problem":
            _apply_problem_numpy(psi, diagonal, float(coeff))
            if on_step is not None:
                on_step(1)
        else:
            raise invalid_argument("layers", (kind, coeff), "kind must be 'driver' or 'problem'",
                                   "build the layers with hybridxai.circuits.trotter_layers()")
    return psi


# --------------------------------------------------------------------------------------------
# numba engine
# --------------------------------------------------------------------------------------------
def driver_problem_sequence(layers: Sequence[Layer]) -> tuple[list[float], list[float]]:
    """Normalise layers to the alternation ``D(θ_0) P(γ_0) D(θ_1) … P(γ_{K-1}) D(θ_K)``.

    Consecutive layers of the same kind commute and are merged; a missing leading or trailing
    driver layer gets ``θ = 0``.

    Args:
        layers: ``(kind, coefficient)`` layers.

    Returns:
        ``(thetas, gammas)`` with ``len(thetas) == len(gammas) + 1``.

    Example:
        >>> driver_problem_sequence([("problem", 0.5), ("driver", 0.1), ("driver", 0.2)])
        ([0.0, 0.30000000000000004], [0.5])
    """
    thetas, gammas = [0.0], []
    for kind, coeff in layers:
        if kind == "driver":
            if len(thetas) > len(gammas):
                thetas[-1] += float(coeff)
            else:
                thetas.append(float(coeff))
        elif kind == "problem":
            if len(gammas) == len(thetas):
                gammas[-1] += float(coeff)
            else:
                gammas.append(float(coeff))
        else:
            raise invalid_argument("layers", (kind, coeff), "kind must be 'driver' or 'problem'",
                                   "build the layers with hybridxai.circuits.trotter_layers()")
    if len(thetas) == len(gammas):
        thetas.append(0.0)
    return thetas, gammas


def _rx_form(theta: float) -> tuple[float, bool, complex]:
    """``RX(-2θ) = f·(I + iτX)`` (``swap=False``) or ``f·X·(I + iτX)`` (``swap=True``).

    Returns ``(τ, swap, f)``; the second form keeps ``|τ| <= 1`` when ``|tan θ| > 1``.
    """
    if theta == 0.0:
        return 0.0, False, 1.0 + 0.0j
    c, s = math.cos(theta), math.sin(theta)
    if abs(s) <= abs(c):
        return s / c, False, complex(c, 0.0)
    return -c / s, True, complex(0.0, s)


def default_threads() -> int:
    """The number of cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _evolve_threaded(
    kernels: Any, re: NDArray, im: NDArray, args: tuple, nthreads: int, nchunks: int,
    after_pass: Callable[[int], Any] | None = None,
) -> None:
    """Run the passes on ``nthreads`` threads; the numba kernels release the GIL.

    Each pass is cut into ``nchunks`` chunks of tiles that the threads claim one at a time, and
    the pass ends when every chunk is done (the next pass reads what all of them wrote). The
    calling thread works too and never waits for a helper that has not started: on a busy
    machine it simply does more of the chunks itself. ``after_pass(p)`` is called on the
    calling thread once pass ``p`` is complete.
    """
    d, t, rb, sb, lin, quadratic, offset, gam = args[:8]
    ws = kernels.workspaces(re, d, t, rb, sb, nthreads)
    ntiles = 1 << (d - t)
    done = threading.Condition()
    state: dict[str, Any] = {"next": 0, "done": 0, "pass": -1, "error": None}

    def work(p: int, slot: int) -> None:
        while True:
            with done:
                if state["pass"] != p or state["next"] >= nchunks or state["error"]:
                    return
                c = state["next"]
                state["next"] += 1
            try:
                kernels.run_pass_chunk(re, im, p, c, nchunks, *args, ws, slot)
            except BaseException as exc:  # handed to the calling thread, which re-raises it
                with done:
                    state["error"] = exc
            finally:
                with done:
                    state["done"] += 1
                    done.notify_all()

    with ThreadPoolExecutor(max_workers=nthreads - 1, thread_name_prefix="hybridxai-sv") as pool:
        for p in range(gam.size):
            kernels.prepare_pass(p, ntiles, t, sb, quadratic, gam, ws)
            with done:
                state.update(next=0, done=0)
                state["pass"] = p
            for slot in range(1, nthreads):
                pool.submit(work, p, slot)
            work(p, 0)
            with done:
                done.wait_for(lambda: state["done"] == state["next"] >= nchunks
                              or state["error"] is not None)
                error = state["error"]
            if error is not None:
                raise error
            if after_pass is not None:
                after_pass(p)


def evolve_numba(
    qubo: DenseQubo,
    layers: Sequence[Layer],
    dtype: str = "complex128",
    threads: int | None = None,
    on_step: Callable[[int], Any] | None = None,
) -> NDArray[np.complexfloating]:
    """Apply the layers to ``|+>^d`` with the fused numba kernel.

    Args:
        qubo: The problem in dense form.
        layers: ``("driver", θ)`` / ``("problem", γ)`` layers, applied left to right.
        dtype: ``"complex128"`` or ``"complex64"``.
        threads: Worker threads (``None``: one per available core). Problems under 2**18
            amplitudes always run on one thread.
        on_step: Called with the number of problem layers applied since its last call: after
            each one when the passes run threaded, once at the end on one thread.

    Returns:
        The final state (little-endian, length ``2**d``).
    """
    from hybridxai.anneal import _evolution_kernels as kernels

    name = check_dtype(dtype)
    threads = check_threads(threads)
    d = qubo.num_variables
    if d == 0:  # nothing to simulate: only the global phase of the offset
        return evolve_numpy(basis_energies(qubo), layers, name)
    real = np.float64 if name == "complex128" else np.float32
    thetas, gammas = driver_problem_sequence(layers)
    num_problem = len(gammas)
    t, rb, sb = kernels.plan_tiles(d, np.dtype(real).itemsize)
    num_fin = t - rb  # local bits a pass must finish for the previous one (0 with one tile)
    rows: list[tuple[float, bool, float, bool, bool, float, bool, complex]] = []
    for p in range(num_problem):
        tau_f, swap_f, f_fin = _rx_form(thetas[p])
        tau_s, swap_s, f_start = _rx_form(thetas[p + 1])
        do_fin = p > 0 and num_fin > 0 and thetas[p] != 0.0
        do_start = thetas[p + 1] != 0.0
        scalar = (f_fin**num_fin if do_fin else 1.0) * (f_start**t if do_start else 1.0)
        rows.append((gammas[p], do_fin, tau_f, swap_f, do_start, tau_s, swap_s, scalar))
    if num_problem and num_fin and thetas[-1] != 0.0:  # finish the last driver layer
        tau_f, swap_f, f_fin = _rx_form(thetas[-1])
        rows.append((0.0, True, tau_f, swap_f, False, 0.0, False, f_fin**num_fin))
    # D(θ_0) on |+>^d is the global phase exp(i·d·θ_0): |+> is an eigenvector of X
    first = thetas[0] if num_problem else sum(thetas)
    amplitude = complex(np.exp(1j * d * first)) * 2.0 ** (-d / 2)
    blocks, stride = 1 << (d - t), int(kernels.block_stride(d, t, rb))
    re = aligned_empty(blocks * stride, real)  # padded layout, see block_stride
    re.fill(amplitude.real)
    im = aligned_empty(blocks * stride, real)
    im.fill(amplitude.imag)
    if rows:
        cols = list(zip(*rows, strict=True))
        scalars = np.asarray(cols[7], dtype=np.complex128)
        args = (
            d, t, rb, sb,
            np.ascontiguousarray(qubo.linear, dtype=np.float64),
            np.ascontiguousarray(qubo.quadratic + qubo.quadratic.T, dtype=np.float64),
            float(qubo.offset),
            np.asarray(cols[0], dtype=np.float64),
            np.asarray(cols[1], dtype=np.bool_), np.asarray(cols[2], dtype=real),
            np.asarray(cols[3], dtype=np.bool_), np.asarray(cols[4], dtype=np.bool_),
            np.asarray(cols[5], dtype=real), np.asarray(cols[6], dtype=np.bool_),
            scalars.real.copy(), scalars.imag.copy(),
        )
        ntiles = 1 << (d - t)
        nthreads = 1 if 2**d < _MIN_PARALLEL_SIZE else min(threads or default_threads(), ntiles)
        if nthreads == 1:
            kernels.evolve_serial(re, im, *args)
            if on_step is not None and num_problem:
                on_step(num_problem)
        else:
            # one pass per problem layer, and maybe one more that finishes the last driver layer
            after = None if on_step is None else (lambda p: on_step(1) if p < num_problem else None)
            _evolve_threaded(kernels, re, im, args, nthreads, min(ntiles, 4 * nthreads), after)
    state = np.empty(2**d, dtype=_DTYPES[name])
    state.real.reshape(blocks, 1 << t)[...] = re.reshape(blocks, stride)[:, : 1 << t]
    del re
    state.imag.reshape(blocks, 1 << t)[...] = im.reshape(blocks, stride)[:, : 1 << t]
    return state


def evolve(
    qubo: DenseQubo,
    layers: Sequence[Layer],
    *,
    dtype: str = "complex128",
    precision: str | None = None,
    engine: str = "auto",
    threads: int | None = None,
    diagonal: NDArray[np.float64] | None = None,
    on_step: Callable[[int], Any] | None = None,
) -> NDArray[np.complexfloating]:
    """Apply ``layers`` to ``|+>^d`` with the chosen engine; the one entry point of this module.

    Args:
        qubo: The problem in dense form.
        layers: ``("driver", θ)`` / ``("problem", γ)`` layers
            (:func:`~hybridxai.anneal.schedules.trotter_layers`).
        dtype: ``"complex128"`` or ``"complex64"``.
        precision: ``"double"`` or ``"single"``, another name for ``dtype`` (see
            :func:`state_dtype`); single precision is about twice as fast and half the memory,
            with a fidelity error under :func:`single_precision_fidelity_bound` (1e-5 per
            1000 steps). Compute probabilities from the returned state in float64
            (``np.abs(state.astype(np.complex128)) ** 2``), as the samplers do.
        engine: ``"auto"`` (numba when it imports), ``"numba"`` or ``"numpy"``.
        threads: Threads of the numba engine (``None``: one per available core).
        diagonal: ``basis_energies(qubo)`` when the caller has it already (numpy engine).
        on_step: Called with the number of steps (problem layers) applied since its last call,
            e.g. a progress bar's ``update``: after each step with the numpy engine and with
            the numba engine on several threads (from 2**18 amplitudes on), once at the end
            with the numba engine on one thread (smaller states, or ``threads=1``).

    Returns:
        The final state (little-endian, length ``2**d``).

    Example:
        >>> import dimod
        >>> from hybridxai.anneal.ising import dense_qubo
        >>> from hybridxai.anneal.schedules import trotter_layers
        >>> q = dense_qubo(dimod.BinaryQuadraticModel({0: -1.0}, {}, 0.0, "BINARY"))
        >>> state = evolve(q, trotter_layers(None, 10.0, 100, 1, 1.0), engine="numpy")
        >>> round(float(abs(state[1]) ** 2), 2)  # the ground state |1>, reached adiabatically
        0.98
        >>> evolve(q, trotter_layers(None, 10.0, 100, 1, 1.0), precision="single").dtype
        dtype('complex64')
    """
    name = state_dtype(dtype, precision)
    if resolve_engine(check_engine(engine)) == "numpy":
        return evolve_numpy(basis_energies(qubo) if diagonal is None else diagonal, layers, name,
                            on_step)
    return evolve_numba(qubo, layers, name, check_threads(threads), on_step)

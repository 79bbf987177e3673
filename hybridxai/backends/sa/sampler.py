"""The "sa" backend: classical simulated annealing for feature-selection QUBOs.

Two engines behind one ``dimod.Sampler``:

* ``engine="numba"`` (default): a dense-QUBO annealer compiled with numba
  (:mod:`hybridxai.backends.sa.kernel`). Feature QUBOs are fully dense (every pair of
  maps has a cosine similarity), where a dense kernel with local fields beats a general sparse
  sampler. It also avoids dwave-samplers' default ``beta_range`` computation, a Python loop over
  all ~200k couplings that takes ~0.2 s of its ~0.26 s per call at 650 variables
  (docs/benchmarks.md, "Large QUBOs").
* ``engine="dwave"``: :class:`dwave.samplers.SimulatedAnnealingSampler`, the Ocean reference.

Both end every read with a local search (``polish=True``), which can only lower a read's
energy. Both honour ``seed``; when none is given one is drawn and recorded in ``info["seed"]``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import dimod
import numpy as np
from dwave.samplers import SimulatedAnnealingSampler as _DWaveSA
from dwave.samplers import SteepestDescentSolver
from dwave.samplers.sa.sampler import default_beta_range as dwave_beta_range

from hybridxai._util.blas import blas_threads
from hybridxai._util.checks import check_positive_int
from hybridxai.anneal.ising import dense_qubo
from hybridxai.backends.base import BaseSampler
from hybridxai.backends.sa.scaling import bias_scale
from hybridxai.exceptions import invalid_argument

__all__ = ["SimulatedAnnealingSampler", "default_beta_range", "DEFAULT_NUM_READS", "DEFAULT_NUM_SWEEPS"]

_ENGINES = ("numba", "dwave")
DEFAULT_NUM_READS = 8
"""Reads per call (numba engine: split over the cores)."""
DEFAULT_NUM_SWEEPS = 60
"""Sweeps per read of the numba engine. With 8 reads and the pair-flip polish this reached the
numerically certified optimum on 400/400 runs (two seeds × 100 images × two models of about 600
maps; docs/benchmarks.md)."""
_DENSE_LIMIT = 4096  # above this many variables the dense W matrix is not worth it


def default_beta_range(linear: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Hot and cold inverse temperatures for a QUBO, in the spirit of dwave-samplers.

    Hot: the largest possible single-flip energy change is accepted with probability ½.
    Cold: the smallest non-zero bias is accepted with probability 1 %. A bias counts as zero
    below 1e-12 times :func:`~hybridxai.backends.sa.scaling.bias_scale`, so the range scales
    with the problem: the QUBO times ``c`` gets the range divided by ``c`` (at 1e-12 too).

    Args:
        linear: ``(d,)`` linear biases.
        weights: ``(d, d)`` symmetric couplings.

    Returns:
        ``(beta_hot, beta_cold)``.

    Example:
        >>> linear, weights = np.array([-1.0, 0.5]), np.array([[0.0, 2.0], [2.0, 0.0]])
        >>> hot, cold = default_beta_range(linear, weights)
        >>> tiny = default_beta_range(linear * 2.0**-40, weights * 2.0**-40)
        >>> tiny == (hot * 2.0**40, cold * 2.0**40)
        True
    """
    largest = float(np.max(np.abs(linear) + np.abs(weights).sum(axis=1))) if linear.size else 0.0
    magnitudes = np.concatenate((np.abs(linear).ravel(), np.abs(weights).ravel()))
    magnitudes = magnitudes[magnitudes > 1e-12 * bias_scale(linear, weights)]
    if largest <= 0 or magnitudes.size == 0:
        return 1.0, 1.0
    hot = math.log(2.0) / largest
    cold = max(math.log(100.0) / float(magnitudes.min()), hot)
    return hot, cold


class SimulatedAnnealingSampler(BaseSampler):
    """Simulated annealing with a fast dense engine and the Ocean engine.

    Args:
        num_reads: Default number of independent anneals (default 8).
        num_sweeps: Default sweeps per read (default 60 for numba, dwave's own default 1000
            for ``engine="dwave"`` when left ``None``).
        seed: Default seed; ``None`` draws one per call (recorded in ``info["seed"]``).
        polish: Finish every read with a local search (default ``True``): single and pair
            flips for the numba engine, steepest descent for ``engine="dwave"``.
        engine: ``"numba"`` (default) or ``"dwave"``.
        beta_range: Default ``(hot, cold)`` inverse temperatures (``None``: from the biases).

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1, 1: -1}, {(0, 1): 3}, 0, "BINARY")
        >>> float(SimulatedAnnealingSampler(seed=3).sample(bqm).first.energy)
        -1.0
    """

    backend_name = "sa"
    bytes_per_read = 64  # a read holds d int8 states plus its energy

    def __init__(self, *, num_reads: int = DEFAULT_NUM_READS, num_sweeps: int | None = None,
                 seed: int | None = None, polish: bool = True, engine: str = "numba",
                 beta_range: tuple[float, float] | None = None) -> None:
        super().__init__(num_reads=num_reads, num_sweeps=num_sweeps, seed=seed, polish=polish,
                         engine=engine, beta_range=beta_range)
        self.check_options()

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments of :meth:`sample`."""
        return {name: [] for name in ("num_reads", "num_sweeps", "seed", "polish", "engine",
                                      "beta_range", "initial_states")}

    @property
    def properties(self) -> dict[str, Any]:
        """The backend, its engines and the dense size limit."""
        return {**super().properties, "engines": _ENGINES, "dense_limit": _DENSE_LIMIT}

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        if options.get("num_sweeps") is not None:
            check_positive_int("num_sweeps", options["num_sweeps"], "pass e.g. num_sweeps=100")
        if options.get("engine") not in _ENGINES:
            raise invalid_argument("engine", options.get("engine"), "unknown simulated-annealing engine",
                                   "pass engine='numba' (fast, dense) or engine='dwave'")
        beta_range = options.get("beta_range")
        if beta_range is not None:
            try:
                hot, cold = (float(b) for b in beta_range)
            except (TypeError, ValueError):
                raise invalid_argument("beta_range", beta_range, "must be a pair (hot, cold)",
                                       "pass e.g. beta_range=(0.1, 10.0)") from None
            if not (0 < hot <= cold and math.isfinite(cold)):
                raise invalid_argument("beta_range", beta_range, "needs 0 < hot <= cold < inf",
                                       "pass e.g. beta_range=(0.1, 10.0)")
        return options

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Sample ``bqm`` with simulated annealing.

        Args:
            bqm: BINARY or SPIN model (samples come back in its vartype).
            **parameters: Any of :attr:`parameters`; unset ones take the constructor defaults.
                ``initial_states`` (numba engine: an ``R×d`` 0/1 array in ``bqm.variables``
                order, or a SampleSet) warm-starts the reads.

        Returns:
            A ``dimod.SampleSet`` (one row per read, energies including the offset); ``info``
            has ``engine``, ``seed``, ``num_sweeps``, ``beta_range``, ``polished`` and
            ``timing`` (``*_ns``).
        """
        options = self.check_sample(bqm, **parameters)
        if options["seed"] is None:
            options["seed"] = int(np.random.SeedSequence().generate_state(1)[0])
        engine = options["engine"]
        if engine == "numba" and bqm.num_variables > _DENSE_LIMIT:
            engine = "dwave"
        if engine == "dwave":
            return self._sample_dwave(bqm, options)
        with blas_threads(1):  # spinning OpenBLAS threads would take the cores of the reads
            return self._sample_numba(bqm, options)

    def _sample_numba(self, bqm: dimod.BinaryQuadraticModel, options: dict[str, Any]) -> dimod.SampleSet:
        from hybridxai.backends.sa.kernel import anneal_dense

        t0 = time.perf_counter_ns()
        qubo = dense_qubo(bqm)
        d, reads = qubo.num_variables, int(options["num_reads"])
        sweeps = int(options["num_sweeps"] or DEFAULT_NUM_SWEEPS)
        # the kernel's local search stops at improvements below 1e-12: run it on the model divided
        # by a power of two near its largest bias (exact, and a no-op for biases of about 1), with
        # the temperatures scaled to match, so a QUBO times 1e-12 or 1e12 anneals the same way
        weights = qubo.quadratic + qubo.quadratic.T
        scale = bias_scale(qubo.linear, weights)
        weights = np.ascontiguousarray(weights / scale)
        if options["beta_range"]:
            hot, cold = (float(b) for b in options["beta_range"])
            betas = np.geomspace(hot, cold, sweeps) * scale
        else:
            betas = np.geomspace(*default_beta_range(qubo.linear / scale, weights), sweeps)
            hot, cold = float(betas[0]) / scale, float(betas[-1]) / scale
        rng = np.random.default_rng(options["seed"])
        initial = self._initial_states(options.get("initial_states"), bqm, qubo.variables, reads, rng)
        t1 = time.perf_counter_ns()
        states = anneal_dense(weights, np.ascontiguousarray(qubo.linear / scale), betas, initial,
                              int(options["seed"]), bool(options["polish"])) if d else initial
        t2 = time.perf_counter_ns()
        energies = qubo.energies(states)
        samples = 2 * states - 1 if bqm.vartype is dimod.SPIN else states
        info = {"engine": "numba", "seed": int(options["seed"]), "num_reads": reads, "num_sweeps": sweeps,
                "beta_range": [hot, cold], "polished": bool(options["polish"])}
        return self.to_sampleset((samples, list(qubo.variables)), vartype=bqm.vartype, energy=energies,
                                 info=info, timing={"preprocessing_ns": t1 - t0, "sampling_ns": t2 - t1,
                                                    "postprocessing_ns": time.perf_counter_ns() - t2})

    @staticmethod
    def _initial_states(given: Any, bqm: dimod.BinaryQuadraticModel, variables: tuple[Any, ...],
                        reads: int, rng: np.random.Generator) -> np.ndarray:
        d = len(variables)
        if given is None:
            return rng.integers(0, 2, size=(reads, d), dtype=np.int8)
        if isinstance(given, dimod.SampleSet):
            array = dimod.as_samples(given)
            index = {v: i for i, v in enumerate(array[1])}
            states = np.asarray(array[0])[:, [index[v] for v in variables]]
        else:
            states = np.atleast_2d(np.asarray(given))
        if states.shape[1:] != (d,) or states.shape[0] < 1:
            raise invalid_argument("initial_states", states, f"must have shape (R, {d})",
                                   "pass one row per read in bqm.variables order")
        if bqm.vartype is dimod.SPIN:
            states = (states + 1) // 2
        if not np.isin(states, (0, 1)).all():
            raise invalid_argument("initial_states", states, "must hold only 0/1 (or ±1 for SPIN)",
                                   "pass binary states")
        return np.resize(states.astype(np.int8), (reads, d))

    def _sample_dwave(self, bqm: dimod.BinaryQuadraticModel, options: dict[str, Any]) -> dimod.SampleSet:
        child_options = {k: options[k] for k in ("num_reads", "num_sweeps", "seed",
                                                 "initial_states") if options.get(k) is not None}
        t0 = time.perf_counter_ns()
        # As for the numba engine: anneal the model divided by a power of two near its largest
        # bias (exact; unchanged for biases of about 1), so the descent's absolute thresholds
        # and dwave-samplers' beta range do not degenerate on a QUBO times 1e-12 or 1e12.
        linear, (_, _, couplings), _ = bqm.to_numpy_vectors()
        scale = bias_scale(linear, couplings)
        work = bqm
        if scale != 1.0:
            work = bqm.copy()
            work.scale(1.0 / scale)
        if options.get("beta_range") is not None:
            beta_range = tuple(float(b) * scale for b in options["beta_range"])
        else:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # checked below
                beta_range = tuple(float(b) for b in dwave_beta_range(work))
            if not all(0 < b < math.inf for b in beta_range):  # e.g. biases of 1e-300 next to 1
                qubo = dense_qubo(work)
                beta_range = default_beta_range(qubo.linear, qubo.quadratic + qubo.quadratic.T)
        result = _DWaveSA().sample(work, beta_range=beta_range, **child_options)
        t1 = time.perf_counter_ns()
        info = dict(result.info)
        info["beta_range"] = [b / scale for b in beta_range]
        timing = dict(info.pop("timing", {}))
        if options["polish"] and bqm.num_variables:
            result = SteepestDescentSolver().sample(work, initial_states=result)
            timing["polish_ns"] = time.perf_counter_ns() - t1
        if work is not bqm:  # the energies of the model given, offset included
            result = dimod.SampleSet.from_samples_bqm(result, bqm,
                                                      num_occurrences=result.record.num_occurrences)
        timing["wall_ns"] = time.perf_counter_ns() - t0
        info.update({"engine": "dwave", "seed": int(options["seed"]), "polished": bool(options["polish"]),
                     "num_reads": int(options["num_reads"])})
        return self.to_sampleset(result, info=info, timing=timing)

"""The "sa" backend: simulated annealing on the dense QUBO (numba kernel) with a descent polish."""

from hybridxai.backends.sa.sampler import (
    DEFAULT_NUM_READS,
    DEFAULT_NUM_SWEEPS,
    SimulatedAnnealingSampler,
    default_beta_range,
)

__all__ = ["SimulatedAnnealingSampler", "default_beta_range", "DEFAULT_NUM_READS", "DEFAULT_NUM_SWEEPS"]

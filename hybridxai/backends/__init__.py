"""Samplers (``dimod.Sampler`` subclasses) that solve the feature-selection QUBO.

Use :func:`get_sampler` to create one by name; see :data:`BACKENDS` for the list.
"""

from hybridxai.backends.registry import BACKENDS, available_backends, get_sampler, register_backend

__all__ = ["BACKENDS", "available_backends", "get_sampler", "register_backend"]

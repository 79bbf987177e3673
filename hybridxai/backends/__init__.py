"""Samplers (``dimod.Sampler`` subclasses) that solve the feature-selection QUBO.

Use :func:`get_sampler` to create one by name; see :data:`BACKENDS` for the list. Every
hybridxai sampler derives from :class:`~hybridxai.backends.base.BaseSampler` (defaults, the
pre-flight ``check_options``, ``info["backend"]`` and ``info["timing"]``);
:func:`hybridxai.backends.testing.check_sampler` checks that contract on any sampler.
"""

from hybridxai.backends.base import BaseSampler
from hybridxai.backends.registry import BACKENDS, available_backends, get_sampler, register_backend

__all__ = ["BACKENDS", "BaseSampler", "available_backends", "get_sampler", "register_backend"]

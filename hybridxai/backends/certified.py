"""The "certified" backend: the proven optimum of a QUBO, as a ``dimod.Sampler``.

A thin wrapper around :func:`hybridxai.certify.certify` (branch and bound on the convexified
relaxation). It returns one sample, the best found, and records in ``info`` whether it is a
proven optimum and the lower bound; when ``time_limit`` stops the search first it warns and
returns the best sample with its certified gap.

Example:
    >>> import dimod
    >>> bqm = dimod.BinaryQuadraticModel({0: -1, 1: -1}, {(0, 1): 3}, 0, "BINARY")
    >>> result = CertifiedSampler().sample(bqm)
    >>> float(result.first.energy), result.info["optimal"]
    (-1.0, True)
"""

from __future__ import annotations

import warnings
from typing import Any

import dimod

from hybridxai.certify import DEFAULT_TIME_LIMIT, DEFAULT_TOLERANCE, _check_number, certify
from hybridxai.exceptions import invalid_argument

__all__ = ["CertifiedSampler", "OptimalityNotProvenWarning"]


class OptimalityNotProvenWarning(UserWarning):
    """The time limit stopped the search before the best sample was proven optimal."""


class CertifiedSampler(dimod.Sampler):
    """Exact minimisation with a certificate of optimality (or a bound on the gap).

    Args:
        time_limit: Default seconds per call (default 60).
        tolerance: Default relative optimality tolerance (default 1e-12).

    Example:
        >>> sampler = CertifiedSampler(time_limit=10)
        >>> sampler.parameters["incumbent"]
        []
    """

    def __init__(self, *, time_limit: float = DEFAULT_TIME_LIMIT,
                 tolerance: float = DEFAULT_TOLERANCE) -> None:
        _check_number("time_limit", time_limit, "pass a number of seconds, e.g. time_limit=60")
        _check_number("tolerance", tolerance, "pass e.g. tolerance=1e-12")
        self.defaults: dict[str, Any] = {"time_limit": time_limit, "tolerance": tolerance}

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments of :meth:`sample`."""
        return {"time_limit": [], "tolerance": [], "incumbent": []}

    @property
    def properties(self) -> dict[str, Any]:
        """The method used."""
        return {"method": "convex-bnb"}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Minimise ``bqm`` and certify the result.

        Args:
            bqm: BINARY or SPIN model (the sample comes back in its vartype).
            **parameters: ``time_limit``, ``tolerance`` (default: the constructor's) and
                ``incumbent`` (a known solution to start from: a sample, a SampleSet or an
                array in ``bqm.variables`` order).

        Returns:
            A one-row ``dimod.SampleSet``; ``info`` holds ``optimal``, ``lower_bound``,
            ``gap``, ``status``, ``nodes``, ``method``, ``root_bound`` and ``timing``
            (``solve_ns``).

        Warns:
            OptimalityNotProvenWarning: The time limit stopped the search first.
        """
        unknown = set(parameters) - set(self.parameters)
        if unknown:
            raise invalid_argument("parameters", sorted(unknown), "unknown options for the 'certified' "
                                   "backend", f"use some of {sorted(self.parameters)}")
        options = {**self.defaults, **{k: v for k, v in parameters.items() if v is not None}}
        cert = certify(bqm, **options)
        if not cert.optimal:
            warnings.warn(
                f"the certified backend stopped at time_limit={cert.info['time_limit']:g} s before "
                f"proving optimality: best energy {cert.best_energy:.10g}, lower bound "
                f"{cert.lower_bound:.10g} (gap {cert.gap:.3g}). Pass a larger time_limit for a proof.",
                OptimalityNotProvenWarning, stacklevel=2,
            )
        info = {
            "optimal": cert.optimal, "lower_bound": cert.lower_bound, "gap": cert.gap,
            "status": cert.status, "nodes": cert.nodes, "method": cert.method,
            "root_bound": cert.info.get("root_bound"), "timing": {"solve_ns": int(cert.solve_time * 1e9)},
        }
        variables = list(bqm.variables)
        row = [[cert.best_sample[v] for v in variables]] if variables else [[]]
        return dimod.SampleSet.from_samples((row, variables), vartype=bqm.vartype,
                                            energy=[cert.best_energy], info=info)

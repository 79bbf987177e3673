"""The "certified" backend: the proven optimum of a QUBO, as a ``dimod.Sampler``.

A thin wrapper around :func:`hybridxai.backends.certified.branch_and_bound.certify` (branch and
bound on the convexified relaxation). It returns one sample, the best found, and records in
``info`` whether it is a
numerically certified optimum (exact up to float64 rounding) and the lower bound; when
``time_limit`` or ``max_nodes`` stops the search first it warns and returns the best sample with
its certified gap.

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

from hybridxai.backends.base import BaseSampler
from hybridxai.backends.certified.branch_and_bound import (
    DEFAULT_TIME_LIMIT,
    DEFAULT_TOLERANCE,
    _check_max_nodes,
    _check_number,
    _check_tolerance,
    certify,
)

__all__ = ["CertifiedSampler", "OptimalityNotProvenWarning"]


class OptimalityNotProvenWarning(UserWarning):
    """``time_limit`` or ``max_nodes`` stopped the search before the best sample was proven optimal."""


class CertifiedSampler(BaseSampler):
    """Exact minimisation with a certificate of optimality (or a bound on the gap).

    Args:
        time_limit: Default seconds per call (default 60).
        tolerance: Default relative optimality tolerance, in (0, 1) (default 1e-12).
        max_nodes: Default limit on branch-and-bound nodes per call (default ``None``: none).

    Example:
        >>> sampler = CertifiedSampler(time_limit=10)
        >>> sampler.parameters["incumbent"]
        []
    """

    backend_name = "certified"

    def __init__(self, *, time_limit: float = DEFAULT_TIME_LIMIT,
                 tolerance: float = DEFAULT_TOLERANCE, max_nodes: int | None = None) -> None:
        super().__init__(time_limit=time_limit, tolerance=tolerance, max_nodes=max_nodes)
        self.check_options()

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments of :meth:`sample`."""
        return {"time_limit": [], "tolerance": [], "max_nodes": [], "incumbent": []}

    @property
    def properties(self) -> dict[str, Any]:
        """The backend and the method used."""
        return {**super().properties, "method": "convex-bnb"}

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        _check_number("time_limit", options["time_limit"], "pass a number of seconds, e.g. time_limit=60")
        _check_tolerance(options["tolerance"])
        _check_max_nodes(options["max_nodes"])
        return options

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Minimise ``bqm`` and certify the result.

        Args:
            bqm: BINARY or SPIN model (the sample comes back in its vartype).
            **parameters: ``time_limit``, ``tolerance``, ``max_nodes`` (default: the
                constructor's) and
                ``incumbent`` (a known solution to start from: a sample, a SampleSet or an
                array in ``bqm.variables`` order).

        Returns:
            A one-row ``dimod.SampleSet``; ``info`` holds ``optimal``, ``lower_bound``,
            ``gap``, ``status``, ``nodes``, ``method``, ``root_bound`` and ``timing``
            (``solve_ns``).

        Warns:
            OptimalityNotProvenWarning: ``time_limit`` or ``max_nodes`` stopped the search first.
        """
        options = self.check_options(bqm, **parameters)
        cert = certify(bqm, **options)
        if not cert.optimal:
            if cert.status == "node_limit":
                name, where = "max_nodes", f"max_nodes={cert.info['max_nodes']}"
            else:
                name, where = "time_limit", f"time_limit={cert.info['time_limit']:g} s"
            warnings.warn(
                f"the certified backend stopped at {where} before proving optimality: best energy "
                f"{cert.best_energy:.10g}, lower bound {cert.lower_bound:.10g} (gap {cert.gap:.3g}). "
                f"Pass a larger {name} for a proof.",
                OptimalityNotProvenWarning, stacklevel=2,
            )
        info = {
            "optimal": cert.optimal, "lower_bound": cert.lower_bound, "gap": cert.gap,
            "status": cert.status, "nodes": cert.nodes, "method": cert.method,
            "root_bound": cert.info.get("root_bound"),
        }
        variables = list(bqm.variables)
        row = [[cert.best_sample[v] for v in variables]] if variables else [[]]
        return self.to_sampleset((row, variables), vartype=bqm.vartype, energy=[cert.best_energy],
                                 info=info, timing={"solve_ns": int(cert.solve_time * 1e9)})

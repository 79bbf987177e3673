"""The "certified" backend: a proven optimum (convex branch and bound) or a bound on the gap."""

from hybridxai.backends.certified.branch_and_bound import (
    DEFAULT_TIME_LIMIT,
    DEFAULT_TOLERANCE,
    Certificate,
    certify,
)
from hybridxai.backends.certified.sampler import CertifiedSampler, OptimalityNotProvenWarning

__all__ = [
    "CertifiedSampler", "OptimalityNotProvenWarning", "Certificate", "certify", "DEFAULT_TIME_LIMIT",
    "DEFAULT_TOLERANCE",
]

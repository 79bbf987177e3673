"""Remote backends: D-Wave ("dwave", "leap-hybrid") and IBM Quantum ("ibm-runtime").

Their SDKs are optional; nothing is imported from them until a sampler is used. What they
share (local credential lookup, token redaction, error translation, ``close()``/``with``)
lives in :mod:`hybridxai.backends.cloud.connection`.
"""

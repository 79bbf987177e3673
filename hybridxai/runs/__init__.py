"""Long runs that survive interruption.

Append-only result records with a settings fingerprint (:mod:`~hybridxai.runs.records`) and
executors that spread units over processes or a Dask
cluster (:mod:`~hybridxai.runs.execution`). Nothing here knows what a unit computes.
"""

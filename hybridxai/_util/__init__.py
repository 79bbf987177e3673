"""Private helpers used by every layer: argument checks, optional imports, memory, BLAS threads, files.

Nothing here knows about feature maps, annealing or models; it imports only
:mod:`hybridxai.exceptions`.
"""

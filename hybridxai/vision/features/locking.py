"""One re-entrant lock per model, held while hooks sit on it and it runs a pass for us (U2).

Feature extraction registers forward hooks on the model's modules and switches every module to
eval mode for the pass. Both are shared state of the model object: without a lock, a second
thread's forward pass fires the first thread's hooks (its maps are then captured twice or from
the wrong image), and one thread's restore of the ``training`` flags flips a model in training
mode back while another thread is still running it. :func:`model_lock` gives every model its own
:class:`threading.RLock`, kept in a :class:`weakref.WeakKeyDictionary` (so it never keeps a model
alive); :func:`~hybridxai.vision.features.extract_features` and
:func:`~hybridxai.vision.features.find_default_layer` hold it for their passes. Threads sharing
one model therefore run its passes one at a time (and get exactly the results of serial calls),
while everything else they do (building and solving the QUBO) runs in parallel. Distinct models,
even copies of one, never wait for each other.

Example:
    >>> import torch
    >>> net = torch.nn.Conv2d(3, 4, 3)
    >>> model_lock(net) is model_lock(net)
    True
    >>> with model_lock(net):
    ...     pass
"""

from __future__ import annotations

import threading
import weakref

from torch import nn

__all__ = ["model_lock"]

_LOCKS: weakref.WeakKeyDictionary[nn.Module, threading.RLock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()  # makes "look up, else create" atomic


def model_lock(model: nn.Module) -> threading.RLock:
    """The re-entrant lock of ``model`` (created on first use; the same object after).

    Args:
        model: The network (any ``nn.Module``; keyed by identity).

    Returns:
        Its ``threading.RLock``: hold it while hooks are registered on the model, while it runs a
        forward/backward pass for you, and while its ``training`` flags are switched.
    """
    with _GUARD:
        lock = _LOCKS.get(model)
        if lock is None:
            lock = _LOCKS[model] = threading.RLock()
        return lock

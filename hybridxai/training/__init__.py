"""Training the paper's heads on a frozen pretrained backbone, and their checkpoint format.

* :func:`train_paper_models` — the whole recipe (also ``hybridxai train`` on the command line);
* :func:`cache_features` — backbone outputs computed once, stored as float16 on disk;
* :func:`fit_head` — Adam, best-validation epoch kept;
* :func:`save_checkpoint` / :func:`load_checkpoint` — head weights plus architecture, class
  names, preprocessing, training settings and metrics.
"""

from hybridxai.training.cache import CachedFeatures, cache_features, cache_key, default_cache_dir
from hybridxai.training.loop import (
    EvalResult,
    TrainConfig,
    TrainResult,
    evaluate,
    fit_head,
    head_forward,
)
from hybridxai.training.pipeline import PAPER_HEADS, TrainedHead, parse_heads, train_paper_models
from hybridxai.vision.models.checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    load_checkpoint,
    read_checkpoint,
    resolve_checkpoint,
    save_checkpoint,
)

__all__ = [
    "CachedFeatures", "EvalResult", "FORMAT", "FORMAT_VERSION", "PAPER_HEADS", "TrainConfig",
    "TrainResult", "TrainedHead", "cache_features", "cache_key", "default_cache_dir", "evaluate",
    "fit_head", "head_forward", "load_checkpoint", "parse_heads", "read_checkpoint",
    "resolve_checkpoint", "save_checkpoint", "train_paper_models",
]

"""From a model and images to explanations.

:func:`explain`, :func:`explain_batch` and :func:`explain_folder`, the :class:`ExplainSettings`
they share, and the :class:`Explanation` they return.

(The package is ``hybridxai.explainer`` so that ``hybridxai.explain`` is always the function.)
"""

from hybridxai.explainer.explanation import Explanation
from hybridxai.explainer.folder import BatchReport, explain_folder, load_results
from hybridxai.explainer.pipeline import EmptySelectionWarning, default_beta, explain, explain_batch
from hybridxai.explainer.settings import ExplainSettings

__all__ = [
    "explain", "explain_batch", "explain_folder", "ExplainSettings", "Explanation", "BatchReport",
    "load_results",
    "default_beta", "EmptySelectionWarning",
]

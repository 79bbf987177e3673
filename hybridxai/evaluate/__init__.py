"""Faithfulness evaluation of explanation methods with Quantus and pytorch-grad-cam.

:func:`evaluate` explains the same images with several methods (hybridxai selections at chosen
settings, a random-subset control of the same size, pytorch-grad-cam's GradCAM, GradCAM++ and
ScoreCAM), scores every map with Quantus's faithfulness metrics and hybridxai's Average Drop /
Increase in Confidence, and summarises: mean ± 95 % CI per metric and method, and a paired
Wilcoxon test against a reference (GradCAM by default) with Holm's correction. See
``docs/faithfulness.md`` for a study on real photos. Needs ``pip install 'hybridxai[eval]'``.

Example:
    >>> import hybridxai                                                         # doctest: +SKIP
    >>> from hybridxai.evaluate import evaluate
    >>> model = hybridxai.load_pretrained("mobilenet_v2")                        # doctest: +SKIP
    >>> result = evaluate(model, paths, ["qubo:beta=0.7", "random:beta=0.7", "gradcam"])  # doctest: +SKIP
    >>> result.save("out/eval")                                                  # doctest: +SKIP
"""

from hybridxai.evaluate.evaluation import DEFAULT_METHODS, DEFAULT_METRICS, Evaluation, evaluate
from hybridxai.evaluate.faithfulness import METRICS, MetricInfo, QuantusSettings, score_methods
from hybridxai.evaluate.methods import CAM_METHODS, MethodSpec, compute_maps, parse_method, parse_methods
from hybridxai.evaluate.statistics import MeanCI, PairedTest, holm, mean_ci, paired_wilcoxon

__all__ = [
    "evaluate", "Evaluation", "DEFAULT_METHODS", "DEFAULT_METRICS",
    "METRICS", "MetricInfo", "QuantusSettings", "score_methods",
    "MethodSpec", "parse_method", "parse_methods", "compute_maps", "CAM_METHODS",
    "MeanCI", "mean_ci", "PairedTest", "paired_wilcoxon", "holm",
]

"""Faithfulness evaluation of explanation methods with Quantus and pytorch-grad-cam.

:func:`evaluate` explains the same images with several methods (hybridxai selections at chosen
settings, a random-subset control of the same size, pytorch-grad-cam's GradCAM, GradCAM++ and
ScoreCAM), scores every map with Quantus's faithfulness metrics and hybridxai's Average Drop /
Increase in Confidence, and summarises: mean ± 95 % CI per metric and method, and a paired
Wilcoxon test against a reference (GradCAM by default) with Holm's correction. See
``docs/faithfulness.md`` for a study on real photos. Needs ``pip install 'hybridxai[eval]'``.

Example:
    >>> import tempfile, skimage.data
    >>> from hybridxai.evaluate import evaluate
    >>> from hybridxai.vision.models import load_paper_model
    >>> model = load_paper_model("fashion-mnist", "restricted", 16)
    >>> pictures = [skimage.data.camera(), skimage.data.coins()]   # or paths of image files
    >>> result = evaluate(model, pictures, ["qubo:beta=0.7", "random:beta=0.7", "gradcam"],
    ...                   metrics=["average_drop", "increase_in_confidence"], progress=False)
    >>> sorted(result.save(tempfile.mkdtemp()))
    ['plot', 'scores_csv', 'settings', 'summary_csv', 'summary_md']
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

"""Everything about images and CNNs.

Loading pictures (:mod:`~hybridxai.vision.images`), pretrained and paper models
(:mod:`~hybridxai.vision.models`), data sets (:mod:`~hybridxai.vision.data`), running a
classifier (:mod:`~hybridxai.vision.classifier`), the target classes
(:mod:`~hybridxai.vision.targets`), the forward/backward pass that yields feature maps and
gradients (:mod:`~hybridxai.vision.features`), and saliency maps (:mod:`~hybridxai.vision.saliency`).
"""

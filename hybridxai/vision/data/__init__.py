"""Data: Fashion-MNIST (local IDX), STL-10 (torchvision), image folders, and the paper's preprocessing.

The entry point is :func:`load_dataset`, which returns seeded, disjoint train / validation /
test splits whose items are ``(model input, label)`` pairs; ``split.pixels(i)`` gives the
picture in [0, 1] pixel space (what the metrics multiply by an explanation map).
"""

from hybridxai.vision.data.datasets import (
    DatasetSplits,
    ImageSource,
    LabelledImages,
    resolve_size,
    split_indices,
)
from hybridxai.vision.data.idx import read_idx, write_idx
from hybridxai.vision.data.loading import DATASETS, canonical_name, load_dataset, load_sources
from hybridxai.vision.data.sources import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_ROOT,
    STL10_CLASSES,
    default_data_dir,
    fashion_mnist,
    image_folder,
    stl10,
)
from hybridxai.vision.data.transforms import IMAGENET_MEAN, IMAGENET_STD, PaperPreprocessing

__all__ = [
    "DATASETS", "DatasetSplits", "FASHION_MNIST_CLASSES", "FASHION_MNIST_ROOT", "IMAGENET_MEAN",
    "IMAGENET_STD", "ImageSource", "LabelledImages", "PaperPreprocessing", "STL10_CLASSES",
    "canonical_name", "default_data_dir", "fashion_mnist", "image_folder", "load_dataset",
    "load_sources", "read_idx", "resolve_size", "split_indices", "stl10", "write_idx",
]

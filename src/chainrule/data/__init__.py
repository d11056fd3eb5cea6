"""Data: real data sets offline, synthetic ones, batching, splits, preprocessing, imbalance,
augmentation (seeded transforms of the training batches, ``fit(augment=...)``), corruption
(label noise and input noise, drawn once: ``corrupt_labels``, ``add_input_noise``), sequence
tasks for recurrent networks (``sequences``: the adding problem, copy memory).

``load(name)`` returns a :class:`Dataset` from the plain-dict registry ``DATASETS``
(``chainrule datasets list`` shows it); nothing here touches the network.
"""
from .dataset import Dataset
from .datasets import DATASETS, DatasetSpec, load, missing, options, default_cache_dir
from .idx import read_idx, write_idx, ChecksumError
from .batching import batches, DataLoader, num_batches
from .splits import Split, train_val_test_split, kfold
from .preprocessing import PREPROCESSORS, Prepared, prepare, make_pipeline, one_hot
from .augmentation import (AUGMENTATIONS, Compose, GaussianNoise, MixedTargets, Mixup,
                           RandomCrop, RandomHorizontalFlip, RandomScale, RandomShift, Transform,
                           make_augmentation)
from .imbalance import make_imbalanced, class_weights, random_oversample, random_undersample
from .corruption import add_input_noise, corrupt_labels
from . import sequences, synthetic

__all__ = ["Dataset", "DATASETS", "DatasetSpec", "load", "missing", "options", "default_cache_dir",
           "read_idx", "write_idx", "ChecksumError", "batches", "DataLoader", "num_batches",
           "Split", "train_val_test_split", "kfold", "PREPROCESSORS", "Prepared", "prepare",
           "make_pipeline", "one_hot", "make_imbalanced", "class_weights",
           "random_oversample", "random_undersample", "synthetic", "sequences", "AUGMENTATIONS",
           "Transform", "Compose", "GaussianNoise", "RandomShift", "RandomScale", "RandomCrop",
           "RandomHorizontalFlip", "Mixup", "MixedTargets", "make_augmentation",
           "corrupt_labels", "add_input_noise"]

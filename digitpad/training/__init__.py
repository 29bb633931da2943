"""The plumbing of ``train_model.py``: data, pen rendering, model card, plots, install.

Only training and the benchmarks import this package; the app and the CLI
never do. Importing it imports numpy, Pillow and digitpad's core, never
TensorFlow or Matplotlib: the functions that need them import them when
called (``images.make_dataset``, ``card.library_versions``, the plots,
``export.export_tflite``).

Modules: :mod:`.data` (MNIST and pen-digit files, downloads, checks),
:mod:`.pen` (pen digits rendered through the app's ink path; ink transforms,
writing styles and low-grade tablets among them), :mod:`.styles` (the
writing styles MNIST lacks), :mod:`.recipe`, :mod:`.seed` (the classic Keras
convnet), :mod:`.images` (``tf.data`` batches and image augmentation),
:mod:`.card` (scores and the model card), :mod:`.plots`, :mod:`.run` (the
steps ``train_model.py`` runs: data, model, training, evaluation, export),
:mod:`.install` (staging folder and the all-or-nothing install), :mod:`.export`
(LiteRT).
"""

from .card import INPUT_CONVENTION, model_card, scores, write_card
from .data import (
    IDX_FILES,
    NUM_CLASSES,
    DataError,
    DownloadError,
    extract_pendigits,
    load_mnist,
    load_pendigits,
    sha256,
)
from .images import ImageAugmentation, make_dataset
from .install import install, signals_deferred, staging_folder
from .pen import (
    InkDistortion,
    InkTransform,
    LowGradeTablet,
    PenRenders,
    WritingStyle,
    render_pen_digits,
)
from .plots import plot_confusion, plot_curves
from .recipe import Recipe

__all__ = [
    "IDX_FILES",
    "INPUT_CONVENTION",
    "NUM_CLASSES",
    "DataError",
    "DownloadError",
    "ImageAugmentation",
    "InkDistortion",
    "InkTransform",
    "LowGradeTablet",
    "PenRenders",
    "Recipe",
    "WritingStyle",
    "extract_pendigits",
    "install",
    "load_mnist",
    "load_pendigits",
    "make_dataset",
    "model_card",
    "plot_confusion",
    "plot_curves",
    "render_pen_digits",
    "scores",
    "sha256",
    "signals_deferred",
    "staging_folder",
    "write_card",
]

"""The model card: scores on a test set and everything needed to reproduce a model."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from ..preprocess import FIELD
from .data import NUM_CLASSES
from .export import OUTPUTS_CARD

__all__ = [
    "INPUT_CONVENTION",
    "library_versions",
    "model_card",
    "pen_split",
    "scores",
    "source_split",
    "summary",
    "write_card",
]

INPUT_CONVENTION = {
    "shape": [FIELD, FIELD, 1],
    "dtype": "float32",
    "range": [0.0, 1.0],
    "polarity": "light ink (1.0) on a dark background (0.0), like MNIST",
    "preprocessing": "crop to the ink, fit a 20x20 box keeping aspect, anti-alias, "
    "centre of mass at the centre of the 28x28 field (digitpad.preprocess)",
}


def scores(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, mean cross-entropy, per-class accuracy and confusion matrix.

    ``probabilities`` is ``[n, 10]``; rows of the confusion matrix are the
    true digits, columns the predicted ones.
    """
    labels = np.asarray(labels, dtype=int)
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    eps = 1e-7  # a probability of exactly 0 for the true digit must not give an infinite loss
    loss = float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels] + eps)))
    per_class = (confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)).round(5)
    return {
        "accuracy": round(float((predicted == labels).mean()), 5),
        "loss": round(loss, 5),
        "per_class_accuracy": {str(d): float(a) for d, a in enumerate(per_class)},
        "confusion_matrix": confusion.tolist(),
        "count": int(len(labels)),
    }


def pen_split(training: list, held_out: list, rendered_images: int) -> dict:
    """What the card says about the pen digits: the writers on each side, the counts."""
    return {
        "training_writers": sorted({d.writer for d in training}),
        "held_out_writers": sorted({d.writer for d in held_out}),
        "training_digits": len(training),
        "rendered_training_images": int(rendered_images),
    }


def source_split(training: list, held_out: list, rendered_images: int) -> dict:
    """What the card says about the UNIPEN digits: the sources on each side, the counts."""
    return {
        "training_sources": sorted({d.source for d in training}),
        "held_out_sources": sorted({d.source for d in held_out}),
        "training_writers": len({d.writer for d in training}),
        "training_digits": len(training),
        "held_out_digits": len(held_out),
        "rendered_training_images": int(rendered_images),
    }


def library_versions() -> dict:
    """Versions of Python and the libraries a training run depends on (imports TensorFlow)."""
    import keras
    import PIL
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
    }


def model_card(
    args, recipe, model, clean_epochs: int, data: dict, test: dict, seconds, gpus: int
) -> dict:
    """The card of ``model``, trained now on this machine.

    ``args`` are ``train_model.py``'s options (:func:`.cli.parse_args`:
    recipe name, epochs, batch size, seed, limit), ``recipe`` the
    :class:`.recipe.Recipe` they name; ``data`` is the provenance of the
    training data, ``test`` maps test sets to :func:`scores` (or ``None``),
    ``seconds`` is the training's (wall, CPU) time.
    """
    return {
        "name": f"digitpad-{args.recipe}",
        "recipe": args.recipe,
        "description": recipe.description,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "hyperparameters": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": model.optimizer.__class__.__name__,
            "learning_rate": recipe.learning_rate,
            "augmentation": recipe.augmentation is not None,
            "clean_epochs": clean_epochs,
            "pen_copies": recipe.pen_copies,
            "pen_weight": recipe.pen_weight,
            "picture_layer": recipe.picture_layer,
            "picture_weight": recipe.picture_weight if recipe.picture_layer else None,
            "parameters": int(model.count_params()),
        },
        "styles": recipe.styles,
        "seed": args.seed,
        "limit": args.limit,
        "data": data,
        "test": test,
        "training_seconds": round(seconds[0], 1),
        "training_cpu_seconds": round(seconds[1], 1),
        "machine": {"processor": platform.machine(), "cpus": os.cpu_count(), "gpus": gpus},
        "versions": library_versions(),
        "input": INPUT_CONVENTION,
        "output": "softmax probabilities of the digits 0-9",
        "outputs": {
            name: text
            for name, text in OUTPUTS_CARD.items()
            if recipe.picture_layer or name != "picture_probabilities"
        },
        "files": {"tflite": "model.tflite", "keras": "model.keras"},
    }


def summary(card: dict) -> str:
    """What a run achieved, in a few lines, from its card."""
    test, pen = card["test"]["mnist"], card["test"]["pen_held_out_writers"]
    lines = [
        f"recipe {card['recipe']}: {card['hyperparameters']['epochs']} epochs in "
        f"{card['training_seconds'] / 60:.1f} min ({card['training_cpu_seconds'] / 60:.1f} "
        f"CPU-minutes on {card['machine']['cpus']} cores)",
        f"MNIST test accuracy: {test['accuracy']:.2%} (loss {test['loss']:.4f})",
    ]
    as_ink = card["test"].get("mnist_read_as_ink")
    if as_ink:
        lines[-1] += f"; read as ink: {as_ink['accuracy']:.2%}"
    if pen:
        lines.append(f"pen digits, held-out writers: {pen['accuracy']:.2%} ({pen['count']} digits)")
    for name, source_scores in card["test"].items():
        if name.startswith("unipen_") and source_scores:
            what = name.removeprefix("unipen_").replace("_", " ")
            lines.append(
                f"UNIPEN digits, {what}: {source_scores['accuracy']:.2%} "
                f"({source_scores['count']} digits)"
            )
    validation = card["test"].get("mnist_validation")
    if validation:
        lines.append(
            f"MNIST validation (last {validation['count']} training digits): "
            f"{validation['accuracy']:.2%}"
        )
    unseen = card["test"].get("mnist_validation_unseen_writers")
    if unseen:
        lines.append(
            f"  of which {unseen['count']} by writers never trained on: {unseen['accuracy']:.2%}"
        )
    return "\n".join(lines)


def write_card(card: dict, path: Path) -> None:
    """Write ``card`` as indented JSON."""
    path.write_text(json.dumps(card, indent=2) + "\n")

"""The two figures written beside a model: training curves and the confusion matrix.

Matplotlib is imported when a figure is drawn, never on import.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_confusion", "plot_curves"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: dict, path: Path, validation: str | None = None) -> None:
    """Loss and accuracy per epoch from a Keras history dict: the training's, and the
    validation data's when ``validation`` describes it (the history's ``val_`` keys).

    A run without validation data gets the training curves only, and says so: its
    MNIST test score is taken once, at the end, never per epoch. A network with a
    picture layer has its two outputs' accuracies (``ink_accuracy``,
    ``picture_accuracy``) drawn each; its loss is their weighted sum.
    """
    plt = _pyplot()
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["loss"], label="training")
    if validation:
        ax_loss.plot(epochs, history["val_loss"], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    for output in ("", "ink_", "picture_"):
        if f"{output}accuracy" in history:
            name = f"{output[:-1]} layer, " if output else ""
            ax_acc.plot(epochs, history[f"{output}accuracy"], label=f"{name}training")
            if validation:
                ax_acc.plot(epochs, history[f"val_{output}accuracy"], label=f"{name}validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    note = (
        f"validation: {validation}, kept out of training (no model selection is made on them)"
        if validation
        else "training curves only: this run kept no digits out for validation"
    )
    fig.suptitle(f"{note}; MNIST test is scored once, after training", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(confusion, path: Path, title: str) -> None:
    """A 10×10 confusion matrix (rows true, columns predicted) with its counts."""
    plt = _pyplot()
    confusion = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(6, 5.4))
    ax.imshow(np.log1p(confusion), cmap="Blues")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            colour = "white" if i == j else "black"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

"""What a training recipe names: the network, the optimizer, the data and the schedule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .images import ImageAugmentation
from .pen import PenRenders

__all__ = ["ImageExtra", "Recipe"]

#: ``(x, y, rng) -> (x_extra, y_extra)``: extra uint8 training images made from MNIST's.
ImageExtra = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Recipe:
    """What to build and how to train it (``train_model.RECIPES`` holds them); every
    field that shapes the model is recorded in its card (:func:`.card.model_card`).

    ``build(picture_layer=...) -> keras.Model``; ``optimizer(steps_per_epoch,
    epochs, learning_rate) -> keras optimizer``, ``learning_rate`` its initial
    learning rate (by default Adam's, 1e-3). ``augmentation`` is applied to every training image
    except in the last ``clean_epochs``, which see the images as they are,
    like the test digits (the pen renders keep their own distortions).
    ``pen_renders`` are the pen-digit renders added to the training set (none:
    MNIST only); ``mnist_extras`` make extra images from MNIST's.
    ``pen_weight`` is the weight in the loss of every image that is not an
    MNIST training digit (pen renders and extras; MNIST's weigh 1): below 1
    leans the network towards MNIST's reading where the two disagree (a 7
    with a short bar against a flagged 1), at the pen writers' cost.
    ``picture_layer``: ``build()`` gives a network with two outputs, ``ink``
    and ``picture``; the ``picture`` one learns from MNIST's digits and
    ``mnist_extras`` alone and reads pictures (see :mod:`digitpad.predictor`);
    ``picture_weight`` is its loss's weight beside the ``ink`` one's (1).
    ``styles`` records the writing-style settings those use, for the model card.
    """

    description: str
    build: Callable
    optimizer: Callable
    epochs: int
    batch_size: int
    learning_rate: float = 1e-3
    augmentation: ImageAugmentation | None = None
    clean_epochs: int = 0
    pen_renders: tuple[PenRenders, ...] = ()
    mnist_extras: tuple[ImageExtra, ...] = ()
    pen_weight: float = 1.0
    picture_layer: bool = False
    picture_weight: float = 1.0
    styles: dict | None = None

    @property
    def pen_copies(self) -> int:
        """Distorted renders of each pen digit, beside the one as written."""
        return sum(group.copies for group in self.pen_renders)

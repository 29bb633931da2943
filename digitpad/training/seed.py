"""The classic Keras MNIST convnet (keras-io ``mnist_convnet``), the ``seed`` recipe.

A baseline: about 99.1-99.2% on MNIST test, and the starting point digitpad's
own network was measured against. ``train_model.py --recipe seed`` trains it.
"""

from __future__ import annotations

from ..preprocess import FIELD
from .data import NUM_CLASSES

__all__ = ["adadelta_classic", "build_seed_model"]


def adadelta_classic(steps_per_epoch, epochs):
    """Adadelta with the Keras example's learning rate of 1.0."""
    import keras

    return keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-7)


def build_seed_model():
    """The classic Keras MNIST convnet, layer for layer (about 99.1-99.2% on MNIST test)."""
    from keras import Input, Sequential, layers

    return Sequential(
        [
            Input(shape=(FIELD, FIELD, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="seed",
    )

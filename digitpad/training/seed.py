"""The classic Keras MNIST convnet (keras-io ``mnist_convnet``), the ``seed`` recipe.

A baseline: about 99.1-99.2% on MNIST test, and the starting point digitpad's
own network was measured against. ``train_model.py --recipe seed`` trains it.
"""

from __future__ import annotations

from ..preprocess import FIELD
from .data import NUM_CLASSES

__all__ = ["adadelta_classic", "build_seed_model"]


def adadelta_classic(steps_per_epoch, epochs, learning_rate=1.0):
    """Adadelta, by default with the Keras example's learning rate of 1.0."""
    import keras

    return keras.optimizers.Adadelta(learning_rate=learning_rate, rho=0.95, epsilon=1e-7)


def build_seed_model(picture_layer=False):
    """The classic Keras MNIST convnet, layer for layer (about 99.1-99.2% on MNIST test);
    one output, so no ``picture_layer``."""
    if picture_layer:
        raise ValueError("the seed model has one output: no picture layer")
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

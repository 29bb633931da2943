"""Training batches: uint8 images to float input, with on-the-fly augmentation.

TensorFlow is imported inside the functions that build the pipeline, never
on import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import NUM_CLASSES

__all__ = ["ImageAugmentation", "make_augmenter", "make_dataset"]


@dataclass(frozen=True)
class ImageAugmentation:
    """Random changes given to every training image, each sample its own.

    Rotation up to ± ``rotation_degrees``; shear up to ± ``shear_x`` /
    ``shear_y``; zoom and translation up to ± that fraction of the field;
    stroke width blended up to ``stroke_width`` of the way towards a 3×3
    dilation (bolder) or erosion (thinner). All uniform, zero fill.
    """

    rotation_degrees: float
    shear_x: float
    shear_y: float
    zoom: float
    translation: float
    stroke_width: float


def make_augmenter(settings: ImageAugmentation, seed: int):
    """A function of a float batch ``[n, 28, 28, 1]`` in 0-1 giving a distorted batch."""
    import keras
    import tensorflow as tf

    def seeded(offset):
        return {"fill_mode": "constant", "seed": seed + offset}

    geometry = keras.Sequential(
        [
            keras.layers.RandomRotation(settings.rotation_degrees / 360, **seeded(0)),
            keras.layers.RandomShear(
                x_factor=settings.shear_x, y_factor=settings.shear_y, **seeded(1)
            ),
            keras.layers.RandomZoom(settings.zoom, **seeded(2)),
            keras.layers.RandomTranslation(settings.translation, settings.translation, **seeded(3)),
        ]
    )

    def stroke_width(x):
        blend = settings.stroke_width
        amount = tf.random.uniform([tf.shape(x)[0], 1, 1, 1], -blend, blend)
        bolder = tf.nn.max_pool2d(x, 3, 1, "SAME")
        thinner = -tf.nn.max_pool2d(-x, 3, 1, "SAME")
        return tf.where(amount > 0, x + amount * (bolder - x), x - amount * (thinner - x))

    def augment(x):
        return tf.clip_by_value(geometry(stroke_width(x), training=True), 0.0, 1.0)

    return augment


def make_dataset(
    x,
    y,
    batch_size: int,
    augmentation: ImageAugmentation | None,
    seed: int,
    weights=None,
    outputs: int = 1,
):
    """A shuffled ``tf.data`` pipeline of ``(float images, one-hot labels)`` batches,
    or ``(images, labels, weights)`` batches when ``weights`` are given.

    ``x`` is uint8 ``[n, 28, 28]``, ``y`` the digits, ``weights`` one loss
    weight per image (``[n]``), or for a network of several ``outputs`` one
    per image and output (``[n, outputs]``); ``augmentation=None`` gives the
    images as they are. For several ``outputs`` the labels (and weights) come
    as a tuple with one entry per output.
    """
    import tensorflow as tf

    columns = (x, y) if weights is None else (x, y, np.asarray(weights, np.float32))
    ds = tf.data.Dataset.from_tensor_slices(columns)
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)

    def to_float(images, labels, *weights):
        images = tf.cast(images, tf.float32)[..., None] / 255.0
        labels = tf.one_hot(tf.cast(labels, tf.int32), NUM_CLASSES)
        if outputs == 1:
            return images, labels, *weights
        if weights:
            weights = (tuple(tf.unstack(weights[0], num=outputs, axis=1)),)
        return images, (labels,) * outputs, *weights

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if augmentation is not None:
        augmenter = make_augmenter(augmentation, seed)
        ds = ds.map(lambda a, *rest: (augmenter(a), *rest), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)

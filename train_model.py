"""digitpad's digit classifier: a small convnet trained on MNIST plus pen digits
rendered through digitpad's own ink path, with augmentation that mimics how people
draw, and two final layers: one reads ink, the other (trained on MNIST's pictures
and their styled copies alone) pictures; exported to LiteRT for the app. The recipe
first (its pieces, the network, RECIPES), then ``main``: prepare the data, build the
model, train, evaluate, export. The steps are in ``digitpad.training.run``, their
plumbing (data checks, downloads, rendering, model card, plots, the all-or-nothing
install) in the rest of ``digitpad.training``.

    python train_model.py                                   # downloads MNIST and pendigits
    python train_model.py --data mnist.npz --pendigits pendigits-orig.tra
    python train_model.py --recipe seed --data mnist.npz --output /tmp/seed

Writes model.tflite, model.keras, model-card.json, class-bank.npz (typical features
of each class, for the profile), training-curves.png (per epoch: the training's, and
the digits kept out by --validation or --hold-out-writers if any; never MNIST test),
confusion-matrix.png (MNIST test, scored once) and, with pen digits, number-model.npz
and trajectory.keras (the number and trajectory models model.tflite carries) to
``--output`` (default ``resources/``), all at the end.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from digitpad.preprocess import FIELD
from digitpad.training.bank import bank_sources
from digitpad.training.card import model_card, summary
from digitpad.training.cli import exit_at_once_on_interrupt, parse_args, report_error
from digitpad.training.data import NUM_CLASSES, DataError, DownloadError
from digitpad.training.images import ImageAugmentation
from digitpad.training.pen import InkDistortion, LowGradeTablet, PenRenders, WritingStyle
from digitpad.training.recipe import Recipe
from digitpad.training.run import (
    compile_model,
    evaluate,
    export_outputs,
    fit,
    load_data,
    monitored_set,
    training_set,
    trajectory_digits,
)
from digitpad.training.seed import adadelta_classic, build_seed_model
from digitpad.training.styles import StyleSettings, settings_record, style_images

HERE = Path(__file__).resolve().parent

# --- The recipe ---------------------------------------------------------------
# Its pieces first; the switches and weights are the recipe's fields (RECIPES, below),
# each recorded in the model card.

# Every training image (MNIST and pen renders), anew each epoch, until the clean epochs.
IMAGE_AUGMENTATION = ImageAugmentation(
    rotation_degrees=10, shear_x=0.1, shear_y=0.05, zoom=0.1, translation=0.07, stroke_width=0.5
)
# Each pen digit is rendered once as written, then 3 times distorted like this
# (DISTORTED_RENDERS), with a pen PEN_WIDTH_SCALE times the app's width (the styled
# copies too).
PEN_DISTORTION = InkDistortion(rotation_degrees=15, shear=0.3, log_aspect=0.25)
PEN_WIDTH_SCALE = (0.65, 1.4)
# Writing styles MNIST lacks (slashed zeros, crossed sevens, flagged ones, open
# fours, ...: digitpad.training.styles, every range in StyleSettings). Pen 0s, 1s,
# 4s, 7s and 9s get 2 copies rewritten in one of their styles, then distorted; any
# distorted copy passes through a low-grade tablet (few points, jitter, staircase
# lines, uneven speed) with probability TABLET.share; and image_share of MNIST's
# 0s, 1s and 7s get a copy with a slash, crossbar or flag.
STYLE_SETTINGS = StyleSettings(image_share=0.2)
TABLET = LowGradeTablet(share=0.35, settings=STYLE_SETTINGS)
DISTORTED_RENDERS = PenRenders(3, (PEN_DISTORTION, TABLET), PEN_WIDTH_SCALE)
STYLED_RENDERS = PenRenders(
    2, (WritingStyle(STYLE_SETTINGS), PEN_DISTORTION, TABLET), PEN_WIDTH_SCALE
)


def adam_cosine(steps_per_epoch, epochs, learning_rate):
    """Adam, its learning rate decaying along a cosine to 1% of ``learning_rate`` at the end."""
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(
        learning_rate, decay_steps=steps_per_epoch * epochs, alpha=0.01
    )
    return keras.optimizers.Adam(schedule)


def styled_mnist(x, y, rng):
    """A slash, crossbar or flag drawn on a share of MNIST's 0s, 1s and 7s."""
    return style_images(x, y, rng, STYLE_SETTINGS)


def build_digitpad_model(picture_layer):
    """About 5 M multiply-adds: 0.3 ms a digit in LiteRT. The final layer ``ink`` reads
    digits drawn as ink; with ``picture_layer`` a second one, ``picture``, reads the same
    128 features for pictures of digits."""
    import keras
    from keras import layers

    def conv(filters, size):
        return [
            layers.Conv2D(filters, size, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]

    image = keras.Input(shape=(FIELD, FIELD, 1), name="image")
    features = image
    for layer in [
        *conv(32, 5),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        *conv(64, 3),
        *conv(64, 3),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        *conv(128, 4),
        layers.Flatten(),
        layers.Dropout(0.4),
    ]:
        features = layer(features)
    outputs = [layers.Dense(NUM_CLASSES, activation="softmax", name="ink")(features)]
    if picture_layer:
        outputs.append(layers.Dense(NUM_CLASSES, activation="softmax", name="picture")(features))
    return keras.Model(image, outputs, name="digitpad")


RECIPES = {
    "seed": Recipe(
        "the classic Keras MNIST convnet (Adadelta 1.0, 12 epochs)",
        build_seed_model,
        adadelta_classic,
        epochs=12,
        batch_size=128,
        learning_rate=1.0,
    ),
    "digitpad": Recipe(
        "batch-normalized convnet on MNIST + rendered pen digits, handwriting augmentation, "
        "writing styles and low-grade tablets",
        build_digitpad_model,
        adam_cosine,
        epochs=24,
        batch_size=128,
        learning_rate=2e-3,
        augmentation=IMAGE_AUGMENTATION,
        clean_epochs=4,
        pen_renders=(DISTORTED_RENDERS, STYLED_RENDERS),
        mnist_extras=(styled_mnist,),
        # Weight in the ink layer's loss of the pen renders and styled copies; MNIST's weigh 1.
        pen_weight=1.0,
        # A second final layer reads pictures (PNG, JPG, ...): it learns from MNIST's digits
        # and their styled copies only, the pen writers' habits (a 7 with a short bar is a
        # flagged 1) being those of ink, not of digits written on paper and scanned.
        picture_layer=True,
        # Its loss counts this much beside the ink layer's: at 0.5 the shared convolutions
        # lean less to pictures, and read ink (a low-grade tablet's most) better.
        picture_weight=0.5,
        styles={
            **settings_record(STYLE_SETTINGS),
            "style_copies": STYLED_RENDERS.copies,
            "tablet_share": TABLET.share,
        },
    ),
}


def main(argv=None) -> int:
    args = parse_args(argv, RECIPES, HERE / "resources")
    recipe = RECIPES[args.recipe]

    # --- Prepare the data -----------------------------------------------------
    # MNIST's training digits (less the last --validation ones), its test digits, the pen
    # digits: checked (or downloaded) before TensorFlow is even imported.
    try:
        train_set, (x_test, y_test), validation, pen_digits, provenance = load_data(args, recipe)
    except (DataError, DownloadError) as error:
        return report_error(error)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    # MNIST, the pen digits rendered through the app's ink path, the styled copies.
    x, y, weights, pen_held_out = training_set(train_set, pen_digits, recipe, args, rng, provenance)
    # Scored after each epoch: digits kept out of training, if any (never MNIST test).
    monitored = monitored_set(validation, pen_held_out, rng)

    # --- Build the model ------------------------------------------------------
    gpus = len(tf.config.list_physical_devices("GPU"))
    model = compile_model(recipe, int(np.ceil(len(x) / args.batch_size)), args.epochs, gpus)

    # --- Train ----------------------------------------------------------------
    history, clean_epochs = fit(model, x, y, weights, monitored, recipe, args)
    # CPU time shows how much of the wall time the machine really gave us;
    # on a busy machine wall time alone overstates the cost of a recipe.
    seconds = (time.perf_counter() - started, time.process_time() - cpu_started)

    # --- Evaluate -------------------------------------------------------------
    # MNIST test, once; the validation digits and held-out pen writers when kept out.
    tests = evaluate(model, pen_held_out, (x_test, y_test), validation, rng)
    card = model_card(args, recipe, model, clean_epochs, provenance, tests, seconds, gpus)

    # --- Export ---------------------------------------------------------------
    # The bank's typical digits: the MNIST and pen digits trained on, as written.
    held_out = {d.writer for d in pen_held_out}
    pen_trained = [d for d in pen_digits if d.writer not in held_out]
    bank = bank_sources(*train_set, pen_trained, args.seed)
    monitored_name = monitored[0] if monitored else None
    # The trajectory model learns from the same pen digits as the classifier.
    trajectory = trajectory_digits(pen_trained, args)
    export_outputs(model, history, monitored_name, card, args.output, bank, args, trajectory)
    print(f"\n{summary(card)}\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    exit_at_once_on_interrupt(main)

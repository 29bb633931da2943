"""digitpad's digit classifier: a small convnet trained on MNIST plus pen digits
rendered through digitpad's own ink path, with augmentation that mimics how people
draw, and two final layers: one reads ink, the other (trained on MNIST's pictures
and their styled copies alone) pictures; exported to LiteRT for the app. Settings
first, then: prepare the data, build the model, train, evaluate, export. The
plumbing (data checks, downloads, rendering, model card, plots, the all-or-nothing
install) is in ``digitpad.training``.

    python train_model.py                                   # downloads MNIST and pendigits
    python train_model.py --data mnist.npz --pendigits pendigits-orig.tra
    python train_model.py --recipe seed --data mnist.npz --output /tmp/seed

Writes model.tflite, model.keras, model-card.json, class-bank.npz (typical features
of each class, for the profile), training-curves.png and confusion-matrix.png to
``--output`` (default ``resources/``), all at the end.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from digitpad.pendigits import split_by_writer
from digitpad.preprocess import FIELD
from digitpad.training.bank import bank_sources
from digitpad.training.card import model_card, pen_split, scores, summary, write_card
from digitpad.training.cli import exit_at_once_on_interrupt, parse_args, report_error
from digitpad.training.data import (
    NUM_CLASSES,
    DataError,
    DownloadError,
    load_mnist,
    load_pendigits,
    writer_ordered,
)
from digitpad.training.export import export_class_bank, export_tflite
from digitpad.training.images import ImageAugmentation, make_dataset
from digitpad.training.install import OUTPUT_FILES, install, staging_folder
from digitpad.training.numbers import NUMBERS_WRITTEN, export_number_model
from digitpad.training.pen import (
    InkDistortion,
    LowGradeTablet,
    PenRenders,
    WritingStyle,
    render_pen_digits,
)
from digitpad.training.plots import plot_confusion, plot_curves
from digitpad.training.recipe import Recipe
from digitpad.training.seed import adadelta_classic, build_seed_model
from digitpad.training.styles import StyleSettings, settings_record, style_images

HERE = Path(__file__).resolve().parent

# --- Settings ---------------------------------------------------------------

# Every training image (MNIST and pen renders), anew each epoch, until the clean epochs.
IMAGE_AUGMENTATION = ImageAugmentation(
    rotation_degrees=10, shear_x=0.1, shear_y=0.05, zoom=0.1, translation=0.07, stroke_width=0.5
)
# Each pen digit is rendered once as written, then PEN_COPIES times distorted like
# this, with a pen PEN_WIDTH_SCALE times the app's width (the styled copies too).
PEN_DISTORTION = InkDistortion(rotation_degrees=15, shear=0.3, log_aspect=0.25)
PEN_WIDTH_SCALE = (0.65, 1.4)
PEN_COPIES = 3
# Writing styles MNIST lacks (slashed zeros, crossed sevens, flagged ones, open
# fours, ...: digitpad.training.styles, every range in StyleSettings). Each pen
# 0, 1, 4, 7 and 9 gets STYLE_COPIES copies rewritten in one of its styles, then
# distorted; any distorted copy passes through a low-grade tablet (few points,
# jitter, staircase lines, uneven speed) with probability TABLET_SHARE; and
# image_share of MNIST's 0s, 1s and 7s get a copy with a slash, crossbar or flag.
STYLE_SETTINGS = StyleSettings(image_share=0.2)
STYLE_COPIES = 2
TABLET_SHARE = 0.35
TABLET = LowGradeTablet(TABLET_SHARE, STYLE_SETTINGS)
# Weight in the ink layer's loss of the pen renders and styled copies; MNIST's digits weigh 1.
PEN_WEIGHT = 1.0
# A second final layer reads pictures (PNG, JPG, ...): it learns from MNIST's digits and
# their styled copies only, the pen writers' habits (a 7 with a short bar is a flagged 1)
# being those of ink, not of digits written on paper and scanned.
PICTURE_LAYER = True
# The picture layer's loss counts this much beside the ink layer's: at 0.5 the shared
# convolutions lean less to pictures, and read ink (a low-grade tablet's most) better.
PICTURE_WEIGHT = 0.5
ADAM_LEARNING_RATE = 2e-3  # cosine decay from this ...
ADAM_FINAL_FRACTION = 0.01  # ... to this fraction of it at the last step
EVALUATION_BATCH_SIZE = 512


def adam_cosine(steps_per_epoch, epochs):
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(
        ADAM_LEARNING_RATE, decay_steps=steps_per_epoch * epochs, alpha=ADAM_FINAL_FRACTION
    )
    return keras.optimizers.Adam(schedule)


def styled_mnist(x, y, rng):
    """A slash, crossbar or flag drawn on a share of MNIST's 0s, 1s and 7s."""
    return style_images(x, y, rng, STYLE_SETTINGS)


def build_digitpad_model():
    """About 5 M multiply-adds: 0.3 ms a digit in LiteRT. Two final layers read the same
    128 features: ``ink`` (digits drawn as ink) and ``picture`` (pictures of digits)."""
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
    if PICTURE_LAYER:
        outputs.append(layers.Dense(NUM_CLASSES, activation="softmax", name="picture")(features))
    return keras.Model(image, outputs, name="digitpad")


RECIPES = {
    "seed": Recipe(
        "the classic Keras MNIST convnet (Adadelta 1.0, 12 epochs)",
        build_seed_model,
        adadelta_classic,
        epochs=12,
        batch_size=128,
    ),
    "digitpad": Recipe(
        "batch-normalized convnet on MNIST + rendered pen digits, handwriting augmentation, "
        "writing styles and low-grade tablets",
        build_digitpad_model,
        adam_cosine,
        epochs=24,
        batch_size=128,
        augmentation=IMAGE_AUGMENTATION,
        clean_epochs=4,
        pen_renders=(
            PenRenders(PEN_COPIES, (PEN_DISTORTION, TABLET), PEN_WIDTH_SCALE),
            PenRenders(
                STYLE_COPIES,
                (WritingStyle(STYLE_SETTINGS), PEN_DISTORTION, TABLET),
                PEN_WIDTH_SCALE,
            ),
        ),
        mnist_extras=(styled_mnist,),
        pen_weight=PEN_WEIGHT,
        picture_layer=PICTURE_LAYER,
        picture_weight=PICTURE_WEIGHT,
        styles={
            **settings_record(STYLE_SETTINGS),
            "style_copies": STYLE_COPIES,
            "tablet_share": TABLET_SHARE,
        },
    ),
}

# --- Prepare the data -------------------------------------------------------


def load_data(args, recipe):
    """MNIST train and test (uint8), the validation sets by name (none without --validation),
    the pen digits if the recipe uses them, provenance."""
    (x_train, y_train), test, mnist_info = load_mnist(args.data)
    pen_digits, pen_info = load_pendigits(args.pendigits) if recipe.pen_renders else ([], None)
    provenance = {"mnist": mnist_info, "pendigits": pen_info}
    kept = len(x_train) - (args.validation or 0)
    validation = {}
    if args.validation:
        x_held, y_held = x_train[kept:], y_train[kept:]
        # Its writer-ordered half is by writers the model never saw (but one at the cut).
        unseen = writer_ordered(kept, args.validation)
        validation["mnist_validation"] = (x_held, y_held)
        validation["mnist_validation_unseen_writers"] = (x_held[unseen], y_held[unseen])
    first = slice(min(kept, args.limit or kept))
    return (x_train[first], y_train[first]), test, validation, pen_digits, provenance


def training_set(train, pen_digits, recipe, args, rng, provenance):
    """MNIST, the training writers' pen digits rendered through the app's ink path and the
    recipe's extra images; each image's weight in the loss of each output of the network
    (None: all 1); and the held-out writers' pen digits (with --hold-out-writers), for
    evaluation only."""
    parts = {"MNIST": train}
    pen_train, pen_held_out = (
        split_by_writer(pen_digits) if args.hold_out_writers else (pen_digits, [])
    )
    if pen_train:
        pen_train = pen_train[: max(1, args.limit // 10)] if args.limit else pen_train
        parts["pen renders"] = render_pen_digits(pen_train, recipe.pen_renders, rng)
        rendered = len(parts["pen renders"][0])
        provenance["pendigits"].update(pen_split(pen_train, pen_held_out, rendered))
    # Extra images come after the pen renders, so adding one leaves those as they were.
    parts.update((getattr(f, "__name__", "extras"), f(*train, rng)) for f in recipe.mnist_extras)
    print("training images: " + ", ".join(f"{len(x)} {name}" for name, (x, _) in parts.items()))
    x, y = (np.concatenate(arrays) for arrays in zip(*parts.values(), strict=True))
    return x, y, loss_weights(parts, recipe), pen_held_out


def loss_weights(parts, recipe):
    """``[n]`` weights for a network with one output, ``[n, 2]`` (ink, picture) for one
    with a picture layer, which learns from the pictures alone (MNIST and its extras,
    not the pen renders); None when every image weighs 1 in every output."""
    sizes = {name: len(x) for name, (x, _) in parts.items()}
    is_pen = np.concatenate([np.full(n, name == "pen renders") for name, n in sizes.items()])
    is_mnist = np.zeros(len(is_pen), bool)
    is_mnist[: sizes["MNIST"]] = True  # MNIST comes first
    ink = np.where(is_mnist, 1.0, recipe.pen_weight).astype(np.float32)
    if not recipe.picture_layer:
        return None if recipe.pen_weight == 1 else ink
    return np.stack([ink, (~is_pen).astype(np.float32)], axis=1)


# --- Build the model --------------------------------------------------------


def build_model(recipe, steps_per_epoch, epochs, gpus):
    import tensorflow as tf

    # With several GPUs each takes a share of every batch.
    with (tf.distribute.MirroredStrategy() if gpus > 1 else tf.distribute.get_strategy()).scope():
        model = recipe.build()
        optimizer = recipe.optimizer(steps_per_epoch, epochs)
        outputs = len(model.outputs)
        model.compile(
            loss=["categorical_crossentropy"] * outputs,
            loss_weights=[1.0, recipe.picture_weight][:outputs],
            optimizer=optimizer,
            metrics=[["accuracy"]] * outputs,
        )
    model.summary()
    return model


# --- Train ------------------------------------------------------------------


def train(model, x, y, weights, test_ds, recipe, args):
    """Fit with augmentation, then the clean epochs; the Keras history of all epochs."""
    clean_epochs = min(recipe.clean_epochs, args.epochs - 1) if recipe.augmentation else 0
    clean_from = args.epochs - clean_epochs
    history: dict[str, list] = {}
    for augmentation, first, last in [
        (recipe.augmentation, 0, clean_from),
        (None, clean_from, args.epochs),
    ]:
        if first < last:
            batches = make_dataset(
                x, y, args.batch_size, augmentation, args.seed, weights, len(model.outputs)
            )
            fitted = model.fit(
                batches, initial_epoch=first, epochs=last, validation_data=test_ds, shuffle=False
            )
            for key, values in fitted.history.items():
                history.setdefault(key, []).extend(values)
    return history, clean_epochs


# --- Evaluate ---------------------------------------------------------------


def read(model, x_uint8):
    """Probabilities by output name: ``ink`` and ``picture`` (the same for a one-output model)."""
    x = x_uint8.astype(np.float32)[..., None] / 255
    outputs = model.predict(x, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    return {"ink": outputs[0], "picture": outputs[-1]}


def evaluate(model, pen_held_out, test, validation, rng):
    """Scores of each test set as the app reads it: pen digits as ink, MNIST's as pictures;
    with a picture layer also MNIST's read as ink (``..._read_as_ink``)."""
    tests = {"mnist": test, **validation}
    read_as_ink = {}
    for name, (x, y) in tests.items():
        probabilities = read(model, x)
        tests[name] = scores(probabilities["picture"], y)
        if len(model.outputs) > 1:
            read_as_ink[f"{name}_read_as_ink"] = scores(probabilities["ink"], y)
    pen = None
    if pen_held_out:
        x, y = render_pen_digits(pen_held_out, (), rng)
        pen = scores(read(model, x)["ink"], y)
    return {"mnist": tests.pop("mnist"), "pen_held_out_writers": pen, **tests, **read_as_ink}


# --- Export -----------------------------------------------------------------


def export(model, history, card, output, bank_digits, args):
    """Write every output to a staging folder, then move them all into ``output``;
    the class bank from ``bank_digits`` (:func:`bank_sources`), the number model
    from ``args.unipen`` and ``args.pendigits`` when given."""
    test = card["test"]["mnist"]
    with staging_folder(output) as staging:
        model.save(staging / "model.keras", include_optimizer=False)
        export_tflite(model, staging / "model.tflite")
        plot_curves(history, staging / "training-curves.png")
        title = f"MNIST test, accuracy {test['accuracy']:.2%}"
        plot_confusion(test["confusion_matrix"], staging / "confusion-matrix.png", title)
        write_card(card, staging / "model-card.json")
        export_class_bank(staging / "model.tflite", bank_digits)
        if args.unipen is not None:
            number_model = staging / "number-model.npz"
            export_number_model(
                staging / "model.tflite",
                number_model,
                unipen=args.unipen,
                pendigits=args.pendigits,
                card=staging / "model-card.json",
                numbers=min(args.limit or NUMBERS_WRITTEN, NUMBERS_WRITTEN),
            )
        install(staging, output, [name for name in OUTPUT_FILES if (staging / name).exists()])


def main(argv=None) -> int:
    args = parse_args(argv, RECIPES, HERE / "resources")
    recipe = RECIPES[args.recipe]
    try:
        train_set, (x_test, y_test), validation, pen_digits, provenance = load_data(args, recipe)
    except (DataError, DownloadError) as error:
        return report_error(error)

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    x, y, weights, pen_held_out = training_set(train_set, pen_digits, recipe, args, rng, provenance)
    gpus = len(tf.config.list_physical_devices("GPU"))
    model = build_model(recipe, int(np.ceil(len(x) / args.batch_size)), args.epochs, gpus)
    test_ds = make_dataset(
        x_test, y_test, EVALUATION_BATCH_SIZE, None, args.seed, outputs=len(model.outputs)
    )
    history, clean_epochs = train(model, x, y, weights, test_ds, recipe, args)
    # CPU time shows how much of the wall time the machine really gave us;
    # on a busy machine wall time alone overstates the cost of a recipe.
    seconds = (time.perf_counter() - started, time.process_time() - cpu_started)

    tests = evaluate(model, pen_held_out, (x_test, y_test), validation, rng)
    card = model_card(args, recipe, model, clean_epochs, provenance, tests, seconds, gpus)
    # The bank's typical digits: the MNIST and pen digits trained on, as written.
    held_out = {d.writer for d in pen_held_out}
    pen_trained = [d for d in pen_digits if d.writer not in held_out]
    bank = bank_sources(*train_set, pen_trained, args.seed)
    export(model, history, card, args.output, bank, args)
    print(f"\n{summary(card)}\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    exit_at_once_on_interrupt(main)

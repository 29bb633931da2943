"""The steps of a training run that ``train_model.py`` reads as its recipe.

Data (:func:`load_data`, :func:`training_set`), model (:func:`compile_model`),
training (:func:`fit`), evaluation (:func:`evaluate`) and export
(:func:`export_outputs`). TensorFlow and Keras are imported when a step
needs them, never on import.
"""

from __future__ import annotations

import numpy as np

from ..number_model import NumberModel
from ..pendigits import split_by_writer
from .card import pen_split, scores, source_split, write_card
from .data import load_mnist, load_pendigits, load_unipen_digits, writer_ordered
from .export import (
    export_class_bank,
    export_tflite,
    record_number_model,
    record_trajectory_model,
    trajectory_about,
)
from .images import make_dataset
from .install import OUTPUT_FILES, install, staging_folder
from .numbers import NUMBERS_WRITTEN, export_number_model
from .pen import render_pen_digits
from .plots import plot_confusion, plot_curves

__all__ = [
    "EVALUATION_BATCH_SIZE",
    "compile_model",
    "evaluate",
    "export_outputs",
    "fit",
    "load_data",
    "loss_weights",
    "monitored_set",
    "read",
    "training_set",
    "trajectory_digits",
]

#: Batch size for reading digits (the per-epoch validation and the final scores).
EVALUATION_BATCH_SIZE = 512
#: The part of the training images rendered from pen digits (the ink layer's alone).
PEN_RENDERS = "pen renders"
#: The trajectory model the recipe trains on its pen digits (:mod:`.trajectory`): epochs
#: and width (filters of its first layers); a --limit run trains one epoch.
TRAJECTORY_EPOCHS, TRAJECTORY_WIDTH = 12, 32


# --- Data ---------------------------------------------------------------------


def load_data(args, recipe):
    """MNIST train and test (uint8), the validation sets by name (none without --validation),
    the pen digits if the recipe uses them (the UCI writers', then UNIPEN's with --unipen),
    provenance."""
    (x_train, y_train), test, mnist_info = load_mnist(args.data)
    pen_digits, pen_info = load_pendigits(args.pendigits) if recipe.pen_renders else ([], None)
    provenance = {"mnist": mnist_info, "pendigits": pen_info}
    if recipe.pen_renders and args.unipen is not None:
        unipen_digits, provenance["unipen"] = load_unipen_digits(args.unipen, args.hold_out_sources)
        pen_digits = pen_digits + unipen_digits
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
    (None: all 1); and the held-out pen digits (writers of the UCI file with
    --hold-out-writers, UNIPEN sources with --hold-out-sources), for evaluation only."""
    parts = {"MNIST": train}
    pen_train, pen_held_out = hold_out(pen_digits, args)
    if pen_train:
        renders = []
        # The UCI writers' digits first, then UNIPEN's: each data set's counts in the card.
        for name, record in (("pendigits", pen_split), ("unipen", source_split)):
            digits = [d for d in pen_train if data_set(d) == name]
            digits = digits[: args.limit // 10 + 1] if args.limit else digits
            rendered = render_pen_digits(digits, recipe.pen_renders, rng)
            renders.append(rendered)
            if provenance.get(name) is not None:
                held_out = [d for d in pen_held_out if data_set(d) == name]
                provenance[name].update(record(digits, held_out, len(rendered[0])))
        parts[PEN_RENDERS] = tuple(np.concatenate(arrays) for arrays in zip(*renders, strict=True))
    # Extra images come after the pen renders, so adding one leaves those as they were.
    parts.update((getattr(f, "__name__", "extras"), f(*train, rng)) for f in recipe.mnist_extras)
    print("training images: " + ", ".join(f"{len(x)} {name}" for name, (x, _) in parts.items()))
    x, y = (np.concatenate(arrays) for arrays in zip(*parts.values(), strict=True))
    return x, y, loss_weights(parts, recipe), pen_held_out


def data_set(digit) -> str:
    """``"pendigits"`` for a digit of the UCI pendigits file, ``"unipen"`` for UNIPEN's."""
    return "pendigits" if digit.source == "pendigits" else "unipen"


def hold_out(pen_digits, args):
    """``(training, held_out)`` pen digits: every third writer of the UCI file with
    --hold-out-writers (:func:`~digitpad.pendigits.split_by_writer`), and every digit of
    the UNIPEN sources named by --hold-out-sources."""
    uci = [d for d in pen_digits if data_set(d) == "pendigits"]
    uci_train, uci_held_out = split_by_writer(uci) if args.hold_out_writers else (uci, [])
    sources = set(args.hold_out_sources)
    unipen = [d for d in pen_digits if data_set(d) == "unipen"]
    return (
        uci_train + [d for d in unipen if d.source not in sources],
        uci_held_out + [d for d in unipen if d.source in sources],
    )


def trajectory_digits(pen_trained, args):
    """The pen digits the trajectory model learns from: those the classifier learned
    from (``pen_trained``, the held-out writers and sources left out), each data set's
    first ``--limit // 10 + 1`` with --limit, as :func:`training_set` takes them."""
    if not args.limit:
        return list(pen_trained)
    return [
        d
        for name in ("pendigits", "unipen")
        for d in [d for d in pen_trained if data_set(d) == name][: args.limit // 10 + 1]
    ]


def loss_weights(parts, recipe):
    """``[n]`` weights for a network with one output, ``[n, 2]`` (ink, picture) for one
    with a picture layer, which learns from the pictures alone (MNIST and its extras,
    not the pen renders); None when every image weighs 1 in every output."""
    sizes = {name: len(x) for name, (x, _) in parts.items()}
    is_pen = np.concatenate([np.full(n, name == PEN_RENDERS) for name, n in sizes.items()])
    is_mnist = np.zeros(len(is_pen), bool)
    is_mnist[: sizes["MNIST"]] = True  # MNIST comes first
    ink = np.where(is_mnist, 1.0, recipe.pen_weight).astype(np.float32)
    if not recipe.picture_layer:
        return None if recipe.pen_weight == 1 else ink
    return np.stack([ink, (~is_pen).astype(np.float32)], axis=1)


def monitored_set(validation, pen_held_out, rng):
    """What Keras scores after each epoch: ``(description, (x, y))``, or None for a run that keeps
    nothing out of training. The MNIST validation digits when the run has them, else the
    held-out writers' pen digits as written; never MNIST test, which is scored once, at
    the end (:func:`evaluate`)."""
    if "mnist_validation" in validation:
        x, y = validation["mnist_validation"]
        return f"the last {len(x)} MNIST training digits", (x, y)
    if pen_held_out:
        x, y = render_pen_digits(pen_held_out, (), rng)
        return f"{len(x)} held-out pen digits", (x, y)
    return None


# --- Model --------------------------------------------------------------------


def compile_model(recipe, steps_per_epoch, epochs, gpus):
    """The recipe's network, compiled with its optimizer and its outputs' loss weights."""
    import tensorflow as tf

    # With several GPUs each takes a share of every batch.
    with (tf.distribute.MirroredStrategy() if gpus > 1 else tf.distribute.get_strategy()).scope():
        model = recipe.build(picture_layer=recipe.picture_layer)
        optimizer = recipe.optimizer(steps_per_epoch, epochs, recipe.learning_rate)
        outputs = len(model.outputs)
        model.compile(
            loss=["categorical_crossentropy"] * outputs,
            loss_weights=[1.0, recipe.picture_weight][:outputs],
            optimizer=optimizer,
            metrics=[["accuracy"]] * outputs,
        )
    model.summary()
    return model


# --- Training -----------------------------------------------------------------


def fit(model, x, y, weights, monitored, recipe, args):
    """Fit with augmentation, then the clean epochs; the Keras history of all epochs and
    the number of clean epochs. ``monitored`` (:func:`monitored_set`) is scored after
    each epoch; with None, the history has the training's loss and accuracy only."""
    validation_data = None
    if monitored is not None:
        x_val, y_val = monitored[1]
        validation_data = make_dataset(
            x_val, y_val, EVALUATION_BATCH_SIZE, None, args.seed, outputs=len(model.outputs)
        )
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
                batches,
                initial_epoch=first,
                epochs=last,
                validation_data=validation_data,
                shuffle=False,
            )
            for key, values in fitted.history.items():
                history.setdefault(key, []).extend(values)
    return history, clean_epochs


# --- Evaluation ---------------------------------------------------------------


def read(model, x_uint8):
    """Probabilities by output name: ``ink`` and ``picture`` (the same for a one-output model)."""
    x = x_uint8.astype(np.float32)[..., None] / 255
    outputs = model.predict(x, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    return {"ink": outputs[0], "picture": outputs[-1]}


def evaluate(model, pen_held_out, test, validation, rng):
    """Scores of each test set as the app reads it: pen digits as ink, MNIST's as pictures;
    with a picture layer also MNIST's read as ink (``..._read_as_ink``); held-out UNIPEN
    sources all together (``unipen_held_out_sources``) and one by one (``unipen_SOURCE``)."""
    tests = {"mnist": test, **validation}
    read_as_ink = {}
    for name, (x, y) in tests.items():
        probabilities = read(model, x)
        tests[name] = scores(probabilities["picture"], y)
        if len(model.outputs) > 1:
            read_as_ink[f"{name}_read_as_ink"] = scores(probabilities["ink"], y)
    # Each source's digits are rendered and read once; "pendigits" is the UCI writers'.
    read_pen = {}
    for source in sorted({d.source for d in pen_held_out}):
        x, y = render_pen_digits([d for d in pen_held_out if d.source == source], (), rng)
        read_pen[source] = (read(model, x)["ink"], y)
    pen = {}
    if "pendigits" in read_pen:
        pen["pen_held_out_writers"] = scores(*read_pen.pop("pendigits"))
    if read_pen:
        together = (np.concatenate(arrays) for arrays in zip(*read_pen.values(), strict=True))
        pen["unipen_held_out_sources"] = scores(*together)
        pen.update((f"unipen_{source}", scores(*found)) for source, found in read_pen.items())
    return {
        "mnist": tests.pop("mnist"),
        "pen_held_out_writers": pen.pop("pen_held_out_writers", None),
        **tests,
        **read_as_ink,
        **pen,
    }


# --- Export -------------------------------------------------------------------


def export_outputs(
    model, history, monitored_name, card, output, bank_digits, args, trajectory_digits=()
):
    """Write every output to a staging folder, then move them all into ``output``;
    the number model from ``args.unipen`` and ``args.pendigits`` when given, and the
    trajectory model (:mod:`.trajectory`) trained on ``trajectory_digits`` (the pen
    digits the classifier was trained on) when there are any, both carried by the
    ``.tflite`` too, and the class bank from ``bank_digits``
    (:func:`.bank.bank_sources`). ``monitored_name`` describes the curves'
    validation data (None: the run had none)."""
    test = card["test"]["mnist"]
    with staging_folder(output) as staging:
        tflite = staging / "model.tflite"
        model.save(staging / "model.keras", include_optimizer=False)
        export_tflite(model, tflite)
        plot_curves(history, staging / "training-curves.png", monitored_name)
        title = f"MNIST test, accuracy {test['accuracy']:.2%}"
        plot_confusion(test["confusion_matrix"], staging / "confusion-matrix.png", title)
        write_card(card, staging / "model-card.json")
        number_model = None
        if args.unipen is not None:
            # Trained on the classifier's features, then exported with it: the
            # classifier's outputs are the same in both files.
            number_model = staging / "number-model.npz"
            export_number_model(
                tflite,
                number_model,
                unipen=args.unipen,
                pendigits=args.pendigits,
                card=staging / "model-card.json",
                exclude_sources=args.hold_out_sources,
                hold_out_writers=args.hold_out_writers,
                numbers=min(args.limit or NUMBERS_WRITTEN, NUMBERS_WRITTEN),
            )
        trajectory = None
        if trajectory_digits:
            trajectory = train_trajectory_model(trajectory_digits, staging, args)
        if number_model is not None or trajectory is not None:
            export_tflite(model, tflite, number_model=number_model, trajectory_model=trajectory)
        if number_model is not None:
            record_number_model(tflite, NumberModel(number_model))
        if trajectory is not None:
            record_trajectory_model(tflite, trajectory_about(trajectory))
        # Last: the bank is kept with the SHA-256 of the final model file.
        export_class_bank(tflite, bank_digits)
        install(staging, output, [name for name in OUTPUT_FILES if (staging / name).exists()])


def train_trajectory_model(digits, staging, args):
    """Train the trajectory model on ``digits`` into ``staging`` (``trajectory.keras``
    and, in a folder of its own, its training's card); the ``.keras`` file's path.

    What it trained on is recorded in its card: the data files, and what --hold-out-*
    kept out, as for the classifier."""
    import json
    import shutil

    from .trajectory import train

    folder = staging / "trajectory-training"
    about = train(
        digits,
        folder,
        epochs=1 if args.limit else TRAJECTORY_EPOCHS,
        width=TRAJECTORY_WIDTH,
        seed=args.seed,
    )
    about["held_out_sources"] = sorted(args.hold_out_sources or ())
    about["held_out_writers"] = bool(args.hold_out_writers)
    about["pendigits"] = getattr(args.pendigits, "name", None)
    about["unipen"] = getattr(args.unipen, "name", None)
    (folder / "trajectory-card.json").write_text(json.dumps(about, indent=2) + "\n")
    shutil.copyfile(folder / "trajectory.keras", staging / "trajectory.keras")
    shutil.copyfile(folder / "trajectory-card.json", staging / "trajectory-card.json")
    shutil.rmtree(folder)
    return staging / "trajectory.keras"

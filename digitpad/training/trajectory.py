"""Train a small network that reads a digit from its pen trajectory.

A second view beside the picture classifier: it reads
:func:`digitpad.trajectory.trajectory_features` (the strokes resampled in
writing order, with their direction and the pen's travel between strokes),
so that it sees the order and direction of writing the picture loses.

The training digits are the pen digits the picture classifier of the same
split is trained on. Every epoch sees each digit as written plus fresh
distorted copies, made by the same ink transforms and settings as
``train_model.py``'s pen renders (:mod:`digitpad.training.pen`): a rotation,
shear and stretch, a low-grade tablet now and then, and for 0, 1, 4, 7 and 9
a rewrite in one of their styles. None of these changes the order or
direction of the strokes, which is what this view is for.

    python -m digitpad.training.trajectory \\
        --pendigits ../shared/data/pendigits-train.unipen \\
        --unipen ../shared/data/unipen-dev.jsonl --out runs/trajectory

writes ``trajectory.keras``, ``trajectory.tflite`` (signature
``serving_default``: input ``trajectory`` ``[n, POINTS, CHANNELS]`` float32,
output ``log_probabilities`` ``[n, 10]``) and ``trajectory-card.json``.
By default the held-out split of ``runs/held-out-sources`` is kept out of
training: UNIPEN sources hpb, hpp, imp, sta, tos and UCI writers 3, 6, ..., 30.

TensorFlow is imported only to train or export, never on import.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..pendigits import PenDigit, read_unipen, read_unipen_digits, split_by_writer
from ..trajectory import CHANNELS, POINTS, trajectory_features
from .pen import InkDistortion, InkTransform, LowGradeTablet, WritingStyle, transformed
from .styles import StyleSettings

__all__ = [
    "HELD_OUT_SOURCES",
    "build_model",
    "epoch_set",
    "export_tflite",
    "main",
    "trajectory_set",
    "training_digits",
]

#: The UNIPEN sources kept out of training (those of ``runs/held-out-sources``).
HELD_OUT_SOURCES = ("hpb", "hpp", "imp", "sta", "tos")

# The same transforms and settings as train_model.py's pen renders, so that
# both views learn from the same kind of distorted ink.
STYLE_SETTINGS = StyleSettings(image_share=0.2)
DISTORTION = InkDistortion(rotation_degrees=15, shear=0.3, log_aspect=0.25)
TABLET = LowGradeTablet(share=0.35, settings=STYLE_SETTINGS)
DISTORTED: tuple[InkTransform, ...] = (DISTORTION, TABLET)
STYLED: tuple[InkTransform, ...] = (WritingStyle(STYLE_SETTINGS), DISTORTION, TABLET)


def training_digits(
    pendigits: Path,
    unipen: Path | None,
    held_out_sources: Sequence[str] = HELD_OUT_SOURCES,
    hold_out_writers: bool = True,
) -> list[PenDigit]:
    """The pen digits a picture classifier of the same split is trained on: the UCI
    writers :func:`~digitpad.pendigits.split_by_writer` keeps for training (all of
    them without ``hold_out_writers``), and the isolated UNIPEN digits of every
    source but ``held_out_sources`` (none without ``unipen``)."""
    uci = read_unipen(pendigits)
    if hold_out_writers:
        uci = split_by_writer(uci)[0]
    held = set(held_out_sources)
    unipen_digits = read_unipen_digits(unipen) if unipen is not None else []
    return uci + [d for d in unipen_digits if d.source not in held]


def trajectory_set(digits: Sequence[PenDigit]) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: the trajectories of ``digits`` as written (float32
    ``[n, POINTS, CHANNELS]``) and their labels; empty ink is left out."""
    rows, labels = [], []
    for digit in digits:
        features = trajectory_features(digit.ink)
        if features is not None:
            rows.append(features)
            labels.append(digit.label)
    return _stack(rows, labels)


def epoch_set(
    digits: Sequence[PenDigit], distorted: int, styled: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's training set: each digit as written, ``distorted`` distorted
    copies and ``styled`` copies rewritten in a style of its digit (only for
    digits that have styles), each made afresh from ``rng``."""
    rows, labels = [], []
    for digit in digits:
        copies = [transformed(digit, t, rng) for t in [DISTORTED] * distorted + [STYLED] * styled]
        for ink in [digit.ink, *copies]:
            if ink is None:
                continue
            features = trajectory_features(ink)
            if features is not None:
                rows.append(features)
                labels.append(digit.label)
    return _stack(rows, labels)


def _stack(rows, labels) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros((0, POINTS, CHANNELS), np.float32), np.zeros(0, np.uint8)
    return np.stack(rows), np.array(labels, dtype=np.uint8)


def build_model(width: int = 64, dropout: float = 0.3):
    """A 1D convnet over the trajectory: dilated convolutions (each point sees
    the whole digit by the last layer), then the maximum and mean over the
    points, then ten log-probabilities."""
    import keras
    from keras import layers

    inputs = keras.Input((POINTS, CHANNELS), name="trajectory")
    x = inputs
    for filters, dilation in ((width, 1), (width, 2), (2 * width, 4), (2 * width, 8)):
        x = layers.Conv1D(filters, 5, padding="same", dilation_rate=dilation, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Concatenate()([layers.GlobalMaxPooling1D()(x), layers.GlobalAveragePooling1D()(x)])
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(10)(x)
    outputs = layers.Activation("log_softmax", name="log_probabilities")(x)
    return keras.Model(inputs, outputs, name="trajectory")


def train(
    digits: Sequence[PenDigit],
    out: Path,
    epochs: int = 16,
    width: int = 64,
    distorted: int = 2,
    styled: int = 1,
    validation_every: int = 10,
    seed: int = 1234,
) -> dict:
    """Train on ``digits`` and write the model and its card into ``out``.

    Every ``validation_every``-th writer is kept out for validation; the
    weights of the epoch best on them are kept (early stopping that never
    looks at the held-out sources or writers); with fewer than
    ``validation_every`` writers, none is, and the last epoch's weights are kept.
    Returns the card.
    """
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    writers = sorted({str(d.writer) for d in digits})
    validation_writers = set(writers[validation_every - 1 :: validation_every])
    fitting = [d for d in digits if str(d.writer) not in validation_writers]
    x_val, y_val = trajectory_set([d for d in digits if str(d.writer) in validation_writers])

    model = build_model(width)
    batch = 256
    steps = epochs * -(-len(fitting) * (1 + distorted + styled * 0.4) // batch)
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, int(steps), alpha=0.01)
    model.compile(
        keras.optimizers.Adam(schedule),
        # Log-probabilities are logits whose softmax is themselves.
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    best, best_weights, history = -1.0, None, []
    for epoch in range(epochs):
        x, y = epoch_set(fitting, distorted, styled, rng)
        order = rng.permutation(len(x))
        model.fit(x[order], y[order], batch_size=batch, epochs=1, verbose=0)
        if len(x_val):
            _, accuracy = model.evaluate(x_val, y_val, batch_size=1024, verbose=0)
        else:  # too few writers to keep any out (a smoke run): the last epoch is kept
            accuracy = float(epoch)
        history.append(round(float(accuracy), 5))
        print(f"epoch {epoch + 1}/{epochs}: {len(x)} trajectories, validation {accuracy:.4f}")
        if accuracy > best:
            best, best_weights = accuracy, model.get_weights()
    model.set_weights(best_weights)
    seconds = time.perf_counter() - started

    model.save(out / "trajectory.keras")
    export_tflite(model, out / "trajectory.tflite")
    card = {
        "what": "pen-trajectory digit classifier (digitpad.trajectory features)",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "points": POINTS,
        "channels": CHANNELS,
        "width": width,
        "parameters": int(model.count_params()),
        "epochs": epochs,
        "distorted_copies": distorted,
        "styled_copies": styled,
        "seed": seed,
        "training_digits": len(fitting),
        "validation_writers": sorted(validation_writers),
        "validation_accuracy": history if len(x_val) else None,
        "best_epoch": int(np.argmax(history)) + 1,
        "training_seconds": round(seconds, 1),
    }
    (out / "trajectory-card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def export_tflite(model, path: str | os.PathLike) -> None:
    """Write ``model`` as a LiteRT file, converted as :mod:`.export` converts the
    classifier (a Keras export archive, then the saved-model converter); the
    batch dimension stays dynamic."""
    import keras
    import tensorflow as tf

    def serve(trajectory):
        # A dict, so that the output is named in the signature.
        return {"log_probabilities": model(trajectory, training=False)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serving_default",
        serve,
        input_signature=[
            keras.InputSpec(shape=(None, POINTS, CHANNELS), dtype="float32", name="trajectory")
        ],
    )
    with tempfile.TemporaryDirectory() as saved_model:
        archive.write_out(saved_model, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        Path(path).write_bytes(converter.convert())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digitpad.training.trajectory", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--pendigits", type=Path, required=True, help="UCI pendigits UNIPEN file")
    parser.add_argument("--unipen", type=Path, required=True, help="unipen-dev.jsonl")
    parser.add_argument("--out", type=Path, default=Path("runs/trajectory"))
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--width", type=int, default=64, help="filters of the first layers")
    parser.add_argument("--distorted", type=int, default=2, help="distorted copies an epoch")
    parser.add_argument("--styled", type=int, default=1, help="styled copies an epoch")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--hold-out-sources",
        default=",".join(HELD_OUT_SOURCES),
        help="UNIPEN sources kept out of training, comma-separated ('' for none); "
        "default: those of runs/held-out-sources",
    )
    parser.add_argument(
        "--hold-out-writers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep every third UCI writer out of training (default: yes)",
    )
    args = parser.parse_args(argv)
    sources = [s for s in args.hold_out_sources.split(",") if s]
    digits = training_digits(args.pendigits, args.unipen, sources, args.hold_out_writers)
    card = train(
        digits, args.out, args.epochs, args.width, args.distorted, args.styled, seed=args.seed
    )
    card["held_out_sources"] = sorted(sources)
    card["held_out_writers"] = bool(args.hold_out_writers)
    card["pendigits"], card["unipen"] = args.pendigits.name, args.unipen.name
    (args.out / "trajectory-card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"written {args.out}: {card['parameters']} parameters, {card['training_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

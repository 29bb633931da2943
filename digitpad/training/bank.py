"""The class bank: typical features of each digit class, kept beside the model.

:mod:`digitpad.personal` lets a person's example decide a digit's reading
only where the digit is closer to that example than to the typical digits
of the other classes; this module finds those typical digits. The training
digits go through the app's own paths (MNIST's images as they are, the pen
digits rendered by :func:`~digitpad.training.pen.render_pen_digits`, which
calls :func:`digitpad.preprocess.ink_to_input`), then through the model; of
each class, the digits the model reads right with probability at least
:data:`CONFIDENCE` (an equal share from each source, at most
:data:`SAMPLE_PER_CLASS`) are grouped into :data:`PER_CLASS` clusters by
spherical k-means, and the clusters' centres are kept as float16 with the
model file's SHA-256, size and card date. ``train_model.py`` writes one
with every model; for an existing model::

    python -m digitpad.training.bank --data mnist.npz --pen pendigits-train.unipen \\
        --model resources/model.tflite --out resources/class-bank.npz
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..pendigits import PenDigit
from ..personal import BANK_FILE, ClassBank, model_digest, unit
from ..predictor import Model, Predictor, _read_card, predict_with_required_features
from .data import NUM_CLASSES, DataError, load_mnist, load_pendigits
from .pen import render_pen_digits

__all__ = [
    "CONFIDENCE",
    "PER_CLASS",
    "SAMPLE_PER_CLASS",
    "bank_sources",
    "build_class_bank",
    "main",
    "typical_features",
    "write_class_bank",
]

#: Typical features kept per class (cluster centres).
PER_CLASS = 200
#: Training digits of each class the centres are found among (at most).
SAMPLE_PER_CLASS = 4000
#: Only digits the model reads right with at least this probability are typical.
CONFIDENCE = 0.9
#: Rounds of k-means.
ROUNDS = 20


def bank_sources(
    mnist_images: np.ndarray, mnist_labels: np.ndarray, pen_digits: Sequence[PenDigit], seed=0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(images, labels), ...]``, uint8 28x28: MNIST's, and the pen digits rendered as
    written through the app's ink path (none when there are no pen digits)."""
    sources = [(np.asarray(mnist_images, np.uint8), np.asarray(mnist_labels, np.uint8))]
    if len(pen_digits):
        sources.append(render_pen_digits(pen_digits, (), np.random.default_rng(seed)))
    return sources


def typical_features(features: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` unit centres of spherical k-means over the unit rows of ``features``
    (all of them when there are no more than ``count``)."""
    points = unit(features)
    if len(points) <= count:
        return points
    # k-means++: each new centre far from those chosen so far.
    chosen = [points[rng.integers(len(points))]]
    distance = 1.0 - points @ chosen[0]
    for _ in range(count - 1):
        weights = np.maximum(distance, 0.0) ** 2
        total = weights.sum()
        pick = (
            rng.choice(len(points), p=weights / total) if total > 0 else rng.integers(len(points))
        )
        chosen.append(points[pick])
        distance = np.minimum(distance, 1.0 - points @ points[pick])
    centres = np.stack(chosen)
    for _ in range(ROUNDS):
        nearest = np.argmax(points @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest, points)
        sizes = np.bincount(nearest, minlength=count)
        # A centre left without points keeps its place.
        centres = np.where(sizes[:, None] > 0, unit(sums), centres)
    return centres


def build_class_bank(
    predictor: Model,
    sources: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    per_class: int = PER_CLASS,
    sample_per_class: int = SAMPLE_PER_CLASS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(features, labels)``: ``per_class`` typical unit features of each class,
    float16 ``[n, k]``, and their classes, uint8 ``[n]``, class by class.

    ``sources`` are ``(images, labels)`` pairs (uint8 0-255 or float 0-1 model
    inputs, 28x28); each gives an equal share of the sample of each class.

    A class of which the model reads no digit right with ``confidence`` (a
    model barely trained) is represented by all its digits.

    Raises
    ------
    ValueError
        When the model gives no features, or a class has no digit at all.
    """
    if not predictor.has_features:
        raise ValueError(f"{predictor.path}: the model gives no features output")
    rng = np.random.default_rng(seed)
    share = max(1, sample_per_class // len(sources))
    chosen: list[list[np.ndarray]] = [[] for _ in range(NUM_CLASSES)]
    unclear: list[list[np.ndarray]] = [[] for _ in range(NUM_CLASSES)]
    for images, labels in sources:
        labels = np.asarray(labels)
        picks = [
            rng.permutation(np.flatnonzero(labels == digit))[:share] for digit in range(NUM_CLASSES)
        ]
        picked = np.concatenate(picks)
        x = np.asarray(images)[picked]
        x = x.astype(np.float32) / 255 if x.dtype == np.uint8 else x.astype(np.float32)
        probabilities, features = predict_with_required_features(predictor, x)
        clear = (probabilities.argmax(axis=1) == labels[picked]) & (
            probabilities.max(axis=1) >= confidence
        )
        for digit in range(NUM_CLASSES):
            chosen[digit].append(features[clear & (labels[picked] == digit)])
            unclear[digit].append(features[~clear & (labels[picked] == digit)])
    rows, classes = [], []
    for digit in range(NUM_CLASSES):
        features = np.concatenate(chosen[digit])
        if not len(features):  # a barely trained model: all the class's digits
            features = np.concatenate(unclear[digit])
        if not len(features):
            raise ValueError(f"no digit {digit} among the training digits")
        centres = typical_features(features, per_class, rng)
        rows.append(centres)
        classes.append(np.full(len(centres), digit, np.uint8))
    return np.concatenate(rows).astype(np.float16), np.concatenate(classes)


def write_class_bank(
    path: str | os.PathLike, features: np.ndarray, labels: np.ndarray, model_path, **about
) -> None:
    """Write a bank for the model file ``model_path`` (complete or not at all).

    It keeps the model's SHA-256 (what :func:`digitpad.personal.load_class_bank`
    checks), its size, and its card's ``created`` when the card is there;
    ``about`` adds strings (where the digits came from).
    """
    path, model_path = Path(path), Path(model_path)
    card = _read_card(model_path) or {}
    # Any: mypy checks a **-unpacked dict against every keyword, savez's allow_pickle too.
    fields: dict[str, Any] = {
        "features": np.asarray(features, np.float16),
        "labels": np.asarray(labels, np.uint8),
        "model_sha256": np.array(model_digest(model_path)),
        "model_bytes": np.array(model_path.stat().st_size),
        "model_created": np.array(str(card.get("created", ""))),
        **{key: np.array(str(value)) for key, value in about.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez_compressed(f, **fields)
        os.chmod(staging, 0o644)
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
    ClassBank.read(path)  # what the app will read


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digitpad.training.bank",
        description="Build the class bank (typical features of each digit class) of a model.",
    )
    parser.add_argument("--data", type=Path, required=True, help="MNIST .npz or IDX folder")
    parser.add_argument("--pen", type=Path, help="pen digits, UNIPEN file (default: none)")
    parser.add_argument("--model", type=Path, required=True, help="the .tflite (or .keras)")
    parser.add_argument("--out", type=Path, help=f"default: {BANK_FILE} beside the model")
    parser.add_argument(
        "--exclude-writers",
        default="",
        metavar="IDS",
        help="pen writers left out, comma-separated (to measure on them)",
    )
    parser.add_argument("--per-class", type=int, default=PER_CLASS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    excluded = {int(w) for w in args.exclude_writers.split(",") if w.strip()}
    try:
        (x_train, y_train), _, _ = load_mnist(args.data)
        pen = load_pendigits(args.pen)[0] if args.pen else []
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pen = [d for d in pen if d.writer not in excluded]
    predictor = Predictor(args.model)
    sources = bank_sources(x_train, y_train, pen, args.seed)
    features, labels = build_class_bank(
        predictor, sources, per_class=args.per_class, seed=args.seed
    )
    out = args.out or args.model.with_name(BANK_FILE)
    about = {"mnist": str(args.data), "pen": str(args.pen or "")}
    if excluded:
        about["pen_writers_excluded"] = ",".join(map(str, sorted(excluded)))
    write_class_bank(out, features, labels, args.model, **about)
    print(f"written {out}: {len(labels)} typical features ({args.per_class} a class)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

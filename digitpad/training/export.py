"""Export a trained Keras digit classifier to LiteRT (``.tflite``) for digitpad.

The exported model has one input (``[n, 28, 28, 1]`` float32, dynamic batch)
and two or three outputs, named in its ``serving_default`` signature:

``probabilities``
    ``[n, 10]``, the softmax over the digits (of the ``ink`` layer of a
    network with a picture layer);
``picture_probabilities``
    ``[n, 10]``, the softmax of the ``picture`` layer, for a network that has
    one (:func:`digitpad.predictor.with_features`);
``features``
    ``[n, k]``, the input of the final classifier layer (for the bundled
    network the 128 values after the last ReLU), which
    :mod:`digitpad.profile` compares with a person's own examples.

Beside it, :func:`export_class_bank` writes the model's class bank
(:mod:`digitpad.training.bank`), which is kept with the model file's SHA-256:
``train_model.py`` writes both. Re-export an existing ``.keras`` file (same
weights), with its bank::

    python -m digitpad.training.export resources/model.keras resources/model.tflite \
        --data mnist.npz --pendigits pendigits-train.unipen

TensorFlow is imported only when a model is exported, never on import.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..personal import BANK_FILE, ClassBank, model_digest
from ..predictor import Predictor, with_features

__all__ = ["OUTPUTS_CARD", "export_class_bank", "export_tflite", "main"]

#: The ``outputs`` entry of a model card for a model written by :func:`export_tflite`.
OUTPUTS_CARD = {
    "probabilities": "[n, 10] softmax probabilities of the digits 0-9 (what ink is read by; "
    "pictures too when there is no picture_probabilities)",
    "picture_probabilities": "[n, 10] the same from a final layer trained on pictures of "
    "digits alone (MNIST and its styled copies): what pictures are read by",
    "features": "[n, k] input of the final classifier layer (penultimate features)",
}


def export_tflite(model, path: str | os.PathLike) -> None:
    """Write ``model`` as a LiteRT file with its probabilities and features outputs.

    The file appears at ``path`` complete or not at all (written beside it,
    then renamed).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tflite", dir=path.parent)
    os.close(handle)
    try:
        # Keras' own LiteRT export keeps the batch dimension dynamic.
        with_features(model).export(staging, format="litert", verbose=False)
        os.chmod(staging, 0o644)  # mkstemp makes it private; a model is for everyone to read
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)


def export_class_bank(tflite_path: str | os.PathLike, sources, **about) -> Path:
    """Build the class bank of the model file ``tflite_path`` from the training digits
    ``sources`` (:func:`digitpad.training.bank.bank_sources`) and write it beside
    the model as :data:`~digitpad.personal.BANK_FILE`; returns its path."""
    from .bank import build_class_bank, write_class_bank

    tflite_path = Path(tflite_path)
    features, labels = build_class_bank(Predictor(tflite_path), sources)
    path = tflite_path.with_name(BANK_FILE)
    write_class_bank(path, features, labels, tflite_path, **about)
    return path


def _bank_is_for(bank: Path, model: Path) -> bool:
    try:
        return ClassBank.read(bank).model_sha256 == model_digest(model)
    except (OSError, ValueError, KeyError):
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digitpad.training.export",
        description="Export a .keras digit classifier to a .tflite with probabilities "
        "and penultimate features outputs.",
    )
    parser.add_argument("keras_model", type=Path, help="the .keras file")
    parser.add_argument("tflite_model", type=Path, help="the .tflite file to write")
    parser.add_argument("--data", type=Path, help="MNIST, to write the class bank too")
    parser.add_argument("--pendigits", type=Path, help="pen digits (UNIPEN) for the bank")
    args = parser.parse_args(argv)
    import keras

    from .bank import bank_sources
    from .data import DataError, load_mnist, load_pendigits

    sources = None
    try:  # the data first: a missing file must not leave a model without its bank
        if args.data:
            (x_train, y_train), _, _ = load_mnist(args.data)
            pen = load_pendigits(args.pendigits)[0] if args.pendigits else []
            sources = bank_sources(x_train, y_train, pen)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # safe_mode stays on: a .keras file must never run code of its own.
    model = keras.models.load_model(args.keras_model, compile=False, safe_mode=True)
    export_tflite(model, args.tflite_model)
    print(f"written {args.tflite_model}")
    bank = args.tflite_model.with_name(BANK_FILE)
    if sources is not None:
        about = {"mnist": str(args.data), "pen": str(args.pendigits or "")}
        export_class_bank(args.tflite_model, sources, **about)
        print(f"written {bank}")
    elif bank.exists() and not _bank_is_for(bank, args.tflite_model):
        print(
            f"note: {bank} was built for another model and will not be used "
            "(give --data and --pendigits to rebuild it)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

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

Re-export an existing ``.keras`` file (same weights)::

    python -m digitpad.training.export resources/model.keras resources/model.tflite

TensorFlow is imported only when a model is exported, never on import.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..predictor import with_features

__all__ = ["OUTPUTS_CARD", "export_tflite", "main"]

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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digitpad.training.export",
        description="Export a .keras digit classifier to a .tflite with probabilities "
        "and penultimate features outputs.",
    )
    parser.add_argument("keras_model", type=Path, help="the .keras file")
    parser.add_argument("tflite_model", type=Path, help="the .tflite file to write")
    args = parser.parse_args(argv)
    import keras

    # safe_mode stays on: a .keras file must never run code of its own.
    model = keras.models.load_model(args.keras_model, compile=False, safe_mode=True)
    export_tflite(model, args.tflite_model)
    print(f"written {args.tflite_model}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

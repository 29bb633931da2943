"""The predictor: a trained model file in, ten digit probabilities out.

``model.tflite`` files run on LiteRT (``ai-edge-litert``), which imports in a
fraction of a second; TensorFlow is imported only when a ``.keras`` file is
given. Inputs follow the model card's convention: float32, 28x28, 0..1, light
ink on dark.

A model may also give the features its final classifier sees (a second
output of the bundled ``.tflite``, see :mod:`digitpad.training.export`;
a sub-model of a ``.keras`` file); :mod:`digitpad.profile` compares them with
a person's own examples. Models without them still classify.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import numpy as np

__all__ = ["ModelError", "Predictor", "bundled_model_path", "with_features"]

_PACKAGE = Path(__file__).resolve().parent
# An installed wheel carries the model inside the package; a source checkout
# (or an editable install) keeps it in the top-level resources/ folder.
_RESOURCE_DIRS = (_PACKAGE / "resources", _PACKAGE.parent / "resources")

#: Inputs are fed to LiteRT in chunks of this many images.
BATCH = 256


class ModelError(Exception):
    """A model file that is missing, unreadable or not a digit classifier."""


def bundled_model_path() -> Path:
    """Path of the bundled ``model.tflite`` (which may not exist in a broken install)."""
    for folder in _RESOURCE_DIRS:
        candidate = folder / "model.tflite"
        if candidate.is_file():
            return candidate
    return _RESOURCE_DIRS[-1] / "model.tflite"


class Predictor:
    """Run a digit classifier.

    Parameters
    ----------
    model_path : path, optional
        A ``.tflite`` or ``.keras`` file; default: the bundled model.

    Attributes
    ----------
    path : Path
        The model file.
    card : dict or None
        The model card (``model-card.json`` beside the model), when there is one.
    has_features : bool
        Whether the model also gives its penultimate features
        (:meth:`predict_with_features`).

    Raises
    ------
    ModelError
        When the file is missing, cannot be loaded, or does not map a 28x28
        image to ten scores.
    """

    def __init__(self, model_path: str | os.PathLike | None = None):
        self.path = Path(model_path) if model_path is not None else bundled_model_path()
        if not self.path.is_file():
            raise ModelError(f"{self.path}: model file not found")
        self.card = _read_card(self.path)
        if self.path.suffix == ".keras":
            self._run, self.has_features = _keras_runner(self.path)
        else:
            self._run, self.has_features = _litert_runner(self.path)

    @property
    def name(self) -> str:
        if self.card and self.card.get("name"):
            return str(self.card["name"])
        return self.path.name

    @property
    def test_accuracy(self) -> float | None:
        """MNIST test accuracy from the model card, when known."""
        try:
            return float(self.card["test"]["mnist"]["accuracy"])
        except (TypeError, KeyError, ValueError):
            return None

    def predict(self, images) -> np.ndarray:
        """Probabilities for a batch.

        Parameters
        ----------
        images : array_like, shape (n, 28, 28) or (n, 28, 28, 1) or (28, 28)
            Model inputs as made by :mod:`digitpad.preprocess`.

        Returns
        -------
        ndarray of float32, shape (n, 10)
            One row of probabilities per image (a single image gives n = 1).
        """
        return self.predict_with_features(images)[0]

    def predict_with_features(self, images) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities and penultimate features for a batch.

        Parameters
        ----------
        images : array_like, shape (n, 28, 28) or (n, 28, 28, 1) or (28, 28)
            Model inputs as made by :mod:`digitpad.preprocess`.

        Returns
        -------
        probabilities : ndarray of float32, shape (n, 10)
        features : ndarray of float32, shape (n, k), or None
            What the final classifier layer sees (k = 128 for the bundled
            model); None when the model does not give it (``has_features``).
        """
        batch = np.asarray(images, dtype=np.float32)
        if batch.ndim == 2:
            batch = batch[None]
        if batch.ndim == 3:
            batch = batch[..., None]
        if batch.shape[1:] != (28, 28, 1):
            raise ValueError(f"expected images of 28x28, got an array of shape {batch.shape}")
        if len(batch) == 0:
            return np.zeros((0, 10), dtype=np.float32), None
        if len(batch) <= BATCH:  # the pad's case: one digit, no concatenation
            probabilities, features = self._run(batch)
            return probabilities.astype(np.float32, copy=False), features
        chunks = [self._run(batch[i : i + BATCH]) for i in range(0, len(batch), BATCH)]
        probabilities = np.concatenate([p for p, _ in chunks]).astype(np.float32, copy=False)
        features = None if not self.has_features else np.concatenate([f for _, f in chunks])
        return probabilities, features


def _read_card(model_path: Path) -> dict | None:
    card_path = model_path.with_name("model-card.json")
    try:
        with open(card_path, encoding="utf-8") as f:
            card = json.load(f)
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


def _litert_runner(path: Path):
    from ai_edge_litert.interpreter import Interpreter

    try:
        # LiteRT's C++ side announces its CPU delegate on stderr ("INFO: Created
        # TensorFlow Lite XNNPACK delegate"), which would mix with the CLI's
        # one-line errors.
        with _native_stderr_silenced():
            # Two threads halve the time of one digit on a 2-core machine.
            threads = min(2, os.cpu_count() or 1)
            interpreter = Interpreter(model_path=str(path), num_threads=threads)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise ModelError(f"{path}: not a LiteRT model ({_first_line(error)})") from None
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    if len(inputs) != 1 or len(outputs) not in (1, 2):
        raise ModelError(f"{path}: expected one input and one or two output tensors")
    signature = tuple(inputs[0]["shape_signature"])
    if len(signature) != 4 or signature[1:] != (28, 28, 1):
        raise ModelError(f"{path}: model input is {list(signature)}, expected [n, 28, 28, 1]")
    output_index, features_index = _litert_outputs(interpreter, outputs, path)
    input_index = inputs[0]["index"]
    dynamic_batch = signature[0] == -1
    state = {"batch": int(inputs[0]["shape"][0])}

    def run(batch: np.ndarray):
        if not dynamic_batch:
            ones = [run_one(image[None]) for image in batch]
            features = None if features_index is None else np.concatenate([f for _, f in ones])
            return np.concatenate([p for p, _ in ones]), features
        return run_one(batch)

    def run_one(batch: np.ndarray):
        if len(batch) != state["batch"]:
            interpreter.resize_tensor_input(input_index, batch.shape)
            interpreter.allocate_tensors()
            state["batch"] = len(batch)
        interpreter.set_tensor(input_index, batch)
        interpreter.invoke()
        probabilities = interpreter.get_tensor(output_index).copy()
        if features_index is None:
            return probabilities, None
        return probabilities, interpreter.get_tensor(features_index).copy()

    return run, features_index is not None


def _litert_outputs(interpreter, outputs, path: Path) -> tuple[int, int | None]:
    """Tensor indices of the probabilities and (None if absent) features outputs.

    The outputs are found by their names in the ``serving_default`` signature
    when it names them ``probabilities`` and ``features``, else by shape: the
    probabilities are ``[n, 10]``, the features the other ``[n, k]`` output.
    """
    try:
        named = interpreter._get_full_signature_list()["serving_default"]["outputs"]
    except (AttributeError, KeyError, TypeError):
        named = {}
    if len(outputs) == 2 and {"probabilities", "features"} <= set(named):
        return named["probabilities"], named["features"]
    shapes = [tuple(o["shape_signature"]) for o in outputs]
    scores = [i for i, shape in enumerate(shapes) if shape[-1:] == (10,) and len(shape) == 2]
    if len(outputs) == 1 and shapes[0][-1:] == (10,):
        return outputs[0]["index"], None
    others = [i for i, shape in enumerate(shapes) if len(shape) == 2 and i not in scores[:1]]
    if scores and others:
        return outputs[scores[0]]["index"], outputs[others[0]]["index"]
    if len(outputs) == 1:
        raise ModelError(f"{path}: model output is {list(shapes[0])}, expected [n, 10]")
    raise ModelError(
        f"{path}: model outputs are {[list(s) for s in shapes]}, expected [n, 10] "
        "and [n, k] features"
    )


def _keras_runner(path: Path):
    try:
        import keras
    except ImportError:
        raise ModelError(
            f"{path}: loading .keras files needs TensorFlow (pip install 'digitpad[train]')"
        ) from None
    try:
        # safe_mode stays on: a .keras file must never run code of its own.
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a bad archive
        raise ModelError(f"{path}: not a loadable Keras model ({_first_line(error)})") from None
    shape = tuple(model.input_shape)
    if shape[1:] != (28, 28, 1) or tuple(model.output_shape)[-1:] != (10,):
        raise ModelError(
            f"{path}: model maps {list(shape)} to {list(model.output_shape)}, "
            "expected [n, 28, 28, 1] to [n, 10]"
        )

    features_model = _keras_features_model(model)

    def run(batch: np.ndarray):
        if features_model is None:
            return np.asarray(model(batch, training=False)), None
        outputs = features_model(batch, training=False)
        return np.asarray(outputs["probabilities"]), np.asarray(outputs["features"])

    return run, features_model is not None


def _keras_features_model(model):
    """The model with a features output too (see :func:`with_features`), or None."""
    try:
        both = with_features(model)
        flat = len(model.layers[-1].input.shape) == 2
    except Exception:  # a model Keras cannot take apart (subclassed, nested)
        return None
    return both if flat else None


def with_features(model):
    """A Keras model with the same weights giving ``{"probabilities", "features"}``.

    ``features`` is the input of ``model``'s last layer (its final classifier);
    dropout before it is inactive at inference, so for the bundled network
    it is the 128 values after the last ReLU.
    """
    import keras

    classifier = model.layers[-1]
    (image,) = model.inputs
    return keras.Model(
        image,
        {"probabilities": model.outputs[0], "features": classifier.input},
        name=f"{model.name}_with_features",
    )


@contextlib.contextmanager
def _native_stderr_silenced():
    """Point file descriptor 2 at the null device for the duration."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable stderr: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__

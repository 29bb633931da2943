"""The predictor: a trained model file in, ten digit probabilities out.

``model.tflite`` files run on LiteRT (``ai-edge-litert``), which imports in a
fraction of a second; TensorFlow is imported only when a ``.keras`` file is
given. Inputs follow the model card's convention: float32, 28x28, 0..1, light
ink on dark.

A model may also give the features its final classifier sees (an output
of the bundled ``.tflite``, see :mod:`digitpad.training.export`; a
sub-model of a ``.keras`` file); :mod:`digitpad.profile` compares them with
a person's own examples. Models without them still classify.

A model may have a second final layer for pictures (the bundled one does):
the ``picture`` layer of a ``.keras`` network, the ``picture_probabilities``
output of a ``.tflite``. It learned from pictures of digits written on paper
alone, so :meth:`Predictor.predict` reads with it what ``source="picture"``
says came from a picture (a PNG or JPG file, a pasted image), and with the
first layer what was drawn as ink.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "SOURCES",
    "Model",
    "ModelError",
    "Predictor",
    "Source",
    "bundled_model_path",
    "predict_with_required_features",
    "load_keras_model",
    "with_features",
]

_PACKAGE = Path(__file__).resolve().parent
# An installed wheel carries the model inside the package; a source checkout
# (or an editable install) keeps it in the top-level resources/ folder.
_RESOURCE_DIRS = (_PACKAGE / "resources", _PACKAGE.parent / "resources")

#: Inputs are fed to LiteRT in chunks of this many images.
BATCH = 256

#: Where model inputs come from: drawn as ink, or a picture of digits.
SOURCES = ("ink", "picture")


#: Where a batch comes from: one of :data:`SOURCES`, or one of them per image.
Source = str | Sequence[str]


class ModelError(Exception):
    """A model file that is missing, unreadable or not a digit classifier."""


class Model(Protocol):
    """What a digit classifier gives, and what it says it can do.

    :class:`Predictor` (a ``.tflite`` file on LiteRT or a ``.keras`` file on
    Keras) is one; the :class:`~digitpad.recognize.Recognizer` takes any
    object with these members (another runtime, a test double). The
    capabilities are declared, not probed: a model without a features output
    says ``has_features = False``.

    Attributes
    ----------
    path : Path or None
        The model file; None for a model that is not read from one.
    card : dict or None
        The model card, when there is one.
    name : str
        What the model is called in messages.
    has_features : bool
        Whether :meth:`predict_with_features` gives features (not None).
    has_picture_output : bool
        Whether pictures are read by a final layer of their own, so that
        ``source`` matters; a model without one reads every source as ink.
    """

    @property
    def path(self) -> Path | None: ...

    @property
    def card(self) -> dict | None: ...

    @property
    def name(self) -> str: ...

    @property
    def has_features(self) -> bool: ...

    @property
    def has_picture_output(self) -> bool: ...

    def predict(self, images: ArrayLike, source: Source = "ink") -> np.ndarray:
        """Probabilities of the ten digits, shape (n, 10), as :meth:`Predictor.predict`."""
        ...

    def predict_with_features(
        self, images: ArrayLike, source: Source = "ink"
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities and features (None without ``has_features``), as
        :meth:`Predictor.predict_with_features`."""
        ...


def bundled_model_path() -> Path:
    """Path of the bundled ``model.tflite`` (which may not exist in a broken install)."""
    for folder in _RESOURCE_DIRS:
        candidate = folder / "model.tflite"
        if candidate.is_file():
            return candidate
    return _RESOURCE_DIRS[-1] / "model.tflite"


class Predictor:
    """Run a digit classifier: the :class:`Model` of a model file.

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
    has_picture_output : bool
        Whether the model reads pictures with a final layer of their own.

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
            self._run, outputs = _keras_runner(self.path)
        else:
            self._run, outputs = _litert_runner(self.path)
        self.has_features = "features" in outputs
        self.has_picture_output = "picture" in outputs

    @property
    def name(self) -> str:
        """The model card's name, else the file's."""
        if self.card and self.card.get("name"):
            return str(self.card["name"])
        return self.path.name

    @property
    def test_accuracy(self) -> float | None:
        """MNIST test accuracy from the model card, when known."""
        try:
            return float((self.card or {})["test"]["mnist"]["accuracy"])
        except (TypeError, KeyError, ValueError):
            return None

    def predict(self, images: ArrayLike, source: Source = "ink") -> np.ndarray:
        """Probabilities for a batch.

        Parameters
        ----------
        images : array_like, shape (n, 28, 28) or (n, 28, 28, 1) or (28, 28)
            Model inputs as made by :mod:`digitpad.preprocess`.
        source : {"ink", "picture"} or sequence of them
            Where they come from, for all images or one per image: drawn as
            ink, or from a picture (read by the picture layer when the model
            has one, see ``has_picture_output``).

        Returns
        -------
        ndarray of float32, shape (n, 10)
            One row of probabilities per image (a single image gives n = 1).
        """
        return self.predict_with_features(images, source)[0]

    def predict_with_features(
        self, images: ArrayLike, source: Source = "ink"
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities and penultimate features for a batch.

        Parameters
        ----------
        images : array_like, shape (n, 28, 28) or (n, 28, 28, 1) or (28, 28)
            Model inputs as made by :mod:`digitpad.preprocess`.
        source : {"ink", "picture"} or sequence of them
            As for :meth:`predict`; the features are the same for both.

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
        pictures = _picture_rows(source, len(batch))
        if len(batch) == 0:
            return np.zeros((0, 10), dtype=np.float32), None
        if len(batch) <= BATCH:  # the pad's case: one digit, no concatenation
            chunks = [self._run(batch)]
        else:
            chunks = [self._run(batch[i : i + BATCH]) for i in range(0, len(batch), BATCH)]
        probabilities = np.concatenate([ink for ink, _, _ in chunks])
        if self.has_picture_output and pictures.any():
            by_picture = np.concatenate([picture for _, picture, _ in chunks])
            probabilities = np.where(pictures[:, None], by_picture, probabilities)
        features = None if not self.has_features else np.concatenate([f for _, _, f in chunks])
        return probabilities.astype(np.float32, copy=False), features


def predict_with_required_features(
    model: Model, images: ArrayLike, source: Source = "ink"
) -> tuple[np.ndarray, np.ndarray]:
    """``model.predict_with_features``, for a caller that cannot do without the features.

    Raises
    ------
    ModelError
        When the model gives none (``has_features`` is false).
    """
    probabilities, features = model.predict_with_features(images, source)
    if features is None:
        raise ModelError(f"{model.name} gives no features output")
    return probabilities, features


def _picture_rows(source: Source, n: int) -> np.ndarray:
    """Which of ``n`` images come from pictures, from one source or one per image."""
    sources = [source] * n if isinstance(source, str) else list(source)
    if len(sources) != n:
        raise ValueError(f"{len(sources)} sources given for {n} images")
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"source must be one of {SOURCES}, not {sorted(unknown)[0]!r}")
    return np.array([s == "picture" for s in sources], dtype=bool)


def _read_card(model_path: Path) -> dict | None:
    card_path = model_path.with_name("model-card.json")
    try:
        with open(card_path, encoding="utf-8") as f:
            card = json.load(f)
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


#: What a runner gives for a batch: ink probabilities, picture probabilities
#: (None without a picture layer) and features (None without them).
_Outputs = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]

#: The output names of a ``.tflite`` written by :func:`digitpad.training.export.export_tflite`,
#: and the role of each.
_OUTPUT_ROLES = {
    "probabilities": "ink",
    "picture_probabilities": "picture",
    "features": "features",
}


def _litert_runner(path: Path) -> tuple[Callable[[np.ndarray], _Outputs], set[str]]:
    from ai_edge_litert.interpreter import Interpreter

    try:
        # LiteRT's C++ side announces its CPU delegate on stderr ("INFO: Created
        # TensorFlow Lite XNNPACK delegate"), which would mix with the CLI's
        # one-line errors.
        with _native_stderr_silenced():
            # Two threads halve the time of one digit on a 2-core machine.
            threads = min(2, os.cpu_count() or 1)
            interpreter = Interpreter(model_path=str(path), num_threads=threads)
            invoke, inputs, outputs = _litert_classifier(interpreter)
            if len(inputs) != 1 or len(outputs) not in (1, 2, 3):
                raise ModelError(f"{path}: expected one input and one to three output tensors")
            signature = tuple(inputs[0]["shape_signature"].tolist())
            if len(signature) != 4 or signature[1:] != (28, 28, 1):
                shape = _shape(signature)
                raise ModelError(f"{path}: model input is {shape}, expected [n, 28, 28, 1]")
            found = _litert_roles(outputs, path)
            # Run once now, allocating its tensors: a model it cannot run fails here.
            invoke(np.zeros((1 if signature[0] == -1 else signature[0], 28, 28, 1), np.float32))
    except ValueError:  # the file is not a model the runtime can parse
        raise ModelError(f"{path}: not a .tflite model, or a damaged one") from None
    except RuntimeError as error:  # a model, but one it cannot run (an unknown operation, say)
        raise ModelError(f"{path}: a model digitpad cannot run ({_first_line(error)})") from None
    present = [role for role in ("ink", "picture", "features") if role in found]
    dynamic_batch = signature[0] == -1

    def run(batch: np.ndarray) -> _Outputs:
        """(ink probabilities, picture probabilities or None, features or None)."""
        if dynamic_batch:
            arrays = run_one(batch)
        else:
            ones = [run_one(image[None]) for image in batch]
            arrays = [np.concatenate(column) for column in zip(*ones, strict=True)]
        by_role = dict(zip(present, arrays, strict=True))
        return by_role["ink"], by_role.get("picture"), by_role.get("features")

    def run_one(batch: np.ndarray) -> list[np.ndarray]:
        """The outputs of the roles ``present``, in that order.

        A batch is padded to a power of two (up to :data:`BATCH`), so that the
        interpreter is resized for a few sizes only: reallocating its tensors for
        every size a reading happens to have grows the process's memory.
        """
        count = len(batch)
        size = count if count <= 1 or not dynamic_batch else 1 << (count - 1).bit_length()
        if size != count:
            batch = np.concatenate([batch, np.zeros((size - count, *batch.shape[1:]), batch.dtype)])
        arrays = invoke(batch)
        return [arrays[found[role]][:count] for role in present]

    return run, set(found)


def _litert_classifier(interpreter):
    """``(invoke, inputs, outputs)`` of the classifier in a LiteRT interpreter.

    The classifier is the model's ``serving_default`` signature, or its only
    one, run by LiteRT's signature runner: a model may have other signatures
    (the bundled one's number model, :mod:`digitpad.number_model`), each a
    subgraph of its own, in any order. A model without signatures is its first
    subgraph, as ``invoke()`` runs it. ``inputs`` is a list of the input
    tensors' details, ``outputs`` the output tensors' details by name (the
    signature's names, else the tensors' own), and ``invoke(batch)`` gives the
    outputs by those names, the input resized to the batch's shape.
    """
    signatures = interpreter.get_signature_list()
    key = "serving_default" if "serving_default" in signatures else None
    if key is None and len(signatures) == 1:
        key = next(iter(signatures))
    if key is not None:
        runner = interpreter.get_signature_runner(key)
        named_inputs = runner.get_input_details()

        def run_signature(batch: np.ndarray) -> dict[str, np.ndarray]:
            # The runner resizes its input (a no-op for the size it has) and allocates.
            return runner(**{next(iter(named_inputs)): batch})

        return run_signature, list(named_inputs.values()), runner.get_output_details()

    inputs = interpreter.get_input_details()
    outputs = {output["name"]: output for output in interpreter.get_output_details()}
    shape: dict[str, tuple[int, ...] | None] = {"now": None}

    def run_subgraph(batch: np.ndarray) -> dict[str, np.ndarray]:
        index = inputs[0]["index"]
        if batch.shape != shape["now"]:
            interpreter.resize_tensor_input(index, batch.shape)
            interpreter.allocate_tensors()
            shape["now"] = batch.shape
        interpreter.set_tensor(index, batch)
        interpreter.invoke()
        return {name: interpreter.get_tensor(output["index"]) for name, output in outputs.items()}

    return run_subgraph, inputs, outputs


def _litert_roles(outputs: dict[str, dict], path: Path) -> dict[str, str]:
    """Names of the outputs by role: ``ink`` (the probabilities), and where
    the model has them ``features`` and ``picture`` (the picture layer's probabilities).

    One output, whatever its name, is the probabilities. Two or three must be
    named ``probabilities``, ``features`` and (if there is one)
    ``picture_probabilities``, as :func:`digitpad.training.export.export_tflite`
    names them.
    """
    shapes = {name: output["shape_signature"].tolist() for name, output in outputs.items()}
    if len(outputs) == 1:
        (name,) = outputs
        if shapes[name][-1:] != [10]:
            raise ModelError(f"{path}: model output is {_shape(shapes[name])}, expected [n, 10]")
        return {"ink": name}
    if not ({"probabilities", "features"} <= set(outputs) <= set(_OUTPUT_ROLES)):
        expected = (
            "probabilities, picture_probabilities and features"
            if len(outputs) == 3
            else "probabilities and features"
        )
        count = "three" if len(outputs) == 3 else "two"
        raise ModelError(
            f"{path}: a model of {count} outputs must name them {expected}, "
            f"not {', '.join(sorted(outputs))}"
        )
    for name, shape in shapes.items():
        expected = "[n, k]" if name == "features" else "[n, 10]"
        if len(shape) != 2 or (name != "features" and shape[-1] != 10):
            raise ModelError(f"{path}: model output {name} is {_shape(shape)}, expected {expected}")
    return {_OUTPUT_ROLES[name]: name for name in outputs}


def load_keras_model(path: Path):
    """The Keras model in ``path``, loaded without running any code of the file's own.

    Raises ModelError without TensorFlow or for a file Keras cannot load.
    """
    try:
        import keras
    except ImportError:
        raise ModelError(
            f"{path}: loading .keras files needs TensorFlow (pip install 'digitpad[train]')"
        ) from None
    try:
        # safe_mode stays on: a .keras file must never run code of its own.
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a bad archive
        raise ModelError(f"{path}: not a loadable Keras model ({_first_line(error)})") from None


def _keras_runner(path: Path):
    model = load_keras_model(path)
    shapes = [tuple(o.shape) for o in model.outputs]
    shape = tuple(model.input_shape)
    if (
        shape[1:] != (28, 28, 1)
        or len(shapes) not in (1, 2)
        or any(s[-1:] != (10,) for s in shapes)
    ):
        raise ModelError(
            f"{path}: model maps {_shape(shape)} to {', '.join(map(_shape, shapes))}, "
            "expected [n, 28, 28, 1] to [n, 10]"
        )
    picture = _picture_layer(model) is not None
    if len(shapes) == 2 and not picture:
        raise ModelError(f"{path}: a model of two outputs needs a final layer named 'picture'")

    features_model = _keras_features_model(model)

    def run(batch: np.ndarray):
        """(ink probabilities, picture probabilities or None, features or None)."""
        if features_model is None:
            probabilities = model(batch, training=False)
            if picture:
                return np.asarray(probabilities[0]), np.asarray(probabilities[1]), None
            return np.asarray(probabilities), None, None
        outputs = {k: np.asarray(v) for k, v in features_model(batch, training=False).items()}
        return outputs["probabilities"], outputs.get("picture_probabilities"), outputs["features"]

    found = {"ink"} | ({"features"} if features_model is not None else set())
    return run, found | ({"picture"} if picture else set())


def _picture_layer(model):
    """The final layer of ``model`` named ``picture``, when it is one of two outputs."""
    if len(model.outputs) != 2:
        return None
    try:
        return model.get_layer("picture")
    except ValueError:
        return None


def _classifier(model):
    """The final layer whose probabilities ink is read by."""
    return model.get_layer("ink") if _picture_layer(model) is not None else model.layers[-1]


def _keras_features_model(model):
    """The model with a features output too (see :func:`with_features`), or None."""
    try:
        both = with_features(model)
        flat = len(_classifier(model).input.shape) == 2
    except Exception:  # a model Keras cannot take apart (subclassed, nested)
        return None
    return both if flat else None


def with_features(model):
    """A Keras model with the same weights giving ``{"probabilities", "features"}``,
    and ``"picture_probabilities"`` for a model with a picture layer.

    ``features`` is the input of ``model``'s final classifier (its last
    layer; the ``ink`` layer of a model with a picture layer, whose
    ``picture`` layer reads the same input); dropout before it is inactive at
    inference, so for the bundled network it is the 128 values after the
    last ReLU.
    """
    import keras

    picture = _picture_layer(model)
    classifier = _classifier(model)
    (image,) = model.inputs
    outputs = {"probabilities": model.outputs[0], "features": classifier.input}
    if picture is not None:
        outputs["probabilities"] = classifier.output  # the ink layer, whichever output it is
        outputs["picture_probabilities"] = picture.output
    return keras.Model(image, outputs, name=f"{model.name}_with_features")


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


def _shape(shape) -> str:
    """A tensor shape as the messages write it: ``[n, 28, 28, 1]`` (n: any batch size)."""
    return "[" + ", ".join("n" if d is None or d == -1 else str(int(d)) for d in shape) + "]"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__

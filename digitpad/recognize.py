"""Recognize digits in ink, images and files: the in-process Python API.

>>> from digitpad import Recognizer, Ink
>>> recognizer = Recognizer()                   # the bundled model
>>> result = recognizer.ink(Ink([[(10, 10), (10, 90)]]))
>>> result.digit, round(result.confidence, 2)   # doctest: +SKIP
(1, 1.0)
>>> recognizer.file("seven.png").digit          # doctest: +SKIP
7
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .ink import Ink, InkError, load_ink
from .predictor import Predictor
from .preprocess import ImageReadError, image_to_input, ink_to_input, load_image

__all__ = [
    "Prediction",
    "Recognizer",
    "IMAGE_SUFFIXES",
    "INK_SUFFIXES",
    "expand_paths",
    "ReadError",
]

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
)
INK_SUFFIXES = frozenset({".json"})

#: What reading an input file may raise: a one-line reason, never a traceback.
ReadError = (InkError, ImageReadError)


@dataclass
class Prediction:
    """What the model made of one input.

    ``digit`` and ``confidence`` are None when there is no digit (empty ink,
    blank image); ``input`` is the 28x28 picture the model saw.
    """

    digit: int | None
    confidence: float | None
    probabilities: np.ndarray | None
    input: np.ndarray | None

    @classmethod
    def from_probabilities(cls, probabilities: np.ndarray | None, model_input: np.ndarray | None):
        if probabilities is None:
            return cls(None, None, None, model_input)
        digit = int(np.argmax(probabilities))
        return cls(digit, float(probabilities[digit]), probabilities, model_input)

    def to_json(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": None if self.confidence is None else round(self.confidence, 6),
            "probabilities": None
            if self.probabilities is None
            else [round(float(p), 6) for p in self.probabilities],
        }


class Recognizer:
    """Preprocessing plus a :class:`~digitpad.predictor.Predictor`.

    Parameters
    ----------
    model : path or Predictor, optional
        The model to run; default: the bundled one.
    """

    def __init__(self, model: str | os.PathLike | Predictor | None = None):
        self.predictor = model if isinstance(model, Predictor) else Predictor(model)

    def ink(self, ink: Ink) -> Prediction:
        """Recognize one digit drawn as ink."""
        return self._predict([ink_to_input(ink)])[0]

    def image(self, image) -> Prediction:
        """Recognize one digit in a Pillow image or a 2-D / 3-D numpy array."""
        return self._predict([image_to_input(image)])[0]

    def file(self, path: str | os.PathLike) -> Prediction:
        """Recognize an image file or an ink ``.json`` file.

        Raises one of :data:`ReadError` for a file that cannot be read.
        """
        return self._predict([read_input(path)])[0]

    def files(
        self, paths: Iterable[str | os.PathLike], batch_size: int = 256
    ) -> Iterator[tuple[Path, Prediction | Exception]]:
        """Recognize many files, a batch at a time, in order.

        Yields ``(path, prediction)``, or ``(path, error)`` for a file that
        could not be read; the other files are still done.
        """
        pending: list[tuple[Path, np.ndarray | None | Exception]] = []
        for path in paths:
            path = Path(path)
            try:
                pending.append((path, read_input(path)))
            except ReadError as error:
                pending.append((path, error))
            if len(pending) >= batch_size:
                yield from self._flush(pending)
                pending = []
        yield from self._flush(pending)

    def _flush(self, pending):
        inputs = [x for _, x in pending if not isinstance(x, Exception)]
        results = iter(self._predict(inputs))
        for path, x in pending:
            yield path, x if isinstance(x, Exception) else next(results)

    def _predict(self, inputs: list[np.ndarray | None]) -> list[Prediction]:
        present = [x for x in inputs if x is not None]
        probabilities = iter(self.predictor.predict(np.stack(present)) if present else [])
        return [
            Prediction.from_probabilities(None if x is None else next(probabilities), x)
            for x in inputs
        ]


def read_input(path: str | os.PathLike) -> np.ndarray | None:
    """The model input for an image or ink file (None: no digit in it)."""
    path = Path(path)
    if path.suffix.lower() in INK_SUFFIXES:
        try:
            return ink_to_input(load_ink(path))
        except FileNotFoundError:
            raise InkError("no such file") from None
        except IsADirectoryError:
            raise InkError("is a folder") from None
        except OSError as error:
            raise InkError(f"cannot read: {error.strerror or error}") from None
    with load_image(path) as image:
        return image_to_input(image)


def expand_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files as given, and for each folder its image and ink files, sorted by name."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | INK_SUFFIXES
            )
        else:
            yield path

"""Adapting the network's probabilities to a person's own examples.

A digit's *features* are what the network's final classifier sees (128
values after the last ReLU for the bundled model), scaled to unit length.
For each digit class the person has examples of, the closest example's
cosine similarity ``s`` becomes a personal score
``max(0, (s - SIMILARITY_FLOOR) / (1 - SIMILARITY_FLOOR))`` (0 for examples
no closer than the floor, 1 for an identical one); the scores, times
``WEIGHT``, are added to the logarithms of the network's probabilities
(the probabilities are multiplied by ``exp(WEIGHT * score)``) and
renormalized. Far from all the person's examples nothing changes, so their
other digits read exactly as without a profile; an example very close to a
digit overrides even a confident network (see :data:`MIN_PROBABILITY`).

With a *class bank* beside the model (:data:`BANK_FILE`, built by
``digitpad.training.bank`` from the training digits: a few hundred typical
features of each class), an example has a say only where the digit is
about as close to it as to the closest typical digit of another class, or
closer: for an example of class ``c`` the floor above becomes
``max(SIMILARITY_FLOOR, r + MARGIN)`` (at most 0.999), where ``r`` is the
digit's highest cosine similarity to a bank entry of a class other than
``c``, and the weight :data:`BANK_WEIGHT`. So a 1 taught from a 7-like
drawing still reads that drawing (and the person's next ones like it) as
1, but a textbook 7, closer to the network's typical 7s than to that
drawing, keeps its reading. The bank is read with numpy; one built for
another model file (it keeps the model's SHA-256) is refused with a
:class:`BankWarning`, and then, as without a bank, the floor alone decides
with :data:`WEIGHT`.

The form and the constants were chosen with ``benchmarks/personal.py
--tune``: the floor and weight on held-out pen writers 3, 9, 15, 21 and 27,
where several settings tie and this one sits inside the widest plateau of
best settings; the margin and the bank's weight on the odd-numbered pen
writers and half of the ``unipen-dev`` writers, with a bank built without
them (docs/benchmarks.md, "Personal learning").
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .predictor import Model, predict_with_required_features
from .profile import Profile

__all__ = [
    "BANK_FILE",
    "BANK_WEIGHT",
    "MARGIN",
    "MIN_PROBABILITY",
    "SIMILARITY_FLOOR",
    "WEIGHT",
    "BankWarning",
    "ClassBank",
    "PersonalIndex",
    "load_class_bank",
    "model_digest",
]

#: Cosine similarity below which a person's example has no say.
SIMILARITY_FLOOR = 0.8
#: How much a very close example of a class adds to that class's log-probability.
WEIGHT = 16.0
#: Probabilities are floored here before the logarithm (a float32 softmax gives 0).
#: With WEIGHT 16 this lets an example identical to a digit outweigh even a
#: certain network (log 1e-6 is -13.8): a person's correction of that very
#: drawing is always honoured.
MIN_PROBABILITY = 1e-6
#: With a class bank: how much closer than the nearest typical digit of another
#: class an example must be to have a say (negative: it may be a little farther).
MARGIN = -0.02
#: With a class bank: what :data:`WEIGHT` is without one. The bank's floor is
#: higher, so an example's scores are lower; a higher weight lets the person's
#: next digits like it (whose scores fall most) read as taught.
BANK_WEIGHT = 32.0
#: The class bank's file name, beside the model file it was built for.
BANK_FILE = "class-bank.npz"
#: The floor is kept below this, so that an example identical to a digit
#: always scores (nearly) 1, however close a typical digit of another class is.
_HIGHEST_FLOOR = 0.999


class BankWarning(UserWarning):
    """A class bank that cannot be used (damaged, or built for another model)."""


@dataclass(frozen=True)
class ClassBank:
    """Typical features of each digit class for one model, as unit rows grouped by class.

    Attributes
    ----------
    features : ndarray of float32, shape (n, k)
        Unit-length features, those of class 0 first, then 1, ...
    labels : ndarray of intp, shape (n,)
        The class of each row (every class 0-9 has at least one).
    model_sha256 : str
        SHA-256 of the model file the features come from.
    """

    features: np.ndarray
    labels: np.ndarray
    model_sha256: str

    @classmethod
    def read(cls, path: str | os.PathLike) -> ClassBank:
        """The bank of a ``.npz`` file; ValueError (or OSError) for one that is not a bank."""
        with np.load(path, allow_pickle=False) as data:
            features = unit(data["features"])
            labels = np.asarray(data["labels"], dtype=np.intp)
            digest = str(data["model_sha256"])
        if features.ndim != 2 or labels.shape != (len(features),):
            raise ValueError(f"features {features.shape} and labels {labels.shape} do not match")
        if set(labels.tolist()) != set(range(10)):
            raise ValueError("the bank lacks a class")
        order = np.argsort(labels, kind="stable")
        return cls(features[order], labels[order], digest)

    @property
    def starts(self) -> np.ndarray:
        """Index of each class's first row (for ``np.maximum.reduceat``)."""
        return np.searchsorted(self.labels, np.arange(10))


def model_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a model file, as a class bank keeps it."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_class_bank(model_path: str | os.PathLike | None) -> ClassBank | None:
    """The class bank beside ``model_path`` (:data:`BANK_FILE`), if it is that model's.

    None, silently, when there is none; None with a :class:`BankWarning` when
    the file is damaged or was built for another model file.
    """
    if model_path is None:
        return None
    path = Path(model_path).with_name(BANK_FILE)
    if not path.is_file():
        return None
    try:
        bank = ClassBank.read(path)
        digest = model_digest(model_path)
    except (OSError, ValueError, KeyError) as error:
        warnings.warn(
            f"{path}: not a usable class bank ({error}); corrections are not checked "
            "against typical digits",
            BankWarning,
            stacklevel=2,
        )
        return None
    if bank.model_sha256 != digest:
        warnings.warn(
            f"{path} was built for another model than {Path(model_path).name}; corrections "
            "are not checked against typical digits (rebuild it: python -m "
            "digitpad.training.bank)",
            BankWarning,
            stacklevel=2,
        )
        return None
    return bank


_BESIDE_THE_MODEL = "beside the model"


class PersonalIndex:
    """The features of a profile's examples, for one model, kept up to date.

    Features are computed once per example (a new example costs one model
    call) and forgotten when the example goes; a new model needs a new index.

    Parameters
    ----------
    predictor : Model
        A model with ``has_features``.
    bank : ClassBank or None, optional
        Typical digits of each class for this model; default: the bank
        beside the predictor's model file (:func:`load_class_bank`), if any.
        None: examples are judged by the floor alone.
    floor, weight, margin : float, optional
        Default :data:`SIMILARITY_FLOOR`, :data:`WEIGHT` (:data:`BANK_WEIGHT`
        with a bank), :data:`MARGIN`.
    """

    def __init__(
        self,
        predictor: Model,
        *,
        bank: ClassBank | None | str = _BESIDE_THE_MODEL,
        floor: float = SIMILARITY_FLOOR,
        weight: float | None = None,
        margin: float = MARGIN,
    ):
        self.predictor = predictor
        self.bank = load_class_bank(predictor.path) if isinstance(bank, str) else bank
        if weight is None:
            weight = WEIGHT if self.bank is None else BANK_WEIGHT
        self.floor, self.weight, self.margin = float(floor), float(weight), float(margin)
        self._version: tuple[int, int] | None = None
        self._features: dict = {}  # example file -> unit feature vector
        self._matrix = np.zeros((0, 0), np.float32)
        self._labels = np.zeros(0, np.intp)
        self._digits = self._starts = np.zeros(0, np.intp)

    def __len__(self) -> int:
        return len(self._labels)

    def update(self, profile: Profile) -> None:
        """Follow the profile's examples (cheap when nothing changed)."""
        version = (id(profile), profile.refresh())
        if version == self._version:
            return
        examples, inputs = profile.inputs()
        new = [i for i, e in enumerate(examples) if e.file not in self._features]
        if new:
            _, features = predict_with_required_features(self.predictor, inputs[new])
            for i, row in zip(new, unit(features), strict=True):
                self._features[examples[i].file] = row
        self._features = {e.file: self._features[e.file] for e in examples}
        # Grouped by digit, so one reduceat gives each digit's closest example.
        by_digit = sorted(examples, key=lambda e: e.digit)
        if by_digit:
            self._matrix = np.stack([self._features[e.file] for e in by_digit])
        else:
            self._matrix = np.zeros((0, 0), np.float32)
        self._labels = np.array([e.digit for e in by_digit], dtype=np.intp)
        self._digits, self._starts = np.unique(self._labels, return_index=True)
        self._version = version

    def adapt(self, probabilities: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Blend a batch of probabilities, shape (n, 10), with the personal scores."""
        if not len(self._labels) or not len(probabilities):
            return probabilities
        features = unit(features)
        # Each digit class's closest example; the floor it must pass, per digit and class.
        closest = np.maximum.reduceat(features @ self._matrix.T, self._starts, axis=1)
        floor = np.full(closest.shape, self.floor, np.float32)
        if self.bank is not None and self.bank.features.shape[1] == features.shape[1]:
            rival = _closest_other_class(features @ self.bank.features.T, self.bank.starts)
            floor = np.clip(rival[:, self._digits] + self.margin, self.floor, _HIGHEST_FLOOR)
        scores = np.clip((closest - floor) / (1.0 - floor), 0.0, None)
        personal = np.zeros((len(probabilities), 10), np.float32)
        personal[:, self._digits] = scores
        logits = np.log(np.maximum(probabilities, MIN_PROBABILITY)) + self.weight * personal
        blended = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (blended / blended.sum(axis=1, keepdims=True)).astype(np.float32)


def _closest_other_class(similarity: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per digit and class ``c``, shape (n, 10): the highest of ``similarity``, shape
    (n, bank rows), over the bank rows of classes other than ``c``."""
    by_class = np.maximum.reduceat(similarity, starts, axis=1)  # (n, 10)
    order = np.argsort(by_class, axis=1)
    rows = np.arange(len(by_class))
    best, second = by_class[rows, order[:, -1]], by_class[rows, order[:, -2]]
    rival = np.repeat(best[:, None], 10, axis=1)
    rival[rows, order[:, -1]] = second  # the best class's rival is the runner-up
    return rival


def unit(features: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (all-zero rows stay zero)."""
    features = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, np.float32(1e-12))

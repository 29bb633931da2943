"""How likely a candidate digit of a number is one digit: the reading's reject output.

The classifier reads any 28x28 picture as some digit, so on its own it cannot
tell a "34" written close from a wide 4, or the stem of a 4 from a 1. This
small network, trained on candidates cut from numbers (whole digits, fragments
of digits, two digits merged, stray marks; :mod:`digitpad.training.numbers`),
reads the classifier's penultimate features and probabilities with the
candidate's place among its neighbours (:func:`digitpad.segment.candidate_geometry`)
and says how likely the candidate is exactly one digit. It runs in numpy, a
few microseconds a candidate.

Its file, ``number-model.npz`` beside the bundled model, also holds the two
weights of the search (:func:`digitpad.segment.search`): a reading's score is
the sum over its digits of ``log P(one digit) + log P(digit) + digit_bonus``
(plus ``whole_bonus`` for the whole ink read as one digit), and over its marks
(pieces read as no digit) of ``log P(not a digit) + mark_penalty``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .predictor import bundled_model_path
from .segment import GEOMETRY

__all__ = ["NumberModel", "bundled_number_model_path", "save_number_model"]

#: Arrays of a number model file.
_ARRAYS = ("mean", "scale", "w1", "b1", "w2", "b2")


def bundled_number_model_path() -> Path:
    """``number-model.npz`` beside the bundled model."""
    return bundled_model_path().with_name("number-model.npz")


class NumberModel:
    """The reject output and the search's weights, from a ``number-model.npz`` file.

    Parameters
    ----------
    path : path, optional
        Default: the bundled one.

    Attributes
    ----------
    digit_bonus, mark_penalty, whole_bonus : float
        The search's weights (see the module's docstring).
    feature_count : int
        How many penultimate features of the classifier it reads.
    model_sha256 : str
        SHA-256 of the classifier file it was trained with ("" when not known).
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else bundled_number_model_path()
        with np.load(self.path) as data:
            arrays = {name: np.asarray(data[name], dtype=np.float32) for name in _ARRAYS}
            self.digit_bonus = float(data["digit_bonus"])
            self.mark_penalty = float(data["mark_penalty"])
            self.whole_bonus = float(data["whole_bonus"]) if "whole_bonus" in data else 0.0
            self.feature_count = int(data["feature_count"])
            self.model_sha256 = str(data["model_sha256"]) if "model_sha256" in data else ""
        self._mean, self._scale = arrays["mean"], arrays["scale"]
        self._w1, self._b1, self._w2, self._b2 = (arrays[k] for k in ("w1", "b1", "w2", "b2"))

    @staticmethod
    def inputs(features: np.ndarray, probabilities: np.ndarray, geometry: np.ndarray):
        """The network's input rows: features, log-probabilities and geometry side by side."""
        logs = np.log(np.clip(probabilities, 1e-6, 1.0))
        return np.concatenate([features, logs, geometry], axis=1).astype(np.float32)

    def logits(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of being one digit, for rows made by :meth:`inputs`."""
        hidden = np.maximum((rows - self._mean) * self._scale @ self._w1 + self._b1, 0)
        return (hidden @ self._w2 + self._b2).reshape(-1)

    def scores(
        self,
        features: np.ndarray,
        probabilities: np.ndarray,
        geometry: np.ndarray,
        single: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The search's scores of each candidate as a digit and of single pieces as marks.

        ``single`` flags the candidates of one piece. Returns ``digit_scores``
        ``(n, 10)`` and ``mark_scores`` ``(n,)`` (``-inf`` where not single).
        """
        logits = self.logits(self.inputs(features, probabilities, geometry))
        one_digit = -np.logaddexp(0, -logits)  # log sigmoid
        not_digit = -np.logaddexp(0, logits)
        # Most drawings are one digit: the whole ink as one digit has a head start.
        whole = geometry[:, GEOMETRY.index("whole ink")] > 0
        digit_scores = (
            one_digit[:, None]
            + np.log(np.clip(probabilities, 1e-9, 1.0))
            + self.digit_bonus
            + np.where(whole, self.whole_bonus, 0.0)[:, None]
        )
        mark_scores = np.where(single, not_digit + self.mark_penalty, -np.inf)
        return digit_scores, mark_scores


def save_number_model(
    path,
    *,
    mean,
    scale,
    w1,
    b1,
    w2,
    b2,
    digit_bonus,
    mark_penalty,
    whole_bonus=0.0,
    model_sha256="",
) -> None:
    """Write a number model file (see :class:`NumberModel`); ``model_sha256`` is that of
    the classifier file whose features it reads."""
    np.savez(
        path,
        model_sha256=np.array(model_sha256),
        mean=np.asarray(mean, np.float32),
        scale=np.asarray(scale, np.float32),
        w1=np.asarray(w1, np.float32),
        b1=np.asarray(b1, np.float32),
        w2=np.asarray(w2, np.float32),
        b2=np.asarray(b2, np.float32),
        digit_bonus=np.float32(digit_bonus),
        mark_penalty=np.float32(mark_penalty),
        whole_bonus=np.float32(whole_bonus),
        feature_count=np.int32(np.shape(w1)[0] - 10 - len(GEOMETRY)),
    )

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

The form and the two constants were chosen on held-out pen writers 3, 9,
15, 21 and 27 (``benchmarks/personal.py --tune``): several settings tie
there, and this one sits inside the widest plateau of best settings.
"""

from __future__ import annotations

import numpy as np

from .profile import Profile

__all__ = ["MIN_PROBABILITY", "SIMILARITY_FLOOR", "WEIGHT", "PersonalIndex"]

#: Cosine similarity below which a person's example has no say.
SIMILARITY_FLOOR = 0.8
#: How much a very close example of a class adds to that class's log-probability.
WEIGHT = 16.0
#: Probabilities are floored here before the logarithm (a float32 softmax gives 0).
#: With WEIGHT 16 this lets an example identical to a digit outweigh even a
#: certain network (log 1e-6 is -13.8): a person's correction of that very
#: drawing is always honoured.
MIN_PROBABILITY = 1e-6


class PersonalIndex:
    """The features of a profile's examples, for one model, kept up to date.

    Features are computed once per example (a new example costs one model
    call) and forgotten when the example goes; a new model needs a new index.

    Parameters
    ----------
    predictor : Predictor
        Gives ``predict_with_features``; must have ``has_features``.
    """

    def __init__(self, predictor, *, floor: float = SIMILARITY_FLOOR, weight: float = WEIGHT):
        self.predictor = predictor
        self.floor, self.weight = float(floor), float(weight)
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
            _, features = self.predictor.predict_with_features(inputs[new])
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
        similarity = unit(features) @ self._matrix.T  # (n, examples)
        scores = np.clip((similarity - self.floor) / (1.0 - self.floor), 0.0, None)
        personal = np.zeros((len(probabilities), 10), np.float32)
        personal[:, self._digits] = np.maximum.reduceat(scores, self._starts, axis=1)
        logits = np.log(np.maximum(probabilities, MIN_PROBABILITY)) + self.weight * personal
        blended = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (blended / blended.sum(axis=1, keepdims=True)).astype(np.float32)


def unit(features: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (all-zero rows stay zero)."""
    features = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, np.float32(1e-12))

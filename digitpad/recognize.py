"""Recognize digits and numbers in ink, images and files: the in-process Python API.

>>> from digitpad import Recognizer, Ink
>>> recognizer = Recognizer()                   # the bundled model
>>> result = recognizer.ink(Ink([[(10, 10), (10, 90)]]))
>>> result.digit, round(result.confidence, 2)   # doctest: +SKIP
(1, 1.0)
>>> recognizer.ink(Ink([[(10, 10), (10, 90)], [(40, 10), (40, 90)]])).number  # doctest: +SKIP
'11'
>>> recognizer.file("seven.png").digit          # doctest: +SKIP
7

With a profile (:mod:`digitpad.profile`) it learns a person's handwriting:

>>> recognizer = Recognizer(profile="my-handwriting/")  # doctest: +SKIP
>>> recognizer.learn(odd_four_ink, 4)                 # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from .conventions import apply_convention, check_convention
from .ink import Ink, InkError, json_number, load_ink, picture_ink
from .number_model import NumberModel
from .personal import PersonalIndex
from .predictor import Model, ModelError, Predictor
from .preprocess import (
    FIELD,
    ImageReadError,
    coverage_to_input,
    ink_coverage,
    ink_to_input,
    load_image,
)
from .profile import Example, Profile, ProfileWarning
from .segment import (
    GEOMETRY,
    MAX_SEARCH_PIECES,
    WIDE_BLOB,
    Box,
    Candidate,
    PictureCandidate,
    blobs_grouped_as_one,
    candidate_geometry,
    ink_candidates,
    ink_pieces,
    picture_candidates,
    picture_geometry,
    picture_pieces,
    search,
    segment_coverage,
    segment_ink,
)
from .trajectory import TrajectoryModel, blend, trajectory_batch

__all__ = [
    "DigitInputs",
    "DigitPrediction",
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
class DigitPrediction:
    """What the model made of one digit of the input.

    ``box`` is ``(x0, y0, x1, y1)``: the ink's bounds in ink coordinates, or
    pixel edges of an image (``x1``, ``y1`` exclusive); None only for a
    prediction made directly from probabilities. ``input`` is the 28x28
    picture the model saw (None when a prediction made from probabilities
    was given none); ``ink`` the digit's own strokes, for ink.
    ``digit`` is the most likely digit, except in a reading of a number chosen
    as a whole (:attr:`Prediction.alternatives`), where it is the reading's.
    """

    digit: int
    confidence: float
    probabilities: np.ndarray
    box: Box | None
    input: np.ndarray | None
    ink: Ink | None = None

    @classmethod
    def from_probabilities(
        cls,
        probabilities: np.ndarray,
        model_input: np.ndarray | None,
        box=None,
        ink=None,
        digit=None,
    ):
        digit = int(np.argmax(probabilities)) if digit is None else int(digit)
        return cls(digit, float(probabilities[digit]), probabilities, box, model_input, ink)

    def to_json(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": round(self.confidence, 6),
            "probabilities": [round(float(p), 6) for p in self.probabilities],
            "box": None if self.box is None else [json_number(v) for v in self.box],
        }


@dataclass
class Prediction:
    """What the model made of one input: the digits of the number in it, left to right.

    ``digits`` is empty when there is no digit (empty ink, blank image).
    ``digit``, ``confidence``, ``probabilities`` and ``input`` are those of
    the digit when there is exactly one. With several digits, ``digit``,
    ``probabilities`` and ``input`` are None and ``confidence`` is the product
    of the digits' confidences (how sure the model is of the whole number);
    with none, all four are None.

    ``alternatives`` are the next best readings of the whole input, best
    first, each a Prediction of its own (without alternatives); ``share`` is
    this reading's probability among the readings weighed (1.0 when there
    was no other).
    """

    digit: int | None
    confidence: float | None
    probabilities: np.ndarray | None
    input: np.ndarray | None
    digits: list[DigitPrediction] = field(default_factory=list)
    alternatives: list[Prediction] = field(default_factory=list)
    share: float = 1.0

    @property
    def number(self) -> str | None:
        """The digits read left to right, leading zeros kept ("2026"); None for no digit."""
        return "".join(str(d.digit) for d in self.digits) or None

    @classmethod
    def from_digits(cls, digits: list[DigitPrediction]) -> Prediction:
        if not digits:
            return cls(None, None, None, None, [])
        if len(digits) == 1:
            (one,) = digits
            return cls(one.digit, one.confidence, one.probabilities, one.input, digits)
        confidence = float(np.prod([d.confidence for d in digits]))
        return cls(None, confidence, None, None, digits)

    @classmethod
    def from_probabilities(cls, probabilities: np.ndarray | None, model_input: np.ndarray | None):
        """A single-digit prediction from the model's output for ``model_input``."""
        if probabilities is None:
            return cls(None, None, None, model_input)
        return cls.from_digits([DigitPrediction.from_probabilities(probabilities, model_input)])

    def to_json(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": None if self.confidence is None else round(self.confidence, 6),
            "probabilities": None
            if self.probabilities is None
            else [round(float(p), 6) for p in self.probabilities],
            "number": self.number,
            "digits": [d.to_json() for d in self.digits],
            "alternatives": [
                {"number": a.number, "share": round(a.share, 6)} for a in self.alternatives
            ],
        }


class DigitInputs(list):
    """The model inputs of the digits found in one input, left to right, with their boxes:
    a list of ``(28x28 input, box)``.

    ``source`` says where they come from, ``"ink"`` or ``"picture"``, which
    decides the model's layer that reads them (see :mod:`digitpad.predictor`).
    For ink and pictures read by recognition, ``search`` holds their candidate
    digits and the list their inputs and boxes; which of them are the digits
    is decided with the model (:meth:`Recognizer.read`).
    """

    def __init__(
        self,
        digits=(),
        source: str = "ink",
        search: InkSearch | PictureSearch | None = None,
        inks: list[Ink] | None = None,
    ):
        super().__init__(digits)
        self.source = source
        self.search = search
        #: Each digit's own ink, for ink split by the box rules.
        self.inks = inks


@dataclass
class InkSearch:
    """The candidate digits of ink (the inputs' list holds their pictures, in order)."""

    piece_count: int
    candidates: list[Candidate]
    geometry: np.ndarray
    ink: Ink
    #: Whether the box rules find one digit in the ink (the search's ``group_bonus``;
    #: False where no candidate is the whole ink).
    one_group: bool = False

    def by_box_rules(self) -> DigitInputs:
        """The digits of the ink as the box rules split it, for a recognizer that
        cannot search."""
        return ink_inputs(self.ink, by_recognition=False)


@dataclass
class PictureSearch:
    """The candidate digits of a picture (the inputs' list holds their pictures, in order)."""

    piece_count: int
    candidates: list[PictureCandidate]
    geometry: np.ndarray
    coverage: np.ndarray
    size: tuple[int, int]
    #: Whether the box rules take the picture's blobs, two or more, for one digit
    #: (:func:`~digitpad.segment.blobs_grouped_as_one`; the search's ``group_bonus``;
    #: False where no candidate is the whole picture).
    one_group: bool = False

    def by_box_rules(self) -> DigitInputs:
        """The digits of the picture as the box rules split it."""
        return _picture_by_box_rules(self.coverage, *self.size)


class Recognizer:
    """Segmentation, preprocessing and a model (:class:`~digitpad.predictor.Model`).

    Every method reads a number. Ink is read by recognition: candidate digits
    are scored by the model and the number model and the best reading is
    searched for (:mod:`digitpad.segment`, :mod:`digitpad.number_model`);
    pictures are split into blobs of ink by the box rules. A single digit is
    read from exactly its input.

    Parameters
    ----------
    model : path or Model, optional
        The model file to run, or a model (a :class:`~digitpad.predictor.Predictor`,
        another runtime, a test double); default: the bundled one.
    profile : Profile or path, optional
        A person's examples (:class:`~digitpad.profile.Profile`): digits
        close to one of them lean towards its digit
        (:mod:`digitpad.personal`). Default: none, the model alone. A model
        without a features output cannot use one; it then warns once and
        reads as without.
    number_model : path or NumberModel, optional
        The number model (:class:`~digitpad.number_model.NumberModel`: a
        ``.tflite`` that carries one, or an ``.npz``), which must read the
        features of ``model``. Default: the one ``model``'s ``.tflite`` carries
        (the bundled model carries one). Without one, or with a model that
        gives no features, numbers are split into digits by the box rules.
    picture_number_model : path or NumberModel, optional
        The number model that pictures' candidates are searched with (a ``.tflite``
        whose ``one_digit_picture`` signature it is, or an ``.npz``). Default: the
        one ``model``'s ``.tflite`` carries when ``number_model`` is not given, else
        (or when it carries none) ``number_model``.
    convention : str, optional
        How the writer writes 1s and 7s (:data:`digitpad.conventions.CONVENTIONS`):
        ambiguous 1s and 7s read their way. Default: the profile's, if any.
    trajectory_model : path, TrajectoryModel or False, optional
        A second view of ink digits, their pen trajectory
        (:class:`~digitpad.trajectory.TrajectoryModel`: a ``.tflite`` that carries one,
        a ``.keras`` file, or any object with its ``weight`` and
        ``log_probabilities``). Default: the one ``model``'s ``.tflite`` carries (the
        bundled model carries one); False: none. Each ink digit of the final reading
        (after the search or the box rules chose the digits, with the classifier's
        probabilities) is read by :func:`~digitpad.trajectory.blend` of the
        classifier's probabilities and the trajectory's, then adapted to the profile
        and the convention. Pictures are read by the classifier alone.

    Attributes
    ----------
    profile : Profile or None
    number_model : NumberModel or None
    picture_number_model : NumberModel or None
        What pictures are searched with (None exactly when ``number_model`` is).
    trajectory_model : TrajectoryModel or None
        The trajectory view of ink digits (None: the classifier alone).
    picture_wide_blob : float
        How wide a picture's blob is cut (times the writing's height,
        :func:`~digitpad.segment.picture_pieces`): the picture number model's
        ``wide_blob``, else :data:`~digitpad.segment.WIDE_BLOB`. Give it to
        :func:`image_inputs` and :func:`read_inputs` for what this recognizer reads.
    """

    def __init__(
        self,
        model: str | os.PathLike | Model | None = None,
        profile: Profile | str | os.PathLike | None = None,
        number_model: str | os.PathLike | NumberModel | None = None,
        convention: str | None = None,
        picture_number_model: str | os.PathLike | NumberModel | None = None,
        trajectory_model: str | os.PathLike | TrajectoryModel | Literal[False] | None = None,
    ):
        self.predictor: Model = (
            Predictor(model) if model is None or isinstance(model, (str, os.PathLike)) else model
        )
        if profile is not None and not isinstance(profile, Profile):
            profile = Profile(profile)
        self.profile = profile
        self.number_model = self._number_model(number_model)
        self.picture_number_model = self._picture_number_model(
            picture_number_model, number_model is None
        )
        self.trajectory_model = self._trajectory_model(trajectory_model)
        self._personal: PersonalIndex | None = None
        self._warned_no_features = False
        self._convention = check_convention(convention)

    @property
    def convention(self) -> str | None:
        """The writing convention digits are read by: the one given, else the profile's."""
        if self._convention is not None or self.profile is None:
            return self._convention
        return self.profile.convention

    @convention.setter
    def convention(self, convention: str | None) -> None:
        self._convention = check_convention(convention)

    def _number_model(self, given) -> NumberModel | None:
        """The number model to read ink with; None: numbers are split by the box rules.

        By default the one the model's own ``.tflite`` carries, trained on its
        features; a model without one, or without features, reads numbers by the
        box rules.
        """
        if not self.predictor.has_features:  # a number model reads the classifier's features
            return None
        if isinstance(given, NumberModel):
            return given
        if given is not None:
            return NumberModel(given)
        if self.predictor.path is None:
            return None
        try:
            return NumberModel.carried_by(self.predictor.path)
        except ModelError as error:
            warnings.warn(f"{error}: numbers are split by the box rules", UserWarning, stacklevel=3)
            return None

    def _trajectory_model(self, given) -> TrajectoryModel | None:
        """The trajectory view of ink digits: ``given``, else the one the model's
        ``.tflite`` carries; None for none (``False``, or a model that carries none)."""
        if given is False:
            return None
        if given is not None:
            return given if not isinstance(given, (str, os.PathLike)) else TrajectoryModel(given)
        if self.predictor.path is None:
            return None
        try:
            return TrajectoryModel.carried_by(self.predictor.path)
        except ModelError as error:
            warnings.warn(
                f"{error}: digits are read by the picture classifier alone",
                UserWarning,
                stacklevel=3,
            )
            return None

    def _picture_number_model(self, given, carried: bool) -> NumberModel | None:
        """The number model to read pictures with: ``given``, else the picture head the
        model's ``.tflite`` carries (when ``carried``), else the ink's."""
        if self.number_model is None:
            return None
        if isinstance(given, NumberModel):
            return given
        if given is not None:
            return NumberModel(given, kind="picture")
        if carried and self.predictor.path is not None:
            try:
                found = NumberModel.carried_by(self.predictor.path, kind="picture")
            except ModelError as error:
                warnings.warn(
                    f"{error}: pictures are read with the ink's number model",
                    UserWarning,
                    stacklevel=3,
                )
                found = None
            if found is not None:
                return found
        return self.number_model

    @property
    def picture_wide_blob(self) -> float:
        wide_blob = getattr(self.picture_number_model, "wide_blob", None)
        return WIDE_BLOB if wide_blob is None else float(wide_blob)

    def learn(self, source, digit: int) -> Example:
        """Learn that ``source`` is ``digit``; later calls read such digits that way.

        Parameters
        ----------
        source : Ink, Pillow image, numpy array, or path of an image or ink file
            One digit: the whole input is taken as that digit.
        digit : int
            0 to 9.

        Returns
        -------
        Example
            The example saved in :attr:`profile`.

        Raises
        ------
        ValueError
            Without a profile, for a digit outside 0-9, or for an input with
            no ink; see :meth:`Profile.add <digitpad.profile.Profile.add>`.
        """
        if self.profile is None:
            raise ValueError("this Recognizer has no profile: use Recognizer(profile=...)")
        example = self.profile.add(source, digit)
        index = self._personal_index()
        if index is not None:
            index.update(self.profile)  # the example's features now, not at the next digit
        return example

    def prepare(self) -> int:
        """Read the profile and compute its examples' features now, not at the next digit.

        Opening a large profile takes a while (about a second for 1,000
        examples read from their files), so a program may call this off its
        main thread before the first reading; later calls only check the
        folder for changes. Returns the number of examples in use: 0 without
        a profile or with a model that has no features output.
        """
        index = self._personal_index()
        if index is None or self.profile is None:
            return 0
        index.update(self.profile)
        return len(index)

    def _personal_index(self) -> PersonalIndex | None:
        """The profile's features for this model; None without profile or features."""
        if self.profile is None:
            return None
        if not self.predictor.has_features:
            if not self._warned_no_features:
                self._warned_no_features = True
                name = self.predictor.path or self.predictor.name
                warnings.warn(
                    f"{name} gives no features output: the profile {self.profile.folder} "
                    "is kept but cannot be used (re-export the model with "
                    "python -m digitpad.training.export)",
                    ProfileWarning,
                    stacklevel=3,
                )
            return None
        if self._personal is None or self._personal.predictor is not self.predictor:
            # Features belong to a model: another model starts a fresh index.
            self._personal = PersonalIndex(self.predictor)
        return self._personal

    def ink(self, ink: Ink) -> Prediction:
        """Recognize the digits drawn as ink."""
        return self._predict([ink_inputs(ink)])[0]

    def image(self, image) -> Prediction:
        """Recognize the digits in a Pillow image or a 2-D / 3-D numpy array."""
        return self._predict([image_inputs(image, wide_blob=self.picture_wide_blob)])[0]

    def read(self, inputs: DigitInputs) -> Prediction:
        """Recognize digits already found by :func:`ink_inputs`, :func:`image_inputs` or
        :func:`read_inputs` (so that a program can do that slow part of a large picture
        outside whatever guards the Recognizer). Their ``source`` says which layer of
        the model reads them; a plain list is read as ink."""
        return self._predict([inputs])[0]

    def file(self, path: str | os.PathLike) -> Prediction:
        """Recognize an image file or an ink ``.json`` file.

        Raises one of :data:`ReadError` for a file that cannot be read.
        """
        return self._predict([read_inputs(path, wide_blob=self.picture_wide_blob)])[0]

    def files(
        self, paths: Iterable[str | os.PathLike], batch_size: int = 256
    ) -> Iterator[tuple[Path, Prediction | Exception]]:
        """Recognize many files, a batch at a time, in order.

        Yields ``(path, prediction)``, or ``(path, error)`` for a file that
        could not be read; the other files are still done. The digits of all
        the files of a batch go through the model in one call.
        """
        pending: list[tuple[Path, DigitInputs | Exception]] = []
        for path in paths:
            path = Path(path)
            try:
                pending.append((path, read_inputs(path, wide_blob=self.picture_wide_blob)))
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

    def _predict(self, inputs: list[DigitInputs]) -> list[Prediction]:
        inputs = [self._searchable(digits) for digits in inputs]
        pictures = [picture for digits in inputs for picture, _ in digits]
        sources = [getattr(digits, "source", "ink") for digits in inputs for _ in digits]
        searched = any(getattr(digits, "search", None) for digits in inputs)
        probabilities, features = np.zeros((0, 10), np.float32), None
        raw, index = probabilities, None
        if pictures:
            raw, features, index = self._classify(np.stack(pictures), sources, searched)
            probabilities = self._adapted(raw, features, index)
        number_outputs = self._number_outputs(inputs, probabilities, features)
        results, start = [], 0
        chosen: list[tuple[int, int, int, Ink]] = []  # (result, digit, row, ink) to blend
        for digits, outputs in zip(inputs, number_outputs, strict=True):
            stop = start + len(digits)
            if getattr(digits, "search", None) is not None:
                assert outputs is not None  # _number_outputs ran the number model on it
                prediction, rows = self._read_by_search(digits, probabilities[start:stop], outputs)
                candidates = getattr(digits.search, "candidates", [])
                inks = [getattr(candidates[i], "ink", None) for i in rows]
                results.append(prediction)
            else:
                inks = getattr(digits, "inks", None) or [None] * len(digits)
                rows = list(range(len(digits)))
                table = zip(probabilities[start:stop], digits, inks, strict=True)
                results.append(
                    Prediction.from_digits(
                        [
                            DigitPrediction.from_probabilities(row, x, box, ink)
                            for row, (x, box), ink in table
                        ]
                    )
                )
            if getattr(digits, "source", "ink") == "ink":
                chosen += [
                    (len(results) - 1, k, start + row, ink)
                    for k, (row, ink) in enumerate(zip(rows, inks, strict=True))
                    if ink is not None
                ]
            start = stop
        if self.trajectory_model is not None and chosen:
            self._blend_trajectories(results, chosen, raw, features, index)
        return results

    def _blend_trajectories(self, results, chosen, raw, features, index) -> None:
        """Read the ``chosen`` ink digits of ``results`` again with both views: the
        classifier's probabilities (``raw``, before the profile and the convention)
        blended with the trajectory model's, then adapted as :meth:`_adapted` does. All
        the digits go through the trajectory model in one call."""
        model = self.trajectory_model
        assert model is not None
        # Empty ink has no trajectory: it keeps its reading.
        trajectories, found = trajectory_batch([ink for _, _, _, ink in chosen])
        kept = [chosen[i] for i in found]
        if not kept:
            return
        log_trajectory = model.log_probabilities(trajectories)
        rows = np.array([row for _, _, row, _ in kept])
        blended = blend(raw[rows], log_trajectory, model.weight)
        adapted = self._adapted(blended, None if features is None else features[rows], index)
        touched = set()
        for (result, k, _, _), probabilities in zip(kept, adapted, strict=True):
            old = results[result].digits[k]
            results[result].digits[k] = DigitPrediction.from_probabilities(
                probabilities, old.input, old.box, old.ink
            )
            touched.add(result)
        for result in touched:
            old = results[result]
            new = Prediction.from_digits(old.digits)
            # The alternatives were read by the classifier alone: one may now be this number.
            new.alternatives = [a for a in old.alternatives if a.number != new.number]
            new.share = old.share
            results[result] = new

    def _searchable(self, digits: DigitInputs) -> DigitInputs:
        """``digits``, or for candidates this recognizer cannot search, the box rules' digits."""
        search_ = getattr(digits, "search", None)
        if search_ is None or self.number_model is not None:
            return digits
        return search_.by_box_rules()

    def _search_model(self, digits: DigitInputs) -> NumberModel:
        """The number model that searches ``digits`` (of ink, or of a picture)."""
        model = self.picture_number_model if digits.source == "picture" else self.number_model
        assert model is not None  # as _searchable sees to
        return model

    def _number_outputs(
        self, inputs: list[DigitInputs], probabilities, features
    ) -> list[np.ndarray | None]:
        """The number model's outputs (:meth:`NumberModel.outputs`) for the candidates of
        each searched input (None for the others): one call of each number model for
        all of them, as a batch of files is read."""
        rows: dict[str, list[np.ndarray]] = {}  # by source: of ink, of pictures
        models: dict[str, NumberModel] = {}
        spans: list[tuple[str, int] | None] = []
        start = 0
        for digits in inputs:
            stop = start + len(digits)
            found = getattr(digits, "search", None)
            if found is None:
                spans.append(None)
            else:
                # Searched inputs asked for features; they are searched only with a
                # number model, which only a model with features has (_searchable).
                assert features is not None
                model = models.setdefault(digits.source, self._search_model(digits))
                table = rows.setdefault(digits.source, [])
                table.append(
                    model.inputs(features[start:stop], probabilities[start:stop], found.geometry)
                )
                spans.append((digits.source, len(table) - 1))
            start = stop
        sizes = {source: np.cumsum([len(t) for t in table[:-1]]) for source, table in rows.items()}
        outputs = {
            source: np.split(models[source].outputs(np.concatenate(table)), sizes[source])
            for source, table in rows.items()
        }
        return [None if span is None else outputs[span[0]][span[1]] for span in spans]

    def _read_by_search(
        self, digits: DigitInputs, probabilities, outputs
    ) -> tuple[Prediction, list[int]]:
        """The best reading, with the others as its alternatives, and which candidates
        (rows of ``probabilities``) are its digits; ``outputs``, the number model's of
        the candidates."""
        found = digits.search
        model = self._search_model(digits)
        assert found is not None  # as _predict sees to
        single = np.array([c.stop - c.start == 1 for c in found.candidates], dtype=bool)
        digit_scores, candidate_marks = model.scores(
            None, probabilities, found.geometry, single, outputs=outputs, one_group=found.one_group
        )
        # A piece too small to give a picture (a tap) is a mark; so may any piece be.
        mark_scores = np.full(found.piece_count, model.mark_penalty)
        for index in np.flatnonzero(single):
            mark_scores[found.candidates[index].start] = candidate_marks[index]
        # Every piece may be a mark, so there is always a reading.
        readings = search(found.piece_count, found.candidates, digit_scores, mark_scores)
        scores = np.array([r.score for r in readings])
        shares = np.exp(scores - scores.max())
        shares /= shares.sum()
        inks = [getattr(c, "ink", None) for c in found.candidates]  # pictures have none
        predictions = []
        for reading, share in zip(readings, shares, strict=True):
            prediction = Prediction.from_digits(
                [
                    DigitPrediction.from_probabilities(
                        probabilities[i], digits[i][0], digits[i][1], inks[i], d
                    )
                    for i, d in reading.digits
                ]
            )
            prediction.share = float(share)
            predictions.append(prediction)
        best = predictions[0]
        best.alternatives = predictions[1:]
        return best, [i for i, _ in readings[0].digits]

    def _classify(
        self, batch: np.ndarray, sources: list[str], with_features: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None, PersonalIndex | None]:
        """The classifier's probabilities (before the profile and the convention),
        features when asked or used, and the profile's index (None: no profile to use)."""
        # A model without a picture layer reads every source alike.
        by_source = {"source": sources} if self.predictor.has_picture_output else {}
        index = self._personal_index()
        if index is not None and self.profile is not None:
            index.update(self.profile)
            if not len(index):
                index = None
        if index is None and not with_features:
            return self.predictor.predict(batch, **by_source), None, None
        probabilities, features = self.predictor.predict_with_features(batch, **by_source)
        return probabilities, features, index if features is not None else None

    def _adapted(
        self, probabilities: np.ndarray, features: np.ndarray | None, index: PersonalIndex | None
    ) -> np.ndarray:
        """``probabilities`` adapted to the profile (by ``index``, with ``features``)
        and to the convention."""
        if index is not None and features is not None:
            probabilities = index.adapt(probabilities, features)
        return apply_convention(probabilities, self.convention)


class _PictureCache:
    """The model inputs of the last candidate inks rendered, by their points.

    The pad reads the drawing again at every stroke; all candidates but those
    with the new stroke are the same inks as before, so they are not drawn again.
    A model input holds multiples of 1/255 (see :func:`ink_to_input`), so it is
    kept exactly as its 8-bit levels, in one array used as a ring: an object per
    picture, coming and going at every stroke, would fragment the heap.
    """

    SIZE = 640  # a drawing of 160 pieces has about this many candidates

    def __init__(self):
        self._slots: dict[bytes, int] = {}
        self._keys: list[bytes | None] = [None] * self.SIZE
        self._levels = np.zeros((self.SIZE, FIELD, FIELD), np.uint8)
        self._empty = np.zeros(self.SIZE, bool)  # the ink gives no input
        self._next = 0
        # One cache for the whole process, used by ink_inputs() on any thread and
        # outside whatever guards a Recognizer (the pad's session finds ink's digits
        # before it takes its lock), so it guards itself.
        self._lock = threading.Lock()

    def get(self, ink: Ink) -> np.ndarray | None:
        digest = hashlib.blake2b(repr((ink.width, ink.height)).encode(), digest_size=16)
        for stroke in ink.strokes:
            digest.update(repr(stroke.shape).encode())
            digest.update(np.ascontiguousarray(stroke).tobytes())
        key = digest.digest()
        with self._lock:
            slot = self._slots.get(key)
            if slot is not None:
                if self._empty[slot]:
                    return None
                return np.asarray(self._levels[slot], np.float32) * np.float32(1 / 255)
        picture = ink_to_input(ink)
        with self._lock:
            slot = self._next
            self._next = (slot + 1) % self.SIZE
            old = self._keys[slot]
            if old is not None:
                del self._slots[old]
            self._keys[slot], self._slots[key] = key, slot
            self._empty[slot] = picture is None
            if picture is not None:
                self._levels[slot] = np.rint(picture * 255)
        return picture


_candidate_pictures = _PictureCache()


def ink_inputs(ink: Ink, by_recognition: bool = True) -> DigitInputs:
    """The model inputs of the digits drawn as ink, left to right.

    Ink of several strokes (up to :data:`~digitpad.segment.MAX_SEARCH_PIECES`)
    is read by recognition: the inputs are those of its candidate digits
    (``search``), and the recognizer chooses among them. Otherwise, or with
    ``by_recognition=False``, its strokes are grouped by the box rules of
    :func:`~digitpad.segment.segment_ink`.
    """
    pieces = ink_pieces(ink)
    if by_recognition and 2 <= len(pieces) <= MAX_SEARCH_PIECES:
        inputs, kept = [], []
        for candidate in ink_candidates(pieces, ink):
            picture = _candidate_pictures.get(candidate.ink)
            if picture is not None:  # a candidate too small to be a digit (a tap) gives none
                inputs.append((picture, candidate.box))
                kept.append(candidate)
        if kept:
            geometry = candidate_geometry(kept, pieces)
            one_group = _reads_whole(geometry) and len(segment_ink(ink)) == 1
            found = InkSearch(len(pieces), kept, geometry, ink, one_group)
            return DigitInputs(inputs, "ink", found)
        return DigitInputs(source="ink")
    segments = [(ink_to_input(s.ink), s) for s in segment_ink(ink)]
    # A segment too small to be a digit (a tap) gives no input.
    digits = [(x, s) for x, s in segments if x is not None]
    return DigitInputs([(x, s.box) for x, s in digits], "ink", inks=[s.ink for _, s in digits])


def image_inputs(image, by_recognition: bool = True, wide_blob: float = WIDE_BLOB) -> DigitInputs:
    """The model inputs of the digits in a picture, left to right.

    A picture of several pieces of ink (blobs, and blobs much wider than the
    writing cut where the least ink joins their parts; up to
    :data:`~digitpad.segment.MAX_SEARCH_PIECES`) is read by recognition: the
    inputs are those of its candidate digits (``search``), and the recognizer
    chooses among them. Otherwise, or with ``by_recognition=False``, its
    blobs are grouped by the box rules of :func:`~digitpad.segment.segment_coverage`.
    Blobs wider than ``wide_blob`` times the writing's height are cut (a recognizer's
    :attr:`~Recognizer.picture_wide_blob`, for what it reads).
    """
    coverage = ink_coverage(image)
    if coverage is None:
        return DigitInputs(source="picture")
    height, width = np.shape(image)[:2] if isinstance(image, np.ndarray) else image.size[::-1]
    if by_recognition:
        pieces = picture_pieces(coverage, wide_blob)
        if pieces is not None and pieces.count >= 2:
            factor = round(width / coverage.shape[1])
            inputs, kept = [], []
            for candidate in picture_candidates(pieces, coverage):
                picture = coverage_to_input(candidate.segment.coverage)
                if picture is not None:
                    inputs.append((picture, _scale_box(candidate.box, factor, width, height)))
                    kept.append(candidate)
            if kept:
                geometry = picture_geometry(kept, pieces)
                one_group = _reads_whole(geometry) and blobs_grouped_as_one(coverage)
                found = PictureSearch(
                    pieces.count, kept, geometry, coverage, (width, height), one_group
                )
                return DigitInputs(inputs, "picture", found)
    return _picture_by_box_rules(coverage, width, height)


def _reads_whole(geometry: np.ndarray) -> bool:
    """Whether a candidate is the whole input: only then do the box rules' groups matter
    to the search (its ``group_bonus``)."""
    return bool((geometry[:, GEOMETRY.index("whole ink")] > 0).any())


def _picture_by_box_rules(coverage: np.ndarray, width: int, height: int) -> DigitInputs:
    """The inputs of the digits of a picture (``width`` x ``height`` pixels, whose ink
    is ``coverage``) split by the box rules."""
    # Large pictures are analysed box-filtered down by a whole factor; boxes
    # are given in the picture's own pixels.
    factor = round(width / coverage.shape[1])
    inputs = [
        (coverage_to_input(s.coverage), _scale_box(s.box, factor, width, height))
        for s in segment_coverage(coverage)
    ]
    return DigitInputs([(x, box) for x, box in inputs if x is not None], "picture")


def _scale_box(box, factor: int, width: int, height: int):
    if factor == 1:
        return box
    x0, y0, x1, y1 = box
    return (x0 * factor, y0 * factor, min(x1 * factor, width), min(y1 * factor, height))


def read_inputs(path: str | os.PathLike, wide_blob: float = WIDE_BLOB) -> DigitInputs:
    """The model inputs of the digits in an image or ink file (empty: no digit).

    A PNG saved by the pad is read as the ink it keeps (:func:`~digitpad.ink.picture_ink`).
    """
    path = Path(path)
    if path.suffix.lower() in INK_SUFFIXES:
        return ink_inputs(load_ink(path))
    with load_image(path) as image:
        ink = picture_ink(image)
        return image_inputs(image, wide_blob=wide_blob) if ink is None else ink_inputs(ink)


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

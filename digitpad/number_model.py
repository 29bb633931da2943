"""How likely a candidate digit of a number is one digit: the reading's reject output.

The classifier reads any 28x28 picture as some digit, so on its own it cannot
tell a "34" written close from a wide 4, or the stem of a 4 from a 1. This
small network, trained on candidates cut from numbers (whole digits, fragments
of digits, two digits merged, stray marks; :mod:`digitpad.training.numbers`),
reads the classifier's penultimate features and probabilities with the
candidate's place among its neighbours (:func:`digitpad.segment.candidate_geometry`)
and says how likely the candidate is exactly one digit.

The bundled model carries it: ``model.tflite`` has a second signature,
:data:`SIGNATURE`, beside the classifier's ``serving_default``
(:func:`digitpad.training.export.export_tflite`), which maps the rows of
:meth:`NumberModel.inputs` to their logits; the model card beside it
(``model-card.json``, ``number_model``) holds the search's weights. A model may
carry a second number model, trained on the candidates of pictures (blobs of
ink and their cuts, :func:`digitpad.segment.picture_candidates`), as its
:data:`PICTURE_SIGNATURE` signature, with its weights in the card's
``number_model`` ``picture`` entry: ``NumberModel(path, kind="picture")``.
Training
writes the network as an ``.npz`` file of its arrays and weights
(:func:`save_number_model`), which runs in numpy and from which the
``.tflite`` is exported.

A number model may have a second output, :data:`MARK_OUTPUT`: how likely a
candidate is a mark that is no part of any digit (a dash, a full stop, a stray
dot), as opposed to a fragment of a digit, which is not one digit either. One
without it takes ``P(not one digit)`` for ``P(mark)``.

The search's weights (:func:`digitpad.segment.search`): a reading's score is
the sum over its digits of ``log P(one digit) + log P(digit) + digit_bonus``
(plus a head start for the whole ink read as one digit: ``group_bonus`` when the
box rules of :mod:`digitpad.segment` find one digit in it too, else
``whole_bonus``), and over its marks (pieces read as no digit) of
``log P(mark) + mark_penalty``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .predictor import (
    ModelError,
    _first_line,
    _native_stderr_silenced,
    _read_card,
    bundled_model_path,
)
from .segment import GEOMETRY

__all__ = [
    "INPUT",
    "KINDS",
    "MARK_OUTPUT",
    "OUTPUT",
    "PICTURE_SIGNATURE",
    "SIGNATURE",
    "WEIGHTS",
    "NumberModel",
    "number_model_about",
    "save_number_model",
]

#: The ``.tflite`` signature of the number model, its input (rows ``[n, k + 10 + 12]``)
#: and its output (logits ``[n]``).
SIGNATURE, INPUT, OUTPUT = "one_digit", "rows", "logits"
#: The signature's second output, when the number model has one: log-odds that a
#: candidate is a mark that is no part of a digit (``[n]``).
MARK_OUTPUT = "mark_logits"
#: The signature of the number model of pictures' candidates (same input and output).
PICTURE_SIGNATURE = "one_digit_picture"
#: The number models a ``.tflite`` may carry: of ink's candidates and of pictures'.
KINDS = ("ink", "picture")
#: Arrays of a number model file.
_ARRAYS = ("mean", "scale", "w1", "b1", "w2", "b2")
#: The search's weights, kept in a number model file and in a model card's ``number_model``.
WEIGHTS = ("digit_bonus", "mark_penalty", "whole_bonus", "group_bonus")
#: Weights a file may lack, and the weight each then takes its value from (files
#: written before it existed).
_WEIGHT_DEFAULTS = {"group_bonus": "whole_bonus"}


class NumberModel:
    """The reject output and the search's weights, from a ``.tflite`` or an ``.npz`` file.

    A ``.tflite`` carries the network as its :data:`SIGNATURE` signature, run by
    LiteRT, and the search's weights in the model card beside it; an ``.npz``
    file (:func:`save_number_model`) holds both, and runs in numpy. Like a
    :class:`~digitpad.predictor.Predictor`, one read from a ``.tflite`` is for
    one thread at a time.

    Parameters
    ----------
    path : path, optional
        Default: the bundled model, which carries one.
    kind : {"ink", "picture"}
        Of a ``.tflite``: its number model of ink's candidates (:data:`SIGNATURE`) or
        of pictures' (:data:`PICTURE_SIGNATURE`, weights in the card's
        ``number_model`` ``picture``). An ``.npz`` holds one, of either.

    Attributes
    ----------
    digit_bonus, mark_penalty, whole_bonus, group_bonus : float
        The search's weights (see the module's docstring).
    feature_count : int
        How many penultimate features of the classifier it reads.
    has_mark_output : bool
        Whether it says how likely a candidate is a mark (:data:`MARK_OUTPUT`);
        else a mark's likelihood is that of not being one digit.
    wide_blob : float or None
        Of a number model of pictures' candidates: how wide a blob it was trained to
        judge cut (times the writing's height, :func:`digitpad.segment.picture_pieces`);
        None: :data:`digitpad.segment.WIDE_BLOB`.
    model_sha256 : str
        SHA-256 of the classifier file an ``.npz`` was trained with ("" when not
        recorded, and for a ``.tflite``, which is that classifier itself).
    arrays : dict of ndarray or None
        The network's arrays (``mean``, ``scale``, ``w1``, ``b1``, ``w2``, ``b2``)
        of an ``.npz``, which :func:`~digitpad.training.export.export_tflite` puts
        in a ``.tflite``; None for a ``.tflite``, whose graph holds them. ``w2``
        and ``b2`` have a second column when it has the mark output.

    Raises
    ------
    ModelError
        For a ``.tflite`` without the signature, or without the weights in its card.
    """

    arrays: dict[str, np.ndarray] | None
    digit_bonus: float
    mark_penalty: float
    whole_bonus: float
    group_bonus: float
    feature_count: int
    has_mark_output: bool
    model_sha256: str
    kind: str
    wide_blob: float | None
    #: The network on LiteRT (a .tflite's); None: in numpy (an .npz's arrays).
    _run: Callable[[np.ndarray], np.ndarray] | None

    def __init__(self, path: str | os.PathLike | None = None, kind: str = "ink"):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        self.path = Path(path) if path is not None else bundled_model_path()
        self.kind = kind
        if self.path.suffix == ".tflite":
            self._use_tflite(_open_tflite(self.path))
        else:
            self._read_npz()

    @classmethod
    def carried_by(cls, model_path: str | os.PathLike, kind: str = "ink") -> NumberModel | None:
        """The number model (of ``kind``) of a classifier's ``.tflite``; None when the file
        carries none (any other file, a ``.keras`` one too).

        Raises
        ------
        ModelError
            When the file carries one, but its card has not the search's weights.
        """
        path = Path(model_path)
        if path.suffix != ".tflite":
            return None
        interpreter = _open_tflite(path)
        if _signature(kind) not in interpreter.get_signature_list():
            return None
        model = cls.__new__(cls)
        model.path = path
        model.kind = kind
        model._use_tflite(interpreter)
        return model

    def _read_npz(self) -> None:
        with np.load(self.path) as data:
            self.arrays = {name: np.asarray(data[name], dtype=np.float32) for name in _ARRAYS}
            self.digit_bonus = float(data["digit_bonus"])
            self.mark_penalty = float(data["mark_penalty"])
            self.whole_bonus = float(data["whole_bonus"]) if "whole_bonus" in data else 0.0
            self.group_bonus = (
                float(data["group_bonus"]) if "group_bonus" in data else self.whole_bonus
            )
            self.feature_count = int(data["feature_count"])
            self.model_sha256 = str(data["model_sha256"]) if "model_sha256" in data else ""
            self.wide_blob = float(data["wide_blob"]) if "wide_blob" in data else None
        self._run = None
        w2 = self.arrays["w2"]
        if w2.ndim != 2 or w2.shape[1] not in (1, 2) or self.arrays["b2"].shape != w2.shape[1:]:
            raise ModelError(f"{self.path}: its output layer is neither one output nor two")
        self.has_mark_output = w2.shape[1] == 2
        if self.arrays["w1"].shape[0] != self.feature_count + 10 + len(GEOMETRY):
            raise ModelError(
                f"{self.path}: a number model of another geometry than this digitpad's "
                f"({len(GEOMETRY)} values, digitpad.segment.GEOMETRY): train it again"
            )

    def _use_tflite(self, interpreter) -> None:
        path = self.path
        signature = _signature(self.kind)
        if signature not in interpreter.get_signature_list():
            raise ModelError(
                f"{path}: no {signature} signature: it carries no number model of {self.kind}"
            )
        runner = interpreter.get_signature_runner(signature)
        inputs, outputs = runner.get_input_details(), runner.get_output_details()
        width = inputs[INPUT]["shape_signature"].tolist() if INPUT in inputs else []
        logits = outputs[OUTPUT]["shape_signature"].tolist() if OUTPUT in outputs else []
        marks = outputs[MARK_OUTPUT]["shape_signature"].tolist() if MARK_OUTPUT in outputs else None
        if (
            len(width) != 2
            or width[1] <= 10 + len(GEOMETRY)
            or logits not in ([-1], [-1, 1])
            or marks not in (None, [-1], [-1, 1])
        ):
            raise ModelError(
                f"{path}: the {signature} signature must map {INPUT} [n, k + "
                f"{10 + len(GEOMETRY)}] to {OUTPUT} [n] (and {MARK_OUTPUT} [n], if any)"
            )
        self.has_mark_output = marks is not None
        names = [OUTPUT, MARK_OUTPUT] if marks is not None else [OUTPUT]
        about = ((_read_card(path) or {}).get("number_model")) or {}
        entry = "number_model"
        if self.kind == "picture":
            about = about.get("picture") if isinstance(about, dict) else None
            entry = "number_model picture entry"
        required = [name for name in WEIGHTS if name not in _WEIGHT_DEFAULTS]
        try:
            weights = {name: float(about[name]) for name in required}  # type: ignore[index]
            for name, default in _WEIGHT_DEFAULTS.items():
                weights[name] = float(about.get(name, weights[default]))  # type: ignore[union-attr]
        except (KeyError, TypeError, ValueError):
            raise ModelError(
                f"{path.with_name('model-card.json')}: no {entry} with "
                f"{', '.join(required)}: the search's weights of the number model of {path.name}"
            ) from None
        wide_blob = about.get("wide_blob")  # type: ignore[union-attr]  # a dict: weights read
        self.wide_blob = None if wide_blob is None else float(wide_blob)
        self.digit_bonus = weights["digit_bonus"]
        self.mark_penalty = weights["mark_penalty"]
        self.whole_bonus = weights["whole_bonus"]
        self.group_bonus = weights["group_bonus"]
        self.feature_count = int(width[1]) - 10 - len(GEOMETRY)
        self.model_sha256 = ""
        self.arrays = None

        def run(rows: np.ndarray) -> np.ndarray:
            count = len(rows)
            # Padded to a power of two, so that the signature's tensors are resized for
            # a few sizes only (as the classifier's are, digitpad.predictor).
            size = 1 << (count - 1).bit_length()
            if size != count:
                rows = np.concatenate([rows, np.zeros((size - count, rows.shape[1]), rows.dtype)])
            out = runner(**{INPUT: rows})
            return np.column_stack([out[name].reshape(-1)[:count] for name in names])

        self._run = run

    @staticmethod
    def inputs(features: np.ndarray, probabilities: np.ndarray, geometry: np.ndarray):
        """The network's input rows: features, log-probabilities and geometry side by side."""
        logs = np.log(np.clip(probabilities, 1e-6, 1.0))
        return np.concatenate([features, logs, geometry], axis=1).astype(np.float32)

    def logits(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of being one digit, for rows made by :meth:`inputs`.

        Raises
        ------
        ValueError
            When the rows are not as wide as the network reads: a number model of
            other geometry (:data:`digitpad.segment.GEOMETRY`) or of another classifier.
        """
        return self.outputs(rows)[:, 0]

    def mark_logits(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of being a mark that is no part of a digit, for rows made by
        :meth:`inputs`; without the mark output, those of not being one digit."""
        return self._mark_log_odds(self.outputs(rows))

    def _mark_log_odds(self, outputs: np.ndarray) -> np.ndarray:
        """The mark's log-odds from the network's :meth:`outputs`."""
        return outputs[:, 1] if self.has_mark_output else -outputs[:, 0]

    def outputs(self, rows: np.ndarray) -> np.ndarray:
        """The network's outputs ``(n, 1)``, or ``(n, 2)`` with the mark output: the
        log-odds of :meth:`logits` and of :meth:`mark_logits`."""
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        width = self.feature_count + 10 + len(GEOMETRY)
        if rows.ndim != 2 or rows.shape[1] != width:
            raise ValueError(
                f"{self.path}: the number model reads rows of {width} values, not "
                f"{rows.shape[-1] if rows.ndim else 0} (trained with another geometry "
                "or classifier: train it again)"
            )
        columns = 2 if self.has_mark_output else 1
        if not len(rows):
            return np.zeros((0, columns), np.float32)
        if self._run is not None:
            return self._run(rows)
        assert self.arrays is not None  # an .npz's (_read_npz)
        a = self.arrays
        hidden = np.maximum((rows - a["mean"]) * a["scale"] @ a["w1"] + a["b1"], 0)
        return hidden @ a["w2"] + a["b2"]

    def scores(
        self,
        features: np.ndarray | None,
        probabilities: np.ndarray,
        geometry: np.ndarray,
        single: np.ndarray,
        outputs: np.ndarray | None = None,
        one_group: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The search's scores of each candidate as a digit and of single pieces as marks.

        ``single`` flags the candidates of one piece; ``outputs``, the network's for
        them when already run (:meth:`outputs`; then ``features`` is not read);
        ``one_group``, whether the box rules find one digit in the whole input.
        Returns ``digit_scores`` ``(n, 10)`` and ``mark_scores`` ``(n,)`` (``-inf``
        where not single).
        """
        if outputs is None:
            if features is None:
                raise ValueError("features are needed when the outputs are not given")
            outputs = self.outputs(self.inputs(features, probabilities, geometry))
        one_digit = -np.logaddexp(0, -outputs[:, 0])  # log sigmoid
        mark = -np.logaddexp(0, -self._mark_log_odds(outputs))
        # Most drawings are one digit: the whole ink as one digit has a head start, a
        # larger one when the box rules, which rarely split a digit, see one digit too.
        whole = geometry[:, GEOMETRY.index("whole ink")] > 0
        head_start = self.group_bonus if one_group else self.whole_bonus
        digit_scores = (
            one_digit[:, None]
            + np.log(np.clip(probabilities, 1e-9, 1.0))
            + self.digit_bonus
            + np.where(whole, head_start, 0.0)[:, None]
        )
        mark_scores = np.where(single, mark + self.mark_penalty, -np.inf)
        return digit_scores, mark_scores


def number_model_about(has_mark_output: bool) -> str:
    """What a number model is, in a model card's words."""
    about = (
        "reject output: P(a candidate is exactly one digit), from the classifier's features "
        "and probabilities and the candidate's geometry"
    )
    return about + (", and P(it is a mark that is no part of a digit)" if has_mark_output else "")


def _signature(kind: str) -> str:
    """The ``.tflite`` signature of the number model of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return PICTURE_SIGNATURE if kind == "picture" else SIGNATURE


def _open_tflite(path: Path):
    """A LiteRT interpreter of ``path`` (one thread: the network is small)."""
    from ai_edge_litert.interpreter import Interpreter

    try:
        with _native_stderr_silenced():  # the delegate's INFO line (digitpad.predictor)
            return Interpreter(model_path=str(path), num_threads=1)
    except ValueError:
        raise ModelError(f"{path}: not a .tflite model, or a damaged one") from None
    except RuntimeError as error:
        raise ModelError(f"{path}: a model digitpad cannot run ({_first_line(error)})") from None


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
    group_bonus=None,
    model_sha256="",
    wide_blob=None,
) -> None:
    """Write a number model file (see :class:`NumberModel`; ``group_bonus`` None: that
    of ``whole_bonus``); ``model_sha256`` is that of
    the classifier file whose features it reads; ``wide_blob``, of a number model of
    pictures' candidates, how wide the blobs it was trained on were cut."""
    extra: dict[str, Any] = {} if wide_blob is None else {"wide_blob": np.float64(wide_blob)}
    np.savez(
        path,
        **extra,
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
        group_bonus=np.float32(whole_bonus if group_bonus is None else group_bonus),
        feature_count=np.int32(np.shape(w1)[0] - 10 - len(GEOMETRY)),
    )

"""The pen's trajectory as a fixed-size sequence, for a model that reads how a digit was written.

The picture of a digit loses the order and direction of its strokes, which
tell apart some digits whose pictures look alike (a 5 without its top bar
and a 3, a 2 written like a crossed Z and a 7). :func:`trajectory_features`
keeps them: the strokes, joined in writing order by the pen's travel between
them, resampled to :data:`POINTS` points at equal steps along that path.

Each point has :data:`CHANNELS` values:

``x``, ``y``
    The position, in the ink's frame (y down, as in :class:`~digitpad.ink.Ink`),
    centred on the middle of the ink's box and divided by its longer side:
    within ``[-0.5, 0.5]``, the same for any translation or size of the ink,
    and a narrow digit (a 1) stays narrow.
``cos``, ``sin``
    The direction of travel from this point to the next (the last point
    keeps the direction of the one before); both 0 where the path does not
    move (ink that is a single dot).
``pen_up``
    1 where the point lies on the travel between two strokes (the pen in
    the air), else 0.

Numpy only: the app can compute it without TensorFlow.

:class:`TrajectoryModel` runs a network trained on these features
(:mod:`digitpad.training.trajectory`): the bundled ``model.tflite`` carries one
as its :data:`SIGNATURE` signature (``points`` ``[n, POINTS, CHANNELS]`` float32
to ``log_probabilities`` ``[n, 10]``), and the model card's ``trajectory`` entry
its :attr:`~TrajectoryModel.weight`. The recognizer reads each ink digit of its
final reading as :func:`blend` of the classifier's probabilities and this view's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .ink import Ink

__all__ = [
    "CHANNELS",
    "FLOOR",
    "INPUT",
    "OUTPUT",
    "POINTS",
    "SIGNATURE",
    "WEIGHT",
    "TrajectoryModel",
    "blend",
    "trajectory_batch",
    "trajectory_features",
]

#: The ``.tflite`` signature of the trajectory model, its input and its output.
SIGNATURE, INPUT, OUTPUT = "trajectory", "points", "log_probabilities"

#: The trajectory view's weight in :func:`blend` when a model's card gives none:
#: chosen on held-out tablets (``benchmarks/trajectory_view.py --part tune``).
WEIGHT = 0.4

#: Probabilities below this are taken as this in :func:`blend`, so that a log is finite.
FLOOR = 1e-30

#: Trajectories go through LiteRT this many at a time at most: larger batches are no
#: faster a digit, and take more memory (25 MB more for 256 than for 1).
CHUNK = 32

#: LiteRT threads of a trajectory model read from a ``.tflite``.
THREADS = 2

#: Points of the resampled trajectory.
POINTS = 64

#: Values per point: x, y, cos, sin, pen_up.
CHANNELS = 5


def trajectory_features(ink: Ink, points: int = POINTS) -> np.ndarray | None:
    """The trajectory of ``ink`` as a float32 array of shape ``(points, CHANNELS)``.

    None for empty ink. Moving or scaling the ink (by a positive factor)
    leaves the result unchanged, up to rounding; writing the same strokes
    in another order or direction changes it.
    """
    features, kept = trajectory_batch([ink], points)
    return features[0] if len(kept) else None


def trajectory_batch(inks: Sequence[Ink], points: int = POINTS) -> tuple[np.ndarray, np.ndarray]:
    """``(features, kept)``: :func:`trajectory_features` of every ink of ``inks`` that
    has ink, float32 ``[k, points, CHANNELS]`` (the same values), and their indices
    in ``inks``.

    The numpy calls are made once for all the inks but two an ink: for 256 inks
    at once (a batch of files) a quarter of the time an ink of one at a time.
    """
    kept: list[int] = []
    pieces: list[np.ndarray] = []
    counts: list[int] = []
    air: list[int] = []
    at_point = 0
    for i, ink in enumerate(inks):
        strokes = [s[:, :2] for s in ink.strokes if len(s)]
        if not strokes:
            continue
        kept.append(i)
        pieces += strokes
        lengths = [len(s) for s in strokes]
        counts.append(sum(lengths))
        # The segments that leave a stroke's last point, but for the last stroke's.
        ends = np.cumsum(lengths[:-1]) - 1 + at_point if len(lengths) > 1 else ()
        air.extend(int(e) for e in ends)
        at_point += counts[-1]
    out = np.zeros((len(kept), points, CHANNELS), np.float32)
    if not kept:
        return out, np.zeros(0, int)
    path = np.asarray(np.concatenate(pieces), np.float64)
    counts_ = np.array(counts)
    starts = np.concatenate([[0], np.cumsum(counts_)[:-1]])
    low = np.minimum.reduceat(path, starts, axis=0)
    high = np.maximum.reduceat(path, starts, axis=0)
    extent = np.maximum(high[:, 0] - low[:, 0], high[:, 1] - low[:, 1])
    digit = np.repeat(np.arange(len(kept)), counts_)
    xy = (path - ((low + high) / 2)[digit]) / np.where(extent > 0, extent, 1.0)[digit, None]
    # Segment i leaves point i; those that leave a digit's last point are unused (the
    # last one, a point to itself, is there so that ink of one point has a segment).
    delta = np.diff(xy, axis=0, append=xy[-1:])
    steps = np.sqrt(delta[:, 0] ** 2 + delta[:, 1] ** 2)
    distance = np.zeros(len(xy))
    ramp = np.arange(points, dtype=np.float64)
    at = np.empty((len(kept), points))
    segment = np.zeros((len(kept), points), int)
    moving = np.ones(len(kept), bool)
    for k, (start, count) in enumerate(zip(starts.tolist(), counts, strict=True)):
        d = distance[start : start + count]
        np.cumsum(steps[start : start + count - 1], out=d[1:])
        total = d[-1]
        if total <= 0:
            moving[k] = False
            continue
        a = ramp * (total / (points - 1))  # np.linspace(0, total, points), exactly
        a[-1] = total
        at[k] = a
        segment[k] = np.minimum(d.searchsorted(a, side="right") - 1, count - 2) + start
    length = np.where(moving[:, None], steps[segment], 1.0)
    part = (at - distance[segment]) / np.where(length > 0, length, 1.0)
    sampled = xy[segment] + part[..., None] * delta[segment]
    move = np.empty_like(sampled)
    move[:, :-1] = sampled[:, 1:] - sampled[:, :-1]
    move[:, -1] = move[:, -2]
    norm = np.sqrt(move[..., 0] ** 2 + move[..., 1] ** 2)
    out[..., 0:2] = sampled
    out[..., 2:4] = move / np.where(norm > 0, norm, 1.0)[..., None]
    in_air = np.zeros(len(steps) + 1, np.float32)
    in_air[np.array(air, dtype=np.intp)] = 1.0
    out[..., 4] = in_air[segment]
    still = np.flatnonzero(~moving)
    if len(still):  # one point, or all points in one place: at the centre, not moving
        out[still] = 0
        out[still, :, 0:2] = xy[starts[still]][:, None, :]
    return out, np.array(kept)


def blend(probabilities: np.ndarray, log_trajectory: np.ndarray, weight: float) -> np.ndarray:
    """The probabilities of both views: ``softmax((1 - w) log p + w log q)``, row by row.

    ``probabilities`` ``[n, 10]`` are the picture classifier's (floored at
    :data:`FLOOR`), ``log_trajectory`` ``[n, 10]`` the trajectory model's
    log-probabilities, ``weight`` ``w`` the trajectory's. Returns float32 ``[n, 10]``.
    """
    p = np.log(np.maximum(np.asarray(probabilities, np.float64), FLOOR))
    scores = (1.0 - weight) * p + weight * np.asarray(log_trajectory, np.float64)
    scores -= scores.max(axis=-1, keepdims=True)
    out = np.exp(scores)
    return (out / out.sum(axis=-1, keepdims=True)).astype(np.float32)


class TrajectoryModel:
    """A digit classifier of :func:`trajectory_features`: log-probabilities of the ten digits.

    Read from a ``.tflite`` (run by LiteRT) that carries it as its :data:`SIGNATURE`
    signature (:meth:`carried_by`; the bundled model does), or whose only signature
    it is (``trajectory.tflite`` of :mod:`digitpad.training.trajectory`), or from a
    ``.keras`` file (through TensorFlow, as :class:`~digitpad.predictor.Predictor`
    reads one). One from a ``.tflite`` is for one thread at a time.

    Parameters
    ----------
    path : path
    weight : float, optional
        Its weight in :func:`blend`; default: the model card's ``trajectory``
        ``weight`` of a ``.tflite`` that carries it, else :data:`WEIGHT`.

    Raises
    ------
    ModelError
        For a file that cannot be read, or that maps no ``[n, POINTS, CHANNELS]``
        to ``[n, 10]``.
    """

    def __init__(self, path: str | os.PathLike, weight: float | None = None):
        from .predictor import ModelError

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: trajectory model file not found")
        card_weight = None
        if self.path.suffix == ".keras":
            self._run = _keras_runner(self.path)
        else:
            self._run, carried = _litert_runner(self.path)
            if carried:
                card_weight = _card_weight(self.path)
        if weight is None:
            weight = card_weight if card_weight is not None else WEIGHT
        self.weight = float(weight)

    @classmethod
    def carried_by(cls, model_path: str | os.PathLike) -> TrajectoryModel | None:
        """The trajectory model of a classifier's ``.tflite``; None when the file carries
        none (any other file, a ``.keras`` one too)."""
        path = Path(model_path)
        if path.suffix != ".tflite" or not path.is_file():
            return None
        interpreter = _open_litert(path)
        if SIGNATURE not in interpreter.get_signature_list():
            return None
        model = cls.__new__(cls)
        model.path = path
        model._run, _ = _litert_runner(path, interpreter)
        weight = _card_weight(path)
        model.weight = WEIGHT if weight is None else weight
        return model

    def log_probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Log-probabilities ``[n, 10]`` of trajectories ``[n, POINTS, CHANNELS]``."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if batch.ndim != 3 or batch.shape[1:] != (POINTS, CHANNELS):
            raise ValueError(
                f"expected trajectories of shape [n, {POINTS}, {CHANNELS}], got {batch.shape}"
            )
        if not len(batch):
            return np.zeros((0, 10), np.float32)
        return np.asarray(self._run(batch), np.float32)


def _card_weight(path: Path) -> float | None:
    from .predictor import _read_card

    entry = (_read_card(path) or {}).get("trajectory")
    try:
        return float(entry["weight"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None


def _open_litert(path: Path):
    """A LiteRT interpreter of ``path``, of :data:`THREADS` threads."""
    from ai_edge_litert.interpreter import Interpreter

    from .predictor import ModelError, _first_line, _native_stderr_silenced

    try:
        with _native_stderr_silenced():  # the delegate's INFO line (digitpad.predictor)
            # Two threads, as the classifier's: a batch takes half the time.
            threads = min(THREADS, os.cpu_count() or 1)
            return Interpreter(model_path=str(path), num_threads=threads)
    except ValueError:
        raise ModelError(f"{path}: not a .tflite model, or a damaged one") from None
    except RuntimeError as error:
        raise ModelError(f"{path}: a model digitpad cannot run ({_first_line(error)})") from None


def _litert_runner(path: Path, interpreter=None) -> tuple[Callable[[np.ndarray], np.ndarray], bool]:
    """The runner of a ``.tflite``'s trajectory model (on ``interpreter``, else one of
    its own), and whether it is carried (its :data:`SIGNATURE` signature) rather than
    the file's only signature."""
    from .predictor import ModelError

    if interpreter is None:
        interpreter = _open_litert(path)
    signatures = interpreter.get_signature_list()
    carried = SIGNATURE in signatures
    key = SIGNATURE if carried else (next(iter(signatures)) if len(signatures) == 1 else None)
    if key is None:
        raise ModelError(f"{path}: no {SIGNATURE} signature: it carries no trajectory model")
    runner = interpreter.get_signature_runner(key)
    inputs, outputs = runner.get_input_details(), runner.get_output_details()
    shapes = [details["shape_signature"].tolist()[1:] for details in inputs.values()]
    fits = (
        shapes == [[POINTS, CHANNELS]]
        and OUTPUT in outputs
        and outputs[OUTPUT]["shape_signature"].tolist()[1:] == [10]
    )
    if not fits and not carried:  # another model's only signature (a classifier's, say)
        raise ModelError(f"{path}: no {SIGNATURE} signature: it carries no trajectory model")
    if not fits:
        raise ModelError(
            f"{path}: the {key} signature must map [n, {POINTS}, {CHANNELS}] to {OUTPUT} [n, 10]"
        )
    (name,) = inputs

    def run(batch: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [run_chunk(batch[i : i + CHUNK]) for i in range(0, len(batch), CHUNK)]
        )

    def run_chunk(batch: np.ndarray) -> np.ndarray:
        count = len(batch)
        # Padded to a power of two, so that the tensors are resized for a few sizes only
        # (as the classifier's are, digitpad.predictor).
        size = 1 << (count - 1).bit_length()
        if size != count:
            batch = np.concatenate([batch, np.zeros((size - count, *batch.shape[1:]), batch.dtype)])
        return runner(**{name: batch})[OUTPUT][:count]

    return run, carried


def _keras_runner(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    from .predictor import ModelError, load_keras_model

    model = load_keras_model(path)
    if tuple(model.input_shape)[1:] != (POINTS, CHANNELS) or model.output_shape[-1] != 10:
        raise ModelError(f"{path}: not a trajectory model ([n, {POINTS}, {CHANNELS}] to [n, 10])")

    def run(batch: np.ndarray) -> np.ndarray:
        return np.asarray(model(batch, training=False))

    return run

"""Does reading the pen trajectory beside the picture help on tablets never seen?

Reads held-out pen digits three ways: the picture classifier alone (exactly
as ``pen_accuracy.py`` reads them: ``ink_to_input`` then the predictor), the
trajectory model alone (:mod:`digitpad.training.trajectory`), and both, as
``(1 - w) * log p_picture + w * log p_trajectory`` (``w`` the ``--weight``
of the trajectory). Both models must be trained without the digits read:

``--part tune``
    UCI writers 3, 6, ..., 30 and UNIPEN sources tos and imp; prints the
    misreads of every weight in ``--weights`` too. Choose the weight here.
``--part report``
    UNIPEN sources sta, hpp and hpb. Run once, with the weight chosen on
    tune; never choose by it.

    python benchmarks/trajectory_view.py --part tune \\
        --model runs/trajectory/trajectory.tflite \\
        --cnn ../main/runs/held-out-sources/model.tflite

Empty ink, or ink the picture path refuses, counts as a misread of the views
that cannot read it. The time is that of one digit at a time: its features
and the trajectory model's call, the median of 500 digits.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.pendigits import read_unipen, read_unipen_digits, split_by_writer  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.preprocess import ink_to_input  # noqa: E402
from digitpad.trajectory import CHANNELS, POINTS, trajectory_features  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PARTS = {"tune": ("tos", "imp"), "report": ("sta", "hpp", "hpb")}
#: Probabilities below this are taken as this, so that a log is finite.
FLOOR = 1e-30


class TrajectoryModel:
    """The trajectory model of one or more ``.tflite`` files, run by LiteRT; several
    files (models trained with other seeds) are read as the mean of their
    log-probabilities."""

    def __init__(self, paths: list[Path]):
        from ai_edge_litert.interpreter import Interpreter

        self._runners = [
            Interpreter(model_path=str(path), num_threads=2).get_signature_runner("serving_default")
            for path in paths
        ]

    def log_probabilities(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch, np.float32)
        outputs = [run(trajectory=batch)["log_probabilities"] for run in self._runners]
        return outputs[0] if len(outputs) == 1 else np.mean(outputs, axis=0)


def held_out_digits(part: str, pendigits: Path, unipen: Path):
    sources = PARTS[part]
    digits = [d for d in read_unipen_digits(unipen) if d.source in sources]
    if part == "tune":
        digits = split_by_writer(read_unipen(pendigits))[1] + digits
    return digits


def read_all(digits, cnn: Predictor, trajectory: TrajectoryModel):
    """``(picture, path)``: log-probabilities ``[n, 10]`` of each view; rows of
    NaN where a view has no input."""
    n = len(digits)
    picture = np.full((n, 10), np.nan, np.float32)
    path = np.full((n, 10), np.nan, np.float32)
    images = [ink_to_input(d.ink) for d in digits]
    kept = [i for i, x in enumerate(images) if x is not None]
    if kept:
        p = cnn.predict(np.stack([images[i] for i in kept]))
        picture[kept] = np.log(np.maximum(p, FLOOR))
    features = [trajectory_features(d.ink) for d in digits]
    kept = [i for i, f in enumerate(features) if f is not None]
    if kept:
        batch = np.stack([features[i] for i in kept])
        path[kept] = np.concatenate(
            [trajectory.log_probabilities(batch[i : i + 512]) for i in range(0, len(batch), 512)]
        )
    return picture, path


def predicted(picture: np.ndarray, path: np.ndarray, weight: float) -> np.ndarray:
    """The digit each row is read as; -1 where a view it needs has no input."""
    if weight == 0:
        scores = picture
    elif weight == 1:
        scores = path
    else:
        scores = (1 - weight) * picture + weight * path
    missing = np.isnan(scores).any(axis=1)
    return np.where(missing, -1, np.nan_to_num(scores, nan=-np.inf).argmax(axis=1))


def time_per_digit(digits, trajectory: TrajectoryModel, count: int = 500) -> tuple[float, float]:
    """Milliseconds per digit, one digit at a time: its features and the model
    call(s), and the model call(s) alone (the median of ``count`` digits each)."""
    sample = [d for d in digits if not d.ink.is_empty][:count]
    trajectory.log_probabilities(np.zeros((1, POINTS, CHANNELS), np.float32))  # warm up
    whole, model = [], []
    for digit in sample:
        started = time.perf_counter()
        features = trajectory_features(digit.ink)
        assert features is not None
        between = time.perf_counter()
        trajectory.log_probabilities(features[None])
        ended = time.perf_counter()
        whole.append(ended - started)
        model.append(ended - between)
    return float(np.median(whole)) * 1000, float(np.median(model)) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=sorted(PARTS), required=True)
    parser.add_argument(
        "--model",
        type=Path,
        nargs="+",
        required=True,
        help="the trajectory .tflite (several: the mean of their log-probabilities)",
    )
    parser.add_argument("--cnn", type=Path, required=True, help="the picture classifier")
    parser.add_argument(
        "--weight", type=float, default=0.4, help="of the trajectory view (chosen on tune)"
    )
    parser.add_argument(
        "--weights",
        type=lambda text: [float(w) for w in text.split(",")],
        default=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0],
        help="tune only: the weights of the table",
    )
    parser.add_argument("--pendigits", type=Path, default=DATA / "pendigits-train.unipen")
    parser.add_argument("--unipen", type=Path, default=DATA / "unipen-dev.jsonl")
    args = parser.parse_args(argv)

    digits = held_out_digits(args.part, args.pendigits, args.unipen)
    cnn, trajectory = Predictor(args.cnn), TrajectoryModel(args.model)
    picture, path = read_all(digits, cnn, trajectory)
    labels = np.array([d.label for d in digits])
    source = np.array([d.source for d in digits])
    sources = sorted(set(source), key=lambda s: (s != "pendigits", s))
    print(f"part: {args.part}  digits: {len(digits)}  picture model: {args.cnn}")
    print(f"trajectory model: {' '.join(str(p) for p in args.model)}")
    print(
        f"no picture input: {int(np.isnan(picture[:, 0]).sum())}  "
        f"no trajectory: {int(np.isnan(path[:, 0]).sum())}"
    )

    def misreads(weight: float) -> np.ndarray:
        return predicted(picture, path, weight) != labels

    if args.part == "tune":
        print("\nmisreads by weight of the trajectory (0: picture alone, 1: trajectory alone)")
        print(f"{'weight':>7} " + " ".join(f"{s:>9}" for s in sources) + f" {'all':>6}")
        for weight in args.weights:
            wrong = misreads(weight)
            cells = " ".join(f"{int(wrong[source == s].sum()):>9}" for s in sources)
            print(f"{weight:>7.2f} {cells} {int(wrong.sum()):>6}")

    print(f"\nweight {args.weight}: misreads (accuracy) of picture / trajectory / average")
    views = {"picture": 0.0, "trajectory": 1.0, "average": args.weight}
    wrong = {name: misreads(w) for name, w in views.items()}
    for s in [*sources, "all"]:
        rows = np.ones(len(digits), bool) if s == "all" else source == s
        total = int(rows.sum())
        cells = "  ".join(
            f"{int(w[rows].sum()):>4} ({1 - w[rows].mean():.2%})" for w in wrong.values()
        )
        print(f"{s:>10} of {total:>5}: {cells}")
    for name, w in views.items():
        guesses = predicted(picture, path, w)
        pairs = Counter(
            f"{t}>{p}" for t, p, bad in zip(labels, guesses, wrong[name], strict=True) if bad
        )
        print(f"{name} misreads: " + ", ".join(f"{k} x{v}" for k, v in pairs.most_common()))
    fixed = int((wrong["picture"] & ~wrong["average"]).sum())
    broken = int((~wrong["picture"] & wrong["average"]).sum())
    print(f"average vs picture: {fixed} fixed, {broken} broken")
    whole, model = time_per_digit(digits, trajectory)
    print(
        f"trajectory time per digit (median, batch of 1): {whole:.3f} ms features + model, "
        f"{model:.3f} ms model"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

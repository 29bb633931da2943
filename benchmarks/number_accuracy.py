"""Accuracy of reading whole numbers written with real pen digits.

Builds numbers of 2 to 6 digits, each from the digits of ONE writer of a
UNIPEN file of the UCI pendigits set, and reads them through the same ink path
as the pad and ``digitpad predict`` (:meth:`digitpad.Recognizer.ink`:
segmentation, then ``ink_to_input`` and the model for each digit). The digits
keep their real sizes (one writer, one tablet box); they are set left to right
on a common baseline with a little jitter, with gaps of 0.15 to 0.6 times the
number's median digit height, their strokes in writing order.

Prints the share of numbers read entirely right, per length too, how often
the segmentation found the right number of digits, the accuracy of the same
digits recognized one at a time, and the share of all the file's (or the
held-out writers') single digits the recognizer reads as one digit. With
``--held-out``, only writers 3, 6, ..., 30 (``split_by_writer``) are used: give
``--model`` a model trained without them (``train_model.py --hold-out-writers``);
the bundled model is trained on all 30. Numbers are read by recognition with
the number model the model file carries (the bundled one does), or with
``--number-model`` (an ``.npz`` or a ``.tflite`` of that model); otherwise by
the box rules.

    python benchmarks/number_accuracy.py ../shared/data/pendigits-train.unipen --held-out
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.ink import Ink  # noqa: E402
from digitpad.number_model import NumberModel  # noqa: E402
from digitpad.pendigits import PenDigit, read_unipen, split_by_writer  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402

LENGTHS = range(2, 7)
GAP = (0.15, 0.6)  # times the median digit height
BASELINE_JITTER = 0.05  # +- times the median digit height


def write_number(digits: list[PenDigit], rng: np.random.Generator) -> Ink:
    """Set pen digits left to right on a common baseline, as one person writes a number."""
    bounds = np.array([d.ink.bounds() for d in digits])
    height = float(np.median(bounds[:, 3] - bounds[:, 1]))
    strokes, right = [], None
    for digit, (x0, _, x1, y1) in zip(digits, bounds, strict=True):
        dx = 0.0 if right is None else right + rng.uniform(*GAP) * height - x0
        dy = -y1 + rng.uniform(-BASELINE_JITTER, BASELINE_JITTER) * height
        strokes += [s + (dx, dy) for s in digit.ink.strokes]
        right = x1 + dx
    return Ink(strokes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path)
    parser.add_argument("--model", type=Path, help="default: the bundled model")
    parser.add_argument(
        "--number-model",
        type=Path,
        help="read numbers by recognition with this number model (default: the one the "
        "model file carries; without one, the box rules)",
    )
    parser.add_argument(
        "--held-out", action="store_true", help="use only the writers held out from training"
    )
    parser.add_argument("--count", type=int, default=2000, help="numbers to write (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--group-bonus",
        type=float,
        help="the whole ink's head start where the box rules see one digit "
        "(default: the number model's)",
    )
    args = parser.parse_args(argv)

    digits = read_unipen(args.unipen)
    if args.held_out:
        digits = split_by_writer(digits)[1]
    by_writer: dict[int, list[PenDigit]] = defaultdict(list)
    for digit in digits:
        by_writer[digit.writer].append(digit)
    writers = sorted(by_writer)
    number_model = NumberModel(args.number_model) if args.number_model else None
    recognizer = Recognizer(args.model, number_model=number_model)
    if args.group_bonus is not None and recognizer.number_model is not None:
        recognizer.number_model.group_bonus = args.group_bonus
    rng = np.random.default_rng(args.seed)

    right_by_length: dict[int, list[bool]] = defaultdict(list)
    segmented_right = 0
    single: dict[int, bool] = {}  # id of a pen digit -> recognized right on its own
    elapsed = 0.0
    for _ in range(args.count):
        length = int(rng.choice(LENGTHS))
        pool = by_writer[writers[rng.integers(len(writers))]]
        chosen = [pool[i] for i in rng.choice(len(pool), size=length, replace=False)]
        ink = write_number(chosen, rng)
        started = time.perf_counter()
        result = recognizer.ink(ink)
        elapsed += time.perf_counter() - started
        truth = "".join(str(d.label) for d in chosen)
        right_by_length[length].append(result.number == truth)
        segmented_right += len(result.digits) == length
        for digit in chosen:
            if id(digit) not in single:
                single[id(digit)] = recognizer.ink(digit.ink).digit == digit.label

    right = [r for results in right_by_length.values() for r in results]
    searched = recognizer.number_model.path if recognizer.number_model else "none (box rules)"
    print(f"file: {args.unipen}  model: {recognizer.predictor.path}  number model: {searched}")
    print(
        f"writers: {len(writers)} ({'held out from training' if args.held_out else 'all'}), "
        f"seed {args.seed}"
    )
    for length in LENGTHS:
        results = right_by_length[length]
        if results:
            print(f"  {length} digits: {np.mean(results):7.2%} right ({len(results)} numbers)")
    print(f"segmentation found the right digit count: {segmented_right / len(right):.2%}")
    print(
        f"the same digits one at a time: {np.mean(list(single.values())):.2%} right "
        f"({len(single)} digits)"
    )
    whole = sum(len(recognizer.ink(d.ink).digits) == 1 for d in digits)
    print(f"single digits read as one digit: {whole / len(digits):.3%} ({whole}/{len(digits)})")
    print(f"time: {elapsed / len(right) * 1000:.2f} ms per number (Recognizer.ink)")
    print(f"numbers entirely right: {np.mean(right):.2%} ({sum(right)}/{len(right)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

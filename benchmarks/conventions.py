"""What a writing convention (``digitpad.conventions``) does for writers who write that way.

Every writer's digits are read as three hands: *as written*; *flagged*, the
same digits with every 1 rewritten with a flag (half the writers with a base
too) and every 7 crossed (``digitpad.training.styles``), the flags longer and
flatter than the training's (:data:`LONG_FLAGS`): continental 1s with a long
flag are what the model misreads as 7 most often outside the project; and
*plain*, every 1 cut down to its stem and every 7 without a crossbar. Each hand is
read through the app's ink path (``ink_to_input``, the model's ink layer)
with no convention, with ``flagged-one`` and with ``plain-one``, at each
``--shift``. The rows to read: a hand with its own convention (the gain), and
a hand with the other one (the harm of a wrong setting).

The parts (``--part``), so that the shift is chosen on writers not reported:

* ``tune``: the held-out writers of the UCI pendigits file (3, 6, ..., 30);
* ``report``: the isolated digits of UNIPEN sources ``sta``, ``hpp``, ``hpb``,
  ``tos`` and ``imp``.

Give ``--model`` a model trained without both (``train_model.py
--hold-out-writers --hold-out-sources sta,hpp,hpb,tos,imp``).

    python benchmarks/conventions.py --part tune \\
        --pendigits ../shared/data/pendigits-train.unipen \\
        --model runs/held-out-sources/model.tflite --shift 1 2 3 4 5 6
    python benchmarks/conventions.py --part report --unipen ../shared/data/unipen-dev.jsonl \\
        --model runs/held-out-sources/model.tflite
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.conventions import CONVENTIONS, SHIFTS, apply_convention  # noqa: E402
from digitpad.ink import Ink  # noqa: E402
from digitpad.pendigits import read_unipen, read_unipen_digits, split_by_writer  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.preprocess import ink_to_input  # noqa: E402
from digitpad.training.styles import StyleSettings, apply_style, is_crossbar  # noqa: E402

#: Flags 0.6-0.9 of the height long, 45-70 degrees from the stem (training: 0.4-0.7, 30-50).
LONG_FLAGS = StyleSettings(flag_length=(0.6, 0.9), flag_angle=(45.0, 70.0), flag_max_tilt=75.0)
#: The UNIPEN sources of the report part.
REPORT_SOURCES = ("sta", "hpp", "hpb", "tos", "imp")


def flagged_hand(digits, rng):
    """The digits as a writer of flagged 1s and crossed 7s writes them."""
    writers = sorted({str(d.writer) for d in digits})
    with_base = {w: k % 2 == 1 for k, w in enumerate(writers)}
    inks = []
    for d in digits:
        style = {1: "flagged-one-base" if with_base[str(d.writer)] else "flagged-one"}
        style[7] = "crossed-seven"
        restyled = (
            apply_style(d.ink, d.label, style[d.label], rng, LONG_FLAGS)
            if d.label in style
            else None
        )
        inks.append(restyled if restyled is not None else d.ink)
    return inks


def plain_hand(digits):
    """The digits as a writer of plain 1s (a stem, no flag or base) and uncrossed 7s writes them."""
    inks = []
    for d in digits:
        strokes = [s[:, :2] for s in d.ink.strokes if len(s)]
        box = d.ink.bounds()
        if d.label == 1:
            main = max(strokes, key=lambda s: np.linalg.norm(np.diff(s, axis=0), axis=1).sum())
            top, foot = int(np.argmin(main[:, 1])), int(np.argmax(main[:, 1]))
            strokes = [main[min(top, foot) : max(top, foot) + 1]]
        elif d.label == 7 and len(strokes) > 1:
            strokes = [s for s in strokes if not is_crossbar(s, box)] or strokes
        inks.append(Ink(strokes))
    return inks


def read(predictor, inks):
    """The ink layer's probabilities of each ink; empty ink reads as all zeros."""
    inputs = [ink_to_input(ink) for ink in inks]
    kept = [k for k, x in enumerate(inputs) if x is not None]
    probabilities = np.zeros((len(inks), 10), np.float32)
    probabilities[kept] = predictor.predict(np.stack([inputs[k] for k in kept]))
    return probabilities


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("tune", "report"), required=True)
    parser.add_argument("--pendigits", type=Path, help="the UCI file (tune part)")
    parser.add_argument("--unipen", type=Path, help="unipen-dev.jsonl (report part)")
    parser.add_argument("--model", type=Path, help="default: the bundled model")
    parser.add_argument(
        "--shift", type=float, nargs="+", help="default: each convention's (SHIFTS)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    if args.part == "tune":
        if args.pendigits is None:
            parser.error("--part tune reads --pendigits")
        digits = split_by_writer(read_unipen(args.pendigits))[1]
    else:
        if args.unipen is None:
            parser.error("--part report reads --unipen")
        digits = [d for d in read_unipen_digits(args.unipen) if d.source in REPORT_SOURCES]
    predictor = Predictor(args.model)
    labels = np.array([d.label for d in digits])
    ones_sevens = np.isin(labels, (1, 7))
    hands = {
        "as written": [d.ink for d in digits],
        "flagged": flagged_hand(digits, np.random.default_rng(args.seed)),
        "plain": plain_hand(digits),
    }
    print(f"part: {args.part}; model: {predictor.path}")
    print(
        f"{len(digits)} digits ({ones_sevens.sum()} 1s and 7s) of "
        f"{len({d.writer for d in digits})} writers; errors on all digits (on the 1s and 7s)"
    )
    for hand, inks in hands.items():
        probabilities = read(predictor, inks)
        for convention in (None, *CONVENTIONS):
            shifts = args.shift or [SHIFTS[convention]] if convention else [0.0]
            for shift in shifts:
                wrong = apply_convention(probabilities, convention, shift).argmax(1) != labels
                print(
                    f"  {hand:<11} {convention or 'none':<12} shift {shift:<4} "
                    f"errors {wrong.sum():4d} ({wrong[ones_sevens].sum():3d}); "
                    f"accuracy {1 - wrong.mean():.2%}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

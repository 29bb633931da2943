"""Whether reading a digit's ink in several variants and averaging helps.

Each pen digit is rendered as the app renders it (:func:`digitpad.preprocess.ink_to_input`)
and also rotated, sheared, stretched or drawn with a thinner or thicker pen;
the classifier reads every variant, and the script prints how many digits
each variant alone reads right and how many the average of the digit and
some variants does (for every digit, or only for those read less sure than
``--unsure``). A tune set only: the UCI writers 3, 6, ..., 30 (``--held-out``
of ``pen_accuracy.py``) or UNIPEN sources, with a classifier trained without them.

    python benchmarks/test_time_variants.py --pendigits ../shared/data/pendigits-train.unipen \\
        --model runs/held-out-sources/model.tflite
    python benchmarks/test_time_variants.py --unipen ../shared/data/unipen-dev.jsonl \\
        --sources tos,imp --model runs/held-out-sources/model.tflite
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.ink import Ink  # noqa: E402
from digitpad.pendigits import read_unipen, read_unipen_jsonl  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.preprocess import PEN_WIDTH, ink_to_input  # noqa: E402

#: Variants: (rotation in radians, shear of x by y, stretch of x, pen width).
VARIANTS = {
    "turned left": (0.12, 0.0, 1.0, PEN_WIDTH),
    "turned right": (-0.12, 0.0, 1.0, PEN_WIDTH),
    "sheared right": (0.0, 0.2, 1.0, PEN_WIDTH),
    "sheared left": (0.0, -0.2, 1.0, PEN_WIDTH),
    "wider": (0.0, 0.0, 1.25, PEN_WIDTH),
    "narrower": (0.0, 0.0, 0.8, PEN_WIDTH),
    "thin pen": (0.0, 0.0, 1.0, 1.6),
    "thick pen": (0.0, 0.0, 1.0, 3.0),
}
#: Averages tried: the digit as rendered plus these variants.
COMBINATIONS = (
    ("turned left", "turned right"),
    ("sheared right", "sheared left"),
    ("wider", "narrower"),
    ("thin pen", "thick pen"),
    tuple(VARIANTS),
)


def variant(ink: Ink, turn: float, shear: float, stretch: float) -> Ink:
    c, s = np.cos(turn), np.sin(turn)
    matrix = np.array([[c, -s], [s, c]]) @ np.array([[1, shear], [0, 1]]) @ np.diag([stretch, 1])
    strokes = [np.column_stack([st[:, :2] @ matrix.T, st[:, 2:]]) for st in ink.strokes]
    return Ink(strokes, ink.width, ink.height)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pendigits", type=Path, help="pendigits-train.unipen: writers 3, 6, ...")
    parser.add_argument("--unipen", type=Path, help="unipen-dev.jsonl")
    parser.add_argument("--sources", default="tos,imp", help="UNIPEN sources to read")
    parser.add_argument("--model", type=Path, help="the classifier (default: the bundled one)")
    parser.add_argument("--unsure", type=float, default=0.9, help="confidence under which")
    args = parser.parse_args(argv)
    if args.pendigits:
        digits = [d for d in read_unipen(args.pendigits) if int(d.writer) % 3 == 0]
        inks, labels = [d.ink for d in digits], [d.label for d in digits]
    elif args.unipen:
        sources = args.sources.split(",")
        items = [i for i in read_unipen_jsonl(args.unipen, kinds=("digit",)) if i.source in sources]
        inks, labels = [i.ink for i in items], [int(i.label) for i in items]
    else:
        parser.error("give --pendigits or --unipen")
    kept = [k for k, ink in enumerate(inks) if ink_to_input(ink) is not None]
    inks, truth = [inks[k] for k in kept], np.array([labels[k] for k in kept])
    predictor = Predictor(args.model)
    base = predictor.predict(np.stack([ink_to_input(ink) for ink in inks]))

    def errors(probabilities) -> int:
        return int((probabilities.argmax(axis=1) != truth).sum())

    print(f"{len(inks)} digits; as rendered: {errors(base)} read wrong")
    read = {}
    for name, (turn, shear, stretch, pen) in VARIANTS.items():
        pictures = [ink_to_input(variant(ink, turn, shear, stretch), pen_width=pen) for ink in inks]
        read[name] = predictor.predict(np.stack(pictures))
        print(f"  {name:<14} alone: {errors(read[name])} wrong")
    unsure = base.max(axis=1) < args.unsure
    for names in COMBINATIONS:
        average = (base + sum(read[n] for n in names)) / (1 + len(names))
        only_unsure = np.where(unsure[:, None], average, base)
        print(
            f"  + {', '.join(names)}: {errors(average)} wrong; only the "
            f"{unsure.sum()} under {args.unsure}: {errors(only_unsure)} wrong"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

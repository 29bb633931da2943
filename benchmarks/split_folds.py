"""How often isolated digits of tablets the number model never saw are split in several.

The isolated digits of the tune sources of ``benchmarks/number_reading.py``
are too few (800, of which the search splits one or two) to choose how the
number model is trained. This script holds out, in turn, each fold of the
other UNIPEN sources (the ones that train the bundled model): it trains a
number model (:func:`digitpad.training.numbers.export_number_model`) without
the fold, the held-out sources of ``number_reading.py`` and the UCI writers
3, 6, ..., 30, then
reads the fold's isolated digits through :meth:`digitpad.Recognizer.ink` and
counts those read as several digits or as another digit.

The classifier (``--model``) should be trained without the report sources
(``train_model.py ... --hold-out-sources sta,hpp,hpb,tos,imp``); it has seen
the folds' digits, so the figures are those of the number model and the
search, not of the classifier. Choose the number model's inputs and the
search's weights here and on ``number_reading.py --part tune``; report on
``number_reading.py``'s report part.

    python benchmarks/split_folds.py ../shared/data/unipen-dev.jsonl \\
        --pendigits ../shared/data/pendigits-train.unipen \\
        --model runs/held-out-sources/model.tflite --group-bonus 1 2 4
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from number_reading import SOURCES, TUNE_DIGIT_SOURCES  # noqa: E402  (beside this script)

from digitpad.number_model import NumberModel  # noqa: E402
from digitpad.pendigits import read_unipen_jsonl  # noqa: E402
from digitpad.predictor import bundled_model_path  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402
from digitpad.training.numbers import export_number_model  # noqa: E402

#: Sources that number_reading.py reports or tunes on: never trained on here.
HELD_OUT = (*SOURCES, *TUNE_DIGIT_SOURCES)
#: The folds: the other sources of unipen-dev.jsonl, in two parts of about equal size.
FOLDS = (("syn",), ("ced", "gmd", "uqb", "aga", "pri"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path, help="unipen-dev.jsonl")
    parser.add_argument("--pendigits", type=Path, help="pendigits-train.unipen")
    parser.add_argument("--model", type=Path, help="the classifier (default: the bundled one)")
    parser.add_argument("--numbers", type=int, help="numbers written to train each model")
    parser.add_argument("--whole-bonus", type=float, nargs="+", help="default: the number model's")
    parser.add_argument(
        "--group-bonus",
        type=float,
        nargs="+",
        help="the whole ink's head start where the box rules find one digit "
        "(default: the number model's)",
    )
    parser.add_argument(
        "--styled", type=float, help="share of digits written in a style (default: the recipe's)"
    )
    parser.add_argument(
        "--marks", type=float, help="share of numbers with marks (default: the recipe's)"
    )
    parser.add_argument("--mark-penalty", type=float, help="default: the recipe's")
    parser.add_argument("--seed", type=int, default=0, help="of the number models' training")
    args = parser.parse_args(argv)
    model = args.model or bundled_model_path()
    digits = read_unipen_jsonl(args.unipen, kinds=("digit",))
    extra: dict = {"seed": args.seed}
    if args.numbers is not None:
        extra["numbers"] = args.numbers
    if args.styled is not None:
        extra["styled"] = args.styled
    if args.marks is not None:
        extra["marks"] = args.marks
    if args.mark_penalty is not None:
        extra["mark_penalty"] = args.mark_penalty
    counts: dict = {}  # (whole bonus, group bonus) -> [split, not right, digits]
    for fold in FOLDS:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "number-model.npz"
            export_number_model(
                model,
                path,
                unipen=args.unipen,
                pendigits=args.pendigits,
                exclude_sources=(*HELD_OUT, *fold),
                hold_out_writers=True,
                **extra,
            )
            number_model = NumberModel(path)
        recognizer = Recognizer(model, number_model=number_model)
        inks = [i for i in digits if i.source in fold]
        settings = itertools.product(
            args.whole_bonus or [number_model.whole_bonus],
            args.group_bonus or [number_model.group_bonus],
        )
        for whole, group in settings:
            number_model.whole_bonus, number_model.group_bonus = whole, group
            readings = [recognizer.ink(i.ink) for i in inks]
            split = sum(len(r.digits) > 1 for r in readings)
            wrong = sum(r.number != i.label for r, i in zip(readings, inks, strict=True))
            print(
                f"whole bonus {whole}, group bonus {group}: fold {','.join(fold)}: "
                f"{len(inks)} digits, split {split} ({split / len(inks):.2%}), "
                f"not read right {wrong}",
                flush=True,
            )
            total = counts.setdefault((whole, group), [0, 0, 0])
            total[0], total[1], total[2] = total[0] + split, total[1] + wrong, total[2] + len(inks)
    for (whole, group), (split, wrong, total) in counts.items():
        print(
            f"whole bonus {whole}, group bonus {group}: all folds: {total} digits, "
            f"split {split / total:.2%}, read right {1 - wrong / total:.2%}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``train_model.py``'s command line: options, one-line errors, interruption."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .data import DataError, DownloadError

__all__ = ["PROG", "exit_at_once_on_interrupt", "parse_args", "report_error"]

PROG = "train_model.py"


def parse_args(argv, recipes, default_output: Path) -> argparse.Namespace:
    """The options of ``train_model.py``; ``recipes`` maps names to recipes.

    ``epochs`` and ``batch_size`` are the chosen recipe's unless given.
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="Train digitpad's digit classifier and export it (LiteRT + Keras)."
    )
    parser.add_argument("--recipe", choices=sorted(recipes), default="digitpad")
    parser.add_argument(
        "--data",
        type=Path,
        help="MNIST as a Keras-layout mnist.npz, or a folder with the four IDX files "
        "(default: Keras' mnist.npz, downloaded and cached)",
    )
    parser.add_argument(
        "--pendigits",
        type=Path,
        help="UNIPEN file of pen digits (pendigits-orig.tra) for recipes that use it "
        "(default: downloaded from the UCI archive)",
    )
    parser.add_argument(
        "--unipen",
        type=Path,
        help="UNIPEN JSON lines of pen digits (unipen-dev.jsonl): train on its isolated "
        "digits too, and train the number model for the new network (model.tflite carries "
        "it; number-model.npz holds its arrays)",
    )
    parser.add_argument(
        "--hold-out-sources",
        type=lambda text: tuple(s.strip() for s in text.split(",") if s.strip()),
        default=(),
        metavar="SRC,...",
        help="keep the --unipen digits of these sources (tablets) out of training, the "
        "classifier's and the number model's, and report the model's accuracy on each: for "
        "choosing settings (the bundled model trains on all)",
    )
    parser.add_argument(
        "--hold-out-writers",
        action="store_true",
        help="keep every third pen writer (3, 6, ..., 30) out of training and report the "
        "model's accuracy on them: for choosing settings (the bundled model trains on all)",
    )
    parser.add_argument(
        "--validation",
        type=int,
        metavar="N",
        help="keep the last N MNIST training digits out of training and report the model's "
        "accuracy on them: for choosing settings without looking at MNIST test",
    )
    parser.add_argument("--epochs", type=int, help="default: the recipe's")
    parser.add_argument("--batch-size", type=int, help="default: the recipe's")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--limit", type=int, help="train on the first N samples only (smoke tests)")
    parser.add_argument("--output", type=Path, default=default_output)
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "limit", "validation"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.hold_out_sources and args.unipen is None:
        parser.error("--hold-out-sources needs --unipen")
    recipe = recipes[args.recipe]
    args.epochs = args.epochs or recipe.epochs
    args.batch_size = args.batch_size or recipe.batch_size
    return args


def report_error(error: DataError | DownloadError) -> int:
    """Print one ``train_model.py: error: ...`` line for ``error``; the exit status, 2."""
    hint = (
        "; pass local files with --data and --pendigits" if isinstance(error, DownloadError) else ""
    )
    print(f"{PROG}: error: {error}{hint}", file=sys.stderr)
    return 2


def exit_at_once_on_interrupt(main: Callable[[], int]) -> None:
    """Exit with ``main()``'s status; on Ctrl+C say the previous model is untouched, exit 130.

    The exit after an interrupt is immediate: TensorFlow's data threads can
    hold up an ordinary interpreter exit. ``main`` must have cleaned up by
    then (its staging folder is removed on the way out).
    """
    try:
        status = main()
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted; the previous model is untouched", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(status)

"""Accuracy on writing styles: real pen digits turned into each style MNIST lacks.

Takes the held-out writers' digits of a UNIPEN file of the UCI pendigits set
(``digitpad.pendigits.split_by_writer``), turns every digit of a style's
label into that style (``digitpad.training.styles``, a fixed seed per style)
and reads it twice:

* through the API, ``digitpad.Recognizer().ink``: segmentation included, so
  a digit that comes apart ("72" for a crossed 7) counts as wrong;
* by the classifier alone, ``ink_to_input`` and the predictor, as one digit.

Each style's row shows the same digits as written (``original``) beside the
styled ones, and how often segmentation split a styled digit. The last rows
are tablet realism on all digits (all its effects, as in training, then each
effect alone on every digit) and all digits as written.

    python benchmarks/styles.py ../shared/data/pendigits-train.unipen
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.ink import Ink  # noqa: E402
from digitpad.pendigits import read_unipen, split_by_writer  # noqa: E402
from digitpad.preprocess import ink_to_input  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402
from digitpad.segment import segment_ink  # noqa: E402
from digitpad.training.styles import (  # noqa: E402
    DEFAULT_SETTINGS,
    STYLES,
    apply_style,
    tablet_realism,
)


def tablet_effects() -> dict:
    """Each effect of tablet realism alone, always applied; few points in three ranges."""
    alone = dataclasses.replace(
        DEFAULT_SETTINGS, resample_share=0.0, speed_share=0.0, jitter_share=0.0, quantum_share=0.0
    )
    low, high = DEFAULT_SETTINGS.resample_points
    effects = {}
    for points in np.array_split(np.arange(low, high + 1), 3):
        effects[f"few points {points[0]}-{points[-1]}"] = dataclasses.replace(
            alone, resample_share=1.0, resample_points=(int(points[0]), int(points[-1]))
        )
    effects["uneven speed"] = dataclasses.replace(alone, speed_share=1.0)
    effects["jitter"] = dataclasses.replace(alone, jitter_share=1.0)
    effects["staircase"] = dataclasses.replace(alone, quantum_share=1.0)
    return effects


def read(recognizer: Recognizer, inks: list[Ink], labels: list[int]) -> dict:
    """Accuracy through the API and by the classifier alone, and the split rate."""
    labels = np.asarray(labels)
    api = np.array(
        [recognizer.ink(ink).number == str(y) for ink, y in zip(inks, labels, strict=True)]
    )
    inputs = [ink_to_input(ink) for ink in inks]
    kept = [i for i, x in enumerate(inputs) if x is not None]
    raw = np.zeros(len(inks), dtype=bool)
    if kept:
        predicted = recognizer.predictor.predict(np.stack([inputs[i] for i in kept])).argmax(1)
        raw[kept] = predicted == labels[kept]
    split = np.array([len(segment_ink(ink)) > 1 for ink in inks])
    return {"digits": len(inks), "api": api.mean(), "raw": raw.mean(), "split": split.mean()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path)
    parser.add_argument("--model", type=Path, help="default: the bundled model")
    parser.add_argument(
        "--all-writers", action="store_true", help="use every writer, not only the held-out ones"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    digits = read_unipen(args.unipen)
    if not args.all_writers:
        digits = split_by_writer(digits)[1]
    recognizer = Recognizer(args.model)
    print(f"file: {args.unipen}  model: {recognizer.predictor.path}")
    writers = sorted({d.writer for d in digits})
    print(
        f"writers: {len(writers)} ({'all' if args.all_writers else 'held out from training'}), "
        f"seed {args.seed}"
    )
    header = (
        f"{'style':<22}{'digit':>6}{'digits':>7}{'original':>10}{'styled':>9}"
        f"{'classifier':>12}{'split':>8}"
    )
    print(header)
    print("-" * len(header))

    def row(name, label, original, styled):
        print(
            f"{name:<22}{label:>6}{styled['digits']:>7}{original['api']:>10.2%}"
            f"{styled['api']:>9.2%}{styled['raw']:>12.2%}{styled['split']:>8.2%}"
        )

    for name, spec in STYLES.items():
        # One seed per style, so that adding a style does not change the others.
        rng = np.random.default_rng([args.seed, zlib.crc32(name.encode())])
        chosen = [d for d in digits if d.label == spec.label]
        inks = [apply_style(d.ink, d.label, name, rng) for d in chosen]
        labels = [d.label for d in chosen]
        original = read(recognizer, [d.ink for d in chosen], labels)
        row(name, spec.label, original, read(recognizer, inks, labels))

    labels = [d.label for d in digits]
    original = read(recognizer, [d.ink for d in digits], labels)
    for name, settings in {"tablet": DEFAULT_SETTINGS, **tablet_effects()}.items():
        rng = np.random.default_rng([args.seed, zlib.crc32(name.encode())])
        styled = [tablet_realism(d.ink, rng, settings) for d in digits]
        shown = name if settings is DEFAULT_SETTINGS else f"  {name}"
        row(shown, "all", original, read(recognizer, styled, labels))
    row("as written", "all", original, original)
    print(
        "original: the same digits as written (API); styled: the styled digits through "
        "Recognizer.ink; classifier: ink_to_input + model, one digit; split: segmentation "
        "made more than one digit"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Learning a person's handwriting: accuracy of a corrected stream, harm, and cost.

    python benchmarks/personal.py ../shared/data/pendigits-train.unipen
    python benchmarks/personal.py ../shared/data/pendigits-train.unipen --tune

For each held-out pen writer (``split_by_writer``: 3, 6, ..., 30; give a
model trained without them, ``train_model.py --hold-out-writers``), a fresh
:class:`~digitpad.profile.Profile` in a temporary folder; their digits are
read in file order with ``Recognizer.ink``, and each digit read wrong is
corrected with ``learn(ink, true_label)``. Reported per writer and overall:

- stream errors without a profile and with learning;
- harm: digits read right without a profile but wrong with the writer's final
  profile (all their digits read again).

The blend settings (:mod:`digitpad.personal`) were chosen with ``--tune`` on
writers 3, 9, 15, 21, 27; totals are given for those, for the other five
(6, 12, 18, 24, 30: the honest figure) and for all ten.

``--habit STYLE`` (repeatable) gives every writer a habit: each of their
digits of that style's label is rewritten in the style
(:mod:`digitpad.training.styles`, each digit its own random shape, a fixed
seed per writer), as a person who always slashes their zeros writes. With a
model trained without the styles this is a misreading that repeats, which is
what a profile is for.

Then the cost: how long ``learn`` takes until the next digit reads with the
new example, and the extra time of ``Recognizer.ink`` per digit with 1,000
examples in the profile against none.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digitpad.pendigits import read_unipen, split_by_writer  # noqa: E402
from digitpad.personal import SIMILARITY_FLOOR, WEIGHT, PersonalIndex  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.profile import Profile  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402
from digitpad.training.styles import STYLES, apply_style  # noqa: E402

TUNING_WRITERS = (3, 9, 15, 21, 27)


def with_habits(digits, styles, writer: int):
    """The writer's digits, those of each style's label rewritten in that style."""
    changed = []
    for digit in digits:
        for style in styles:
            if STYLES[style].label == digit.label:
                rng = np.random.default_rng([zlib.crc32(style.encode()), writer, len(changed)])
                digit = replace(digit, ink=apply_style(digit.ink, digit.label, style, rng))
        changed.append(digit)
    return changed


def read(recognizer: Recognizer, ink) -> int | None:
    result = recognizer.ink(ink)
    return None if result.number is None or len(result.number) != 1 else int(result.number)


def run_writer(predictor, digits, floor, weight):
    """(errors without, stream errors with learning, harm, examples learned) of one writer."""
    plain = Recognizer(predictor)
    base = [read(plain, d.ink) for d in digits]
    with tempfile.TemporaryDirectory() as folder:
        recognizer = Recognizer(predictor, profile=Profile(folder))
        # Settings other than the defaults are only for --tune.
        recognizer._personal = PersonalIndex(predictor, floor=floor, weight=weight)
        stream_errors = 0
        for digit in digits:
            if read(recognizer, digit.ink) != digit.label:
                stream_errors += 1
                recognizer.learn(digit.ink, digit.label)
        final = [read(recognizer, d.ink) for d in digits]
        learned = len(recognizer.profile)
    base_errors = sum(b != d.label for b, d in zip(base, digits, strict=True))
    harm = sum(b == d.label and f != d.label for b, f, d in zip(base, final, digits, strict=True))
    return base_errors, stream_errors, harm, learned


def accuracy_report(predictor, by_writer, floor, weight, verbose=True):
    rows = {}
    if verbose:
        print(f"floor {floor}, weight {weight}")
        print(
            f"{'writer':>6} {'digits':>6} {'errors':>6} {'learning':>8} {'harm':>4} {'learned':>7}"
        )
    for writer, digits in sorted(by_writer.items()):
        rows[writer] = (len(digits), *run_writer(predictor, digits, floor, weight))
        if verbose:
            n, base, stream, harm, learned = rows[writer]
            print(f"{writer:>6} {n:>6} {base:>6} {stream:>8} {harm:>4} {learned:>7}")
    groups = {
        "tuning writers 3, 9, 15, 21, 27": [w for w in rows if w in TUNING_WRITERS],
        "report writers 6, 12, 18, 24, 30": [w for w in rows if w not in TUNING_WRITERS],
        "all held-out writers": list(rows),
    }
    totals = {}
    for name, writers in groups.items():
        if not writers:
            continue
        n, base, stream, harm, _ = np.sum([rows[w] for w in writers], axis=0)
        totals[name] = (n, base, stream, harm)
        if verbose:
            print(
                f"{name}: {n} digits; without a profile {1 - base / n:.2%} ({base} errors), "
                f"with learning {1 - stream / n:.2%} ({stream} errors, "
                f"{stream / max(base, 1):.0%} of them); harm {harm} ({harm / n:.2%})"
            )
    return totals


def cost_report(predictor, digits, examples: int, repeats: int):
    with tempfile.TemporaryDirectory() as folder:
        recognizer = Recognizer(predictor, profile=Profile(folder))
        plain = Recognizer(predictor)
        # Learn latency: from the learn() call to the next reading that uses it.
        learn_ms = []
        for digit in digits[:50]:
            t0 = time.perf_counter()
            recognizer.learn(digit.ink, digit.label)
            recognizer.ink(digit.ink)
            learn_ms.append((time.perf_counter() - t0) * 1000)
        per_digit = max(1, examples // 10)
        by_label = {label: [d for d in digits if d.label == label] for label in range(10)}
        for label in range(10):
            for digit in (by_label[label] * per_digit)[:per_digit]:
                recognizer.profile.add(digit.ink, label)
        count = len(recognizer.profile)
        started = time.perf_counter()
        recognizer.ink(digits[0].ink)  # features of all the examples, once
        load_s = time.perf_counter() - started
        with_profile, without = [], []
        for digit in digits[:repeats]:
            for target, samples in ((recognizer, with_profile), (plain, without)):
                t0 = time.perf_counter()
                target.ink(digit.ink)
                samples.append((time.perf_counter() - t0) * 1000)
        cold_s = []
        for _ in range(2):  # the first also reads the files its cache lacks
            cold = Recognizer(predictor, profile=Profile(folder))
            started = time.perf_counter()
            cold.ink(digits[0].ink)
            cold_s.append(time.perf_counter() - started)
    print(
        f"learn + the next reading (50 examples): median {np.median(learn_ms):.2f} ms, "
        f"max {max(learn_ms):.2f} ms"
    )
    extra = np.median(with_profile) - np.median(without)
    print(
        f"Recognizer.ink with {count} examples vs none ({repeats} digits, interleaved): "
        f"median {np.median(with_profile):.3f} vs {np.median(without):.3f} ms "
        f"(+{extra:.3f} ms); p99 {np.percentile(with_profile, 99):.3f} vs "
        f"{np.percentile(without, 99):.3f} ms"
    )
    print(
        f"first reading after the examples were added: {load_s:.2f} s; "
        f"a new Recognizer's first reading with the {count}-example profile: "
        f"{cold_s[0]:.2f} s, again {cold_s[1]:.2f} s"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path)
    parser.add_argument("--tune", action="store_true", help="grid of settings, tuning writers")
    parser.add_argument("--examples", type=int, default=1000, help="profile size for the cost")
    parser.add_argument("--repeats", type=int, default=1000, help="digits timed for the cost")
    parser.add_argument("--no-cost", action="store_true", help="accuracy only")
    parser.add_argument("--model", type=Path, help="default: the bundled model")
    parser.add_argument(
        "--habit",
        action="append",
        choices=sorted(STYLES),
        default=[],
        metavar="STYLE",
        help="every writer writes that style's digit in that style (repeatable): "
        + ", ".join(sorted(STYLES)),
    )
    args = parser.parse_args(argv)

    _, held_out = split_by_writer(read_unipen(args.unipen))
    by_writer: dict[int, list] = {}
    for digit in held_out:
        by_writer.setdefault(digit.writer, []).append(digit)
    by_writer = {w: with_habits(d, args.habit, w) for w, d in by_writer.items()}
    if args.habit:
        print(f"habits: {', '.join(args.habit)}")
    predictor = Predictor(args.model)
    if args.tune:
        tuning = {w: d for w, d in by_writer.items() if w in TUNING_WRITERS}
        print(f"{'floor':>5} {'weight':>6} {'errors':>6} {'learning':>8} {'harm':>4}")
        for floor, weight in itertools.product((0.7, 0.8, 0.85, 0.9), (2, 4, 8, 16, 32)):
            totals = accuracy_report(predictor, tuning, floor, weight, verbose=False)
            _, base, stream, harm = totals["tuning writers 3, 9, 15, 21, 27"]
            print(f"{floor:>5} {weight:>6} {base:>6} {stream:>8} {harm:>4}")
        return 0
    accuracy_report(predictor, by_writer, SIMILARITY_FLOOR, WEIGHT)
    if not args.no_cost:
        cost_report(predictor, held_out, args.examples, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Learning a person's handwriting: accuracy of a corrected stream, harm, and cost.

    python benchmarks/personal.py ../shared/data/pendigits-train.unipen
    python benchmarks/personal.py ../shared/data/pendigits-train.unipen --tune
    python benchmarks/personal.py ../shared/data/pendigits-train.unipen \
        --misreads ../shared/data/unipen-dev.jsonl --no-cost

For each held-out pen writer (``split_by_writer``: 3, 6, ..., 30; give a
model trained without them, ``train_model.py --hold-out-writers``), a fresh
:class:`~digitpad.profile.Profile` in a temporary folder; their digits are
read in file order with ``Recognizer.ink``, and each digit read wrong is
corrected with ``learn(ink, true_label)``. Reported per writer and overall:

- stream errors without a profile and with learning;
- harm: digits read right without a profile but wrong with the writer's final
  profile (all their digits read again).

The blend settings (:mod:`digitpad.personal`) were chosen with ``--tune`` on
writers 3, 9, 15, 21, 27 (with a class bank: the margin and the weight, on
the tuning half of the harm on clear digits below too); totals are given
for those, for the other five (6, 12, 18, 24, 30: the honest figure) and
for all ten.

``--habit STYLE`` (repeatable) gives every writer a habit: each of their
digits of that style's label is rewritten in the style
(:mod:`digitpad.training.styles`, each digit its own random shape, a fixed
seed per writer), as a person who always slashes their zeros writes. With a
model trained without the styles this is a misreading that repeats, which is
what a profile is for.

Then the harm of one correction on other writers' clear digits: a digit
the model misreads (a pen digit, with its habits if given, or one of
``--misreads``, a ``unipen-dev.jsonl`` file) is taught with its true label
to a fresh profile; then the *clear* digits (the model alone reads them
right with probability >= 0.9) of the class it was taken for, by the other
pen writers of the same half, are read again. Reported: how many of them
change their reading, on average over the corrections and at most, and
whether the corrected digit itself now reads as its label. Halves: the
odd-numbered pen writers (and the unipen writers whose name's CRC-32 is
odd) to choose settings with ``--tune``, the even-numbered ones to report.
The bank is the model's (:data:`digitpad.personal.BANK_FILE` beside it) or
``--bank``; ``--no-bank`` measures the blend without one (as before banks).

Then the cost: how long ``learn`` takes until the next digit reads with the
new example, and the extra time of ``Recognizer.ink`` per digit with 1,000
examples in the profile against none.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digitpad.ink import Ink, parse_ink  # noqa: E402
from digitpad.pendigits import read_unipen, split_by_writer  # noqa: E402
from digitpad.personal import (  # noqa: E402
    BANK_WEIGHT,
    MARGIN,
    SIMILARITY_FLOOR,
    WEIGHT,
    ClassBank,
    PersonalIndex,
    load_class_bank,
)
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.profile import Profile  # noqa: E402
from digitpad.recognize import Recognizer, ink_inputs  # noqa: E402
from digitpad.training.styles import STYLES, apply_style  # noqa: E402

TUNING_WRITERS = (3, 9, 15, 21, 27)
#: Digits the model alone reads right with at least this probability are clear.
CLEAR = 0.9
#: Each corrected digit is also written again this many times (:func:`written_again`).
AGAIN = 10
HALVES = ("tuning half", "report half")


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


def run_writer(predictor, digits, blend):
    """(errors without, stream errors with learning, harm, examples learned) of one writer.

    ``blend``: the keywords of :class:`PersonalIndex` (bank, floor, weight, margin).
    """
    plain = Recognizer(predictor)
    base = [read(plain, d.ink) for d in digits]
    with tempfile.TemporaryDirectory() as folder:
        recognizer = Recognizer(predictor, profile=Profile(folder))
        # Settings other than the defaults are only for --tune.
        recognizer._personal = PersonalIndex(predictor, **blend)
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


def accuracy_report(predictor, by_writer, blend, verbose=True):
    rows = {}
    if verbose:
        print(describe(blend))
        print(
            f"{'writer':>6} {'digits':>6} {'errors':>6} {'learning':>8} {'harm':>4} {'learned':>7}"
        )
    for writer, digits in sorted(by_writer.items()):
        rows[writer] = (len(digits), *run_writer(predictor, digits, blend))
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


def describe(blend) -> str:
    bank = blend.get("bank")
    margin = f"margin {blend['margin']}" if bank is not None else "no class bank"
    return f"floor {blend['floor']}, weight {blend['weight']}, {margin}"


def half_of_pen_writer(writer: int) -> str:
    return HALVES[writer % 2 == 0]


def half_of_name(writer: str) -> str:
    return HALVES[zlib.crc32(writer.encode()) % 2 == 0]


def single_input(ink):
    """The model input of ink that the box rules keep as one digit, else None."""
    digits = ink_inputs(ink, by_recognition=False)
    return digits[0][0] if len(digits) == 1 else None


def read_misread_file(path: Path):
    """``(half, writer, label, ink)`` of the isolated digits of a ``unipen-dev.jsonl`` file."""
    rows = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            if item.get("kind") == "digit" and len(item["label"]) == 1:
                ink = parse_ink({"strokes": item["strokes"]})
                rows.append((half_of_name(item["writer"]), item["writer"], int(item["label"]), ink))
    return rows


def clear_and_misread(predictor, pen_digits, extra):
    """The clear pen digits of each half, by class, and the misread digits of each half.

    ``pen_digits`` are ``PenDigit``; ``extra`` rows of :func:`read_misread_file`.
    Clear: ``{half: {class: (probabilities, features, writers)}}``; misread:
    ``{half: [(writer, label, read as, ink), ...]}``.
    """
    rows = [(half_of_pen_writer(d.writer), d.writer, d.label, d.ink) for d in pen_digits]
    rows += extra
    inputs = [single_input(ink) for _, _, _, ink in rows]
    kept = [i for i, x in enumerate(inputs) if x is not None]
    probabilities, features = predictor.predict_with_features(np.stack([inputs[i] for i in kept]))
    clear = {half: {} for half in HALVES}
    misread = {half: [] for half in HALVES}
    for row, p, f in zip(kept, probabilities, features, strict=True):
        half, writer, label, ink = rows[row]
        guess = int(p.argmax())
        if guess != label:
            misread[half].append((writer, label, guess, ink))
        elif p[label] >= CLEAR and row < len(pen_digits):  # only pen writers' digits
            clear[half].setdefault(label, []).append((p, f, writer))
    for half in HALVES:
        clear[half] = {
            label: tuple(np.array(column) for column in zip(*items, strict=True))
            for label, items in clear[half].items()
        }
    return clear, misread


def written_again(ink, rng):
    """The same shape as its writer might write it again: turned, stretched, shaky."""
    xy = np.concatenate([s[:, :2] for s in ink.strokes])
    shake = 0.01 * max(np.ptp(xy[:, 1]), 1e-9)
    strokes = []
    for stroke in ink.strokes:
        angle = rng.uniform(-0.12, 0.12)
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        centre = stroke[:, :2].mean(axis=0)
        stretched = (stroke[:, :2] - centre) @ turn.T * rng.uniform(0.9, 1.1, 2)
        strokes.append(stretched + centre + rng.normal(0, shake, stretched.shape))
    return Ink(strokes)


def one_correction(predictor, digit, clear, blend, seed):
    """Of one correction: (the corrected digit reads right, share of the clear digits
    that change reading, its redrawings the model alone misreads, those read right)."""
    writer, label, guess, ink = digit
    rng = np.random.default_rng(seed)
    again = [single_input(written_again(ink, rng)) for _ in range(AGAIN)]
    again = np.stack([x for x in again if x is not None])
    with tempfile.TemporaryDirectory() as folder:
        recognizer = Recognizer(predictor, profile=Profile(folder))
        recognizer._personal = PersonalIndex(predictor, **blend)
        recognizer.learn(ink, label)
        fixed = read(recognizer, ink) == label
        probabilities, features, writers = clear[guess]
        others = writers != writer
        after = recognizer._personal.adapt(probabilities[others], features[others])
        plain, again_features = predictor.predict_with_features(again)
        misread = plain.argmax(axis=1) != label
        again_after = recognizer._personal.adapt(plain[misread], again_features[misread])
    change = float(np.mean(after.argmax(axis=1) != guess))
    return fixed, change, int(misread.sum()), int(np.sum(again_after.argmax(axis=1) == label))


def clear_harm(predictor, clear, misread, blend, limit=None):
    """``{half: (corrections, fixed, mean change, max change, 1/7 mean, 1/7 count,
    redrawings misread by the model alone, of them read right after)}``."""
    results = {}
    for half in HALVES:
        digits = misread[half][:limit]
        if not digits:
            continue
        outcomes = [
            one_correction(predictor, d, clear[half], blend, seed) for seed, d in enumerate(digits)
        ]
        fixed, changes, again, again_right = (np.array(c) for c in zip(*outcomes, strict=True))
        ones_sevens = np.array([{d[1], d[2]} == {1, 7} for d in digits])
        results[half] = (
            len(digits),
            int(fixed.sum()),
            changes.mean(),
            changes.max(),
            changes[ones_sevens].mean() if ones_sevens.any() else float("nan"),
            int(ones_sevens.sum()),
            int(again.sum()),
            int(again_right.sum()),
        )
    return results


def clear_harm_report(predictor, clear, misread, blend, limit=None):
    print(
        f"one correction, other pen writers' clear digits of the class it was read as: "
        f"{describe(blend)}"
    )
    for half, (n, fixed, mean, top, mean17, n17, again, right) in clear_harm(
        predictor, clear, misread, blend, limit
    ).items():
        clear_count = sum(len(c[0]) for c in clear[half].values())
        ones_sevens = f"of {n17} 1s and 7s: {mean17:.2%}" if n17 else "no 1s or 7s"
        print(
            f"  {half} ({clear_count} clear digits): {n} corrections, {fixed} read as corrected "
            f"after; clear digits changed {mean:.2%} on average, at most {top:.2%}; "
            f"{ones_sevens}; written again ({AGAIN} each), misread by "
            f"the model alone: {again}, read as corrected after: {right} "
            f"({right / max(again, 1):.0%})"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path)
    parser.add_argument("--tune", action="store_true", help="grid of settings, tuning writers")
    parser.add_argument("--examples", type=int, default=1000, help="profile size for the cost")
    parser.add_argument("--repeats", type=int, default=1000, help="digits timed for the cost")
    parser.add_argument("--no-cost", action="store_true", help="accuracy only")
    parser.add_argument("--model", type=Path, help="default: the bundled model")
    parser.add_argument("--bank", type=Path, help="class bank (default: the model's)")
    parser.add_argument("--no-bank", action="store_true", help="blend without a class bank")
    parser.add_argument(
        "--misreads", type=Path, help="a unipen-dev.jsonl: its misread digits are taught too"
    )
    parser.add_argument(
        "--corrections",
        type=int,
        metavar="N",
        help="at most N corrections a half for the harm on clear digits (0: skip it)",
    )
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

    every = read_unipen(args.unipen)
    _, held_out = split_by_writer(every)
    by_writer: dict[int, list] = {}
    for digit in held_out:
        by_writer.setdefault(digit.writer, []).append(digit)
    by_writer = {w: with_habits(d, args.habit, w) for w, d in by_writer.items()}
    if args.habit:
        print(f"habits: {', '.join(args.habit)}")
    predictor = Predictor(args.model)
    if args.no_bank:
        bank = None
    elif args.bank:
        bank = ClassBank.read(args.bank)
    else:
        bank = load_class_bank(predictor.path)
    print(f"class bank: {'none' if bank is None else args.bank or 'beside the model'}")
    weight = WEIGHT if bank is None else BANK_WEIGHT
    blend = {"bank": bank, "floor": SIMILARITY_FLOOR, "weight": weight, "margin": MARGIN}
    harm_data = None
    if args.corrections != 0:
        by_pen_writer: dict[int, list] = {}
        for digit in every:
            by_pen_writer.setdefault(digit.writer, []).append(digit)
        pen = [d for w, ds in by_pen_writer.items() for d in with_habits(ds, args.habit, w)]
        extra = read_misread_file(args.misreads) if args.misreads else []
        harm_data = clear_and_misread(predictor, pen, extra)
    if args.tune:
        tuning = {w: d for w, d in by_writer.items() if w in TUNING_WRITERS}
        print(
            f"{'floor':>5} {'weight':>6} {'margin':>6} {'errors':>6} {'learning':>8} {'harm':>4}"
            f" {'clear changed':>13} {'at most':>7} {'1s 7s':>6} {'fixed':>5} {'again':>9}"
        )
        # Without a bank (margin None) the floor and weight of before; with one, the margin.
        grid = list(itertools.product((0.7, 0.8, 0.85, 0.9), (2, 4, 8, 16, 32), (None,)))
        if bank is not None:
            margins = (None, -0.04, -0.03, -0.02, -0.01, 0.0)
            grid = list(itertools.product((0.8,), (16, 24, 32, 48), margins))
        for floor, weight, margin in grid:
            setting = {
                "bank": bank if margin is not None else None,
                "floor": floor,
                "weight": weight,
                "margin": margin or 0.0,
            }
            totals = accuracy_report(predictor, tuning, setting, verbose=False)
            _, base, stream, harm = totals["tuning writers 3, 9, 15, 21, 27"]
            line = f"{floor:>5} {weight:>6} {str(margin):>6} {base:>6} {stream:>8} {harm:>4}"
            if harm_data is not None:
                n, fixed, mean, top, mean17, _, again, right = clear_harm(
                    predictor, *harm_data, setting, args.corrections
                )[HALVES[0]]
                line += (
                    f" {mean:>13.2%} {top:>7.2%} {mean17:>6.2%} {fixed:>2}/{n} {right:>4}/{again}"
                )
            print(line)
        return 0
    accuracy_report(predictor, by_writer, blend)
    if harm_data is not None:
        clear_harm_report(predictor, *harm_data, blend, args.corrections)
    if not args.no_cost:
        cost_report(predictor, held_out, args.examples, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())

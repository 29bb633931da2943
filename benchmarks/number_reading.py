"""Numbers read entirely right: real written numbers and hard synthesized ones.

Reads, through :meth:`digitpad.Recognizer.ink` (the pad's and ``digitpad
predict``'s path), the numbers of ``unipen-dev.jsonl`` written by real people,
and numbers made of isolated pen digits the way people write them
(:func:`digitpad.training.numbers.write_number`: overlapping, slanted,
drifting, joined, strokes added late), each both by recognition (the search
with the number model) and by the box rules alone, for comparison. Numbers
with separators (``-`` ``:`` ``.`` ``,``, and a stray dot; ``--marks``, a
separator in each gap with that chance) are right when their digits are read
and their marks are not; so are those of the file's numbers with separators
(its ``mixed`` items, all of sources ``hpp`` and ``hpb``), counted apart
where they hold a ``/``, which is written as a 1 is. Also: how
often an isolated digit is split into several (of all, and of those the
classifier reads right as one whole ink, which leaves out the file's few
"digits" that are two digits or a stray mark), and how long a number takes.

The parts (``--part``), so that nothing reported was chosen on:

* ``tune``: the numbers of every other writer of source ``sta`` (sorted by
  name), numbers synthesized from their digits, the numbers with separators
  of every other writer who wrote some (sorted by name), and the isolated
  digits of sources ``tos`` and ``imp``; the search's weights were chosen on
  these (``--whole-bonus``, ``--digit-bonus``, ``--mark-penalty`` try others);
* ``report``: all other numbers (the other ``sta`` writers, sources ``hpp``
  and ``hpb``) of the other writers, the synthesized numbers made of those
  writers' isolated digits, and those digits.

Give ``--model`` a model trained without those sources for held-out figures
(``train_model.py ... --unipen unipen-dev.jsonl --hold-out-sources
sta,hpp,hpb,tos,imp``), with the number model its ``.tflite`` carries or
``--number-model`` (the ``number-model.npz`` of such a run); the bundled ones
are trained on every source.

    python benchmarks/number_reading.py ../shared/data/unipen-dev.jsonl \\
        --model runs/held-out-sources/model.tflite \\
        --number-model runs/held-out-sources/number-model.npz
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.number_model import WEIGHTS, NumberModel  # noqa: E402
from digitpad.pendigits import PenItem, read_unipen_jsonl  # noqa: E402
from digitpad.preprocess import ink_to_input  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402
from digitpad.training.numbers import WrittenDigit, write_number  # noqa: E402

#: The sources whose numbers and digits are read; none of them trains the held-out model.
SOURCES = ("sta", "hpp", "hpb")
#: The sources whose isolated digits the tune part reads (held out too, never reported here).
TUNE_DIGIT_SOURCES = ("tos", "imp")


def tuning_writers(items: list[PenItem]) -> set[str]:
    """The tuning part's writers: every other writer of ``sta`` with numbers, and every
    other writer with numbers with separators, each sorted by name."""
    numbers = sorted({i.writer for i in items if i.source == "sta" and i.kind == "number"})
    separators = sorted({i.writer for i in items if i.kind == "mixed"})
    return set(numbers[0::2]) | set(separators[0::2])


def outcome(read: str | None, truth: str) -> str:
    read = read or ""
    if read == truth:
        return "right"
    if len(read) < len(truth):
        return "merge"
    return "split" if len(read) > len(truth) else "misread"


def read_all(recognizer: Recognizer, inks, truths) -> tuple[Counter, list[float]]:
    outcomes, times = Counter(), []
    for ink, truth in zip(inks, truths, strict=True):
        started = time.perf_counter()
        number = recognizer.ink(ink).number
        times.append(time.perf_counter() - started)
        outcomes[outcome(number, truth)] += 1
    return outcomes, times


def synthesized(by_writer, writers, count: int, rng, marks: float = 0.0):
    """``count`` numbers of 2-6 digits, each of one of ``writers``' digits
    (:func:`write_number`, with marks at chance ``marks``), and their digits as text."""
    made, truths = [], []
    for _ in range(count):
        pool = by_writer[writers[rng.integers(len(writers))]]
        picked = [pool[i] for i in rng.integers(len(pool), size=int(rng.integers(2, 7)))]
        made.append(write_number(picked, rng, marks=marks)[0])
        truths.append("".join(str(d.label) for d in picked))
    return made, truths


def report(name: str, outcomes: Counter, times: list[float]) -> None:
    total = sum(outcomes.values())
    misses = ", ".join(f"{k} {outcomes[k]}" for k in ("merge", "split", "misread"))
    print(
        f"  {name:<12} {outcomes['right'] / total:7.2%} right of {total}  ({misses}); "
        f"median {np.median(times) * 1000:.1f} ms"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path, help="unipen-dev.jsonl")
    parser.add_argument("--model", type=Path, help="the classifier (default: the bundled one)")
    parser.add_argument("--number-model", type=Path, help="default: the one the model file carries")
    parser.add_argument("--part", choices=("tune", "report"), default="report")
    parser.add_argument("--synthesized", type=int, default=1000, help="numbers to make")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--marks", type=float, default=0.5, help="chance of a separator in each gap (and a dot)"
    )
    for weight in WEIGHTS:
        parser.add_argument(
            f"--{weight.replace('_', '-')}", type=float, help="default: the number model's"
        )
    parser.add_argument(
        "--trajectory-model",
        type=Path,
        help="the trajectory view (.tflite or .keras); default: the one the model file "
        "carries, if any",
    )
    parser.add_argument(
        "--no-trajectory", action="store_true", help="read with the picture classifier alone"
    )
    args = parser.parse_args(argv)

    everything = read_unipen_jsonl(args.unipen)
    items = [i for i in everything if i.source in SOURCES]
    tuning = tuning_writers(items)
    chosen = [i for i in items if (i.writer in tuning) == (args.part == "tune")]
    number_model = NumberModel(args.number_model or args.model)
    for weight in WEIGHTS:
        if getattr(args, weight) is not None:
            setattr(number_model, weight, getattr(args, weight))
    trajectory = False if args.no_trajectory else args.trajectory_model
    searching = Recognizer(args.model, number_model=number_model, trajectory_model=trajectory)
    boxes = Recognizer(args.model, number_model=number_model, trajectory_model=trajectory)
    boxes.number_model = None  # the box rules of digitpad.segment.segment_ink
    print(
        f"part: {args.part}; number model: {number_model.path} (whole bonus "
        f"{number_model.whole_bonus}, group bonus {number_model.group_bonus}, digit bonus "
        f"{number_model.digit_bonus}, mark penalty "
        f"{number_model.mark_penalty}); trajectory: "
        f"{getattr(searching.trajectory_model, 'path', None) or 'none'}"
    )

    numbers = [i for i in chosen if i.kind == "number"]
    print(f"numbers written by real people ({len({i.writer for i in numbers})} writers):")
    for name, recognizer in (("recognition", searching), ("box rules", boxes)):
        report(name, *read_all(recognizer, [i.ink for i in numbers], [i.label for i in numbers]))

    digits = [i for i in chosen if i.kind == "digit"]
    if args.part == "tune":  # the numbers' writers only: the synthesized ones as before
        digits = [i for i in digits if i.source == "sta"]
    by_writer: dict[str, list[WrittenDigit]] = {}
    for item in digits:
        by_writer.setdefault(item.writer, []).append(WrittenDigit(int(item.label), item.ink))
    writers = sorted(w for w, d in by_writer.items() if len(d) >= 6)
    rng = np.random.default_rng(args.seed)
    made, truths = synthesized(by_writer, writers, args.synthesized, rng)
    print(f"synthesized hard numbers of 2-6 digits ({len(writers)} writers):")
    six = [k for k, t in enumerate(truths) if len(t) == 6]
    for name, recognizer in (("recognition", searching), ("box rules", boxes)):
        outcomes, times = read_all(recognizer, made, truths)
        report(name, outcomes, times)
        print(f"  {'':<12} 6 digits: median {np.median([times[k] for k in six]) * 1000:.1f} ms")

    # The same writers' numbers with separators, from a stream of their own, so that the
    # numbers above stay those of the seed.
    rng = np.random.default_rng([args.seed, 1])
    made, truths = synthesized(by_writer, writers, args.synthesized, rng, marks=args.marks)
    print(f"synthesized numbers with separators and stray dots (chance {args.marks}):")
    for name, recognizer in (("recognition", searching), ("box rules", boxes)):
        report(name, *read_all(recognizer, made, truths))
    mixed = [i for i in chosen if i.kind == "mixed"]
    if mixed:
        print(f"numbers with separators written by real people ({len(mixed)}), digits only:")
        for slashed in (False, True):
            group = [i for i in mixed if ("/" in i.label) == slashed]
            truths = [re.sub(r"\D", "", i.label) for i in group]
            print(f"  {'with' if slashed else 'without'} a /: {len(group)}")
            for name, recognizer in (("recognition", searching), ("box rules", boxes)):
                report(name, *read_all(recognizer, [i.ink for i in group], truths))

    if args.part == "tune":
        digits = [i for i in everything if i.kind == "digit" and i.source in TUNE_DIGIT_SOURCES]
        by_writer = {i.writer: [] for i in digits}
    print(f"isolated digits ({len(digits)}, {len(by_writer)} writers):")
    # A "digit" of the file may be two digits or a mark under a digit's label; those the
    # classifier reads as their label when given the whole ink are surely one digit.
    surely_one = []
    for item in digits:
        whole = ink_to_input(item.ink)  # None: too small to be a digit
        read = None if whole is None else searching.predictor.predict(whole[None])[0].argmax()
        surely_one.append(read == int(item.label))
    for name, recognizer in (("recognition", searching), ("box rules", boxes)):
        read = [recognizer.ink(i.ink) for i in digits]
        split = [len(r.digits) > 1 for r in read]
        right = np.mean([r.number == i.label for r, i in zip(read, digits, strict=True)])
        split_sure = [s for s, sure in zip(split, surely_one, strict=True) if sure]
        print(
            f"  {name:<12} read right {right:7.2%}; split into several {np.mean(split):.2%}; "
            f"of the {len(split_sure)} read right whole, {np.mean(split_sure):.2%} "
            f"({sum(split_sure)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

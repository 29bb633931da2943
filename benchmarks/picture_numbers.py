"""Pictures of numbers read entirely right: by recognition and by the blob rules.

Renders numbers as pictures, dark ink on white, with digitpad's one
rasterizer (:func:`digitpad.training.numbers.picture_of`, through
:func:`digitpad.ink.rasterize`) at a scan's scale (150 to 300 dpi, a pen 0.35
to 0.7 mm wide; the UNIPEN inks are in 0.1 mm), as the picture number model
is trained, and reads
them through :meth:`digitpad.Recognizer.image` (``digitpad predict``'s path
for a PNG): by recognition (the search over blob candidates) and by the old
rules (blobs grouped by their boxes, ``image_inputs(..., by_recognition=False)``).
Counts a number read entirely right, or with too few digits (merge), too many
(split), or the right count but a wrong digit (misread), and the median time
a number takes.

The numbers: those written by real people in ``unipen-dev.jsonl`` (``kind``
"number"), and numbers made of one writer's isolated digits the way people
write them (:func:`digitpad.training.numbers.write_number`: touching,
overlapping, slanted, drifting, joined). Also the isolated digits themselves,
one a picture: how often one is split into several.

The parts (``--part``): ``report``, sources ``sta``, ``hpp`` and ``hpb``;
``choose``, the other sources (isolated digits only, so synthesized numbers),
on which the picture search's settings were chosen.

    python benchmarks/picture_numbers.py ../shared/data/unipen-dev.jsonl
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from number_reading import outcome, report  # noqa: E402  (the ink benchmark's counting)

from digitpad.number_model import WEIGHTS  # noqa: E402
from digitpad.pendigits import read_unipen_jsonl  # noqa: E402
from digitpad.recognize import Recognizer, image_inputs  # noqa: E402
from digitpad.training.numbers import WrittenDigit, picture_of, write_number  # noqa: E402

#: The sources of the report part; the others are for choosing.
SOURCES = ("sta", "hpp", "hpb")


def read_all(recognizer: Recognizer, pictures, truths, by_recognition: bool):
    outcomes, times, numbers = Counter(), [], []
    for image, truth in zip(pictures, truths, strict=True):
        started = time.perf_counter()
        inputs = image_inputs(image, by_recognition, recognizer.picture_wide_blob)
        number = recognizer.read(inputs).number
        times.append(time.perf_counter() - started)
        outcomes[outcome(number, truth)] += 1
        numbers.append(number)
    return outcomes, times, numbers


def compare(recognizer: Recognizer, pictures, truths) -> None:
    for name, by_recognition in (("recognition", True), ("blob rules", False)):
        outcomes, times, _ = read_all(recognizer, pictures, truths, by_recognition)
        report(name, outcomes, times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path, help="unipen-dev.jsonl")
    parser.add_argument("--model", type=Path, help="the classifier (default: the bundled one)")
    parser.add_argument("--number-model", type=Path, help="default: the one the model file carries")
    parser.add_argument(
        "--picture-number-model",
        type=Path,
        help="what pictures are searched with (default: the picture head the model file "
        "carries, else the number model)",
    )
    for weight in WEIGHTS:
        parser.add_argument(
            f"--{weight.replace('_', '-')}",
            type=float,
            help="the picture search's weight (default: the picture number model's)",
        )
    parser.add_argument("--part", choices=("report", "choose"), default="report")
    parser.add_argument("--synthesized", type=int, default=1000, help="numbers to make")
    parser.add_argument("--digits", type=int, default=0, help="isolated digits (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    reporting = args.part == "report"
    items = [i for i in read_unipen_jsonl(args.unipen) if (i.source in SOURCES) == reporting]
    recognizer = Recognizer(
        args.model,
        number_model=args.number_model,
        picture_number_model=args.picture_number_model,
    )
    searched_with = recognizer.picture_number_model
    if searched_with is None:
        parser.error("the model carries no number model: give --number-model")
    for weight in WEIGHTS:
        if getattr(args, weight) is not None:
            setattr(searched_with, weight, getattr(args, weight))
    print(
        f"part: {args.part}; pictures searched with: {searched_with.path} "
        f"({searched_with.kind}; "
        + ", ".join(f"{w} {getattr(searched_with, w):g}" for w in WEIGHTS)
        + f"; blobs cut wider than {recognizer.picture_wide_blob:g} times the height)"
    )
    rng = np.random.default_rng(args.seed)

    numbers = [i for i in items if i.kind == "number"]
    if numbers:
        print(f"numbers written by real people ({len({i.writer for i in numbers})} writers):")
        compare(recognizer, [picture_of(i.ink, rng) for i in numbers], [i.label for i in numbers])

    digits = [i for i in items if i.kind == "digit"]
    by_writer: dict[str, list[WrittenDigit]] = {}
    for item in digits:
        by_writer.setdefault(item.writer, []).append(WrittenDigit(int(item.label), item.ink))
    writers = sorted(w for w, d in by_writer.items() if len(d) >= 6)
    made, truths = [], []
    for _ in range(args.synthesized):
        pool = by_writer[writers[rng.integers(len(writers))]]
        picked = [pool[i] for i in rng.integers(len(pool), size=int(rng.integers(2, 7)))]
        made.append(picture_of(write_number(picked, rng)[0], rng))
        truths.append("".join(str(d.label) for d in picked))
    print(f"synthesized numbers of 2-6 digits ({len(writers)} writers):")
    compare(recognizer, made, truths)

    if args.digits:
        digits = [digits[k] for k in rng.permutation(len(digits))[: args.digits]]
    print(f"isolated digits ({len(digits)}, {len(by_writer)} writers):")
    pictures = [picture_of(i.ink, rng) for i in digits]
    labels = [i.label for i in digits]
    for name, by_recognition in (("recognition", True), ("blob rules", False)):
        _, times, read = read_all(recognizer, pictures, labels, by_recognition)
        right = np.mean([r == label for r, label in zip(read, labels, strict=True)])
        split = np.mean([len(r or "") > 1 for r in read])
        print(
            f"  {name:<12} read right {right:7.2%}; split into several {split:.2%}; "
            f"median {np.median(times) * 1000:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

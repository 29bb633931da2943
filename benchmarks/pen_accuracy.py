"""Accuracy on real pen-drawn digits, replayed through digitpad's ink path.

Reads a UNIPEN file of the UCI pendigits set, or the isolated digits of a
UNIPEN JSON-lines file (``unipen-dev.jsonl``), turns every digit into
:class:`digitpad.Ink` and classifies it exactly as the pad does
(``ink_to_input`` then the predictor). Prints the accuracy, the confusion
matrix and, for JSON lines, the accuracy of each source (tablet). With
``--held-out``, only writers 3, 6, ..., 30 of the UCI file
(``digitpad.pendigits.split_by_writer``) are counted: give ``--model`` a model
trained without them (``train_model.py --hold-out-writers``); the bundled
model is trained on all 30. ``--sources`` counts only those sources: give
``--model`` a model trained without them (``train_model.py --hold-out-sources``).

A model whose ``.tflite`` carries a trajectory model (the bundled one does) reads
each digit as the recognizer does: :func:`digitpad.trajectory.blend` of the
classifier's probabilities and the trajectory's, by the card's weight; the
picture classifier alone is scored too. ``--trajectory-model`` gives another
trajectory model (a ``.tflite`` or ``.keras``, say one trained without the
held-out digits: ``python -m digitpad.training.trajectory``);
``--no-trajectory`` reads with the picture classifier alone.

    python benchmarks/pen_accuracy.py ../shared/data/pendigits-train.unipen --held-out --model M
    python benchmarks/pen_accuracy.py ../shared/data/unipen-dev.jsonl --sources sta,hpp --model M
    python benchmarks/pen_accuracy.py pendigits-orig.tes          # other writers entirely
    python benchmarks/pen_accuracy.py ../shared/data/unipen-dev.jsonl --sources sta,hpp \
        --model M --trajectory-model runs/trajectory/trajectory.keras
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.pendigits import read_unipen, read_unipen_digits, split_by_writer  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.preprocess import ink_to_input  # noqa: E402
from digitpad.trajectory import TrajectoryModel, blend, trajectory_features  # noqa: E402


def confusion_table(confusion: np.ndarray) -> str:
    lines = ["true\\pred " + " ".join(f"{d:>5}" for d in range(10))]
    for d, row in enumerate(confusion):
        lines.append(f"{d:>9} " + " ".join(f"{n:>5}" for n in row))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path)
    parser.add_argument("--model", type=Path, help="default: the bundled model")
    parser.add_argument(
        "--held-out", action="store_true", help="count only the writers held out from training"
    )
    parser.add_argument(
        "--sources",
        type=lambda text: set(text.split(",")),
        help="JSON lines only: count only these sources, comma-separated",
    )
    parser.add_argument("--errors", type=Path, help="save a PNG sheet of the misread digits here")
    parser.add_argument(
        "--trajectory-model",
        type=Path,
        help="a trajectory model (.tflite or .keras) to blend with; default: the one the "
        "model's .tflite carries, if any",
    )
    parser.add_argument(
        "--trajectory-weight", type=float, help="its weight; default: its card's, else 0.4"
    )
    parser.add_argument(
        "--no-trajectory", action="store_true", help="read with the picture classifier alone"
    )
    args = parser.parse_args(argv)

    jsonl = args.unipen.suffix == ".jsonl"
    digits = read_unipen_digits(args.unipen) if jsonl else read_unipen(args.unipen)
    if args.sources:
        digits = [d for d in digits if d.source in args.sources]
    if args.held_out:
        digits = split_by_writer(digits)[1]
    predictor = Predictor(args.model)
    trajectory = None
    if not args.no_trajectory:
        if args.trajectory_model is not None:
            trajectory = TrajectoryModel(args.trajectory_model, args.trajectory_weight)
        else:
            trajectory = TrajectoryModel.carried_by(predictor.path)
            if trajectory is not None and args.trajectory_weight is not None:
                trajectory.weight = args.trajectory_weight

    started = time.perf_counter()
    inputs = [ink_to_input(d.ink) for d in digits]
    kept = [i for i, x in enumerate(inputs) if x is not None]
    picture = predictor.predict(np.stack([inputs[i] for i in kept]))
    probabilities = picture
    if trajectory is not None:
        paths = [trajectory_features(digits[i].ink) for i in kept]
        has_path = [k for k, f in enumerate(paths) if f is not None]
        probabilities = picture.copy()
        if has_path:
            logs = trajectory.log_probabilities(np.stack([paths[k] for k in has_path]))
            probabilities[has_path] = blend(picture[has_path], logs, trajectory.weight)
    elapsed = time.perf_counter() - started

    labels = np.array([digits[i].label for i in kept])
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    correct = int((predicted == labels).sum())
    writers = sorted({d.writer for d in digits})

    print(f"file: {args.unipen}  model: {predictor.path}")
    if trajectory is not None:
        print(f"trajectory: {trajectory.path}, weight {trajectory.weight} (blended)")
    else:
        print("trajectory: none (the picture classifier alone)")
    print(f"writers: {len(writers)} ({'held out from training' if args.held_out else 'all'})")
    print(f"digits: {len(digits)}  empty: {len(digits) - len(kept)}")
    print(confusion_table(confusion))
    writer_of = np.array([digits[i].writer for i in kept])
    right = predicted == labels
    per_writer = {w: float(right[writer_of == w].mean()) for w in writers}
    worst = sorted(per_writer.items(), key=lambda kv: kv[1])[:3]
    print("worst writers: " + ", ".join(f"{w}: {a:.1%}" for w, a in worst))
    if jsonl:
        source_of = np.array([digits[i].source for i in kept])
        for source in sorted(set(source_of)):
            total = sum(d.source == source for d in digits)
            print(f"source {source}: {right[source_of == source].sum() / total:.2%} of {total}")
    if trajectory is not None:
        alone = int((picture.argmax(axis=1) == labels).sum())
        print(
            f"picture alone: {alone / len(digits):.2%} ({alone}/{len(digits)}, "
            f"{len(digits) - alone} misread)"
        )
        print(
            f"blended:       {correct / len(digits):.2%} ({correct}/{len(digits)}, "
            f"{len(digits) - correct} misread)"
        )
    time_what = "preprocess + batched predict" + (" + trajectory" if trajectory else "")
    print(f"time: {elapsed / len(digits) * 1000:.2f} ms per digit ({time_what})")
    print(
        f"accuracy: {correct / len(digits):.2%} ({correct}/{len(digits)}; "
        "empty ink counts as wrong)"
    )

    if args.errors:
        wrong = [k for k, i in enumerate(kept) if predicted[k] != labels[k]]
        save_error_sheet(
            args.errors,
            [inputs[kept[k]] for k in wrong],
            [f"{labels[k]}>{predicted[k]}" for k in wrong],
        )
    return 0


def save_error_sheet(path: Path, images, captions) -> None:
    from PIL import Image, ImageDraw

    columns = 12
    rows = max(1, -(-len(images) // columns))
    sheet = Image.new("L", (columns * 64, rows * 76), 0)
    draw = ImageDraw.Draw(sheet)
    for n, (image, caption) in enumerate(zip(images, captions, strict=True)):
        x, y = n % columns * 64, n // columns * 76
        sheet.paste(
            Image.fromarray((image * 255).astype(np.uint8)).resize((56, 56)), (x + 4, y + 2)
        )
        draw.text((x + 18, y + 60), caption, fill=255)
    sheet.save(path)


if __name__ == "__main__":
    sys.exit(main())

"""Which MNIST training digits are by writers a held-out run never saw, and how models read them.

    python benchmarks/mnist_writers.py ../shared/data/mnist.npz
    python benchmarks/mnist_writers.py ../shared/data/mnist.npz /tmp/run/model.tflite ...

First it shows how alike neighbouring digits of MNIST's training file are in
slant and ink (``digitpad.training.data.style_likeness``), for the
odd-indexed and the even-indexed half: digits of one writer in a row are
alike, shuffled ones are not. Then, for each model trained with
``train_model.py --validation N`` (default 10,000), its accuracy on the last N
training digits, on their writer-ordered half (by writers it never saw) and
on the other half, how many 7s it read as 1, and its accuracy on those
digits' 0s, 1s and 7s each given a slash, crossbar or flag
(``digitpad.training.styles.style_images``, every one styled, seed 0).
MNIST's digits are pictures: a model with a picture layer reads them with it
(the row marked ``picture``, as ``digitpad predict`` does) and gets a second
row, ``ink``, for its ink layer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.predictor import Predictor  # noqa: E402
from digitpad.training.data import load_mnist, style_likeness, writer_ordered  # noqa: E402
from digitpad.training.styles import StyleSettings, style_images  # noqa: E402

LAGS = (1, 10, 100, 1000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mnist", type=Path, help="Keras-layout mnist.npz or a folder of IDX files")
    parser.add_argument("models", type=Path, nargs="*", help=".tflite or .keras files")
    parser.add_argument("--validation", type=int, default=10_000)
    args = parser.parse_args(argv)

    (images, labels), _, _ = load_mnist(args.mnist)
    print(f"MNIST training file: {len(labels)} digits")
    print("likeness of digits k places apart (0: unrelated; 1: alike)")
    print(f"{'half':<14}" + "".join(f"{'k=' + str(lag):>9}" for lag in LAGS))
    for name, start in (("odd indices", 1), ("even indices", 0)):
        values = [style_likeness(images[start::2], labels[start::2], lag) for lag in LAGS]
        print(f"{name:<14}" + "".join(f"{v:>9.3f}" for v in values))

    if not args.models:
        return 0
    first = len(labels) - args.validation
    x = images[first:].astype(np.float32)[..., None] / 255
    y = labels[first:]
    unseen = writer_ordered(first, args.validation)
    styled, styled_labels = style_images(
        images[first:], y, np.random.default_rng(0), StyleSettings(image_share=1.0)
    )
    styled = styled.astype(np.float32)[..., None] / 255
    print(f"\nthe last {args.validation} training digits (--validation {args.validation})")
    header = f"{'model':<44}{'all':>8}{'unseen':>9}{'other':>8}{'7 as 1':>8}{'styled':>9}"
    print(header)
    print("-" * len(header))
    for path in args.models:
        predictor = Predictor(path)
        sources = ("picture", "ink") if predictor.has_picture_output else ("picture",)
        for source in sources:
            predicted = predictor.predict(x, source).argmax(1)
            right = predicted == y
            sevens = int(np.sum((y == 7) & (predicted == 1)))
            styled_right = predictor.predict(styled, source).argmax(1) == styled_labels
            name = str(path)[-44:] if source == "picture" else "  ink layer"
            print(
                f"{name:<44}{right.mean():>8.2%}{right[unseen].mean():>9.2%}"
                f"{right[~unseen].mean():>8.2%}{sevens:>8}{styled_right.mean():>9.2%}"
            )
    print("unseen: the writer-ordered (odd-indexed) half, by writers never trained on")
    print(f"styled: the {len(styled_labels)} 0s, 1s and 7s among them, each given a style")
    return 0


if __name__ == "__main__":
    sys.exit(main())

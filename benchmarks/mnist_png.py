"""MNIST test digits as PNG files, half of them inverted, through ``digitpad predict``.

    python benchmarks/mnist_png.py ../shared/data/mnist.npz

Writes every test digit as a PNG (odd indices dark-on-light), runs the real
command-line tool on the folder (``digitpad predict --json``) and compares
its answers with the labels: the image path end to end, polarity detection
included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mnist", type=Path, help="Keras-layout mnist.npz")
    parser.add_argument("--limit", type=int, help="first N test digits only")
    args = parser.parse_args(argv)

    with np.load(args.mnist) as data:
        images, labels = data["x_test"], data["y_test"]
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for i, image in enumerate(images):
            Image.fromarray(255 - image if i % 2 else image).save(folder / f"{i:05d}.png")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "digitpad", "predict", "--json", str(folder)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"digitpad predict failed ({result.returncode}): {result.stderr[-2000:]}")
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    predicted = np.array([-1 if a["digit"] is None else a["digit"] for a in answers])
    correct = predicted == labels
    print(f"files: {len(answers)} PNGs ({len(answers) // 2} inverted)  time: {wall:.1f} s")
    print(f"light on dark: {correct[0::2].mean():.2%}  dark on light: {correct[1::2].mean():.2%}")
    print(f"accuracy: {correct.mean():.2%} ({int(correct.sum())}/{len(correct)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

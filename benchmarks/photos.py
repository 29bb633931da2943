"""How photos of single digits read: MNIST test digits as dark ink on lit, noisy paper.

    python benchmarks/photos.py --data ../shared/data/mnist.npz --count 1000

Each MNIST test digit (a random one per photo) is printed as dark ink on a
grey sheet: its 28x28 field is upscaled and placed at a random spot of a
square photo of 200 to 400 pixels whose side is 1 to 2.5 times the field's.
The photo is then given what a phone camera adds: a linear light gradient
of 0 to 40 grey levels in a random direction, a blur of 0 to 1.5 pixels,
Gaussian noise of sigma 0 to 16 grey levels and JPEG compression at quality
70 to 95 (Pillow). Each photo is saved as a JPEG file and read the way a
person's file is read (:meth:`digitpad.Recognizer.file`).

Prints the share of photos read as exactly one digit and the share read as
the right digit, overall and by condition bucket (gradient, noise, JPEG
quality, blur, size of the sheet), the time per photo (decoding included),
the share of the same digits read right from MNIST's own 28x28 pictures
(what the model can do), and the share of photos of blank paper, taken the
same way, read as no digit. Without ``--data`` Keras' ``mnist.npz`` is downloaded
(``digitpad.training.data``).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.recognize import Recognizer  # noqa: E402

SIDE = (200, 400)  # pixels of the square photo
SHEET = (1.0, 2.5)  # the photo's side, times that of the digit's 28x28 MNIST field
PAPER = (150, 240)  # grey level of the paper where the light is average
INK = (0, 60)  # grey level of fully inked paper
GRADIENT = (0.0, 40.0)  # grey levels from the darkest to the lightest corner
NOISE = (0.0, 16.0)  # sigma of Gaussian noise, grey levels
BLUR = (0.0, 1.5)  # sigma of Gaussian blur, pixels
QUALITY = (70, 95)  # JPEG quality, both included

#: Bucket edges for the report: (name, condition key, edges).
BUCKETS = (
    ("gradient", "gradient", (0, 10, 20, 30, 40)),
    ("noise", "noise", (0, 4, 8, 12, 16)),
    ("JPEG quality", "quality", (70, 76, 82, 88, 95)),
    ("blur", "blur", (0, 0.5, 1.0, 1.5)),
    ("sheet/field", "sheet", (1.0, 1.5, 2.0, 2.5)),
)


def synthetic_photo(digit: np.ndarray, rng: np.random.Generator) -> tuple[bytes, dict]:
    """A JPEG photo of an MNIST digit (28x28 uint8, light on dark) as dark ink on paper.

    Returns the JPEG file's bytes and the conditions drawn: ``side``, ``sheet``, ``paper``,
    ``ink``, ``gradient``, ``direction`` (radians), ``blur``, ``noise``, ``quality``.
    """
    side = int(rng.integers(SIDE[0], SIDE[1] + 1))
    conditions = {
        "side": side,
        "sheet": float(rng.uniform(*SHEET)),
        "paper": float(rng.uniform(*PAPER)),
        "ink": float(rng.uniform(*INK)),
        "gradient": float(rng.uniform(*GRADIENT)),
        "direction": float(rng.uniform(0, 2 * np.pi)),
        "blur": float(rng.uniform(*BLUR)),
        "noise": float(rng.uniform(*NOISE)),
        "quality": int(rng.integers(QUALITY[0], QUALITY[1] + 1)),
    }
    # The digit's 28x28 field sits somewhere on a larger sheet, as in a photo
    # taken from a little way off.
    field = round(side / conditions["sheet"])
    coverage = Image.fromarray(digit).resize((field, field), Image.Resampling.BICUBIC)
    top, left = (int(v) for v in rng.integers(0, side - field + 1, size=2))
    sheet = np.zeros((side, side))
    sheet[top : top + field, left : left + field] = np.asarray(coverage, dtype=np.float64) / 255
    coverage = sheet
    # The light falls off linearly along the direction, over the whole photo.
    rows, cols = np.mgrid[0:side, 0:side] / (side - 1)
    along = cols * np.cos(conditions["direction"]) + rows * np.sin(conditions["direction"])
    along = (along - along.min()) / (along.max() - along.min())
    paper = conditions["paper"] + conditions["gradient"] * (along - 0.5)
    photo = paper - (paper - conditions["ink"]) * coverage
    if conditions["blur"] > 0:  # the lens blurs the light; the sensor's noise comes after
        sharp = Image.fromarray(np.clip(np.rint(photo), 0, 255).astype(np.uint8))
        blurred = sharp.filter(ImageFilter.GaussianBlur(conditions["blur"]))
        photo = np.asarray(blurred, dtype=np.float64)
    photo = photo + rng.normal(0, conditions["noise"], photo.shape)
    picture = Image.fromarray(np.clip(np.rint(photo), 0, 255).astype(np.uint8))
    data = io.BytesIO()
    picture.save(data, format="JPEG", quality=conditions["quality"])
    return data.getvalue(), conditions


def bucket_label(edges, value) -> str | None:
    """``"lo-hi"`` of the bucket of ``edges`` that holds ``value`` (the last one is closed)."""
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        if low <= value < high or (value == high == edges[-1]):
            return f"{low:g}-{high:g}"
    return None


def main(argv=None) -> int:
    from digitpad.training.data import load_mnist

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, help="Keras-layout mnist.npz or IDX folder (default: download)"
    )
    parser.add_argument("--count", type=int, default=1000, help="photos (default 1000)")
    parser.add_argument(
        "--blanks", type=int, default=100, help="photos of blank paper too (default 100)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    _, (images, labels), _ = load_mnist(args.data)
    rng = np.random.default_rng(args.seed)
    recognizer = Recognizer()
    records = []
    clean_right = []  # the same digit as MNIST's own picture: what the model can do
    elapsed = 0.0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        for index in rng.choice(len(images), size=args.count, replace=args.count > len(images)):
            data, conditions = synthetic_photo(images[index], rng)
            path.write_bytes(data)
            started = time.perf_counter()
            prediction = recognizer.file(path)
            elapsed += time.perf_counter() - started
            one = len(prediction.digits) == 1
            right = one and prediction.digit == int(labels[index])
            records.append((conditions, one, right))
            clean_right.append(recognizer.image(images[index]).number == str(labels[index]))
        # Paper photographed the same way with nothing written on it.
        blank = np.zeros_like(images[0])
        empty = []
        for _ in range(args.blanks):
            path.write_bytes(synthetic_photo(blank, rng)[0])
            empty.append(not recognizer.file(path).digits)

    def line(name, rows):
        one = np.mean([r[1] for r in rows])
        right = np.mean([r[2] for r in rows])
        return f"  {name:<12} {len(rows):>6}  {one:>10.1%}  {right:>8.1%}"

    print(
        f"photos: {len(records)}  seed: {args.seed}  {1000 * elapsed / len(records):.1f} ms/photo"
    )
    print(f"  {'':<12} {'photos':>6}  {'one digit':>10}  {'right':>8}")
    print(line("all", records))
    for title, key, edges in BUCKETS:
        print(f"{title}:")
        for low in edges[:-1]:
            name = bucket_label(edges, low)
            rows = [r for r in records if bucket_label(edges, r[0][key]) == name]
            if rows:
                print(line(name, rows))
    print(f"the same digits as MNIST's own pictures: {np.mean(clean_right):.1%} right")
    if empty:
        print(f"blank paper read as no digit: {np.mean(empty):.1%} of {len(empty)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train digitpad's digit classifier and export it for the app.

Title: digitpad's MNIST CNN, made for real handwriting
Description: a small convnet trained on MNIST plus rendered pen digits, with
augmentation that mimics how people really draw, exported to LiteRT.

Two recipes:

* ``seed`` reproduces the classic Keras MNIST convnet (about 99.1-99.2% on MNIST
  test) exactly: same layers, Adadelta(1.0, rho=0.95), batch 128, 12 epochs.
* ``digitpad`` (the default, and the bundled model) is a small convnet with
  batch normalization (about 5 M multiply-adds a digit, so that LiteRT runs it
  in about 0.3 ms), trained for 24 epochs on MNIST and on pen trajectories of
  the UCI "Pen-Based Recognition of Handwritten Digits" writers rendered
  through digitpad's own ink pipeline, with random rotation, shear, scale,
  translation and stroke width.

Usage::

    python train_model.py                                   # downloads MNIST and pendigits
    python train_model.py --data mnist.npz --pendigits pendigits-orig.tra
    python train_model.py --recipe seed --data mnist.npz --output /tmp/seed

Outputs, in ``--output`` (default ``resources/``): ``model.tflite``,
``model.keras``, ``model-card.json``, ``training-curves.png`` and
``confusion-matrix.png``. They are written to a temporary folder first and
moved into place only when everything has succeeded.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # run from a source checkout without installing

from digitpad.ink import Ink  # noqa: E402
from digitpad.pendigits import read_unipen, split_by_writer  # noqa: E402
from digitpad.preprocess import FIELD, PEN_WIDTH, ink_to_input  # noqa: E402

PENDIGITS_URL = (
    "https://archive.ics.uci.edu/static/public/81/pen+based+recognition+of+handwritten+digits.zip"
)
NUM_CLASSES = 10
INPUT_CONVENTION = {
    "shape": [FIELD, FIELD, 1],
    "dtype": "float32",
    "range": [0.0, 1.0],
    "polarity": "light ink (1.0) on a dark background (0.0), like MNIST",
    "preprocessing": "crop to the ink, fit a 20x20 box keeping aspect, anti-alias, "
    "centre of mass at the centre of the 28x28 field (digitpad.preprocess)",
}


class DataError(Exception):
    """Training data that is missing, truncated or of the wrong shape."""


# =============================================================================
# Command line
# =============================================================================


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train digitpad's digit classifier and export it (LiteRT + Keras).",
    )
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="digitpad")
    parser.add_argument(
        "--data",
        type=Path,
        help="MNIST as a Keras-layout mnist.npz, or a folder with the four IDX files "
        "(default: keras.datasets.mnist, downloaded and cached)",
    )
    parser.add_argument(
        "--pendigits",
        type=Path,
        help="UNIPEN file of pen digits (pendigits-orig.tra) for recipes that use it "
        "(default: downloaded from the UCI archive)",
    )
    parser.add_argument("--epochs", type=int, help="default: the recipe's")
    parser.add_argument("--batch-size", type=int, help="default: the recipe's")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--limit", type=int, help="train on the first N samples only (smoke tests)")
    parser.add_argument("--output", type=Path, default=HERE / "resources")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


# =============================================================================
# Data: MNIST
# =============================================================================

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def load_mnist(path: Path | None):
    """((x_train, y_train), (x_test, y_test), provenance) as uint8 arrays."""
    if path is None:
        import keras

        (train, test) = keras.datasets.mnist.load_data()
        cached = Path(keras.utils.get_file("mnist.npz", origin="", cache_subdir="datasets"))
        return train, test, {"source": "keras.datasets.mnist", "sha256": sha256(cached)}
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        arrays, digest = _load_idx_folder(path)
    else:
        arrays, digest = _load_npz(path), sha256(path)
    _check_mnist(arrays, path)
    return (
        (arrays["x_train"], arrays["y_train"]),
        (arrays["x_test"], arrays["y_test"]),
        {"source": str(path), "sha256": digest},
    )


def _load_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in IDX_FILES if k not in data.files]
            if missing:
                raise DataError(f"{path}: not a Keras mnist.npz (missing {', '.join(missing)})")
            return {k: data[k] for k in IDX_FILES}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: cannot read as .npz ({error})") from None


def _load_idx_folder(folder: Path) -> tuple[dict, str]:
    arrays, digests = {}, hashlib.sha256()
    for key, stem in IDX_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        candidates += [
            folder / stem.replace("-idx", ".idx"),
            folder / f"{stem.replace('-idx', '.idx')}.gz",
        ]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise DataError(f"{folder}: missing {stem} (or {stem}.gz)")
        raw = found.read_bytes()
        digests.update(raw)
        if found.suffix == ".gz":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as error:
                raise DataError(f"{found}: bad gzip data ({error})") from None
        arrays[key] = _parse_idx(raw, found)
    return arrays, digests.hexdigest()


def _parse_idx(raw: bytes, path: Path) -> np.ndarray:
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: truncated or padded: {len(raw) - header} bytes of data for shape {shape}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _check_mnist(arrays: dict, path: Path) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{path}: x_{split} has shape {x.shape}, expected (N, 28, 28)")
        if y.shape != (len(x),):
            raise DataError(f"{path}: y_{split} has shape {y.shape}, expected ({len(x)},)")
        if len(x) == 0:
            raise DataError(f"{path}: x_{split} is empty")
        if y.min() < 0 or y.max() > 9:
            raise DataError(f"{path}: y_{split} has labels outside 0-9")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# =============================================================================
# Data: pen digits, rendered through digitpad's ink pipeline
# =============================================================================


def load_pendigits(path: Path | None):
    """Digits of the UCI pendigits UNIPEN file and their provenance."""
    if path is None:
        path = _download_pendigits()
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        digits = read_unipen(path)
    except (OSError, ValueError, UnicodeError) as error:
        raise DataError(f"{path}: cannot read as UNIPEN ({error})") from None
    if not digits:
        raise DataError(f"{path}: no digits in this UNIPEN file")
    return digits, {"source": str(path), "sha256": sha256(path)}


def _download_pendigits() -> Path:
    import keras

    archive = Path(keras.utils.get_file("pendigits.zip", PENDIGITS_URL, cache_subdir="datasets"))
    return extract_pendigits(archive)


def extract_pendigits(archive: Path) -> Path:
    """``pendigits-orig.tra`` from the UCI zip archive, unpacked beside it (once)."""
    target = archive.with_name("pendigits-orig.tra")
    if target.exists():
        return target
    try:
        with zipfile.ZipFile(archive) as z:
            names = {Path(n).name: n for n in z.namelist()}
            if "pendigits-orig.tra" in names:
                data = z.read(names["pendigits-orig.tra"])
            elif "pendigits-orig.tra.Z" in names:
                import unlzw3  # UCI keeps the original files in Unix compress format

                data = unlzw3.unlzw(z.read(names["pendigits-orig.tra.Z"]))
            else:
                raise DataError(f"{archive}: no pendigits-orig.tra inside")
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise DataError(f"{archive}: cannot unpack ({error})") from None
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target


def augment_ink(ink: Ink, rng: np.random.Generator) -> Ink:
    """A random affine distortion of the kind people's handwriting has."""
    angle = np.radians(rng.uniform(-15, 15))
    shear = rng.uniform(-0.3, 0.3)
    aspect = np.exp(rng.uniform(-0.25, 0.25))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotation @ np.array([[aspect, shear], [0.0, 1.0]])
    return Ink([s[:, :2] @ matrix.T for s in ink.strokes])


def render_pen_digits(digits, copies: int, rng: np.random.Generator):
    """Each digit once as written and ``copies`` times distorted, as uint8 28x28."""
    images, labels = [], []
    for digit in digits:
        variants = [(digit.ink, PEN_WIDTH)]
        variants += [
            (augment_ink(digit.ink, rng), rng.uniform(0.65, 1.4) * PEN_WIDTH) for _ in range(copies)
        ]
        for ink, width in variants:
            x = ink_to_input(ink, pen_width=width)
            if x is not None:
                images.append(np.round(x * 255).astype(np.uint8))
                labels.append(digit.label)
    return np.stack(images), np.array(labels, dtype=np.uint8)


# =============================================================================
# Recipes
# =============================================================================


@dataclass
class Recipe:
    """What to build and how to train it; add a new entry to RECIPES to extend."""

    description: str
    build: callable
    optimizer: callable  # (steps_per_epoch, epochs) -> keras optimizer
    epochs: int
    batch_size: int
    augment: bool
    pen_copies: int  # distorted renders per pen digit; 0 = no pen digits
    # The last epochs see the images as they are: the test digits are not
    # distorted either. (The pen renders keep their own distortions.)
    clean_epochs: int = 0


def build_seed_model():
    from keras import Input, Sequential, layers

    return Sequential(
        [
            Input(shape=(FIELD, FIELD, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="seed",
    )


def build_digitpad_model():
    """About 5 M multiply-adds: 0.3 ms a digit in LiteRT, 2 min an epoch on 2 cores."""
    from keras import Input, Sequential, layers

    def conv(filters, size):
        return [
            layers.Conv2D(filters, size, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]

    return Sequential(
        [
            Input(shape=(FIELD, FIELD, 1)),
            *conv(32, 5),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            *conv(64, 3),
            *conv(64, 3),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            *conv(128, 4),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="digitpad",
    )


def adadelta_classic(steps_per_epoch, epochs):
    import keras

    return keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-7)


def adam_cosine(steps_per_epoch, epochs):
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(
        2e-3, decay_steps=steps_per_epoch * epochs, alpha=0.01
    )
    return keras.optimizers.Adam(schedule)


RECIPES = {
    "seed": Recipe(
        "the classic Keras MNIST convnet (Adadelta 1.0, 12 epochs)",
        build_seed_model,
        adadelta_classic,
        epochs=12,
        batch_size=128,
        augment=False,
        pen_copies=0,
    ),
    "digitpad": Recipe(
        "batch-normalized convnet on MNIST + rendered pen digits, handwriting augmentation",
        build_digitpad_model,
        adam_cosine,
        epochs=24,
        batch_size=128,
        augment=True,
        pen_copies=4,
        clean_epochs=4,
    ),
}


def make_augmenter(seed: int):
    """Random rotation, shear, zoom, translation and stroke width, per sample."""
    import keras
    import tensorflow as tf

    geometry = keras.Sequential(
        [
            keras.layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed),
            keras.layers.RandomShear(
                x_factor=0.1, y_factor=0.05, fill_mode="constant", seed=seed + 1
            ),
            keras.layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
            keras.layers.RandomTranslation(0.07, 0.07, fill_mode="constant", seed=seed + 3),
        ]
    )

    def stroke_width(x):
        # Blend towards a 3x3 dilation (bolder) or erosion (thinner).
        amount = tf.random.uniform([tf.shape(x)[0], 1, 1, 1], -0.5, 0.5)
        bolder = tf.nn.max_pool2d(x, 3, 1, "SAME")
        thinner = -tf.nn.max_pool2d(-x, 3, 1, "SAME")
        return tf.where(amount > 0, x + amount * (bolder - x), x - amount * (thinner - x))

    def augment(x):
        return tf.clip_by_value(geometry(stroke_width(x), training=True), 0.0, 1.0)

    return augment


def make_dataset(x, y, batch_size, augment, seed):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)

    def to_float(images, labels):
        images = tf.cast(images, tf.float32)[..., None] / 255.0
        return images, tf.one_hot(tf.cast(labels, tf.int32), NUM_CLASSES)

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        augmenter = make_augmenter(seed)
        ds = ds.map(lambda a, b: (augmenter(a), b), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# =============================================================================
# Evaluation and export
# =============================================================================


def evaluate(model, x_uint8, y):
    probabilities = model.predict(
        x_uint8.astype(np.float32)[..., None] / 255, batch_size=512, verbose=0
    )
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (y, predicted), 1)
    eps = 1e-7
    loss = float(-np.mean(np.log(probabilities[np.arange(len(y)), y] + eps)))
    per_class = (confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)).round(5)
    return {
        "accuracy": round(float((predicted == y).mean()), 5),
        "loss": round(loss, 5),
        "per_class_accuracy": {str(d): float(a) for d, a in enumerate(per_class)},
        "confusion_matrix": confusion.tolist(),
        "count": int(len(y)),
    }


def export_tflite(model, path: Path) -> None:
    # Keras' own LiteRT export keeps the batch dimension dynamic.
    model.export(str(path), format="litert", verbose=False)


def plot_curves(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["loss"], label="training")
    ax_loss.plot(epochs, history["val_loss"], label="MNIST test")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_acc.plot(epochs, history["accuracy"], label="training")
    ax_acc.plot(epochs, history["val_accuracy"], label="MNIST test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("MNIST test is monitored only; no model selection is made on it", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(confusion, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confusion = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(6, 5.4))
    ax.imshow(np.log1p(confusion), cmap="Blues")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            colour = "white" if i == j else "black"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@contextlib.contextmanager
def signals_deferred():
    """Hold off Ctrl+C and SIGTERM while the finished files are moved into place."""
    received = []
    handlers = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            handlers[sig] = signal.signal(sig, lambda s, f: received.append(s))
        except ValueError:  # not the main thread
            pass
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if received:
            signal.raise_signal(received[0])


def install(staging: Path, output: Path, names) -> None:
    """Move finished files into ``output``; the model itself goes last."""
    output.mkdir(parents=True, exist_ok=True)
    with signals_deferred():
        for name in names:
            os.replace(staging / name, output / name)


def library_versions() -> dict:
    import keras
    import PIL
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
    }


# =============================================================================
# Main
# =============================================================================


def main(argv=None) -> int:
    args = parse_args(argv)
    recipe = RECIPES[args.recipe]
    epochs = args.epochs or recipe.epochs
    batch_size = args.batch_size or recipe.batch_size

    # --- Data --------------------------------------------------------------
    try:
        (x_train, y_train), (x_test, y_test), mnist_info = load_mnist(args.data)
        pen_info = None
        if recipe.pen_copies:
            pen_digits, pen_info = load_pendigits(args.pendigits)
    except DataError as error:
        print(f"train_model.py: error: {error}", file=sys.stderr)
        return 2
    if args.limit:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    cpu_started = time.process_time()

    pen_held_out = None
    if recipe.pen_copies:
        pen_train, pen_held_out = split_by_writer(pen_digits)
        if args.limit:
            pen_train = pen_train[: max(1, args.limit // 10)]
        x_pen, y_pen = render_pen_digits(pen_train, recipe.pen_copies, rng)
        x_fit = np.concatenate([x_train, x_pen])
        y_fit = np.concatenate([y_train, y_pen])
        pen_info.update(
            training_writers=sorted({d.writer for d in pen_train}),
            held_out_writers=sorted({d.writer for d in pen_held_out}),
            training_digits=len(pen_train),
            rendered_training_images=int(len(x_pen)),
        )
        print(
            f"MNIST: {len(x_train)} training images; pen digits: {len(pen_train)} from "
            f"{len(pen_info['training_writers'])} writers, rendered as {len(x_pen)} images"
        )
    else:
        x_fit, y_fit = x_train, y_train
        print(f"MNIST: {len(x_train)} training images")

    # --- Model -------------------------------------------------------------
    gpus = tf.config.list_physical_devices("GPU")
    strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    steps_per_epoch = int(np.ceil(len(x_fit) / batch_size))
    with strategy.scope():
        model = recipe.build()
        model.compile(
            loss="categorical_crossentropy",
            optimizer=recipe.optimizer(steps_per_epoch, epochs),
            metrics=["accuracy"],
        )
    model.summary()

    # --- Train -------------------------------------------------------------
    clean_epochs = min(recipe.clean_epochs, epochs - 1) if recipe.augment else 0
    test_ds = make_dataset(x_test, y_test, 512, False, args.seed)
    history: dict[str, list] = {}
    for augment, first, last in (
        (recipe.augment, 0, epochs - clean_epochs),
        (False, epochs - clean_epochs, epochs),
    ):
        if first == last:
            continue
        fitted = model.fit(
            make_dataset(x_fit, y_fit, batch_size, augment, args.seed),
            initial_epoch=first,
            epochs=last,
            validation_data=test_ds,
            shuffle=False,
            verbose="auto",
        )
        for key, values in fitted.history.items():
            history.setdefault(key, []).extend(values)
    training_seconds = time.perf_counter() - started
    # CPU time shows how much of the wall time the machine really gave us;
    # on a busy machine wall time alone overstates the cost of a recipe.
    training_cpu_seconds = time.process_time() - cpu_started

    # --- Evaluate ----------------------------------------------------------
    test = evaluate(model, x_test, y_test)
    pen = None
    if pen_held_out:
        x_pen_test, y_pen_test = render_pen_digits(pen_held_out, 0, rng)
        pen = evaluate(model, x_pen_test, y_pen_test)

    # --- Export ------------------------------------------------------------
    args.output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".train-", dir=args.output.parent))
    try:
        model.save(staging / "model.keras", include_optimizer=False)
        export_tflite(model, staging / "model.tflite")
        plot_curves(history, staging / "training-curves.png")
        plot_confusion(
            test["confusion_matrix"],
            staging / "confusion-matrix.png",
            f"MNIST test, accuracy {test['accuracy']:.2%}",
        )
        card = {
            "name": f"digitpad-{args.recipe}",
            "recipe": args.recipe,
            "description": recipe.description,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "hyperparameters": {
                "epochs": epochs,
                "batch_size": batch_size,
                "optimizer": model.optimizer.__class__.__name__,
                "augmentation": recipe.augment,
                "clean_epochs": clean_epochs,
                "pen_copies": recipe.pen_copies,
                "parameters": int(model.count_params()),
            },
            "seed": args.seed,
            "limit": args.limit,
            "data": {"mnist": mnist_info, "pendigits": pen_info},
            "test": {"mnist": test, "pen_held_out_writers": pen},
            "training_seconds": round(training_seconds, 1),
            "training_cpu_seconds": round(training_cpu_seconds, 1),
            "machine": {"processor": platform.machine(), "cpus": os.cpu_count(), "gpus": len(gpus)},
            "versions": library_versions(),
            "input": INPUT_CONVENTION,
            "output": "softmax probabilities of the digits 0-9",
            "files": {"tflite": "model.tflite", "keras": "model.keras"},
        }
        (staging / "model-card.json").write_text(json.dumps(card, indent=2) + "\n")
        install(
            staging,
            args.output,
            [
                "training-curves.png",
                "confusion-matrix.png",
                "model.keras",
                "model-card.json",
                "model.tflite",
            ],
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    # --- Summary -----------------------------------------------------------
    print()
    print(
        f"recipe {args.recipe}: {epochs} epochs in {training_seconds / 60:.1f} min "
        f"({training_cpu_seconds / 60:.1f} CPU-minutes on {os.cpu_count()} cores)"
    )
    print(f"MNIST test accuracy: {test['accuracy']:.2%} (loss {test['loss']:.4f})")
    if pen:
        print(f"pen digits, held-out writers: {pen['accuracy']:.2%} ({pen['count']} digits)")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    try:
        exit_code = main()
    except KeyboardInterrupt:
        # The staging folder is gone by now (main's finally); leave at once:
        # TensorFlow's data threads can hold up an ordinary interpreter exit.
        print("\ntrain_model.py: interrupted; the previous model is untouched", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(exit_code)

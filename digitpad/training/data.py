"""Training data: MNIST (Keras ``.npz`` or IDX files), the UCI pen digits and UNIPEN's
isolated digits (``unipen-dev.jsonl``), checked.

Everything here raises :class:`DataError` for data that is missing, truncated
or of the wrong shape, and :class:`DownloadError` for a download that fails,
each with a one-line reason. Downloads go to the Keras cache folder
(``$KERAS_HOME/datasets``, default ``~/.keras/datasets``) and are reused.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from ..pendigits import PenDigit, read_unipen, read_unipen_digits
from ..preprocess import FIELD

__all__ = [
    "IDX_FILES",
    "MNIST_URL",
    "NUM_CLASSES",
    "PENDIGITS_URL",
    "DataError",
    "DownloadError",
    "cache_folder",
    "download",
    "extract_pendigits",
    "load_mnist",
    "load_pendigits",
    "load_unipen_digits",
    "sha256",
    "style_likeness",
    "writer_ordered",
]

NUM_CLASSES = 10
#: Where ``keras.datasets.mnist`` gets MNIST, and the SHA-256 Keras checks it against.
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
PENDIGITS_URL = (
    "https://archive.ics.uci.edu/static/public/81/pen+based+recognition+of+handwritten+digits.zip"
)
DOWNLOAD_TIMEOUT_SECONDS = 60
#: What the model card says of UNIPEN's digits (DATA-LICENSES.md in full).
UNIPEN_CREDIT = {
    "licence": "CC BY 4.0",
    "citation": 'I. Guyon, L. Schomaker, R. Plamondon, M. Liberman, S. Janet, "UNIPEN project '
    'of on-line data exchange and recognizer benchmarks", ICPR 1994; Zenodo re-release, '
    "doi 10.5281/zenodo.1195803",
}

#: The four MNIST arrays and the stems of the original IDX files that hold them.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


class DataError(Exception):
    """Training data that is missing, truncated or of the wrong shape."""


class DownloadError(Exception):
    """A download that failed; ``url`` and ``reason`` say which and why."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"could not download {url} ({reason})")
        self.url = url
        self.reason = reason


# ---------------------------------------------------------------------------
# MNIST
# ---------------------------------------------------------------------------


def load_mnist(path: Path | None):
    """``((x_train, y_train), (x_test, y_test), provenance)`` as uint8 arrays.

    ``path`` is a Keras-layout ``mnist.npz`` or a folder with the four IDX
    files (``.gz`` or raw); ``None`` downloads Keras' ``mnist.npz``.
    """
    if path is None:
        path = download(MNIST_URL, cache_folder() / "mnist.npz", expected_sha256=MNIST_SHA256)
        source = MNIST_URL
    else:
        source = str(path)
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
        {"source": source, "sha256": digest},
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
        dotted = stem.replace("-idx", ".idx")  # some mirrors name them train-images.idx3-ubyte
        candidates = [folder / name for name in (stem, f"{stem}.gz", dotted, f"{dotted}.gz")]
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
        arrays[key] = parse_idx(raw, found)
    return arrays, digests.hexdigest()


def parse_idx(raw: bytes, path: Path) -> np.ndarray:
    """The uint8 array of an IDX file's bytes; ``path`` only names it in errors."""
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
        if x.ndim != 3 or x.shape[1:] != (FIELD, FIELD):
            raise DataError(f"{path}: x_{split} has shape {x.shape}, expected (N, 28, 28)")
        if y.shape != (len(x),):
            raise DataError(f"{path}: y_{split} has shape {y.shape}, expected ({len(x)},)")
        if len(x) == 0:
            raise DataError(f"{path}: x_{split} is empty")
        if y.min() < 0 or y.max() >= NUM_CLASSES:
            raise DataError(f"{path}: y_{split} has labels outside 0-9")


def writer_ordered(first_index: int, count: int) -> np.ndarray:
    """Mask of MNIST training digits ``first_index ..`` that sit in its writer-ordered half.

    MNIST's training file interleaves two halves: its odd-indexed digits come
    in runs by one writer, its even-indexed ones shuffled
    (:func:`style_likeness` shows it). So the odd-indexed digits at the end of
    the file are by writers whose other digits are nearly all there too —
    held out together, they are digits by writers the model never saw.
    """
    return (np.arange(first_index, first_index + count) % 2) == 1


def style_likeness(images: np.ndarray, labels: np.ndarray, lag: int) -> float:
    """Correlation of slant and ink between digits ``lag`` places apart.

    Slant (the shear of the ink's second moments) and amount of ink are each
    standardised within their class, so only the writer's hand is left; the
    two correlations are averaged. Digits of one writer in a row correlate,
    shuffled digits give about 0.
    """
    x = np.asarray(images, dtype=np.float32)  # 60,000 digits: 190 MB as float32
    labels = np.asarray(labels)
    rows, cols = np.mgrid[: x.shape[1], : x.shape[2]]
    mass = x.sum(axis=(1, 2))
    mass[mass == 0] = 1.0
    centre_x = (x * cols).sum(axis=(1, 2)) / mass
    centre_y = (x * rows).sum(axis=(1, 2)) / mass
    dx, dy = cols - centre_x[:, None, None], rows - centre_y[:, None, None]
    slant = (x * dx * dy).sum(axis=(1, 2)) / np.maximum((x * dy * dy).sum(axis=(1, 2)), 1e-9)
    correlations = []
    for feature in (slant, mass):
        standard = np.zeros_like(feature)
        for label in np.unique(labels):
            of_label = labels == label
            spread = feature[of_label].std()
            if spread > 0:
                standard[of_label] = (feature[of_label] - feature[of_label].mean()) / spread
        correlations.append(np.corrcoef(standard[:-lag], standard[lag:])[0, 1])
    return float(np.mean(correlations))


# ---------------------------------------------------------------------------
# Pen digits
# ---------------------------------------------------------------------------


def load_pendigits(path: Path | None) -> tuple[list[PenDigit], dict]:
    """Digits of a UCI pendigits UNIPEN file and their provenance.

    ``None`` downloads the UCI archive and unpacks ``pendigits-orig.tra``.
    """
    if path is None:
        archive = download(PENDIGITS_URL, cache_folder() / "pendigits.zip")
        path = extract_pendigits(archive)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        digits = read_unipen(path)
    except (OSError, ValueError, UnicodeError) as error:
        raise DataError(f"{path}: cannot read as UNIPEN ({error})") from None
    if not digits:
        raise DataError(f"{path}: no digits in this UNIPEN file")
    return digits, {"source": str(path), "sha256": sha256(path)}


def load_unipen_digits(path: Path, held_out_sources=()) -> tuple[list[PenDigit], dict]:
    """The isolated digits of a UNIPEN JSON-lines file (``kind`` ``digit``) and their provenance.

    ``held_out_sources`` must name sources the file has (a typo would silently
    hold out nothing).
    """
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        digits = read_unipen_digits(path)
    except (OSError, ValueError, KeyError, TypeError, UnicodeError) as error:
        raise DataError(f"{path}: cannot read as UNIPEN JSON lines ({error})") from None
    if not digits:
        raise DataError(f"{path}: no isolated digits in this file")
    unknown = set(held_out_sources) - {d.source for d in digits}
    if unknown:
        raise DataError(f"{path}: no digits of source {', '.join(sorted(unknown))}")
    return digits, {"source": str(path), "sha256": sha256(path), **UNIPEN_CREDIT}


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


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def cache_folder() -> Path:
    """The folder Keras caches data sets in: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(home) / "datasets"


def download(url: str, target: Path, expected_sha256: str | None = None) -> Path:
    """``target``, downloaded from ``url`` unless a good copy is already there.

    The file appears complete or not at all. Raises :class:`DownloadError`
    when the network, the server or the local disk fails, or the SHA-256
    differs from ``expected_sha256``.
    """
    if target.is_file() and expected_sha256 in (None, sha256(target)):
        return target
    partial = target.with_name(target.name + ".part")
    print(f"downloading {url} to {target}", flush=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response,
            open(partial, "wb") as out,
        ):
            shutil.copyfileobj(response, out)
        if expected_sha256 not in (None, sha256(partial)):
            raise DownloadError(url, "the file's SHA-256 is not the expected one")
        os.replace(partial, target)
    except urllib.error.HTTPError as error:
        raise DownloadError(url, f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise DownloadError(url, str(error.reason)) from None
    except (OSError, http.client.HTTPException) as error:  # timeouts, resets, a full disk
        raise DownloadError(url, str(error) or type(error).__name__) from None
    finally:
        partial.unlink(missing_ok=True)
    return target


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

"""Putting a trained model in place all at once, or not at all.

Outputs are written to a staging folder beside the output folder and moved
into place at the end with Ctrl+C and SIGTERM held off, so an interrupted
run never leaves a half-written model.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["OUTPUT_FILES", "install", "signals_deferred", "staging_folder"]

#: What a training run writes, in install order: the model last, once
#: everything that describes it is in place. With ``--unipen``, ``model.tflite``
#: carries the number model, and ``number-model.npz`` holds its arrays, which
#: ``python -m digitpad.training.export --number-model`` exports from; with pen
#: digits, ``trajectory.keras`` is the trajectory model it carries (``--trajectory-model``).
OUTPUT_FILES = (
    "training-curves.png",
    "confusion-matrix.png",
    "model.keras",
    "class-bank.npz",
    "number-model.npz",
    "trajectory.keras",
    "model-card.json",
    "model.tflite",
)


@contextlib.contextmanager
def staging_folder(output: Path) -> Iterator[Path]:
    """A fresh folder beside ``output`` (same file system), removed on the way out."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".train-", dir=output.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def signals_deferred():
    """Hold off Ctrl+C and SIGTERM inside the block; deliver the first one after it."""
    received = []
    handlers = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            handlers[sig] = signal.signal(sig, lambda s, f: received.append(s))
        except ValueError:  # not the main thread: signals cannot be handled here anyway
            pass
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        if received:
            signal.raise_signal(received[0])


def install(staging: Path, output: Path, names: Iterable[str]) -> None:
    """Move ``names`` from ``staging`` into ``output`` in that order, uninterrupted.

    Put the model file last: the app reads it, and the files it describes
    are then already in place.
    """
    output.mkdir(parents=True, exist_ok=True)
    with signals_deferred():
        for name in names:
            os.replace(staging / name, output / name)

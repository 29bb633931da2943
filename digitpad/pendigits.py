"""Reader for the UNIPEN files of UCI's "Pen-Based Recognition of Handwritten Digits".

Each digit is a ``.SEGMENT DIGIT ... "label"`` block, followed by
``.COMMENT label writer index`` and one or more ``.PEN_DOWN`` ... ``.PEN_UP``
strokes of ``x y`` lines. Tablet y grows upward; :func:`read_unipen` flips it
so that the ink is in screen orientation like everything else in digitpad.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from .ink import Ink

__all__ = [
    "PenDigit",
    "PenItem",
    "read_unipen",
    "read_unipen_digits",
    "read_unipen_jsonl",
    "split_by_writer",
]

#: Height of the tablet's writing box, used to flip y.
TABLET_HEIGHT = 500


@dataclass
class PenDigit:
    """One isolated pen digit: its label, its writer and the data set (source) it comes from.

    Writers of the UCI pendigits file are numbers; UNIPEN writers are ``"source/id"``.
    """

    label: int
    writer: int | str
    ink: Ink
    source: str = "pendigits"


def read_unipen(path: str | os.PathLike) -> list[PenDigit]:
    """All digits of a UNIPEN file, in file order."""
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list[list[tuple[float, float]]] = []
    stroke: list[tuple[float, float]] | None = None

    def finish():
        if label is not None and any(strokes):
            ink = Ink([np.array(s, dtype=np.float64) for s in strokes if s])
            for s in ink.strokes:
                s[:, 1] = TABLET_HEIGHT - s[:, 1]
            digits.append(PenDigit(label, writer if writer is not None else -1, ink))

    with open(path, encoding="ascii", errors="replace") as f:
        for line_number, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                continue
            if text.startswith(".SEGMENT"):
                finish()
                label = int(text.rsplit('"', 2)[-2])
                writer, strokes, stroke = None, [], None
            elif text.startswith(".COMMENT") and label is not None and writer is None:
                parts = text.split()
                if len(parts) >= 3:
                    writer = int(parts[2])
            elif text.startswith(".PEN_DOWN"):
                stroke = []
                strokes.append(stroke)
            elif text.startswith(".PEN_UP"):
                stroke = None
            elif stroke is not None and not text.startswith("."):
                x, y = text.split()[:2]
                try:
                    stroke.append((float(x), float(y)))
                except ValueError:
                    raise ValueError(f"{path}:{line_number}: bad point {text!r}") from None
    finish()
    return digits


@dataclass
class PenItem:
    """One item of a UNIPEN JSON-lines file: a digit, a number, or digits with separators."""

    label: str
    kind: str  # "digit", "number" or "mixed"
    writer: str
    source: str
    ink: Ink


def read_unipen_jsonl(path: str | os.PathLike, kinds=("digit", "number", "mixed")) -> list[PenItem]:
    """The items of a JSON-lines file of UNIPEN ink (``unipen-dev.jsonl``'s layout:
    one object a line with ``label``, ``kind``, ``writer``, ``source``, ``width``,
    ``height`` and ``strokes`` of ``[x, y]`` points, y down), of the given kinds."""
    items = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            data = json.loads(line)
            if data["kind"] not in kinds:
                continue
            strokes = [np.array(s, dtype=np.float64).reshape(-1, 2) for s in data["strokes"]]
            ink = Ink([s for s in strokes if len(s)], data.get("width"), data.get("height"))
            items.append(
                PenItem(str(data["label"]), data["kind"], data["writer"], data["source"], ink)
            )
    return items


def read_unipen_digits(path: str | os.PathLike) -> list[PenDigit]:
    """The isolated digits (``kind`` ``digit``) of a UNIPEN JSON-lines file, in file order."""
    return [
        PenDigit(int(item.label), item.writer, item.ink, item.source)
        for item in read_unipen_jsonl(path, kinds=("digit",))
        if len(item.label) == 1 and item.label.isdigit()
    ]


def split_by_writer(
    digits: list[PenDigit], held_out_every: int = 3
) -> tuple[list[PenDigit], list[PenDigit]]:
    """Split into (training, held-out) by writer: every n-th writer id is held out.

    The split is deterministic so that training (``train_model.py
    --hold-out-writers``) and the benchmarks agree on which writers a model
    chosen on this split has never seen.
    """
    writers = sorted({d.writer for d in digits})
    held_out = set(writers[held_out_every - 1 :: held_out_every])
    train = [d for d in digits if d.writer not in held_out]
    test = [d for d in digits if d.writer in held_out]
    return train, test

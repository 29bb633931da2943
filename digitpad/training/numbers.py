"""Numbers written as people write them, made of isolated pen digits, and the number model.

:func:`write_number` sets one writer's digits left to right as a person writes
a number: overlapping or apart, slanted, on a drifting baseline, changing size
along the number, now and then a stroke added late (the bar of a 5 after the
next digit), and with marks that are no digit (a dash, a full stop, a colon or
a comma between digits, a stray dot). :func:`candidate_table` cuts every
candidate digit out of such numbers, as the recognizer does, and labels it one
digit or not, and a mark or not; :func:`train_number_model` fits the reject
output and the mark output (:mod:`digitpad.number_model`) to them.

    python -m digitpad.training.numbers --unipen ../shared/data/unipen-dev.jsonl \\
        --pendigits ../shared/data/pendigits-train.unipen \\
        --out resources/number-model.npz --card resources/model-card.json

writes its arrays; ``python -m digitpad.training.export ... --number-model``
puts it in the classifier's ``.tflite`` (:mod:`digitpad.training.export`).
With ``--picture`` it trains the number model of pictures' candidates instead:
the numbers drawn as pictures (:func:`picture_of`, which
benchmarks/picture_numbers.py draws its pictures with too), cut as the recognizer
cuts a picture (:func:`picture_candidate_table`); ``--picture-number-model``
puts that one in the ``.tflite``.
``train_model.py --unipen FILE`` trains and carries the number model of ink for
the model it trains; the bundled model carries no number model of pictures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..ink import Ink, rasterize
from ..number_model import NumberModel, number_model_about, save_number_model
from ..pendigits import read_unipen, read_unipen_jsonl, split_by_writer
from ..personal import model_digest
from ..predictor import Predictor, bundled_model_path, predict_with_required_features
from ..preprocess import coverage_to_input, ink_coverage, ink_to_input
from ..segment import (
    WIDE_BLOB,
    candidate_geometry,
    ink_candidates,
    ink_pieces,
    picture_candidates,
    picture_geometry,
    picture_pieces,
)
from .styles import random_style

#: Gap between neighbouring digits, times the number's median digit height
#: (negative: they overlap sideways).
GAP = (-0.15, 0.6)
#: Slant of the whole number, radians (shear of x by y).
SLANT = (-0.2, 0.2)
#: Baseline drift per digit and jitter, times the median height.
DRIFT, JITTER = 0.08, 0.06
#: Size change per digit (a factor drawn from 1 +- this, compounded).
SIZE_DRIFT = 0.08
#: Chance that a digit's last stroke (of two or more) is written after the next digit.
LATE_STROKE = 0.15
#: Chance that a digit is joined to the next without lifting the pen.
JOIN = 0.15
#: Chance that a number written to train the number model has marks that are no digit:
#: a separator in each gap between digits, each with this chance, and a stray dot
#: (:func:`write_number`). Chosen with MARK_PENALTY below, as its weights were
#: (docs/benchmarks.md, "Marks that are no digit").
MARKS = 0.15
#: Space between a mark and the digits beside it, times the digits' height.
MARK_SPACE = (0.05, 0.35)
#: The owner (digit index) of a mark's points in :func:`write_number`'s owners.
MARK = -1
#: Chance that a digit with writing styles (a slashed zero, a flagged 1, a crossed 7, an
#: open 4, ...: :data:`digitpad.training.styles.STYLES`) is written in one of them.
STYLED = 0.0
#: The search's weights (:mod:`digitpad.number_model`), chosen with a classifier and
#: number model trained without sources sta, hpp, hpb, tos and imp: the most numbers of
#: every other writer of source ``sta`` read right (benchmarks/number_reading.py --part
#: tune), then the fewest isolated digits of sources ``tos`` and ``imp`` split in several
#: (docs/benchmarks.md, "Numbers by recognition"); the mark penalty with the marks
#: above, the most tune numbers right with and without separators.
DIGIT_BONUS, MARK_PENALTY, WHOLE_BONUS = 1.0, 0.0, 1.0
#: The whole ink's head start when the box rules find one digit in it too (they rarely
#: split a digit; the number model, which never saw a slashed zero or a flag written
#: apart, does). Chosen on 2026-12-08 with the models above: the tune numbers read
#: alike from 1 to 4 (at 6, seven are read as one digit); the folds of
#: benchmarks/split_folds.py split 0.97%, 0.59%, 0.32% and 0.14% of their digits at 1,
#: 2, 3 and 4; two pen digits written overlapping (by 0.15 or 0.25 of their height,
#: strokes not crossing) that the box rules read as one lose 1-4%, 3-5% and 8-11% of
#: their readings at 2, 3 and 4 (docs/benchmarks.md, "The box rules' head start").
GROUP_BONUS = 3.0
#: Numbers written to train the number model.
NUMBERS_WRITTEN = 6000
#: The seed the number model is trained with (its first network's, see ENSEMBLE).
SEED = 0
#: The number model is the average of this many networks, each trained on numbers of
#: its own. One network's readings depend on its seed: with marks, the bundled
#: classifier's networks of seeds 0, 1 and 2 read 149, 153 and 154 of the 160 tune
#: numbers of benchmarks/number_reading.py (short 1s taken into the next digit), and
#: 9,958 and 9,956 of MNIST test as pictures for seeds 0 and 2 (docs/benchmarks.md).
ENSEMBLE = 3
#: A picture's scan resolution (dots per inch) and pen width (mm), drawn per picture
#: (:func:`picture_of`), and ink units per mm (unipen-dev.jsonl is in 0.1 mm).
DPI = (150.0, 300.0)
PEN_MM = (0.35, 0.7)
UNITS_PER_MM = 10.0
#: A picture candidate is exactly one digit when at least this share of its ink is one
#: digit's, and it holds at least this share of that digit's ink
#: (:func:`picture_candidate_table`).
PICTURE_PURITY, PICTURE_WHOLENESS = 0.9, 0.9
#: How wide a picture's blob is cut (times the writing's height) for the number model of
#: pictures' candidates, which judges cut blobs better than the ink's (chosen on
#: benchmarks/picture_numbers.py --part choose; :data:`digitpad.segment.WIDE_BLOB`).
PICTURE_WIDE_BLOB = 1.05
#: The picture search's weights (chosen on benchmarks/picture_numbers.py --part choose,
#: docs/benchmarks.md, "A number model for pictures").
PICTURE_DIGIT_BONUS, PICTURE_MARK_PENALTY, PICTURE_WHOLE_BONUS = 1.0, -6.0, 1.0
#: Not chosen: as the whole bonus, so a number model of pictures reads as before it.
PICTURE_GROUP_BONUS = 1.0


@dataclass
class WrittenDigit:
    label: int
    ink: Ink


def writers_digits(
    unipen: Path | None,
    pendigits: Path | None,
    sources=None,
    exclude_sources=(),
    hold_out_writers: bool = False,
) -> dict[str, list[WrittenDigit]]:
    """Isolated digits by writer: UNIPEN JSON lines (of ``sources``, or all but
    ``exclude_sources``) and the pendigits file (its writers as ``pendigits/N``;
    with ``hold_out_writers``, without writers 3, 6, ..., 30, as
    :func:`digitpad.pendigits.split_by_writer` holds them out)."""
    writers: dict[str, list[WrittenDigit]] = defaultdict(list)
    if unipen is not None:
        for item in read_unipen_jsonl(unipen, kinds=("digit",)):
            if (sources is None or item.source in sources) and item.source not in exclude_sources:
                writers[item.writer].append(WrittenDigit(int(item.label), item.ink))
    if pendigits is not None:
        pen_digits = read_unipen(pendigits)
        if hold_out_writers:
            pen_digits = split_by_writer(pen_digits)[0]
        for digit in pen_digits:
            writers[f"pendigits/{digit.writer}"].append(WrittenDigit(digit.label, digit.ink))
    return dict(writers)


def write_number(
    digits: list[WrittenDigit], rng: np.random.Generator, marks: float = 0.0
) -> tuple[Ink, list[np.ndarray]]:
    """One number of the given digits; returns the ink and, per stroke, each point's digit
    (:data:`MARK` for a mark's points).

    With chance ``marks`` each gap between two digits holds a separator
    (:func:`separator`), and the number has a stray dot before or after it."""
    bounds = np.array([d.ink.bounds() for d in digits])
    height = float(np.median(bounds[:, 3] - bounds[:, 1]))
    slant = np.tan(rng.uniform(*SLANT))
    drift = rng.uniform(-DRIFT, DRIFT) * height
    size = 1.0
    placed: list[list[np.ndarray]] = []
    separators: list[list[np.ndarray]] = [[] for _ in digits]
    right = 0.0
    for k, (digit, (x0, _, _, y1)) in enumerate(zip(digits, bounds, strict=True)):
        size *= 1 + rng.uniform(-SIZE_DRIFT, SIZE_DRIFT)
        baseline = k * drift + rng.uniform(-JITTER, JITTER) * height
        gap = 0.0 if k == 0 else rng.uniform(*GAP) * height
        if k > 0 and marks and rng.random() < marks:
            mark = separator(rng, height * size)
            start = right + rng.uniform(*MARK_SPACE) * height - float(mark[0][:, 0].min())
            separators[k] = [_as_mark(s + (start, baseline)) for s in mark]
            right = max(float(s[:, 0].max()) for s in separators[k])
            gap = rng.uniform(*MARK_SPACE) * height
        left = right + gap
        strokes = []
        for stroke in digit.ink.strokes:
            xy = (stroke[:, :2] - (x0, y1)) * size  # bottom-left at the origin
            xy[:, 0] += left - slant * xy[:, 1]
            xy[:, 1] += baseline
            # The third column carries the point's digit through cutting and reordering.
            strokes.append(np.column_stack([xy, np.full(len(xy), float(k))]))
        right = max(right, max(float(s[:, 0].max()) for s in strokes))
        placed.append(strokes)
    order: list[np.ndarray] = []
    late: np.ndarray | None = None
    for k, strokes in enumerate(placed):
        strokes = list(strokes)
        if order and k > 0 and late is None and not separators[k] and rng.random() < JOIN:
            order[-1] = np.concatenate([order[-1], strokes.pop(0)])
        order += separators[k] + strokes
        if late is not None:
            order.append(late)
            late = None
        if len(strokes) >= 2 and k + 1 < len(placed) and rng.random() < LATE_STROKE:
            late = order.pop()
    if late is not None:
        order.append(late)
    if marks and rng.random() < marks:
        order = _with_stray_dot(order, rng, height)
    xy = np.concatenate(order)[:, :2]
    shift = np.array([*(xy.min(axis=0) - 0.15 * height), 0.0])
    strokes = [s - shift for s in order]
    extent = np.concatenate(strokes)[:, :2].max(axis=0) + 0.15 * height
    ink = Ink([s[:, :2] for s in strokes], float(extent[0]), float(extent[1]))
    return ink, [s[:, 2].astype(int) for s in strokes]


def separator(rng: np.random.Generator, height: float) -> list[np.ndarray]:
    """The strokes of a mark written between two digits, its baseline at y = 0 (y down):
    a dash, a full stop, a colon or a comma, ``height`` being the digits'."""
    kind = rng.choice(("dash", "stop", "colon", "comma"))
    if kind == "dash":
        length = rng.uniform(0.15, 0.5) * height
        count = int(rng.integers(2, 9))
        x = np.linspace(0.0, length, count)
        y = -rng.uniform(0.35, 0.65) * height + np.linspace(0, rng.normal(0, 0.04), count) * height
        return [np.column_stack([x, y + rng.normal(0, 0.01 * height, count)])]
    if kind == "colon":
        upper, lower = rng.uniform(0.55, 0.8), rng.uniform(0.1, 0.35)
        return [dot(rng, height) + (0.0, -y * height) for y in (upper, lower)]
    if kind == "comma":
        count = int(rng.integers(2, 6))
        t = np.linspace(0.0, 1.0, count)[:, None]
        tail = np.array([-rng.uniform(0.0, 0.1), rng.uniform(0.1, 0.25)]) * height
        return [(0.0, -rng.uniform(0.0, 0.1) * height) + t * tail]
    return [dot(rng, height) + (0.0, -rng.uniform(0.0, 0.1) * height)]


def dot(rng: np.random.Generator, height: float) -> np.ndarray:
    """A dot as a pen writes one, about (0, 0): a tap, or a scribble a few hundredths of
    the digits' ``height`` across."""
    count = int(rng.integers(1, 8))
    radius = rng.uniform(0.005, 0.06) * height
    angles = rng.uniform(0, 2 * np.pi) + np.linspace(0, rng.uniform(0, 2.5 * np.pi), count)
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


def _as_mark(stroke: np.ndarray) -> np.ndarray:
    """A mark's stroke with :data:`MARK` as its points' owner (the third column)."""
    return np.column_stack([stroke, np.full(len(stroke), float(MARK))])


def _with_stray_dot(order: list[np.ndarray], rng, height: float) -> list[np.ndarray]:
    """``order`` with a stray dot written last after the number (on its baseline, or
    beside its last stroke), or first before it, at any of its heights."""
    xy = np.concatenate(order)[:, :2]
    space = rng.uniform(*MARK_SPACE) * height
    spot = dot(rng, height)
    if rng.random() < 0.5:
        x = float(xy[:, 0].max()) + space - float(spot[:, 0].min())
        y = float(np.median(order[-1][:, 1])) if rng.random() < 0.3 else float(xy[:, 1].max())
        return [*order, _as_mark(spot + (x, y))]
    x = float(xy[:, 0].min()) - space - float(spot[:, 0].max())
    y = rng.uniform(float(xy[:, 1].min()), float(xy[:, 1].max()))
    return [_as_mark(spot + (x, y)), *order]


def _owned(ink: Ink, owners: list[np.ndarray]) -> Ink:
    """``ink`` with each point's digit as its third column (where time would be)."""
    strokes = [np.column_stack([s[:, :2], o]) for s, o in zip(ink.strokes, owners, strict=True)]
    return Ink(strokes, ink.width, ink.height)


def candidate_table(
    inks: list[tuple[Ink, list[np.ndarray], list[int]]], predictor: Predictor
) -> dict[str, np.ndarray]:
    """Every candidate of every ink, with what the model and the geometry say of it.

    ``inks`` are ``(ink, each point's digit index by stroke, labels of the digits)``.
    Returns arrays ``features``, ``probabilities``, ``geometry``, ``one_digit``
    (the candidate is exactly one digit's strokes), ``label`` (that digit, or
    -1), ``mark`` (its strokes are all marks'), ``ink_index``, ``start``, ``stop``.
    """
    columns = defaultdict(list)
    pictures = []
    for ink_index, (ink, owners, labels) in enumerate(inks):
        owned = _owned(ink, owners)
        pieces = ink_pieces(owned)
        # Each piece's owner: the digit most of its points belong to, or MARK.
        piece_owner = np.array(
            [np.bincount(p[:, 2].astype(int) - MARK).argmax() + MARK for p in pieces]
        )
        pieces = [p[:, :2] for p in pieces]
        sizes = np.bincount(piece_owner[piece_owner != MARK], minlength=len(labels))
        candidates = ink_candidates(pieces, ink)
        kept = []
        for c in candidates:
            picture = ink_to_input(c.ink)
            if picture is None:
                continue
            kept.append(c)
            pictures.append(picture)
            owners_here = piece_owner[c.start : c.stop]
            one = (
                bool(np.all(owners_here == owners_here[0]))
                and owners_here[0] != MARK
                and sizes[owners_here[0]] == len(owners_here)
            )
            columns["one_digit"].append(one)
            columns["label"].append(labels[owners_here[0]] if one else -1)
            columns["mark"].append(bool(np.all(owners_here == MARK)))
            columns["ink_index"].append(ink_index)
            columns["start"].append(c.start)
            columns["stop"].append(c.stop)
        columns["geometry"].append(candidate_geometry(kept, pieces))
    probabilities, features = predict_with_required_features(predictor, np.stack(pictures))
    table = {k: np.asarray(v) for k, v in columns.items() if k != "geometry"}
    table["geometry"] = np.concatenate(columns["geometry"])
    table["probabilities"], table["features"] = probabilities, features
    return table


def picture_scale(rng: np.random.Generator) -> tuple[float, float]:
    """A scan's scale (pixels per ink unit) and pen width (pixels), drawn from
    :data:`DPI` and :data:`PEN_MM`."""
    scale = rng.uniform(*DPI) / 25.4 / UNITS_PER_MM
    pen = rng.uniform(*PEN_MM) * UNITS_PER_MM * scale
    return scale, pen


def picture_size(ink: Ink, scale: float, pen: float) -> tuple[int, int]:
    """The size (width, height) of the picture of ``ink`` on its canvas at ``scale``."""
    _, _, x1, y1 = ink.bounds() or (0.0, 0.0, 0.0, 0.0)
    width = max(ink.width or 0.0, x1) * scale + pen
    height = max(ink.height or 0.0, y1) * scale + pen
    return int(np.ceil(width)) + 2, int(np.ceil(height)) + 2


def picture_coverage(ink: Ink, scale: float, pen: float, size=None) -> np.ndarray:
    """The coverage (0..1) of ``ink`` drawn at ``scale`` with a ``pen`` pixels wide."""
    size = size or picture_size(ink, scale, pen)
    return rasterize(ink, size, pen_width=pen, scale=scale, offset=(1.0, 1.0))


def picture_of(ink: Ink, rng: np.random.Generator) -> np.ndarray:
    """``ink`` on its canvas as a scanned picture (:func:`picture_scale`): dark ink on
    white, uint8, drawn with digitpad's one rasterizer."""
    return _dark_on_white(picture_coverage(ink, *picture_scale(rng)))


def _dark_on_white(coverage: np.ndarray) -> np.ndarray:
    """Coverage (0..1) as a uint8 picture of dark ink on white paper."""
    return np.round(255 - coverage * 255).astype(np.uint8)


def _reduced(coverage: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``coverage`` box-filtered down to ``shape`` (as a large picture is, by a whole factor)."""
    if coverage.shape == shape:
        return coverage
    factor = -(-coverage.shape[0] // shape[0])
    padded = np.zeros((shape[0] * factor, shape[1] * factor), np.float32)
    h, w = min(coverage.shape[0], padded.shape[0]), min(coverage.shape[1], padded.shape[1])
    padded[:h, :w] = coverage[:h, :w]
    return padded.reshape(shape[0], factor, shape[1], factor).mean(axis=(1, 3))


def picture_candidate_table(
    inks: list[tuple[Ink, list[np.ndarray], list[int]]],
    predictor: Predictor,
    rng: np.random.Generator,
    wide_blob: float = WIDE_BLOB,
) -> dict[str, np.ndarray]:
    """:func:`candidate_table` of the inks drawn as pictures (:func:`picture_of`), cut
    as the recognizer cuts a picture (:func:`~digitpad.segment.picture_pieces`,
    :func:`~digitpad.segment.picture_candidates`); only pictures it searches (of two
    pieces or more) give candidates.

    Each digit's strokes are drawn alone on the same canvas, which tells how much of
    each digit's ink a candidate holds: it is exactly one digit when at least
    :data:`PICTURE_PURITY` of its ink is one digit's and it holds at least
    :data:`PICTURE_WHOLENESS` of that digit's ink, and a mark when at least
    :data:`PICTURE_PURITY` of its ink is marks'. Blobs wider than ``wide_blob``
    times the writing's height are cut.
    """
    columns: dict[str, list] = defaultdict(list)
    pictures = []
    for ink_index, (ink, owners, labels) in enumerate(inks):
        cut = picture_candidates_of(ink, owners, labels, *picture_scale(rng), wide_blob)
        if cut is None:
            continue
        kept, inputs, one_digit, digit, mark, geometry = cut
        pictures += inputs
        columns["one_digit"] += one_digit
        columns["label"] += digit
        columns["mark"] += mark
        columns["ink_index"] += [ink_index] * len(kept)
        columns["start"] += [c.start for c in kept]
        columns["stop"] += [c.stop for c in kept]
        columns["geometry"].append(geometry)
    probabilities, features = predict_with_required_features(
        predictor, np.stack(pictures), "picture"
    )
    table = {k: np.asarray(v) for k, v in columns.items() if k != "geometry"}
    table["geometry"] = np.concatenate(columns["geometry"])
    table["probabilities"], table["features"] = probabilities, features
    return table


def picture_candidates_of(
    ink: Ink, owners: list[np.ndarray], labels: list[int], scale, pen, wide_blob=WIDE_BLOB
):
    """The candidates of ``ink`` drawn as a picture at ``scale`` with a ``pen`` pixels wide
    (:func:`picture_coverage`), its blobs wider than ``wide_blob`` times the writing's
    height cut, labelled as :func:`picture_candidate_table` says.

    Returns None for a picture that is not searched (blank, one piece, too many),
    else ``(candidates, their model inputs, one_digit, label, mark, geometry)``.
    """
    size = picture_size(ink, scale, pen)
    image = _dark_on_white(picture_coverage(ink, scale, pen, size))
    coverage = ink_coverage(image)
    if coverage is None:
        return None
    pieces = picture_pieces(coverage, wide_blob)
    if pieces is None or pieces.count < 2:
        return None
    # Each digit's ink, and last that of the marks (which are no digit's).
    own = np.zeros((len(labels) + 1, *coverage.shape), np.float32)
    for k, owner in enumerate([*range(len(labels)), MARK]):
        strokes = [s[o == owner] for s, o in zip(ink.strokes, owners, strict=True)]
        strokes = [s for s in strokes if len(s)]
        if strokes:
            digit = Ink(strokes, ink.width, ink.height)
            own[k] = _reduced(picture_coverage(digit, scale, pen, size), coverage.shape)
    totals = own.reshape(len(own), -1).sum(axis=1)
    kept, inputs, one_digit, digit_labels, marks = [], [], [], [], []
    for c in picture_candidates(pieces, coverage):
        picture = coverage_to_input(c.segment.coverage)
        if picture is None:
            continue
        if c.start == 0 and c.stop == pieces.count:
            held = totals
        else:
            inside = np.isin(pieces.labels, np.arange(c.start + 1, c.stop + 1))
            if pieces.factor > 1:
                inside = np.repeat(np.repeat(inside, pieces.factor, 0), pieces.factor, 1)
            held = own[:, inside[: coverage.shape[0], : coverage.shape[1]]].sum(axis=1)
        main = int(held[:-1].argmax())
        pure = PICTURE_PURITY * max(held.sum(), 1e-9)
        one = bool(held[main] >= pure and held[main] >= PICTURE_WHOLENESS * totals[main])
        kept.append(c)
        inputs.append(picture)
        one_digit.append(one)
        digit_labels.append(labels[main] if one else -1)
        marks.append(bool(held[-1] >= pure))
    if not kept:
        return None
    return kept, inputs, one_digit, digit_labels, marks, picture_geometry(kept, pieces)


#: Lengths of the numbers written for training; isolated digits (1) twice as often.
LENGTHS = (1, 1, 2, 3, 4, 5, 6)


def make_inks(
    writers, count: int, rng, lengths=LENGTHS, styled: float = STYLED, marks: float = MARKS
):
    """``count`` numbers, each of one writer's digits; a length of 1 is an isolated digit.

    A digit that has writing styles is written in one of them with chance ``styled``;
    a number of two digits or more has marks that are no digit with chance ``marks``
    (:func:`write_number`). An isolated digit has none: with a stray dot, the
    whole ink of a digit and a small stroke of its own (the bar of a 5) would be
    taught as no digit, and isolated digits split more often
    (benchmarks/split_folds.py, docs/benchmarks.md)."""
    names = sorted(w for w, digits in writers.items() if len(digits) >= 2)
    inks = []
    for _ in range(count):
        pool = writers[names[rng.integers(len(names))]]
        length = int(rng.choice(lengths))
        chosen = [pool[i] for i in rng.integers(len(pool), size=length)]
        if styled:
            chosen = [restyled(d, rng) if rng.random() < styled else d for d in chosen]
        if length == 1:
            ink = chosen[0].ink
            inks.append((ink, [np.zeros(len(s), int) for s in ink.strokes], [chosen[0].label]))
        else:
            ink, owners = write_number(chosen, rng, marks=marks)
            inks.append((ink, owners, [d.label for d in chosen]))
    return inks


def restyled(digit: WrittenDigit, rng) -> WrittenDigit:
    """The digit in one of its writing styles, drawn at random; itself if it has none."""
    made = random_style(digit.ink, digit.label, rng)
    return digit if made is None or made[1].is_empty else WrittenDigit(digit.label, made[1])


def train_number_model(table, rng, hidden: int = 64, epochs: int = 30, batch: int = 256):
    """Fit the reject output to a :func:`candidate_table` (numpy, Adam, cross-entropy),
    and the mark output too when any candidate of the table is a mark.

    Returns the arrays for :func:`~digitpad.number_model.save_number_model`.
    """
    rows = NumberModel.inputs(table["features"], table["probabilities"], table["geometry"])
    targets = [table["one_digit"]]
    if table["mark"].any():
        targets.append(table["mark"])
    target = np.column_stack(targets).astype(np.float32)
    mean = rows.mean(axis=0)
    scale = 1 / (rows.std(axis=0) + 1e-3)
    x = (rows - mean) * scale
    params = {
        "w1": rng.normal(0, np.sqrt(2 / x.shape[1]), (x.shape[1], hidden)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": rng.normal(0, np.sqrt(1 / hidden), (hidden, len(targets))).astype(np.float32),
        "b2": np.zeros(len(targets), np.float32),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    step, rate, decay = 0, 1e-3, 1e-4
    for _ in range(epochs):
        for chunk in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
            xb, yb = x[chunk], target[chunk]
            h = np.maximum(xb @ params["w1"] + params["b1"], 0)
            logit = h @ params["w2"] + params["b2"]
            g = (1 / (1 + np.exp(-logit)) - yb) / len(chunk)
            grads = {"w2": h.T @ g, "b2": g.sum(axis=0)}
            gh = (g @ params["w2"].T) * (h > 0)
            grads["w1"], grads["b1"] = xb.T @ gh, gh.sum(axis=0)
            step += 1
            for k, grad in grads.items():
                if k.startswith("w"):
                    grad = grad + decay * params[k]
                m, v = moments[k]
                m *= 0.9
                m += 0.1 * grad
                v *= 0.999
                v += 0.001 * grad**2
                m_hat, v_hat = m / (1 - 0.9**step), v / (1 - 0.999**step)
                params[k] -= (rate * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)
    return {"mean": mean, "scale": scale, **params}


def averaged_networks(networks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One network whose outputs are the mean of the outputs of ``networks`` (arrays of
    :func:`train_number_model`): their hidden units side by side, each network's
    input scaling folded into its first layer."""
    first = [n["w1"] * n["scale"][:, None] for n in networks]
    shifts = [n["b1"] - (n["mean"] * n["scale"]) @ n["w1"] for n in networks]
    width = len(networks[0]["mean"])
    return {
        "mean": np.zeros(width, np.float32),
        "scale": np.ones(width, np.float32),
        "w1": np.concatenate(first, axis=1).astype(np.float32),
        "b1": np.concatenate(shifts).astype(np.float32),
        "w2": (np.concatenate([n["w2"] for n in networks]) / len(networks)).astype(np.float32),
        "b2": np.mean([n["b2"] for n in networks], axis=0).astype(np.float32),
    }


def export_number_model(
    tflite_path: Path,
    out: Path,
    *,
    unipen: Path | None,
    pendigits: Path | None,
    card: Path | None = None,
    exclude_sources=(),
    hold_out_writers: bool = False,
    numbers: int = NUMBERS_WRITTEN,
    styled: float = STYLED,
    marks: float = MARKS,
    digit_bonus: float = DIGIT_BONUS,
    mark_penalty: float = MARK_PENALTY,
    whole_bonus: float = WHOLE_BONUS,
    group_bonus: float = GROUP_BONUS,
    seed: int = SEED,
    kind: str = "ink",
    wide_blob: float = PICTURE_WIDE_BLOB,
    ensemble: int = ENSEMBLE,
) -> Path:
    """Train the number model of the classifier ``tflite_path`` and write it to ``out``
    (kept with the classifier file's SHA-256); record it in ``card`` when given.

    It is the average of ``ensemble`` networks, each trained on numbers of its own
    (seeds ``seed``, ``seed + 1``, ...), as one network (:func:`averaged_networks`).

    ``kind`` "picture": on the candidates of the numbers drawn as pictures
    (:func:`picture_candidate_table`, blobs wider than ``wide_blob`` times the
    writing's height cut, which pictures read with it are cut as), recorded as the
    card's ``number_model`` ``picture`` entry."""
    excluded = set(exclude_sources)
    writers = writers_digits(
        unipen, pendigits, exclude_sources=excluded, hold_out_writers=hold_out_writers
    )
    predictor = Predictor(tflite_path)
    networks, labels = [], []
    for member in range(ensemble):
        rng = np.random.default_rng(seed + member)
        inks = make_inks(writers, numbers, rng, styled=styled, marks=marks)
        if kind == "picture":
            table = picture_candidate_table(inks, predictor, rng, wide_blob)
        else:
            table = candidate_table(inks, predictor)
        networks.append(train_number_model(table, rng))
        labels.append({name: table[name] for name in ("one_digit", "mark")})
    params = networks[0] if ensemble == 1 else averaged_networks(networks)
    # What the card says of the candidates, over all the networks' numbers.
    table = {name: np.concatenate([t[name] for t in labels]) for name in ("one_digit", "mark")}
    save_number_model(
        out,
        **params,
        digit_bonus=digit_bonus,
        mark_penalty=mark_penalty,
        whole_bonus=whole_bonus,
        group_bonus=group_bonus,
        model_sha256=model_digest(tflite_path),
        wide_blob=wide_blob if kind == "picture" else None,
    )
    if card is not None:
        data = json.loads(card.read_text())
        entry: dict = {
            "file": out.name,
            "what": number_model_about(params["w2"].shape[1] == 2),
            "trained_on": {
                "networks": ensemble,
                "numbers_written": numbers,
                "candidates": int(len(table["one_digit"])),
                "one_digit": round(float(table["one_digit"].mean()), 4),
                "marks": round(float(table["mark"].mean()), 4),
                "writers": len(writers),
                "unipen": unipen.name if unipen else None,
                "excluded_sources": sorted(excluded),
                "pendigits": pendigits.name if pendigits else None,
                "pendigits_writers_held_out": hold_out_writers,
            },
            "digit_bonus": digit_bonus,
            "mark_penalty": mark_penalty,
            "whole_bonus": whole_bonus,
            "group_bonus": group_bonus,
            "synthesis": {
                "gap": GAP,
                "slant": SLANT,
                "join": JOIN,
                "late_stroke": LATE_STROKE,
                "styled": styled,
                "marks": marks,
            },
            "seed": seed,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if kind == "picture":
            entry["what"] += ", of the candidates of pictures (blobs of ink and their cuts)"
            entry["trained_on"]["pictures"] = {
                "dpi": DPI,
                "pen_mm": PEN_MM,
                "one_digit": f"at least {PICTURE_PURITY:.0%} of its ink one digit's, and at "
                f"least {PICTURE_WHOLENESS:.0%} of that digit's ink",
            }
            entry["wide_blob"] = wide_blob
            data.setdefault("number_model", {})["picture"] = entry
        else:
            entry["picture"] = (data.get("number_model") or {}).get("picture")
            data["number_model"] = {k: v for k, v in entry.items() if v is not None}
        card.write_text(json.dumps(data, indent=2) + "\n")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unipen", type=Path, help="UNIPEN JSON lines (unipen-dev.jsonl)")
    parser.add_argument("--pendigits", type=Path, help="pendigits UNIPEN file")
    parser.add_argument("--exclude-sources", default="", help="comma-separated UNIPEN sources")
    parser.add_argument(
        "--hold-out-writers",
        action="store_true",
        help="without the pendigits writers 3, 6, ..., 30 (as train_model.py --hold-out-writers)",
    )
    parser.add_argument("--model", type=Path, default=bundled_model_path(), help="the classifier")
    parser.add_argument("--numbers", type=int, default=NUMBERS_WRITTEN, help="numbers to write")
    parser.add_argument(
        "--styled",
        type=float,
        default=STYLED,
        help="chance that a digit is written in one of its writing styles",
    )
    parser.add_argument(
        "--marks",
        type=float,
        default=MARKS,
        help="chance that a number has marks that are no digit (separators, a stray dot)",
    )
    parser.add_argument(
        "--picture",
        action="store_true",
        help="the number model of pictures' candidates (the numbers drawn as pictures)",
    )
    parser.add_argument(
        "--wide-blob",
        type=float,
        default=PICTURE_WIDE_BLOB,
        help="with --picture: how wide a blob is cut, times the writing's height",
    )
    parser.add_argument("--digit-bonus", type=float)
    parser.add_argument("--mark-penalty", type=float)
    parser.add_argument("--whole-bonus", type=float)
    parser.add_argument("--group-bonus", type=float)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--ensemble", type=int, default=ENSEMBLE, help="networks averaged, each its own numbers"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--card", type=Path, help="a model card to record the number model in")
    args = parser.parse_args(argv)
    kind = "picture" if args.picture else "ink"
    defaults = (
        (PICTURE_DIGIT_BONUS, PICTURE_MARK_PENALTY, PICTURE_WHOLE_BONUS, PICTURE_GROUP_BONUS)
        if args.picture
        else (DIGIT_BONUS, MARK_PENALTY, WHOLE_BONUS, GROUP_BONUS)
    )
    given = (args.digit_bonus, args.mark_penalty, args.whole_bonus, args.group_bonus)
    digit_bonus, mark_penalty, whole_bonus, group_bonus = (
        d if g is None else g for g, d in zip(given, defaults, strict=True)
    )
    export_number_model(
        args.model,
        args.out,
        unipen=args.unipen,
        pendigits=args.pendigits,
        card=args.card,
        exclude_sources=[s for s in args.exclude_sources.split(",") if s],
        hold_out_writers=args.hold_out_writers,
        numbers=args.numbers,
        styled=args.styled,
        marks=args.marks,
        digit_bonus=digit_bonus,
        mark_penalty=mark_penalty,
        whole_bonus=whole_bonus,
        group_bonus=group_bonus,
        seed=args.seed,
        kind=kind,
        wide_blob=args.wide_blob,
        ensemble=args.ensemble,
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

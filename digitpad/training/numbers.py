"""Numbers written as people write them, made of isolated pen digits, and the number model.

:func:`write_number` sets one writer's digits left to right as a person writes
a number: overlapping or apart, slanted, on a drifting baseline, changing size
along the number, now and then a stroke added late (the bar of a 5 after the
next digit). :func:`candidate_table` cuts every candidate digit out of such
numbers, as the recognizer does, and labels it one digit or not;
:func:`train_number_model` fits the reject output (:mod:`digitpad.number_model`)
to them.

    python -m digitpad.training.numbers --unipen ../shared/data/unipen-dev.jsonl \\
        --pendigits ../shared/data/pendigits-train.unipen \\
        --out resources/number-model.npz --card resources/model-card.json

writes its arrays; ``python -m digitpad.training.export ... --number-model``
puts it in the classifier's ``.tflite`` (:mod:`digitpad.training.export`).
``train_model.py --unipen FILE`` does both for the model it trains.
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

from ..ink import Ink
from ..number_model import NumberModel, save_number_model
from ..pendigits import read_unipen, read_unipen_jsonl
from ..personal import model_digest
from ..predictor import Predictor, bundled_model_path, predict_with_required_features
from ..preprocess import ink_to_input
from ..segment import candidate_geometry, ink_candidates, ink_pieces

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
#: The search's weights (:mod:`digitpad.number_model`), chosen with a classifier and
#: number model trained without sources sta, hpp, hpb, tos and imp: the most numbers of
#: every other writer of source ``sta`` read right (benchmarks/number_reading.py --part
#: tune), then the fewest isolated digits of sources ``tos`` and ``imp`` split in several
#: (docs/benchmarks.md, "Numbers by recognition").
DIGIT_BONUS, MARK_PENALTY, WHOLE_BONUS = 1.0, -4.0, 1.0
#: Numbers written to train the number model.
NUMBERS_WRITTEN = 6000


@dataclass
class WrittenDigit:
    label: int
    ink: Ink


def writers_digits(
    unipen: Path | None, pendigits: Path | None, sources=None, exclude_sources=()
) -> dict[str, list[WrittenDigit]]:
    """Isolated digits by writer: UNIPEN JSON lines (of ``sources``, or all but
    ``exclude_sources``) and the pendigits file (its writers as ``pendigits/N``)."""
    writers: dict[str, list[WrittenDigit]] = defaultdict(list)
    if unipen is not None:
        for item in read_unipen_jsonl(unipen, kinds=("digit",)):
            if (sources is None or item.source in sources) and item.source not in exclude_sources:
                writers[item.writer].append(WrittenDigit(int(item.label), item.ink))
    if pendigits is not None:
        for digit in read_unipen(pendigits):
            writers[f"pendigits/{digit.writer}"].append(WrittenDigit(digit.label, digit.ink))
    return dict(writers)


def write_number(
    digits: list[WrittenDigit], rng: np.random.Generator
) -> tuple[Ink, list[np.ndarray]]:
    """One number of the given digits; returns the ink and, per stroke, each point's digit."""
    bounds = np.array([d.ink.bounds() for d in digits])
    height = float(np.median(bounds[:, 3] - bounds[:, 1]))
    slant = np.tan(rng.uniform(*SLANT))
    drift = rng.uniform(-DRIFT, DRIFT) * height
    size = 1.0
    placed: list[list[np.ndarray]] = []
    right = 0.0
    for k, (digit, (x0, _, _, y1)) in enumerate(zip(digits, bounds, strict=True)):
        size *= 1 + rng.uniform(-SIZE_DRIFT, SIZE_DRIFT)
        baseline = k * drift + rng.uniform(-JITTER, JITTER) * height
        gap = 0.0 if k == 0 else rng.uniform(*GAP) * height
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
        if order and k > 0 and late is None and rng.random() < JOIN:
            order[-1] = np.concatenate([order[-1], strokes.pop(0)])
        order += strokes
        if late is not None:
            order.append(late)
            late = None
        if len(strokes) >= 2 and k + 1 < len(placed) and rng.random() < LATE_STROKE:
            late = order.pop()
    if late is not None:
        order.append(late)
    xy = np.concatenate(order)[:, :2]
    shift = np.array([*(xy.min(axis=0) - 0.15 * height), 0.0])
    strokes = [s - shift for s in order]
    extent = np.concatenate(strokes)[:, :2].max(axis=0) + 0.15 * height
    ink = Ink([s[:, :2] for s in strokes], float(extent[0]), float(extent[1]))
    return ink, [s[:, 2].astype(int) for s in strokes]


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
    -1), ``ink_index``, ``start``, ``stop``.
    """
    columns = defaultdict(list)
    pictures = []
    for ink_index, (ink, owners, labels) in enumerate(inks):
        owned = _owned(ink, owners)
        pieces = ink_pieces(owned)
        piece_owner = np.array([np.bincount(p[:, 2].astype(int)).argmax() for p in pieces])
        pieces = [p[:, :2] for p in pieces]
        sizes = np.bincount(piece_owner, minlength=len(labels))
        candidates = ink_candidates(pieces, ink)
        kept = []
        for c in candidates:
            picture = ink_to_input(c.ink)
            if picture is None:
                continue
            kept.append(c)
            pictures.append(picture)
            owners_here = piece_owner[c.start : c.stop]
            one = bool(np.all(owners_here == owners_here[0])) and (
                sizes[owners_here[0]] == len(owners_here)
            )
            columns["one_digit"].append(one)
            columns["label"].append(labels[owners_here[0]] if one else -1)
            columns["ink_index"].append(ink_index)
            columns["start"].append(c.start)
            columns["stop"].append(c.stop)
        columns["geometry"].append(candidate_geometry(kept, pieces))
    probabilities, features = predict_with_required_features(predictor, np.stack(pictures))
    table = {k: np.asarray(v) for k, v in columns.items() if k != "geometry"}
    table["geometry"] = np.concatenate(columns["geometry"])
    table["probabilities"], table["features"] = probabilities, features
    return table


#: Lengths of the numbers written for training; isolated digits (1) twice as often.
LENGTHS = (1, 1, 2, 3, 4, 5, 6)


def make_inks(writers, count: int, rng, lengths=LENGTHS):
    """``count`` numbers, each of one writer's digits; a length of 1 is an isolated digit."""
    names = sorted(w for w, digits in writers.items() if len(digits) >= 2)
    inks = []
    for _ in range(count):
        pool = writers[names[rng.integers(len(names))]]
        length = int(rng.choice(lengths))
        chosen = [pool[i] for i in rng.integers(len(pool), size=length)]
        if length == 1:
            ink = chosen[0].ink
            inks.append((ink, [np.zeros(len(s), int) for s in ink.strokes], [chosen[0].label]))
        else:
            ink, owners = write_number(chosen, rng)
            inks.append((ink, owners, [d.label for d in chosen]))
    return inks


def train_number_model(table, rng, hidden: int = 64, epochs: int = 30, batch: int = 256):
    """Fit the reject output to a :func:`candidate_table` (numpy, Adam, cross-entropy).

    Returns the arrays for :func:`~digitpad.number_model.save_number_model`.
    """
    rows = NumberModel.inputs(table["features"], table["probabilities"], table["geometry"])
    target = table["one_digit"].astype(np.float32)
    mean = rows.mean(axis=0)
    scale = 1 / (rows.std(axis=0) + 1e-3)
    x = (rows - mean) * scale
    params = {
        "w1": rng.normal(0, np.sqrt(2 / x.shape[1]), (x.shape[1], hidden)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": rng.normal(0, np.sqrt(1 / hidden), (hidden, 1)).astype(np.float32),
        "b2": np.zeros(1, np.float32),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    step, rate, decay = 0, 1e-3, 1e-4
    for _ in range(epochs):
        for chunk in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
            xb, yb = x[chunk], target[chunk]
            h = np.maximum(xb @ params["w1"] + params["b1"], 0)
            logit = (h @ params["w2"] + params["b2"]).reshape(-1)
            g = (1 / (1 + np.exp(-logit)) - yb)[:, None] / len(chunk)
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


def export_number_model(
    tflite_path: Path,
    out: Path,
    *,
    unipen: Path | None,
    pendigits: Path | None,
    card: Path | None = None,
    exclude_sources=(),
    numbers: int = NUMBERS_WRITTEN,
    digit_bonus: float = DIGIT_BONUS,
    mark_penalty: float = MARK_PENALTY,
    whole_bonus: float = WHOLE_BONUS,
    seed: int = 0,
) -> Path:
    """Train the number model of the classifier ``tflite_path`` and write it to ``out``
    (kept with the classifier file's SHA-256); record it in ``card`` when given."""
    excluded = set(exclude_sources)
    writers = writers_digits(unipen, pendigits, exclude_sources=excluded)
    rng = np.random.default_rng(seed)
    table = candidate_table(make_inks(writers, numbers, rng), Predictor(tflite_path))
    params = train_number_model(table, rng)
    save_number_model(
        out,
        **params,
        digit_bonus=digit_bonus,
        mark_penalty=mark_penalty,
        whole_bonus=whole_bonus,
        model_sha256=model_digest(tflite_path),
    )
    if card is not None:
        data = json.loads(card.read_text())
        data["number_model"] = {
            "file": out.name,
            "what": "reject output: P(a candidate is exactly one digit), from the classifier's "
            "features and probabilities and the candidate's geometry",
            "trained_on": {
                "numbers_written": numbers,
                "candidates": int(len(table["one_digit"])),
                "one_digit": round(float(table["one_digit"].mean()), 4),
                "writers": len(writers),
                "unipen": unipen.name if unipen else None,
                "excluded_sources": sorted(excluded),
                "pendigits": pendigits.name if pendigits else None,
            },
            "digit_bonus": digit_bonus,
            "mark_penalty": mark_penalty,
            "whole_bonus": whole_bonus,
            "synthesis": {"gap": GAP, "slant": SLANT, "join": JOIN, "late_stroke": LATE_STROKE},
            "seed": seed,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        card.write_text(json.dumps(data, indent=2) + "\n")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unipen", type=Path, help="UNIPEN JSON lines (unipen-dev.jsonl)")
    parser.add_argument("--pendigits", type=Path, help="pendigits UNIPEN file")
    parser.add_argument("--exclude-sources", default="", help="comma-separated UNIPEN sources")
    parser.add_argument("--model", type=Path, default=bundled_model_path(), help="the classifier")
    parser.add_argument("--numbers", type=int, default=NUMBERS_WRITTEN, help="numbers to write")
    parser.add_argument("--digit-bonus", type=float, default=DIGIT_BONUS)
    parser.add_argument("--mark-penalty", type=float, default=MARK_PENALTY)
    parser.add_argument("--whole-bonus", type=float, default=WHOLE_BONUS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--card", type=Path, help="a model card to record the number model in")
    args = parser.parse_args(argv)
    export_number_model(
        args.model,
        args.out,
        unipen=args.unipen,
        pendigits=args.pendigits,
        card=args.card,
        exclude_sources=[s for s in args.exclude_sources.split(",") if s],
        numbers=args.numbers,
        digit_bonus=args.digit_bonus,
        mark_penalty=args.mark_penalty,
        whole_bonus=args.whole_bonus,
        seed=args.seed,
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

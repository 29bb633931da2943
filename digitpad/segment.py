"""Split a written number into its digits, left to right.

Ink is read by recognition (:func:`ink_candidates`, :func:`search`): its
strokes, in writing order, are the pieces; every run of up to
:data:`MAX_PIECES_PER_DIGIT` consecutive pieces is a candidate digit; the
recognizer scores each candidate (how likely it is one digit, and which) and
:func:`search` finds the best readings, a partition of the pieces into digits
and marks that are not digits. A stroke written late, such as the bar of a 5
added after the next digit, is moved back beside the strokes it belongs with
(:func:`ink_pieces`).

Pictures are read by recognition the same way (:func:`picture_pieces`,
:func:`picture_candidates`): their pieces are the connected blobs of ink, a
blob much wider than the writing's height cut where the least ink joins its
parts (:func:`ink_cuts`), ordered left to right by their horizontal centres.
A cut runs from the blob's top to its bottom and follows the ink: it crosses
one stroke, or the point where two digits touch, and bends around the rest,
so a piece is not a band of columns: a loop that reaches under or beside the
digit before stays with its own digit.

Pictures and inks too large to search (:data:`MAX_SEARCH_PIECES`), or read
without a number model, are split by connected blobs of ink or by their
strokes; those pieces are grouped by the rule of :func:`group_pieces`, which
looks only at the pieces' bounding boxes:

* pieces whose horizontal extents overlap by at least :data:`OVERLAP` of the
  narrower one's width are one digit (the bar of a 5 or 7, the cross stroke of
  a 4, a dot on a stroke);
* pieces that (nearly) touch (:data:`NEAR_GAP`) are one digit unless they
  stand side by side like two digits, spanning (nearly) the same rows
  (:data:`SIDE_BY_SIDE`): this keeps the lowered second stroke of a 4 or a
  5's bar drawn beside the body with their digit, and a tight "11" apart;
* pieces one above the other are one digit when not far apart
  (:data:`STACKED_GAP`): a 5 whose bar came off the body;
* a piece that hangs from the top of a narrow, taller piece just right of it
  (:data:`HANGING_GAP`, :data:`HANGING_DROP`, :data:`STEM_WIDTH`) is one digit
  with it: the "L" of an open-top 4 beside its stem, with a gap between them.
  Digits of a number share a baseline, so they never hang like this;
* pieces tiny next to the tallest one (:data:`SPECK`), and blobs of an image
  with little ink next to the heaviest one (:data:`FAINT`), are specks (a
  dot, dust, a dashed scanner line, a stray pen mark): they take no part in
  the grouping, then join the digit whose width they lie in or are dropped.

When there is one digit, the one segment holds the whole input, specks and
all (the same :class:`Ink`, or the whole coverage map), so single digits are
recognized exactly as before segmentation existed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .ink import Ink

__all__ = [
    "Candidate",
    "ImageSegment",
    "InkSegment",
    "PictureCandidate",
    "PicturePieces",
    "Reading",
    "blobs_grouped_as_one",
    "candidate_geometry",
    "cheapest_cuts",
    "crossing_pieces",
    "group_pieces",
    "ink_candidates",
    "ink_cuts",
    "ink_pieces",
    "picture_candidates",
    "picture_geometry",
    "picture_pieces",
    "search",
    "segment_coverage",
    "segment_ink",
    "thin_columns",
]

#: Horizontal overlap, as a fraction of the narrower piece's width, that makes
#: two pieces one digit.
OVERLAP = 0.3
#: Pieces at most this far apart horizontally, as a fraction of the taller
#: one's height, are one digit...
NEAR_GAP = 0.1
#: ...unless they stand side by side like two digits: their vertical extents
#: overlap by at least this fraction of the taller one's height.
SIDE_BY_SIDE = 0.8
#: Pieces one entirely above the other are one digit (the digits of a number
#: stand side by side) when at most this far apart horizontally, as a
#: fraction of the taller one's height.
STACKED_GAP = 0.3
#: A piece at most this far left of a narrow, taller piece (times the taller
#: one's height)...
HANGING_GAP = 0.25
#: ...whose bottom is at least this far above that piece's bottom (times its
#: height), while their rows overlap, hangs from it: they are one digit.
HANGING_DROP = 0.2
#: A piece at most this wide (times its height) is narrow: a stem.
STEM_WIDTH = 0.35
#: A piece whose larger side is below this fraction of the tallest piece's
#: height is a speck, not part of a digit.
SPECK = 0.2
#: A blob of an image with less ink (summed coverage) than this fraction of
#: the heaviest blob's is a speck. A "1" beside a bold "0" carries about a
#: third of its ink; a stray pen mark a few hundredths.
FAINT = 0.1
#: Images are labelled at most this many pixels on their larger side (the
#: labelling is a Python loop over pixel runs, so its cost must be bounded).
LABEL_SIDE = 512

#: A candidate digit is at most this many consecutive pieces (strokes).
MAX_PIECES_PER_DIGIT = 4
#: Ink of more pieces than this is not searched: its strokes are grouped by
#: :func:`group_pieces`, which costs O(n), so that a drawing of 10,000 strokes
#: still reads in bounded time.
MAX_SEARCH_PIECES = 160
#: :func:`search` keeps this many partial readings at each piece.
BEAM = 12
#: ...and extends each by this many of a candidate's most likely digits.
CLASSES_PER_CANDIDATE = 3

#: Where a digit is: ``(x0, y0, x1, y1)`` in the input's coordinates.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Candidate:
    """Pieces ``start`` to ``stop`` (exclusive) taken as one digit: their ink and box."""

    start: int
    stop: int
    ink: Ink
    box: Box


@dataclass(frozen=True)
class Reading:
    """One way to read the pieces: ``digits`` are ``(candidate index, digit)``, left to
    right; ``marks`` are the pieces read as no digit; ``score`` its log-likelihood."""

    score: float
    digits: tuple[tuple[int, int], ...]
    marks: tuple[int, ...]


@dataclass(frozen=True)
class InkSegment:
    """The strokes of one digit and their bounding box ``(x0, y0, x1, y1)``."""

    ink: Ink
    box: Box


@dataclass(frozen=True)
class ImageSegment:
    """One digit's ink coverage, cropped to its box ``(x0, y0, x1, y1)``.

    The box is in pixel edges of the input image (``x1`` and ``y1`` are
    exclusive, so ``image.crop(box)`` cuts the digit out); pixels of other
    digits inside the box are zero.
    """

    coverage: np.ndarray
    box: tuple[int, int, int, int]


def group_pieces(boxes: np.ndarray, mass: np.ndarray | None = None) -> list[np.ndarray]:
    """Group pieces of ink into digits by their bounding boxes.

    Parameters
    ----------
    boxes : array_like, shape (n, 4)
        ``(x0, y0, x1, y1)`` of each piece.
    mass : array_like, shape (n,), optional
        The amount of ink of each piece; pieces under :data:`FAINT` of the
        heaviest are specks.

    Returns
    -------
    list of ndarray of int
        The indices of the pieces of each digit, sorted; the digits ordered
        left to right. Specks, pieces tiny next to the tallest one
        (:data:`SPECK`, :data:`FAINT`), join the digit whose width they lie in,
        or are left out.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    speck = _specks(boxes, mass)
    kept = np.flatnonzero(~speck)
    pieces = [([int(i)], boxes[i]) for i in kept[np.argsort(boxes[kept, 0], kind="stable")]]
    # Overlap is strong evidence and closeness weak: joining what overlaps
    # first judges a piece by its whole digit, so the separate flag of a "1"
    # written close after another digit joins its own stem, not that digit.
    groups = _sweep(_sweep(pieces, _overlapping), _same_digit)
    # A speck within a digit's width (the dot some write at the end of a 9)
    # stays with it; one between digits is dropped.
    lefts = np.array([box[0] for _, box in groups])
    rights = np.array([box[2] for _, box in groups])
    for i in np.flatnonzero(speck):
        centre = (boxes[i, 0] + boxes[i, 2]) / 2
        inside = np.flatnonzero((lefts <= centre) & (centre <= rights))
        if len(inside):
            groups[inside[0]][0].append(int(i))
    return [np.sort(members) for members, _ in groups]


def _specks(boxes: np.ndarray, mass=None) -> np.ndarray:
    """Which pieces are specks: tiny next to the tallest one (:data:`SPECK`), or with
    little ink next to the heaviest one (:data:`FAINT`)."""
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    speck = np.maximum(widths, heights) < SPECK * heights.max(initial=0.0)
    if mass is not None:
        mass = np.asarray(mass, dtype=np.float64)
        speck |= mass < FAINT * mass.max(initial=0.0)
    return speck


def _sweep(
    pieces: list[tuple[list[int], np.ndarray]],
    belong_together: Callable[[np.ndarray, np.ndarray], bool],
) -> list[tuple[list[int], np.ndarray]]:
    """Merge pieces (sorted by left edge) left to right while ``belong_together`` says so.

    Each piece is merged with the group to its left for as long as the rule
    holds, which keeps the cost at O(n) for inks with very many strokes; the
    groups come out sorted by left edge too.
    """
    groups: list[tuple[list[int], np.ndarray]] = []
    for members, box in pieces:
        while groups and belong_together(groups[-1][1], box):
            left_members, left_box = groups.pop()
            members = left_members + members
            box = np.concatenate(
                [np.minimum(left_box[:2], box[:2]), np.maximum(left_box[2:], box[2:])]
            )
        groups.append((members, box))
    return groups


def _overlapping(left: np.ndarray, right: np.ndarray) -> bool:
    overlap = min(left[2], right[2]) - max(left[0], right[0])
    narrower = min(left[2] - left[0], right[2] - right[0])
    return overlap >= 0 and overlap >= OVERLAP * narrower


def _same_digit(left: np.ndarray, right: np.ndarray) -> bool:
    if _overlapping(left, right):
        return True
    gap = max(left[0], right[0]) - min(left[2], right[2])
    taller = max(left[3] - left[1], right[3] - right[1])
    vertical_overlap = min(left[3], right[3]) - max(left[1], right[1])
    if vertical_overlap <= 0:
        return gap <= STACKED_GAP * taller
    if gap <= NEAR_GAP * taller and vertical_overlap < SIDE_BY_SIDE * taller:
        return True
    return _hangs_from(left, right, gap)


def _hangs_from(left: np.ndarray, right: np.ndarray, gap: float) -> bool:
    """Whether ``left`` hangs from the top of ``right``, a narrow stem: an open 4."""
    height = right[3] - right[1]
    return (
        right[2] - right[0] <= STEM_WIDTH * height
        and left[3] - left[1] <= height
        and gap <= HANGING_GAP * height
        and left[3] <= right[3] - HANGING_DROP * height
    )


def _box(ink: Ink) -> Box:
    """The bounding box of ink that has points (the segments and candidates have)."""
    box = ink.bounds()
    if box is None:
        raise ValueError("ink without points has no box")
    return box


def segment_ink(ink: Ink) -> list[InkSegment]:
    """Split ink into digits, left to right (an empty list for empty ink).

    Each segment's :class:`Ink` keeps its strokes in writing order and the
    canvas size of ``ink``.
    """
    strokes = [s for s in ink.strokes if len(s)]
    if not strokes:
        return []
    if len(strokes) == 1:
        return [InkSegment(ink, _box(ink))]
    boxes = np.array(
        [(*s[:, :2].min(axis=0), *s[:, :2].max(axis=0)) for s in strokes], dtype=np.float64
    )
    groups = group_pieces(boxes)
    if len(groups) == 1:
        return [InkSegment(ink, _box(ink))]
    segments = []
    for members in groups:
        part = Ink([strokes[i] for i in members], ink.width, ink.height)
        segments.append(InkSegment(part, _box(part)))
    return segments


def segment_coverage(coverage: np.ndarray) -> list[ImageSegment]:
    """Split an ink coverage map (0 paper .. 1 ink) into digits, left to right.

    Connected blobs of nonzero coverage are the pieces; the map is labelled
    at a resolution of at most :data:`LABEL_SIDE` pixels, so blobs closer than
    one labelling cell count as touching.
    """
    height, width = coverage.shape
    labels, factor, boxes, mass = _blobs(coverage)
    if len(boxes) == 0:
        return []
    groups = group_pieces(boxes, mass)
    if len(groups) == 1:
        return [_crop(coverage, (0, 0, width, height))]
    segments = []
    for members in groups:
        x0, y0 = boxes[members, :2].min(axis=0)
        x1, y1 = boxes[members, 2:].max(axis=0)
        segments.append(_region(coverage, labels, factor, (x0, y0, x1, y1), members + 1))
    return segments


def blobs_grouped_as_one(coverage: np.ndarray) -> bool:
    """Whether the box rules (:func:`segment_coverage`) take the blobs of a coverage map,
    two or more, for one digit.

    A single blob is not counted: digits that touch make one blob, which the search
    may cut.
    """
    _, _, boxes, mass = _blobs(coverage)
    return len(boxes) > 1 and len(group_pieces(boxes, mass)) == 1


def _blobs(coverage: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """The 8-connected blobs of a coverage map: their labels (at a labelling cell of
    ``factor`` pixels), boxes in the map's pixel edges and amounts of ink."""
    height, width = coverage.shape
    factor = max(1, -(-max(height, width) // LABEL_SIDE))
    mask = _pool_any(coverage > 0, factor)
    labels, count = _label(mask)
    if count == 0:
        return labels, factor, np.zeros((0, 4), np.int64), np.zeros(0)
    boxes = _label_boxes(labels, count) * factor
    boxes[:, 2:] = np.minimum(boxes[:, 2:], (width, height))
    if factor == 1:
        mass = np.bincount(labels.ravel(), weights=coverage.ravel(), minlength=count + 1)
    else:  # labelled coarser than the map: the cells covered stand for the ink
        mass = np.bincount(labels.ravel(), minlength=count + 1).astype(np.float64)
    return labels, factor, boxes, mass[1:]


def _region(coverage: np.ndarray, labels: np.ndarray, factor: int, box, members) -> ImageSegment:
    """The segment of the ink of ``coverage`` whose cells' labels are among ``members``
    (labels at a cell of ``factor`` pixels), within ``box`` (pixel edges)."""
    x0, y0, x1, y1 = (int(v) for v in box)
    inside = np.isin(
        labels[y0 // factor : -(-y1 // factor), x0 // factor : -(-x1 // factor)], members
    )
    if factor > 1:
        inside = np.repeat(np.repeat(inside, factor, axis=0), factor, axis=1)
    oy, ox = y0 - y0 // factor * factor, x0 - x0 // factor * factor
    region = coverage[y0:y1, x0:x1] * inside[oy : oy + y1 - y0, ox : ox + x1 - x0]
    return _crop(region, (x0, y0, x1, y1))


def _crop(coverage: np.ndarray, box) -> ImageSegment:
    """The segment for the ink of ``coverage`` (which sits at ``box``), cropped tight."""
    rows = np.flatnonzero(coverage.any(axis=1))
    cols = np.flatnonzero(coverage.any(axis=0))
    x0, y0 = int(box[0] + cols[0]), int(box[1] + rows[0])
    x1, y1 = int(box[0] + cols[-1] + 1), int(box[1] + rows[-1] + 1)
    return ImageSegment(coverage[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], (x0, y0, x1, y1))


def _pool_any(mask: np.ndarray, factor: int) -> np.ndarray:
    """Downscale a boolean mask by ``factor``: a cell is set if any of its pixels is."""
    if factor == 1:
        return mask
    height, width = mask.shape
    padded = np.zeros((-(-height // factor) * factor, -(-width // factor) * factor), dtype=bool)
    padded[:height, :width] = mask
    return np.asarray(padded.reshape(len(padded) // factor, factor, -1, factor).any(axis=(1, 3)))


def _label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label the 8-connected blobs of a boolean mask.

    Returns an int32 array (0 background, blobs 1..count) and the count.
    Blobs are found as horizontal runs of set pixels joined with the
    overlapping runs of the row above by union-find.
    """
    height, width = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    start_rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # exclusive; nonzero is row-major, so they pair up
    labels = np.zeros((height, width), dtype=np.int32)
    if len(starts) == 0:
        return labels, 0
    # Run j of the row above touches run i (8-connected) when
    # start_j <= end_i and end_j >= start_i; with runs sorted by row and
    # column, the j's form a contiguous range found by binary search.
    stride = width + 2
    start_keys = start_rows * stride + starts
    end_keys = start_rows * stride + ends
    above = (start_rows - 1) * stride
    first = np.searchsorted(end_keys, above + starts, side="left")
    last = np.searchsorted(start_keys, above + ends, side="right")
    parent = list(range(len(starts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in np.flatnonzero(last > first).tolist():
        for j in range(first[i], last[i]):
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = np.array([root(i) for i in range(len(starts))])
    _, root_ranks = np.unique(roots, return_inverse=True)
    run_labels = root_ranks.astype(np.int32) + 1
    lengths = ends - starts
    flat = np.repeat(start_rows * width + starts - np.cumsum(lengths) + lengths, lengths)
    labels.ravel()[flat + np.arange(len(flat))] = np.repeat(run_labels, lengths)
    return labels, int(run_labels.max())


def _label_boxes(labels: np.ndarray, count: int) -> np.ndarray:
    """``(x0, y0, x1, y1)`` of each label 1..count, pixel edges (x1, y1 exclusive)."""
    rows, cols = np.nonzero(labels)
    which = labels[rows, cols] - 1
    boxes = np.empty((count, 4), dtype=np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    np.minimum.at(boxes[:, 0], which, cols)
    np.minimum.at(boxes[:, 1], which, rows)
    np.maximum.at(boxes[:, 2], which, cols + 1)
    np.maximum.at(boxes[:, 3], which, rows + 1)
    return boxes


# -- ink by recognition ---------------------------------------------------------------


def ink_pieces(ink: Ink) -> list[np.ndarray]:
    """The pieces of ``ink`` in the order digits are searched: its strokes, cut where
    two digits may be joined (:func:`join_cuts`).

    Writing order, except that a stroke written late, after a stroke of
    another digit, moves back to just after the earlier stroke it lies within
    (its horizontal centre inside that stroke's extent, overlapping neither of
    the strokes written just before it): the bar of a 5 or the crossbar of a 7
    added once the next digit is written.
    """
    strokes = [s for s in ink.strokes if len(s)]
    if not strokes:
        return []
    unit = _writing_height(strokes)
    strokes = [part for stroke in strokes for part in _cut(stroke, join_cuts(stroke, unit))]
    order: list[int] = []
    spans = [(float(s[:, 0].min()), float(s[:, 0].max())) for s in strokes]
    for k, (left, right) in enumerate(spans):
        centre = (left + right) / 2
        place = len(order)
        if len(order) >= 2 and not _x_overlap(spans[order[-1]], (left, right)):
            for position in range(len(order) - 2, -1, -1):
                j = order[position]
                if spans[j][0] <= centre <= spans[j][1]:
                    place = position + 1
                    break
        order.insert(place, k)
    return [strokes[k] for k in order]


#: A stroke is cut where what was written before a point and what is written
#: after it overlap sideways by at most this much (times the writing's height)...
JOIN_OVERLAP = 0.08
#: ...and each side is at least this long, in ink (times the height)...
JOIN_SIDE_LENGTH = 0.8
#: ...and this tall (times the height), and the cut is not in the bottom
#: JOIN_ABOVE_BOTTOM of the stroke's height.
JOIN_SIDE_HEIGHT = 0.4
JOIN_ABOVE_BOTTOM = 0.25


def join_cuts(stroke: np.ndarray, unit: float) -> list[int]:
    """Indices of ``stroke``'s points where it may join two digits written without lifting.

    A digit's own strokes turn back on themselves, so the part written before
    any point overlaps the part after it sideways; between two joined digits
    the pen moves on to the right, and the two parts barely overlap. For each
    run of such points, its middle point is a cut.
    """
    xy = stroke[:, :2]
    if len(xy) < 4 or unit <= 0:
        return []
    before = np.maximum.accumulate(xy[:, 0])
    after = np.minimum.accumulate(xy[::-1, 0])[::-1]
    steps = np.hypot(*np.diff(xy, axis=0).T)
    walked = np.concatenate([[0.0], np.cumsum(steps)])
    apart = (before - after <= JOIN_OVERLAP * unit) & (walked >= JOIN_SIDE_LENGTH * unit)
    apart &= walked[-1] - walked >= JOIN_SIDE_LENGTH * unit
    cuts = []
    edges = np.diff(np.concatenate([[0], apart.astype(np.int8), [0]]))
    low = float(xy[:, 1].max()) - JOIN_ABOVE_BOTTOM * float(np.ptp(xy[:, 1]))
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        cut = int((start + stop - 1) // 2)
        # Within one digit the pen also moves on to the right along the bottom (the
        # L of a 4, the base of a 0 or 6), and leaves a flat part (a 4's bar).
        tall = min(np.ptp(xy[: cut + 1, 1]), np.ptp(xy[cut:, 1])) >= JOIN_SIDE_HEIGHT * unit
        if xy[cut, 1] <= low and tall:
            cuts.append(cut)
    return cuts


def _cut(stroke: np.ndarray, cuts: list[int]) -> list[np.ndarray]:
    """``stroke`` cut at the points ``cuts``; each cut point ends one part and starts the next."""
    bounds = [0, *cuts, len(stroke) - 1]
    return [stroke[a : b + 1] for a, b in zip(bounds, bounds[1:], strict=False) if b > a] or [
        stroke
    ]


def _writing_height(strokes: list[np.ndarray]) -> float:
    """The height of the writing: the 90th percentile of the strokes' heights, as most
    digits have a stroke of nearly their full height."""
    return _ninetieth([float(np.ptp(s[:, 1])) for s in strokes])


def _ninetieth(values) -> float:
    """The 90th percentile, interpolated as numpy's (a few values: faster by hand)."""
    ordered = sorted(values)
    position = 0.9 * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _x_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return min(a[1], b[1]) >= max(a[0], b[0])


#: A run of pieces with an empty band of x wider than this (times the writing's height)
#: between them is no candidate digit.
INNER_GAP = 0.8


def ink_candidates(pieces: list[np.ndarray], ink: Ink) -> list[Candidate]:
    """Every run of up to :data:`MAX_PIECES_PER_DIGIT` consecutive pieces, as one digit,
    and all the pieces together.

    Each candidate's :class:`Ink` keeps the canvas size of ``ink``; that of all
    the pieces is ``ink`` itself, so a single digit is read from exactly its ink.
    """
    count = len(pieces)
    spans = _spans(count)
    if count > 1:
        # No digit has an empty band wider than this inside it: two 1s a digit apart
        # are not one 1 (the number model never saw gaps that wide).
        widest = INNER_GAP * _writing_height(pieces)
        ranges = [(float(p[:, 0].min()), float(p[:, 0].max())) for p in pieces]
        spans = [
            (start, stop)
            for start, stop in spans
            if stop - start == 1 or _inner_gap(ranges[start:stop]) <= widest
        ]
    candidates = []
    for start, stop in spans:
        whole = start == 0 and stop == count
        part = ink if whole else Ink(pieces[start:stop], ink.width, ink.height)
        candidates.append(Candidate(start, stop, part, _box(part)))
    return candidates


def _inner_gap(ranges: list[tuple[float, float]]) -> float:
    """The widest band of x that no range covers between the leftmost and the rightmost."""
    widest, reach = 0.0, None
    for low, high in sorted(ranges):
        if reach is not None:
            widest = max(widest, low - reach)
        reach = high if reach is None else max(reach, high)
    return widest


def _spans(count: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of every run of up to :data:`MAX_PIECES_PER_DIGIT` consecutive
    pieces of ``count``, and of all of them, ordered by start, then stop."""
    spans = []
    for start in range(count):
        stops = list(range(start + 1, min(start + MAX_PIECES_PER_DIGIT, count) + 1))
        if start == 0 and stops[-1] < count:
            stops.append(count)  # all the pieces: one digit of many strokes
        spans += [(start, stop) for stop in stops]
    return spans


#: The names of :func:`candidate_geometry`'s columns.
GEOMETRY = (
    "log height",
    "log width",
    "centre drop",
    "pieces 1",
    "pieces 2",
    "pieces 3+",
    "overlap before",
    "overlap after",
    "no piece before",
    "no piece after",
    "log length",
    "whole ink",
    "crosses a neighbour",
    "crossed inside",
)

#: Pieces are tested for crossing with at most this many points each (every k-th kept):
#: a crossing stroke is much longer than the gap between such points.
CROSSING_POINTS = 33


def candidate_geometry(candidates: list[Candidate], pieces: list[np.ndarray]) -> np.ndarray:
    """Where each candidate lies among the pieces, scaled by the writing's height.

    float32 ``(len(candidates), len(GEOMETRY))``: its height and width, how far
    its centre lies below the pieces' median centre, how many pieces it has,
    how far it overlaps (positive) or stands apart from (negative) the piece
    just before and just after it, its ink length, whether it is the whole
    ink, and whether its ink crosses that of a piece outside it within
    :data:`MAX_PIECES_PER_DIGIT` pieces (the digits of a number touch, but do
    not cross each other: a stroke crossing a candidate's ink, such as the
    slash of a zero or the bar of a 7, is part of the same digit). The
    writing's height is the 90th percentile of the pieces' heights, as most
    digits have a stroke of nearly their full height.
    """
    boxes = np.array(
        [(*p[:, :2].min(axis=0), *p[:, :2].max(axis=0)) for p in pieces], dtype=np.float64
    ).reshape(-1, 4)
    lengths = np.array([np.hypot(*np.diff(p[:, :2], axis=0).T).sum() for p in pieces])
    reach = MAX_PIECES_PER_DIGIT
    crossed = crossing_pieces(pieces, boxes, reach)
    crosses = [
        (
            bool(crossed[c.start : c.stop, max(0, c.start - reach) : c.start].any())
            or bool(crossed[c.start : c.stop, c.stop : c.stop + reach].any()),
            bool(crossed[c.start : c.stop, c.start : c.stop].any()),
        )
        for c in candidates
    ]
    return _geometry(candidates, boxes, lengths, crosses)


def crossing_pieces(pieces: list[np.ndarray], boxes: np.ndarray, reach: int) -> np.ndarray:
    """``crossed[i, j]``: pieces ``i`` and ``j``, at most ``reach`` apart in order, cross.

    Two pieces cross where a segment of one strictly crosses a segment of the
    other; pieces cut from one stroke meet at a shared point, which is no
    crossing. Only pieces whose boxes meet are tested, each with at most
    :data:`CROSSING_POINTS` of its points.
    """
    count = len(pieces)
    crossed = np.zeros((count, count), dtype=bool)
    thinned: dict[int, np.ndarray] = {}
    for i in range(count):
        for j in range(i + 1, min(count, i + reach + 1)):
            a, b = boxes[i], boxes[j]
            if a[0] > b[2] or b[0] > a[2] or a[1] > b[3] or b[1] > a[3]:
                continue
            for k in (i, j):
                if k not in thinned:
                    xy = pieces[k][:, :2]
                    step = -(-len(xy) // CROSSING_POINTS)
                    thinned[k] = np.concatenate([xy[:-1:step], xy[-1:]]) if step > 1 else xy
            crossed[i, j] = crossed[j, i] = _polylines_cross(thinned[i], thinned[j])
    return crossed


def _polylines_cross(p: np.ndarray, q: np.ndarray) -> bool:
    """Whether a segment of polyline ``p`` strictly crosses one of ``q``."""
    if len(p) < 2 or len(q) < 2:
        return False
    p0, p1 = p[:-1, None, :], p[1:, None, :]
    q0, q1 = q[None, :-1, :], q[None, 1:, :]

    def turn(a, b, c):
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (
            c[..., 0] - a[..., 0]
        )

    straddles_q = turn(p0, p1, q0) * turn(p0, p1, q1) < 0
    straddles_p = turn(q0, q1, p0) * turn(q0, q1, p1) < 0
    return bool((straddles_q & straddles_p).any())


def _geometry(candidates, boxes: np.ndarray, lengths: np.ndarray, crosses=None) -> np.ndarray:
    """:func:`candidate_geometry` from the pieces' boxes and ink lengths, and whether
    each candidate crosses a neighbour (``crosses``; default: none does)."""
    if crosses is None:
        crosses = [(False, False)] * len(candidates)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    heights = boxes[:, 3] - boxes[:, 1]
    widths = boxes[:, 2] - boxes[:, 0]
    unit = max(_ninetieth(heights.tolist()), float(widths.max(initial=0)) / 4, 1e-6)
    centre = float(np.median((boxes[:, 1] + boxes[:, 3]) / 2))
    rows = []
    for c, crossing in zip(candidates, crosses, strict=True):
        x0, y0, x1, y1 = c.box
        n = c.stop - c.start
        before, after = (_overlap(c.box, boxes, i) / unit for i in (c.start - 1, c.stop))
        rows.append(
            (
                np.log((y1 - y0) / unit + 0.02),
                np.log((x1 - x0) / unit + 0.02),
                ((y0 + y1) / 2 - centre) / unit,
                n == 1,
                n == 2,
                n >= 3,
                np.clip(before, -2, 2),
                np.clip(after, -2, 2),
                c.start == 0,
                c.stop == len(boxes),
                np.log(lengths[c.start : c.stop].sum() / unit + 0.02),
                n == len(boxes),
                *crossing,
            )
        )
    return np.array(rows, dtype=np.float32).reshape(-1, len(GEOMETRY))


def _overlap(box: Box, boxes: np.ndarray, i: int) -> float:
    """How far ``box`` overlaps piece ``i`` sideways (negative: the gap); 0 for no piece."""
    if not 0 <= i < len(boxes):
        return 0.0
    return float(min(box[2], boxes[i, 2]) - max(box[0], boxes[i, 0]))


def search(
    piece_count: int,
    candidates: Sequence[Candidate | PictureCandidate],
    digit_scores: np.ndarray,
    mark_scores: np.ndarray,
    keep: int = 5,
) -> list[Reading]:
    """The best readings of the pieces, best first (at most ``keep``).

    A reading covers every piece once, left to right in search order: by a
    candidate read as one of its digits, or by a single piece read as a mark
    that is no digit.

    Parameters
    ----------
    piece_count : int
    candidates : list of Candidate or PictureCandidate
        Only their ``start`` and ``stop`` are read.
    digit_scores : ndarray, shape (len(candidates), 10)
        Log-likelihood of each candidate being one digit, for each digit.
    mark_scores : ndarray, shape (piece_count,)
        Log-likelihood of each piece being a mark that is no digit (``-inf``: never).
    keep : int
    """
    by_stop: list[list[int]] = [[] for _ in range(piece_count + 1)]
    for index, c in enumerate(candidates):
        by_stop[c.stop].append(index)
    options = np.argsort(-digit_scores, axis=1)[:, :CLASSES_PER_CANDIDATE]
    # beams[k]: the best partial readings of pieces 0..k-1, as (score, digits, marks).
    beams: list[list[tuple[float, tuple, tuple]]] = [[(0.0, (), ())]]
    for stop in range(1, piece_count + 1):
        extended = []
        for index in by_stop[stop]:
            for score, digits, marks in beams[candidates[index].start]:
                for digit in options[index]:
                    gain = float(digit_scores[index, digit])
                    if gain > -np.inf:
                        extended.append((score + gain, (*digits, (index, int(digit))), marks))
        if mark_scores[stop - 1] > -np.inf:
            gain = float(mark_scores[stop - 1])
            extended += [(s + gain, d, (*m, stop - 1)) for s, d, m in beams[stop - 1]]
        extended.sort(key=lambda reading: -reading[0])
        # One partial reading for each way of reading the pieces so far.
        beams.append(_first_distinct(extended, BEAM, lambda reading: reading[1:]))
    readings = [Reading(score, digits, marks) for score, digits, marks in beams[-1]]
    # The best reading of each number.
    return _first_distinct(readings, keep, lambda r: tuple(digit for _, digit in r.digits))


def _first_distinct(readings, count: int, key):
    """The first ``count`` readings (sorted already) that differ in ``key(reading)``."""
    seen, kept = set(), []
    for reading in readings:
        if key(reading) not in seen:
            seen.add(key(reading))
            kept.append(reading)
            if len(kept) == count:
                break
    return kept


# -- pictures by recognition ---------------------------------------------------------

#: A blob of a picture wider than this (times the writing's height) may be digits
#: touching: it is cut where the least ink joins its parts (:func:`ink_cuts`). A flat
#: MNIST digit is 20 x 14 pixels (1.43), and must stay one digit; chosen with
#: benchmarks/picture_numbers.py --part choose (docs/benchmarks.md). A number model of
#: pictures' candidates, which judges cut blobs, may cut narrower ones (its ``wide_blob``).
WIDE_BLOB = 1.5
#: A cut is placed at a column where the cheapest cut crosses the least ink within
#: this reach (times the writing's height) on either side, at least this far from
#: the blob's sides (:func:`ink_cuts`); it bends within this reach of its column.
CUT_REACH = 0.25
#: ...and where it crosses at most this many times the pen's width of ink: one
#: stroke, not two (the middle of a wide 0 is not cut).
THIN_COLUMN = 1.5
#: ...leaving ink at least this tall (times the writing's height) on either side.
CUT_SIDE_HEIGHT = 0.6


@dataclass(frozen=True)
class PicturePieces:
    """The pieces of a picture's ink, left to right (:func:`picture_pieces`).

    ``labels`` gives each labelling cell (``factor`` pixels square) of the
    coverage map its piece, 1..count (0: paper, or a speck between digits);
    ``boxes`` are the pieces' boxes ``(x0, y0, x1, y1)`` in the map's pixel
    edges without the specks that joined them; ``lengths`` their ink's
    length in pixels (its area over the pen's width).
    """

    labels: np.ndarray
    factor: int
    boxes: np.ndarray
    lengths: np.ndarray

    @property
    def count(self) -> int:
        return len(self.boxes)


@dataclass(frozen=True)
class PictureCandidate:
    """Pieces ``start`` to ``stop`` (exclusive) of a picture taken as one digit."""

    start: int
    stop: int
    segment: ImageSegment

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.segment.box


def picture_pieces(coverage: np.ndarray, wide_blob: float = WIDE_BLOB) -> PicturePieces | None:
    """The pieces of a coverage map in the order digits are searched, or None when
    there are more than :data:`MAX_SEARCH_PIECES` (they are not searched).

    The pieces are the connected blobs (labelled as :func:`segment_coverage`
    does), a blob much wider than the writing's height (``wide_blob`` times it)
    cut where the least ink joins its parts (:func:`ink_cuts`: each cut
    follows the ink from the blob's top to its bottom), ordered by their
    horizontal centres. Specks (as :func:`group_pieces` finds them) are no
    pieces: one joins the piece whose width it lies in, or is left out.
    Cutting costs O(rows x columns) of the labelled blob a cut, and a picture
    is labelled at most :data:`LABEL_SIDE` cells on its larger side.
    """
    labels, factor, blob_boxes, mass = _blobs(coverage)
    if len(blob_boxes) == 0:
        return PicturePieces(labels, factor, blob_boxes, np.zeros(0))
    speck = _specks(blob_boxes.astype(np.float64), mass)
    kept = np.flatnonzero(~speck)
    if len(kept) > MAX_SEARCH_PIECES:
        return None
    unit = _ninetieth((blob_boxes[kept, 3] - blob_boxes[kept, 1]).tolist())
    cells = _label_boxes(labels, len(blob_boxes))
    pen = _pen_width(labels > 0)  # in cells
    # Each piece: (blob, its left bounds, its right bounds): per row of the blob's box,
    # the piece holds the blob's cells from the left bound to before the right one.
    slabs = []
    for b in kept.tolist():
        x0, y0, x1, y1 = cells[b].tolist()
        own = labels[y0:y1, x0:x1] == b + 1
        bounds = [np.zeros(y1 - y0, np.int64), np.full(y1 - y0, x1 - x0, np.int64)]
        if blob_boxes[b, 2] - blob_boxes[b, 0] > wide_blob * unit:
            reach, tall = CUT_REACH * unit / factor, CUT_SIDE_HEIGHT * unit / factor
            bounds[1:1] = ink_cuts(own, reach, THIN_COLUMN * pen, tall)
        slabs += [(b, low, high) for low, high in zip(bounds, bounds[1:], strict=False)]
    if len(slabs) > MAX_SEARCH_PIECES:
        return None
    piece_labels = np.zeros_like(labels)
    boxes = np.zeros((len(slabs), 4), np.int64)
    for k, (b, low, high) in enumerate(slabs):
        x0, y0, x1, y1 = cells[b].tolist()
        columns = np.arange(x1 - x0)
        between = (columns >= low[:, None]) & (columns < high[:, None])
        own = (labels[y0:y1, x0:x1] == b + 1) & between
        piece_labels[y0:y1, x0:x1][own] = k + 1
        rows = np.flatnonzero(own.any(axis=1))
        cols = np.flatnonzero(own.any(axis=0))
        boxes[k] = (x0 + cols[0], y0 + rows[0], x0 + cols[-1] + 1, y0 + rows[-1] + 1)
    boxes *= factor
    boxes[:, 2:] = np.minimum(boxes[:, 2:], coverage.shape[::-1])
    weights = coverage.ravel() if factor == 1 else None  # else: the cells covered
    area = np.bincount(piece_labels.ravel(), weights=weights, minlength=len(slabs) + 1)
    lengths = area[1:] * float(factor**2) / max(pen * factor, 1.0)
    order = np.argsort(boxes[:, 0] + boxes[:, 2], kind="stable")
    rank = np.zeros(len(slabs) + 1, np.int32)
    rank[order + 1] = np.arange(1, len(slabs) + 1)
    piece_labels = rank[piece_labels]
    boxes, lengths = boxes[order], lengths[order]
    # A speck within a piece's width (the dot some write at the end of a 9) joins it.
    lefts, rights = boxes[:, 0], boxes[:, 2]
    for b in np.flatnonzero(speck).tolist():
        centre = (blob_boxes[b, 0] + blob_boxes[b, 2]) / 2
        inside = np.flatnonzero((lefts <= centre) & (centre <= rights))
        if len(inside):
            x0, y0, x1, y1 = cells[b].tolist()
            region = piece_labels[y0:y1, x0:x1]
            region[labels[y0:y1, x0:x1] == b + 1] = inside[0] + 1
    return PicturePieces(piece_labels, factor, boxes, lengths)


def thin_columns(ink: np.ndarray, reach: float, thickest: float = np.inf) -> list[int]:
    """Where to cut a blob whose columns hold ``ink`` cells each (or whose cuts from
    each column cross that much ink, :func:`ink_cuts`): the columns (as the first
    column right of the cut) of at most ``thickest`` cells where it is the least within
    ``reach`` columns on either side, at least ``reach`` from its sides and from each
    other, thinnest first chosen; returned left to right."""
    reach = max(1, round(reach))
    count = len(ink)
    if count <= 2 * reach:
        return []
    padded = np.pad(ink.astype(np.float64), reach, constant_values=np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    least = windows.min(axis=1)
    columns = np.arange(count)
    minima = columns[
        (ink <= least) & (ink <= thickest) & (columns >= reach) & (columns <= count - reach)
    ]
    cuts: list[int] = []
    for column in minima[np.argsort(ink[minima], kind="stable")].tolist():
        if all(abs(column - c) >= reach for c in cuts):
            cuts.append(column)
    return sorted(cuts)


def ink_cuts(
    blob: np.ndarray, reach: float, thickest: float = np.inf, height: float = 0.0
) -> list[np.ndarray]:
    """Where to cut a blob (a mask) that may be digits touching: the cuts, left to right,
    each as the first column right of it in every row of ``blob``.

    A cut runs from the blob's top to its bottom through the least ink, bending
    around ink where that crosses less of it: through the point where the loops
    of two digits touch, or past a stroke that reaches into the next digit's
    columns. The cuts are placed at the columns :func:`thin_columns` chooses
    from the ink each column's cheapest cut crosses (:func:`cheapest_cuts`,
    bending costs :data:`SIDEWAYS`), at most ``thickest`` cells; each then
    takes the least ink within ``reach`` of its column, bending almost freely
    (:data:`BEND`). Cuts do not cross, and each leaves ink at least ``height``
    rows tall on either side (not the flat tail of a 2 or the foot of a 1).
    Of two cuts with only a short piece of ink between them (less than
    ``height`` tall: a stroke joining two digits, a bit of a digit's base),
    the one through less ink is kept.
    """
    width = blob.shape[1]
    through, _ = cheapest_cuts(blob, SIDEWAYS)
    columns = np.arange(width)
    side = max(1, round(reach))
    found: list[tuple[np.ndarray, float]] = []
    for column in thin_columns(through, reach, thickest):
        low, high = max(0, column - side), min(width, column + side + 1)
        _, trace = cheapest_cuts(blob[:, low:high], BEND)
        cut, ink = trace(column - low)
        found.append((cut + low, ink))
    found.sort(key=lambda item: float(item[0].mean()))
    cuts: list[tuple[np.ndarray, float]] = []
    lefts: list[np.ndarray] = []
    for cut, ink in found:
        if cuts:
            cut = np.maximum(cut, cuts[-1][0])  # no crossing the cut left of it
        left = blob & (columns < cut[:, None])
        right = blob & ~left
        if any((left == other).all() for other in lefts):
            continue  # the same cut as one before
        if min(_extent(left.any(axis=1)), _extent(right.any(axis=1))) < height:
            continue
        if cuts:
            between = left & (columns >= cuts[-1][0][:, None])
            if _extent(between.any(axis=1)) < height:
                if ink < cuts[-1][1]:
                    cuts[-1], lefts[-1] = (cut, ink), left
                continue
        cuts.append((cut, ink))
        lefts.append(left)
    return [cut for cut, _ in cuts]


#: Choosing where to cut, a cut's step sideways costs this much (an ink cell
#: crossed costs 1): the cheapest cut near a column, so that a blob of several
#: digits gets a cut between each two; chosen with benchmarks/picture_numbers.py
#: --part choose (docs/benchmarks.md).
SIDEWAYS = 0.3
#: ...and the cut chosen bends at this cost within its reach (:data:`CUT_REACH`)
#: to cross less ink: around a loop that touches the next digit's.
BEND = 0.02


def cheapest_cuts(blob: np.ndarray, sideways: float):
    """The cheapest cut of ``blob`` (a mask) from above each of its columns to below it.

    A cut goes down row by row, and along a row sideways (4-connected, so
    that taking out its ink parts the 8-connected ink left of it from that
    right of it); it costs the ink cells it crosses, and ``sideways`` for each
    step aside. Returns each column's cheapest cost, and ``trace(column)``:
    that cut, as the first column right of it in each row (the leftmost
    column it takes there), and the ink cells it crosses. The cost is O(rows
    x columns), a row at a time.
    """
    height, width = blob.shape
    columns = np.arange(width)
    slope = sideways * columns
    best = np.zeros(width)  # the cheapest way down from each column of the row below
    exits = np.empty((height, width), np.int64)  # entering a row at a column: where down
    for y in range(height - 1, -1, -1):
        ink = blob[y].astype(np.float64)
        upto = np.cumsum(ink)  # ink from the row's start to x, x included
        before = upto - ink  # ... x excluded
        # Entering at e, down at x >= e: upto[x] - before[e] + sideways (x - e) + best[x].
        ahead = (upto + slope + best)[::-1]
        least = np.minimum.accumulate(ahead)
        at = np.maximum.accumulate(np.where(ahead == least, columns, 0))
        right, right_at = least[::-1] - before - slope, (width - 1 - at)[::-1]
        # ... at x <= e: upto[e] - before[x] + sideways (e - x) + best[x].
        behind = best - before - slope
        least = np.minimum.accumulate(behind)
        left_at = np.maximum.accumulate(np.where(behind == least, columns, 0))
        left = least + upto + slope
        rightwards = right <= left
        exits[y] = np.where(rightwards, right_at, left_at)
        best = np.where(rightwards, right, left)

    def trace(column: int) -> tuple[np.ndarray, float]:
        firsts = np.empty(height, np.int64)
        crossed = 0
        for y in range(height):
            down = int(exits[y, column])
            low, high = min(column, down), max(column, down)
            firsts[y] = low
            crossed += int(blob[y, low : high + 1].sum())
            column = down
        return firsts, float(crossed)

    return best, trace


def _extent(rows: np.ndarray) -> int:
    """How many rows from the first set one to the last (0: none set)."""
    found = np.flatnonzero(rows)
    return int(found[-1] - found[0] + 1) if len(found) else 0


def _pen_width(mask: np.ndarray) -> float:
    """The width of the pen that drew ``mask``: the median length of its runs of ink
    across (horizontal or vertical, whichever are shorter)."""
    widths = []
    for runs in (mask, mask.T):
        edges = np.diff(np.pad(runs, ((0, 0), (1, 1))).astype(np.int8), axis=1)
        lengths = np.flatnonzero(edges.ravel() == -1) - np.flatnonzero(edges.ravel() == 1)
        if len(lengths):
            widths.append(float(np.median(lengths)))
    return min(widths, default=1.0)


def picture_candidates(pieces: PicturePieces, coverage: np.ndarray) -> list[PictureCandidate]:
    """Every run of up to :data:`MAX_PIECES_PER_DIGIT` consecutive pieces, as one digit,
    and all the pieces together, cut out of ``coverage``.

    All the pieces are the whole map, specks and all, cropped as
    :func:`segment_coverage` crops a picture of one digit, so a single digit is
    read from exactly the input it was read from before.
    """
    height, width = coverage.shape
    count = pieces.count
    candidates = []
    extents = _label_boxes(pieces.labels, count) * pieces.factor
    extents[:, 2:] = np.minimum(extents[:, 2:], (width, height))
    for start, stop in _spans(count):
        if start == 0 and stop == count:
            segment = _crop(coverage, (0, 0, width, height))
        else:
            box = (*extents[start:stop, :2].min(axis=0), *extents[start:stop, 2:].max(axis=0))
            members = np.arange(start + 1, stop + 1)
            segment = _region(coverage, pieces.labels, pieces.factor, box, members)
        candidates.append(PictureCandidate(start, stop, segment))
    return candidates


def picture_geometry(candidates: list[PictureCandidate], pieces: PicturePieces) -> np.ndarray:
    """:func:`candidate_geometry` of a picture's candidates, from its pieces' boxes (blobs and
    the parts of a cut blob never cross one another)."""
    return _geometry(candidates, pieces.boxes, pieces.lengths)

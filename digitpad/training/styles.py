"""Writing styles that MNIST and the UCI pen digits lack, generated as training data.

Ink styles (:data:`STYLES`) reshape a real pen digit, or add the stroke that
makes the style, and keep the writer's own hand for the rest of the digit:

==========================  =====  ===================================================
style                       label  what is generated
==========================  =====  ===================================================
``slashed-zero``            0      a slash through the loop, sticking out at both ends
``slashed-zero-inside``     0      a slash inside the loop only
``slashed-zero-joined``     0      the loop's stroke runs on into a slash that sticks out
``crossed-seven``           7      a crossbar through the stem, as its own stroke
``curved-seven``            7      the stem bowed like the neck of a 2
``flagged-one``             1      a long flag from the top down to the left
``flagged-one-base``        1      the same, and a base as its own stroke
``open-four``               4      redrawn in its box: an "L" and a separate stem, a gap
                                   or a crossing between them
``straight-nine``           9      the loop and a straight stem
==========================  =====  ===================================================

Either slash direction is drawn ("/" or "\\"). Tablet realism
(:func:`tablet_realism`) imitates low-grade tablets on any ink: strokes
resampled to few points, uneven point spacing (varied pen speed), coordinate
jitter and coarse quantisation (staircase lines); :func:`random_pen_width`
varies the pen width. :func:`style_images` draws the slash, the crossbar and
the flag on MNIST images.

Every random choice is drawn from a range of :class:`StyleSettings`, so a
recipe can name the settings and a model card can record them
(:func:`settings_record`). Generated ink has x and y only (no time or
pressure). This module needs numpy and Pillow only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ..ink import Ink, rasterize
from ..preprocess import PEN_WIDTH, coverage_to_input

__all__ = [
    "DEFAULT_SETTINGS",
    "IMAGE_STYLES",
    "STYLES",
    "STYLE_SETTINGS",
    "StyleSettings",
    "StyleSpec",
    "apply_style",
    "is_crossbar",
    "random_pen_width",
    "random_style",
    "settings_record",
    "style_image",
    "style_images",
    "styles_for",
    "tablet_realism",
]

Range = tuple[float, float]


@dataclass(frozen=True)
class StyleSettings:
    """The ranges every style draws from; lengths are times the digit's height."""

    # Slashed zero. The slash's upper end lies at the loop's top edge and
    # ``slash_spread`` times its half-width to the side; the through-going
    # slash is then lengthened by ``slash_overshoot`` at each end.
    slash_spread: Range = (0.45, 1.1)
    slash_overshoot: Range = (0.06, 0.22)
    #: The inside-only slash spans this share of the way from centre to loop.
    slash_inside: Range = (0.5, 0.8)
    #: Share of slashes drawn "/" (the rest "\\").
    slash_forward_share: float = 0.7
    #: How far the joined slash's link from the loop bows out, times the slash.
    joined_bend: float = 0.1
    # Crossed seven: where the bar crosses the stem (from the top), its
    # length, its centre's offset from the stem (times its length, negative
    # to the left) and its tilt in degrees (negative rises to the right).
    crossbar_height: Range = (0.42, 0.62)
    crossbar_length: Range = (0.3, 0.55)
    crossbar_offset: Range = (-0.3, 0.15)
    crossbar_tilt: Range = (-8.0, 5.0)
    # Flagged one: flag length, its angle to the stem in degrees, its largest
    # angle to straight down (so that on a leaning stem it still falls more
    # steeply than a 7's bar), its upward bow, the base's length, its shift
    # sideways (times its length) and how far below the foot it lies.
    flag_length: Range = (0.4, 0.7)
    flag_angle: Range = (30.0, 50.0)
    flag_max_tilt: float = 55.0
    flag_bow: float = 0.04
    base_length: Range = (0.35, 0.65)
    base_shift: Range = (-0.15, 0.15)
    base_drop: Range = (0.0, 0.03)
    # Open four: the bar's height (from the top), the gap between the bar's
    # right end and the stem (negative: the bar crosses the stem by that
    # much), the stem's top (from the top; negative: above the "L"), the
    # width of the digit, the "L"'s lean (its top right of its corner) and
    # the stem's slant.
    four_bar_height: Range = (0.52, 0.7)
    four_gap: Range = (-0.12, 0.12)
    four_stem_top: Range = (-0.08, 0.15)
    four_width: Range = (0.55, 0.8)
    four_lean: Range = (0.0, 0.25)
    four_slant: Range = (-0.05, 0.2)
    #: The stem's foot and the "L"'s corner, times the width from the left.
    four_stem_x: Range = (0.68, 0.82)
    four_corner_x: Range = (0.0, 0.1)
    # Curved seven: the stem's sideways bow, times its length.
    seven_bulge: Range = (0.1, 0.25)
    # Straight nine: where the loop ends (from the top) and the stem's lean
    # (sideways per unit of height, positive to the left).
    nine_loop: Range = (0.38, 0.52)
    nine_lean: Range = (-0.05, 0.2)
    #: Hand tremor of generated strokes: amplitude of a smooth wobble.
    wobble: float = 0.015
    # Tablet realism, each effect with its probability: strokes resampled to
    # a few points, uneven point spacing (speed), coordinate jitter (sigma),
    # quantisation to a coarse grid (step).
    resample_share: float = 0.5
    resample_points: tuple[int, int] = (4, 12)
    speed_share: float = 0.5
    speed_variation: Range = (0.2, 0.7)
    #: Period of the speed's swell, times the stroke's length.
    speed_period: Range = (0.5, 2.0)
    jitter_share: float = 0.5
    jitter: Range = (0.004, 0.015)
    quantum_share: float = 0.4
    quantum: Range = (0.02, 0.06)
    #: Pen width for rendering, times ``digitpad.preprocess.PEN_WIDTH``.
    pen_width: Range = (0.65, 1.5)
    #: Share of the applicable MNIST images (0s, 1s, 7s) that get a styled copy.
    image_share: float = 1.0
    #: The digits whose MNIST images get styled copies (a subset of ``IMAGE_STYLES``).
    image_labels: tuple[int, ...] = (0, 1, 7)


DEFAULT_SETTINGS = StyleSettings()


def _uniform(rng: np.random.Generator, bounds) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


# -----------------------------------------------------------------------------
# Stroke geometry
# -----------------------------------------------------------------------------


def _polyline(points, spacing: float) -> np.ndarray:
    """Points along the polyline through ``points``, about ``spacing`` apart, ends kept."""
    points = np.asarray(points, dtype=np.float64)
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] <= 0:
        return points[:1].copy()
    count = max(2, int(np.ceil(along[-1] / max(spacing, 1e-9))) + 1)
    where = np.linspace(0.0, along[-1], count)
    return np.column_stack([np.interp(where, along, points[:, i]) for i in range(2)])


def _bezier(start, control, end, spacing: float) -> np.ndarray:
    """A quadratic Bezier curve sampled about ``spacing`` apart."""
    start, control, end = (np.asarray(p, dtype=np.float64) for p in (start, control, end))
    t = np.linspace(0.0, 1.0, 200)[:, None]
    curve = (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end
    return _polyline(curve, spacing)


def _wobble(points: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """The stroke with a smooth random offset of about ``amplitude``, as a hand draws it."""
    if len(points) < 2 or amplitude <= 0:
        return points
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    t = np.concatenate([[0.0], np.cumsum(steps)])
    t = t / t[-1] if t[-1] > 0 else t
    offset = np.zeros_like(points)
    for axis in range(2):
        for frequency in (1.0, 2.0):
            offset[:, axis] += rng.normal(0, amplitude / frequency) * np.sin(
                np.pi * frequency * t + rng.uniform(0, 2 * np.pi)
            )
    return points + offset


def _spacing(ink: Ink) -> float:
    """Median distance between consecutive points of the ink: how densely the pen sampled."""
    gaps = [np.linalg.norm(np.diff(s[:, :2], axis=0), axis=1) for s in ink.strokes if len(s) > 1]
    steps = np.concatenate(gaps) if gaps else np.array([])
    steps = steps[steps > 0]
    x0, y0, x1, y1, _, _ = _size(ink)
    fallback = max(x1 - x0, y1 - y0) / 20 or 1.0
    return float(np.median(steps)) if len(steps) else fallback


def _size(ink: Ink) -> tuple[float, float, float, float, float, float]:
    """``x0, y0, x1, y1`` of the ink, its width and its height (at least 1e-9)."""
    bounds = ink.bounds()
    if bounds is None:
        raise ValueError("ink without points has no size")
    x0, y0, x1, y1 = bounds
    return x0, y0, x1, y1, max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)


def _main_stroke(ink: Ink) -> int:
    """Index of the longest stroke (by path length)."""
    lengths = [np.linalg.norm(np.diff(s[:, :2], axis=0), axis=1).sum() for s in ink.strokes]
    return int(np.argmax(lengths))


def _crossings(strokes, y: float) -> list[float]:
    """The x where the strokes cross the horizontal line at ``y``."""
    found = []
    for s in strokes:
        a, b = s[:-1, :2], s[1:, :2]
        crossing = (a[:, 1] - y) * (b[:, 1] - y) <= 0
        crossing &= a[:, 1] != b[:, 1]
        for (ax, ay), (bx, by) in zip(a[crossing], b[crossing], strict=True):
            found.append(float(ax + (y - ay) / (by - ay) * (bx - ax)))
    return found


def is_crossbar(stroke: np.ndarray, box) -> bool:
    """A flat stroke in the middle band of the digit: a 7's crossbar."""
    _, y0, _, y1 = box
    height = y1 - y0
    sx0, sy0 = stroke[:, :2].min(axis=0)
    sx1, sy1 = stroke[:, :2].max(axis=0)
    middle = (sy0 + sy1) / 2
    return (
        sy1 - sy0 < 0.2 * height
        and sx1 - sx0 > 2 * (sy1 - sy0)
        and y0 + 0.25 * height < middle < y1 - 0.1 * height
    )


# -----------------------------------------------------------------------------
# Style geometry, shared by ink and images. Each takes the digit's box and
# landmarks and returns the strokes to add (or the reshaped strokes).
# -----------------------------------------------------------------------------


def _slash(box, rng, settings: StyleSettings, inside: bool) -> np.ndarray:
    """End points (upper first) of a zero's slash."""
    x0, y0, x1, y1 = box
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    height = y1 - y0
    side = 1.0 if rng.random() < settings.slash_forward_share else -1.0
    half = np.array([side * (x1 - x0) / 2 * _uniform(rng, settings.slash_spread), -height / 2])
    if inside:
        # (f * spread / n)^2 + (f / n)^2 = f^2 < 1: inside the loop's ellipse.
        half *= _uniform(rng, settings.slash_inside) / np.hypot(half[0] / ((x1 - x0) / 2), 1.0)
        return np.array([centre + half, centre - half])
    unit = half / np.linalg.norm(half)
    upper = centre + half + unit * _uniform(rng, settings.slash_overshoot) * height
    lower = centre - half - unit * _uniform(rng, settings.slash_overshoot) * height
    return np.array([upper, lower])


def _crossbar(box, stem_x: float, bar_y: float, rng, settings: StyleSettings) -> np.ndarray:
    height = box[3] - box[1]
    length = _uniform(rng, settings.crossbar_length) * height
    centre = stem_x + _uniform(rng, settings.crossbar_offset) * length
    rise = np.tan(np.radians(_uniform(rng, settings.crossbar_tilt))) * length / 2
    return np.array([[centre - length / 2, bar_y - rise], [centre + length / 2, bar_y + rise]])


def _flag(top, bottom, height: float, rng, settings: StyleSettings) -> np.ndarray:
    """Start of a long flag ending at ``top``: down and to the left of the stem."""
    down = np.asarray(bottom, dtype=np.float64) - top
    down /= max(np.linalg.norm(down), 1e-9)
    angle = np.radians(_uniform(rng, settings.flag_angle))
    # y grows downwards: turning "down" by +angle turns it to the left.
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    direction = turn @ down
    # A flag as flat as a 7's bar makes a 7 (a "/"-leaning stem turns it flat).
    tilt = np.arctan2(-direction[0], direction[1])
    if tilt > np.radians(settings.flag_max_tilt):
        most = np.radians(settings.flag_max_tilt)
        direction = np.array([-np.sin(most), np.cos(most)])
    return np.asarray(top) + direction * _uniform(rng, settings.flag_length) * height


def _base(bottom, height: float, rng, settings: StyleSettings) -> np.ndarray:
    length = _uniform(rng, settings.base_length) * height
    shift = _uniform(rng, settings.base_shift) * length
    y = bottom[1] + _uniform(rng, settings.base_drop) * height
    return np.array([[bottom[0] - length / 2 + shift, y], [bottom[0] + length / 2 + shift, y]])


# -----------------------------------------------------------------------------
# Ink styles
# -----------------------------------------------------------------------------


def _xy(ink: Ink) -> list[np.ndarray]:
    return [s[:, :2].copy() for s in ink.strokes if len(s)]


def _slashed_zero(mode: str):
    def make(ink: Ink, rng, settings: StyleSettings) -> Ink:
        x0, y0, x1, y1, _, height = _size(ink)
        spacing = _spacing(ink)
        ends = _slash((x0, y0, x1, y1), rng, settings, inside=mode == "inside")
        strokes = _xy(ink)
        slash = _wobble(_polyline(ends, spacing), rng, settings.wobble * height)
        if mode != "joined":
            return Ink([*strokes, slash])
        # The pen runs on from the loop's end to the slash's nearer end.
        last = strokes[-1]
        if np.linalg.norm(slash[-1] - last[-1]) < np.linalg.norm(slash[0] - last[-1]):
            slash = slash[::-1]
        bend = (last[-1] + slash[0]) / 2 + (slash[0] - slash[-1]) * settings.joined_bend
        link = _bezier(last[-1], bend, slash[0], spacing)
        strokes[-1] = np.concatenate([last, link[1:-1], slash])
        return Ink(strokes)

    return make


def _crossed_seven(ink: Ink, rng, settings: StyleSettings) -> Ink:
    x0, y0, x1, y1, _, height = _size(ink)
    box = (x0, y0, x1, y1)
    strokes = [s for s in _xy(ink) if not is_crossbar(s, box)] or _xy(ink)
    bar_y = y0 + _uniform(rng, settings.crossbar_height) * height
    crossings = _crossings(strokes, bar_y)
    # The stem is what a line across the middle of a 7 meets; the leftmost
    # crossing is the stem of a 7 whose top bar dips.
    stem_x = min(crossings) if crossings else (x0 + x1) / 2
    ends = _crossbar(box, stem_x, bar_y, rng, settings)
    bar = _wobble(_polyline(ends, _spacing(ink)), rng, settings.wobble * height / 2)
    return Ink([*strokes, bar])


def _curved_seven(ink: Ink, rng, settings: StyleSettings) -> Ink:
    x0, y0, x1, y1, width, height = _size(ink)
    box = (x0, y0, x1, y1)
    strokes = [s for s in _xy(ink) if not is_crossbar(s, box)] or _xy(ink)
    main = int(np.argmax([np.ptp(s[:, 1]) for s in strokes]))
    stroke = strokes[main]
    # The corner is the top right of the 7: the most "right and up" point.
    score = (stroke[:, 0] - x0) / width - (stroke[:, 1] - y0) / height
    corner = int(np.argmax(score))
    start, end = stroke[corner], stroke[-1]
    if end[1] - start[1] < 0.4 * height:  # the stem is not the end of this stroke
        return Ink(strokes)
    chord = end - start
    # Bow to the right of the way down: the neck of a 2.
    normal = np.array([-chord[1], chord[0]]) / np.linalg.norm(chord)
    if normal[0] < 0:
        normal = -normal
    bulge = _uniform(rng, settings.seven_bulge) * np.linalg.norm(chord)
    control = (start + end) / 2 + normal * 2 * bulge  # the curve reaches half its control
    stem = _wobble(_bezier(start, control, end, _spacing(ink)), rng, settings.wobble * height)
    stem[0] = start
    strokes[main] = np.concatenate([stroke[:corner], stem])
    return Ink(strokes)


def _flagged_one(with_base: bool):
    def make(ink: Ink, rng, settings: StyleSettings) -> Ink:
        x0, y0, x1, y1, _, height = _size(ink)
        stroke = _xy(ink)[_main_stroke(ink)]
        # The stem runs from the top to the foot; an old flag before it and a
        # base drawn on in the same stroke after it go.
        top, foot = int(np.argmin(stroke[:, 1])), int(np.argmax(stroke[:, 1]))
        stem = stroke[top : foot + 1] if top < foot else stroke[foot : top + 1][::-1]
        spacing = _spacing(ink)
        top, bottom = stem[0], stem[-1]
        start = _flag(top, bottom, height, rng, settings)
        # A flag is drawn with a slight upward bow.
        bend = (start + top) / 2 + np.array([0.0, -settings.flag_bow * height])
        flag = _wobble(_bezier(start, bend, top, spacing), rng, settings.wobble * height / 2)
        flag[-1] = top
        strokes = [np.concatenate([flag[:-1], stem])]
        if with_base:
            base = _polyline(_base(bottom, height, rng, settings), spacing)
            strokes.append(_wobble(base, rng, settings.wobble * height / 3))
        return Ink(strokes)

    return make


def _open_four(ink: Ink, rng, settings: StyleSettings) -> Ink:
    """An "L" and a separate stem, placed in the four's own box."""
    x0, y0, x1, y1, _, height = _size(ink)
    s = settings
    width = _uniform(rng, s.four_width) * height
    left = (x0 + x1) / 2 - width / 2
    bar_y = y0 + _uniform(rng, s.four_bar_height) * height
    stem_x = left + width * _uniform(rng, s.four_stem_x)
    stem_top = y0 + _uniform(rng, s.four_stem_top) * height
    slant = _uniform(rng, s.four_slant) * height  # the stem's top is this far right of its foot
    stem_at_bar = stem_x + slant * (y1 - bar_y) / (y1 - stem_top)
    corner = np.array([left + _uniform(rng, s.four_corner_x) * width, bar_y])
    l_top = np.array([corner[0] + _uniform(rng, s.four_lean) * height, y0])
    bar_end = np.array([stem_at_bar - _uniform(rng, s.four_gap) * height, bar_y])
    spacing = _spacing(ink)
    amplitude = s.wobble * height
    ell = _wobble(
        np.concatenate(
            [_polyline([l_top, corner], spacing), _polyline([corner, bar_end], spacing)[1:]]
        ),
        rng,
        amplitude,
    )
    stem = _wobble(_polyline([[stem_x + slant, stem_top], [stem_x, y1]], spacing), rng, amplitude)
    return Ink([ell, stem])


def _straight_nine(ink: Ink, rng, settings: StyleSettings) -> Ink:
    x0, y0, x1, y1, _, height = _size(ink)
    strokes = _xy(ink)
    main = _main_stroke(ink)
    stroke = strokes[main]
    if stroke[0, 1] > stroke[-1, 1]:  # written from the stem's foot up
        stroke = stroke[::-1]
    upper = np.flatnonzero(stroke[:, 1] <= y0 + _uniform(rng, settings.nine_loop) * height)
    if len(upper) == 0:
        return Ink(strokes)
    loop = stroke[: upper[-1] + 1]
    top = loop[-1]
    foot = np.array([top[0] - _uniform(rng, settings.nine_lean) * (y1 - top[1]), y1])
    stem = _wobble(_polyline([top, foot], _spacing(ink)), rng, settings.wobble * height / 2)
    stem[0] = top
    strokes[main] = np.concatenate([loop, stem[1:]])
    return Ink(strokes)


@dataclass(frozen=True)
class StyleSpec:
    """One writing style: the digit it applies to, what it looks like, how to make it."""

    label: int
    description: str
    make: Callable[[Ink, np.random.Generator, StyleSettings], Ink]


STYLES: dict[str, StyleSpec] = {
    "slashed-zero": StyleSpec(
        0, "zero with a slash through the loop, sticking out", _slashed_zero("through")
    ),
    "slashed-zero-inside": StyleSpec(
        0, "zero with a slash inside the loop only", _slashed_zero("inside")
    ),
    "slashed-zero-joined": StyleSpec(
        0, "zero whose loop runs on into a slash", _slashed_zero("joined")
    ),
    "crossed-seven": StyleSpec(7, "seven with a crossbar as its own stroke", _crossed_seven),
    "curved-seven": StyleSpec(7, "seven with a curved stem", _curved_seven),
    "flagged-one": StyleSpec(1, "one with a long flag", _flagged_one(with_base=False)),
    "flagged-one-base": StyleSpec(1, "one with a long flag and a base", _flagged_one(True)),
    "open-four": StyleSpec(4, "open-top four: an L and a separate stem", _open_four),
    "straight-nine": StyleSpec(9, "nine with a straight stem", _straight_nine),
}


def styles_for(label: int) -> list[str]:
    """Names of the styles that apply to a digit, in :data:`STYLES` order."""
    return [name for name, spec in STYLES.items() if spec.label == label]


def apply_style(
    ink: Ink,
    label: int,
    style: str,
    rng: np.random.Generator,
    settings: StyleSettings = DEFAULT_SETTINGS,
) -> Ink | None:
    """The digit ``ink`` (of ``label``) written in ``style``; None if the style is another digit's.

    Raises KeyError for an unknown style name. Empty ink gives None.
    """
    spec = STYLES[style]
    if spec.label != label or ink.is_empty:
        return None
    return spec.make(ink, rng, settings)


def random_style(
    ink: Ink,
    label: int,
    rng: np.random.Generator,
    settings: StyleSettings = DEFAULT_SETTINGS,
) -> tuple[str, Ink] | None:
    """One of the digit's styles, chosen at random, and the restyled ink; None if none applies."""
    names = styles_for(label)
    if not names or ink.is_empty:
        return None
    name = names[int(rng.integers(len(names)))]
    return name, STYLES[name].make(ink, rng, settings)


# -----------------------------------------------------------------------------
# Tablet realism
# -----------------------------------------------------------------------------


def _resample(points: np.ndarray, count: int) -> np.ndarray:
    """``count`` points evenly along the stroke (the corners between them are cut)."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] <= 0:
        return points
    where = np.linspace(0.0, along[-1], count)
    return np.column_stack([np.interp(where, along, points[:, i]) for i in range(2)])


def _uneven(points: np.ndarray, variation: float, period: float, rng) -> np.ndarray:
    """Resampled as a pen moving at a varying speed: the spacing swells and shrinks."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] <= 0 or len(points) < 3:
        return points
    spacing = along[-1] / (len(points) - 1)
    positions, at = [0.0], 0.0
    phase, period = rng.uniform(0, 2 * np.pi), period * along[-1]
    while True:
        at += spacing * (1 + variation * np.sin(2 * np.pi * at / period + phase))
        if at >= along[-1]:
            break
        positions.append(at)
    positions.append(along[-1])
    return np.column_stack([np.interp(positions, along, points[:, i]) for i in range(2)])


def tablet_realism(
    ink: Ink, rng: np.random.Generator, settings: StyleSettings = DEFAULT_SETTINGS
) -> Ink:
    """The ink as a low-grade tablet would report it (x and y only).

    Each effect is applied with its share of :class:`StyleSettings`: strokes
    resampled to a few points, uneven spacing, jitter, quantisation to a
    coarse grid (a staircase along slanted lines).
    """
    bounds = ink.bounds()
    if bounds is None:
        return Ink()
    height = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1e-9)
    s = settings
    resample = rng.random() < s.resample_share
    speed = rng.random() < s.speed_share
    jitter = _uniform(rng, s.jitter) * height if rng.random() < s.jitter_share else 0.0
    quantum = _uniform(rng, s.quantum) * height if rng.random() < s.quantum_share else 0.0
    strokes = []
    for stroke in _xy(ink):
        if resample and len(stroke) > 2:
            low, high = s.resample_points
            stroke = _resample(stroke, int(rng.integers(low, high + 1)))
        if speed:
            stroke = _uneven(
                stroke, _uniform(rng, s.speed_variation), _uniform(rng, s.speed_period), rng
            )
        if jitter:
            stroke = stroke + rng.normal(0.0, jitter, stroke.shape)
        if quantum:
            # The tablet reports every crossing of a grid line: a staircase.
            stroke = np.round(_polyline(stroke, quantum / 3) / quantum) * quantum
            keep = np.concatenate([[True], np.any(np.diff(stroke, axis=0) != 0, axis=1)])
            stroke = stroke[keep]
        strokes.append(stroke)
    return Ink(strokes, ink.width, ink.height)


def random_pen_width(rng: np.random.Generator, settings: StyleSettings = DEFAULT_SETTINGS) -> float:
    """A pen width for ``ink_to_input(ink, pen_width=...)``."""
    return _uniform(rng, settings.pen_width) * PEN_WIDTH


# -----------------------------------------------------------------------------
# MNIST images
# -----------------------------------------------------------------------------

#: The styles that :func:`style_image` draws, by label.
IMAGE_STYLES: dict[int, tuple[str, ...]] = {
    0: ("slashed-zero", "slashed-zero-inside"),
    1: ("flagged-one", "flagged-one-base"),
    7: ("crossed-seven",),
}

_IMAGE_MARGIN = 10  # pixels of room around the 28x28 image for what sticks out


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary picture: twice its area over its outline."""
    area = mask.sum()
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    outline = area - inner.sum()
    return float(np.clip(2 * area / max(outline, 1), 1.2, 5.0))


def style_image(
    image: np.ndarray,
    label: int,
    rng: np.random.Generator,
    settings: StyleSettings = DEFAULT_SETTINGS,
    style: str | None = None,
) -> np.ndarray | None:
    """An MNIST digit (uint8 28x28, light on dark) with a style drawn on, refitted like MNIST.

    ``style`` is one of ``IMAGE_STYLES[label]`` (default: one at random).
    Returns None when no image style applies to the label or the image is
    blank. The strokes are drawn in the digit's own stroke width; the result
    is fitted into the 20x20 box again and centred by mass
    (:func:`digitpad.preprocess.coverage_to_input`), as MNIST's digits are.
    """
    names = IMAGE_STYLES.get(int(label), ())
    if style is None:
        if not names:
            return None
        style = names[int(rng.integers(len(names)))]
    elif style not in names:
        return None
    coverage = np.asarray(image, dtype=np.float32) / 255.0
    mask = coverage > 0.5
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    # Pixel (row r, column c) has its centre at (c + 0.5, r + 0.5).
    box = (cols[0] + 0.5, rows[0] + 0.5, cols[-1] + 0.5, rows[-1] + 0.5)
    height = box[3] - box[1]
    strokes: list[np.ndarray] = []
    if style.startswith("slashed-zero"):
        strokes.append(_slash(box, rng, settings, inside=style == "slashed-zero-inside"))
    elif style == "crossed-seven":
        bar_y = box[1] + _uniform(rng, settings.crossbar_height) * height
        ink_cols = np.flatnonzero(mask[min(int(bar_y), 27)])
        stem_x = ink_cols.mean() + 0.5 if ink_cols.size else (box[0] + box[2]) / 2
        strokes.append(_crossbar(box, stem_x, bar_y, rng, settings))
    else:  # flagged one
        top_cols = np.flatnonzero(mask[rows[0] : rows[0] + 2].any(axis=0))
        foot_cols = np.flatnonzero(mask[rows[-1] - 1 : rows[-1] + 1].any(axis=0))
        top = np.array([top_cols.mean() + 0.5, box[1]])
        foot = np.array([foot_cols.mean() + 0.5, box[3]])
        start = _flag(top, foot, height, rng, settings)
        bend = (start + top) / 2 + np.array([0.0, -settings.flag_bow * height])
        strokes.append(_bezier(start, bend, top, 0.5))
        if style == "flagged-one-base":
            strokes.append(_base(foot, height, rng, settings))
    m = _IMAGE_MARGIN
    side = image.shape[0] + 2 * m
    drawn = rasterize(
        strokes, (side, side), pen_width=_stroke_width(mask), offset=(m, m), supersample=4
    )
    # The drawn strokes are as dark as the digit's own strokes.
    drawn *= float(coverage.max())
    canvas = np.zeros((side, side), dtype=np.float32)
    canvas[m : m + image.shape[0], m : m + image.shape[1]] = coverage
    fitted = coverage_to_input(np.maximum(canvas, drawn))
    return None if fitted is None else np.round(fitted * 255).astype(np.uint8)


def style_images(
    x: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    settings: StyleSettings = DEFAULT_SETTINGS,
) -> tuple[np.ndarray, np.ndarray]:
    """Styled copies of a share of the MNIST digits that a style applies to.

    Parameters
    ----------
    x : uint8 array, shape (n, 28, 28)
    y : int array, shape (n,)

    Returns
    -------
    (x_new, y_new)
        Only the new images (uint8, shape (m, 28, 28)) and their labels; the
        originals are not included. ``settings.image_share`` of the digits
        in ``settings.image_labels`` (0s, 1s and 7s by default) get one copy
        each, in one of :data:`IMAGE_STYLES`.
    """
    images, labels = [], []
    for image, label in zip(x, y, strict=True):
        if int(label) not in settings.image_labels or rng.random() >= settings.image_share:
            continue
        styled = style_image(image, int(label), rng, settings)
        if styled is not None:
            images.append(styled)
            labels.append(label)
    if not images:
        return np.zeros((0, *x.shape[1:]), dtype=np.uint8), np.zeros(0, dtype=y.dtype)
    return np.stack(images), np.array(labels, dtype=y.dtype)


def settings_record(settings: StyleSettings = DEFAULT_SETTINGS) -> dict:
    """The settings and the styles, JSON-ready, for a recipe or a model card."""
    return {
        "settings": {
            k: list(v) if isinstance(v, tuple) else v for k, v in asdict(settings).items()
        },
        "ink_styles": {name: [spec.label, spec.description] for name, spec in STYLES.items()},
        "image_styles": {
            str(k): list(v) for k, v in IMAGE_STYLES.items() if k in settings.image_labels
        },
    }


#: The default settings as a JSON-ready dict (see :func:`settings_record`).
STYLE_SETTINGS = settings_record()

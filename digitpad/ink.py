"""Ink: pen strokes, the ink JSON format, and the one rasterizer.

An :class:`Ink` is a list of strokes in canvas pixels (origin top-left, y
down). Each stroke is a float array of shape ``(n, k)`` with ``k >= 2``: the
first two columns are ``x`` and ``y``; a third and fourth, when present, are
the time in milliseconds and the pen pressure (0..1).

The JSON format::

    {"width": 400, "height": 400,
     "strokes": [[[x, y], [x, y, t_ms, pressure], ...], ...]}

``width`` and ``height`` are optional. The Quick, Draw! layout
(``{"drawing": [[[x, ...], [y, ...], [t, ...]], ...]}``) is read too.

A PNG saved by the pad keeps the ink it shows as that JSON, in a text chunk
(:data:`PNG_INK_KEY`, :func:`picture_ink`), so that it is read as the ink
it was drawn as.

:func:`rasterize` is the only place where ink becomes pixels: the canvas,
the preprocessing for the model, the CLI and the benchmarks all call it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "Ink",
    "InkError",
    "MAX_POINTS",
    "PNG_INK_KEY",
    "ink_from_json",
    "picture_ink",
    "load_ink",
    "read_ink_json",
    "parse_ink",
    "rasterize",
    "render",
]

#: Upper bound on the points of one ink, so that a hostile file cannot make
#: rendering take unbounded time or memory.
MAX_POINTS = 200_000

#: Upper bound on the absolute value of a coordinate.
MAX_COORDINATE = 1e6

#: The PNG text chunk in which a picture saved by the pad keeps its ink JSON.
PNG_INK_KEY = "digitpad-ink"


class InkError(ValueError):
    """Raised for ink that cannot be read: bad JSON, wrong schema, bad numbers."""


@dataclass
class Ink:
    """Strokes in canvas pixels, plus the optional size of the canvas."""

    strokes: list[np.ndarray] = field(default_factory=list)
    width: float | None = None
    height: float | None = None

    def __post_init__(self):
        self.strokes = [_as_stroke(s) for s in self.strokes]

    @property
    def is_empty(self) -> bool:
        return not any(len(s) for s in self.strokes)

    @property
    def point_count(self) -> int:
        return sum(len(s) for s in self.strokes)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """``(x0, y0, x1, y1)`` of all points, or None for empty ink."""
        points = [s[:, :2] for s in self.strokes if len(s)]
        if not points:
            return None
        xy = np.concatenate(points)
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    def to_json(self) -> dict:
        """The ink as a JSON-ready dict in digitpad's own layout."""
        data: dict = {}
        if self.width is not None:
            data["width"] = self.width
        if self.height is not None:
            data["height"] = self.height
        data["strokes"] = [
            [[json_number(v) for v in point] for point in stroke.tolist()]
            for stroke in self.strokes
        ]
        return data

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f)


def json_number(value: float) -> float | int:
    """A coordinate as JSON writes it best: whole numbers as ints, others to 3 decimals."""
    return int(value) if float(value).is_integer() else round(value, 3)


def _as_stroke(points) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 2))
    if array.ndim != 2 or array.shape[1] < 2:
        raise InkError(f"a stroke must be a list of [x, y, ...] points, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise InkError("ink has a coordinate that is NaN or infinite")
    if np.abs(array[:, :2]).max() > MAX_COORDINATE:
        raise InkError(f"ink has a coordinate beyond +-{MAX_COORDINATE:g}")
    return array


def parse_ink(data) -> Ink:
    """Build an :class:`Ink` from decoded JSON (digitpad or Quick, Draw! layout)."""
    if not isinstance(data, dict):
        raise InkError("ink JSON must be an object with a 'strokes' or 'drawing' list")
    if "strokes" in data:
        raw = data["strokes"]
        if not isinstance(raw, list):
            raise InkError("'strokes' must be a list of strokes")
        strokes = []
        for stroke in raw:
            if not isinstance(stroke, list) or not all(
                isinstance(p, list) and len(p) >= 2 for p in stroke
            ):
                raise InkError("each stroke must be a list of [x, y, ...] points")
            strokes.append(_numbers(stroke, width=min((len(p) for p in stroke), default=2)))
    elif "drawing" in data:
        raw = data["drawing"]
        if not isinstance(raw, list):
            raise InkError("'drawing' must be a list of strokes")
        strokes = []
        for stroke in raw:
            if (
                not isinstance(stroke, list)
                or len(stroke) < 2
                or not all(isinstance(c, list) for c in stroke)
            ):
                raise InkError("each Quick, Draw! stroke must be [[x, ...], [y, ...]]")
            if len({len(c) for c in stroke}) != 1:
                raise InkError("a Quick, Draw! stroke has x, y (and t) lists of different lengths")
            strokes.append(
                _numbers(stroke, width=len(stroke[0])).T if stroke[0] else np.zeros((0, 2))
            )
    else:
        raise InkError("ink JSON has neither 'strokes' nor 'drawing'")
    count = sum(len(s) for s in strokes)
    if count > MAX_POINTS:
        raise InkError(f"ink has {count} points; the limit is {MAX_POINTS}")
    width, height = data.get("width"), data.get("height")
    for name, value in (("width", width), ("height", height)):
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 < value <= MAX_COORDINATE
        ):
            raise InkError(f"'{name}' must be a positive number")
    try:
        return Ink(strokes, width, height)
    except InkError:
        raise
    except (TypeError, ValueError) as error:
        raise InkError(f"bad ink: {error}") from None


def _numbers(rows, width: int) -> np.ndarray:
    try:
        return np.array([row[:width] for row in rows], dtype=np.float64)
    except OverflowError:
        raise InkError(f"ink has a coordinate beyond +-{MAX_COORDINATE:g}") from None
    except (TypeError, ValueError):
        raise InkError("ink points must be numbers") from None


def load_ink(path: str | os.PathLike) -> Ink:
    """Read an ink JSON file. Raises :class:`InkError` for anything unreadable.

    The file is read by :func:`read_ink_json`, then :func:`parse_ink`.
    """
    return parse_ink(read_ink_json(path))


def read_ink_json(path: str | os.PathLike):
    """The decoded JSON of an ink file, read within the limits of every ink file.

    Files beyond ``MAX_POINTS * 64`` bytes are refused unread; the text is
    decoded as :func:`ink_from_json` decodes it (nesting and number limits).
    For formats that keep more than ink in an ink file (a profile example's
    ``"digit"``): :func:`parse_ink` of the result is the ink. Raises
    :class:`InkError` for anything unreadable.
    """
    try:
        size = os.path.getsize(path)
        # 64 bytes per point is generous for JSON; bigger files are refused unread.
        if size > MAX_POINTS * 64:
            raise InkError(f"ink file is {size} bytes; the limit is {MAX_POINTS * 64}")
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise InkError("no such file") from None
    except IsADirectoryError:
        raise InkError("is a folder") from None
    except UnicodeDecodeError:
        raise InkError("not a text file") from None
    except OSError as error:
        raise InkError(f"cannot read: {error.strerror or error}") from None
    return _decode_json(text)


def picture_ink(image: Image.Image) -> Ink | None:
    """The ink a picture saved by the pad was drawn as (its :data:`PNG_INK_KEY` text).

    None for any other picture, and for text that is not ink with strokes:
    such a picture is read by its pixels.
    """
    text = getattr(image, "info", {}).get(PNG_INK_KEY)
    if not isinstance(text, str | bytes):
        return None
    try:
        ink = ink_from_json(text)
    except InkError:
        return None
    return None if ink.is_empty else ink


def ink_from_json(text: str | bytes) -> Ink:
    """Parse ink JSON text (see :func:`parse_ink`). Raises :class:`InkError`.

    Time and memory stay bounded whatever the text holds: text nested deeper
    than :data:`MAX_NESTING` is refused unparsed, and parsing stops as soon as
    there are more numbers than ``MAX_POINTS`` points can carry.
    """
    return parse_ink(_decode_json(text))


def _decode_json(text: str | bytes):
    """``json.loads`` within the limits of :func:`ink_from_json`; raises :class:`InkError`."""
    numbers = _NumberBudget(MAX_POINTS * 4)
    if _nesting(text) > MAX_NESTING:
        raise InkError("not ink: JSON nested too deeply")
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=numbers.integer,
            parse_float=numbers.real,
        )
    except InkError:
        raise
    except UnicodeDecodeError:
        raise InkError("not a text file") from None
    except json.JSONDecodeError as error:
        raise InkError(f"not valid JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise InkError("not ink: JSON nested too deeply") from None
    except ValueError:  # int() refuses numbers of thousands of digits
        raise InkError("not valid JSON (a number with too many digits)") from None
    return data


#: Ink JSON is four levels deep. Deeper text is refused before parsing, the same
#: on every Python (the JSON parser's own limit is 1,000 levels on 3.11, 100,000 on 3.13).
MAX_NESTING = 64
_JSON_STRINGS: dict[type, re.Pattern] = {
    str: re.compile(r'"(?:[^"\\]|\\.)*"'),
    bytes: re.compile(rb'"(?:[^"\\]|\\.)*"'),
}


def _nesting(text: str | bytes) -> int:
    """How deep the brackets of JSON ``text`` go (brackets inside strings do not count)."""
    depth = _bracket_depth(text)
    if depth > MAX_NESTING:  # perhaps only brackets inside strings: count again without them
        depth = _bracket_depth(_JSON_STRINGS[type(text)].sub(type(text)(), text))
    return depth


def _bracket_depth(text: str | bytes, chunk: int = 1 << 20) -> int:
    """The deepest nesting of ``[``/``{`` in ``text``, counted a chunk at a time (little memory)."""
    depth = deepest = 0
    for start in range(0, len(text), chunk):
        part = text[start : start + chunk]
        if isinstance(part, str):
            part = part.encode("utf-8", "replace")
        folded = np.frombuffer(part, dtype=np.uint8) | 0x20  # "[" -> "{", "]" -> "}"
        running = depth + np.cumsum((folded == ord("{")).astype(np.int32) - (folded == ord("}")))
        deepest, depth = max(deepest, int(running.max())), int(running[-1])
    return deepest


class _NumberBudget:
    """json.load hooks that count numbers and stop the parse when there are too many."""

    def __init__(self, limit: int):
        self.left = limit
        self.limit = limit

    def _spend(self):
        self.left -= 1
        if self.left < 0:
            raise InkError(
                f"ink has more than {self.limit} numbers; the limit is {MAX_POINTS} points"
            )

    def integer(self, text: str) -> int:
        self._spend()
        return int(text)

    def real(self, text: str) -> float:
        self._spend()
        return float(text)


def _refuse_constant(name: str):
    raise InkError(f"ink has {name}, which is not a coordinate")


def rasterize(
    strokes,
    size: tuple[int, int],
    *,
    pen_width: float,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    supersample: int = 4,
    pressure: bool = False,
    dtype=np.float32,
) -> np.ndarray:
    """Draw strokes as anti-aliased round-capped lines.

    Parameters
    ----------
    strokes : Ink or sequence of (n, k) arrays
        Points in ink coordinates.
    size : (width, height)
        Size of the output in pixels.
    pen_width : float
        Line width in output pixels.
    scale, offset : float, (float, float)
        Ink point ``p`` lands on output pixel ``p * scale + offset``
        (pixel centres are at half-integers).
    supersample : int
        Lines are drawn at this many times the resolution and box-filtered
        down, which is the anti-aliasing.
    pressure : bool
        When true and a point has a fourth value, the width at that point is
        ``pen_width * (0.35 + 0.65 * pressure) * 1.5``; missing pressure
        counts as 2/3 so that mouse and pen lines look alike.

    dtype : np.float32 or np.uint8
        float32 gives coverage 0..1; uint8 gives 0..255 and skips the
        conversion, which costs more than the drawing on a large canvas.

    Returns
    -------
    ndarray of dtype, shape (height, width)
        Ink coverage, 0 (paper) to 1 (ink), or 0 to 255 for uint8.
    """
    s = int(supersample)
    image = render(
        strokes,
        (int(size[0]) * s, int(size[1]) * s),
        pen_width=pen_width * s,
        scale=scale * s,
        offset=(offset[0] * s, offset[1] * s),
        pressure=pressure,
        pixel=s,
    )
    if s > 1:
        image = image.reduce(s)
    if np.dtype(dtype) == np.uint8:
        return np.asarray(image)
    return np.asarray(image, dtype=np.float32) * np.float32(1 / 255)


def render(
    strokes,
    size: tuple[int, int],
    *,
    pen_width: float,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    pressure: bool = False,
    pixel: float = 1.0,
) -> Image.Image:
    """Draw strokes without anti-aliasing into a new 8-bit Pillow image.

    The arguments are those of :func:`rasterize` at ``supersample=1``;
    :func:`rasterize` is this followed by a box filter. ``pixel`` is the size
    of the final picture's pixel in this image's pixels (the supersampling
    factor): details smaller than half of it are not drawn.
    """
    if isinstance(strokes, Ink):
        strokes = strokes.strokes
    canvas = Image.new("L", (int(size[0]), int(size[1])), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        if len(stroke) == 0:
            continue
        xy = _thin(
            np.asarray(stroke, dtype=np.float64),
            pen_width / 4 / scale if scale > 0 else 0.0,
        )
        points = xy[:, :2] * scale + np.asarray(offset)
        if pressure and xy.shape[1] >= 4:
            widths = pen_width * (0.35 + 0.65 * np.clip(xy[:, 3], 0.0, 1.0)) * 1.5
        else:
            widths = np.full(len(xy), float(pen_width))
        _draw_stroke(draw, points, widths, pixel)
    return canvas


def _thin(points: np.ndarray, spacing: float) -> np.ndarray:
    """Drop points closer than ``spacing`` (in ink units) along the stroke.

    Mouse and pen events arrive far denser than the pixels they land on;
    drawing every one only costs time.
    """
    if len(points) < 3 or spacing <= 0:
        return points
    steps = points[1:, :2] - points[:-1, :2]
    bucket = np.cumsum(np.sqrt(np.einsum("ij,ij->i", steps, steps))) // spacing
    keep = np.empty(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    keep[1] = bucket[0] > 0
    np.not_equal(bucket[1:-1], bucket[:-2], out=keep[2:-1])
    return points[keep]


def _draw_stroke(
    draw: ImageDraw.ImageDraw, points: np.ndarray, widths: np.ndarray, pixel: float
) -> None:
    # Pillow's pixel centres sit on integer coordinates; ours on half-integers.
    points = points - 0.5
    uniform = np.all(widths == widths[0])
    if uniform and len(points) > 1:
        # Pillow's joint="curve" is slow Python; round dots at the ends and at
        # the sharper bends make the same round joins.
        w = float(widths[0])
        draw.line(points.ravel().tolist(), fill=255, width=max(1, round(w)))
        for p in points[_corners(points, w / pixel)]:
            _dot(draw, p, w)
        return
    for i, p in enumerate(points):
        _dot(draw, p, float(widths[i]))
        if i:
            w = float(min(widths[i - 1], widths[i]))
            draw.line([tuple(points[i - 1]), tuple(p)], fill=255, width=max(1, round(w)))


def _corners(points: np.ndarray, width: float) -> np.ndarray:
    """Mask of the ends and of the vertices that need a round join.

    Two segments meeting at an angle leave a wedge-shaped notch of about
    ``width / 2 * angle`` on the outside of the bend; below half a pixel it
    cannot be seen and the (slow) dot is skipped. ``width`` is in pixels of
    the final picture.
    """
    mask = np.ones(len(points), dtype=bool)
    if len(points) > 2:
        d = points[1:] - points[:-1]
        a, b = d[:-1], d[1:]
        cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
        dot = a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]
        mask[1:-1] = np.abs(np.arctan2(cross, dot)) * width > 1.0
    return mask


def _dot(draw: ImageDraw.ImageDraw, centre, width: float) -> None:
    r = max(width, 1.0) / 2 - 0.5
    x, y = float(centre[0]), float(centre[1])
    draw.ellipse((x - r, y - r, x + r, y + r), fill=255)

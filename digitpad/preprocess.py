"""Ink or image to the model's input, made the way MNIST digits were made.

MNIST's recipe (LeCun et al.): crop to the ink, scale so that the larger side
fits a 20x20 box keeping the aspect ratio, anti-alias, then place the result
in a 28x28 field so that its centre of mass sits at the centre.

The model's input convention (also recorded in the model card): a float32
array of shape (28, 28), values 0 (background) to 1 (ink), light ink on a dark
background like MNIST. ``None`` stands for "no digit" (empty ink, blank image).
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .ink import Ink, render
from .segment import _label  # the 8-connected labelling that splits pictures into blobs

__all__ = [
    "FIELD",
    "BOX",
    "PEN_WIDTH",
    "MAX_PIXELS",
    "ImageReadError",
    "ink_to_input",
    "coverage_to_input",
    "image_to_input",
    "ink_coverage",
    "load_image",
]

FIELD = 28
BOX = 20
#: Stroke width, in pixels of the 28x28 field, at which ink is drawn for the
#: model. Chosen so that rendered pen digits carry about as much ink as MNIST
#: digits (see benchmarks/pen_accuracy.py --ink-mass).
PEN_WIDTH = 2.3
#: Images with more pixels than this are refused before they are decoded.
MAX_PIXELS = 50_000_000
#: Coverage below this is a faint speck unless it touches stronger ink.
FAINT_INK = 0.15
#: A picture whose ink is not this much (of the full grey scale) from its
#: paper has no digit.
MIN_CONTRAST = 0.1
#: Larger images are box-filtered down to this side before they are analysed.
MAX_SIDE = 2048
#: Ink this small relative to its canvas is a tap, not a digit.
MIN_RELATIVE_EXTENT = 0.01

# The paper's level is estimated on a grid of about this many cells along the
# picture's longer side, by an opening over a window of this many cells
# (besides a plane for the overall gradient): ink (a stroke, a digit's body)
# must be narrower than two thirds of the picture, and the light's changes
# other than the gradient are followed over that distance.
_PAPER_GRID = 32
_PAPER_WINDOW = 21
# Sigmas of the paper's noise above its level: pixels above the floor are ink
# when connected to one above the seed level. Gaussian noise reaches the seed
# level about once in a billion pixels.
_NOISE_FLOOR = 2.0
_NOISE_SEED = 6.0
# Noise above this (of the full scale: a grey level of 8 bits) is smoothed
# over 3x3 pixels before thresholding. Below, it is rounding, and a clean
# picture's edges stay as they are.
_SMOOTHED_NOISE = 1 / 255
# Pixels this close to the paper (of the full scale) are paper, whatever the
# noise: rounding in the paper's level is no ink.
_PAPER_TOLERANCE = 1e-3
_NOISE_SAMPLE = 10_000
_MAD_TO_SIGMA = 1.4826

_SUPERSAMPLE = 4
# Rendering margin around the 28x28 window: room for the centre-of-mass shift,
# which is at most half of the 20-pixel box.
_MARGIN = 10
# Where the centre of mass goes, in pixel-index coordinates. MNIST's digits
# have theirs at 14.0 (mean 13.99 and 14.01 over the test set, spread 0.3),
# not at the field's middle, 13.5.
_CENTRE = FIELD / 2


class ImageReadError(ValueError):
    """Raised for an image file that cannot be read or is refused."""


def ink_to_input(ink: Ink, *, pen_width: float = PEN_WIDTH) -> np.ndarray | None:
    """Render ink as a 28x28 MNIST-like model input, or None when there is no digit.

    The ink is scaled to the 20x20 box first and drawn at that scale, so the
    stroke width the model sees does not depend on how large the person wrote.
    """
    bounds = ink.bounds()
    if bounds is None:
        return None
    x0, y0, x1, y1 = bounds
    extent = max(x1 - x0, y1 - y0)
    canvas_extent = max(ink.width or 0, ink.height or 0)
    if extent <= 0 or extent < MIN_RELATIVE_EXTENT * canvas_extent:
        return None
    s = _SUPERSAMPLE
    scale = (BOX - pen_width) / extent
    # Draw only the ink's square (the box plus a pixel of room for the pen),
    # its centre on a whole pixel, so that cutting out the 28x28 window by the
    # centre of mass below is a crop at a quarter-pixel step.
    half = (BOX // 2 + 1) * s
    size = 2 * half
    offset = (
        half - (x0 + x1) / 2 * scale * s,
        half - (y0 + y1) / 2 * scale * s,
    )
    big = render(
        ink, (size, size), pen_width=pen_width * s, scale=scale * s, offset=offset, pixel=s
    )
    # The centre of mass of the box-filtered picture is that of the full one.
    cy, cx = _centre_of_mass(np.asarray(big.reduce(s), dtype=np.float32))
    window = FIELD * s
    # Centre by mass, but never so far that part of the box leaves the field
    # (a long stroke with a distant dot would otherwise lose the dot).
    half_height = ((y1 - y0) * scale + pen_width) / 2 * s
    half_width = ((x1 - x0) * scale + pen_width) / 2 * s
    top = _clamp(round((cy - _CENTRE) * s), half + half_height - window, half - half_height)
    left = _clamp(round((cx - _CENTRE) * s), half + half_width - window, half - half_width)
    # Pillow fills the part of the window outside the drawing with 0.
    crop = big.crop((left, top, left + window, top + window)).reduce(s)
    return np.asarray(crop, dtype=np.float32) * np.float32(1 / 255)


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file for :func:`image_to_input`.

    The pixel count is checked before decoding (:data:`MAX_PIXELS`); animated
    images give their first frame; EXIF orientation is applied. Raises
    :class:`ImageReadError` with a one-line reason.
    """
    with warnings.catch_warnings():
        # Pillow warns about damaged files it can still read (a truncated TIFF
        # tag, corrupt EXIF) on stderr; what it cannot read raises below.
        warnings.simplefilter("ignore")
        # It only warns between its own pixel limit and twice that; refuse those.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return _open_image(path)


def _open_image(path) -> Image.Image:
    try:
        image: Image.Image = Image.open(path)
    except FileNotFoundError:
        raise ImageReadError("no such file") from None
    except IsADirectoryError:
        raise ImageReadError("is a folder") from None
    except UnidentifiedImageError:
        raise ImageReadError(
            "not an image digitpad can read (such as PNG, JPEG, BMP, GIF, TIFF, WebP)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageReadError(f"refused: more than the limit of {MAX_PIXELS} pixels") from None
    except Exception as error:  # noqa: BLE001 - Pillow's plugins raise many kinds for bad data
        raise ImageReadError(f"cannot open image: {_one_line(error)}") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise ImageReadError(
            f"refused: {width}x{height} is {width * height} pixels; the limit is {MAX_PIXELS}"
        )
    if width == 0 or height == 0:
        image.close()
        raise ImageReadError("image has no pixels")
    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
    except Exception as error:  # noqa: BLE001 - as above
        image.close()
        raise ImageReadError(f"cannot decode image: {_one_line(error)}") from None
    return image


def _one_line(error: BaseException) -> str:
    # The reader's own words when it has some; never the name of its exception class.
    return " ".join(str(error).split()) or "the file is damaged"


def image_to_input(image: Image.Image | np.ndarray) -> np.ndarray | None:
    """Turn a picture of a digit into a 28x28 MNIST-like model input.

    Any Pillow mode is accepted. Dark ink on a light background and light on
    dark are told apart by the border; a transparent background means the ink
    is in the alpha channel. Returns None for a blank image.
    """
    coverage = ink_coverage(image)
    return None if coverage is None else coverage_to_input(coverage)


def coverage_to_input(coverage: np.ndarray) -> np.ndarray | None:
    """Fit an ink coverage map (see :func:`ink_coverage`) into the 28x28 model input.

    Returns None when the map holds no ink.
    """
    rows = np.flatnonzero(coverage.any(axis=1))
    cols = np.flatnonzero(coverage.any(axis=0))
    if rows.size == 0:
        return None
    crop = coverage[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    factor = BOX / max(h, w)
    new_w, new_h = max(1, round(w * factor)), max(1, round(h * factor))
    resample = Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR
    boxed = np.asarray(
        Image.fromarray(crop, mode="F").resize((new_w, new_h), resample), dtype=np.float32
    )
    boxed = np.clip(boxed, 0.0, 1.0)
    cy, cx = _centre_of_mass(boxed)
    # As for ink: by mass, but keeping the whole box inside the field.
    top = _clamp(round(_CENTRE - cy), 0, FIELD - boxed.shape[0])
    left = _clamp(round(_CENTRE - cx), 0, FIELD - boxed.shape[1])
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    _paste(field, boxed, top, left)
    if not field.any():
        return None
    return field


def ink_coverage(image: Image.Image | np.ndarray) -> np.ndarray | None:
    """Float32 ink map of an image, 0 background to 1 ink, or None when it is blank.

    Polarity and transparency are handled as :func:`image_to_input` describes.
    The paper's level is estimated across the picture and its noise measured,
    so that uneven light, camera noise and JPEG artefacts give no ink
    (:func:`_ink_on_paper`); faint specks (below :data:`FAINT_INK`, not
    touching stronger ink) are zeroed.
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(np.ascontiguousarray(image))
    if image.mode == "P" or (image.mode in ("L", "RGB", "I;16") and "transparency" in image.info):
        image = image.convert("RGBA")
    if max(image.size) > MAX_SIDE and not image.mode.startswith("I;16"):
        # A digit ends up 20 pixels tall: a box-filtered photo loses nothing
        # and takes a fraction of the memory as float32.
        image = image.convert("L") if image.mode == "1" else image
        image = image.reduce(math.ceil(max(image.size) / MAX_SIDE))
    alpha = None
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255
        image = image.convert("RGB").convert("L")
    gray, full_scale = _gray(image)
    if alpha is not None and float(np.median(_border(alpha))) < 0.5:
        # Ink drawn on a transparent background: opacity is the ink.
        ink = np.clip(alpha, 0.0, 1.0)
    else:
        if alpha is not None:
            gray = gray * alpha + full_scale * (1 - alpha)
        low, high = float(gray.min()), float(gray.max())
        if high - low < MIN_CONTRAST * full_scale:
            return None
        gray = gray * np.float32(1 / full_scale)
        if not _light_ink(gray):
            np.subtract(1, gray, out=gray)
        on_paper = _ink_on_paper(gray)
        if on_paper is None:
            return None
        ink = on_paper
    # Faint specks (JPEG noise, paper texture) are background; faint pixels
    # touching a stroke are its anti-aliased edge and stay, so that a digit
    # already made the MNIST way passes through unchanged.
    faint = ink < FAINT_INK
    ink[faint & ~_grown(~faint)] = 0
    return ink if ink.any() else None


def _light_ink(gray: np.ndarray) -> bool:
    """Whether the ink of a picture (grey levels 0..1) is lighter than its paper.

    The paper is what the border mostly shows; its spread there (light
    falling unevenly, noise) is allowed for, and whichever side has more
    grey beyond that spread holds the ink.
    """
    border = _border(gray)
    paper = float(np.median(border))
    spread = 3 * _MAD_TO_SIGMA * float(np.median(np.abs(border - paper)))
    darker = float(np.maximum(paper - spread - gray, 0).sum())
    lighter = float(np.maximum(gray - paper - spread, 0).sum())
    return lighter > darker


def _ink_on_paper(picture: np.ndarray) -> np.ndarray | None:
    """Ink coverage 0..1 of a picture whose ink is light (grey levels 0..1), or None.

    ``picture`` (float32) is overwritten. The paper's level is estimated
    locally (:func:`_paper_level`) and taken away, so that light falling
    unevenly leaves no ink behind. On a picture whose paper is noisy (a photo)
    the residual is smoothed a little (:data:`_SMOOTHED_NOISE`) and
    thresholded by its noise (a robust sigma from the median absolute
    deviation): pixels above a noise floor belong to the ink when connected
    to pixels clearly above it (hysteresis). A picture whose paper is clean
    has no noise: its ink is every pixel above the paper. Either way the ink
    is scaled so that the strongest is 1. None when nothing stands
    :data:`MIN_CONTRAST` above the paper.
    """
    residual = picture
    paper = float(np.median(_border(picture)))
    if 2 * np.count_nonzero(picture == paper) >= picture.size:
        # Half the picture or more is exactly one grey level: clean paper (a
        # scan, a drawn or exported picture, MNIST), whose level is that one
        # and which has no noise, as the estimate below would find too.
        residual -= np.float32(paper)
        level = noise = 0.0
    else:
        residual -= _paper_level(picture)
        level, noise = _paper_noise(residual)
        if noise > _SMOOTHED_NOISE:
            residual = _box3(residual)
            level, noise = _paper_noise(residual)
    floor = level + _NOISE_FLOOR * noise
    strongest = float(residual.max()) - 2 * noise
    if strongest - level < MIN_CONTRAST:
        return None
    inked = residual > floor + _PAPER_TOLERANCE
    if noise > 0:
        # Without noise every pixel above the paper is ink; faint ones away
        # from stronger ink are left to ink_coverage's rule for specks.
        seed = max(level + _NOISE_SEED * noise, floor + FAINT_INK * (strongest - floor))
        labels, count = _label(inked)
        seeded = np.zeros(count + 1, dtype=bool)
        seeded[labels[residual >= seed]] = True
        seeded[0] = False  # the paper
        inked = seeded[labels]
    ink = residual
    ink -= np.float32(floor)
    ink *= np.float32(1 / (strongest - floor))
    ink[~inked] = 0
    return np.clip(ink, 0.0, 1.0, out=ink)


def _paper_level(picture: np.ndarray) -> np.ndarray:
    """The paper's grey level at each pixel of a picture with light ink.

    The picture is averaged over a coarse grid of square cells. A plane
    fitted to the darker half of the cells (paper, wherever the ink is)
    takes the light's overall gradient; what the light does besides is
    followed by a grey opening (a minimum then a maximum filter) over a window
    of :data:`_PAPER_WINDOW` cells, which removes ink narrower than the window
    and keeps slower changes. That part, lightly smoothed, is interpolated
    back to the picture's pixels and the plane added. A uniform paper gives
    its own level.
    """
    height, width = picture.shape
    # Square cells, and at least four across the shorter side: a line along a
    # narrow picture must leave some cells of paper beside it.
    cell = max(1, min(math.ceil(max(height, width) / _PAPER_GRID), min(height, width) // 4))
    coarse = np.asarray(Image.fromarray(picture, "F").reduce(cell), dtype=np.float64)
    # The plane in pixel coordinates scaled to 0..1, fitted at the cells'
    # centres (the last cells of a row or column may be cut short).
    scale = 1 / max(height, width)
    centres = []
    for count, length in zip(coarse.shape, (height, width), strict=True):
        starts = np.arange(count) * cell
        centres.append((starts + np.minimum(starts + cell, length) - 1) / 2 * scale)
    rows, cols = np.meshgrid(*centres, indexing="ij")
    terms = np.stack([np.ones(rows.size), cols.ravel(), rows.ravel()], axis=1)
    values = coarse.ravel()
    paper = np.ones(values.shape, dtype=bool)
    for _ in range(4):
        plane = np.linalg.lstsq(terms[paper], values[paper], rcond=None)[0]
        above = values - terms @ plane
        paper = above <= np.median(above)
    rest = (values - terms @ plane).reshape(coarse.shape).astype(np.float32)
    reach = _PAPER_WINDOW // 2
    rest = _window(_window(rest, reach, np.minimum, np.inf), reach, np.maximum, -np.inf)
    rest = _window(rest, 1, np.add, 0.0) / _window(np.ones_like(rest), 1, np.add, 0.0)
    smooth = Image.fromarray(rest, "F").resize(
        (width, height), Image.Resampling.BILINEAR, box=(0, 0, width / cell, height / cell)
    )
    level = np.asarray(smooth, dtype=np.float32) + np.float32(plane[0])
    level += (np.arange(width) * scale * plane[1]).astype(np.float32)
    level += (np.arange(height) * scale * plane[2]).astype(np.float32)[:, None]
    return level


def _window(array: np.ndarray, reach: int, combine, pad: float) -> np.ndarray:
    """``combine`` (np.minimum, np.maximum, np.add) over a square window of ``2*reach+1``.

    Beyond the edges the window is cut short (padded with ``pad``, which
    ``combine`` ignores).
    """
    for _ in range(2):  # rows, then (transposed) columns
        length = array.shape[0]
        padded = np.pad(array, ((reach, reach), (0, 0)), constant_values=pad)
        result = padded[:length].copy()
        for shift in range(1, 2 * reach + 1):
            combine(result, padded[shift : shift + length], out=result)
        array = result.T
    return np.ascontiguousarray(array)


def _paper_noise(residual: np.ndarray) -> tuple[float, float]:
    """The paper's residual level and its noise sigma, robustly (median, MAD).

    The ink (above the paper) is left out by a second look at the pixels at
    most three sigmas above the first estimate; large pictures are sampled
    on a sparse grid.
    """
    step = max(1, math.isqrt(residual.size // _NOISE_SAMPLE))
    sample = residual[::step, ::step].ravel()
    for _ in range(2):
        level = float(np.median(sample))
        noise = _MAD_TO_SIGMA * float(np.median(np.abs(sample - level)))
        sample = sample[sample <= level + 3 * noise]
    return level, noise


def _box3(array: np.ndarray) -> np.ndarray:
    """Mean over each pixel's 3x3 neighbourhood (cut short at the edges)."""
    rows = array.copy()
    rows[1:] += array[:-1]
    rows[:-1] += array[1:]
    total = rows.copy()
    total[:, 1:] += rows[:, :-1]
    total[:, :-1] += rows[:, 1:]
    del rows
    height, width = array.shape
    total *= (1 / _neighbours(height))[:, None]
    total *= 1 / _neighbours(width)
    return total


def _neighbours(length: int) -> np.ndarray:
    """How many of the 3 positions around each of ``length`` lie inside it."""
    count = np.full(length, 3, dtype=np.float32)
    count[[0, -1]] -= 1
    if length == 1:
        count[0] = 1
    return count


def _grown(mask: np.ndarray) -> np.ndarray:
    """``mask`` and its 8 neighbours of every set pixel."""
    rows = mask.copy()
    rows[1:] |= mask[:-1]
    rows[:-1] |= mask[1:]
    grown = rows.copy()
    grown[:, 1:] |= rows[:, :-1]
    grown[:, :-1] |= rows[:, 1:]
    return grown


def _gray(image: Image.Image) -> tuple[np.ndarray, float]:
    """Grey levels as float32 and the value that stands for full white."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return np.asarray(image, dtype=np.float32), 65535.0
    if image.mode in ("I", "F"):
        gray = np.asarray(image, dtype=np.float32)
        return gray, max(float(np.abs(gray).max()), 1.0)
    if image.mode != "L":
        image = image.convert("L")
    return np.asarray(image, dtype=np.float32), 255.0


def _border(array: np.ndarray) -> np.ndarray:
    return np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])


def _centre_of_mass(array: np.ndarray) -> tuple[float, float]:
    total = float(array.sum())
    if total <= 0:
        return (array.shape[0] - 1) / 2, (array.shape[1] - 1) / 2
    rows = array.sum(axis=1)
    cols = array.sum(axis=0)
    cy = float(rows @ np.arange(array.shape[0])) / total
    cx = float(cols @ np.arange(array.shape[1])) / total
    return cy, cx


def _clamp(value: float, low: float, high: float) -> int:
    return int(min(max(value, math.ceil(low)), math.floor(high)))


def _paste(field: np.ndarray, patch: np.ndarray, top: int, left: int) -> None:
    h, w = patch.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, field.shape[0]), min(left + w, field.shape[1])
    if y0 < y1 and x0 < x1:
        field[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]

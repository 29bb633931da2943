"""Pen digits rendered into training images through the app's own ink path.

Every render goes through :func:`digitpad.preprocess.ink_to_input` (and so
:func:`digitpad.ink.rasterize`), exactly as the pad and the CLI turn ink into
model input. Distorted copies pass the ink through a chain of *ink
transforms*, callables ``(ink, label, rng) -> Ink | None``, before rendering;
``None`` means the transform does not apply to this digit (a writing style of
another digit, say) and the copy is not made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..ink import Ink
from ..pendigits import PenDigit
from ..preprocess import FIELD, PEN_WIDTH, ink_to_input
from .styles import DEFAULT_SETTINGS, StyleSettings, random_style, tablet_realism

__all__ = [
    "InkDistortion",
    "InkTransform",
    "LowGradeTablet",
    "PenRenders",
    "WritingStyle",
    "render_pen_digits",
    "transformed",
]

#: ``(ink, label, rng) -> Ink | None``: one random change to a digit's ink; None: no copy.
InkTransform = Callable[[Ink, int, np.random.Generator], "Ink | None"]


@dataclass(frozen=True)
class InkDistortion:
    """A random affine distortion of the kind people's handwriting has.

    Rotation by up to ± ``rotation_degrees``, horizontal shear up to
    ± ``shear``, and width scaled by ``exp(±log_aspect)``, each uniform.
    An :data:`InkTransform`.
    """

    rotation_degrees: float
    shear: float
    log_aspect: float

    def __call__(self, ink: Ink, label: int, rng: np.random.Generator) -> Ink:
        angle = np.radians(rng.uniform(-self.rotation_degrees, self.rotation_degrees))
        shear = rng.uniform(-self.shear, self.shear)
        aspect = np.exp(rng.uniform(-self.log_aspect, self.log_aspect))
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        matrix = rotation @ np.array([[aspect, shear], [0.0, 1.0]])
        return Ink([s[:, :2] @ matrix.T for s in ink.strokes])


@dataclass(frozen=True)
class WritingStyle:
    """The digit rewritten in one of its styles (:mod:`.styles`), chosen at random.

    An :data:`InkTransform`; None for a digit that has no style (2, 3, 5, 6, 8).
    """

    settings: StyleSettings = DEFAULT_SETTINGS

    def __call__(self, ink: Ink, label: int, rng: np.random.Generator) -> Ink | None:
        styled = random_style(ink, label, rng, self.settings)
        return None if styled is None else styled[1]


@dataclass(frozen=True)
class LowGradeTablet:
    """With probability ``share``, the ink as a low-grade tablet reports it.

    An :data:`InkTransform` (see :func:`.styles.tablet_realism`); otherwise
    the ink is kept as it is.
    """

    share: float
    settings: StyleSettings = DEFAULT_SETTINGS

    def __call__(self, ink: Ink, label: int, rng: np.random.Generator) -> Ink:
        if rng.random() >= self.share:
            return ink
        return tablet_realism(ink, rng, self.settings)


@dataclass(frozen=True)
class PenRenders:
    """``copies`` renders of each pen digit, its ink through ``transforms`` in order.

    Each copy is drawn with a pen ``pen_width_scale[0]`` to
    ``pen_width_scale[1]`` times the app's width (uniform).
    """

    copies: int
    transforms: tuple[InkTransform, ...]
    pen_width_scale: tuple[float, float]


def transformed(
    digit: PenDigit, transforms: Sequence[InkTransform], rng: np.random.Generator
) -> Ink | None:
    """The digit's ink through ``transforms`` in turn; None as soon as one gives none."""
    ink = digit.ink
    for transform in transforms:
        changed = transform(ink, digit.label, rng)
        if changed is None:
            return None
        ink = changed
    return ink


def render_pen_digits(
    digits: Sequence[PenDigit], renders: Sequence[PenRenders], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each digit once as written, then the copies of each of ``renders``.

    A copy is skipped when one of its transforms returns None, a render
    with no ink left is dropped. Returns ``(images, labels)``: uint8
    ``[n, 28, 28]`` (0 background, 255 ink) and uint8 ``[n]``, digit by digit.
    """
    images, labels = [], []
    for digit in digits:
        variants = [(digit.ink, PEN_WIDTH)]
        for group in renders:
            for _ in range(group.copies):
                ink = transformed(digit, group.transforms, rng)
                if ink is not None:
                    variants.append((ink, rng.uniform(*group.pen_width_scale) * PEN_WIDTH))
        for ink, width in variants:
            x = ink_to_input(ink, pen_width=width)
            if x is not None:
                images.append(np.round(x * 255).astype(np.uint8))
                labels.append(digit.label)
    if not images:
        return np.zeros((0, FIELD, FIELD), np.uint8), np.zeros(0, np.uint8)
    return np.stack(images), np.array(labels, dtype=np.uint8)

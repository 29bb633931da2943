"""Draw on the canvas with synthetic input events, for tests, benchmarks and tools/screenshot.py.

Strokes go through the same Qt event path as a person's mouse (QTest mouse events).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from ..ink import Ink


def fit_strokes(ink: Ink, size: tuple[int, int], fill: float = 0.7) -> list[np.ndarray]:
    """The strokes of ``ink`` scaled uniformly and centred so that they span ``fill`` of ``size``.

    Returns integer pixel positions (one (n, 2) int array per stroke) with
    consecutive repeats removed, since a mouse reports whole pixels.
    """
    bounds = ink.bounds()
    if bounds is None:
        return []
    x0, y0, x1, y1 = bounds
    width, height = size
    scale = fill * min(width, height) / max(x1 - x0, y1 - y0, 1e-9)
    dx = width / 2 - (x0 + x1) / 2 * scale
    dy = height / 2 - (y0 + y1) / 2 * scale
    strokes = []
    for stroke in ink.strokes:
        if not len(stroke):
            continue
        points = np.rint(stroke[:, :2] * scale + (dx, dy)).astype(int)
        keep = np.ones(len(points), dtype=bool)
        keep[1:] = np.any(points[1:] != points[:-1], axis=1)
        strokes.append(points[keep])
    return strokes


def draw_with_mouse(widget: QWidget, strokes) -> None:
    """Press, move through, and release at the points of each stroke."""
    left = Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    for stroke in strokes:
        points = [QPoint(int(x), int(y)) for x, y in stroke]
        QTest.mousePress(widget, left, none, points[0])
        for point in points[1:]:
            QTest.mouseMove(widget, point)
        QTest.mouseRelease(widget, left, none, points[-1])

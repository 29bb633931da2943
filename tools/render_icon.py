"""Render digitpad/desktop/digitpad.svg to the PNG shipped beside it.

    QT_QPA_PLATFORM=offscreen python tools/render_icon.py

The PNG serves where an SVG cannot be read (no Qt SVG plugin, older desktops).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

DESKTOP = Path(__file__).resolve().parent.parent / "digitpad" / "desktop"
SIZE = 256


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs an application
    renderer = QSvgRenderer(str(DESKTOP / "digitpad.svg"))
    if not renderer.isValid():
        print("render_icon: digitpad.svg is not a valid SVG", file=sys.stderr)
        return 1
    image = QImage(SIZE, SIZE, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    image.save(str(DESKTOP / "digitpad.png"))
    print(DESKTOP / "digitpad.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

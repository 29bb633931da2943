"""Take the README screenshot: the window with a real pen digit drawn.

Run from the repository root, on a display or offscreen (``QT_QPA_PLATFORM=offscreen``)::

    python tools/screenshot.py docs/screenshot.png [--dark] [--digit 7]
    python tools/screenshot.py docs/number.png --number 2026
    python tools/screenshot.py docs/handwriting.png --ink tests/fixtures/odd-four.json --correct 4

A development helper: it reads the test fixtures, so it is not part of the package.

The digit comes from tests/fixtures/pen-digits.json (or an ink file) and is
drawn with mouse events, so the picture shows the same path a person's drawing
takes; ``--correct`` then corrects it as a person would, into an empty profile.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, QTemporaryDir  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink import Ink, parse_ink  # noqa: E402
from digitpad.ui import transfer  # noqa: E402
from digitpad.ui.driver import draw_with_mouse, fit_strokes  # noqa: E402
from digitpad.ui.window import MainWindow  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "pen-digits.json"


def dark_palette() -> QPalette:
    """A neutral dark palette, for platforms that do not report a dark colour scheme."""
    colors = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#26272a",
        QPalette.ColorRole.Text: "#f1f3f4",
        QPalette.ColorRole.Button: "#2b2c30",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#4c8bf5",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Mid: "#3c4043",
        QPalette.ColorRole.Midlight: "#35363a",
        QPalette.ColorRole.Dark: "#151618",
        QPalette.ColorRole.Light: "#4a4d52",
        QPalette.ColorRole.ToolTipBase: "#2b2c30",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
    }
    palette = QPalette()
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    return palette


def digit_ink(label: int) -> Ink:
    """The first pen digit of the fixture with this label."""
    digits = json.loads(FIXTURE.read_text())["digits"]
    return parse_ink(next(d for d in digits if d["label"] == label)["ink"])


def number_ink(number: str) -> Ink:
    """Fixture digits side by side, a gap of 0.4 of a digit's height between them."""
    strokes, x = [], 0.0
    for character in number:
        ink = digit_ink(int(character))
        x0, y0, x1, y1 = ink.bounds()
        strokes += [s[:, :2] - (x0 - x, y0) for s in ink.strokes]
        x += (x1 - x0) + 0.4 * (y1 - y0)
    return Ink(strokes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--dark", action="store_true", help="use a dark palette")
    parser.add_argument("--digit", type=int, default=7, help="which digit to draw")
    parser.add_argument("--number", help="draw these digits side by side instead (docs/number.png)")
    parser.add_argument("--size", default="960x640", help="window size")
    parser.add_argument("--empty", action="store_true", help="draw nothing")
    parser.add_argument("--model", help="model file (default: the bundled one)")
    parser.add_argument("--ink", type=Path, help='draw this ink file instead (an "ink" key or ink)')
    parser.add_argument("--correct", type=int, help="then press this digit key: a correction")
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    if args.dark:
        app.setPalette(dark_palette())
    settings_dir = QTemporaryDir()
    settings = QSettings(f"{settings_dir.path()}/screenshot.ini", QSettings.Format.IniFormat)
    window = MainWindow(model=args.model, settings=settings, profile=settings_dir.path())
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.move(0, 0)
    window.show()
    _settle(app)

    if not args.empty:
        ink, fill = (number_ink(args.number), 0.8) if args.number else (digit_ink(args.digit), 0.62)
        if args.ink:
            data = json.loads(args.ink.read_text())
            ink = parse_ink(data.get("ink", data))
        canvas = window.canvas
        draw_with_mouse(canvas, fit_strokes(ink, (canvas.width(), canvas.height()), fill))
        _settle(app)
        if args.correct is not None:
            window.teaching.correct(args.correct)
            _settle(app)

    shot = window.grab()  # the window as it draws itself, without the window manager's frame
    if not shot.save(args.output):
        print(f"cannot write {args.output}", file=sys.stderr)
        return 1
    print(f"{args.output}: {shot.width()}x{shot.height()}; {window.status_label.text()}")
    window.ask_save_changes = lambda *question: transfer.DISCARD  # a picture, not work to keep
    window.close()
    return 0


def _settle(app: QApplication) -> None:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(400)
    while not deadline.hasExpired():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    app.sendPostedEvents()


if __name__ == "__main__":
    sys.exit(main())

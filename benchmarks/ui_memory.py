"""Resident memory of the drawing pad over a long session of strokes.

Drives the real window (offscreen) with mouse events: pen digits from the
test fixture, stroke after stroke, clearing the canvas every ``--clear-every``
strokes, with a prediction at every pen-up as in normal use. Prints RSS at
the start and end and the growth per 1,000 strokes after a warm-up.

    python benchmarks/ui_memory.py [--strokes 2000] [--clear-every 20] [--json]

``--json`` prints one JSON object instead (tests/test_ui_app.py runs it so).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=2000)
    parser.add_argument("--clear-every", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, QTemporaryDir
    from PySide6.QtWidgets import QApplication

    from digitpad.ink import parse_ink
    from digitpad.ui.driver import draw_with_mouse, fit_strokes
    from digitpad.ui.window import MainWindow

    app = QApplication.instance() or QApplication([])
    folder = QTemporaryDir()
    settings = QSettings(f"{folder.path()}/settings.ini", QSettings.Format.IniFormat)
    # An empty profile of its own: the person's examples never change the numbers.
    window = MainWindow(settings=settings, profile=folder.path())
    window.resize(960, 640)
    window.show()
    app.processEvents()
    canvas = window.canvas
    digits = json.loads((ROOT / "tests/fixtures/pen-digits.json").read_text())["digits"]
    strokes = [
        stroke
        for digit in digits
        for stroke in fit_strokes(parse_ink(digit["ink"]), (canvas.width(), canvas.height()))
    ]
    start = rss_mb()
    if not args.json:
        print(f"start: RSS {start:.1f} MB (window shown, model loaded)")

    warm_up = min(200, args.strokes // 4)
    marks = {}
    started = time.perf_counter()
    for n in range(args.strokes):
        if n % args.clear_every == 0:
            window.pad.clear()
        draw_with_mouse(canvas, [strokes[n % len(strokes)]])
        if n % 50 == 0:
            app.processEvents()
        if n + 1 == warm_up:
            marks["warm"] = (n + 1, rss_mb())
    elapsed = time.perf_counter() - started
    app.processEvents()
    end = rss_mb()
    count, warm = marks["warm"]
    growth = (end - warm) / (args.strokes - count) * 1000
    points = sum(len(strokes[n % len(strokes)]) for n in range(args.strokes))
    if args.json:
        numbers = {"strokes": args.strokes, "start_mb": start, "warm_mb": warm, "end_mb": end}
        print(json.dumps({**numbers, "warm_up_strokes": count, "points": points}))
        return
    print(f"after {warm_up} strokes: RSS {warm:.1f} MB")
    print(
        f"end, after {args.strokes} strokes ({points} points, cleared every "
        f"{args.clear_every}): RSS {end:.1f} MB"
    )
    print(f"growth after warm-up: {growth:+.2f} MB per 1,000 strokes")
    print(f"{elapsed / args.strokes * 1000:.1f} ms per stroke, including its prediction")


if __name__ == "__main__":
    main()

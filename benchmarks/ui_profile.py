"""How long the pad takes to open a large handwriting profile, and whether the window freezes.

Builds a profile of ``--examples`` pen digits (at most 100 per digit, in file
order) in a temporary folder, then opens it in fresh pad processes (offscreen):
the window is shown, the model loaded, and the time until the profile is open
(read on the worker) is measured, with the longest gap between the ticks of a
5 ms timer on the GUI thread meanwhile. Each run is done from the profile's
cache of model inputs and with the cache deleted (every file read).

    python benchmarks/ui_profile.py ../shared/data/pendigits-train.unipen [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import sys, time
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from digitpad.ui.window import MainWindow

app = QApplication([])
settings = QSettings(sys.argv[2], QSettings.Format.IniFormat)
window = MainWindow(settings=settings, load_model=False, profile=sys.argv[1])
window.show()
app.processEvents()
gaps, last = [], [time.perf_counter()]

def tick():
    now = time.perf_counter()
    gaps.append(now - last[0])
    last[0] = now

timer = QTimer(interval=5)
timer.timeout.connect(tick)
window.profileOpened.connect(app.quit)
started = time.perf_counter()
window.load_model()
last[0] = time.perf_counter()  # the model loads on the GUI thread, as in the app: not counted
timer.start()
app.exec()
print(time.perf_counter() - started, max(gaps), window.pad.examples_in_use)
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pendigits", help="a UCI pendigits .unipen file")
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from digitpad import Recognizer
    from digitpad.pendigits import read_unipen

    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "profile"
        learner = Recognizer(profile=profile)
        counts = [0] * 10
        for digit in read_unipen(args.pendigits):
            if sum(counts) >= args.examples:
                break
            if counts[digit.label] < 100:
                learner.learn(digit.ink, digit.label)
                counts[digit.label] += 1
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        for cached in (True, False):
            opened, gaps = [], []
            for _ in range(args.runs):
                if not cached:
                    (profile / ".digitpad-inputs.npz").unlink(missing_ok=True)
                result = subprocess.run(
                    [sys.executable, "-c", CHILD, str(profile), str(Path(folder) / "s.ini")],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=True,
                )
                seconds, gap, in_use = result.stdout.split()
                assert int(in_use) == sum(counts), (in_use, counts)
                opened.append(float(seconds))
                gaps.append(float(gap))
            how = "from its cache" if cached else "every file read"
            print(
                f"{sum(counts)} examples, {how}: open after the model in median "
                f"{statistics.median(opened):.2f} s (max {max(opened):.2f}); longest GUI "
                f"gap {max(gaps) * 1000:.0f} ms ({args.runs} runs)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time from launching ``python -m digitpad`` to its window being on screen.

Each run starts a fresh process with ``QT_QPA_PLATFORM=offscreen`` (unless
``--platform`` says otherwise) and ``DIGITPAD_EXIT_WHEN_SHOWN=1``, which makes
the app print a line at its first paint, load the model, print again and
quit. The wall time is measured here, from spawning the process to each line.

    python benchmarks/ui_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Seconds a launch may take before it is killed.
TIMEOUT = 60


def launch(platform: str, config_dir: str) -> tuple[float, float]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": platform,
        "DIGITPAD_EXIT_WHEN_SHOWN": "1",
        "XDG_CONFIG_HOME": config_dir,  # never the user's settings
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "digitpad"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    shown = ready = None
    # A pad that hangs is killed, which also ends the loop over its output.
    watchdog = threading.Timer(TIMEOUT, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            if "shown after" in line:
                shown = time.perf_counter() - started
            elif "model loaded after" in line:
                ready = time.perf_counter() - started
        code = process.wait()
    finally:
        watchdog.cancel()
        if process.poll() is None:  # never leave the pad running
            process.kill()
            process.wait()
    if time.perf_counter() - started >= TIMEOUT:
        raise SystemExit(f"digitpad did not exit within {TIMEOUT} s")
    if code != 0 or shown is None or ready is None:
        raise SystemExit(f"digitpad exited with {code} before showing its window")
    return shown, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--platform", default="offscreen", help="Qt platform plugin")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as config_dir:
        launch(args.platform, config_dir)  # warm the disk cache
        runs = [launch(args.platform, config_dir) for _ in range(args.runs)]
    shown = [s for s, _ in runs]
    ready = [r for _, r in runs]
    print(f"platform {args.platform}, {args.runs} runs, wall time from spawning the process")
    print(
        f"window shown:  median {statistics.median(shown):.3f} s  "
        f"(min {min(shown):.3f}, max {max(shown):.3f})"
    )
    print(
        f"model loaded:  median {statistics.median(ready):.3f} s  "
        f"(min {min(ready):.3f}, max {max(ready):.3f})"
    )


if __name__ == "__main__":
    main()

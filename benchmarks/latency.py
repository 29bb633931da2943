"""Speed and memory of recognition: in-process latency, CLI cold start, CLI peak memory.

    python benchmarks/latency.py ../shared/data/pendigits-train.unipen

1. In-process, one digit at a time, as the pad does it: ``ink_to_input`` plus
   ``Predictor.predict`` on real pen digits (median and p99 over N digits),
   and the same through ``Recognizer.ink``, which segments the ink first.
2. ``digitpad predict`` on one ink file in a fresh process (wall time, cold).
3. ``digitpad predict --json`` on a folder of N ink files: peak resident memory
   of the process (ru_maxrss), and its wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digitpad.pendigits import read_unipen  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.preprocess import ink_to_input  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402


def percentiles(samples_ms):
    return float(np.median(samples_ms)), float(np.percentile(samples_ms, 99))


def in_process(digits, repeats: int):
    predictor = Predictor()
    for digit in digits[:50]:  # warm-up: allocations, caches
        predictor.predict(ink_to_input(digit.ink))
    preprocess, predict, total = [], [], []
    for digit in digits[:repeats]:
        t0 = time.perf_counter()
        x = ink_to_input(digit.ink)
        t1 = time.perf_counter()
        predictor.predict(x)
        t2 = time.perf_counter()
        preprocess.append((t1 - t0) * 1000)
        predict.append((t2 - t1) * 1000)
        total.append((t2 - t0) * 1000)
    recognizer = Recognizer(predictor)
    recognize = []
    for digit in digits[:repeats]:
        t0 = time.perf_counter()
        recognizer.ink(digit.ink)
        recognize.append((time.perf_counter() - t0) * 1000)
    return (
        percentiles(preprocess),
        percentiles(predict),
        percentiles(total),
        percentiles(recognize),
    )


def cli(args, env=None):
    command = [sys.executable, "-m", "digitpad", "predict", *args]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise SystemExit(f"digitpad predict failed: {result.stderr}")
    # ru_maxrss of children is the largest child so far; runs go from small to large.
    return wall, max(peak_kb, before) / 1024, result.stdout


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unipen", type=Path)
    parser.add_argument("--digits", type=int, default=2000, help="digits for in-process timing")
    parser.add_argument("--files", type=int, default=3500, help="ink files for the memory run")
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args(argv)

    digits = read_unipen(args.unipen)
    points = [d.ink.point_count for d in digits[: args.digits]]
    timings = in_process(digits, args.digits)
    (pre_med, pre_p99), (pred_med, pred_p99), (med, p99), (rec_med, rec_p99) = timings
    print(
        f"in-process, one digit at a time ({args.digits} pen digits, median "
        f"{int(np.median(points))} points):"
    )
    print(f"  preprocess (ink_to_input) median {pre_med:.3f} ms  p99 {pre_p99:.3f} ms")
    print(f"  predict (LiteRT)          median {pred_med:.3f} ms  p99 {pred_p99:.3f} ms")
    print(f"  preprocess + predict      median {med:.3f} ms  p99 {p99:.3f} ms")
    print(f"  Recognizer.ink (segments) median {rec_med:.3f} ms  p99 {rec_p99:.3f} ms")

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for i, digit in enumerate(digits[: args.files]):
            digit.ink.save(folder / f"{i:05d}.json")
        walls = [cli(["--json", str(folder / "00000.json")])[0] for _ in range(args.cold_runs)]
        print(
            f"digitpad predict, one file, cold process: median {np.median(walls):.3f} s "
            f"(min {min(walls):.3f}, max {max(walls):.3f}, {args.cold_runs} runs)"
        )
        wall, peak_mb, out = cli(["--json", str(folder)], env={**os.environ})
        count = len(out.splitlines())
        print(
            f"digitpad predict --json on {count} ink files: {wall:.2f} s wall, "
            f"peak RSS {peak_mb:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Speed and memory of recognition: in-process latency, CLI cold start, CLI peak memory.

    python benchmarks/latency.py ../shared/data/pendigits-train.unipen

1. In-process, one digit at a time, as the pad does it: ``ink_to_input`` plus
   ``Predictor.predict`` on real pen digits (median and p99 over N digits),
   and the same through ``Recognizer.ink``, which segments the ink first and, with a
   model that carries a trajectory model (the bundled one does), reads the digit's
   pen trajectory too (``trajectory_features`` plus that model, timed alone as well).
2. ``digitpad predict`` on one ink file in a fresh process (wall time, cold).
3. ``digitpad predict --json`` on a folder of N ink files: peak resident memory
   of the process (ru_maxrss), and its wall time; the marginal time a file is that
   wall time less the cold start of (2), divided by N.

``--model`` times another model file (say one without a trajectory model, for the
time the trajectory view adds), in-process and on the command line alike.
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
from digitpad.trajectory import TrajectoryModel, trajectory_features  # noqa: E402


def percentiles(samples_ms):
    return float(np.median(samples_ms)), float(np.percentile(samples_ms, 99))


def in_process(digits, repeats: int, model=None):
    predictor = Predictor(model)
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
    trajectory = TrajectoryModel.carried_by(predictor.path)
    view = []
    if trajectory is not None:
        for digit in digits[:repeats]:
            t0 = time.perf_counter()
            points = trajectory_features(digit.ink)
            if points is not None:
                trajectory.log_probabilities(points[None])
            view.append((time.perf_counter() - t0) * 1000)
    return (
        percentiles(preprocess),
        percentiles(predict),
        percentiles(total),
        percentiles(recognize),
        percentiles(view) if view else None,
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
    parser.add_argument("--model", type=Path, help="the model file (default: the bundled one)")
    args = parser.parse_args(argv)
    model = ["--model", str(args.model.resolve())] if args.model else []

    digits = read_unipen(args.unipen)
    points = [d.ink.point_count for d in digits[: args.digits]]
    timings = in_process(digits, args.digits, args.model)
    (pre_med, pre_p99), (pred_med, pred_p99), (med, p99), (rec_med, rec_p99), view = timings
    print(f"model: {args.model or 'bundled'}")
    print(
        f"in-process, one digit at a time ({args.digits} pen digits, median "
        f"{int(np.median(points))} points):"
    )
    print(f"  preprocess (ink_to_input) median {pre_med:.3f} ms  p99 {pre_p99:.3f} ms")
    print(f"  predict (LiteRT)          median {pred_med:.3f} ms  p99 {pred_p99:.3f} ms")
    print(f"  preprocess + predict      median {med:.3f} ms  p99 {p99:.3f} ms")
    print(f"  Recognizer.ink (segments) median {rec_med:.3f} ms  p99 {rec_p99:.3f} ms")
    if view is not None:
        print(f"  trajectory (features + model) median {view[0]:.3f} ms  p99 {view[1]:.3f} ms")
    else:
        print("  trajectory: the model carries none")

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for i, digit in enumerate(digits[: args.files]):
            digit.ink.save(folder / f"{i:05d}.json")
        walls = [
            cli([*model, "--json", str(folder / "00000.json")])[0] for _ in range(args.cold_runs)
        ]
        print(
            f"digitpad predict, one file, cold process: median {np.median(walls):.3f} s "
            f"(min {min(walls):.3f}, max {max(walls):.3f}, {args.cold_runs} runs)"
        )
        wall, peak_mb, out = cli([*model, "--json", str(folder)], env={**os.environ})
        count = len(out.splitlines())
        marginal = (wall - float(np.median(walls))) / count * 1000
        print(
            f"digitpad predict --json on {count} ink files: {wall:.2f} s wall, "
            f"peak RSS {peak_mb:.0f} MB; {wall / count * 1000:.3f} ms a file, "
            f"{marginal:.3f} ms marginal"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

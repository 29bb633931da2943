"""The number benchmark (benchmarks/number_reading.py) run as the README runs it on a tiny file."""

import json
import subprocess
import sys

from .conftest import ROOT


def number_of(first: dict, second: dict) -> dict:
    """The two digits' ink side by side, a tenth of the canvas apart, as one written number."""
    right = max(x for stroke in first["strokes"] for x, _ in stroke)
    left = min(x for stroke in second["strokes"] for x, _ in stroke)
    shift = right + 50 - left
    strokes = first["strokes"] + [[[x + shift, y] for x, y in s] for s in second["strokes"]]
    return {
        **first,
        "kind": "number",
        "label": first["label"] + second["label"],
        "width": first["width"] * 3,
        "strokes": strokes,
    }


def test_the_number_benchmark_reads_real_and_made_numbers_and_single_digits(tmp_path):
    lines = (ROOT / "tests" / "fixtures" / "mini-unipen.jsonl").read_text().splitlines()
    digits = [{**json.loads(line), "source": "hpp"} for line in lines[:40]]
    numbers = [number_of(digits[k], digits[k + 20]) for k in range(3)]
    data = tmp_path / "mini.jsonl"
    data.write_text("".join(json.dumps(item) + "\n" for item in digits + numbers))

    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "number_reading.py"),
            str(data),
            "--synthesized",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr
    assert "numbers written by real people" in done.stdout
    assert "right of 3" in done.stdout and "right of 4" in done.stdout
    assert f"isolated digits ({len(digits)}," in done.stdout
    assert done.stdout.count("read right whole") == 2

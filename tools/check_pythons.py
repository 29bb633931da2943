"""Install digitpad on each Python that ``requires-python`` allows and use it.

    python tools/check_pythons.py              # pyenv's 3.9 ... 3.13: `pip install .`, use it
    python tools/check_pythons.py PYTHON ...   # the given interpreters
    python tools/check_pythons.py --minimum    # also the suite on the oldest, lowest versions

For each interpreter: a fresh virtual environment in a temporary folder,
``pip install <repo>`` (the runtime dependencies only, as a user gets them),
then, from another folder, ``digitpad --version`` and ``digitpad predict
--json`` on the files of ``tests/bad-files`` that are images or ink, each
checked against ``expected.json`` (the right digit, or an error with the
right words). Interpreters that ``requires-python`` excludes are reported
as such and must be refused by pip. Prints one line per interpreter and exits
with 1 when any check fails.

``--minimum`` also installs the test extra on the oldest allowed Python under
``tools/minimum-versions.txt`` (the lower bounds of pyproject.toml, pinned)
and runs the whole test suite there on a copy of the committed tree. It
downloads TensorFlow and takes several minutes.

Standard library only, so any Python can run it.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINIMUM_VERSIONS = ROOT / "tools" / "minimum-versions.txt"
#: The runtime libraries whose installed versions each line reports.
REPORTED = ("numpy", "pillow", "pyside6-essentials", "ai-edge-litert")


def requires_python() -> tuple[int, int]:
    """The lowest (major, minor) that pyproject.toml's ``requires-python`` allows."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)"', text, re.MULTILINE)
    if not match:
        raise SystemExit('check_pythons: requires-python is not of the form ">=X.Y"')
    return int(match[1]), int(match[2])


def pyenv_pythons() -> list[Path]:
    """pyenv's newest 3.9 to 3.13 interpreters that exist here (3.9 to show pip refuse it)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = []
    for minor in (9, 10, 11, 12, 13):
        candidates = sorted(
            glob.glob(str(root / "versions" / f"3.{minor}.*" / "bin" / "python")),
            key=lambda path: [int(part) for part in re.findall(r"\d+", Path(path).parts[-3])],
        )
        if candidates:
            found.append(Path(candidates[-1]))
    return found


def run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def version_of(python: Path) -> tuple[int, int, int]:
    out = run([str(python), "-c", "import sys; print(*sys.version_info[:3])"], check=True)
    major, minor, micro = (int(part) for part in out.stdout.split())
    return major, minor, micro


def expected_outcomes(bad_files: Path) -> dict[str, dict]:
    """Bad-files inputs (images and ink, not models) with their expected outcome."""
    expected = json.loads((bad_files / "expected.json").read_text(encoding="utf-8"))
    return {
        name: outcome
        for name, outcome in expected.items()
        if not name.endswith(".tflite") and ("digit" in outcome or "error" in outcome)
    }


def check_predictions(lines: list[str], expected: dict[str, dict]) -> list[str]:
    """Where ``digitpad predict --json`` output disagrees with ``expected``."""
    problems = []
    seen = set()
    for line in lines:
        row = json.loads(line)
        name = Path(row["file"]).name
        seen.add(name)
        want = expected[name]
        if "error" in want:
            if want["error"] not in row.get("error", ""):
                problems.append(f"{name}: wanted an error with {want['error']!r}, got {row}")
        elif row.get("digit") != want["digit"]:
            problems.append(f"{name}: wanted digit {want['digit']}, got {row.get('digit')}")
    problems += [f"{name}: no output line" for name in sorted(set(expected) - seen)]
    return problems


def check(python: Path, tree: Path, work: Path, lowest: tuple[int, int]) -> tuple[bool, str]:
    """Install ``tree`` and use it with ``python``; (passed, one-line summary)."""
    major, minor, micro = version_of(python)
    label = f"Python {major}.{minor}.{micro}"
    venv = work / f"venv-{major}.{minor}"
    run([str(python), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    if (major, minor) < lowest:
        # --no-deps: refused for requires-python itself, not for a dependency it lacks.
        install = run([*pip, "install", "-q", "--no-deps", str(tree)])
        refused = install.returncode != 0 and "requires a different Python" in install.stderr
        verdict = "refused by pip, as requires-python says" if refused else "NOT refused by pip"
        return refused, f"{label}: outside requires-python; {verdict}"
    started = time.perf_counter()
    install = run([*pip, "install", "-q", "--disable-pip-version-check", str(tree)])
    seconds = time.perf_counter() - started
    if install.returncode != 0:
        last = (install.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"{label}: pip install . FAILED: {last}"
    listed = run([*pip, "list", "--format=json", "--disable-pip-version-check"], check=True)
    versions = {
        re.sub(r"[-_.]+", "-", p["name"]).lower(): p["version"] for p in json.loads(listed.stdout)
    }
    libraries = ", ".join(f"{name} {versions.get(name, '?')}" for name in REPORTED)

    digitpad = str(venv / "bin" / "digitpad")
    elsewhere = work / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    shown = run([digitpad, "--version"], cwd=elsewhere, timeout=120)
    bad_files = tree / "tests" / "bad-files"
    expected = expected_outcomes(bad_files)
    inputs = [str(bad_files / name) for name in sorted(expected)]
    predicted = run([digitpad, "predict", "--json", *inputs], cwd=elsewhere, timeout=300)
    problems = []
    if shown.returncode != 0 or not shown.stdout.startswith("digitpad "):
        problems.append(f"--version: {shown.stdout.strip()} {shown.stderr.strip()}")
    if predicted.returncode != 2:  # 2: some of the inputs are meant to fail
        problems.append(f"predict exited with {predicted.returncode}: {predicted.stderr[-500:]}")
    else:
        problems += check_predictions(predicted.stdout.splitlines(), expected)
    if problems:
        return False, f"{label}: installed ({libraries}) but: " + "; ".join(problems)
    return True, (
        f"{label}: pip install . ok in {seconds:.0f} s ({libraries}); "
        f"{shown.stdout.strip()}; predict right on all {len(expected)} files"
    )


def check_minimum(python: Path, tree: Path, work: Path) -> tuple[bool, str]:
    """The whole test suite of ``tree`` with the lowest versions on ``python``."""
    major, minor, micro = version_of(python)
    label = f"Python {major}.{minor}.{micro}, lowest versions"
    work.mkdir()
    venv = work / "venv-minimum"
    run([str(python), "-m", "venv", str(venv)], check=True)
    venv_python = str(venv / "bin" / "python")
    install = run(
        [
            venv_python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
            "-c", str(MINIMUM_VERSIONS), "-e", f"{tree}[test]",
        ]
    )  # fmt: skip
    if install.returncode != 0:
        last = (install.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"{label}: install FAILED: {last}"
    suite = run(
        [venv_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=5"],
        cwd=tree,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    lines = suite.stdout.strip().splitlines() or ["no output"]
    slowest = [line for line in lines if re.match(r"\d+\.\d+s (call|setup|teardown) ", line)]
    summary = lines[-1].strip("= ")
    if suite.returncode != 0:
        summary += "\n" + "\n".join(line for line in lines if line.startswith(("FAILED", "ERROR")))
    summary += "".join(f"\n      {line}" for line in slowest)
    return suite.returncode == 0, f"{label} ({MINIMUM_VERSIONS.name}): pytest: {summary}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pythons", nargs="*", type=Path, help="interpreters (default: pyenv's)")
    parser.add_argument(
        "--minimum",
        action="store_true",
        help="also run the test suite on the oldest allowed Python with the lowest versions",
    )
    args = parser.parse_args(argv)
    pythons = args.pythons or pyenv_pythons()
    if not pythons:
        parser.error("no Python given and none found under pyenv")
    lowest = requires_python()
    print(f"requires-python >= {lowest[0]}.{lowest[1]}", flush=True)
    passed = True
    with tempfile.TemporaryDirectory(prefix="digitpad-pythons-") as folder:
        # The committed tree, as a clone has it: no untracked or half-edited files.
        tree = Path(folder) / "tree"
        run(["git", "clone", "-q", str(ROOT), str(tree)], check=True)
        commit = run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, check=True)
        print(f"commit {commit.stdout.strip()}", flush=True)
        for python in pythons:
            work = Path(folder) / python.parent.parent.name
            work.mkdir()
            ok, line = check(python, tree, work, lowest)
            passed &= ok
            print(("ok    " if ok else "FAIL  ") + line, flush=True)
        if args.minimum:
            allowed = [p for p in pythons if version_of(p)[:2] >= lowest]
            oldest = min(allowed, key=version_of)
            ok, line = check_minimum(oldest, tree, Path(folder) / "minimum")
            passed &= ok
            print(("ok    " if ok else "FAIL  ") + line, flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

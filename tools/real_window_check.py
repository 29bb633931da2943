"""Write a number in the pad's real X window, as a person does, and check what it recorded.

Run from the repository root, with the Python that has digitpad's dependencies
(Linux; needs Xvfb, xdotool, xclip and ImageMagick's ``import``)::

    sudo apt-get install xvfb xdotool xclip imagemagick \\
        libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0
    python tools/real_window_check.py                  # writes 2026
    python tools/real_window_check.py --number 31415 --out runs/real-window/

A development helper: it reads the test fixtures, so it is not part of the package.

What it does, unlike the tests (which draw with Qt's synthetic events offscreen):

1. starts ``Xvfb`` on a free display (its ``-displayfd``) and ``python -m digitpad``
   on it, with ``XDG_CONFIG_HOME``, ``XDG_DATA_HOME``, ``XDG_CACHE_HOME`` and
   ``XDG_RUNTIME_DIR`` in a temporary folder, so that the person's own settings
   and handwriting profile are neither read nor changed;
2. waits for the window (``xdotool search --onlyvisible``), sizes it (``--window-size``;
   before the first stroke, so the ink space is the canvas as drawn on), and finds
   the canvas on a screenshot of the window: the canvas is the large area of its
   one background colour left of the side panel, framed by a 1 px line;
3. writes each digit with the strokes of the first pen digit of its label in
   ``tests/fixtures/pen-digits.json``, scaled to ``--digit-height`` px, left to
   right with a gap, centred in the canvas: per stroke ``mousemove`` to its start,
   ``mousedown 1``, ``mousemove`` steps of at most ``--step`` px with ``--move-delay``
   between them, ``mouseup 1``, then ``--stroke-pause``. The pointer moves with
   XTEST (xdotool), so Qt gets the X server's own pointer events;
4. screenshots the window, presses Ctrl+C in it (``xdotool key --window``), and
   reads the clipboard as ``text/plain`` (the number read) and
   ``application/x-digitpad-ink+json`` (the recorded ink);
5. compares the ink with the pointer path. While the window keeps its size the
   ink space is the canvas at the drawing's start, mapped 1:1, so an ink point
   is the pointer position less the canvas's top-left corner in the window. That
   offset is estimated as the median, over strokes, of first pointer position
   less first ink point (and shown beside the corner found on the screenshot);
   each ink point's deviation is its distance, after the offset, to the nearest
   pointer position sent in the same stroke.

Checks: as many strokes recorded as drawn; max deviation <= ``--max-deviation``
(3 px); the clipboard text is the digits of the number written (``--number``
may hold the separators ``-``, ``.`` and ``:``, written as small marks: they
are no digits). The report is printed and
written, with the screenshot, the pointer path and the clipboard ink, to
``--out`` (default ``runs/real-window/``, git-ignored) as ``report-NUMBER.json``,
``shot-NUMBER.png``, ``pointer-NUMBER.json`` and ``ink-NUMBER.json`` (and
``before-NUMBER.png``, the canvas was found on); the app's output goes to
``app-NUMBER.log``. Exit code 0 when every check passes, 1 when
one fails, 2 when the run could not get that far. Xvfb and the app are stopped
at the end, on errors too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "pen-digits.json"
INK_MIME_TYPE = "application/x-digitpad-ink+json"  # digitpad.ui.transfer.INK_MIME_TYPE
TOOLS = ("Xvfb", "xdotool", "xclip", "import")
#: A canvas narrower or lower than this on the screenshot is not taken for the canvas.
MIN_CANVAS_SIDE = 200


class CheckError(RuntimeError):
    """The run could not get as far as a result (no display, no window, no clipboard, ...)."""


# -- the digits to write --------------------------------------------------------------


def first_pen_digits(labels) -> dict[int, list[np.ndarray]]:
    """The strokes ((n, 2) float arrays) of the fixture's first pen digit of each label."""
    digits = json.loads(FIXTURE.read_text())["digits"]
    found = {}
    for label in set(labels):
        sample = next((d for d in digits if d["label"] == label), None)
        if sample is None:
            raise CheckError(f"{FIXTURE.name} has no digit {label}")
        found[label] = [np.asarray(s, dtype=np.float64)[:, :2] for s in sample["ink"]["strokes"]]
    return found


def separator_strokes(character: str) -> list[np.ndarray]:
    """A separator as a hand writes it, for a digit 1 unit tall (y down, 0 at the top):
    ``-`` a short dash at mid height, ``.`` a small dot on the baseline, ``:`` two."""
    angles = np.linspace(0, 2 * np.pi, 9)
    dot = 0.04 * np.column_stack([np.cos(angles), np.sin(angles)])
    if character == "-":
        return [np.column_stack([np.linspace(0.0, 0.35, 8), np.full(8, 0.55)])]
    if character == ".":
        return [dot + (0.04, 0.94)]
    if character == ":":
        return [dot + (0.04, 0.3), dot + (0.04, 0.85)]
    raise CheckError(f"no way to write {character!r}: digits, '-', '.' and ':' only")


def lay_out(
    number: str, canvas: tuple[int, int, int, int], height: float, gap: float, margin: float
):
    """Window-relative strokes writing ``number`` left to right, centred in ``canvas``.

    Each digit is scaled to ``height`` px (its own aspect kept), ``gap`` px apart;
    when the number would not fit in the canvas less ``margin`` on each side, the
    whole number is scaled down to fit. Returns ``(strokes, digit_of_stroke, height)``:
    float (n, 2) arrays, the index of the digit each stroke belongs to, and the
    digit height used.
    """
    shapes = first_pen_digits(int(c) for c in number if c.isdigit())
    placed, x = [], 0.0
    for index, character in enumerate(number):
        if not character.isdigit():  # a separator, in a gap of its own
            strokes = [s * height for s in separator_strokes(character)]
            x1 = max(float(s[:, 0].max()) for s in strokes)
            placed += [(index, s + (x, 0.0)) for s in strokes]
            x += x1 + gap
            continue
        strokes = shapes[int(character)]
        xy = np.concatenate(strokes)
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        scale = height / max(y1 - y0, 1e-9)
        placed += [(index, (s - (x0, y0)) * scale + (x, 0.0)) for s in strokes]
        x += (x1 - x0) * scale + gap
    width = x - gap
    left, top, canvas_w, canvas_h = canvas
    fit = min(1.0, (canvas_w - 2 * margin) / width, (canvas_h - 2 * margin) / height)
    dx = left + (canvas_w - width * fit) / 2
    dy = top + (canvas_h - height * fit) / 2
    strokes = [s * fit + (dx, dy) for _, s in placed]
    return strokes, [i for i, _ in placed], height * fit


def pointer_path(stroke: np.ndarray, step: float) -> np.ndarray:
    """Whole-pixel pointer positions along ``stroke``, at most ``step`` px apart, no repeats."""
    points = [stroke[0]]
    for a, b in zip(stroke[:-1], stroke[1:], strict=True):
        count = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        points += [a + (b - a) * k / count for k in range(1, count + 1)]
    path = np.rint(np.array(points)).astype(int)
    keep = np.ones(len(path), dtype=bool)
    keep[1:] = np.any(path[1:] != path[:-1], axis=1)
    return path[keep]


# -- X11 ------------------------------------------------------------------------------


def run(command, env, timeout=30.0, check=True) -> str:
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise CheckError(f"{' '.join(command[:4])} ...: no answer in {timeout:g} s") from error
    if check and done.returncode != 0:
        raise CheckError(f"{' '.join(command[:4])} ...: {done.stderr.strip() or done.returncode}")
    return done.stdout


def start_xvfb(size: str, log) -> tuple[subprocess.Popen, str]:
    """Xvfb on a display number it picks itself (free), and that display's name."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=log,
        stderr=log,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()  # written once the server accepts clients
    if not number:
        server.wait(5)
        raise CheckError(f"Xvfb did not start (exit code {server.returncode})")
    return server, f":{number}"


def wait_for_window(app: subprocess.Popen, env, timeout: float, log: Path) -> str:
    """The id of the pad's shown window, once there is one; an error if the pad exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            said = f": {' / '.join(tail)}" if tail else ""
            raise CheckError(f"the pad exited with code {app.returncode}{said}")
        command = ["xdotool", "search", "--onlyvisible", "--name", "^digitpad$"]
        found = run(command, env, check=False).split()
        if found:
            return found[0]
        time.sleep(0.2)
    raise CheckError(f"the pad's window did not appear in {timeout:g} s")


def window_geometry(window: str, env) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of a window, position on the screen."""
    shell = dict(
        line.split("=", 1)
        for line in run(["xdotool", "getwindowgeometry", "--shell", window], env).split()
    )
    return int(shell["X"]), int(shell["Y"]), int(shell["WIDTH"]), int(shell["HEIGHT"])


def screenshot(window: str, path: Path, env) -> np.ndarray:
    run(["import", "-window", window, str(path)], env)
    return np.asarray(Image.open(path).convert("RGB"))


def find_canvas(picture: np.ndarray) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of the canvas in a screenshot of the window, frame included.

    The canvas is the big widget on the left: a point a quarter of the way across
    and 40% of the way down the window lies on it, clear of the toolbar and of the
    centred hint text. The canvas is the run of that point's colour through it,
    down and across, and the 1 px frame around that run.
    """
    height, width = picture.shape[:2]
    px, py = width // 4, int(height * 0.4)
    base = picture[py, px]

    def run_through(line: np.ndarray, at: int) -> tuple[int, int]:
        same = np.all(line == base, axis=1)
        start, end = at, at
        while start > 0 and same[start - 1]:
            start -= 1
        while end < len(same) - 1 and same[end + 1]:
            end += 1
        return start, end

    y0, y1 = run_through(picture[:, px], py)
    x0, x1 = run_through(picture[py], px)
    rect = (x0 - 1, y0 - 1, x1 - x0 + 3, y1 - y0 + 3)
    if min(rect[2:]) < MIN_CANVAS_SIDE:
        raise CheckError(f"no canvas found on the screenshot (a run of {rect[2]}x{rect[3]} px)")
    return rect


def write_strokes(paths, origin, env, move_delay: float, stroke_pause: float) -> list[str]:
    """Write each stroke with the pointer (XTEST through xdotool): press, moves, release.

    One xdotool call per stroke, its moves chained with ``sleep``, so that the pace
    is the delay asked for and not the cost of starting a process. Returns, per
    stroke, where the pointer was after the release when that differs from the
    last position sent (an empty list when it never does).
    """
    ox, oy = origin
    misplaced = []
    for number, path in enumerate(paths):
        command = ["xdotool", "mousemove", str(path[0][0] + ox), str(path[0][1] + oy)]
        command += ["sleep", "0.05", "mousedown", "1"]
        for x, y in path[1:]:
            command += ["sleep", f"{move_delay:g}", "mousemove", str(x + ox), str(y + oy)]
        command += ["sleep", f"{move_delay:g}", "mouseup", "1"]
        run(command, env, timeout=60 + len(path) * move_delay * 4)
        where = dict(
            line.split("=", 1)
            for line in run(["xdotool", "getmouselocation", "--shell"], env).split()
        )
        if (int(where["X"]) - ox, int(where["Y"]) - oy) != tuple(path[-1]):
            misplaced.append(f"stroke {number}: at {where['X']},{where['Y']}")
        time.sleep(stroke_pause)
    return misplaced


def clipboard(target: str, env) -> bytes:
    done = subprocess.run(
        ["xclip", "-selection", "clipboard", "-o", "-t", target],
        env=env,
        capture_output=True,
        timeout=10,
        check=False,
    )
    return done.stdout if done.returncode == 0 else b""


def copy_from_window(window: str, env, wait: float) -> tuple[list[str], str, dict | None]:
    """Press Ctrl+C in the window; the clipboard's targets, its text and its ink (or None)."""
    run(["xdotool", "key", "--window", window, "ctrl+c"], env)
    deadline = time.monotonic() + wait
    targets: list[str] = []
    while time.monotonic() < deadline:
        targets = clipboard("TARGETS", env).decode(errors="replace").split()
        if INK_MIME_TYPE in targets:
            break
        time.sleep(0.2)
    text = clipboard("text/plain", env).decode(errors="replace")
    raw = clipboard(INK_MIME_TYPE, env) if INK_MIME_TYPE in targets else b""
    return targets, text, json.loads(raw) if raw else None


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


# -- comparing ------------------------------------------------------------------------


def compare(paths, ink_strokes) -> dict:
    """Ink against the pointer path: the offset between them and the deviations after it.

    ``paths`` are the window-relative pointer positions sent, per stroke; ``ink_strokes``
    the recorded strokes (points ``[x, y, t, ...]``). Strokes are paired in order.
    """
    pairs = [
        (np.asarray(p, dtype=np.float64), np.asarray(s, dtype=np.float64)[:, :2])
        for p, s in zip(paths, ink_strokes, strict=False)
        if len(s)
    ]
    if not pairs:
        return {
            "offset": None,
            "max_deviation": None,
            "p95_deviation": None,
            "per_stroke_max": [],
            "points_compared": 0,
            "max_pointer_to_ink": None,
            "longest_interval_in_a_stroke_ms": None,
        }
    offset = np.median([p[0] - s[0] for p, s in pairs], axis=0)
    deviations, per_stroke, missed = [], [], []
    for pointer, ink in pairs:
        distance = np.linalg.norm((ink + offset)[:, None, :] - pointer[None, :, :], axis=2)
        nearest = distance.min(axis=1)
        deviations.append(nearest)
        per_stroke.append(round(float(nearest.max()), 3))
        missed.append(distance.min(axis=0))
    every = np.concatenate(deviations)
    # Ink points carry their time (ms); a long interval inside a stroke is a time the
    # pad did not take in the pointer's moves (Qt then merges the moves queued meanwhile).
    timed = [np.asarray(s, dtype=np.float64) for s in ink_strokes if len(s) > 1]
    intervals = [np.diff(s[:, 2]) for s in timed if s.shape[1] > 2]
    longest = max((float(i.max()) for i in intervals), default=None)
    return {
        "offset": [round(float(v), 3) for v in offset],
        "max_deviation": round(float(every.max()), 3),
        "p95_deviation": round(float(np.percentile(every, 95)), 3),
        "per_stroke_max": per_stroke,
        "points_compared": int(every.size),
        # The other way round: how far the ink strays from each pointer position
        # (large where a stretch of a stroke is missing from the ink).
        "max_pointer_to_ink": round(float(np.concatenate(missed).max()), 3),
        "longest_interval_in_a_stroke_ms": longest,
    }


# -- the run --------------------------------------------------------------------------


def check(args) -> dict:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise CheckError(
            f"missing {', '.join(missing)}: sudo apt-get install xvfb xdotool xclip imagemagick"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tag = args.number
    server = app = None
    with tempfile.TemporaryDirectory(prefix="digitpad-real-window-") as home:
        env = {
            k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
        }
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
            folder = Path(home) / name.lower()
            folder.mkdir(mode=0o700)
            env[name] = str(folder)
        env["QT_QPA_PLATFORM"] = "xcb"
        try:
            with open(out / f"xvfb-{tag}.log", "w") as log:
                server, display = start_xvfb(args.screen, log)
            env["DISPLAY"] = display
            with open(out / f"app-{tag}.log", "w") as log:
                app = subprocess.Popen(
                    [args.python, "-m", "digitpad"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            window = wait_for_window(app, env, args.start_timeout, out / f"app-{tag}.log")
            width, height = (int(v) for v in args.window_size.split("x"))
            run(["xdotool", "windowmove", "--sync", window, "0", "0"], env, check=False)
            run(["xdotool", "windowsize", "--sync", window, str(width), str(height)], env)
            time.sleep(args.settle)  # the model loads after the first paint
            if app.poll() is not None:
                raise CheckError(f"the pad exited with code {app.returncode}")
            geometry = window_geometry(window, env)
            canvas = find_canvas(screenshot(window, out / f"before-{tag}.png", env))
            strokes, digit_of, digit_height = lay_out(
                args.number, canvas, args.digit_height, args.gap, args.margin
            )
            paths = [pointer_path(s, args.step) for s in strokes]
            started = time.monotonic()
            misplaced = write_strokes(paths, geometry[:2], env, args.move_delay, args.stroke_pause)
            writing_s = time.monotonic() - started
            time.sleep(args.read_wait)
            shot = out / f"shot-{tag}.png"
            screenshot(window, shot, env)
            targets, text, ink = copy_from_window(window, env, args.clipboard_wait)
            geometry_after = window_geometry(window, env)
        finally:
            stop(app)
            stop(server)
    pointer = [p.tolist() for p in paths]
    (out / f"pointer-{tag}.json").write_text(json.dumps({"window_relative": pointer}))
    ink_strokes = ink["strokes"] if ink else []
    if ink is not None:
        (out / f"ink-{tag}.json").write_text(json.dumps(ink))
    comparison = compare(paths, ink_strokes)
    checks = {
        "strokes recorded == strokes drawn": len(ink_strokes) == len(paths),
        f"max deviation <= {args.max_deviation:g} px": comparison["max_deviation"] is not None
        and comparison["max_deviation"] <= args.max_deviation,
        # A separator is no digit: the pad reads the digits alone.
        "clipboard text == the number's digits": text.strip()
        == "".join(c for c in args.number if c.isdigit()),
    }
    return {
        "number": args.number,
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "display": display,
        "window": {"id": window, "geometry": geometry, "geometry_after": geometry_after},
        "canvas_on_screenshot": canvas,
        "canvas_corner_from_ink": comparison["offset"],
        "ink_space": None if ink is None else [ink.get("width"), ink.get("height")],
        "digit_height_px": round(digit_height, 1),
        "strokes_drawn": len(paths),
        "strokes_per_digit": [digit_of.count(i) for i in range(len(args.number))],
        "strokes_recorded": len(ink_strokes),
        "pointer_positions_sent": int(sum(len(p) for p in paths)),
        "ink_points_recorded": int(sum(len(s) for s in ink_strokes)),
        "writing_seconds": round(writing_s, 1),
        "move_delay_ms": args.move_delay * 1000,
        "pointer_not_where_sent": misplaced,
        **comparison,
        "clipboard_targets": targets,
        "clipboard_text": text,
        "checks": checks,
        "result": "PASS" if all(checks.values()) else "FAIL",
        "screenshot": str(shot),
    }


def print_report(report: dict) -> None:
    print(f"number written: {report['number']}  (display {report['display']})")
    print(
        f"window {report['window']['geometry']}, "
        f"canvas on the screenshot {report['canvas_on_screenshot']}"
    )
    print(
        f"canvas corner from the ink {report['canvas_corner_from_ink']}, "
        f"ink space {report['ink_space']}"
    )
    print(
        f"strokes drawn {report['strokes_drawn']} {report['strokes_per_digit']}, "
        f"recorded {report['strokes_recorded']}; "
        f"pointer positions {report['pointer_positions_sent']}, "
        f"ink points {report['ink_points_recorded']}; {report['writing_seconds']} s of writing"
    )
    if report["window"]["geometry_after"] != report["window"]["geometry"]:
        print(f"the window changed to {report['window']['geometry_after']} meanwhile")
    if report["pointer_not_where_sent"]:
        print(f"pointer not where sent: {report['pointer_not_where_sent']}")
    print(
        f"deviation of the ink from the pointer path: max {report['max_deviation']} px, "
        f"95th percentile {report['p95_deviation']} px; "
        f"farthest pointer position from the ink {report['max_pointer_to_ink']} px"
    )
    print(
        f"longest time between two ink points of a stroke: "
        f"{report['longest_interval_in_a_stroke_ms']} ms (moves sent every "
        f"{report['move_delay_ms']:g} ms and more)"
    )
    print(f"clipboard text: {report['clipboard_text']!r}")
    for name, passed in report["checks"].items():
        print(f"  {'PASS' if passed else 'FAIL'}  {name}")
    print(f"{report['result']}; screenshot {report['screenshot']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--number", default="2026", help="the digits to write, and separators - . : (default 2026)"
    )
    parser.add_argument("--out", default=str(ROOT / "runs" / "real-window"), help="report folder")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs the pad")
    parser.add_argument("--screen", default="1600x1000", help="Xvfb screen size")
    parser.add_argument("--window-size", default="1560x940", help="the pad's window size")
    parser.add_argument("--digit-height", type=float, default=180, help="px (default 180)")
    parser.add_argument("--gap", type=float, default=60, help="px between digits (default 60)")
    parser.add_argument("--margin", type=float, default=30, help="px kept clear inside the canvas")
    parser.add_argument("--step", type=float, default=3, help="px per pointer move at most")
    parser.add_argument("--move-delay", type=float, default=0.01, help="s between moves")
    parser.add_argument("--stroke-pause", type=float, default=0.3, help="s between strokes")
    parser.add_argument("--settle", type=float, default=3, help="s to wait before writing")
    parser.add_argument("--read-wait", type=float, default=1.5, help="s to wait before copying")
    parser.add_argument("--clipboard-wait", type=float, default=5, help="s to wait for Ctrl+C")
    parser.add_argument("--start-timeout", type=float, default=60, help="s to wait for the window")
    parser.add_argument("--max-deviation", type=float, default=3, help="px allowed (default 3)")
    args = parser.parse_args(argv)
    if not args.number[:1].isdigit() or not all(c.isdigit() or c in "-.:" for c in args.number):
        parser.error("--number takes digits, and the separators - . : between them")
    try:
        report = check(args)
    except CheckError as error:
        print(f"real_window_check: {error}", file=sys.stderr)
        return 2
    (Path(args.out) / f"report-{args.number}.json").write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    return 0 if report["result"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())

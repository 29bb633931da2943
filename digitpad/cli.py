"""The ``digitpad`` command: the drawing pad, or ``digitpad predict`` for files."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digitpad",
        description="A drawing pad that recognizes handwritten digits. "
        "Without a command, opens the pad.",
    )
    parser.add_argument(
        "--model", metavar="PATH", help="a .tflite or .keras model (default: bundled)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("pad", help="open the drawing pad (the default)")
    predict = commands.add_parser(
        "predict",
        help="read the digits or numbers in image and ink files",
        description="Read the digit or number in images (PNG, JPEG, BMP, GIF, TIFF, WebP, ...) "
        "and ink .json files. A folder stands for its image and ink files, sorted by name.",
    )
    predict.add_argument(
        "paths", nargs="+", metavar="PATH", help="image, ink .json file, or folder"
    )
    predict.add_argument("--json", action="store_true", help="one JSON object per input, per line")
    predict.add_argument(
        "--model",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="a .tflite or .keras model (default: bundled)",
    )
    desktop = commands.add_parser(
        "install-desktop",
        help="add digitpad to the desktop's application menu (for this user)",
        description="Write digitpad.desktop and the digitpad icon under $XDG_DATA_HOME "
        "(default ~/.local/share), starting this installation of digitpad.",
    )
    desktop.add_argument(
        "--uninstall", action="store_true", help="remove the entry and icon instead"
    )
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "predict":
        return predict(args.paths, model=args.model, as_json=args.json)
    if args.command == "install-desktop":
        return install_desktop(uninstall=args.uninstall)
    from .ui.app import run

    return run(model=args.model)


def predict(paths, *, model=None, as_json=False, out=None, err=None) -> int:
    """``digitpad predict``: one line per input; exit code 2 if any input was bad."""
    out = out or sys.stdout
    err = err or sys.stderr
    from .predictor import ModelError
    from .recognize import Recognizer, expand_paths

    try:
        recognizer = Recognizer(model)
    except ModelError as error:
        print(f"digitpad: error: {error}", file=err)
        return EXIT_BAD_INPUT
    failures = 0
    if not as_json:
        print(f"{'FILE':<40} {'DIGIT':>5} {'CONFIDENCE':>10} {'NUMBER':>8}", file=out)
    for path, result in recognizer.files(expand_paths(paths)):
        name = str(path)
        if isinstance(result, Exception):
            failures += 1
            print(f"digitpad: {name}: {result}", file=err)
            if as_json:
                print(json.dumps({"file": name, "error": str(result)}), file=out)
            else:
                print(f"{name:<40} {'-':>5} {'error':>10} {'-':>8}", file=out)
            continue
        if as_json:
            print(json.dumps({"file": name, **result.to_json()}), file=out)
        elif result.number is None:
            print(f"{name:<40} {'-':>5} {'no digit':>10} {'-':>8}", file=out)
        else:
            # With several digits there is no single DIGIT; the confidence is the number's.
            digit = "-" if result.digit is None else result.digit
            print(f"{name:<40} {digit:>5} {result.confidence:>10.1%} {result.number:>8}", file=out)
    return EXIT_BAD_INPUT if failures else EXIT_OK


def install_desktop(*, uninstall=False, out=None) -> int:
    """``digitpad install-desktop``: write (or remove) the desktop entry and icon."""
    out = out or sys.stdout
    from . import desktop

    if uninstall:
        removed = desktop.uninstall()
        for path in removed:
            print(f"removed {path}", file=out)
        if not removed:
            print(f"nothing to remove under {desktop.data_home()}", file=out)
        return EXIT_OK
    for path in desktop.install():
        print(f"wrote {path}", file=out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

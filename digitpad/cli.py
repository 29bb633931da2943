"""The ``digitpad`` command: the drawing pad, ``digitpad predict`` for files,
``digitpad learn`` to teach a profile a person's digit."""

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
    predict.add_argument(
        "--profile",
        metavar="DIR",
        help="read with this handwriting profile (default: none, the model alone)",
    )
    learn = commands.add_parser(
        "learn",
        help="teach a handwriting profile that a file holds a given digit",
        description="Add the ink .json file or image FILE, taken as one digit, to a "
        "handwriting profile as an example of DIGIT. The pad and `digitpad predict "
        "--profile DIR` then read such digits that way.",
    )
    learn.add_argument("file", metavar="FILE", help="image or ink .json file of one digit")
    learn.add_argument("digit", metavar="DIGIT", type=int, choices=range(10), help="0-9")
    learn.add_argument(
        "--profile", metavar="DIR", help="the profile folder (default: the pad's, per user)"
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
        return predict(args.paths, model=args.model, as_json=args.json, profile=args.profile)
    if args.command == "learn":
        return learn(args.file, args.digit, profile=args.profile)
    if args.command == "install-desktop":
        return install_desktop(uninstall=args.uninstall)
    from .ui.app import run

    return run(model=args.model)


def predict(paths, *, model=None, as_json=False, profile=None, out=None, err=None) -> int:
    """``digitpad predict``: one line per input; exit code 2 if any input was bad.

    A handwriting profile is used only when one is given, so batch runs stay
    reproducible.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    from .predictor import ModelError
    from .recognize import Recognizer, expand_paths

    try:
        recognizer = Recognizer(model, profile=profile)
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


def learn(file, digit: int, *, profile=None, out=None, err=None) -> int:
    """``digitpad learn``: add one example to a profile; exit code 2 if it cannot be."""
    out = out or sys.stdout
    err = err or sys.stderr
    from .profile import Profile

    target = Profile(profile)
    try:
        example = target.add(file, digit)
    except (ValueError, OSError) as error:  # InkError, ImageReadError are ValueErrors
        reason = getattr(error, "strerror", None) or error
        print(f"digitpad: {file}: {reason}", file=err)
        return EXIT_BAD_INPUT
    print(f"learned {file} as {digit}: {example.file}", file=out)
    return EXIT_OK


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

"""The ``digitpad`` command: the drawing pad, ``digitpad predict`` for files,
``digitpad learn`` to teach a profile a person's digit, ``digitpad convention`` to
say how they write 1s and 7s."""

from __future__ import annotations

import argparse
import json
import re
import sys
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .conventions import CONVENTIONS

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _number(text: str) -> str:
    """argparse type of ``digitpad learn``'s NUMBER: digits 0-9, leading zeros kept."""
    if not re.fullmatch(r"[0-9]+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of digits 0-9")
    return text


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
    predict.add_argument(
        "--convention",
        choices=list(CONVENTIONS),
        help="how the writer writes 1s and 7s: "
        + "; ".join(f"{name}: {text}" for name, text in CONVENTIONS.items())
        + " (default: the profile's, else none)",
    )
    learn = commands.add_parser(
        "learn",
        help="teach a handwriting profile the digits written in a file",
        description="Add the digits of the ink .json file or image FILE to a handwriting "
        "profile, each as an example of its digit of NUMBER, left to right: `digitpad learn "
        "four.png 4`, `digitpad learn year.json 2026`. NUMBER must have one digit for each "
        "digit found in FILE (as `digitpad predict` finds them); otherwise nothing is learned. "
        "The pad and `digitpad predict --profile DIR` then read such digits that way.",
    )
    learn.add_argument("file", metavar="FILE", help="image or ink .json file")
    learn.add_argument(
        "number", metavar="NUMBER", type=_number, help="the digits written in FILE: 7, 2026"
    )
    learn.add_argument(
        "--profile", metavar="DIR", help="the profile folder (default: the pad's, per user)"
    )
    convention = commands.add_parser(
        "convention",
        help="say how you write 1s and 7s, so that the pad reads them your way",
        description="Show or set how the person of a handwriting profile writes 1s and 7s. "
        + "; ".join(f"{name}: {text}" for name, text in CONVENTIONS.items())
        + "; none: not said (the model alone decides).",
    )
    convention.add_argument(
        "convention", nargs="?", choices=[*CONVENTIONS, "none"], help="default: show it"
    )
    convention.add_argument(
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
        return predict(
            args.paths,
            model=args.model,
            as_json=args.json,
            profile=args.profile,
            convention=args.convention,
        )
    if args.command == "learn":
        return learn(args.file, args.number, profile=args.profile)
    if args.command == "convention":
        return convention(args.convention, profile=args.profile)
    if args.command == "install-desktop":
        return install_desktop(uninstall=args.uninstall)
    from .ui.app import run

    return run(model=args.model)


def predict(
    paths, *, model=None, as_json=False, profile=None, convention=None, out=None, err=None
) -> int:
    """``digitpad predict``: one line per input; exit code 2 if any input was bad.

    A handwriting profile is used only when one is given, so batch runs stay
    reproducible.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    from .predictor import ModelError
    from .recognize import Recognizer, expand_paths

    try:
        recognizer = Recognizer(model, profile=profile, convention=convention)
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


def convention(name: str | None, *, profile=None, out=None) -> int:
    """``digitpad convention``: show the profile's writing convention, or set it."""
    from .profile import Profile

    out = out or sys.stdout
    person = Profile(profile)
    if name is not None:
        person.convention = None if name == "none" else name
    current = person.convention
    text = f"{current}: {CONVENTIONS[current]}" if current else "none (the model alone decides)"
    print(f"{person.folder}: {text}", file=out)
    return EXIT_OK


def learn(file, number: str, *, profile=None, out=None, err=None) -> int:
    """``digitpad learn``: add the digits of ``file`` to a profile as those of ``number``.

    The file's digits are found as :meth:`Recognizer.file
    <digitpad.recognize.Recognizer.file>` finds them. One digit is learned
    from the whole input (as :meth:`Profile.add <digitpad.profile.Profile.add>`
    takes it); each digit of several from its own strokes, or for a picture
    from the 28x28 picture the model sees of it. A file whose count of digits
    is not ``number``'s is refused, and so is the whole file when one of its
    examples cannot be written: nothing of it is learned. Exit code 2 when
    nothing is learned; one line on ``err`` says why.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    from .profile import Profile

    number = str(number)
    target = Profile(profile)
    learned = []
    try:
        with _digits_to_learn(file) as digits:
            if not digits:
                raise ValueError("no digit to learn: the file holds none")
            if len(digits) != len(number):
                raise ValueError(
                    f"it holds {_digits(len(digits))} but NUMBER {number} has "
                    f"{_digits(len(number))}: give one digit for each digit written"
                )
            for source, digit in zip(digits, number, strict=True):
                learned.append(target.add(source, int(digit)))
    except (ValueError, OSError) as error:  # InkError, ImageReadError are ValueErrors
        for example in learned:  # all of the number or none of it
            target.forget(example)
        reason = getattr(error, "strerror", None) or error
        print(f"digitpad: {file}: {reason}", file=err)
        return EXIT_BAD_INPUT
    for i, (example, digit) in enumerate(zip(learned, number, strict=True), 1):
        part = f" ({i} of {len(learned)})" if len(learned) > 1 else ""
        print(f"learned {file}{part} as {digit}: {example.file}", file=out)
    return EXIT_OK


@contextmanager
def _digits_to_learn(file):
    """The inputs to learn the digits of ``file`` from, left to right, as the pad does.

    The whole input when it is one digit; each digit's :class:`~digitpad.ink.Ink`
    (its strokes) of an ink, or of a PNG saved by the pad; each digit's 28x28
    model input (``uint8``) of a picture. Empty when there is no digit.
    """
    import numpy as np

    from .ink import load_ink, picture_ink
    from .preprocess import load_image
    from .recognize import INK_SUFFIXES

    path = Path(file)
    if path.suffix.lower() in INK_SUFFIXES:
        ink = load_ink(path)
    else:
        with load_image(path) as image:
            ink = picture_ink(image)
            if ink is None:
                pictures = [x for x, _ in _picture_digits(image)]
                if len(pictures) == 1:
                    yield [image]
                else:
                    yield [np.round(np.clip(x, 0, 1) * 255).astype(np.uint8) for x in pictures]
                return
    yield _ink_digits(ink)


def _picture_digits(image):
    """The (model input, box) of each digit of a picture as ``predict`` reads it (by the
    box rules when no model can be loaded)."""
    from .predictor import ModelError
    from .recognize import Recognizer, image_inputs

    try:
        recognizer = Recognizer()
    except (ModelError, ImportError, OSError, ValueError):
        return image_inputs(image, by_recognition=False)
    inputs = image_inputs(image, wide_blob=recognizer.picture_wide_blob)
    if inputs.search is None:
        return inputs
    try:
        return [(d.input, d.box) for d in recognizer.read(inputs).digits]
    except (ModelError, ImportError, OSError, ValueError):
        return image_inputs(image, by_recognition=False)


def _ink_digits(ink):
    """The digits of ``ink`` as the pad reads them: the whole ink when it is one digit,
    else each digit's own ink (by the box rules when no model can be loaded)."""
    from .predictor import ModelError
    from .preprocess import ink_to_input
    from .recognize import Recognizer
    from .segment import segment_ink

    try:
        digits = [d.ink for d in Recognizer().ink(ink).digits]
    except (ModelError, ImportError, OSError, ValueError):
        # The segments that give the model an input (one too small, a tap, gives none).
        digits = [s.ink for s in segment_ink(ink) if ink_to_input(s.ink) is not None]
    return [ink] if len(digits) == 1 else digits


def _digits(count: int) -> str:
    return f"{count} digit" if count == 1 else f"{count} digits"


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

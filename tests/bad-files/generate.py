"""Write the bad and awkward input files of this folder and ``expected.json``.

    python tests/bad-files/generate.py            # images and ink (numpy, Pillow)
    python tests/bad-files/generate.py --models   # also the wrong-shape models (TensorFlow)

The files are committed; this script says how each one was made. Digits drawn
into images come from ``tests/fixtures`` (MNIST test digits and pen ink by
writers the bundled model never saw), so their expected labels are known.
``expected.json`` maps each file name to its outcome:

* ``{"error": "words"}``: reading it fails with a one-line message containing the words;
* ``{"digit": 7}``: it is read and recognized as that digit;
* ``{"digit": null}``: it is read and holds no digit;
* ``{"readable": true}``: it is read and gives some valid answer (ink of no real shape);
* ``"pad": "error"`` besides: the pad shows a message for it instead.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"


def mnist_digit(label: int) -> np.ndarray:
    with np.load(FIXTURES / "mnist-test-1000.npz") as data:
        x, y = data["x"], data["y"]
    return x[np.flatnonzero(y == label)[0]]


def pen_ink(label: int) -> dict:
    digits = json.loads((FIXTURES / "pen-digits.json").read_text())["digits"]
    return next(d["ink"] for d in digits if d["label"] == label)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def decompression_bomb(side: int = 30_000) -> bytes:
    """A real 1-bit PNG of side x side white pixels: 112 MB of pixels, ~110 KB on disk."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def save(image: Image.Image, name: str, **options) -> None:
    image.save(HERE / name, **options)


def write_images(expected: dict) -> None:
    three, seven = mnist_digit(3), mnist_digit(7)
    dark_on_light = Image.fromarray(255 - three)

    buffer = io.BytesIO()
    dark_on_light.save(buffer, "PNG")
    (HERE / "truncated.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    expected["truncated.png"] = {"error": "cannot decode"}
    (HERE / "empty.png").write_bytes(b"")
    expected["empty.png"] = {"error": "not an image"}
    (HERE / "text-renamed.png").write_text("This is a shopping list, not a picture.\n")
    expected["text-renamed.png"] = {"error": "not an image"}
    (HERE / "decompression-bomb.png").write_bytes(decompression_bomb())
    expected["decompression-bomb.png"] = {"error": "refused"}

    save(Image.new("L", (1, 1), 255), "one-pixel.png")
    expected["one-pixel.png"] = {"digit": None}
    save(Image.new("L", (1, 1), 0), "one-black-pixel.png")
    expected["one-black-pixel.png"] = {"digit": None}
    blank = Image.new("RGB", (640, 480), "white")
    save(blank, "blank.jpg", quality=90)
    expected["blank.jpg"] = {"digit": None}

    wide = np.full((3, 4000), 255, np.uint8)
    wide[1, 100:3900] = 0
    save(Image.fromarray(wide), "extreme-wide.png")
    expected["extreme-wide.png"] = {"readable": True}
    tall = np.full((4000, 3), 255, np.uint8)
    tall[100:3900, 1] = 0
    save(Image.fromarray(tall), "extreme-tall.png")
    expected["extreme-tall.png"] = {"digit": 1}

    frames = [Image.fromarray(three).convert("P"), Image.fromarray(seven).convert("P")]
    frames[0].save(HERE / "animated.gif", save_all=True, append_images=frames[1:], duration=200)
    expected["animated.gif"] = {"digit": 3}

    sixteen = (255 - three).astype(np.uint16) * 257
    save(Image.fromarray(sixteen), "sixteen-bit.png")
    expected["sixteen-bit.png"] = {"digit": 3}

    save(dark_on_light.convert("CMYK"), "cmyk.jpg", quality=95)
    expected["cmyk.jpg"] = {"digit": 3}
    save(dark_on_light.convert("CMYK"), "cmyk.tif")
    expected["cmyk.tif"] = {"digit": 3}

    # Ink in palette index 1 on a background whose palette index 0 is transparent.
    palette = Image.fromarray((seven > 127).astype(np.uint8)).convert("P")
    palette.putpalette([255, 255, 255, 0, 0, 0] + [0, 0, 0] * 254)
    save(palette, "palette-transparent.png", transparency=0)
    expected["palette-transparent.png"] = {"digit": 7}


def write_ink(expected: dict) -> None:
    four = pen_ink(4)

    def dump(name, data, outcome):
        text = data if isinstance(data, str) else json.dumps(data)
        (HERE / name).write_text(text)
        expected[name] = outcome

    dump("not-json.json", "strokes: [[1, 2], [3, 4]]\n", {"error": "not valid JSON"})
    dump("json-list.json", [[1, 2], [3, 4]], {"error": "must be an object"})
    dump("wrong-schema.json", {"lines": [[[0, 0], [5, 5]]]}, {"error": "neither"})
    dump("strokes-not-list.json", {"strokes": 12}, {"error": "must be a list"})
    dump("point-too-short.json", {"strokes": [[[1, 2], [3]]]}, {"error": "[x, y, ...] points"})
    dump("point-text.json", {"strokes": [[["a", "b"], [1, 2]]]}, {"error": "must be numbers"})
    dump("nan.json", '{"strokes": [[[0, 0], [NaN, 5]]]}', {"error": "NaN"})
    dump("infinity.json", '{"strokes": [[[0, 0], [Infinity, 5]]]}', {"error": "Infinity"})
    dump("huge-number.json", '{"strokes": [[[0, 0], [1e400, 5]]]}', {"error": "NaN or infinite"})
    dump("huge-coordinate.json", {"strokes": [[[0, 0], [1e300, 5]]]}, {"error": "beyond"})
    dump("bad-width.json", {"width": -5, "strokes": four["strokes"]}, {"error": "'width'"})
    shifted = [[[x - 5000, y - 9000, *rest] for x, y, *rest in s] for s in four["strokes"]]
    dump("negative-coordinates.json", {"strokes": shifted}, {"digit": 4})
    dump(
        "one-point.json", {"width": 400, "height": 400, "strokes": [[[200, 200]]]}, {"digit": None}
    )
    # The pad refuses to replace a drawing by nothing.
    dump("no-strokes.json", {"strokes": []}, {"digit": None, "pad": "error"})
    dump("unknown-keys.json", {**four, "author": "someone", "pen": {"colour": "red"}}, {"digit": 4})
    dump("deep-nesting.json", "[" * 5000 + "]" * 5000, {"error": "nested too deeply"})
    dump(
        "long-integer.json",
        '{"strokes": [[[1' + "0" * 5000 + ", 2]]]}",
        {"error": "too many digits"},
    )
    dump("big-integer.json", '{"strokes": [[[1' + "0" * 400 + ", 2]]]}", {"error": "beyond"})
    (HERE / "not-utf8.json").write_bytes(b'{"strokes": "\xff\xfe"}')
    expected["not-utf8.json"] = {"error": "not a text file"}


def write_models(expected: dict) -> None:
    import keras

    def export(name, model):
        model.export(str(HERE / name), format="litert", verbose=False)

    export(
        "wrong-input.tflite",
        keras.Sequential(
            [keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
        ),
    )
    expected["wrong-input.tflite"] = {"error": "model input is [n, 32, 32, 1]"}
    export(
        "wrong-output.tflite",
        keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(5)]),
    )
    expected["wrong-output.tflite"] = {"error": "model output is [n, 5]"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", action="store_true", help="also write the model files")
    args = parser.parse_args()
    manifest = HERE / "expected.json"
    expected = json.loads(manifest.read_text()) if manifest.exists() else {}
    write_images(expected)
    write_ink(expected)
    bundled = (HERE.parents[1] / "resources" / "model.tflite").read_bytes()
    (HERE / "truncated.tflite").write_bytes(bundled[:4096])
    expected["truncated.tflite"] = {"error": "not a .tflite model"}
    (HERE / "not-a-model.tflite").write_text("digitpad model, honest\n")
    expected["not-a-model.tflite"] = {"error": "not a .tflite model"}
    if args.models:
        write_models(expected)
    lines = [f"  {json.dumps(name)}: {json.dumps(expected[name])}" for name in sorted(expected)]
    manifest.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fuzzing the readers: any bytes, any JSON, any picture.

Whatever comes in, the ink reader raises only InkError, the image reader only
ImageReadError, and what they do read always preprocesses into valid model
inputs (or "no digit").
"""

import io
import json
import math
import warnings

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from digitpad.ink import Ink, InkError, load_ink, parse_ink
from digitpad.preprocess import FIELD, ImageReadError, image_to_input, ink_to_input, load_image
from digitpad.recognize import image_inputs, ink_inputs

fuzz = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def check_inputs(inputs):
    """``inputs``: a list of (model input, box), as Recognizer sends to the model."""
    for x, box in inputs:
        assert x.shape == (FIELD, FIELD) and x.dtype == np.float32
        assert np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0
        assert len(box) == 4 and all(math.isfinite(v) for v in box)


# --- Ink ------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(
            st.sampled_from(["strokes", "drawing", "width", "height", "x", "y"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=60,
)
numbers = st.floats(-1e7, 1e7) | st.integers(-(10**7), 10**7)
ink_like = st.fixed_dictionaries(
    {
        "strokes": st.lists(
            st.lists(st.lists(numbers, min_size=0, max_size=5), max_size=12), max_size=4
        )
    },
    optional={"width": json_values, "height": json_values},
)
quick_draw_like = st.fixed_dictionaries(
    {"drawing": st.lists(st.lists(st.lists(numbers, max_size=8), max_size=4), max_size=4)}
)


@fuzz
@given(json_values | ink_like | quick_draw_like)
def test_parse_ink_takes_any_json_value(data):
    try:
        ink = parse_ink(data)
    except InkError as error:
        assert str(error) and "\n" not in str(error)
        return
    check_inputs(ink_inputs(ink))
    x = ink_to_input(ink)
    assert x is None or (x.shape == (FIELD, FIELD) and np.isfinite(x).all())


ink_bytes = st.binary(max_size=400) | (json_values | ink_like).map(
    lambda value: json.dumps(value).encode()
)


@fuzz
@given(ink_bytes, st.data())
@example(b'{"strokes": [[[1' + b"0" * 400 + b", 2]]]}", None)  # a 400-digit integer
@example(b'{"strokes": [[[1' + b"0" * 5000 + b", 2]]]}", None)  # beyond int parsing's limit
@example(b"[" * 100_000, None)  # deeper than the parser's recursion
@example(b'{"strokes": [[[1, 2]]], "width": 1e999}', None)
def test_load_ink_takes_any_bytes(tmp_path, raw, data):
    if data is not None and raw:
        # Also a damaged copy: a few bytes overwritten.
        for _ in range(data.draw(st.integers(0, 3))):
            raw = bytearray(raw)
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
            raw = bytes(raw)
    path = tmp_path / "fuzz.json"
    path.write_bytes(raw)
    try:
        ink = load_ink(path)
    except InkError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(ink, Ink)
    check_inputs(ink_inputs(ink))


# --- Images ---------------------------------------------------------------------


def seed_files():
    """A small digit saved in every format and a few modes digitpad reads."""
    picture = Image.new("L", (40, 32), 255)
    ImageDraw.Draw(picture).line([(12, 4), (26, 4), (16, 28)], fill=0, width=4)
    cases = [
        ("PNG", picture),
        ("PNG", picture.convert("RGBA")),
        ("PNG", picture.convert("1")),
        ("PNG", picture.convert("P")),
        ("PNG", Image.fromarray(np.asarray(picture).astype(np.uint16) * 257)),
        ("JPEG", picture.convert("RGB")),
        ("JPEG", picture.convert("CMYK")),
        ("GIF", picture),
        ("BMP", picture),
        ("TIFF", picture.convert("CMYK")),
        ("TIFF", picture),
        ("WEBP", picture.convert("RGB")),
    ]
    files = []
    for fmt, image in cases:
        buffer = io.BytesIO()
        image.save(buffer, fmt)
        files.append(buffer.getvalue())
    return files


SEEDS = seed_files()


@st.composite
def damaged_images(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        position = draw(st.integers(0, len(raw) - 1))
        raw[position] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return bytes(raw)


def read_image(raw: bytes):
    try:
        # Pillow's warnings about damaged files must not reach the user's terminal.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with load_image(io.BytesIO(raw)) as image:
                inputs = image_inputs(image)
                single = image_to_input(image)
    except ImageReadError as error:
        assert str(error) and "\n" not in str(error)
        return None
    check_inputs(inputs)
    assert single is None or (single.shape == (FIELD, FIELD) and np.isfinite(single).all())
    return inputs


def test_the_seed_images_are_read():
    for raw in SEEDS:
        assert len(read_image(raw)) == 1


@settings(max_examples=400, deadline=None)
@given(damaged_images())
def test_image_reader_takes_damaged_files(raw):
    read_image(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_image_reader_takes_any_bytes(raw):
    read_image(raw)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "F", "I;16", "YCbCr"]),
    st.integers(1, 60),
    st.integers(1, 60),
    st.integers(0, 2**32 - 1),
)
def test_any_picture_in_any_mode_gives_valid_inputs(mode, width, height, seed):
    rng = np.random.default_rng(seed)
    noise = Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8))
    image = noise.convert(mode) if mode not in ("I;16",) else noise.convert("I").convert(mode)
    check_inputs(image_inputs(image))
    x = image_to_input(image)
    assert x is None or (x.shape == (FIELD, FIELD) and np.isfinite(x).all())

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from digitpad.ink import Ink
from digitpad.preprocess import (
    BOX,
    FIELD,
    MAX_PIXELS,
    ImageReadError,
    image_to_input,
    ink_coverage,
    ink_to_input,
    load_image,
)
from digitpad.recognize import image_inputs

# MNIST's digits have their centre of mass at pixel index 14.0 (see preprocess._CENTRE).
CENTRE = FIELD / 2

# Canvas pixels to a thousandth, as ink files store them: an ink a hair wide
# (1e-69) would vanish when moved by whole pixels, which no test means.
coordinate = st.floats(-2000, 2000, allow_nan=False, allow_infinity=False).map(
    lambda v: round(v, 3)
)
point = st.tuples(coordinate, coordinate)
stroke = st.lists(point, min_size=1, max_size=40)
inks = st.lists(stroke, min_size=1, max_size=5).map(lambda strokes: Ink(strokes))


def centre_of_mass(x):
    total = x.sum()
    rows, cols = np.indices(x.shape)
    return (rows * x).sum() / total, (cols * x).sum() / total


def touched_extent(x):
    rows = np.flatnonzero(x.any(axis=1))
    cols = np.flatnonzero(x.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def check_model_input(x, box_pixels):
    assert x.shape == (FIELD, FIELD) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    # Centred by mass, unless that would push part of the box out of the
    # field (a long stroke and a distant dot): then the box sits at the edge.
    rows = np.flatnonzero(x.any(axis=1))
    cols = np.flatnonzero(x.any(axis=0))
    for centre, touched in zip(centre_of_mass(x), (rows, cols), strict=True):
        assert abs(centre - CENTRE) <= 1.0 or touched[0] == 0 or touched[-1] == FIELD - 1
    height, width = touched_extent(x)
    assert max(height, width) <= box_pixels


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inks)
@example(Ink([[(0.0, 0.0), (0.0, 1.0)], [(1.0, 0.0)]]))  # a stroke and a distant dot
def test_any_ink_gives_a_centred_input_inside_the_box(ink):
    x = ink_to_input(ink)
    if x is None:
        x0, y0, x1, y1 = ink.bounds()
        assert max(x1 - x0, y1 - y0) == 0  # only a dot (or nothing) means "no digit"
        return
    # The 20-pixel box sits at a sub-pixel position, so it may touch 21 rows.
    check_model_input(x, BOX + 1)
    # The box is filled along its larger side (up to anti-aliasing).
    assert max(touched_extent(x)) >= BOX - 1


@settings(max_examples=60, deadline=None)
@given(inks, st.floats(-500, 500), st.floats(-500, 500), st.floats(0.05, 20))
def test_translating_or_scaling_ink_changes_nothing(ink, dx, dy, factor):
    x = ink_to_input(ink)
    moved = ink_to_input(Ink([s * factor + (dx, dy) for s in ink.strokes]))
    if x is None:
        assert moved is None
        return
    # Pillow snaps lines to the 4x supersampling grid and the centring crop
    # moves in whole supersampled pixels, so edge pixels may change by a few
    # quarter-pixel coverages; the picture as a whole may not. A dense scribble
    # has more edge pixels than a digit, so its bound grows with its ink.
    change = np.abs(moved - x).sum()
    assert change < max(0.03 * x.size, 0.2 * x.sum())


def test_a_dense_scribble_scaled_changes_only_at_its_edges():
    # Found by hypothesis: every edge of a dense scribble snaps anew when scaled.
    ink = Ink(
        [
            [(1192, 0), (375, 0), (-1539, 1386), (0, 1014)]
            + [(0, 0), (-1798, 0), (1451, 755), (-1539, 915)],
            [(-1591, 1950), (727, 1996), (887, 0), (0, -1666)],
        ]
    )
    x = ink_to_input(ink)
    moved = ink_to_input(Ink([s * 1.5 for s in ink.strokes]))
    change = np.abs(moved - x)
    assert change.mean() > 0.03  # more than a digit's edges may change ...
    assert change.sum() < 0.2 * x.sum()  # ... but little for the amount of ink


def test_stroke_width_does_not_depend_on_drawing_size():
    t = np.linspace(0, 2 * np.pi, 60)
    circle = np.stack([np.cos(t), np.sin(t)], axis=1)
    small = ink_to_input(Ink([circle * 10]))
    large = ink_to_input(Ink([circle * 1000]))
    assert abs(small.sum() - large.sum()) < 0.5


def test_empty_ink_and_a_tap_are_no_digit():
    assert ink_to_input(Ink()) is None
    assert ink_to_input(Ink([[(5, 5)]])) is None
    assert ink_to_input(Ink([[(5, 5), (5, 5)]])) is None
    # A 2-pixel scribble on a 400-pixel canvas is a tap, not a digit.
    assert ink_to_input(Ink([[(100, 100), (101, 101)]], width=400, height=400)) is None


def test_a_vertical_line_is_a_thin_centred_one():
    x = ink_to_input(Ink([[(50, 10), (50, 200)]]))
    check_model_input(x, BOX + 1)
    height, width = touched_extent(x)
    assert height >= BOX - 1 and width <= 4


# --- images -----------------------------------------------------------------


def digit_picture(size=(120, 160), ink=0, paper=255, mode="L", width=12):
    image = Image.new(mode, size, paper)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line([(w * 0.3, h * 0.2), (w * 0.7, h * 0.2), (w * 0.4, h * 0.85)], fill=ink, width=width)
    return image


def reference():
    return image_to_input(digit_picture(ink=255, paper=0))


@pytest.mark.parametrize(
    "make",
    [
        lambda: digit_picture(),  # dark on light
        lambda: digit_picture(ink=255, paper=0),  # light on dark
        lambda: digit_picture().convert("1"),
        lambda: digit_picture().convert("RGB"),
        lambda: digit_picture().convert("CMYK"),
        lambda: digit_picture().convert("P"),
        lambda: digit_picture(ink=(20, 40, 200), paper=(250, 250, 240), mode="RGB"),
        lambda: Image.fromarray(
            (np.asarray(digit_picture(), dtype=np.uint16) * 257).astype(np.uint16)
        ),  # 16-bit grey
        lambda: digit_picture(ink=(0, 0, 0, 255), paper=(0, 0, 0, 0), mode="RGBA"),
        lambda: digit_picture(ink=(255, 255, 255, 255), paper=(0, 0, 0, 0), mode="RGBA"),
        lambda: digit_picture(ink=(0, 0, 0, 255), paper=(255, 255, 255, 255), mode="RGBA"),
    ],
    ids=[
        "L",
        "L-inverted",
        "1-bit",
        "RGB",
        "CMYK",
        "P",
        "colour",
        "I;16",
        "RGBA-black-on-clear",
        "RGBA-white-on-clear",
        "RGBA-opaque",
    ],
)
def test_any_image_mode_gives_the_same_input(make):
    x = image_to_input(make())
    check_model_input(x, BOX)
    assert np.abs(x - reference()).mean() < 0.03


def test_palette_image_with_transparency(tmp_path):
    image = digit_picture(ink=1, paper=0, mode="P")
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    path = tmp_path / "p.png"
    image.save(path, transparency=0)
    x = image_to_input(load_image(path))
    check_model_input(x, BOX)
    assert np.abs(x - reference()).mean() < 0.03


def test_exif_orientation_is_honoured(tmp_path):
    upright = digit_picture()
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a camera would store it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "photo.jpg"
    stored.convert("RGB").save(path, exif=exif, quality=95)
    x = image_to_input(load_image(path))
    assert np.abs(x - reference()).mean() < 0.04


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"])
def test_image_formats(tmp_path, fmt):
    path = tmp_path / f"digit.{fmt.lower()}"
    digit_picture().save(path, format=fmt)
    x = image_to_input(load_image(path))
    assert np.abs(x - reference()).mean() < 0.04


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (50, 50), 255),
        Image.new("L", (50, 50), 0),
        Image.new("RGBA", (50, 50), (0, 0, 0, 0)),
        Image.new("1", (1, 1), 1),
        Image.fromarray(np.random.default_rng(1).integers(250, 256, (40, 40), dtype=np.uint8)),
    ],
    ids=["white", "black", "clear", "1x1", "faint-noise"],
)
def test_blank_images_are_no_digit(image):
    assert image_to_input(image) is None


def test_mnist_digits_pass_through_almost_unchanged(mnist_sample):
    """A digit already made the MNIST way comes out as it went in, either polarity."""
    images, _ = mnist_sample
    differences = []
    for i, raw in enumerate(images[:200]):
        x = image_to_input(255 - raw if i % 2 else raw)
        check_model_input(x, BOX)
        differences.append(np.abs(x - raw / 255).max())
    differences = np.array(differences)
    # Up to one grey level: a digit whose brightest pixel is 254 is stretched to 255.
    assert np.mean(differences <= 1 / 255 + 1e-6) > 0.97, np.sort(differences)[-10:]
    assert np.mean(differences) < 0.01


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 80),
    st.integers(1, 80),
    st.sampled_from(["L", "RGB", "RGBA", "1", "P", "I;16"]),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 1.0),
)
def test_any_image_gives_valid_input_or_no_digit(width, height, mode, seed, ink_share):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    pixels[rng.random((height, width)) > ink_share] = 255  # paper with some ink
    image = Image.fromarray(pixels, "RGBA")
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 250)
    elif mode != "RGBA":
        image = image.convert(mode)
    x = image_to_input(image)
    if x is not None:
        check_model_input(x, BOX)


def test_load_image_errors(tmp_path):
    (tmp_path / "text.png").write_text("hello, I am not a picture")
    truncated = io.BytesIO()
    digit_picture().save(truncated, format="PNG")
    (tmp_path / "cut.png").write_bytes(truncated.getvalue()[:200])
    (tmp_path / "empty.png").write_bytes(b"")
    for name, message in [
        ("text.png", "not an image"),
        ("cut.png", "cannot"),
        ("empty.png", "not an image"),
        ("missing.png", "no such file"),
    ]:
        with pytest.raises(ImageReadError, match=message):
            load_image(tmp_path / name)


def test_huge_images_are_refused_before_decoding(tmp_path):
    side = int(MAX_PIXELS**0.5) + 100
    path = tmp_path / "bomb.png"
    Image.new("1", (side, side), 0).save(path, optimize=True)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(ImageReadError, match="limit"):
        load_image(path)


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [digit_picture(), Image.new("L", (120, 160), 255)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    x = image_to_input(load_image(path))
    assert x is not None and np.abs(x - reference()).mean() < 0.04


def test_real_digits_are_centred_by_mass(pen_digits):
    for _, ink in pen_digits:
        x = ink_to_input(ink)
        cy, cx = centre_of_mass(x)
        assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5


def test_no_ink_is_lost_when_mass_and_box_disagree():
    stroke_and_dot = Ink([[(0.0, 0.0), (0.0, 10.0)], [(10.0, 0.0)]])
    x = ink_to_input(stroke_and_dot)
    cols = np.flatnonzero(x.any(axis=0))
    assert cols[-1] - cols[0] >= BOX - 1  # both the stroke and the dot are there


def test_a_large_photo_is_analysed_in_bounded_memory_with_boxes_in_its_pixels():
    import tracemalloc

    from digitpad.recognize import image_inputs

    photo = Image.new("RGB", (7000, 5000), "white")
    draw = ImageDraw.Draw(photo)
    draw.line([(1000, 1000), (1000, 4000)], fill="black", width=60)
    draw.line([(3000, 1000), (4500, 1000), (3400, 4000)], fill="black", width=60)
    tracemalloc.start()
    try:
        inputs = image_inputs(photo)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Analysed at full size, the float32 copies alone would take 140 MB each.
    assert peak < 80e6, peak / 1e6
    # Read by recognition: the candidates are each blob and the two together.
    spans = [(c.start, c.stop) for c in inputs.search.candidates]
    assert spans == [(0, 1), (0, 2), (1, 2)]
    boxes = [box for _, box in inputs][::2]
    assert boxes == [box for _, box in image_inputs(photo, by_recognition=False)]
    # Lines of width 60 with flat ends; the picture was analysed at a quarter of its size.
    np.testing.assert_allclose(boxes[0], (970, 1000, 1030, 4000), atol=8)
    np.testing.assert_allclose(boxes[1], (3000, 970, 4530, 4010), atol=16)
    for x, _ in inputs:
        check_model_input(x, BOX)


# --- photos -------------------------------------------------------------------


def lit_paper(size, paper, gradient, angle=0.0):
    """Grey levels of paper lit unevenly: ``gradient`` levels darkest to lightest corner."""
    width, height = size
    rows, cols = np.mgrid[0:height, 0:width]
    along = cols / max(width - 1, 1) * np.cos(angle) + rows / max(height - 1, 1) * np.sin(angle)
    along = (along - along.min()) / max(along.max() - along.min(), 1e-9)
    return paper + gradient * (along - 0.5)


def drawn_three(size, scale=0.7, width=10):
    """Coverage (0..1) of a 3 drawn with a pen in the middle of a picture, and its box."""
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    w, h = size
    span = h * scale
    x0, y0 = w / 2 - 0.2 * span, h / 2 - 0.4 * span
    draw.arc([x0, y0, x0 + 0.4 * span, y0 + 0.4 * span], 200, 90, fill=255, width=width)
    draw.arc(
        [x0, y0 + 0.4 * span, x0 + 0.4 * span, y0 + 0.8 * span], 270, 160, fill=255, width=width
    )
    coverage = np.asarray(image, dtype=np.float64) / 255
    rows = np.flatnonzero(coverage.any(axis=1))
    cols = np.flatnonzero(coverage.any(axis=0))
    return coverage, (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)


def photographed(grey, noise, quality, seed=0):
    """Grey levels with camera noise, saved and read back as a JPEG of ``quality``."""
    grey = grey + np.random.default_rng(seed).normal(0, noise, grey.shape)
    picture = Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8))
    data = io.BytesIO()
    picture.save(data, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(data.getvalue()))


@pytest.mark.parametrize("light_on_dark", [False, True], ids=["pen-on-paper", "chalk"])
@pytest.mark.parametrize("size", [(200, 200), (300, 200), (400, 300)])
def test_a_three_photographed_on_grey_is_one_three(recognizer, size, light_on_dark):
    # The darker side of the paper (the left) once became a "1": "13".
    coverage, box = drawn_three(size)
    paper = lit_paper(size, paper=160, gradient=20)
    grey = paper - (paper - 30) * coverage
    photo = photographed(255 - grey if light_on_dark else grey, noise=12, quality=85)
    prediction = recognizer.image(photo)
    assert prediction.number == "3"
    np.testing.assert_allclose(prediction.digits[0].box, box, atol=3)


@pytest.mark.parametrize(
    "gradient, noise, angle",
    [(100, 0, 0.0), (100, 0, 2.0), (80, 8, 0.7), (40, 16, 4.0)],
    ids=["clean-across", "clean-diagonal", "noisy", "noisier"],
)
def test_unevenly_lit_paper_without_ink_is_no_digit(gradient, noise, angle):
    paper = lit_paper((300, 240), paper=170, gradient=gradient, angle=angle)
    photo = photographed(paper, noise=noise, quality=85) if noise else paper.astype(np.uint8)
    assert image_inputs(photo) == []
    assert image_to_input(photo) is None


def test_a_clean_picture_gives_its_ink_exactly():
    """On clean paper the coverage is how far each pixel is from the paper towards the ink."""
    coverage, _ = drawn_three((480, 640), width=40)
    anti_aliased = Image.fromarray(np.rint(230 - 190 * coverage).astype(np.uint8)).reduce(4)
    grey = np.asarray(anti_aliased, dtype=np.float64)
    expected = (230 - grey) / (230 - grey.min())
    np.testing.assert_allclose(ink_coverage(anti_aliased), expected, atol=1e-6)


def test_light_falling_unevenly_on_clean_paper_is_taken_away():
    coverage, _ = drawn_three((240, 320), width=12)
    paper = lit_paper((240, 320), paper=200, gradient=60, angle=1.0)
    picture = Image.fromarray(np.rint(paper - (paper - 20) * coverage).astype(np.uint8))
    found = ink_coverage(picture)
    # Ink where it was drawn, with the contrast it has there (the strongest is 1) ...
    contrast = paper - 20
    expected = coverage * contrast / contrast[coverage == 1].max()
    assert np.abs(found - expected).max() < 0.02
    # ... and none where the light alone changes.
    assert not found[coverage == 0].any()

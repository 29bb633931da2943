import json
import re

import numpy as np
import pytest

from digitpad.ink import MAX_POINTS, Ink, InkError, load_ink, parse_ink, rasterize


def write(tmp_path, text, name="ink.json"):
    path = tmp_path / name
    path.write_text(text if isinstance(text, str) else json.dumps(text))
    return path


def test_json_round_trip_keeps_points_and_extra_values(tmp_path):
    ink = Ink([[[1, 2], [3.5, 4]], [[5, 6, 120, 0.5], [7, 8, 130, 0.75]]], width=400, height=300)
    path = tmp_path / "a.json"
    ink.save(path)
    again = load_ink(path)
    assert (again.width, again.height) == (400, 300)
    assert len(again.strokes) == 2
    np.testing.assert_allclose(again.strokes[0], [[1, 2], [3.5, 4]])
    np.testing.assert_allclose(again.strokes[1], [[5, 6, 120, 0.5], [7, 8, 130, 0.75]])


def test_width_and_height_are_optional():
    ink = parse_ink({"strokes": [[[0, 0], [10, 10]]]})
    assert ink.width is None and ink.height is None
    assert ink.bounds() == (0, 0, 10, 10)


def test_quick_draw_layout_is_read():
    ink = parse_ink({"word": "seven", "drawing": [[[0, 50, 60], [0, 0, 90], [0, 10, 20]]]})
    np.testing.assert_allclose(ink.strokes[0], [[0, 0, 0], [50, 0, 10], [60, 90, 20]])


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be an object"),
        ('{"lines": []}', "neither 'strokes' nor 'drawing'"),
        ('{"strokes": [[[1]]]}', "list of [x, y"),
        ('{"strokes": [[["a", "b"]]]}', "must be numbers"),
        ('{"strokes": [[[NaN, 1]]]}', "NaN"),
        ('{"strokes": [[[Infinity, 1]]]}', "Infinity"),
        ('{"strokes": [[[1e300, 1]]]}', "beyond"),
        ('{"strokes": [[[1, 2]]], "width": -3}', "positive"),
        ('{"drawing": [[[1, 2], [3]]]}', "different lengths"),
    ],
)
def test_bad_ink_gives_a_clear_error(tmp_path, text, message):
    with pytest.raises(InkError, match=re.escape(message)):
        load_ink(write(tmp_path, text))


def test_too_many_points_is_refused():
    stroke = [[i % 100, i // 100] for i in range(MAX_POINTS + 1)]
    with pytest.raises(InkError, match="limit"):
        parse_ink({"strokes": [stroke]})


def test_unknown_keys_are_ignored():
    ink = parse_ink({"strokes": [[[0, 0], [1, 1]]], "author": "x", "version": 3})
    assert ink.point_count == 2


def test_empty_ink():
    assert parse_ink({"strokes": []}).is_empty
    assert parse_ink({"strokes": [[]]}).is_empty
    assert Ink().bounds() is None


def test_rasterize_draws_a_line_of_the_given_width():
    image = rasterize([np.array([[5.0, 10.0], [25.0, 10.0]])], (30, 20), pen_width=4)
    assert image.shape == (20, 30) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    # The line covers rows 8..11 fully in its middle, nothing far away.
    assert image[8:12, 10:20].min() > 0.9
    assert image[:6].max() == 0 and image[14:].max() == 0
    # Ink area = length * width + a round cap of diameter 4 (pi * 2^2).
    assert image.sum() == pytest.approx(20 * 4 + np.pi * 4, rel=0.08)


def test_rasterize_anti_aliases_edges():
    image = rasterize([np.array([[2.0, 5.3], [18.0, 5.3]])], (20, 10), pen_width=2)
    values = np.unique(image)
    assert ((values > 0.05) & (values < 0.95)).any()


def test_rasterize_single_point_is_a_dot():
    image = rasterize([np.array([[10.0, 10.0]])], (20, 20), pen_width=6)
    assert image.sum() == pytest.approx(np.pi * 9, rel=0.15)
    assert image[10, 10] == 1.0


def test_rasterize_scale_and_offset():
    stroke = [np.array([[0.0, 0.0], [10.0, 0.0]])]
    image = rasterize(stroke, (40, 20), pen_width=2, scale=2.0, offset=(10.0, 10.0))
    cols = np.flatnonzero(image.max(axis=0) > 0.5)
    rows = np.flatnonzero(image.max(axis=1) > 0.5)
    assert cols.min() == 9 and cols.max() == 30
    assert rows.min() == 9 and rows.max() == 10


def test_rasterize_pressure_varies_width():
    light = np.array([[5.0, 10.0, 0, 0.1], [35.0, 10.0, 10, 0.1]])
    heavy = np.array([[5.0, 10.0, 0, 1.0], [35.0, 10.0, 10, 1.0]])
    a = rasterize([light], (40, 20), pen_width=4, pressure=True).sum()
    b = rasterize([heavy], (40, 20), pen_width=4, pressure=True).sum()
    assert b > 2 * a


def test_dense_points_draw_the_same_line_as_sparse_ones():
    t = np.linspace(0, np.pi, 400)
    dense = np.stack([20 + 15 * np.cos(t), 20 + 15 * np.sin(t)], axis=1)
    sparse = dense[::20]
    a = rasterize([dense], (40, 40), pen_width=3)
    b = rasterize([sparse], (40, 40), pen_width=3)
    assert np.abs(a - b).mean() < 0.01


def test_rasterize_as_bytes_is_the_same_picture():
    stroke = [np.array([[3.0, 4.0], [20.0, 15.0], [8.0, 17.0]])]
    coverage = rasterize(stroke, (24, 20), pen_width=3)
    raw = rasterize(stroke, (24, 20), pen_width=3, dtype=np.uint8)
    assert raw.dtype == np.uint8
    np.testing.assert_allclose(raw / 255, coverage, atol=1e-6)


def test_unreadable_ink_files_give_ink_errors(tmp_path):
    with pytest.raises(InkError, match="no such file"):
        load_ink(tmp_path / "missing.json")
    with pytest.raises(InkError, match="is a folder"):
        load_ink(tmp_path)
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InkError):
        load_ink(tmp_path / "binary.json")


def test_a_million_point_file_is_refused_in_bounded_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "million.json"
    path.write_text(
        '{"strokes": [[' + ",".join(f"[{i % 500},{i // 2000}]" for i in range(1_000_000)) + "]]}"
    )
    assert path.stat().st_size < MAX_POINTS * 64  # not refused for its size alone
    tracemalloc.start()
    try:
        with pytest.raises(InkError, match="limit is 200000 points"):
            load_ink(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Parsing stops at the budget: well under what a million parsed points take (~120 MB).
    assert peak < 80e6, peak / 1e6


def test_ink_at_the_point_limit_is_read_and_rendered():
    from digitpad.preprocess import ink_to_input

    t = np.linspace(0, 20 * np.pi, MAX_POINTS)
    spiral = np.stack([np.cos(t) * t, np.sin(t) * t], axis=1)
    path_ink = parse_ink({"strokes": [spiral.tolist()]})
    x = ink_to_input(path_ink)
    assert x.shape == (28, 28) and x.max() == pytest.approx(1.0)


def test_deep_nesting_is_refused_before_parsing_on_every_python():
    from digitpad.ink import MAX_NESTING, InkError, ink_from_json

    for text in ("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), "[" * 5000):
        with pytest.raises(InkError, match="nested too deeply"):
            ink_from_json(text)
        with pytest.raises(InkError, match="nested too deeply"):
            ink_from_json(text.encode())
    # Brackets inside strings are text, not nesting.
    note = '"' + "[" * 100 + '\\"{' * 100 + '"'
    ink = ink_from_json('{"note": ' + note + ', "strokes": [[[1, 2], [3, 4]]]}')
    assert len(ink.strokes) == 1


def test_a_png_saved_with_its_ink_is_read_as_that_ink(tmp_path, recognizer):
    from PIL import Image, PngImagePlugin

    from digitpad.ink import PNG_INK_KEY, picture_ink

    seven = Ink([[(10, 10), (90, 10), (40, 95)]])
    picture = Image.new("L", (100, 100), 255)  # blank: only the ink can give a digit
    info = PngImagePlugin.PngInfo()
    info.add_text(PNG_INK_KEY, json.dumps(seven.to_json()))
    picture.save(tmp_path / "seven.png", pnginfo=info)
    with Image.open(tmp_path / "seven.png") as image:
        np.testing.assert_array_equal(picture_ink(image).strokes[0][:, :2], seven.strokes[0])
    read = recognizer.file(tmp_path / "seven.png")
    assert read.number is not None
    np.testing.assert_array_equal(read.probabilities, recognizer.ink(seven).probabilities)

    # Any other text, or ink without strokes, leaves the picture to be read by its pixels.
    for text in ("not json", '{"strokes": []}', '{"strokes": "x"}'):
        info = PngImagePlugin.PngInfo()
        info.add_text(PNG_INK_KEY, text)
        picture.save(tmp_path / "other.png", pnginfo=info)
        with Image.open(tmp_path / "other.png") as image:
            assert picture_ink(image) is None, text
        assert recognizer.file(tmp_path / "other.png").number is None
    assert picture_ink(picture) is None

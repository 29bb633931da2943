"""The pad's widgets alone and wired in the window, driven with real Qt input events (offscreen).

Widget tests build one widget on a :class:`~digitpad.pad.Pad`; window tests
check the wiring (recognition, actions, files, settings). Neither reads
private fields.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import (  # noqa: E402
    QByteArray,
    QEvent,
    QMimeData,
    QPoint,
    QPointF,
    QSettings,
    Qt,
    QUrl,
)
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QContextMenuEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QInputDevice,
    QPalette,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink import Ink, load_ink, picture_ink, rasterize  # noqa: E402
from digitpad.pad import SURELY_ANOTHER, Pad  # noqa: E402
from digitpad.predictor import Predictor  # noqa: E402
from digitpad.profile import Profile, default_profile_dir  # noqa: E402
from digitpad.recognize import DigitPrediction, Prediction, Recognizer, image_inputs  # noqa: E402
from digitpad.ui.canvas import DEFAULT_HINT, DEFAULT_PEN_WIDTH, CanvasWidget  # noqa: E402
from digitpad.ui.driver import draw_with_mouse, fit_strokes  # noqa: E402
from digitpad.ui.prediction import PredictionPanel  # noqa: E402
from digitpad.ui.transfer import INK_MIME_TYPE  # noqa: E402
from digitpad.ui.window import PREDICT_INTERVAL_MS, MainWindow  # noqa: E402

#: Two pen digits of each class (indices into the conftest's pen_digits fixture).
SAMPLE_INDICES = [
    3,
    8,
    38,
    43,
    63,
    68,
    93,
    98,
    123,
    128,
    153,
    158,
    183,
    188,
    218,
    223,
    243,
    248,
    273,
    278,
]


@pytest.fixture(autouse=True)
def settings_dir(tmp_path):
    """Point every QSettings at a temporary folder, never the user's real settings."""
    folder = tmp_path / "settings"
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))
    return folder


#: The user's real profile, found before any test points XDG_DATA_HOME elsewhere.
REAL_PROFILE = default_profile_dir()


def _profile_state(folder: Path):
    return (
        sorted((str(p), p.stat().st_mtime_ns) for p in folder.rglob("*"))
        if folder.exists()
        else None
    )


@pytest.fixture(autouse=True)
def profile_dir(tmp_path, monkeypatch):
    """The default profile is a temporary folder; the user's real one is never touched."""
    before = _profile_state(REAL_PROFILE)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = default_profile_dir()
    assert folder != REAL_PROFILE and folder.is_relative_to(tmp_path)
    yield folder
    assert _profile_state(REAL_PROFILE) == before


@pytest.fixture(autouse=True)
def discard_on_close(monkeypatch):
    """Windows closed at the end of a test discard what they hold, never ask on a modal."""
    from digitpad.ui import transfer

    monkeypatch.setattr(transfer, "ask_save_changes", lambda *args: transfer.DISCARD)


class Messages(list):
    """Stands in for the message box: records (title, text)."""

    def __call__(self, parent, title, text):
        self.append((title, text))


class Answers(list):
    """Stands in for the yes/no question: records its title (its text in ``texts``) and
    gives the next answer; a question no answer was given for fails the test."""

    def __init__(self, *answers):
        super().__init__()
        self.answers = list(answers)
        self.texts = []

    def __call__(self, parent, title, text):
        self.append(title)
        self.texts.append(text)
        return self.answers.pop(0)


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(profile=tmp_path / "profile")
    qtbot.addWidget(win)
    win.show_message = Messages()
    win.ask_yes_no = Answers()
    win.resize(900, 620)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.session.profile_open, timeout=20_000)
    yield win
    win.session.wait()
    win.release_clipboard()  # as digitpad.ui.app.run does when the pad closes


@pytest.fixture
def canvas(qtbot):
    """A canvas alone, on its own pad."""
    widget = CanvasWidget(Pad())
    qtbot.addWidget(widget)
    widget.resize(600, 560)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def settle(qtbot, window):
    """Wait until the pictures being read or recognized in the background are done."""
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)


def sample_ink(pen_digits, index) -> Ink:
    return pen_digits[index][1]


def drop_file(qtbot, window, path):
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    settle(qtbot, window)


def draw_sample(widget, pen_digits, index, fill=0.7):
    """Draw a fixture digit with mouse events on a canvas (or a window's); return the strokes."""
    canvas = getattr(widget, "canvas", widget)
    strokes = fit_strokes(sample_ink(pen_digits, index), (canvas.width(), canvas.height()), fill)
    draw_with_mouse(canvas, strokes)
    return strokes


def line(x0, y0, x1, y1, steps=12):
    return np.rint(np.linspace((x0, y0), (x1, y1), steps)).astype(int)


def test_pen_digits_drawn_with_the_mouse_are_recognized(window, pen_digits):
    wrong = []
    for index in SAMPLE_INDICES:
        window.clear_action.trigger()
        draw_sample(window, pen_digits, index)
        label = pen_digits[index][0]
        prediction = window.panel.prediction
        bars = window.panel.bars
        assert prediction is not None and prediction.probabilities is not None
        assert bars.probabilities.sum() == pytest.approx(1.0, abs=1e-3)
        shown = [float(text.split()[1].rstrip("%")) for text in bars.labels()]
        assert sum(shown) == pytest.approx(100.0, abs=0.6)
        assert int(np.argmax(bars.probabilities)) == prediction.digit
        assert window.panel.digit_label.text() == str(prediction.digit)
        if prediction.digit != label:
            wrong.append((index, label, prediction.digit, round(prediction.confidence, 2)))
    assert not wrong, f"(fixture index, label, predicted, confidence): {wrong}"


def test_recorded_ink_is_the_strokes_drawn(canvas, pen_digits):
    strokes = draw_sample(canvas, pen_digits, 93)
    ink = canvas.pad.ink()
    assert (ink.width, ink.height) == (canvas.width(), canvas.height())
    assert len(ink.strokes) == len(strokes)
    for recorded, drawn in zip(ink.strokes, strokes, strict=True):
        np.testing.assert_array_equal(recorded[:, :2], drawn)
        assert recorded.shape[1] == 3  # x, y, t_ms: a mouse has no pressure
        assert np.all(np.diff(recorded[:, 2]) >= 0)


def test_canvas_picture_is_the_shared_rasterizer_output(canvas, pen_digits):
    draw_sample(canvas, pen_digits, 183)
    ink = canvas.ink()
    expected = rasterize(ink, **canvas.rasterize_args())
    np.testing.assert_array_equal(canvas.coverage(), expected)
    assert expected.sum() > 1000  # there is a digit to compare

    # And the pixels on screen are that coverage composited in the palette's colours.
    shot = canvas.grab().toImage().convertToFormat(canvas.grab().toImage().Format.Format_RGB888)
    height, width = expected.shape
    stride = shot.bytesPerLine()
    pixels = np.frombuffer(shot.constBits(), np.uint8, count=stride * shot.height())
    pixels = pixels.reshape(shot.height(), stride)[:, : shot.width() * 3]
    pixels = pixels.reshape(shot.height(), shot.width(), 3).astype(float)
    palette = canvas.palette()
    paper = np.array(palette.color(QPalette.ColorRole.Base).getRgb()[:3], float)
    ink_rgb = np.array(palette.color(QPalette.ColorRole.Text).getRgb()[:3], float)
    composite = paper * (1 - expected[..., None]) + ink_rgb * expected[..., None]
    inner = (slice(2, height - 2), slice(2, width - 2))  # the frame is not ink
    assert np.abs(pixels[inner] - composite[inner]).max() <= 2


def test_picture_while_drawing_follows_the_pen(canvas):
    points = line(100, 100, 300, 260, 40)
    QTest.mousePress(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[0])
    )
    for x, y in points[1:]:
        QTest.mouseMove(canvas, QPoint(int(x), int(y)))
        canvas.repaint()  # a paint between moves, as on screen
    assert canvas.is_drawing and canvas.pad.is_empty  # not part of the drawing before pen-up
    live = canvas.coverage()
    expected = rasterize(canvas.ink(), **canvas.rasterize_args())
    # Painted a patch per paint while drawing: every segment gets round joins, which the
    # whole-stroke rasterizer only draws at sharp bends, so the live picture may hold a
    # little more ink at gentle bends, never less.
    assert np.all(live >= expected - 1e-6)
    assert np.count_nonzero(live - expected > 0.02) < 0.1 * np.count_nonzero(expected)
    QTest.mouseRelease(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1])
    )
    np.testing.assert_array_equal(canvas.coverage(), expected)


def test_bars_update_while_drawing_before_pen_up(window, qtbot, pen_digits):
    assert PREDICT_INTERVAL_MS <= 50
    canvas = window.canvas
    (stroke,) = fit_strokes(sample_ink(pen_digits, 3), (canvas.width(), canvas.height()))
    QTest.mousePress(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QPoint(*map(int, stroke[0])),
    )
    for x, y in stroke[1 : len(stroke) * 3 // 4]:
        QTest.mouseMove(canvas, QPoint(int(x), int(y)))
    assert window.panel.prediction.digit is None  # nothing yet: the update is throttled
    qtbot.waitUntil(lambda: window.panel.prediction.digit is not None, timeout=1000)
    assert canvas.is_drawing
    QTest.mouseRelease(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QPoint(*map(int, stroke[-1])),
    )
    assert window.panel.prediction.digit == 0


def test_resizing_neither_loses_nor_stretches_the_ink(canvas, qtbot, pen_digits):
    draw_sample(canvas, pen_digits, 243)
    before = [s.copy() for s in canvas.ink().strokes]
    space = canvas.ink_space()
    for size in ((1000, 560), (500, 800), (400, 400)):
        canvas.resize(*size)
        qtbot.waitUntil(lambda size=size: (canvas.width(), canvas.height()) == size)
        QGuiApplication.processEvents()
        ink = canvas.ink()
        assert canvas.ink_space() == space
        for old, new in zip(before, ink.strokes, strict=True):
            np.testing.assert_array_equal(old, new)
        scale, dx, dy = canvas.view_transform()
        # Uniform scale, and the whole ink space stays in view.
        assert dx >= -1e-9 and dy >= -1e-9
        assert space[0] * scale <= canvas.width() + 1e-6
        assert space[1] * scale <= canvas.height() + 1e-6
        np.testing.assert_array_equal(canvas.coverage(), rasterize(ink, **canvas.rasterize_args()))


def test_undo_redo_and_clear_with_shortcuts(window, qtbot):
    canvas = window.canvas
    window.activateWindow()
    qtbot.waitActive(window)
    draw_with_mouse(canvas, [line(100, 100, 100, 300), line(60, 160, 200, 160)])
    first, second = (s.copy() for s in canvas.ink().strokes)
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    # Keys go where a person's keystrokes go: to the focus widget, which is the canvas.
    assert QApplication.focusWidget() is canvas

    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    assert len(canvas.ink().strokes) == 1
    np.testing.assert_array_equal(canvas.ink().strokes[0], first)
    assert window.redo_action.isEnabled()
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl | shift)
    assert len(canvas.ink().strokes) == 2
    np.testing.assert_array_equal(canvas.ink().strokes[1], second)
    np.testing.assert_array_equal(
        canvas.coverage(), rasterize(canvas.ink(), **canvas.rasterize_args())
    )

    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.ink().is_empty and canvas.coverage().max() == 0
    assert window.status_label.text().startswith("Draw a digit")
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)  # Clear can be undone too
    assert len(canvas.ink().strokes) == 2
    QTest.keyClick(canvas, Qt.Key.Key_Delete)  # nothing pointed at: the last stroke
    assert len(canvas.ink().strokes) == 1
    np.testing.assert_array_equal(canvas.ink().strokes[0], first)
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.ink().is_empty

    # A new stroke after Undo drops what could have been redone.
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    assert len(canvas.ink().strokes) == 1
    draw_with_mouse(canvas, [line(300, 100, 300, 300)])
    assert not window.pad.can_redo and not window.redo_action.isEnabled()
    assert len(canvas.ink().strokes) == 2


def test_strokes_drawn_are_undoable_steps_of_the_pad(canvas):
    pad = canvas.pad
    for i in range(pad.undo_depth + 20):
        draw_with_mouse(canvas, [line(50 + i % 200, 50, 60 + i % 200, 90, 3)])
    assert pad.undo_steps == pad.undo_depth
    assert len(pad.drawing.strokes) == pad.undo_depth + 20
    pad.undo()  # the canvas follows the pad
    assert len(canvas.ink().strokes) == pad.undo_depth + 19
    np.testing.assert_array_equal(
        canvas.coverage(), rasterize(canvas.ink(), **canvas.rasterize_args())
    )


def test_pen_pressure_varies_the_width(canvas):
    device = QPointingDevice(
        "test pen",
        1,
        QInputDevice.DeviceType.Stylus,
        QPointingDevice.PointerType.Pen,
        QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
        1,
        2,
    )

    def pen_stroke(points, pressure):
        for i, (x, y) in enumerate(points):
            kind = QEvent.Type.TabletPress if i == 0 else QEvent.Type.TabletMove
            send_tablet(kind, x, y, pressure)
        send_tablet(QEvent.Type.TabletRelease, *points[-1], 0.0)

    def send_tablet(kind, x, y, pressure):
        position = QPointF(x, y)
        buttons = (
            Qt.MouseButton.NoButton
            if kind == QEvent.Type.TabletRelease
            else (Qt.MouseButton.LeftButton)
        )
        event = QTabletEvent(
            kind,
            device,
            position,
            canvas.mapToGlobal(position),
            pressure,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            buttons,
        )
        QGuiApplication.sendEvent(canvas, event)
        assert event.isAccepted()

    pen_stroke(line(100, 100, 100, 400, 30), 1.0)
    pen_stroke(line(300, 100, 300, 400, 30), 0.15)
    heavy, light = canvas.ink().strokes
    assert heavy.shape[1] == light.shape[1] == 4
    assert heavy[:, 3] == pytest.approx(1.0) and light[:, 3] == pytest.approx(0.15)
    coverage = canvas.coverage()
    np.testing.assert_array_equal(coverage, rasterize(canvas.ink(), **canvas.rasterize_args()))
    middle = slice(200, 300)
    heavy_width = coverage[middle, 50:200].sum(axis=1).mean()
    light_width = coverage[middle, 250:400].sum(axis=1).mean()
    assert heavy_width > 2 * light_width


def test_touch_draws_a_stroke(canvas):
    device = QTest.createTouchDevice()
    points = line(150, 100, 150, 350, 10)
    QTest.touchEvent(canvas, device).press(0, QPoint(*points[0]), canvas).commit()
    for x, y in points[1:]:
        QTest.touchEvent(canvas, device).move(0, QPoint(int(x), int(y)), canvas).commit()
    QTest.touchEvent(canvas, device).release(0, QPoint(*points[-1]), canvas).commit()
    (stroke,) = canvas.ink().strokes
    np.testing.assert_allclose(stroke[:, :2], points)
    assert not canvas.is_drawing and len(canvas.pad.drawing.strokes) == 1


def test_brush_width_changes_new_strokes_only(window, tmp_path, pen_digits):
    canvas = window.canvas
    first_width = canvas.pen_width
    draw_sample(window, pen_digits, 63)
    before = canvas.coverage()
    read_before = window.pad.reading.probabilities
    window.width_box.setValue(30)
    assert canvas.pen_width == 30
    np.testing.assert_array_equal(canvas.coverage(), before)  # the strokes drawn stay as drawn
    window.read_again()  # what the model reads does not depend on the width
    np.testing.assert_array_equal(window.pad.reading.probabilities, read_before)

    draw_with_mouse(canvas, [line(40, 40, 40, 120)])  # a new stroke, at the new width
    *old, new = canvas.ink().strokes
    args = canvas.rasterize_args()
    unit = args["scale"]
    thin = rasterize(old, **{**args, "pen_width": first_width * unit})
    np.testing.assert_array_equal(canvas.coverage(), np.maximum(thin, rasterize([new], **args)))
    canvas.resize(canvas.width() - 40, canvas.height())  # rasterized again: still each its own
    args = canvas.rasterize_args()
    thin = rasterize(old, **{**args, "pen_width": first_width * args["scale"]})
    np.testing.assert_array_equal(canvas.coverage(), np.maximum(thin, rasterize([new], **args)))

    # Saved as shown, each stroke at its width.
    path = tmp_path / "widths.png"
    assert window.files.save_path(path)
    size = tuple(int(v) for v in window.pad.drawing.space)
    thin = rasterize(old, size, pen_width=first_width, pressure=True)
    wide = rasterize([new], size, pen_width=30, pressure=True)
    with Image.open(path) as image:
        saved = np.asarray(image)
    np.testing.assert_array_equal(saved, np.rint(255 - np.maximum(thin, wide) * 255))

    window.thinner_action.trigger()
    assert window.width_box.value() == 28


def write_digit_png(path, ink, dark_on_light=True):
    coverage = rasterize(ink, (500, 500), pen_width=22)
    pixels = 255 - coverage * 255 if dark_on_light else coverage * 255
    Image.fromarray(np.rint(pixels).astype(np.uint8)).save(path)


def test_open_image_shows_and_recognizes_it(window, qtbot, tmp_path, pen_digits):
    path = tmp_path / "four.png"
    write_digit_png(path, sample_ink(pen_digits, 123))
    window.ask_open_path = lambda parent, directory: str(path)
    window.open_action.trigger()
    settle(qtbot, window)
    assert window.canvas.has_image
    assert window.panel.prediction.digit == 4
    assert not window.show_message
    assert window.canvas.ink().is_empty
    # Drawing on the picture starts a new drawing; Undo twice brings the picture back.
    draw_with_mouse(window.canvas, [line(100, 100, 100, 300)])
    assert not window.canvas.has_image and len(window.canvas.ink().strokes) == 1
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert window.canvas.has_image and window.status_label.text() == "Reading the picture…"
    settle(qtbot, window)
    assert window.panel.prediction.digit == 4


def picture_of(pen_digits, index, tmp_path) -> Path:
    path = tmp_path / f"digit-{index}.png"
    write_digit_png(path, sample_ink(pen_digits, index))
    return path


def test_pictures_are_read_off_the_gui_thread_and_ink_on_it(window, qtbot, tmp_path, pen_digits):
    import threading

    threads = []

    class Recording:
        name, path, card = "recording", None, None
        has_features = has_picture_output = False

        def __init__(self, predictor):
            self.predictor = predictor

        def predict(self, batch):
            threads.append(threading.get_ident())
            return self.predictor.predict(batch)

    window.session.replace_recognizer(Recognizer(Recording(window.session.recognizer.predictor)))
    window.files.open_path(picture_of(pen_digits, 123, tmp_path))
    assert window.busy and not window.canvas.has_image  # nothing read on the GUI thread yet
    settle(qtbot, window)
    assert window.panel.prediction.digit == 4
    assert threads and threading.get_ident() not in threads
    threads.clear()
    draw_sample(window, pen_digits, 8)
    assert set(threads) == {threading.get_ident()}


def test_results_for_an_older_picture_or_drawing_are_dropped(window, qtbot, tmp_path, pen_digits):
    four, three = picture_of(pen_digits, 123, tmp_path), picture_of(pen_digits, 98, tmp_path)
    # A second picture opened before the first arrives: only the second is shown.
    window.files.open_path(four)
    window.files.open_path(three)
    settle(qtbot, window)
    assert window.panel.prediction.digit == 3
    assert window.pad.undo_steps == 1  # the first picture never became a step
    # A drawing made while a picture is read stays; the picture is dropped.
    window.files.open_path(four)
    window.pad.set_ink(sample_ink(pen_digits, 8))
    settle(qtbot, window)
    assert not window.canvas.has_image and window.panel.prediction.digit == 0
    # A picture replaced while it is recognized: its reading is not shown for the next.
    with Image.open(four) as first, Image.open(three) as second:
        window.pad.set_picture(first.copy(), first.convert("RGBA"))
        window.pad.set_picture(second.copy(), second.convert("RGBA"))
    settle(qtbot, window)
    assert window.panel.prediction.digit == 3
    window.undo_action.trigger()  # the first picture again: read again
    settle(qtbot, window)
    assert window.panel.prediction.digit == 4


@pytest.mark.parametrize(
    "qt_format, mode",
    [
        ("Format_ARGB32", "RGBA"),
        ("Format_ARGB32_Premultiplied", "RGBA"),
        ("Format_RGB32", "RGB"),
        ("Format_RGBA8888", "RGBA"),
        ("Format_RGB888", "RGB"),
        ("Format_Grayscale8", "L"),
    ],
)
def test_qimages_become_pillow_images_with_the_same_pixels(qt_format, mode):
    from PySide6.QtGui import QImage

    from digitpad.ui.transfer import pil_from_qimage, qimage_from_pil

    rgba = Image.fromarray(
        np.random.default_rng(0).integers(0, 256, (7, 5, 4), dtype=np.uint8), "RGBA"
    )
    rgba.putalpha(255)
    image = qimage_from_pil(rgba).convertToFormat(getattr(QImage.Format, qt_format))
    picture = pil_from_qimage(image)
    assert picture.mode == mode and picture.size == (5, 7)
    channels = {"RGBA": slice(0, 4), "RGB": slice(0, 3), "L": slice(0, 1)}[mode]
    for y in range(7):
        for x in range(5):
            expected = image.pixelColor(x, y).getRgb()[channels]
            got = picture.getpixel((x, y))
            assert (got if isinstance(got, tuple) else (got,)) == expected, (x, y)


def test_a_picture_opened_before_the_model_is_loaded_is_read_once_it_is(
    qtbot, tmp_path, pen_digits
):
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    window.files.open_path(picture_of(pen_digits, 123, tmp_path))
    settle(qtbot, window)
    assert window.canvas.has_image and window.panel.prediction.digit is None
    assert window.panel.prediction.input is not None  # the preview already shows the input
    assert window.status_label.text() == "Loading the model…"
    window.load_model()
    settle(qtbot, window)
    assert window.panel.prediction.digit == 4


def test_a_bad_file_shows_a_message_and_keeps_the_drawing(window, qtbot, tmp_path, pen_digits):
    draw_sample(window, pen_digits, 153)
    before = window.canvas.ink().to_json()
    bad_png = tmp_path / "broken.png"
    bad_png.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    bad_ink = tmp_path / "broken.json"
    bad_ink.write_text('{"strokes": [[[1, 2], [3]]]}')
    for path in (bad_png, bad_ink, tmp_path / "missing.png"):
        window.files.open_path(path)
        settle(qtbot, window)
        title, text = window.show_message[-1]
        assert title == "Cannot open file" and text.startswith(path.name + ": ")
        assert window.canvas.ink().to_json() == before
        assert not window.canvas.has_image
    assert len(window.show_message) == 3
    assert window.panel.prediction.digit == 5


def test_open_ink_json(window, tmp_path, pen_digits):
    ink = sample_ink(pen_digits, 218)
    path = tmp_path / "seven.json"
    ink.save(path)
    window.files.open_path(path)  # ink opens at once
    assert not window.show_message
    for shown, original in zip(window.canvas.ink().strokes, ink.strokes, strict=True):
        np.testing.assert_array_equal(shown, original)
    assert window.canvas.ink_space() == (500, 500)
    assert window.panel.prediction.digit == 7


def test_save_png_and_ink_json(window, tmp_path, pen_digits, recognizer):
    draw_sample(window, pen_digits, 273)
    png, ink_path = tmp_path / "nine.png", tmp_path / "nine.json"
    for path in (png, ink_path):
        window.ask_save_path = lambda parent, suggested, path=path: str(path)
        window.save_action.trigger()
    assert not window.show_message
    saved = load_ink(ink_path)
    for a, b in zip(saved.strokes, window.canvas.ink().strokes, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)
    with Image.open(png) as image:
        assert image.size == (window.canvas.width(), window.canvas.height())
    assert recognizer.file(png).digit == 9

    unwritable = tmp_path / "no-such-folder" / "x.png"
    assert window.files.save_path(unwritable) is False
    assert window.show_message[-1][0] == "Cannot save"


def test_a_saved_png_keeps_its_ink_and_reopens_as_ink(window, tmp_path, pen_digits, recognizer):
    draw_sample(window, pen_digits, 273)
    drawn = window.canvas.ink()
    png = tmp_path / "nine.png"
    assert window.files.save_path(png)
    with Image.open(png) as image:
        kept = picture_ink(image)
    for a, b in zip(kept.strokes, drawn.strokes, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)
    # Read as the ink it was drawn as, by digitpad predict and the pad alike.
    np.testing.assert_allclose(
        recognizer.file(png).probabilities, recognizer.ink(drawn).probabilities, atol=1e-6
    )
    window.clear_action.trigger()
    window.files.open_path(png)  # opens at once, as strokes to go on drawing with
    assert not window.canvas.has_image and not window.show_message
    for a, b in zip(window.canvas.ink().strokes, drawn.strokes, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)
    assert window.panel.prediction.digit == 9


def test_copy_and_paste(window, qtbot, tmp_path, pen_digits):
    draw_sample(window, pen_digits, 38)
    drawn = window.canvas.ink().to_json()
    QTest.keyClick(window.canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    data = QGuiApplication.clipboard().mimeData()
    assert data.hasImage() and data.hasFormat(INK_MIME_TYPE)
    assert data.hasText() and data.text() == window.pad.reading.number == "1"
    window.clear_action.trigger()
    window.paste_action.trigger()
    assert window.canvas.ink().to_json() == drawn

    # A picture from another program.
    path = tmp_path / "six.png"
    write_digit_png(path, sample_ink(pen_digits, 183))
    from PySide6.QtGui import QImage

    QGuiApplication.clipboard().setImage(QImage(str(path)))
    window.paste_action.trigger()
    settle(qtbot, window)
    assert window.canvas.has_image
    assert window.panel.prediction.digit == 6


def test_drop_a_file(window, qtbot, tmp_path, pen_digits):
    path = tmp_path / "three.png"
    write_digit_png(path, sample_ink(pen_digits, 98), dark_on_light=False)
    drop_file(qtbot, window, path)
    assert window.canvas.has_image
    assert window.panel.prediction.digit == 3


def test_settings_round_trip(qtbot, settings_dir):
    first = MainWindow()
    qtbot.addWidget(first)
    assert Path(first.settings.fileName()).is_relative_to(settings_dir)
    first.show()
    first.resize(777, 555)
    first.width_box.setValue(21)
    first.close()
    assert Path(first.settings.fileName()).exists()

    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (777, 555)
    assert second.canvas.pen_width == 21 and second.width_box.value() == 21


def test_garbled_settings_fall_back_to_defaults(qtbot):
    QSettings("digitpad", "digitpad").setValue("brush/width", "thick")
    QSettings("digitpad", "digitpad").setValue("window/geometry", "nonsense")
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.canvas.pen_width == DEFAULT_PEN_WIDTH


def test_status_line(window, pen_digits):
    assert window.status_label.text().startswith("Draw a digit")
    # The model line names the bundled model by its recipe, as its card gives it.
    predictor = Predictor()
    model_line = window.model_label.text()
    assert model_line.startswith(f"Model: {predictor.card['recipe']} recipe · ")
    assert model_line.endswith(f"{predictor.test_accuracy * 100:.2f}% on MNIST test")
    draw_sample(window, pen_digits, 8)
    assert window.status_label.text() == (
        f"Looks like a 0 ({window.panel.prediction.confidence * 100:.1f}%)."
    )

    class Unsure:
        name, path, card = "unsure", None, None
        has_features = has_picture_output = False

        def predict(self, batch):
            return np.array([[0.05] * 3 + [0.45] + [0.05] * 6 + [0.0]])[:, :10] / 0.95

    window.session.replace_recognizer(Recognizer(Unsure()))
    window.update_prediction()
    assert window.panel.prediction.digit == 3
    assert window.status_label.text().startswith("Not sure: maybe a 3")
    assert "not sure" in window.panel.confidence_label.text()


def test_tiny_scribble_is_not_a_digit(window):
    draw_with_mouse(window.canvas, [line(200, 200, 201, 201, 2)])
    assert window.panel.prediction.digit is None
    assert "larger" in window.status_label.text()


BAD_MODELS = sorted(p.name for p in (Path(__file__).parent / "bad-files").glob("*.tflite"))


@pytest.mark.parametrize("content", [None, *BAD_MODELS])
def test_missing_or_broken_model_still_opens(qtbot, tmp_path, content, pen_digits):
    """No model file, and each model file of tests/bad-files (corrupt, wrong shapes)."""
    path = tmp_path / "model.tflite"
    if content is not None:
        path.write_bytes((Path(__file__).parent / "bad-files" / content).read_bytes())
    window = MainWindow(model=str(path))
    qtbot.addWidget(window)
    window.show()
    assert window.session.recognizer is None
    assert not window.panel.message_label.isHidden()
    assert window.panel.bars.isHidden()
    assert str(path) in window.panel.message_label.text()
    assert window.model_label.text() == "No model"
    draw_sample(window, pen_digits, 3)
    assert window.panel.prediction.digit is None
    assert window.panel.prediction.input is not None  # the preview still shows the input
    assert window.status_label.text().startswith("No model: ")


def test_palette_follows_the_system(canvas, pen_digits):
    draw_sample(canvas, pen_digits, 8)
    dark = QPalette(canvas.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#101010"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#f0f0f0"))
    canvas.setPalette(dark)
    image = canvas.grab().toImage()
    coverage = canvas.coverage()
    y, x = np.argwhere(coverage == 1.0)[0]
    assert image.pixelColor(int(x), int(y)).name() == "#f0f0f0"
    y, x = np.argwhere(coverage == 0.0)[len(np.argwhere(coverage == 0.0)) // 2]
    assert image.pixelColor(int(x), int(y)).name() == "#101010"


def two_digits(first_box, second_box) -> Prediction:
    """A reading of two digits (1 and 7) with these boxes, as the recognizer gives."""
    digits = []
    for digit, box in ((1, first_box), (7, second_box)):
        probabilities = np.full(10, 0.01)
        probabilities[digit] = 0.91
        digits.append(DigitPrediction(digit, 0.91, probabilities, box, np.zeros((28, 28))))
    return Prediction.from_digits(digits)


def test_the_digits_of_a_reading_are_outlined(canvas, pen_digits):
    draw_sample(canvas, pen_digits, 8)
    plain = canvas.grab().toImage()
    canvas.pad.set_reading(two_digits((20, 20, 120, 160), (300, 20, 400, 160)))
    assert canvas.boxes() == [(20, 20, 120, 160), (300, 20, 400, 160)]
    boxed = canvas.grab().toImage()
    rect = canvas.box_rect((20, 20, 120, 160))
    left, middle = round(rect.left()), round(rect.center().y())
    assert boxed.pixelColor(left, middle) != plain.pixelColor(left, middle)
    assert boxed.pixelColor(left + 12, middle) == plain.pixelColor(left + 12, middle)
    # The ink, and so the prediction, is untouched.
    np.testing.assert_array_equal(
        canvas.coverage(), rasterize(canvas.ink(), **canvas.rasterize_args())
    )


def test_hovering_over_a_digit_of_a_number_selects_it(canvas):
    draw_with_mouse(canvas, [line(50, 50, 50, 200), line(300, 50, 300, 200)])
    canvas.pad.set_reading(two_digits((50, 50, 51, 200), (300, 50, 301, 200)))
    assert canvas.pad.shown_prediction().digit == 7
    scale, dx, dy = canvas.view_transform()
    QTest.mouseMove(canvas, QPoint(round(50 * scale + dx), round(120 * scale + dy)))
    assert canvas.pad.selected_digit == 0 and canvas.pad.shown_prediction().digit == 1


def test_the_box_of_the_digit_pointed_at_is_highlighted(canvas):
    draw_with_mouse(canvas, [line(50, 50, 50, 200), line(300, 50, 300, 200)])
    boxes = (50, 50, 51, 200), (300, 50, 301, 200)
    canvas.pad.set_reading(two_digits(*boxes))
    none_pointed = canvas.grab().toImage()
    scale, dx, dy = canvas.view_transform()
    # Qt drops a move to where the pointer already is (another test may have left it there).
    QTest.mouseMove(canvas, QPoint(5, 5))
    QTest.mouseMove(canvas, QPoint(round(50 * scale + dx), round(110 * scale + dy)))
    assert canvas.pad.selected_digit == 0
    pointed = canvas.grab().toImage()
    for index, box in enumerate(boxes):
        rect = canvas.box_rect(box)
        # Inside the box, clear of the ink and the outline: filled only where pointed at.
        inside = (round(rect.left() + 4), round(rect.top() + 4))
        edge = (round(rect.left() + 1), round(rect.center().y()))  # the thicker outline
        assert (pointed.pixelColor(*inside) != none_pointed.pixelColor(*inside)) == (index == 0)
        assert (pointed.pixelColor(*edge) != none_pointed.pixelColor(*edge)) == (index == 0)


def test_a_picture_is_shown_and_drawing_on_it_starts_a_new_drawing(canvas):
    shown = Image.new("RGBA", (100, 50), (255, 0, 0, 255))
    canvas.pad.set_picture(shown.convert("L"), shown)
    assert canvas.has_image and not canvas.is_empty
    image = canvas.grab().toImage()
    assert image.pixelColor(canvas.width() // 2, canvas.height() // 2).name() == "#ff0000"
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(canvas, left, none, QPoint(100, 100))
    assert not canvas.has_image and canvas.is_drawing  # the picture goes at pen-down
    QTest.mouseMove(canvas, QPoint(100, 300))
    QTest.mouseRelease(canvas, left, none, QPoint(100, 300))
    assert len(canvas.pad.drawing.strokes) == 1
    assert canvas.pad.drawing.space == (canvas.width(), canvas.height())
    canvas.pad.undo()
    canvas.pad.undo()
    assert canvas.has_image


def test_panel_shows_a_given_prediction(qtbot):
    panel = PredictionPanel()
    qtbot.addWidget(panel)
    probabilities = np.zeros(10)
    probabilities[[2, 5]] = 0.3, 0.7
    panel.show_prediction(Prediction.from_probabilities(probabilities, np.zeros((28, 28))))
    assert panel.digit_label.text() == "5"
    assert panel.bars.labels()[5] == "5  70.0%"
    panel.show_prediction(Prediction.from_probabilities(probabilities, None), "75", 1)
    assert panel.digit_label.text() == "75"
    assert "digit 2 of 2: 5" in panel.confidence_label.text()
    panel.show_prediction(None)
    assert panel.digit_label.text() == "–" and panel.bars.probabilities is None


def test_clipboard_ink_that_is_broken_is_ignored(window):
    data = QMimeData()
    data.setData(INK_MIME_TYPE, QByteArray(b"{nope"))
    QGuiApplication.clipboard().setMimeData(data)
    window.paste_action.trigger()
    assert window.canvas.is_empty and not window.busy
    QGuiApplication.clipboard().clear()  # our own QMimeData: see release_clipboard()


COPY_THEN_EXIT = """
from PySide6.QtWidgets import QApplication
from digitpad.ink import Ink
from digitpad.ui.window import MainWindow

app = QApplication([])
window = MainWindow()
window.pad.set_ink(Ink([[(10, 10), (100, 200)]]))
window.copy_action.trigger()
assert QApplication.clipboard().mimeData().hasImage()
window.release_clipboard()  # as digitpad.ui.app.run does before it returns
print("copied")
"""


def test_quitting_after_copy_exits_cleanly():
    """The pad's way out after Copy ends the process normally (no crash at interpreter exit)."""
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, "-c", COPY_THEN_EXIT],
        cwd=Path(__file__).parents[1],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:  # timed out or the test failed: never leave it running
            child.kill()
            child.communicate()
    assert child.returncode == 0 and out.strip() == "copied", err[-500:]


def number_ink(pen_digits, labels, gap=0.4) -> Ink:
    """Fixture digits by one writer, side by side with a gap (``gap`` of the height of the
    digit before it), as one ink."""
    parts, x = [], 0.0
    for label in labels:
        ink = sample_ink(pen_digits, label * 30 + 5)
        x0, y0, x1, y1 = ink.bounds()
        parts += [s[:, :2] - (x0 - x, y0) for s in ink.strokes]
        x += (x1 - x0) + gap * (y1 - y0)
    return Ink(parts)


def test_a_number_shows_big_with_boxes_and_hover_selects_a_digit(window, pen_digits):
    canvas = window.canvas
    ink = number_ink(pen_digits, (2, 0, 7))
    draw_with_mouse(canvas, fit_strokes(ink, (canvas.width(), canvas.height()), 0.8))

    assert window.pad.reading.number == "207"
    assert window.panel.digit_label.text() == "207"
    assert len(canvas.boxes()) == 3
    boxes = [d.box for d in window.pad.reading.digits]
    assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    # By default the bars show the last digit written.
    assert window.panel.prediction.digit == 7
    assert window.panel.bars.probabilities.argmax() == 7
    assert window.status_label.text().startswith("Looks like 207")

    # Hovering over the first digit shows its bars.
    scale, dx, dy = canvas.view_transform()
    x0, y0, x1, y1 = boxes[0]
    centre = QPoint(int((x0 + x1) / 2 * scale + dx), int((y0 + y1) / 2 * scale + dy))
    QTest.mouseMove(canvas, centre)
    assert window.pad.selected_digit == 0
    assert window.panel.prediction.digit == 2
    assert window.panel.bars.probabilities.argmax() == 2
    assert "digit 1 of 3" in window.panel.confidence_label.text()

    # One digit again: no boxes, the single-digit panel.
    window.clear_action.trigger()
    draw_sample(window, pen_digits, 8)
    assert canvas.boxes() == [] and window.panel.digit_label.text() == "0"


def write_number_png(path, ink, size=(900, 360)):
    """A picture of ``ink``, dark on light, spanning 80% of ``size`` (a plain PNG: no ink kept)."""
    x0, y0, x1, y1 = ink.bounds()
    width, height = size
    scale = 0.8 * min(width / (x1 - x0), height / (y1 - y0))
    offset = (width / 2 - (x0 + x1) / 2 * scale, height / 2 - (y0 + y1) / 2 * scale)
    coverage = rasterize(ink, size, pen_width=20, scale=scale, offset=offset)
    Image.fromarray(np.rint(255 - coverage * 255).astype(np.uint8)).save(path)


def screen_pixels(widget) -> np.ndarray:
    """What the widget shows: (height, width, 3) uint8 RGB."""
    shot = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    stride = shot.bytesPerLine()
    pixels = np.frombuffer(shot.constBits(), np.uint8, count=stride * shot.height())
    pixels = pixels.reshape(shot.height(), stride)[:, : shot.width() * 3]
    return pixels.reshape(shot.height(), shot.width(), 3).copy()  # outlives the QImage


def dark_blobs(pixels, darker_than=80) -> list[tuple[float, float, float, float]]:
    """The bounds ``(x0, y0, x1, y1)`` (pixel edges) of each run of columns that holds
    near-black pixels, left to right: where the digits of a picture are on screen (the
    highlight colour of the boxes is not near-black)."""
    dark = pixels.max(axis=2) < darker_than
    columns = np.flatnonzero(dark.any(axis=0))
    blobs = []
    for run in np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1):
        rows = np.flatnonzero(dark[:, run[0] : run[-1] + 1].any(axis=1))
        blobs.append((run[0], rows[0], run[-1] + 1, rows[-1] + 1))
    return blobs


def point_at(qtbot, canvas, point: QPoint):
    # Qt drops a move to where the pointer already is (another step may have left it there).
    QTest.mouseMove(canvas, QPoint(2, 2))
    QTest.mouseMove(canvas, point)


def test_a_picture_of_a_number_is_outlined_and_pointed_at_as_ink_is(
    window, qtbot, tmp_path, pen_digits
):
    path = tmp_path / "number.png"
    # This writer's 0 is small: a wider gap keeps it apart from the 7 in a picture, where
    # digits are split by the gaps between them rather than by strokes.
    write_number_png(path, number_ink(pen_digits, (2, 0, 7), gap=0.6))
    window.files.open_path(path)
    settle(qtbot, window)
    canvas, pad = window.canvas, window.pad
    assert canvas.has_image and pad.reading.number == "207"
    digits = pad.reading.digits
    sizes = []
    for size in ((900, 620), (640, 900)):
        window.resize(*size)
        qtbot.waitUntil(lambda size=size: window.width() == size[0])
        QApplication.processEvents()  # the layout gives the canvas its new size
        sizes.append((canvas.width(), canvas.height()))
        # Three boxes, each around a digit where the picture shows it.
        rects = [canvas.box_rect(box) for box in canvas.boxes()]
        blobs = dark_blobs(screen_pixels(canvas))
        assert len(rects) == 3 and len(blobs) == 3, (rects, blobs)
        for rect, (x0, y0, x1, y1) in zip(rects, blobs, strict=True):
            centre = rect.center()
            assert abs(centre.x() - (x0 + x1) / 2) <= 2 and abs(centre.y() - (y0 + y1) / 2) <= 2
            # Around the ink, and not much more than it (3 px of room on each side).
            assert rect.left() < x0 and rect.right() > x1 and rect.top() < y0
            assert rect.bottom() > y1 and rect.width() - (x1 - x0) < 12
        # Pointing at a digit shows its bars and highlights its box.
        for index, rect in enumerate(rects):
            point_at(qtbot, canvas, rect.center().toPoint())
            assert pad.selected_digit == index
            assert window.panel.prediction.digit == digits[index].digit
            assert window.panel.bars.probabilities.argmax() == digits[index].digit
            assert f"digit {index + 1} of 3" in window.panel.confidence_label.text()
            edge = screen_pixels(canvas)[round(rect.center().y()), round(rect.left() + 1)]
            point_at(qtbot, canvas, rects[(index + 1) % 3].center().toPoint())
            other = screen_pixels(canvas)[round(rect.center().y()), round(rect.left() + 1)]
            assert (edge != other).any()  # the thicker outline of the box pointed at
    assert sizes[0][0] != sizes[1][0] and sizes[0][1] != sizes[1][1]

    # A digit key corrects the digit pointed at: the 2 is learned as a 5.
    focus_canvas(qtbot, window)
    point_at(qtbot, canvas, canvas.box_rect(canvas.boxes()[0]).center().toPoint())
    QTest.keyClick(canvas, Qt.Key.Key_5)
    settle(qtbot, window)
    (example,) = Profile(tmp_path / "profile").examples()
    assert example.digit == 5 and example.file.suffix == ".png"
    with Image.open(example.file) as image:
        learned = np.asarray(image, dtype=np.float32) / 255
    distances = [np.abs(learned - d.input).sum() for d in digits]
    assert np.argmin(distances) == 0, distances  # what the model saw of the 2
    assert pad.reading.number == "507"
    window.undo_action.trigger()
    settle(qtbot, window)
    assert pad.reading.number == "207" and not Profile(tmp_path / "profile").examples()


def test_the_boxes_of_a_picture_shown_smaller_are_in_the_pixels_of_the_picture(canvas, qtbot):
    # A picture 800 x 400 with two black bars, shown through a copy a quarter its size.
    picture = Image.new("L", (800, 400), 255)
    boxes = [(100, 80, 180, 320), (520, 40, 700, 360)]
    for box in boxes:
        picture.paste(0, box)
    canvas.pad.set_picture(picture, picture.resize((200, 100)).convert("RGBA"))
    canvas.pad.set_reading(two_digits(*boxes))
    for size in ((600, 560), (420, 700)):
        canvas.resize(*size)
        qtbot.waitUntil(lambda size=size: canvas.width() == size[0])
        rects = [canvas.box_rect(box) for box in canvas.boxes()]
        blobs = dark_blobs(screen_pixels(canvas))
        assert len(blobs) == 2
        for rect, (x0, y0, x1, y1) in zip(rects, blobs, strict=True):
            # The bars' edges on screen are where the boxes' edges map (plus 3 px of room).
            inner = rect.adjusted(3, 3, -3, -3).getCoords()
            for drawn, shown in zip(inner, (x0, y0, x1, y1), strict=True):
                assert abs(drawn - shown) <= 1.5, (rect, (x0, y0, x1, y1))
        for index, rect in enumerate(rects):
            point_at(qtbot, canvas, rect.center().toPoint())
            assert canvas.pad.selected_digit == index
            assert canvas.pad.shown_prediction().digit == (1, 7)[index]


BAD_FILES = Path(__file__).resolve().parent / "bad-files"


@pytest.mark.parametrize("how", ["open", "drop"])
def test_every_file_of_bad_files_shows_a_message_or_its_answer(window, qtbot, pen_digits, how):
    """tests/bad-files/expected.json: errors keep the drawing; readable files are shown."""
    import json

    expected = json.loads((BAD_FILES / "expected.json").read_text())
    for name, outcome in expected.items():
        if name.endswith(".tflite"):
            continue
        window.clear_action.trigger()
        draw_sample(window, pen_digits, 153)
        before = window.canvas.ink().to_json()
        shown = len(window.show_message)
        if how == "open":
            window.files.open_path(BAD_FILES / name)
            settle(qtbot, window)
        else:
            drop_file(qtbot, window, BAD_FILES / name)
        if "error" in outcome or outcome.get("pad") == "error":
            assert len(window.show_message) == shown + 1, name
            title, text = window.show_message[-1]
            assert title == "Cannot open file" and text.startswith(name + ": "), text
            assert "\n" not in text
            assert window.canvas.ink().to_json() == before, name
            assert not window.canvas.has_image
            assert window.panel.prediction.digit == 5
        else:
            assert len(window.show_message) == shown, (name, window.show_message[-1:])
            if "digit" in outcome:
                assert window.panel.prediction.digit == outcome["digit"], name


# -- learning the person's handwriting ----------------------------------------------------


def digits_in(folder: Path) -> list[int]:
    return sorted(e.digit for e in Profile(folder).examples())


def focus_canvas(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()


def test_the_window_uses_the_default_profile_in_its_folder(qtbot, profile_dir):
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.session.profile.folder == profile_dir  # the temporary one: see profile_dir
    # Its result comes through the event loop, so the signal cannot come before the wait.
    with qtbot.waitSignal(window.profileOpened, timeout=20_000):
        pass
    assert window.session.profile_open
    assert window.session.recognizer.profile is window.session.profile


def test_a_digit_key_corrects_the_reading_and_undo_takes_it_back(
    window, qtbot, tmp_path, pen_digits
):
    focus_canvas(qtbot, window)
    strokes = draw_sample(window, pen_digits, 8)  # a 0
    assert window.panel.prediction.digit == 0
    assert "of your examples" not in window.status_label.text()

    QTest.keyClick(window.canvas, Qt.Key.Key_6)
    assert window.panel.prediction.digit == 6  # read again at once
    assert digits_in(tmp_path / "profile") == [6]
    assert window.status_label.text().endswith(" · 1 of your examples")

    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.panel.prediction.digit == 0 and digits_in(tmp_path / "profile") == []
    assert len(window.canvas.ink().strokes) == len(strokes)  # only the correction was undone
    assert "of your examples" not in window.status_label.text()

    QTest.keyClick(
        window.canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.panel.prediction.digit == 6 and digits_in(tmp_path / "profile") == [6]

    # The same drawing, written again, now reads as the person said.
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    draw_with_mouse(window.canvas, strokes)
    assert window.panel.prediction.digit == 6


def test_digit_keys_elsewhere_do_not_correct(window, qtbot, tmp_path, pen_digits):
    focus_canvas(qtbot, window)
    draw_sample(window, pen_digits, 8)
    window.width_box.setFocus()
    QTest.keyClick(window.width_box, Qt.Key.Key_6)
    assert digits_in(tmp_path / "profile") == [] and window.panel.prediction.digit == 0


def test_nothing_drawn_nothing_to_correct(window, qtbot, tmp_path):
    focus_canvas(qtbot, window)
    assert not window.actions["correct_3"].isEnabled()
    QTest.keyClick(window.canvas, Qt.Key.Key_3)
    assert digits_in(tmp_path / "profile") == [] and not window.pad.can_undo


def test_right_click_on_a_digit_of_a_number_offers_its_correction(
    window, qtbot, tmp_path, pen_digits
):
    canvas = window.canvas
    one, seven = sample_ink(pen_digits, 38), sample_ink(pen_digits, 218)
    left = fit_strokes(one, (canvas.width() // 2, canvas.height()), 0.6)
    right = [
        s + [canvas.width() // 2, 0]
        for s in fit_strokes(seven, (canvas.width() // 2, canvas.height()), 0.6)
    ]
    draw_with_mouse(canvas, [*left, *right])
    assert window.pad.reading.number == "17"
    assert window.pad.shown_index() == 1  # the last digit, until another is pointed at

    x0, y0, x1, y1 = canvas.box_rect(window.pad.digit_boxes()[0]).getCoords()
    point = QPoint(round((x0 + x1) / 2), round((y0 + y1) / 2))
    QTest.mouseClick(canvas, Qt.MouseButton.RightButton, pos=point)  # draws nothing
    # What the window system sends after a right-click (QTest's click goes to the widget alone).
    QApplication.sendEvent(
        canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, canvas.mapToGlobal(point))
    )
    menu = window.teaching.context_menu
    qtbot.waitUntil(lambda: menu.isVisible())
    actions = menu.actions()
    assert [a.text() for a in actions if a.isSeparator() and a.text()] == ["It's a …"]
    texts = [a.text() for a in actions if not a.isSeparator()]
    assert texts == [
        *[f"It's {'an' if d == 8 else 'a'} {d}" for d in range(10)],
        "&Your handwriting…",
    ]
    assert window.pad.shown_index() == 0  # the right-click pointed at the 1
    window.actions["correct_4"].trigger()
    menu.close()
    assert window.pad.reading.number == "47"
    assert digits_in(tmp_path / "profile") == [4]
    window.pad.undo()
    assert window.pad.reading.number == "17" and digits_in(tmp_path / "profile") == []


def test_a_picture_is_corrected_too(window, qtbot, tmp_path, pen_digits):
    window.files.open_path(picture_of(pen_digits, 8, tmp_path))  # a 0
    settle(qtbot, window)
    assert window.panel.prediction.digit == 0
    focus_canvas(qtbot, window)
    QTest.keyClick(window.canvas, Qt.Key.Key_6)
    settle(qtbot, window)
    assert window.panel.prediction.digit == 6
    (example,) = Profile(tmp_path / "profile").examples()
    assert example.digit == 6 and example.file.suffix == ".png"


def test_a_large_profile_is_opened_off_the_gui_thread(qtbot, tmp_path, pen_digits):
    import threading

    threads = []

    class Recording(Profile):
        def inputs(self):
            threads.append(threading.get_ident())
            return super().inputs()

    folder = tmp_path / "taught"
    learner = Recognizer(profile=folder)
    for index in (8, 38, 63):
        learner.learn(sample_ink(pen_digits, index), 6)
    window = MainWindow(profile=Recording(folder))
    qtbot.addWidget(window)
    assert window.session.recognizer.profile is None  # reads without it until it is open
    qtbot.waitUntil(lambda: window.session.profile_open, timeout=20_000)
    assert threads and threading.get_ident() not in threads
    assert window.pad.examples_in_use == 3


def test_the_handwriting_dialog_shows_deletes_and_forgets(window, qtbot, tmp_path, pen_digits):
    focus_canvas(qtbot, window)
    for index, key in ((8, Qt.Key.Key_6), (38, Qt.Key.Key_4), (63, Qt.Key.Key_6)):
        QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
        draw_sample(window, pen_digits, index)
        QTest.keyClick(window.canvas, key)
    assert digits_in(tmp_path / "profile") == [4, 6, 6]
    window.ask_yes_no = Answers(False, True)
    window.actions["handwriting"].trigger()
    dialog = window.teaching.handwriting_dialog
    assert dialog.isVisible() and dialog.thumbnail_count() == 3
    assert {d: v.count() for d, v in dialog.lists.items()} == {4: 1, 6: 2}

    dialog.lists[6].item(0).setSelected(True)
    assert dialog.delete_button.isEnabled()
    dialog.delete_button.click()
    assert dialog.thumbnail_count() == 2 and digits_in(tmp_path / "profile") == [4, 6]
    assert window.status_label.text().endswith(" · 2 of your examples")

    dialog.forget_all_button.click()  # answered No
    assert digits_in(tmp_path / "profile") == [4, 6]
    assert window.panel.prediction.digit == 6  # the last drawing, a 2, as corrected
    dialog.forget_all_button.click()  # answered Yes
    assert window.ask_yes_no == ["Forget all your examples?"] * 2
    assert dialog.thumbnail_count() == 0 and digits_in(tmp_path / "profile") == []
    assert "of your examples" not in window.status_label.text()
    assert window.panel.prediction.digit == pen_digits[63][0] == 2  # as the model alone reads it
    dialog.close()


def test_the_recognizer_is_used_under_one_lock_and_pictures_are_analysed_outside_it(
    window, qtbot, tmp_path, pen_digits, monkeypatch
):
    import threading

    import digitpad.session

    held = []

    def lock_is_held() -> bool:
        """Whether the recognizer's lock is held (by the caller: another thread cannot take it)."""
        free = []

        def probe():
            free.append(window.session.lock.acquire(blocking=False))
            if free[0]:
                window.session.lock.release()

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        return not free[0]

    class Checking:
        name, path, card = "checking", None, None
        has_features = has_picture_output = False

        def __init__(self, predictor):
            self.predictor = predictor

        def predict(self, batch):
            held.append(("model", lock_is_held()))
            return self.predictor.predict(batch)

    def analysed(picture, **options):
        held.append(("picture", lock_is_held()))
        return image_inputs(picture, **options)

    monkeypatch.setattr(digitpad.session, "image_inputs", analysed)
    window.session.replace_recognizer(Recognizer(Checking(window.session.recognizer.predictor)))
    window.files.open_path(picture_of(pen_digits, 123, tmp_path))
    settle(qtbot, window)
    draw_sample(window, pen_digits, 8)
    assert ("picture", False) in held and ("model", True) in held
    assert set(held) == {("picture", False), ("model", True)}


def test_a_model_loaded_again_opens_the_profile_again(window, qtbot, tmp_path, pen_digits):
    focus_canvas(qtbot, window)
    draw_sample(window, pen_digits, 8)  # a 0
    QTest.keyClick(window.canvas, Qt.Key.Key_6)
    first = window.session.profile
    window.load_model()
    assert not window.session.profile_open and window.session.recognizer.profile is None
    assert window.panel.prediction.digit == 0  # without the profile until it is open
    qtbot.waitUntil(lambda: window.session.profile_open, timeout=20_000)
    assert window.session.profile is not first and window.session.profile.folder == first.folder
    assert window.session.recognizer.profile is window.session.profile
    assert window.panel.prediction.digit == 6 and window.pad.examples_in_use == 1
    window.pad.undo()  # a correction made before still comes undone
    assert window.panel.prediction.digit == 0 and digits_in(tmp_path / "profile") == []


def test_the_guided_round_learns_each_digit_written(window, qtbot, tmp_path, pen_digits):
    focus_canvas(qtbot, window)
    window.actions["guided"].trigger()
    assert window.actions["guided"].isChecked()
    assert window.status_label.text() == "Write a 0 (1 of 3), then press Enter."
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)  # nothing written: nothing learned
    assert digits_in(tmp_path / "profile") == []
    for n in range(30):
        draw_sample(window, pen_digits, (n // 3) * 30 + n % 3)
        QTest.keyClick(window.canvas, Qt.Key.Key_Return)
        assert window.canvas.is_empty
    assert digits_in(tmp_path / "profile") == sorted(n // 3 for n in range(30))
    assert not window.actions["guided"].isChecked() and window.pad.guided_round is None
    assert window.statusBar().currentMessage() == "Done: the pad learned 30 of your digits."


def test_the_guided_round_stops_when_its_entry_is_chosen_again(window, qtbot):
    window.actions["guided"].trigger()
    assert window.canvas.hint == "Write a 0 (1 of 3)"
    window.actions["guided"].trigger()
    assert window.pad.guided_round is None and window.status_label.text().startswith("Draw")
    assert window.canvas.hint == DEFAULT_HINT


def test_the_empty_canvas_shows_its_hint_and_ink_hides_it(canvas):
    canvas.hint = "Write a 0 (1 of 3)"
    asked = canvas.grab().toImage()
    canvas.hint = DEFAULT_HINT
    assert canvas.grab().toImage() != asked
    plain = canvas.grab().toImage()
    canvas.hint = ""
    blank = canvas.grab().toImage()
    assert plain != blank
    draw_with_mouse(canvas, [line(100, 100, 100, 300)])
    drawn = canvas.grab().toImage()
    canvas.hint = "Write a 0 (1 of 3)"
    assert canvas.grab().toImage() == drawn  # only an empty canvas says it


def test_the_lesson_asks_before_keeping_a_digit_read_surely_as_another(
    window, qtbot, tmp_path, pen_digits, recognizer
):
    focus_canvas(qtbot, window)
    window.actions["guided"].trigger()
    assert window.canvas.hint == "Write a 0 (1 of 3)"
    sure_sevens = [
        i for i in range(210, 240) if recognizer.ink(sample_ink(pen_digits, i)).confidence > 0.99
    ]
    window.ask_yes_no = Answers(False, True)
    draw_sample(window, pen_digits, sure_sevens[0])
    reading = window.pad.reading
    assert reading.digit == 7 and reading.confidence >= SURELY_ANOTHER
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)  # answered No
    assert window.ask_yes_no.texts == ["That looks like a 7 — keep it as a 0?"]
    assert digits_in(tmp_path / "profile") == [] and window.canvas.is_empty
    assert window.canvas.hint == "Write a 0 (1 of 3)"
    assert window.status_label.text() == "Write a 0 (1 of 3), then press Enter."

    draw_sample(window, pen_digits, sure_sevens[0])
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)  # answered Yes
    assert digits_in(tmp_path / "profile") == [0] and window.canvas.is_empty
    assert window.canvas.hint == "Write a 0 (2 of 3)"

    draw_sample(window, pen_digits, 3)  # a 0: no question
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    assert window.ask_yes_no == ["Keep this example?"] * 2
    assert digits_in(tmp_path / "profile") == [0, 0]


def test_undo_in_the_lesson_takes_the_example_back(window, qtbot, tmp_path, pen_digits):
    focus_canvas(qtbot, window)
    window.actions["guided"].trigger()
    strokes = draw_sample(window, pen_digits, 3)  # a 0
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)
    assert digits_in(tmp_path / "profile") == [0] and window.canvas.hint == "Write a 0 (2 of 3)"

    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert digits_in(tmp_path / "profile") == []
    assert len(window.canvas.ink().strokes) == len(strokes)  # the drawing is back
    assert window.status_label.text() == "Write a 0 (1 of 3), then press Enter."
    assert window.pad.examples_in_use == 0
    QTest.keyClick(window.canvas, Qt.Key.Key_Return)  # the same step, again
    assert digits_in(tmp_path / "profile") == [0] and window.canvas.hint == "Write a 0 (2 of 3)"


def draw_slowly(qtbot, canvas, strokes, pause_ms=4):
    """Draw with mouse events, letting the event loop run between moves (live readings fire)."""
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for stroke in strokes:
        points = [QPoint(int(x), int(y)) for x, y in stroke]
        QTest.mousePress(canvas, left, none, points[0])
        for point in points[1:]:
            QTest.mouseMove(canvas, point)
            qtbot.wait(pause_ms)
        QTest.mouseRelease(canvas, left, none, points[-1])
        qtbot.wait(PREDICT_INTERVAL_MS * 2)


def test_a_number_drawn_slowly_is_recorded_where_the_pointer_went(window, qtbot, pen_digits):
    # Four fixture digits side by side, drawn slowly: the live readings of the
    # later digits change the panel's text while their strokes are drawn.
    parts, x = [], 0.0
    for label in (2, 0, 2, 6):
        ink = sample_ink(pen_digits, label * 30 + 5)
        x0, y0, x1, y1 = ink.bounds()
        parts += [s[:, :2] - (x0 - x, y0) for s in ink.strokes]
        x += (x1 - x0) + 0.4 * (y1 - y0)
    canvas = window.canvas
    strokes = fit_strokes(Ink(parts), (canvas.width(), canvas.height()), 0.8)
    geometry = canvas.geometry()
    draw_slowly(qtbot, canvas, strokes)

    assert canvas.geometry() == geometry
    scale, dx, dy = canvas.view_transform()
    recorded = canvas.ink().strokes
    assert len(recorded) == len(strokes)
    for pointer, ink_points in zip(strokes, recorded, strict=True):
        on_screen = ink_points[:, :2] * scale + (dx, dy)
        np.testing.assert_allclose(on_screen, pointer, atol=1e-6)
    assert window.pad.reading.number == "2026"


@pytest.mark.parametrize(
    "number", ["7", "2026", "31415926535897932384", "0" * 60 + " a very long reading text"]
)
def test_the_readings_text_never_moves_the_canvas(window, qtbot, number):
    canvas, panel = window.canvas, window.panel
    geometry, panel_geometry = canvas.geometry(), panel.geometry()
    digit = DigitPrediction.from_probabilities(np.eye(10, dtype=np.float32)[3], np.zeros((28, 28)))
    panel.show_prediction(digit, number=number, position=len(number) - 1)
    window.status_label.setText(f"Looks like {number} — {number}")
    QApplication.processEvents()
    qtbot.wait(10)
    assert canvas.geometry() == geometry
    assert panel.geometry() == panel_geometry


def test_a_stroke_keeps_the_view_it_began_with_when_the_canvas_is_resized(canvas, qtbot):
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    draw_with_mouse(canvas, [[(100, 100), (100, 300)]])
    begun_with = canvas.view_transform()
    pointer = [(200, 100), (220, 150), (240, 200), (260, 250), (280, 300)]
    QTest.mousePress(canvas, left, none, QPoint(*pointer[0]))
    QTest.mouseMove(canvas, QPoint(*pointer[1]))
    canvas.resize(450, 560)  # the layout changes in the middle of the stroke
    qtbot.waitUntil(lambda: canvas.width() == 450)
    for x, y in pointer[2:]:
        QTest.mouseMove(canvas, QPoint(x, y))
    assert canvas.view_transform() == begun_with
    QTest.mouseRelease(canvas, left, none, QPoint(*pointer[-1]))
    scale, dx, dy = begun_with
    stroke = canvas.ink().strokes[-1][:, :2]
    np.testing.assert_allclose(stroke * scale + (dx, dy), pointer)
    # After pen-up the view fits the new size, and shows what was drawn.
    assert canvas.view_transform() != begun_with
    np.testing.assert_array_equal(
        canvas.coverage(), rasterize(canvas.ink(), **canvas.rasterize_args())
    )


def test_copy_number_puts_only_the_reading_as_text(window, qtbot):
    assert not window.copy_number_action.isEnabled()
    draw_with_mouse(window.canvas, [[(100, 100), (100, 300)], [(300, 100), (300, 300)]])
    assert window.pad.reading.number == "11"
    assert window.copy_number_action.isEnabled()
    QTest.keyClick(
        window.canvas,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    data = QGuiApplication.clipboard().mimeData()
    assert data.text() == "11" and not data.hasImage() and not data.hasFormat(INK_MIME_TYPE)
    window.clear_action.trigger()
    assert not window.copy_number_action.isEnabled()


def test_ctrl_y_redoes(window):
    draw_with_mouse(window.canvas, [[(100, 100), (100, 300)]])
    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.pad.is_empty
    QTest.keyClick(window.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert not window.pad.is_empty


def test_other_readings_are_offered_and_a_click_makes_one_the_reading(window, pen_digits):
    # A 1 and a 7 written close: the reading offers others, e.g. "7" or "77".
    parts, x = [], 0.0
    for index in (38, 218):
        ink = sample_ink(pen_digits, index)
        x0, y0, x1, y1 = ink.bounds()
        parts += [s[:, :2] - (x0 - x, y0) for s in ink.strokes]
        x += (x1 - x0) + 0.05 * (y1 - y0)
    canvas = window.canvas
    draw_with_mouse(canvas, fit_strokes(Ink(parts), (canvas.width(), canvas.height()), 0.8))
    reading = window.pad.reading
    assert reading.number == "17" and reading.alternatives
    shown = [b.text() for b in window.panel.alternative_buttons if b.isVisible()]
    expected = [a.number for a in reading.alternatives if a.share >= 0.01][:3]
    assert shown == expected
    # Shown or not, a choice goes through the pad; clicking a button chooses it.
    window.panel.alternativeChosen.emit(0)
    chosen = reading.alternatives[0].number
    assert window.pad.reading.number == chosen
    assert "17" in [a.number for a in window.pad.reading.alternatives]
    assert window.panel.digit_label.full_text == chosen
    folder = window.session.profile.folder
    assert not folder.exists() or not [p for p in folder.rglob("*") if p.is_file()]


def test_the_alternatives_buttons_emit_their_index(qtbot):
    panel = PredictionPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_alternatives(["71", "11"])
    assert [b.isVisible() for b in panel.alternative_buttons] == [True, True, False]
    with qtbot.waitSignal(panel.alternativeChosen) as blocker:
        QTest.mouseClick(panel.alternative_buttons[1], Qt.MouseButton.LeftButton)
    assert blocker.args == [1]


class SaveChanges(list):
    """Stands in for the Save/Discard/Cancel question: records its title, gives the answer."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer

    def __call__(self, parent, title, text):
        self.append(title)
        return self.answer


@pytest.mark.parametrize("answer", ["cancel", "discard"])
def test_quitting_with_a_drawing_never_saved_asks_first(window, qtbot, answer):
    window.ask_save_changes = SaveChanges(answer)
    draw_with_mouse(window.canvas, [line(100, 100, 100, 300)])
    window.quit_action.trigger()
    assert window.ask_save_changes == ["Save the drawing?"]
    assert window.isVisible() == (answer == "cancel")


def test_save_when_quitting_saves_and_closes_unless_the_save_is_cancelled(window, qtbot, tmp_path):
    window.ask_save_changes = SaveChanges("save")
    draw_with_mouse(window.canvas, [line(100, 100, 100, 300)])
    window.ask_save_path = lambda parent, suggested: None  # the save dialog cancelled
    assert not window.close() and window.isVisible()
    path = tmp_path / "kept.png"
    window.ask_save_path = lambda parent, suggested: str(path)
    assert window.close() and path.exists() and not window.isVisible()


def test_quitting_asks_nothing_when_nothing_would_be_lost(window, qtbot, tmp_path):
    window.ask_save_changes = SaveChanges("cancel")
    draw_with_mouse(window.canvas, [line(100, 100, 100, 300)])
    window.copy_action.trigger()  # copied: kept on the clipboard
    assert not window.pad.is_modified
    draw_with_mouse(window.canvas, [line(200, 100, 200, 300)])
    assert window.files.save_path(tmp_path / "two.png")  # saved
    draw_with_mouse(window.canvas, [line(300, 100, 300, 300)])
    window.clear_action.trigger()  # cleared: Undo would bring it back, so Clear asks nothing
    assert window.ask_save_changes == [] and window.close()


def test_the_title_names_the_file_and_marks_unsaved_changes(window, qtbot, tmp_path, pen_digits):
    assert window.windowTitle() == "digitpad" and not window.isWindowModified()
    draw_with_mouse(window.canvas, [line(100, 100, 100, 300)])
    assert window.windowTitle() == "Untitled[*] — digitpad" and window.isWindowModified()
    assert window.files.save_path(tmp_path / "2026.png")
    assert window.windowTitle() == "2026.png[*] — digitpad" and not window.isWindowModified()
    draw_with_mouse(window.canvas, [line(200, 100, 200, 300)])
    assert window.windowTitle() == "2026.png[*] — digitpad" and window.isWindowModified()
    window.undo_action.trigger()
    assert not window.isWindowModified()  # as saved
    window.clear_action.trigger()
    assert window.windowTitle() == "digitpad" and not window.isWindowModified()
    path = tmp_path / "seven.json"
    sample_ink(pen_digits, 218).save(path)
    window.files.open_path(path)
    assert window.windowTitle() == "seven.json[*] — digitpad" and not window.isWindowModified()
    window.files.open_path(
        picture_of(pen_digits, 123, tmp_path)
    )  # a picture, read in the background
    settle(qtbot, window)
    assert window.canvas.has_image and not window.isWindowModified()
    assert window.windowTitle() == "digit-123.png[*] — digitpad"


def test_save_proposes_a_name_from_the_number_read(window, qtbot, tmp_path, pen_digits):
    proposed = []

    def ask_save_path(parent, suggested):
        proposed.append(Path(suggested).name)
        return None

    window.ask_save_path = ask_save_path
    draw_with_mouse(window.canvas, [line(100, 100, 100, 300), line(300, 100, 300, 300)])
    assert window.pad.number == "11"
    window.save_action.trigger()
    window.clear_action.trigger()
    draw_with_mouse(window.canvas, [[(400, 300), (402, 301)]])  # a tap: nothing read
    assert window.pad.number is None
    window.save_action.trigger()
    photo = tmp_path / "photo.jpg"
    with Image.open(picture_of(pen_digits, 123, tmp_path)) as image:
        image.convert("RGB").save(photo)
    window.files.open_path(photo)
    settle(qtbot, window)
    window.save_action.trigger()  # an opened file: its name, as PNG
    assert proposed == ["11.png", "drawing.png", "photo.png"]


def test_help_lists_the_keyboard_shortcuts_of_the_action_table(window):
    from digitpad.ui.actions import ACTIONS

    window.actions["shortcuts"].trigger()
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    rows = dialog.rows()
    assert ("It's a 0 … It's a 9", "0 … 9", "Handwriting") in rows
    assert ("Next digit", "Return, Enter", "Handwriting") in rows
    assert ("Thicker brush", "]", "Brush") in rows
    undo = next(row for row in rows if row[0] == "Undo")
    assert undo[1].startswith("Ctrl+Z") and undo[2] == "Edit"
    # Every action with keys is listed, in the table's order (the corrections in one row).
    keyed = [
        s.text.replace("&", "").rstrip("…")
        for s in ACTIONS
        if window.actions[s.name].shortcuts() and s.args in ((), (0,))
    ]
    assert keyed == [row[0].split(" … ")[0] for row in rows]
    listed = [row[0] for row in rows]
    assert "About digitpad" not in listed and "Your handwriting" not in listed
    dialog.close()


def test_about_gives_the_version(window):
    import digitpad

    window.show_about = Messages()
    window.actions["about"].trigger()
    ((title, text),) = window.show_about
    assert title == "About digitpad" and f"digitpad {digitpad.__version__}:" in text
    assert window.model_label.text() in text


def test_the_status_line_is_cut_to_fit_the_smallest_window_with_the_rest_in_its_tooltip(
    window, qtbot
):
    label = window.status_label
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize())
    # Even the hint is cut there (the model's name takes its room).
    assert label.toolTip() == (label.text() if label.shown_text() != label.text() else "")
    text = "Looks like 31415926535897932384 (12.5% sure of every digit). " * 3
    label.setText(text)
    QApplication.processEvents()
    assert window.size() == window.minimumSize()  # the window did not grow for it
    shown = label.shown_text()
    assert shown.endswith("…") and text.startswith(shown[:-1])
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert label.geometry().right() < window.model_label.geometry().left()
    assert label.text() == text and label.toolTip() == text
    window.resize(3000, 700)
    qtbot.waitUntil(lambda: label.shown_text() == text)
    assert label.toolTip() == ""


def test_delete_erases_the_digit_pointed_at_and_undo_brings_it_back(window, qtbot):
    canvas = window.canvas
    focus_canvas(qtbot, window)
    # A "1" and a "+" of two strokes, read as a number.
    draw_with_mouse(
        canvas, [line(100, 100, 100, 300), line(400, 100, 400, 300), line(330, 200, 470, 200)]
    )
    assert len(window.pad.reading.digits) == 2
    one, plus_vertical, plus_bar = (s.copy() for s in canvas.ink().strokes)
    assert window.erase_action.text() == "&Erase digit" and window.erase_action.isEnabled()
    QTest.mouseMove(canvas, QPoint(5, 5))  # Qt drops a move to where the pointer already is
    QTest.mouseMove(canvas, QPoint(400, 150))  # points at the "+"
    assert window.pad.selected_digit == 1
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    (left,) = canvas.ink().strokes
    np.testing.assert_array_equal(left, one)
    np.testing.assert_array_equal(
        canvas.coverage(), rasterize(canvas.ink(), **canvas.rasterize_args())
    )
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one step
    assert len(canvas.ink().strokes) == 3 and len(window.pad.reading.digits) == 2


def test_a_zigzag_drawn_over_a_digit_scratches_it_out(window, qtbot):
    canvas = window.canvas
    draw_with_mouse(canvas, [line(100, 100, 100, 300), line(400, 100, 400, 300)])
    assert window.pad.reading.number == "11"
    first = canvas.ink().strokes[0].copy()
    scratch = np.array([(370, 130), (430, 150), (370, 170), (430, 190), (370, 210), (430, 230)])
    draw_with_mouse(canvas, [scratch])
    (left,) = canvas.ink().strokes  # the second "1" is gone, and no zig-zag came
    np.testing.assert_array_equal(left, first)
    assert window.pad.reading.number == "1"
    window.undo_action.trigger()
    assert window.pad.reading.number == "11" and len(canvas.ink().strokes) == 2


def test_how_1_and_7_are_written_is_one_choice_in_the_menu(window, qtbot, tmp_path):
    names = ["convention_none", "convention_flagged-one", "convention_plain-one"]
    choices = [window.actions[name] for name in names]
    assert [a.isChecked() for a in choices] == [True, False, False]
    assert all(a.actionGroup() is choices[0].actionGroup() for a in choices)
    window.actions["convention_flagged-one"].trigger()
    assert Profile(tmp_path / "profile").convention == "flagged-one"
    assert window.session.recognizer.convention == "flagged-one"
    window.actions["convention_flagged-one"].trigger()  # a choice: clicked again, it stays
    assert [a.isChecked() for a in choices] == [False, True, False]
    window.actions["convention_plain-one"].trigger()
    assert [a.isChecked() for a in choices] == [False, False, True]
    assert Profile(tmp_path / "profile").convention == "plain-one"

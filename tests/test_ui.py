"""The drawing pad window, driven with real Qt input events (offscreen)."""

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
    QDropEvent,
    QGuiApplication,
    QInputDevice,
    QPalette,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.ink import Ink, load_ink, rasterize  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402
from digitpad.ui import canvas as canvas_module  # noqa: E402
from digitpad.ui.driver import draw_with_mouse, fit_strokes  # noqa: E402
from digitpad.ui.window import INK_MIME_TYPE, PREDICT_INTERVAL_MS, MainWindow  # noqa: E402

#: Two pen digits of each class (indices into the conftest's pen_digits fixture), by writers
#: the model never saw.
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


class Messages(list):
    """Stands in for the message box: records (title, text)."""

    def __call__(self, parent, title, text):
        self.append((title, text))


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show_message = Messages()
    win.resize(900, 620)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.release_clipboard()  # as digitpad.ui.app.run does when the pad closes


def sample_ink(pen_digits, index) -> Ink:
    return pen_digits[index][1]


def drop_file(window, path):
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


def draw_sample(window, pen_digits, index, fill=0.7):
    """Draw a fixture digit on the canvas with mouse events; return the pixel strokes drawn."""
    canvas = window.canvas
    strokes = fit_strokes(sample_ink(pen_digits, index), (canvas.width(), canvas.height()), fill)
    draw_with_mouse(canvas, strokes)
    return strokes


def line(x0, y0, x1, y1, steps=12):
    return np.rint(np.linspace((x0, y0), (x1, y1), steps)).astype(int)


def test_pen_digits_drawn_with_the_mouse_are_recognized(window, pen_digits):
    wrong = []
    for index in SAMPLE_INDICES:
        window.canvas.clear()
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


def test_recorded_ink_is_the_strokes_drawn(window, pen_digits):
    strokes = draw_sample(window, pen_digits, 93)
    ink = window.canvas.ink()
    assert (ink.width, ink.height) == (window.canvas.width(), window.canvas.height())
    assert len(ink.strokes) == len(strokes)
    for recorded, drawn in zip(ink.strokes, strokes, strict=True):
        np.testing.assert_array_equal(recorded[:, :2], drawn)
        assert recorded.shape[1] == 3  # x, y, t_ms: a mouse has no pressure
        assert np.all(np.diff(recorded[:, 2]) >= 0)


def test_canvas_picture_is_the_shared_rasterizer_output(window, pen_digits):
    draw_sample(window, pen_digits, 183)
    canvas = window.canvas
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


def test_picture_while_drawing_follows_the_pen(window, qtbot):
    canvas = window.canvas
    points = line(100, 100, 300, 260, 40)
    QTest.mousePress(
        canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[0])
    )
    for x, y in points[1:]:
        QTest.mouseMove(canvas, QPoint(int(x), int(y)))
        canvas.repaint()  # a paint between moves, as on screen
    assert canvas.is_drawing
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


def test_resizing_neither_loses_nor_stretches_the_ink(window, qtbot, pen_digits):
    draw_sample(window, pen_digits, 243)
    canvas = window.canvas
    before = [s.copy() for s in canvas.ink().strokes]
    space = canvas.ink_space()
    for size in ((1200, 640), (700, 900), (640, 520)):
        window.resize(*size)
        qtbot.waitUntil(lambda: canvas.width() != 0)
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
    assert window.panel.prediction.digit == 8


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
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert canvas.ink().is_empty

    # A new stroke after Undo drops what could have been redone.
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    assert len(canvas.ink().strokes) == 1
    draw_with_mouse(canvas, [line(300, 100, 300, 300)])
    assert not canvas.can_redo and not window.redo_action.isEnabled()
    assert len(canvas.ink().strokes) == 2


def test_undo_history_is_bounded(window):
    canvas = window.canvas
    for i in range(canvas_module.UNDO_DEPTH + 20):
        draw_with_mouse(canvas, [line(50 + i % 200, 50, 60 + i % 200, 90, 3)])
    assert len(canvas._undo) == canvas_module.UNDO_DEPTH


def test_pen_pressure_varies_the_width(window):
    canvas = window.canvas
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
    assert window.panel.prediction.probabilities is not None


def test_touch_draws_a_stroke(window):
    canvas = window.canvas
    device = QTest.createTouchDevice()
    points = line(150, 100, 150, 350, 10)
    QTest.touchEvent(canvas, device).press(0, QPoint(*points[0]), canvas).commit()
    for x, y in points[1:]:
        QTest.touchEvent(canvas, device).move(0, QPoint(int(x), int(y)), canvas).commit()
    QTest.touchEvent(canvas, device).release(0, QPoint(*points[-1]), canvas).commit()
    (stroke,) = canvas.ink().strokes
    np.testing.assert_allclose(stroke[:, :2], points)
    assert not canvas.is_drawing
    assert window.panel.prediction.digit is not None


def test_brush_width_changes_the_picture_not_the_ink(window, pen_digits):
    draw_sample(window, pen_digits, 63)
    canvas = window.canvas
    thin = canvas.coverage().sum()
    window.width_box.setValue(30)
    assert canvas.pen_width == 30
    assert canvas.coverage().sum() > 1.5 * thin
    np.testing.assert_array_equal(
        canvas.coverage(), rasterize(canvas.ink(), **canvas.rasterize_args())
    )
    window.thinner_action.trigger()
    assert window.width_box.value() == 28


def write_digit_png(path, ink, dark_on_light=True):
    coverage = rasterize(ink, (500, 500), pen_width=22)
    pixels = 255 - coverage * 255 if dark_on_light else coverage * 255
    Image.fromarray(np.rint(pixels).astype(np.uint8)).save(path)


def test_open_image_shows_and_recognizes_it(window, tmp_path, pen_digits):
    path = tmp_path / "four.png"
    write_digit_png(path, sample_ink(pen_digits, 123))
    window.ask_open_path = lambda parent, directory: str(path)
    window.open_action.trigger()
    assert window.canvas.has_image
    assert window.panel.prediction.digit == 4
    assert not window.show_message
    assert window.canvas.ink().is_empty
    # Drawing on the picture starts a new drawing.
    draw_with_mouse(window.canvas, [line(100, 100, 100, 300)])
    assert not window.canvas.has_image and len(window.canvas.ink().strokes) == 1


def test_a_bad_file_shows_a_message_and_keeps_the_drawing(window, tmp_path, pen_digits):
    draw_sample(window, pen_digits, 153)
    before = window.canvas.ink().to_json()
    bad_png = tmp_path / "broken.png"
    bad_png.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    bad_ink = tmp_path / "broken.json"
    bad_ink.write_text('{"strokes": [[[1, 2], [3]]]}')
    for path in (bad_png, bad_ink, tmp_path / "missing.png"):
        assert window.open_path(path) is False
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
    assert window.open_path(path)
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
    assert window.save_path(unwritable) is False
    assert window.show_message[-1][0] == "Cannot save"


def test_copy_and_paste(window, tmp_path, pen_digits):
    draw_sample(window, pen_digits, 38)
    drawn = window.canvas.ink().to_json()
    QTest.keyClick(window.canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    data = QGuiApplication.clipboard().mimeData()
    assert data.hasImage() and data.hasFormat(INK_MIME_TYPE)
    window.canvas.clear()
    window.paste_action.trigger()
    assert window.canvas.ink().to_json() == drawn

    # A picture from another program.
    path = tmp_path / "six.png"
    write_digit_png(path, sample_ink(pen_digits, 183))
    from PySide6.QtGui import QImage

    QGuiApplication.clipboard().setImage(QImage(str(path)))
    window.paste_action.trigger()
    assert window.canvas.has_image
    assert window.panel.prediction.digit == 6


def test_drop_a_file(window, tmp_path, pen_digits):
    path = tmp_path / "three.png"
    write_digit_png(path, sample_ink(pen_digits, 98), dark_on_light=False)
    drop_file(window, path)
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
    assert window.canvas.pen_width == canvas_module.DEFAULT_PEN_WIDTH


def test_status_line(window, pen_digits):
    predictor = window.predictor
    assert window.status_label.text().startswith("Draw a digit")
    assert predictor.name in window.model_label.text()
    if predictor.test_accuracy is not None:
        assert f"{predictor.test_accuracy * 100:.2f}%" in window.model_label.text()
    draw_sample(window, pen_digits, 8)
    assert window.status_label.text() == (
        f"Looks like a 0 ({window.panel.prediction.confidence * 100:.1f}%)."
    )

    class Unsure:
        def predict(self, batch):
            return np.array([[0.05] * 3 + [0.45] + [0.05] * 6 + [0.0]])[:, :10] / 0.95

    window.recognizer = Recognizer(Unsure())
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
    assert window.predictor is None
    assert not window.panel.message_label.isHidden()
    assert window.panel.bars.isHidden()
    assert str(path) in window.panel.message_label.text()
    assert window.model_label.text() == "No model"
    draw_sample(window, pen_digits, 3)
    assert window.panel.prediction.digit is None
    assert window.panel.prediction.input is not None  # the preview still shows the input
    assert window.status_label.text().startswith("No model: ")


def test_palette_follows_the_system(window, pen_digits):
    draw_sample(window, pen_digits, 8)
    canvas = window.canvas
    dark = QPalette(window.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#101010"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#f0f0f0"))
    window.setPalette(dark)
    image = canvas.grab().toImage()
    coverage = canvas.coverage()
    y, x = np.argwhere(coverage == 1.0)[0]
    assert image.pixelColor(int(x), int(y)).name() == "#f0f0f0"
    y, x = np.argwhere(coverage == 0.0)[len(np.argwhere(coverage == 0.0)) // 2]
    assert image.pixelColor(int(x), int(y)).name() == "#101010"


def test_boxes_can_be_drawn_over_regions(window, pen_digits):
    draw_sample(window, pen_digits, 8)
    canvas = window.canvas
    plain = canvas.grab().toImage()
    canvas.set_boxes([(20, 20, 120, 160)])
    boxed = canvas.grab().toImage()
    rect = canvas.box_rect((20, 20, 120, 160))
    left, middle = round(rect.left()), round(rect.center().y())
    assert boxed.pixelColor(left, middle) != plain.pixelColor(left, middle)
    assert boxed.pixelColor(left + 12, middle) == plain.pixelColor(left + 12, middle)
    # The ink, and so the prediction, is untouched.
    np.testing.assert_array_equal(
        canvas.coverage(), rasterize(canvas.ink(), **canvas.rasterize_args())
    )


def test_panel_shows_a_given_prediction(window):
    from digitpad.recognize import Prediction

    probabilities = np.zeros(10)
    probabilities[[2, 5]] = 0.3, 0.7
    window.panel.show_prediction(Prediction.from_probabilities(probabilities, np.zeros((28, 28))))
    assert window.panel.digit_label.text() == "5"
    assert window.panel.bars.labels()[5] == "5  70.0%"


def test_clipboard_ink_that_is_broken_is_ignored(window):
    data = QMimeData()
    data.setData(INK_MIME_TYPE, QByteArray(b"{nope"))
    QGuiApplication.clipboard().setMimeData(data)
    window.paste_action.trigger()
    assert window.canvas.is_empty
    QGuiApplication.clipboard().clear()  # our own QMimeData: see release_clipboard()


COPY_THEN_EXIT = """
import sys
from PySide6.QtWidgets import QApplication
from digitpad.ink import Ink
from digitpad.ui.window import MainWindow

app = QApplication([])
window = MainWindow()
window.canvas.set_ink(Ink([[(10, 10), (100, 200)]]))
window.copy_action.trigger()
assert QApplication.clipboard().mimeData().hasImage()
if sys.argv[1] == "release":
    window.release_clipboard()
"""


@pytest.mark.parametrize("release, crashes", [("release", False), ("keep", True)])
def test_quitting_after_copy_does_not_crash(release, crashes):
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", COPY_THEN_EXIT, release],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        timeout=120,
    )
    # "keep" shows the PySide6 crash (a signal, not an error exit) that
    # release_clipboard() exists for.
    assert (result.returncode < 0) == crashes, result.stderr[-500:]
    assert result.returncode <= 0, result.stderr[-500:]


def test_a_number_shows_big_with_boxes_and_hover_selects_a_digit(window, pen_digits):
    # Three fixture digits by one writer, side by side with a gap, as one ink.
    labels = (2, 0, 7)
    parts, x = [], 0.0
    for label in labels:
        ink = sample_ink(pen_digits, label * 30 + 5)
        x0, y0, x1, y1 = ink.bounds()
        parts += [s[:, :2] - (x0 - x, y0) for s in ink.strokes]
        x += (x1 - x0) + 0.4 * (y1 - y0)
    canvas = window.canvas
    draw_with_mouse(canvas, fit_strokes(Ink(parts), (canvas.width(), canvas.height()), 0.8))

    assert window.reading.number == "207"
    assert window.panel.digit_label.text() == "207"
    assert len(canvas._boxes) == 3
    boxes = [d.box for d in window.reading.digits]
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
    assert window.selected_digit == 0
    assert window.panel.prediction.digit == 2
    assert window.panel.bars.probabilities.argmax() == 2
    assert "digit 1 of 3" in window.panel.confidence_label.text()

    # One digit again: no boxes, the single-digit panel.
    window.clear_action.trigger()
    draw_sample(window, pen_digits, 8)
    assert canvas._boxes == [] and window.panel.digit_label.text() == "0"


BAD_FILES = Path(__file__).resolve().parent / "bad-files"


@pytest.mark.parametrize("how", ["open", "drop"])
def test_every_file_of_bad_files_shows_a_message_or_its_answer(window, pen_digits, how):
    """tests/bad-files/expected.json: errors keep the drawing; readable files are shown."""
    import json

    expected = json.loads((BAD_FILES / "expected.json").read_text())
    for name, outcome in expected.items():
        if name.endswith(".tflite"):
            continue
        window.canvas.clear()
        draw_sample(window, pen_digits, 153)
        before = window.canvas.ink().to_json()
        shown = len(window.show_message)
        if how == "open":
            window.open_path(BAD_FILES / name)
        else:
            drop_file(window, BAD_FILES / name)
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

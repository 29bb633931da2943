"""The window's helpers each alone, on a session, a pad and a canvas: no MainWindow.

:class:`~digitpad.ui.reading.DrawingReader`, :class:`~digitpad.ui.transfer.FileTransfer`
and :class:`~digitpad.ui.teaching.Teaching` get their collaborators; the session
posts its results to the GUI thread as in the window (``PostToGuiThread``).
"""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QPoint, QSettings  # noqa: E402
from PySide6.QtGui import QAction, QGuiApplication  # noqa: E402

import digitpad.session  # noqa: E402
from digitpad.ink import rasterize  # noqa: E402
from digitpad.pad import Pad  # noqa: E402
from digitpad.profile import Profile  # noqa: E402
from digitpad.recognize import Recognizer  # noqa: E402
from digitpad.session import Session  # noqa: E402
from digitpad.ui.canvas import DEFAULT_HINT, CanvasWidget  # noqa: E402
from digitpad.ui.posting import PostToGuiThread  # noqa: E402
from digitpad.ui.reading import DrawingReader  # noqa: E402
from digitpad.ui.teaching import STILL_OPENING, Teaching  # noqa: E402
from digitpad.ui.transfer import FileTransfer, qimage_from_pil  # noqa: E402


class Fives:
    """A model that reads every digit as a 5."""

    name, path, card = "fives", None, None
    has_features = has_picture_output = False

    def predict(self, batch, source="ink"):
        out = np.full((len(batch), 10), 0.01, np.float32)
        out[:, 5] = 0.91
        return out


class Calls(list):
    """Stands in for notify, report_error...: records the arguments of each call."""

    def __call__(self, *args):
        self.append(args)


def shown_canvas(qtbot) -> CanvasWidget:
    """A canvas on a pad of its own, shown at 500 x 400."""
    canvas = CanvasWidget(Pad())
    qtbot.addWidget(canvas)
    canvas.resize(500, 400)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


@pytest.fixture
def parts(qtbot, tmp_path):
    """A session (reading with Fives), a pad and its canvas, results posted to this thread."""
    canvas = shown_canvas(qtbot)
    post = PostToGuiThread(canvas)
    session = Session(profile=tmp_path / "profile", post=post, picture_view=qimage_from_pil)
    session.replace_recognizer(Recognizer(Fives()))
    yield session, canvas.pad, canvas
    assert session.wait(20)


def settle(qtbot, session):
    qtbot.waitUntil(lambda: not session.busy, timeout=20_000)


def write_picture(path, pen_digits, index=123):
    coverage = rasterize(pen_digits[index][1], (200, 200), pen_width=10)
    Image.fromarray(np.rint(255 - coverage * 255).astype(np.uint8)).save(path)
    return path


# -- DrawingReader ------------------------------------------------------------------------


def test_the_reader_reads_ink_at_once_and_pictures_on_the_worker(
    parts, qtbot, tmp_path, pen_digits
):
    session, pad, canvas = parts
    errors = Calls()
    reader = DrawingReader(session, pad, canvas, errors)
    pad.set_ink(pen_digits[8][1])
    reader.read()
    assert pad.reading.number == "5" and pad.examples_in_use == 0
    threads = []
    pad.reading_changed.connect(lambda: threads.append(threading.get_ident()))
    with Image.open(write_picture(tmp_path / "4.png", pen_digits)) as picture:
        pad.set_picture(picture.copy(), picture.convert("RGBA"))
    reader.read()
    assert reader.busy and pad.reading is None  # nothing read on this thread yet
    settle(qtbot, session)
    assert pad.reading.number == "5" and not errors
    assert set(threads) == {threading.get_ident()}  # the result came to the GUI thread


def test_the_reader_reports_a_picture_it_cannot_read(
    parts, qtbot, tmp_path, pen_digits, monkeypatch
):
    session, pad, canvas = parts
    errors = Calls()
    reader = DrawingReader(session, pad, canvas, errors)

    def fails(picture, **options):
        raise ValueError("no\nway")

    monkeypatch.setattr(digitpad.session, "image_inputs", fails)
    with Image.open(write_picture(tmp_path / "4.png", pen_digits)) as picture:
        pad.set_picture(picture.copy(), picture.convert("RGBA"))
    reader.read()
    settle(qtbot, session)
    assert errors == [("Cannot read the picture", "no way")]
    assert pad.reading is not None and pad.reading.number is None


# -- FileTransfer -------------------------------------------------------------------------


@pytest.fixture
def files(parts, tmp_path):
    session, pad, canvas = parts
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    transfer = FileTransfer(
        session,
        pad,
        canvas,
        settings=settings,
        notify=Calls(),
        report_error=Calls(),
        ask_open_path=lambda directory: None,
        ask_save_path=lambda suggested: None,
    )
    yield transfer
    transfer.release_clipboard()


def test_files_open_ink_at_once_and_pictures_in_the_background(files, qtbot, tmp_path, pen_digits):
    ink = tmp_path / "seven.json"
    pen_digits[218][1].save(ink)
    files.open_path(ink)
    assert len(files.pad.drawing.strokes) == len(pen_digits[218][1].strokes)
    assert files.pad.file_name == "seven.json"
    assert files.notify == [("Opened seven.json", 4000)]
    assert files.settings.value("files/directory") == str(tmp_path.resolve())
    files.open_path(write_picture(tmp_path / "four.png", pen_digits))
    assert not files.pad.drawing.has_picture and files.session.busy
    settle(qtbot, files.session)
    assert files.pad.drawing.has_picture and files.canvas.has_image
    assert files.pad.file_name == "four.png" and files.notify[-1] == ("Opened four.png", 4000)
    assert not files.report_error


def test_files_report_a_bad_file_and_keep_the_drawing(files, qtbot, tmp_path, pen_digits):
    files.pad.set_ink(pen_digits[8][1])
    before = files.pad.drawing
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    broken_ink = tmp_path / "broken.json"
    broken_ink.write_text('{"strokes": [[[1, 2], [3]]]}')
    for path in (bad, broken_ink, tmp_path / "missing.png"):
        files.open_path(path)
        settle(qtbot, files.session)
        title, text = files.report_error[-1]
        assert title == "Cannot open file" and text.startswith(path.name + ": ")
    assert len(files.report_error) == 3 and files.pad.drawing is before


def test_files_save_copy_and_paste(files, qtbot, tmp_path, pen_digits):
    files.pad.set_ink(pen_digits[8][1], width=6)
    files.pad.set_reading(files.session.read(files.pad.drawing)[0])
    assert files.suggested_name() == "5.png"
    asked = []
    files.ask_save_path = lambda suggested: asked.append(suggested)  # cancelled
    assert files.save_file() is False and asked == [os.path.join("", "5.png")]
    files.ask_save_path = lambda suggested: str(tmp_path / "saved.png")
    assert files.save_file() and (tmp_path / "saved.png").is_file()
    assert files.notify[-1] == ("Saved saved.png", 4000) and not files.pad.is_modified
    files.copy()
    assert QGuiApplication.clipboard().text() == "5"
    assert files.notify[-1] == ("Copied the drawing and 5", 3000)
    files.pad.clear()
    files.paste()  # digitpad's own ink: at once
    assert len(files.pad.drawing.strokes) == len(pen_digits[8][1].strokes)
    QGuiApplication.clipboard().setImage(qimage_from_pil(Image.new("RGB", (40, 30), "white")))
    files.paste()  # a picture: read on the worker
    settle(qtbot, files.session)
    assert files.pad.drawing.has_picture and files.pad.drawing.picture.size == (40, 30)
    QGuiApplication.clipboard().clear()
    files.paste()
    assert files.notify[-1] == ("The clipboard holds no image or file", 4000)


# -- Teaching -----------------------------------------------------------------------------


CONVENTIONS = ["convention_none", "convention_flagged-one", "convention_plain-one"]
ACTION_NAMES = [
    *(f"correct_{d}" for d in range(10)),
    "handwriting",
    "guided",
    "accept",
    *CONVENTIONS,
]


@pytest.fixture
def teaching(qtbot, tmp_path):
    """Teaching on a session with the bundled model, its profile not yet open."""
    canvas = shown_canvas(qtbot)
    session = Session(profile=tmp_path / "profile", post=PostToGuiThread(canvas))
    pad = canvas.pad
    actions = {
        name: QAction(name, canvas, checkable=name == "guided" or name in CONVENTIONS)
        for name in ACTION_NAMES
    }
    read_again = Calls()

    def reading_again():
        read_again()
        result = session.read(pad.drawing, again=True)
        if result is not None:
            pad.set_reading(result[0])

    helper = Teaching(
        session,
        pad,
        canvas,
        actions,
        read_again=reading_again,
        notify=Calls(),
        report_error=Calls(),
        ask_yes_no=Calls(),
    )
    helper.read_again_calls = read_again
    yield helper
    assert session.wait(20)


def test_teaching_waits_for_the_profile_then_learns_a_correction(
    teaching, qtbot, tmp_path, pen_digits
):
    session, pad, actions = teaching.session, teaching.pad, teaching.actions
    pad.set_ink(pen_digits[8][1])  # a 0
    teaching.correct(6)
    assert teaching.notify == [(STILL_OPENING, 3000)] and pad.undo_steps == 1  # the ink alone
    session.load_model()
    assert not actions["handwriting"].isEnabled()
    qtbot.waitUntil(lambda: session.profile_open, timeout=20_000)
    assert actions["handwriting"].isEnabled() and teaching.read_again_calls  # read again once open
    pad.set_reading(session.read(pad.drawing)[0])
    assert pad.reading.digit == 0 and actions["correct_6"].isEnabled()
    teaching.correct(6)
    assert [e.digit for e in Profile(tmp_path / "profile").examples()] == [6]
    assert pad.examples_in_use == 1 and pad.reading.digit == 6  # counted and read again
    pad.undo()
    assert Profile(tmp_path / "profile").examples() == [] and pad.examples_in_use == 0
    assert not teaching.report_error


def test_teaching_the_guided_round_and_the_canvas_menu(teaching, qtbot, pen_digits):
    session, pad, actions = teaching.session, teaching.pad, teaching.actions
    actions["guided"].setChecked(True)
    teaching.toggle_guided_round()  # the profile is not open yet
    assert not actions["guided"].isChecked() and teaching.notify == [(STILL_OPENING, 3000)]
    session.load_model()
    qtbot.waitUntil(lambda: session.profile_open, timeout=20_000)
    actions["guided"].setChecked(True)
    teaching.toggle_guided_round()
    assert pad.guided_round is not None and teaching.canvas.hint == "Write a 0 (1 of 3)"
    actions["guided"].setChecked(False)
    teaching.toggle_guided_round()
    assert pad.guided_round is None and teaching.canvas.hint == DEFAULT_HINT
    teaching.show_canvas_menu(QPoint(100, 100))
    menu = teaching.context_menu
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == [*(f"correct_{d}" for d in range(10)), "handwriting"]
    menu.close()


def test_teaching_reports_an_example_it_cannot_learn(teaching, qtbot, pen_digits, monkeypatch):
    session, pad = teaching.session, teaching.pad
    session.load_model()
    qtbot.waitUntil(lambda: session.profile_open, timeout=20_000)

    def full(source, digit):
        raise OSError("disk full")

    monkeypatch.setattr(session.recognizer.profile, "add", full)
    pad.set_ink(pen_digits[8][1])
    pad.set_reading(session.read(pad.drawing)[0])
    teaching.correct(6)
    assert teaching.report_error == [("Cannot learn the digit", "disk full")]
    assert pad.undo_steps == 1  # the ink only: the correction is not a step


def test_teaching_keeps_how_the_person_writes_1_and_7_in_the_profile(teaching, qtbot, tmp_path):
    session, actions = teaching.session, teaching.actions
    session.load_model()
    qtbot.waitUntil(lambda: session.profile_open, timeout=20_000)
    teaching.update_actions()
    assert [actions[name].isChecked() for name in CONVENTIONS] == [True, False, False]
    calls = len(teaching.read_again_calls)
    actions["convention_flagged-one"].setChecked(True)  # as a click on it does
    teaching.set_convention("flagged-one")
    assert Profile(tmp_path / "profile").convention == "flagged-one"
    assert session.recognizer.convention == "flagged-one"  # what the drawing is read by
    assert [actions[name].isChecked() for name in CONVENTIONS] == [False, True, False]
    assert len(teaching.read_again_calls) == calls + 1
    actions["convention_flagged-one"].setChecked(False)  # a click on the checked one
    teaching.set_convention("flagged-one")
    assert [actions[name].isChecked() for name in CONVENTIONS] == [False, True, False]
    teaching.set_convention("none")
    assert Profile(tmp_path / "profile").convention is None
    assert [actions[name].isChecked() for name in CONVENTIONS] == [True, False, False]

"""The pad's session without Qt: reading, the background jobs, the profile, learning.

Results of background jobs come through ``post``; here it either runs them at
once (on the worker) or keeps them for the test to run (``Posted``), so that a
test decides what happens before a result arrives.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

import digitpad.session
from digitpad.ink import Ink, rasterize
from digitpad.pad import Drawing, Pad
from digitpad.profile import Profile
from digitpad.recognize import Recognizer, image_inputs
from digitpad.session import OpenedPicture, SerializedPredictor, Session, Worker


class Posted(list):
    """A ``post`` that keeps what it is given; ``deliver()`` runs it on the test's thread."""

    def __call__(self, announce):
        self.append(announce)

    def deliver(self, session: Session) -> None:
        assert session.wait(20)
        while self:
            self.pop(0)()


class Heard(list):
    """Records each event of a session as (name, args)."""

    def __init__(self, session: Session):
        super().__init__()
        for name in (
            "model_changed",
            "profile_changed",
            "profile_opened",
            "reading_ready",
            "reading_failed",
            "picture_opened",
            "open_failed",
        ):
            getattr(session, name).connect(lambda *args, name=name: self.append((name, args)))

    def named(self, name: str) -> list[tuple]:
        return [args for heard, args in self if heard == name]


class Fives:
    """A model that reads every digit as a 5, and counts its calls."""

    name, path, card = "fives", None, None
    has_features = has_picture_output = False
    calls = 0

    def predict(self, batch, source="ink"):
        self.calls += 1
        out = np.full((len(batch), 10), 0.01, np.float32)
        out[:, 5] = 0.91
        return out


@pytest.fixture
def fives(tmp_path):
    """A session reading with :class:`Fives`, results delivered when the test says."""
    posted = Posted()
    session = Session(profile=tmp_path / "profile", post=posted)
    session.replace_recognizer(Recognizer(Fives()))
    session.posted = posted
    return session


def ink_drawing(pen_digits, index) -> Drawing:
    pad = Pad()
    pad.set_ink(pen_digits[index][1])
    return pad.drawing


def picture_drawing(pen_digits, index) -> Drawing:
    coverage = rasterize(pen_digits[index][1], (200, 200), pen_width=10)
    picture = Image.fromarray(np.rint(255 - coverage * 255).astype(np.uint8))
    return Drawing(picture=picture, shown_picture=picture.convert("RGBA"))


def gate(monkeypatch) -> threading.Event:
    """Hold every picture's analysis on the worker until the returned event is set."""
    opened = threading.Event()

    def analysed(picture, **options):
        assert opened.wait(20)
        return image_inputs(picture, **options)

    monkeypatch.setattr(digitpad.session, "image_inputs", analysed)
    return opened


def test_the_session_imports_no_qt():
    code = "import sys, digitpad.session; print([m for m in sys.modules if 'PySide6' in m])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr


# -- reading ------------------------------------------------------------------------------


def test_ink_is_read_at_once_with_the_model_and_the_profile_opens_on_the_worker(
    tmp_path, pen_digits
):
    session = Session(profile=tmp_path / "profile")
    heard = Heard(session)
    assert session.recognizer is None
    reading, examples = session.read(ink_drawing(pen_digits, 8))  # no model yet: a preview
    assert reading.digit is None and reading.input is not None and examples == 0
    session.load_model()
    assert session.recognizer is not None and session.predictor is not None
    assert session.model_error is None
    reading, examples = session.read(ink_drawing(pen_digits, 8))
    assert (reading.digit, examples) == (pen_digits[8][0], 0) == (0, 0)
    assert session.wait(20)
    assert session.profile_open and session.recognizer.profile is session.profile
    assert [name for name, _ in heard] == [
        "model_changed",
        "profile_changed",  # opening: profile_open is False meanwhile
        "profile_changed",  # open
        "profile_opened",
    ]
    assert heard.named("profile_opened") == [(None,)]


def test_the_ink_given_is_read_rather_than_the_drawings(fives, pen_digits):
    drawing = ink_drawing(pen_digits, 8)
    reading, _ = fives.read(drawing, pen_digits[38][1])
    assert reading.number == "5"
    empty, _ = fives.read(drawing, Ink([]))
    assert empty.number is None


def test_a_picture_is_read_on_the_worker_and_announced(fives, pen_digits):
    heard = Heard(fives)
    drawing = picture_drawing(pen_digits, 123)
    assert fives.read(drawing) is None and fives.busy
    assert fives.read(drawing) is None  # being read already: no second job
    fives.posted.deliver(fives)
    assert not fives.busy
    ((read, prediction),) = heard.named("reading_ready")
    assert read is drawing and prediction.number == "5"
    assert fives.recognizer.predictor.calls == 1


def test_a_picture_job_whose_drawing_was_replaced_meanwhile_is_dropped(
    fives, pen_digits, monkeypatch
):
    heard = Heard(fives)
    opened = gate(monkeypatch)
    first, second = picture_drawing(pen_digits, 123), picture_drawing(pen_digits, 98)
    fives.read(first)
    ink = ink_drawing(pen_digits, 8)
    assert fives.read(ink)[0].number == "5"  # drawn meanwhile: read at once
    opened.set()
    fives.posted.deliver(fives)
    assert heard.named("reading_ready") == [] and not fives.busy
    # Another picture meanwhile: only the second is announced.
    opened.clear()
    fives.read(first)
    fives.read(second)
    opened.set()
    fives.posted.deliver(fives)
    assert [drawing for drawing, _ in heard.named("reading_ready")] == [second]
    # Back to a picture whose reading is still to come (an undo): it is kept.
    opened.clear()
    fives.read(first)
    fives.read(ink)
    fives.read(first)
    opened.set()
    fives.posted.deliver(fives)
    assert [drawing for drawing, _ in heard.named("reading_ready")] == [second, first]


def test_reading_again_drops_the_reading_still_to_come(fives, pen_digits, monkeypatch):
    heard = Heard(fives)
    opened = gate(monkeypatch)
    drawing = picture_drawing(pen_digits, 123)
    fives.read(drawing)
    fives.read(drawing, again=True)  # the examples changed: a new job
    opened.set()
    fives.posted.deliver(fives)
    assert len(heard.named("reading_ready")) == 1
    assert fives.recognizer.predictor.calls == 2


def test_a_picture_that_cannot_be_read_is_a_one_line_error(fives, pen_digits, monkeypatch):
    heard = Heard(fives)

    def fails(picture, **options):
        raise MemoryError

    monkeypatch.setattr(digitpad.session, "image_inputs", fails)
    drawing = picture_drawing(pen_digits, 123)
    fives.read(drawing)
    fives.posted.deliver(fives)
    assert heard.named("reading_failed") == [(drawing, "not enough memory")]


def test_the_model_part_holds_the_lock_and_finding_digits_does_not(fives, pen_digits, monkeypatch):
    held = []

    def lock_is_held() -> bool:
        free = []

        def probe():
            free.append(fives.lock.acquire(blocking=False))
            if free[0]:
                fives.lock.release()

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        return not free[0]

    class Checking(Fives):
        def predict(self, batch, source="ink"):
            held.append(("model", lock_is_held()))
            return super().predict(batch)

    def analysed(picture, **options):
        held.append(("picture", lock_is_held()))
        return image_inputs(picture, **options)

    monkeypatch.setattr(digitpad.session, "image_inputs", analysed)
    fives.replace_recognizer(Recognizer(Checking()))
    fives.read(picture_drawing(pen_digits, 123))
    fives.posted.deliver(fives)
    fives.read(ink_drawing(pen_digits, 8))
    assert held == [("picture", False), ("model", True), ("model", True)]


def test_a_missing_model_reads_previews_and_says_why(tmp_path, pen_digits):
    session = Session(tmp_path / "none.tflite", profile=tmp_path / "profile")
    heard = Heard(session)
    session.load_model()
    assert session.recognizer is None and session.predictor is None
    assert str(tmp_path / "none.tflite") in session.model_error
    assert [name for name, _ in heard] == ["model_changed"]  # no profile opens without a model
    reading, examples = session.read(ink_drawing(pen_digits, 8))
    assert reading.digit is None and reading.input is not None and examples == 0
    session.read(picture_drawing(pen_digits, 123))
    assert session.wait(20)
    ((_, preview),) = heard.named("reading_ready")
    assert preview.digit is None and preview.input is not None


# -- opening files ------------------------------------------------------------------------


def write_picture(path, pen_digits, index=123):
    picture_drawing(pen_digits, index).picture.save(path)
    return path


def test_a_picture_file_is_opened_on_the_worker(tmp_path, pen_digits):
    posted = Posted()
    session = Session(profile=tmp_path / "profile", post=posted, picture_view=lambda shown: "view")
    heard = Heard(session)
    path = write_picture(tmp_path / "four.png", pen_digits)
    assert session.open_file(path) is None and session.busy
    posted.deliver(session)
    ((opened,),) = heard.named("picture_opened")
    assert isinstance(opened, OpenedPicture) and opened.path == path and opened.view == "view"
    assert opened.picture.size == (200, 200) and opened.shown.mode == "RGBA"
    assert not session.busy


def test_ink_files_open_at_once(tmp_path, pen_digits):
    session = Session(profile=tmp_path / "profile")
    path = tmp_path / "seven.json"
    pen_digits[218][1].save(path)
    ink = session.open_file(path)
    assert ink is not None and len(ink.strokes) == len(pen_digits[218][1].strokes)
    assert not session.busy


@pytest.mark.parametrize("name", ["broken.png", "broken.json", "missing.png", "empty.json"])
def test_a_bad_file_is_an_error_event_of_one_line(tmp_path, name):
    posted = Posted()
    session = Session(profile=tmp_path / "profile", post=posted)
    heard = Heard(session)
    path = tmp_path / name
    if name == "broken.png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    elif name == "broken.json":
        path.write_text('{"strokes": [[[1, 2], [3]]]}')
    elif name == "empty.json":
        path.write_text('{"strokes": []}')
    assert session.open_file(path) is None
    posted.deliver(session)
    ((failed, message),) = heard.named("open_failed")
    assert failed == path and message and "\n" not in message
    assert heard.named("picture_opened") == [] and not session.busy


def test_an_opening_is_dropped_when_another_drawing_or_picture_comes_meanwhile(
    tmp_path, pen_digits
):
    posted = Posted()
    session = Session(profile=tmp_path / "profile", post=posted)
    heard = Heard(session)
    session.read(Pad().drawing)
    four, three = write_picture(tmp_path / "4.png", pen_digits), tmp_path / "3.png"
    write_picture(three, pen_digits, 98)
    session.open_file(four)
    session.read(ink_drawing(pen_digits, 8))  # drawn while it was read
    posted.deliver(session)
    assert heard.named("picture_opened") == [] and not session.busy
    session.open_file(four)
    session.open_file(three)
    posted.deliver(session)
    assert [opened.path for (opened,) in heard.named("picture_opened")] == [three]
    pasted = session.open_picture(lambda: Image.new("L", (30, 20), 255))
    assert isinstance(pasted, int)
    posted.deliver(session)
    assert heard.named("picture_opened")[-1][0].path is None


# -- the profile --------------------------------------------------------------------------


def learned(folder, pen_digits, indices=(8, 38, 63), digit=6) -> Profile:
    learner = Recognizer(profile=folder)
    for index in indices:
        learner.learn(pen_digits[index][1], digit)
    return Profile(folder)


def test_opening_the_profile_swaps_the_recognizer(tmp_path, pen_digits):
    folder = tmp_path / "profile"
    learned(folder, pen_digits)
    posted = Posted()
    session = Session(profile=folder, post=posted)
    heard = Heard(session)
    session.load_model()
    alone = session.recognizer
    assert not session.profile_open and alone.profile is None
    assert session.read(ink_drawing(pen_digits, 8))[0].digit == 0  # the model alone meanwhile
    posted.deliver(session)
    assert session.recognizer is not alone and session.recognizer.profile is session.profile
    assert session.profile_open and heard.named("profile_opened") == [(None,)]
    assert session.recognizer.predictor is alone.predictor  # the one model, shared
    reading, examples = session.read(ink_drawing(pen_digits, 8))
    assert reading.digit == 6 and examples == 3 == session.examples_in_use()


def test_a_profile_opened_for_a_recognizer_since_replaced_is_not_swapped_in(tmp_path):
    posted = Posted()
    session = Session(profile=tmp_path / "profile", post=posted)
    session.load_model()
    other = Recognizer(Fives())
    session.replace_recognizer(other)
    posted.deliver(session)
    assert session.recognizer is other and not session.profile_open


def test_a_model_loaded_again_opens_a_fresh_profile_of_the_same_folder(tmp_path):
    posted = Posted()
    session = Session(profile=tmp_path / "profile", post=posted)
    heard = Heard(session)
    session.load_model()
    posted.deliver(session)
    first = session.profile
    session.load_model()
    session.load_model()  # twice: only the last opening counts
    assert not session.profile_open
    posted.deliver(session)
    assert session.profile_open and session.profile is not first
    assert session.profile.folder == first.folder
    assert heard.named("profile_opened") == [(None,), (None,)]


def test_a_profile_that_cannot_be_opened_is_an_error_event(tmp_path):
    class Unreadable(Profile):
        def inputs(self):
            raise PermissionError("cannot read\nthe profile")

    posted = Posted()
    session = Session(profile=Unreadable(tmp_path / "profile"), post=posted)
    heard = Heard(session)
    session.load_model()
    posted.deliver(session)
    ((error,),) = heard.named("profile_opened")
    assert error == "cannot read the profile" and not session.profile_open


def test_learning_an_example_at_once_and_forgetting_it(tmp_path, pen_digits):
    session = Session(profile=tmp_path / "profile")
    ink = pen_digits[8][1]
    with pytest.raises(ValueError, match="not open"):
        session.learn(ink, 6)
    session.load_model()
    assert session.wait(20) and session.profile_open
    drawing = ink_drawing(pen_digits, 8)
    example = session.learn(ink, 6)
    assert example.digit == 6 and example.file.exists()
    reading, examples = session.read(drawing)
    assert reading.digit == 6 and examples == 1
    (listed,) = session.examples()
    assert listed[0].file == example.file and listed[1].shape == (28, 28)
    session.forget(example)
    reading, examples = session.read(drawing)
    assert reading.digit == 0 and examples == 0
    session.learn(ink, 6)
    session.learn(pen_digits[38][1], 4)
    session.forget_all()
    assert session.examples() == [] and session.examples_in_use() == 0


def test_the_session_teaches_through_the_pads_corrections(tmp_path, pen_digits):
    """The session is the pad's Teacher: a correction learns, its undo forgets."""
    session = Session(profile=tmp_path / "profile")
    session.load_model()
    assert session.wait(20)
    pad = Pad()
    pad.set_ink(pen_digits[8][1])
    pad.set_reading(session.read(pad.drawing)[0])
    assert pad.correct(6, session)
    assert [e.digit for e in Profile(tmp_path / "profile").examples()] == [6]
    pad.undo()
    assert Profile(tmp_path / "profile").examples() == []


# -- the worker and the shared model ------------------------------------------------------


def test_the_worker_runs_jobs_in_order_one_at_a_time_and_ends_its_thread_when_idle():
    worker, done, running = Worker(), [], []

    def job(n):
        def run():
            running.append(n)
            assert len(running) == 1
            time.sleep(0.005)
            done.append(n)
            running.remove(n)
            if n == 2:
                raise RuntimeError("a job's own error")

        return run

    for n in range(6):
        worker.submit(job(n))
    assert worker.wait(20)
    assert done == list(range(6))  # the failing job did not stop the ones after it
    deadline = time.monotonic() + 5
    while any(t.name == "digitpad-worker" for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_the_shared_predictor_runs_one_call_at_a_time():
    """The session's recognizer and the one opening the profile share the model."""

    class Slow:
        path = "slow.tflite"
        running = most = 0

        def _call(self, batch, source="ink"):
            Slow.running += 1
            Slow.most = max(Slow.most, Slow.running)
            time.sleep(0.01)
            Slow.running -= 1
            return batch

        predict = predict_with_features = _call

    shared = SerializedPredictor(Slow())
    calls = [shared.predict, shared.predict_with_features] * 4
    threads = [threading.Thread(target=call, args=(1,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Slow.most == 1 and shared.path == "slow.tflite"


def test_results_posted_at_once_come_on_the_worker(tmp_path, pen_digits):
    """Without a ``post`` the results are announced on the worker thread."""
    session = Session(profile=tmp_path / "profile")
    session.replace_recognizer(Recognizer(Fives()))
    threads = []
    session.reading_ready.connect(lambda *args: threads.append(threading.get_ident()))
    session.read(picture_drawing(pen_digits, 123))
    assert session.wait(20)
    assert threads and threads[0] != threading.get_ident()

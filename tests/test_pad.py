"""The pad's state without Qt: drawing, undo history, reading, hit-testing, status line."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from digitpad.ink import Ink
from digitpad.pad import (
    HINT,
    SURELY_ANOTHER,
    AddStroke,
    Command,
    Drawing,
    Event,
    Pad,
    model_description,
)
from digitpad.recognize import DigitPrediction, Prediction

SPACE = (400.0, 300.0)


def stroke(x0, y0, x1, y1, n=5):
    return np.column_stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n), np.arange(n)])


def one_hot(digit, confidence=0.9):
    p = np.full(10, (1 - confidence) / 9)
    p[digit] = confidence
    return p


def digit(d, box, confidence=0.9):
    return DigitPrediction(d, confidence, one_hot(d, confidence), box, np.zeros((28, 28)))


def number(*digits_and_boxes):
    return Prediction.from_digits([digit(d, box) for d, box in digits_and_boxes])


class Recorder:
    """Subscribes to both events and counts them."""

    def __init__(self, pad):
        self.drawing = self.reading = 0
        pad.drawing_changed.connect(self.on_drawing)
        pad.reading_changed.connect(self.on_reading)

    def on_drawing(self):
        self.drawing += 1

    def on_reading(self):
        self.reading += 1


def test_no_qt_is_imported():
    import subprocess

    code = "import sys, digitpad.pad; print([m for m in sys.modules if 'PySide6' in m])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_event_calls_its_callbacks_in_order_until_disconnected():
    event, calls = Event(), []
    first = event.connect(lambda x: calls.append(("first", x)))
    event.connect(lambda x: calls.append(("second", x)))
    event.emit(1)
    event.disconnect(first)
    event.emit(2)
    assert calls == [("first", 1), ("second", 1), ("second", 2)]


def test_strokes_the_first_fixes_the_ink_space():
    pad = Pad()
    events = Recorder(pad)
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    pad.add_stroke(stroke(50, 10, 50, 90), (999, 999))  # the space stays the first one's
    ink = pad.ink()
    assert (ink.width, ink.height) == SPACE
    assert len(ink.strokes) == 2 and ink.strokes[1][0, 0] == 50
    assert events.drawing == 2
    pad.add_stroke([], SPACE)  # nothing drawn, nothing recorded
    assert pad.undo_steps == 2 and events.drawing == 2


def test_ink_with_a_stroke_being_drawn_and_a_space_before_the_first_stroke():
    pad = Pad()
    ink = pad.ink(stroke(0, 0, 5, 5), space=(20, 30))
    assert (ink.width, ink.height) == (20, 30) and len(ink.strokes) == 1
    assert pad.is_empty  # the stroke being drawn is not part of the drawing


def test_undo_redo_and_clear_as_an_undoable_step():
    pad = Pad()
    first, second = stroke(10, 10, 10, 90), stroke(50, 10, 50, 90)
    pad.add_stroke(first, SPACE)
    pad.add_stroke(second, SPACE)
    pad.clear()
    assert pad.is_empty and pad.drawing.space is None
    pad.undo()
    assert len(pad.drawing.strokes) == 2 and pad.drawing.space == SPACE
    pad.undo()
    np.testing.assert_array_equal(pad.drawing.strokes, [first])
    assert pad.can_redo
    pad.redo()
    np.testing.assert_array_equal(pad.drawing.strokes, [first, second])
    pad.undo()
    pad.undo()
    assert pad.is_empty and pad.drawing.space is None and not pad.can_undo
    pad.undo()  # nothing left: no error, nothing changes
    assert pad.is_empty
    # A new stroke after Undo drops what could have been redone.
    pad.redo()
    pad.add_stroke(stroke(0, 0, 9, 9), SPACE)
    assert not pad.can_redo and len(pad.drawing.strokes) == 2


def test_subscribers_see_the_history_as_it_is_after_the_change():
    pad, seen = Pad(), []
    pad.drawing_changed.connect(lambda: seen.append((pad.can_undo, pad.can_redo)))
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    pad.undo()
    pad.redo()
    assert seen == [(True, False), (False, True), (True, False)]


def test_clearing_an_empty_pad_is_no_step():
    pad = Pad()
    pad.clear()
    assert not pad.can_undo


def test_history_depth_is_bounded():
    pad = Pad(undo_depth=5)
    for i in range(12):
        pad.add_stroke(stroke(i, 0, i, 9), SPACE)
    assert pad.undo_steps == 5
    for _ in range(10):
        pad.undo()
    assert len(pad.drawing.strokes) == 7  # the oldest 7 strokes can no longer be taken back


def test_history_keeps_a_bounded_number_of_picture_pixels():
    pad = Pad(history_pixels=300_000)  # room for three pictures of 300 x 300
    for _ in range(6):
        pad.set_picture(Image.new("L", (300, 300)), Image.new("RGBA", (300, 300)))
    # Each step holds the picture before it and after it; the last two steps hold three.
    assert pad.undo_steps == 2
    pad.add_stroke(stroke(0, 0, 9, 9), SPACE)  # a stroke on a picture: clear, then the stroke
    assert not pad.drawing.has_picture and len(pad.drawing.strokes) == 1


def test_set_ink_and_pictures_are_undoable_and_come_back_on_redo():
    pad = Pad()
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    ink = Ink([[(1, 1), (20, 40)]], 100, 200)
    pad.set_ink(ink)
    assert pad.drawing.space == (100, 200) and len(pad.drawing.strokes) == 1
    picture, shown = Image.new("L", (60, 40), 255), Image.new("RGBA", (60, 40))
    pad.set_picture(picture, shown)
    assert pad.drawing.has_picture and pad.drawing.picture is picture
    assert pad.drawing.shown_picture is shown and not pad.drawing.strokes
    pad.undo()
    assert not pad.drawing.has_picture and pad.drawing.space == (100, 200)
    pad.redo()
    assert pad.drawing.picture is picture


def test_ink_without_a_size_gets_room_around_its_bounds():
    pad = Pad()
    pad.set_ink(Ink([[(10, 20), (110, 220)]]))
    assert pad.drawing.space == (120, 240)


class SetFlag(Command):
    """A command of another kind than the drawing's, as corrections will be."""

    def __init__(self, log):
        self.log = log

    def apply(self, pad):
        self.log.append("apply")

    def revert(self, pad):
        self.log.append("revert")


def test_any_command_shares_the_undo_stack():
    pad, log = Pad(), []
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    pad.execute(SetFlag(log))
    pad.undo()
    assert log == ["apply", "revert"] and len(pad.drawing.strokes) == 1
    pad.redo()
    assert log == ["apply", "revert", "apply"]
    pad.undo()
    pad.undo()
    assert pad.is_empty and log[-1] == "revert"
    assert isinstance(AddStroke(stroke(0, 0, 1, 1), SPACE), Command)


def test_a_new_drawing_forgets_the_reading_and_the_selection():
    pad = Pad()
    events = Recorder(pad)
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    pad.set_reading(number((1, (0, 0, 20, 100)), (7, (50, 0, 90, 100))))
    pad.select_at(10, 50)
    assert pad.selected_digit == 0
    before = events.reading
    pad.add_stroke(stroke(100, 10, 100, 90), SPACE)
    assert pad.reading is None and pad.selected_digit is None
    assert events.reading == before + 1


def test_hit_testing_a_point_to_a_digit():
    pad = Pad()
    pad.add_stroke(stroke(0, 0, 1, 1), SPACE)
    pad.set_reading(number((2, (0, 0, 40, 100)), (0, (60, 0, 100, 100)), (7, (120, 0, 160, 100))))
    assert pad.digit_boxes() == [(0, 0, 40, 100), (60, 0, 100, 100), (120, 0, 160, 100)]
    assert pad.digit_at(20, 50) == 0
    assert pad.digit_at(80, 50) == 1
    assert pad.digit_at(172, 110) == 2  # within 15% of the height outside the box
    assert pad.digit_at(180, 50) is None
    assert pad.digit_at(80, 130) is None


def test_the_bars_show_the_last_digit_unless_one_is_pointed_at():
    pad = Pad()
    events = Recorder(pad)
    pad.add_stroke(stroke(0, 0, 1, 1), SPACE)
    pad.set_reading(number((2, (0, 0, 40, 100)), (0, (60, 0, 100, 100)), (7, (120, 0, 160, 100))))
    assert pad.shown_index() == 2 and pad.shown_prediction().digit == 7
    count = events.reading
    pad.select_at(20, 50)
    assert pad.selected_digit == 0 and pad.shown_prediction().digit == 2
    assert events.reading == count + 1
    pad.select_at(20, 60)  # the same digit: no event
    pad.select_at(300, 300)  # nowhere: the selection stays
    assert events.reading == count + 1 and pad.selected_digit == 0
    shown = pad.shown_prediction()
    assert shown.probabilities.argmax() == 2
    # A new reading of the same drawing keeps a selection that still exists.
    pad.set_reading(number((2, (0, 0, 40, 100)), (1, (60, 0, 100, 100))))
    assert pad.selected_digit == 0
    pad.set_reading(number((4, (0, 0, 40, 100))))
    assert pad.selected_digit is None and pad.shown_index() is None
    assert pad.shown_prediction() is pad.reading


def test_a_picture_of_a_number_has_boxes_in_its_pixels_and_a_single_digit_none():
    pad = Pad()
    pad.set_picture(Image.new("L", (10, 10)), Image.new("RGBA", (10, 10)))
    pad.set_reading(number((1, (0, 0, 4, 10)), (2, (5, 0, 9, 10))))
    assert pad.digit_boxes() == [(0, 0, 4, 10), (5, 0, 9, 10)]
    assert pad.digit_at(2, 5) == 0 and pad.digit_at(7, 5) == 1
    pad.select_at(7, 5)
    assert pad.selected_digit == 1 and pad.shown_prediction().digit == 2
    pad.set_reading(number((1, (0, 0, 4, 10))))
    assert pad.digit_boxes() == [] and pad.digit_at(2, 5) is None
    pad.set_ink(Ink([[(1, 1), (2, 9)]], 10, 10))
    pad.set_reading(number((1, (1, 1, 2, 9))))
    assert pad.digit_boxes() == []


@pytest.mark.parametrize(
    "setup, expected",
    [
        (lambda pad: None, HINT),
        (lambda pad: pad.add_stroke(stroke(0, 0, 9, 9), SPACE), "Loading the model…"),
    ],
)
def test_status_before_the_model_is_loaded(setup, expected):
    pad = Pad()
    setup(pad)
    assert pad.status_text() == expected


def test_status_line():
    pad = Pad()
    pad.set_model_loaded()
    assert pad.has_model and pad.status_text() == HINT
    pad.add_stroke(stroke(0, 0, 9, 9), SPACE)
    assert pad.status_text() == "Reading…"
    pad.set_reading(Prediction.from_probabilities(one_hot(8, 0.973), np.zeros((28, 28))))
    assert pad.status_text() == "Looks like an 8 (97.3%)."
    pad.set_reading(Prediction.from_probabilities(one_hot(3, 0.45), np.zeros((28, 28))))
    assert pad.status_text() == ("Not sure: maybe a 3 (45.0%). Try writing it more clearly.")
    pad.set_reading(Prediction(None, None, None, None))
    assert pad.status_text() == "Too small to recognize; draw the digit larger."
    pad.set_reading(number((2, (0, 0, 4, 10)), (7, (5, 0, 9, 10))))
    assert pad.status_text() == (
        "Looks like 27 (81.0% sure of every digit). Point at a digit to see its bars."
    )
    pad.set_picture(Image.new("L", (10, 10)), Image.new("RGBA", (10, 10)))
    assert pad.status_text() == "Reading the picture…"
    pad.set_reading(Prediction(None, None, None, None))
    assert pad.status_text() == "No digit found in the picture."


def test_status_without_a_model():
    pad = Pad()
    pad.set_model_loaded("model.tflite: model file not found")
    assert not pad.has_model and pad.model_error == "model.tflite: model file not found"
    assert pad.status_text() == HINT
    pad.add_stroke(stroke(0, 0, 9, 9), SPACE)
    assert pad.status_text() == "No model: model.tflite: model file not found"


def test_model_description_reads_the_card():
    card = {
        "name": "digitpad-digitpad",
        "recipe": "digitpad",
        "test": {"mnist": {"accuracy": 0.9961}},
    }
    assert model_description("model.tflite", card) == (
        "Model: digitpad recipe · 99.61% on MNIST test"
    )
    assert model_description("my.tflite", None) == "Model: my.tflite · test accuracy unknown"
    assert model_description("my.tflite", {"test": "?"}) == (
        "Model: my.tflite · test accuracy unknown"
    )


def test_drawing_is_a_snapshot():
    drawing = Drawing((stroke(0, 0, 1, 1),), SPACE)
    with pytest.raises(AttributeError):
        drawing.space = None


# -- corrections: teaching a profile, undone and redone on the stack ---------------------


class ProfileTeacher:
    """Teaches a real profile through a Recognizer, as the window does (minus its lock)."""

    def __init__(self, recognizer):
        self.recognizer = recognizer

    def learn(self, source, digit):
        return self.recognizer.learn(source, digit)

    def forget(self, example):
        self.recognizer.profile.forget(example)


@pytest.fixture
def taught(tmp_path):
    from digitpad.profile import Profile, default_profile_dir
    from digitpad.recognize import Recognizer

    profile = Profile(tmp_path / "profile")
    assert profile.folder != default_profile_dir()
    return ProfileTeacher(Recognizer(profile=profile))


def read_into(pad, recognizer):
    """What the window does: read the drawing and give the pad its reading."""
    pad.set_reading(recognizer.ink(pad.ink()))


def test_a_correction_is_learned_undone_and_redone(taught, pen_digits):
    label, ink = pen_digits[8]  # a 0
    recognizer = taught.recognizer
    pad = Pad()
    pad.examples_changed.connect(lambda: read_into(pad, recognizer))
    reread = []
    pad.examples_changed.connect(lambda: reread.append(pad.reading.digit))
    pad.set_ink(ink)
    read_into(pad, recognizer)
    assert pad.reading.digit == label == 0

    assert pad.correct(6, taught)
    (example,) = recognizer.profile.examples()
    assert example.digit == 6 and example.file.suffix == ".json"
    assert reread == [6] and pad.reading.digit == 6  # read again at once, with the example
    assert pad.undo_steps == 2  # the drawing, and the correction

    pad.undo()
    assert recognizer.profile.examples() == [] and not example.file.exists()
    assert pad.reading.digit == 0 and pad.can_redo
    assert len(pad.drawing.strokes) == len(ink.strokes)  # the drawing is untouched

    pad.redo()
    (again,) = recognizer.profile.examples()
    assert again.digit == 6 and pad.reading.digit == 6
    assert reread == [6, 0, 6]


def test_a_digit_of_a_number_teaches_only_its_own_strokes(taught, pen_digits):
    from digitpad.segment import segment_ink

    (_, one), (_, seven) = pen_digits[38], pen_digits[218]  # a 1 and a 7
    x0, _, x1, _ = one.bounds()
    shift = x1 - x0 + 60
    strokes = [*one.strokes, *[s + np.array([shift, 0, 0][: s.shape[1]]) for s in seven.strokes]]
    pad = Pad()
    pad.set_ink(Ink(strokes))
    read_into(pad, taught.recognizer)
    assert len(pad.reading.digits) == 2
    first = pad.reading.digits[0].box
    pad.select_at((first[0] + first[2]) / 2, (first[1] + first[3]) / 2)
    assert pad.shown_index() == 0

    source = pad.correction_source()
    assert isinstance(source, Ink) and len(source.strokes) == len(one.strokes)
    assert np.allclose(segment_ink(source)[0].box, first)
    assert pad.correct(4, taught)
    assert [e.digit for e in taught.recognizer.profile.examples()] == [4]


def test_a_picture_teaches_what_the_model_saw():
    model_input = np.zeros((28, 28), np.float32)
    model_input[4:24, 12:16] = 1.0
    pad = Pad()
    pad.set_picture(Image.new("L", (40, 40)), Image.new("RGBA", (40, 40)))
    reading = Prediction.from_digits(
        [DigitPrediction(1, 0.9, one_hot(1), (0, 0, 40, 40), model_input)]
    )
    pad.set_reading(reading)
    source = pad.correction_source()
    assert source.dtype == np.uint8 and source.shape == (28, 28)
    assert np.array_equal(source, (model_input * 255).astype(np.uint8))


def test_a_digit_of_a_picture_pointed_at_teaches_what_the_model_saw_of_it():
    inputs = [np.zeros((28, 28), np.float32) for _ in range(3)]
    for index, model_input in enumerate(inputs):
        model_input[4:24, 4 + 6 * index : 8 + 6 * index] = 1.0
    pad = Pad()
    pad.set_picture(Image.new("L", (90, 30)), Image.new("RGBA", (45, 15)))
    boxes = [(0, 0, 30, 30), (30, 0, 60, 30), (60, 0, 90, 30)]
    pad.set_reading(
        Prediction.from_digits(
            [
                DigitPrediction(d, 0.9, one_hot(d), box, x)
                for d, box, x in zip((1, 2, 3), boxes, inputs, strict=True)
            ]
        )
    )
    assert np.array_equal(pad.correction_source(), (inputs[2] * 255).astype(np.uint8))
    pad.select_at(45, 15)  # the middle digit, in the picture's own pixels
    assert pad.shown_index() == 1
    assert np.array_equal(pad.correction_source(), (inputs[1] * 255).astype(np.uint8))


def test_nothing_to_correct_and_failed_learning_leave_the_stack_alone():
    class Failing:
        def learn(self, source, digit):
            raise OSError("the disk is full")

        def forget(self, example):
            raise AssertionError("nothing was learned")

    pad = Pad()
    assert not pad.correct(3, Failing())  # nothing drawn
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    assert not pad.can_correct and not pad.correct(3, Failing())  # not read yet
    pad.set_reading(number((1, (10, 10, 10, 90))))
    with pytest.raises(OSError):
        pad.correct(3, Failing())
    assert pad.undo_steps == 1  # only the stroke


def test_status_line_counts_the_examples_in_use():
    pad = Pad()
    pad.set_model_loaded()
    recorder = Recorder(pad)
    pad.set_examples_in_use(12)
    assert recorder.reading == 1
    assert pad.status_text() == f"{HINT.rstrip('.')} · 12 of your examples"
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    pad.set_reading(number((1, (10, 10, 10, 90))))
    assert pad.status_text() == "Looks like a 1 (90.0%) · 12 of your examples"
    pad.set_examples_in_use(0)
    assert pad.status_text() == "Looks like a 1 (90.0%)."
    pad.set_examples_in_use(3)
    pad.set_model_loaded("broken.tflite")  # no model: no examples in use
    assert "of your examples" not in pad.status_text()


def test_a_guided_round_asks_for_each_digit_and_learns_it(taught, pen_digits):
    recognizer = taught.recognizer
    pad = Pad()
    pad.set_model_loaded()
    pad.examples_changed.connect(lambda: pad.set_examples_in_use(recognizer.prepare()))
    pad.start_guided_round(times=2)
    assert pad.status_text() == "Write a 0 (1 of 2), then press Enter."
    assert not pad.accept_guided(taught)  # nothing written yet
    by_label = {}
    for label, ink in pen_digits:
        by_label.setdefault(label, []).append(ink)
    for n in range(20):
        digit = n // 2
        assert pad.guided_round.digit == digit
        pad.set_ink(by_label[digit][n % 2])
        read_into(pad, recognizer)
        assert pad.accept_guided(taught)
        assert pad.is_empty  # cleared for the next one
    assert pad.guided_round is None
    assert [e.digit for e in recognizer.profile.examples()] == [n // 2 for n in range(20)]
    assert pad.status_text() == f"{HINT.rstrip('.')} · 20 of your examples"


def test_a_guided_round_can_be_stopped():
    pad = Pad()
    pad.set_model_loaded()
    pad.start_guided_round()
    assert pad.status_text().startswith("Write a 0 (1 of 3)")
    pad.stop_guided_round()
    assert pad.guided_round is None and pad.status_text() == HINT


class ListTeacher:
    """Keeps examples in a list: learn appends (source, digit), forget removes it."""

    def __init__(self):
        self.examples = []

    def learn(self, source, digit):
        example = (source, digit)
        self.examples.append(example)  # forgotten by identity: Ink has no truth value
        return example

    def forget(self, example):
        self.examples = [e for e in self.examples if e is not example]


def test_undo_takes_a_guided_example_back_and_asks_for_that_digit_again():
    pad, teacher = Pad(), ListTeacher()
    pad.set_model_loaded()
    pad.start_guided_round(times=1)
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    pad.set_reading(number((0, (10, 10, 10, 90))))
    drawn = pad.drawing
    assert pad.accept_guided(teacher)
    assert [d for _, d in teacher.examples] == [0] and pad.is_empty
    assert pad.guided_round.hint() == "Write a 1 (1 of 1)"

    pad.undo()  # the example, not only the drawing
    assert teacher.examples == [] and pad.drawing is drawn
    assert pad.guided_round.hint() == "Write a 0 (1 of 1)"
    assert pad.status_text() == "Write a 0 (1 of 1), then press Enter."
    pad.redo()
    assert [d for _, d in teacher.examples] == [0] and pad.is_empty
    assert pad.guided_round.digit == 1

    # The last example ends the round; undoing it brings the round back.
    for d in range(1, 10):
        pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
        pad.set_reading(number((d, (10, 10, 10, 90))))
        assert pad.accept_guided(teacher)
    assert pad.guided_round is None and len(teacher.examples) == 10
    pad.undo()
    assert pad.guided_round is not None and pad.guided_round.digit == 9
    assert [d for _, d in teacher.examples] == list(range(9))


def test_a_guided_example_that_cannot_be_learned_is_no_step():
    class Failing:
        def learn(self, source, digit):
            raise OSError("disk full")

    pad = Pad()
    pad.start_guided_round()
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    pad.set_reading(number((0, (10, 10, 10, 90))))
    steps = pad.undo_steps
    with pytest.raises(OSError):
        pad.accept_guided(Failing())
    assert pad.undo_steps == steps and not pad.is_empty and pad.guided_round.done == 0


def test_the_guided_round_doubts_a_digit_surely_read_as_another():
    pad = Pad()
    assert pad.guided_doubt() is None  # no round
    pad.start_guided_round()
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    assert pad.guided_doubt() is None  # not read yet
    box = (10, 10, 10, 90)
    pad.set_reading(Prediction.from_digits([digit(7, box, confidence=SURELY_ANOTHER)]))
    assert pad.guided_doubt() == "7"
    pad.set_reading(Prediction.from_digits([digit(7, box, confidence=SURELY_ANOTHER - 0.01)]))
    assert pad.guided_doubt() is None  # not sure enough to ask
    pad.set_reading(Prediction.from_digits([digit(0, box, confidence=0.99)]))
    assert pad.guided_doubt() is None  # the digit asked for
    two = [digit(1, box, confidence=0.99), digit(0, (40, 10, 60, 90), confidence=0.99)]
    pad.set_reading(Prediction.from_digits(two))
    assert pad.guided_doubt() == "10"


def test_work_not_saved_opened_or_copied_is_modified():
    pad = Pad()
    assert not pad.is_modified and pad.file_name is None
    pad.add_stroke(stroke(10, 10, 10, 90), SPACE)
    assert pad.is_modified
    pad.mark_kept("one.png")  # saved
    assert not pad.is_modified and pad.file_name == "one.png"
    pad.add_stroke(stroke(30, 10, 30, 90), SPACE)
    assert pad.is_modified and pad.file_name == "one.png"  # strokes added keep the name
    pad.undo()
    assert not pad.is_modified  # back to what was saved
    pad.redo()
    assert pad.is_modified
    pad.undo()
    pad.redo()  # the same drawing again, not a copy of it
    pad.mark_kept()  # copied: kept, the name stays
    assert not pad.is_modified and pad.file_name == "one.png"
    pad.clear()
    assert not pad.is_modified and pad.file_name is None  # nothing to lose
    pad.undo()
    assert pad.file_name == "one.png" and not pad.is_modified


def test_a_drawing_opened_from_a_file_is_kept_and_named_and_a_pasted_one_is_not():
    pad = Pad()
    pad.set_ink(Ink([stroke(10, 10, 10, 90)]), file_name="seven.json")
    assert pad.file_name == "seven.json" and not pad.is_modified
    picture = Image.new("L", (20, 20))
    pad.set_picture(picture, picture.convert("RGBA"), file_name="photo.jpg")
    assert pad.file_name == "photo.jpg" and not pad.is_modified
    pad.set_ink(Ink([stroke(10, 10, 10, 90)]))  # pasted
    assert pad.file_name is None and pad.is_modified
    pad.undo()
    assert pad.file_name == "photo.jpg" and not pad.is_modified


def zigzag(x0, x1, y0, y1, turns):
    """A stroke going left and right ``turns`` times between x0 and x1, from y0 down to y1."""
    xs = [x0 if i % 2 == 0 else x1 for i in range(turns + 2)]
    ys = np.linspace(y0, y1, len(xs))
    return np.column_stack([xs, ys, np.arange(len(xs))])


def two_strokes_and_a_digit():
    """A "1" and a "+" (two strokes) side by side, read as such."""
    pad = Pad()
    pad.add_stroke(stroke(50, 50, 50, 200), SPACE)
    pad.add_stroke(stroke(250, 50, 250, 200), SPACE)
    pad.add_stroke(stroke(200, 125, 300, 125), SPACE)
    boxes = [box for box, _ in pad.digit_strokes()]
    pad.set_reading(number((1, boxes[0]), (4, boxes[1])))
    return pad


def test_the_strokes_of_each_digit_are_those_the_reader_splits_it_into():
    pad = two_strokes_and_a_digit()
    assert pad.digit_strokes() == [((50, 50, 50, 200), [0]), ((200, 50, 300, 200), [1, 2])]
    picture = Image.new("L", (20, 20))
    pad.set_picture(picture, picture.convert("RGBA"))
    assert pad.digit_strokes() == []


def test_delete_erases_the_digit_pointed_at_or_else_the_last_stroke():
    pad = two_strokes_and_a_digit()
    first, second, third = pad.drawing.strokes
    pad.select_at(250, 100)
    assert pad.selected_digit == 1
    steps = pad.undo_steps
    assert pad.erase_pointed()  # the "+": both its strokes, in one step
    assert pad.drawing.strokes == (first,) and pad.undo_steps == steps + 1
    pad.undo()
    assert pad.drawing.strokes == (first, second, third)
    assert pad.selected_digit is None  # the reading is gone with the drawing it was of
    assert pad.erase_pointed()  # nothing pointed at: the last stroke
    assert pad.drawing.strokes == (first, second)
    pad.undo()
    pad.redo()
    assert pad.drawing.strokes == (first, second)
    assert pad.erase_pointed() and pad.erase_pointed()
    assert pad.is_empty and not pad.erase_pointed()
    picture = Image.new("L", (20, 20))
    pad.set_picture(picture, picture.convert("RGBA"))
    assert pad.erase_pointed() and pad.is_empty  # a picture is cleared


def test_erasing_strokes_keeps_the_file_the_drawing_belongs_to():
    pad = two_strokes_and_a_digit()
    pad.mark_kept("14.png")
    pad.erase_pointed()
    assert pad.file_name == "14.png" and pad.is_modified
    pad.undo()
    assert not pad.is_modified


def test_a_zigzag_over_a_digit_scratches_it_out():
    pad = two_strokes_and_a_digit()
    strokes = pad.drawing.strokes
    steps = pad.undo_steps
    pad.add_stroke(zigzag(210, 290, 70, 180, turns=3), SPACE)  # over the "+"
    assert pad.drawing.strokes == strokes[:1] and pad.undo_steps == steps + 1
    pad.undo()  # the digit back, and no zig-zag
    assert pad.drawing.strokes == strokes
    pad.add_stroke(zigzag(30, 70, 60, 190, turns=4), SPACE)  # over the "1" (its margin too)
    assert pad.drawing.strokes == strokes[1:]


@pytest.mark.parametrize(
    "points",
    [
        zigzag(210, 290, 70, 180, turns=2),  # too few turns: a Z is a stroke
        zigzag(70, 180, 210, 290, turns=3)[:, [1, 0, 2]],  # turns up and down
        zigzag(320, 390, 70, 180, turns=5),  # over no digit
        zigzag(100, 240, 70, 180, turns=3),  # less than half over the digit
        np.column_stack([[250, 251, 250, 251, 250], np.linspace(80, 160, 5), range(5)]),  # wobble
    ],
    ids=["z", "vertical", "beside", "less-than-half-over", "wobble"],
)
def test_other_strokes_over_a_digit_are_strokes(points):
    pad = two_strokes_and_a_digit()
    count = len(pad.drawing.strokes)
    pad.add_stroke(points, SPACE)
    assert len(pad.drawing.strokes) == count + 1


def test_a_zigzag_digit_read_while_it_is_written_is_a_stroke():
    # The pad is read live, the stroke being written with it: a 3 written after a
    # digit is in the reading when it is released, a digit of no stroke of the
    # drawing yet, and what it lies over is itself, not a digit to scratch out.
    pad = Pad()
    one = stroke(50, 50, 50, 200)
    pad.add_stroke(one, SPACE)
    three = zigzag(150, 250, 50, 200, turns=3)
    box_one, box_three = (50.0, 50.0, 50.0, 200.0), (150.0, 50.0, 250.0, 200.0)
    live = Prediction.from_digits(
        [
            DigitPrediction(1, 0.9, one_hot(1), box_one, np.zeros((28, 28)), Ink([one[:, :2]])),
            DigitPrediction(3, 0.9, one_hot(3), box_three, np.zeros((28, 28)), Ink([three[:, :2]])),
        ]
    )
    pad.set_reading(live)
    assert pad.digit_strokes() == [(box_one, [0]), (box_three, [])]
    pad.add_stroke(three, SPACE)
    assert len(pad.drawing.strokes) == 2


def test_a_zigzag_on_an_empty_pad_is_a_stroke():
    pad = Pad()
    pad.add_stroke(zigzag(210, 290, 70, 180, turns=5), SPACE)
    assert len(pad.drawing.strokes) == 1


def test_strokes_keep_the_width_they_were_drawn_with():
    pad = Pad()
    pad.set_ink(Ink([stroke(10, 10, 10, 90)]))  # opened: shown at the brush's width
    pad.add_stroke(stroke(100, 10, 100, 90), SPACE, width=20)
    pad.add_stroke(stroke(200, 10, 200, 90), SPACE, width=8)
    pad.add_stroke(stroke(300, 10, 300, 90), SPACE, width=20)
    drawing = pad.drawing
    assert drawing.stroke_widths(14) == [14, 20, 8, 20]
    groups = drawing.strokes_by_width(14)
    assert [(w, len(s)) for w, s in groups] == [(14, 1), (20, 2), (8, 1)]
    assert groups[1][1][1] is drawing.strokes[3]
    pad.select_at(0, 0)
    pad.erase_pointed()  # the last stroke: the others keep their widths
    assert pad.drawing.stroke_widths(30) == [30, 20, 8]
    pad.set_ink(Ink([stroke(10, 10, 10, 90), stroke(50, 10, 50, 90)]), width=12)
    assert pad.drawing.stroke_widths(30) == [12, 12]

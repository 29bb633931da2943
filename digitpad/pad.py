"""The drawing pad's state without Qt: the drawing, its history, the reading and the status line.

:class:`Pad` holds what the pad window shows; widgets subscribe to its events
and draw it, and the window feeds it input and recognition results. Nothing
here imports Qt, so every rule (undo, hit-testing, what the status line says)
is tested with plain pytest.

>>> pad = Pad()
>>> pad.add_stroke([(10, 10), (10, 90)], space=(100, 100))
>>> pad.clear()
>>> pad.undo()
>>> len(pad.drawing.strokes)
1

Every change of the drawing is a :class:`Command` on one undo stack, so
commands of other kinds undo and redo the same way: subclass :class:`Command`
and pass it to :meth:`Pad.execute`. :class:`Correction` is one: "this digit is
a 4" teaches a person's profile (through a :class:`Teacher`), and its undo
forgets that example again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from PIL import Image

from .ink import Ink
from .recognize import DigitPrediction, Prediction
from .segment import segment_ink

__all__ = [
    "Event",
    "Drawing",
    "Command",
    "AddStroke",
    "ReplaceDrawing",
    "Teacher",
    "Correction",
    "GuidedRound",
    "Pad",
    "UNDO_DEPTH",
    "UNSURE_BELOW",
    "HINT",
    "percent",
    "model_description",
]

#: Undo steps kept; older ones are dropped so that a long session stays bounded.
UNDO_DEPTH = 100
#: Pictures the undo history may hold in all, in pixels (about four 35 MP photos);
#: older steps are dropped beyond it.
HISTORY_PIXELS = 150_000_000
#: Below this top probability the panel and status line say "not sure".
UNSURE_BELOW = 0.6
#: Hovering this far outside a digit's box (a fraction of its height) still selects it.
HIT_MARGIN = 0.15
HINT = "Draw a digit with the mouse, a pen or a finger, or open, paste or drop an image."


def percent(probability: float) -> str:
    """A probability as the bars show it, e.g. ``97.3%``."""
    return f"{probability * 100:.1f}%"


class Event:
    """A list of callbacks called in order by :meth:`emit` (observer pattern, no Qt)."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> Callable:
        """Call ``callback(*args)`` on every :meth:`emit`; returns it (usable as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


@dataclass(frozen=True, eq=False)
class Drawing:
    """What the pad shows: strokes in an ink space, or a picture. Never changed in place.

    Attributes
    ----------
    strokes : tuple of ndarray
        Each (n, 3) ``x, y, t_ms`` or (n, 4) with pressure, in ink coordinates.
    space : (width, height) or None
        The ink coordinate space (the canvas size when the drawing was started);
        None until the first stroke.
    picture : PIL.Image.Image or None
        An opened, pasted or dropped picture as read: what is recognized.
    shown_picture : PIL.Image.Image or None
        The picture as 8-bit RGBA no larger than the screen needs: what is
        drawn, saved and copied.
    """

    strokes: tuple[np.ndarray, ...] = ()
    space: tuple[float, float] | None = None
    picture: Image.Image | None = None
    shown_picture: Image.Image | None = None

    @property
    def is_empty(self) -> bool:
        return not self.strokes and self.picture is None

    @property
    def has_picture(self) -> bool:
        return self.picture is not None

    def ink(
        self, extra_stroke: np.ndarray | None = None, space: tuple[float, float] | None = None
    ) -> Ink:
        """The strokes as :class:`~digitpad.ink.Ink`.

        ``extra_stroke`` (one being drawn) is added last; ``space`` stands in
        for the ink space while the drawing has none.
        """
        strokes = list(self.strokes)
        if extra_stroke is not None and len(extra_stroke):
            strokes.append(np.asarray(extra_stroke, dtype=np.float64))
        width, height = self.space or space or (None, None)
        return Ink(strokes, width, height)


EMPTY = Drawing()


class Command:
    """One undoable step. Subclasses change the pad in :meth:`apply` and undo it in :meth:`revert`.

    ``apply`` runs when the command is executed and on every redo; ``revert``
    on every undo, and must bring back exactly the state ``apply`` found.
    After either, the pad emits ``reading_changed`` (and ``drawing_changed``
    first when the drawing was replaced), so a command that changes other
    state of the pad (a corrected digit, say) needs no events of its own.
    """

    def pictures(self) -> list[Image.Image]:
        """The pictures this step keeps alive (the history's size is bounded by them)."""
        return []

    def apply(self, pad: Pad) -> None:
        raise NotImplementedError

    def revert(self, pad: Pad) -> None:
        raise NotImplementedError


@dataclass(eq=False)
class AddStroke(Command):
    """A stroke drawn; the first one also fixes the ink space."""

    stroke: np.ndarray
    space: tuple[float, float]
    _before: Drawing | None = field(default=None, repr=False)

    def apply(self, pad: Pad) -> None:
        self._before = pad.drawing
        before = pad.drawing
        space = before.space or self.space
        pad._set_drawing(Drawing((*before.strokes, self.stroke), space))

    def revert(self, pad: Pad) -> None:
        pad._set_drawing(self._before)


@dataclass(eq=False)
class ReplaceDrawing(Command):
    """The whole drawing replaced: clear, ink opened or pasted, a picture shown."""

    after: Drawing
    _before: Drawing | None = field(default=None, repr=False)

    def pictures(self) -> list[Image.Image]:
        drawings = (self._before, self.after)
        return [d.picture for d in drawings if d is not None and d.picture is not None]

    def apply(self, pad: Pad) -> None:
        self._before = pad.drawing
        pad._set_drawing(self.after)

    def revert(self, pad: Pad) -> None:
        pad._set_drawing(self._before)


class Teacher(Protocol):
    """What a :class:`Correction` teaches: a person's profile (e.g. through a Recognizer)."""

    def learn(self, source, digit: int) -> object:
        """Learn that ``source`` (Ink, or a picture of one digit) is ``digit``; returns the
        example, as :meth:`forget` takes it."""

    def forget(self, example: object) -> None:
        """Delete an example :meth:`learn` returned (one already gone is fine)."""


@dataclass(eq=False)
class Correction(Command):
    """The person says a digit of the drawing is ``digit``: learned on apply, forgotten on revert.

    Redo learns it again (a new example). Either way the pad emits
    ``examples_changed``, so the drawing is read again with the profile as it now is.
    """

    teacher: Teacher
    source: object
    digit: int
    example: object = field(default=None, repr=False)

    def apply(self, pad: Pad) -> None:
        self.example = self.teacher.learn(self.source, self.digit)
        pad._examples_changed = True

    def revert(self, pad: Pad) -> None:
        if self.example is not None:
            self.teacher.forget(self.example)
            self.example = None
        pad._examples_changed = True


@dataclass
class GuidedRound:
    """A short first lesson: write each digit ``times`` times, 0 to 9, each one learned.

    ``done`` counts the digits written so far; :attr:`digit` is the one asked for
    now (None once the round is over).
    """

    times: int = 3
    done: int = 0

    @property
    def total(self) -> int:
        return 10 * self.times

    @property
    def digit(self) -> int | None:
        return self.done // self.times if self.done < self.total else None

    def prompt(self) -> str:
        """What the status line asks for, e.g. ``"Write a 0 (1 of 3), then press Enter."``."""
        if self.digit is None:
            return f"Done: the pad learned {self.total} of your digits."
        return (
            f"Write {_a(self.digit)} ({self.done % self.times + 1} of {self.times}), "
            "then press Enter."
        )


class Pad:
    """The drawing, its undo history, the reading of it and the status line.

    Events (each an :class:`Event`; connect a callable):

    - ``drawing_changed()``: the drawing was replaced (stroke, undo, clear, ...);
      the reading is cleared with it until :meth:`set_reading` gives a new one.
    - ``reading_changed()``: the reading, the selected digit, the model or the
      count of the person's examples changed, or a command was done, undone or redone.
    - ``examples_changed()``: a :class:`Correction` was done, undone or redone;
      the drawing should be read again (the reading is kept until then).

    Parameters
    ----------
    undo_depth : int
        Undo steps kept.
    history_pixels : int
        Picture pixels the history may keep alive.
    """

    def __init__(self, undo_depth: int = UNDO_DEPTH, history_pixels: int = HISTORY_PIXELS):
        self.undo_depth = undo_depth
        self.history_pixels = history_pixels
        self.drawing_changed = Event()
        self.reading_changed = Event()
        self.examples_changed = Event()
        self._drawing = EMPTY
        self._drawing_replaced = False
        self._examples_changed = False
        self._examples_in_use = 0
        self._round: GuidedRound | None = None
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._reading: Prediction | None = None
        self._selected: int | None = None
        #: None while the model loads; True when loaded; else why it could not be.
        self._model: bool | str | None = None

    # -- the drawing and its history ----------------------------------------------------

    @property
    def drawing(self) -> Drawing:
        return self._drawing

    @property
    def is_empty(self) -> bool:
        return self._drawing.is_empty

    def ink(self, extra_stroke=None, space: tuple[float, float] | None = None) -> Ink:
        """The drawing's ink (see :meth:`Drawing.ink`)."""
        return self._drawing.ink(extra_stroke, space)

    def execute(self, command: Command) -> None:
        """Apply ``command`` and put it on the undo stack; what could be redone is dropped."""
        command.apply(self)
        self._undo.append(command)
        self._redo.clear()
        del self._undo[: -self.undo_depth]
        while len(self._undo) > 1 and self._history_pixels() > self.history_pixels:
            del self._undo[0]
        self._notify()

    def _history_pixels(self) -> int:
        pictures = {id(p): p for command in self._undo for p in command.pictures()}
        return sum(p.width * p.height for p in pictures.values())

    def add_stroke(self, points, space: tuple[float, float]) -> None:
        """Add a stroke of points ``(x, y[, t_ms[, pressure]])`` in ink coordinates.

        ``space`` becomes the ink space when the drawing has none yet. A stroke
        drawn over a picture starts a new drawing (one undo step clears the
        picture, the next removes the stroke).
        """
        stroke = np.array(points, dtype=np.float64)
        if not len(stroke):
            return
        if self._drawing.has_picture:
            self.clear()
        self.execute(AddStroke(stroke, (float(space[0]), float(space[1]))))

    def set_ink(self, ink: Ink) -> None:
        """Replace the drawing with ``ink`` (one undo step)."""
        strokes = tuple(np.array(s, dtype=np.float64) for s in ink.strokes if len(s))
        self.execute(ReplaceDrawing(Drawing(strokes, _ink_space(ink) if strokes else None)))

    def set_picture(self, picture: Image.Image, shown_picture: Image.Image) -> None:
        """Show a picture instead of the drawing (one undo step). See :class:`Drawing`."""
        self.execute(ReplaceDrawing(Drawing(picture=picture, shown_picture=shown_picture)))

    def clear(self) -> None:
        """Remove the drawing or picture (one undo step); nothing happens when empty."""
        if not self._drawing.is_empty:
            self.execute(ReplaceDrawing(EMPTY))

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_steps(self) -> int:
        """How many steps Undo can take back now."""
        return len(self._undo)

    def undo(self) -> None:
        if self._undo:
            command = self._undo.pop()
            command.revert(self)
            self._redo.append(command)
            self._notify()

    def redo(self) -> None:
        if self._redo:
            command = self._redo.pop()
            command.apply(self)
            self._undo.append(command)
            self._notify()

    def _set_drawing(self, drawing: Drawing) -> None:
        """For commands: replace the drawing and forget its reading.

        Subscribers hear of it once the command is on its stack, so that they
        see ``can_undo`` and ``can_redo`` as they now are.
        """
        self._drawing = drawing
        self._reading = None
        self._selected = None
        self._drawing_replaced = True

    def _notify(self) -> None:
        if self._drawing_replaced:
            self._drawing_replaced = False
            self.drawing_changed.emit()
        if self._examples_changed:
            self._examples_changed = False
            self.examples_changed.emit()
        self.reading_changed.emit()

    # -- the reading ----------------------------------------------------------------------

    @property
    def reading(self) -> Prediction | None:
        """What the model made of the drawing (all digits of a number); None: not read yet."""
        return self._reading

    @property
    def number(self) -> str | None:
        """The number read ("2026"); None when nothing is read."""
        return None if self._reading is None else self._reading.number

    def set_reading(self, reading: Prediction | None) -> None:
        """Give the reading of the current drawing.

        A digit selected by hovering stays selected while the reading still has it.
        """
        self._reading = reading
        if (
            reading is None
            or len(reading.digits) < 2
            or (self._selected or 0) >= len(reading.digits)
        ):
            self._selected = None
        self.reading_changed.emit()

    @property
    def selected_digit(self) -> int | None:
        """The digit of a number whose bars are shown: chosen by :meth:`select_at`, else None
        (the bars show the last digit written)."""
        return self._selected

    def shown_index(self) -> int | None:
        """Index of the digit the bars show, for a number of several digits; else None."""
        if self._reading is None or len(self._reading.digits) < 2:
            return None
        return self._selected if self._selected is not None else len(self._reading.digits) - 1

    def shown_prediction(self) -> Prediction | None:
        """What the bars show: the one digit, or the shown digit of a number."""
        index = self.shown_index()
        if index is None:
            return self._reading
        digit = self._reading.digits[index]
        return Prediction(digit.digit, digit.confidence, digit.probabilities, digit.input)

    def digit_boxes(self) -> list[tuple[float, float, float, float]]:
        """Boxes to outline over the ink, in ink coordinates: one per digit of a number."""
        reading = self._reading
        if reading is None or len(reading.digits) < 2 or self._drawing.has_picture:
            return []
        return [tuple(map(float, d.box)) for d in reading.digits]

    def digit_at(self, x: float, y: float) -> int | None:
        """The index of the digit of a drawn number at ink point (x, y), or None.

        A point within :data:`HIT_MARGIN` of a box's height outside it still counts.
        """
        for index, (x0, y0, x1, y1) in enumerate(self.digit_boxes()):
            margin = HIT_MARGIN * (y1 - y0)
            if x0 - margin <= x <= x1 + margin and y0 - margin <= y <= y1 + margin:
                return index
        return None

    def select_at(self, x: float, y: float) -> None:
        """Show the bars of the digit at ink point (x, y); elsewhere the selection stays."""
        index = self.digit_at(x, y)
        if index is not None and index != self._selected:
            self._selected = index
            self.reading_changed.emit()

    # -- corrections ----------------------------------------------------------------------

    @property
    def can_correct(self) -> bool:
        """Whether there is a digit to correct: the reading has one."""
        return self._reading is not None and bool(self._reading.digits)

    def correction_source(self):
        """What a correction of the shown digit learns from, or None when there is no digit.

        Ink of one digit: the whole ink. A digit of a drawn number: the strokes of
        that digit (the segment with its box). A digit of a picture: the 28x28
        picture the model saw (``uint8``, light ink on dark), since that is what a
        profile keeps of a picture anyway.
        """
        if not self.can_correct:
            return None
        digits = self._reading.digits
        chosen = digits[self.shown_index() or 0]
        if self._drawing.has_picture:
            return _input_picture(chosen)
        ink = self._drawing.ink()
        if len(digits) == 1:
            return ink
        for segment in segment_ink(ink):
            if np.allclose(segment.box, chosen.box):
                return segment.ink
        return _input_picture(chosen)  # not found again (the ink changed): what the model saw

    def correct(self, digit: int, teacher: Teacher) -> bool:
        """Teach that the shown digit (the one pointed at, or the only one) is ``digit``.

        One undo step (a :class:`Correction`). Returns False, changing nothing,
        when there is no digit to correct. Errors of ``teacher.learn``
        (``ValueError``, ``OSError``) propagate, and then nothing is on the stack.
        """
        source = self.correction_source()
        if source is None:
            return False
        self.execute(Correction(teacher, source, int(digit)))
        return True

    @property
    def guided_round(self) -> GuidedRound | None:
        """The guided round under way, or None."""
        return self._round

    def start_guided_round(self, times: int = 3) -> None:
        """Ask for each digit ``times`` times; the drawing is cleared (one undo step)."""
        self._round = GuidedRound(times)
        self.clear()
        self.reading_changed.emit()

    def stop_guided_round(self) -> None:
        if self._round is not None:
            self._round = None
            self.reading_changed.emit()

    def accept_guided(self, teacher: Teacher) -> bool:
        """Learn the whole drawing as the digit the round asks for, clear it, ask for the next.

        Returns False, changing nothing, without a round or with nothing read to learn.
        The example is not an undo step (write the digit again instead); errors of
        ``teacher.learn`` propagate.
        """
        round_ = self._round
        if round_ is None or round_.digit is None or not self.can_correct:
            return False
        # The whole ink, even where the reader split it: it is the one digit asked for.
        source = self.correction_source() if self._drawing.has_picture else self._drawing.ink()
        teacher.learn(source, round_.digit)
        round_.done += 1
        if round_.digit is None:
            self._round = None
        self._examples_changed = True
        self.clear()  # there is a drawing (it was read): notifies, and so re-reads
        return True

    @property
    def examples_in_use(self) -> int:
        """How many of the person's examples the recognizer uses (for the status line)."""
        return self._examples_in_use

    def set_examples_in_use(self, count: int) -> None:
        if count != self._examples_in_use:
            self._examples_in_use = count
            self.reading_changed.emit()

    # -- the model and the status line ---------------------------------------------------

    def set_model_loaded(self, error: str | None = None) -> None:
        """The model is loaded, or could not be (``error`` says why)."""
        self._model = True if error is None else error
        self.reading_changed.emit()

    @property
    def has_model(self) -> bool:
        return self._model is True

    @property
    def model_error(self) -> str | None:
        return self._model if isinstance(self._model, str) else None

    def status_text(self) -> str:
        """The status line: what to do, or what the drawing looks like, and how many of
        the person's examples are in use (``"… · 12 of your examples"``) when any are."""
        text = self._status_text()
        if self._round is not None and self._model is True:
            text = self._round.prompt()
        if self._examples_in_use and self._model is True:
            text = f"{text.rstrip('.')} · {self._examples_in_use} of your examples"
        return text

    def _status_text(self) -> str:
        if self._drawing.is_empty:
            return HINT
        if self._model is None:
            return "Loading the model…"
        if self._model is not True:
            return f"No model: {self._model}"
        reading = self._reading
        if reading is None:
            return "Reading the picture…" if self._drawing.has_picture else "Reading…"
        if len(reading.digits) > 1:
            sure = f"{reading.number} ({percent(reading.confidence)} sure of every digit)"
            return f"Looks like {sure}. Point at a digit to see its bars."
        if reading.digit is None:
            if self._drawing.has_picture:
                return "No digit found in the picture."
            return "Too small to recognize; draw the digit larger."
        if reading.confidence < UNSURE_BELOW:
            return (
                f"Not sure: maybe {_a(reading.digit)} ({percent(reading.confidence)}). "
                "Try writing it more clearly."
            )
        return f"Looks like {_a(reading.digit)} ({percent(reading.confidence)})."


def model_description(file_name: str, card: dict | None) -> str:
    """One line about a model for the status bar, from its card when it has one.

    E.g. ``"Model: digitpad recipe · 99.61% on MNIST test"``, or
    ``"Model: my.tflite · test accuracy unknown"`` for a file without a card.
    """
    card = card if isinstance(card, dict) else {}
    recipe = card.get("recipe")
    title = f"{recipe} recipe" if isinstance(recipe, str) and recipe else file_name
    try:
        score = f"{float(card['test']['mnist']['accuracy']) * 100:.2f}% on MNIST test"
    except (TypeError, KeyError, ValueError):
        score = "test accuracy unknown"
    return f"Model: {title} · {score}"


def _input_picture(digit: DigitPrediction) -> np.ndarray:
    return np.round(np.clip(digit.input, 0.0, 1.0) * 255).astype(np.uint8)


def _a(digit: int) -> str:
    return f"an {digit}" if digit == 8 else f"a {digit}"


def _ink_space(ink: Ink) -> tuple[float, float]:
    """The coordinate space to show ``ink`` in: its own size, else room around its bounds."""
    x0, y0, x1, y1 = ink.bounds()
    width = ink.width or max(x1, 1.0) + max(x0, 0.0)
    height = ink.height or max(y1, 1.0) + max(y0, 0.0)
    return float(width), float(height)

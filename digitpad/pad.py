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
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

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
    "EraseStrokes",
    "Teacher",
    "Correction",
    "GuidedRound",
    "GuidedExample",
    "Pad",
    "UNDO_DEPTH",
    "UNSURE_BELOW",
    "SURELY_ANOTHER",
    "HINT",
    "percent",
    "a_digit",
    "model_description",
]

#: Undo steps kept; older ones are dropped so that a long session stays bounded.
UNDO_DEPTH = 100
#: Pictures the undo history may hold in all, in pixels (about four 35 MP photos);
#: older steps are dropped beyond it.
HISTORY_PIXELS = 150_000_000
#: Below this top probability the panel and status line say "not sure".
UNSURE_BELOW = 0.6
#: The guided round asks before it learns a digit the model reads at least this surely as
#: another digit than the one asked for (a slip of the pen, or a skipped prompt).
SURELY_ANOTHER = 0.9
#: A stroke that turns back and forth horizontally this often is a scratch-out...
SCRATCH_REVERSALS = 3
#: ...when at least this share of its box lies over a digit's (see Pad.add_stroke).
SCRATCH_OVER = 0.5
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
    widths : tuple of (float or None)
        The pen width each stroke is shown with (the one it was drawn with), in
        ink units; None, or missing at the end, for the brush's width now. The
        model's input does not depend on it.
    """

    strokes: tuple[np.ndarray, ...] = ()
    space: tuple[float, float] | None = None
    picture: Image.Image | None = None
    shown_picture: Image.Image | None = None
    widths: tuple[float | None, ...] = ()

    def stroke_widths(self, default: float) -> list[float]:
        """The pen width of each stroke: its own, else ``default`` (the brush's)."""
        widths = _padded(self.widths, len(self.strokes))
        return [default if w is None else float(w) for w in widths]

    def strokes_by_width(self, default: float) -> list[tuple[float, list[np.ndarray]]]:
        """The strokes grouped by their pen width (see :meth:`stroke_widths`), in the order
        each width first appears: ``[(width, strokes), ...]``."""
        groups: dict[float, list[np.ndarray]] = {}
        for stroke, width in zip(self.strokes, self.stroke_widths(default), strict=True):
            groups.setdefault(width, []).append(stroke)
        return list(groups.items())

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
    width: float | None = None
    _before: Drawing | None = field(default=None, repr=False)
    _after: Drawing | None = field(default=None, repr=False)

    def apply(self, pad: Pad) -> None:
        before = pad.drawing
        if self._after is None or self._before is not before:
            space = before.space or self.space
            widths = (*_padded(before.widths, len(before.strokes)), self.width)
            self._after = Drawing((*before.strokes, self.stroke), space, widths=widths)
        self._before = before
        # Redo brings back the very drawing, so a drawing saved is still the one saved.
        pad._set_drawing(self._after)

    def revert(self, pad: Pad) -> None:
        assert self._before is not None  # apply() came first
        pad._set_drawing(self._before)


@dataclass(eq=False)
class ReplaceDrawing(Command):
    """The whole drawing replaced: clear, ink opened or pasted, a picture shown.

    ``file_name`` is the file the new drawing comes from (see :attr:`Pad.file_name`).
    """

    after: Drawing
    file_name: str | None = None
    _before: Drawing | None = field(default=None, repr=False)
    _file_name_before: str | None = field(default=None, repr=False)

    def pictures(self) -> list[Image.Image]:
        drawings = (self._before, self.after)
        return [d.picture for d in drawings if d is not None and d.picture is not None]

    def apply(self, pad: Pad) -> None:
        self._before, self._file_name_before = pad.drawing, pad._file_name
        pad._file_name = self.file_name
        pad._set_drawing(self.after)

    def revert(self, pad: Pad) -> None:
        pad._file_name = self._file_name_before
        assert self._before is not None  # apply() came first
        pad._set_drawing(self._before)


@dataclass(eq=False)
class EraseStrokes(Command):
    """Some strokes erased (a digit, the last stroke); the rest of the drawing, and the file it
    belongs to, stay."""

    indices: frozenset[int]
    _before: Drawing | None = field(default=None, repr=False)
    _after: Drawing | None = field(default=None, repr=False)

    def apply(self, pad: Pad) -> None:
        before = pad.drawing
        if self._after is None or self._before is not before:
            kept = [i for i in range(len(before.strokes)) if i not in self.indices]
            widths = _padded(before.widths, len(before.strokes))
            self._after = (
                Drawing(
                    tuple(before.strokes[i] for i in kept),
                    before.space,
                    widths=tuple(widths[i] for i in kept),
                )
                if kept
                else EMPTY
            )
        self._before = before
        pad._set_drawing(self._after)

    def revert(self, pad: Pad) -> None:
        assert self._before is not None  # apply() came first
        pad._set_drawing(self._before)


class Teacher(Protocol):
    """What a :class:`Correction` teaches: a person's profile (e.g. through a Recognizer)."""

    def learn(self, source, digit: int) -> object:
        """Learn that ``source`` (Ink, or a picture of one digit) is ``digit``; returns the
        example, as :meth:`forget` takes it."""

    # Any: each teacher takes back the kind of example its learn() returns.
    def forget(self, example: Any) -> None:
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

    def hint(self) -> str:
        """What the empty canvas asks for, e.g. ``"Write a 0 (1 of 3)"``."""
        if self.digit is None:
            return f"Done: the pad learned {self.total} of your digits."
        return f"Write {a_digit(self.digit)} ({self.done % self.times + 1} of {self.times})"

    def prompt(self) -> str:
        """What the status line asks for, e.g. ``"Write a 0 (1 of 3), then press Enter."``."""
        if self.digit is None:
            return self.hint()
        return f"{self.hint()}, then press Enter."


@dataclass(eq=False)
class GuidedExample(Command):
    """A digit written in a guided round, learned as ``digit``, the one the round asked for.

    Apply learns it, clears the drawing and moves the round on to the next digit
    (ending it after the last); revert forgets the example, brings the drawing
    back and asks for the same digit again (a round this step ended comes back).
    """

    teacher: Teacher
    source: object
    round: GuidedRound
    digit: int
    example: object = field(default=None, repr=False)
    _before: Drawing | None = field(default=None, repr=False)
    _ended: bool = field(default=False, repr=False)

    def pictures(self) -> list[Image.Image]:
        before = self._before
        return [before.picture] if before is not None and before.picture is not None else []

    def apply(self, pad: Pad) -> None:
        self.example = self.teacher.learn(self.source, self.digit)
        self._before = pad.drawing
        self.round.done += 1
        if self.round.digit is None and pad._round is self.round:
            pad._round = None
            self._ended = True
        pad._examples_changed = True
        pad._set_drawing(EMPTY)

    def revert(self, pad: Pad) -> None:
        if self.example is not None:
            self.teacher.forget(self.example)
            self.example = None
        self.round.done -= 1
        if self._ended and pad._round is None:
            pad._round = self.round
        self._ended = False
        pad._examples_changed = True
        assert self._before is not None  # apply() came first
        pad._set_drawing(self._before)


class Pad:
    """The drawing, its undo history, the reading of it and the status line.

    Events (each an :class:`Event`; connect a callable):

    - ``drawing_changed()``: the drawing was replaced (stroke, undo, clear, ...);
      the reading is cleared with it until :meth:`set_reading` gives a new one.
    - ``reading_changed()``: the reading, the selected digit, the model or the
      count of the person's examples changed, a command was done, undone or
      redone, or the drawing was kept (:meth:`mark_kept`).
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
        self._kept = EMPTY  # the drawing last saved, opened or copied
        self._file_name: str | None = None
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

    def add_stroke(self, points, space: tuple[float, float], width: float | None = None) -> None:
        """Add a stroke of points ``(x, y[, t_ms[, pressure]])`` in ink coordinates.

        ``space`` becomes the ink space when the drawing has none yet; ``width`` is
        the pen width it is shown with (see :class:`Drawing`). A stroke
        drawn over a picture starts a new drawing (one undo step clears the
        picture, the next removes the stroke).
        """
        stroke = np.array(points, dtype=np.float64)
        if not len(stroke):
            return
        if self._drawing.has_picture:
            self.clear()
        scratched = self._scratched_digit(stroke)
        if scratched is not None:
            self.execute(EraseStrokes(frozenset(scratched)))
            return
        space = (float(space[0]), float(space[1]))
        self.execute(AddStroke(stroke, space, None if width is None else float(width)))

    def _scratched_digit(self, stroke: np.ndarray) -> list[int] | None:
        """The strokes of the digit ``stroke`` scratches out, or None: it is a zig-zag (at least
        :data:`SCRATCH_REVERSALS` turns left and right) with at least :data:`SCRATCH_OVER` of its
        box over the box of a digit drawn (as the reader splits the strokes, with the margin
        of :data:`HIT_MARGIN`)."""
        if not self._drawing.strokes:
            return None
        x0, y0 = stroke[:, :2].min(axis=0)
        x1, y1 = stroke[:, :2].max(axis=0)
        area = max(x1 - x0, 1.0) * max(y1 - y0, 1.0)
        best, best_share = None, 0.0
        for (bx0, by0, bx1, by1), members in self.digit_strokes():
            if not members:
                # A digit of no stroke of the drawing is read from the stroke being
                # written (the pad is read live): there is nothing there to scratch out.
                continue
            margin = HIT_MARGIN * (by1 - by0)
            width = min(x1, bx1 + margin) - max(x0, bx0 - margin)
            height = min(y1, by1 + margin) - max(y0, by0 - margin)
            share = max(width, 0.0) * max(height, 0.0) / area
            if share > best_share:
                best, best_share, digit_height = members, share, by1 - by0
        if best is None or best_share < SCRATCH_OVER:
            return None
        # Turns count when the pen goes back a quarter of the stroke's width (and a tenth
        # of the digit's height), so that the wobble of a line is no turn.
        tolerance = max(0.25 * (x1 - x0), 0.1 * digit_height, 1e-9)
        return best if _reversals(stroke[:, 0], tolerance) >= SCRATCH_REVERSALS else None

    def digit_strokes(self) -> list[tuple[tuple[float, float, float, float], list[int]]]:
        """The drawing's strokes as the reading splits them into digits, left to right:
        ``(box, indices of its strokes)`` for each (none for a picture).

        A stroke goes with the digit that holds most of its points, so a stroke
        joining two digits written without lifting the pen goes with one of them.
        A digit read from the stroke being written (the pad is read live) has no
        stroke of the drawing yet. Before the drawing is read, its strokes are
        split by the box rules.
        """
        strokes = self._drawing.strokes
        if not strokes:
            return []
        reading = self._reading
        if reading is not None and reading.digits and all(d.ink for d in reading.digits):
            digits = [(d.box, d.ink) for d in reading.digits if d.ink is not None]
        else:
            digits = [(s.box, s.ink) for s in segment_ink(self._drawing.ink())]
        points = [
            {tuple(p) for stroke in ink.strokes for p in stroke[:, :2].tolist()}
            for _, ink in digits
        ]
        members: list[list[int]] = [[] for _ in digits]
        for i, stroke in enumerate(strokes):
            shared = [sum(tuple(p) in held for p in stroke[:, :2].tolist()) for held in points]
            if max(shared, default=0) > 0:
                members[int(np.argmax(shared))].append(i)
        return [
            (_float_box(box), kept)
            for (box, _), kept in zip(digits, members, strict=True)
            if box is not None
        ]

    def erase_pointed(self) -> bool:
        """Erase the digit pointed at (:attr:`selected_digit`), else the last stroke; a
        picture is cleared. One undo step; False when there is nothing to erase."""
        if self._drawing.has_picture:
            self.clear()
            return True
        if not self._drawing.strokes:
            return False
        indices = None
        if self._selected is not None and self._reading is not None:
            box = self._reading.digits[self._selected].box
            for digit_box, members in self.digit_strokes():
                if box is not None and np.allclose(digit_box, box):
                    indices = members
                    break
        if not indices:
            indices = [len(self._drawing.strokes) - 1]
        self.execute(EraseStrokes(frozenset(indices)))
        return True

    def set_ink(self, ink: Ink, file_name: str | None = None, width: float | None = None) -> None:
        """Replace the drawing with ``ink`` (one undo step).

        ``file_name``: the file it was opened from; the drawing is then kept (see
        :attr:`is_modified`) and named (:attr:`file_name`). ``width``: the pen
        width its strokes are shown with (see :class:`Drawing`).
        """
        strokes = tuple(np.array(s, dtype=np.float64) for s in ink.strokes if len(s))
        widths = () if width is None else (float(width),) * len(strokes)
        drawing = Drawing(strokes, _ink_space(ink) if strokes else None, widths=widths)
        self._replace(drawing, file_name)

    def set_picture(
        self, picture: Image.Image, shown_picture: Image.Image, file_name: str | None = None
    ) -> None:
        """Show a picture instead of the drawing (one undo step). See :class:`Drawing`;
        ``file_name`` as for :meth:`set_ink`."""
        self._replace(Drawing(picture=picture, shown_picture=shown_picture), file_name)

    def _replace(self, drawing: Drawing, file_name: str | None) -> None:
        if file_name is not None:
            self._kept = drawing  # before the event, so that subscribers see it kept
        self.execute(ReplaceDrawing(drawing, file_name))

    def clear(self) -> None:
        """Remove the drawing or picture (one undo step); nothing happens when empty."""
        if not self._drawing.is_empty:
            self.execute(ReplaceDrawing(EMPTY))

    # -- where the drawing is kept ----------------------------------------------------

    @property
    def file_name(self) -> str | None:
        """The name of the file the drawing was opened from or last saved as, or None.

        Strokes added keep it; a drawing replaced (clear, open, paste) has its own,
        and Undo brings back the one before.
        """
        return self._file_name

    @property
    def is_modified(self) -> bool:
        """Whether closing now would lose work: the drawing is not empty, and not the one
        last saved, opened or copied (:meth:`mark_kept`)."""
        return not self._drawing.is_empty and self._drawing is not self._kept

    def mark_kept(self, file_name: str | None = None) -> None:
        """The drawing as it is now was saved as ``file_name`` or (None) copied."""
        self._kept = self._drawing
        if file_name is not None:
            self._file_name = file_name
        self.reading_changed.emit()

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

    def choose_alternative(self, index: int) -> bool:
        """Make the reading's alternative ``index`` the reading (the reading becomes an
        alternative). A choice of reading, not a correction: nothing is learned, and
        the next change of the drawing is read afresh. False when there is none such."""
        reading = self._reading
        if reading is None or not 0 <= index < len(reading.alternatives):
            return False
        chosen = reading.alternatives[index]
        others = [reading, *reading.alternatives[:index], *reading.alternatives[index + 1 :]]
        chosen = replace(chosen, alternatives=[])
        chosen.alternatives = [replace(o, alternatives=[]) for o in others]
        self.set_reading(chosen)
        return True

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
        if index is None or self._reading is None:
            return self._reading
        digit = self._reading.digits[index]
        return Prediction(digit.digit, digit.confidence, digit.probabilities, digit.input)

    def digit_boxes(self) -> list[tuple[float, float, float, float]]:
        """Boxes to outline over the drawing, one per digit of a number: in ink coordinates,
        or for a picture in its own pixels (edges, ``x1`` and ``y1`` exclusive)."""
        reading = self._reading
        if reading is None or len(reading.digits) < 2:
            return []
        return [_float_box(d.box) for d in reading.digits if d.box is not None]

    def digit_at(self, x: float, y: float) -> int | None:
        """The index of the digit of a number at point (x, y) of the drawing (as
        :meth:`digit_boxes`), or None.

        A point within :data:`HIT_MARGIN` of a box's height outside it still counts.
        """
        for index, (x0, y0, x1, y1) in enumerate(self.digit_boxes()):
            margin = HIT_MARGIN * (y1 - y0)
            if x0 - margin <= x <= x1 + margin and y0 - margin <= y <= y1 + margin:
                return index
        return None

    def select_at(self, x: float, y: float) -> None:
        """Show the bars of the digit at point (x, y) of the drawing (as :meth:`digit_boxes`);
        elsewhere the selection stays."""
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
        if chosen.ink is not None:
            return chosen.ink
        return _input_picture(chosen)

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

    def guided_doubt(self) -> str | None:
        """What the drawing surely is instead of the digit the round asks for, or None.

        The reading ("7", or "10" where the reader found two digits) when the model
        is at least :data:`SURELY_ANOTHER` sure of it and it is not the digit asked
        for; None without a round, a reading, or such a doubt.
        """
        round_, reading = self._round, self._reading
        if round_ is None or round_.digit is None or reading is None or not reading.digits:
            return None
        assert reading.confidence is not None  # a reading of digits has one
        if reading.number == str(round_.digit) or reading.confidence < SURELY_ANOTHER:
            return None
        return reading.number

    def accept_guided(self, teacher: Teacher) -> bool:
        """Learn the whole drawing as the digit the round asks for, clear it, ask for the next.

        One undo step (a :class:`GuidedExample`): undo forgets the example, brings
        the drawing back and asks for that digit again. Returns False, changing
        nothing, without a round or with nothing read to learn. Errors of
        ``teacher.learn`` (``ValueError``, ``OSError``) propagate, and then nothing
        is on the stack.
        """
        round_ = self._round
        if round_ is None or round_.digit is None or not self.can_correct:
            return False
        # The whole ink, even where the reader split it: it is the one digit asked for.
        source = self.correction_source() if self._drawing.has_picture else self._drawing.ink()
        self.execute(GuidedExample(teacher, source, round_, round_.digit))
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
            assert reading.confidence is not None  # that of the whole number
            sure = f"{reading.number} ({percent(reading.confidence)} sure of every digit)"
            return f"Looks like {sure}. Point at a digit to see its bars."
        if reading.digit is None:
            if self._drawing.has_picture:
                return "No digit found in the picture."
            return "Too small to recognize; draw the digit larger."
        assert reading.confidence is not None  # that of its digit
        if reading.confidence < UNSURE_BELOW:
            return (
                f"Not sure: maybe {a_digit(reading.digit)} ({percent(reading.confidence)}). "
                "Try writing it more clearly."
            )
        return f"Looks like {a_digit(reading.digit)} ({percent(reading.confidence)})."


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
    assert digit.input is not None  # the digits of a reading have their inputs
    return np.round(np.clip(digit.input, 0.0, 1.0) * 255).astype(np.uint8)


def _float_box(box) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return float(x0), float(y0), float(x1), float(y1)


def a_digit(digit: int) -> str:
    """``"a 7"``, ``"an 8"``: the digit with its article."""
    return f"an {digit}" if digit == 8 else f"a {digit}"


def _ink_space(ink: Ink) -> tuple[float, float]:
    """The coordinate space to show ``ink`` in: its own size, else room around its bounds."""
    x0, y0, x1, y1 = ink.bounds() or (0.0, 0.0, 0.0, 0.0)
    width = ink.width or max(x1, 1.0) + max(x0, 0.0)
    height = ink.height or max(y1, 1.0) + max(y0, 0.0)
    return float(width), float(height)


def _reversals(xs: np.ndarray, tolerance: float) -> int:
    """How often ``xs`` turns back (left to right or right to left) by more than ``tolerance``."""
    direction, turn, count = 0, float(xs[0]), 0
    for x in map(float, xs[1:]):
        if direction == 0:
            if abs(x - turn) > tolerance:
                direction, turn = (1 if x > turn else -1), x
        elif (x - turn) * direction > 0:
            turn = x  # further the same way
        elif abs(x - turn) > tolerance:
            direction, turn, count = -direction, x, count + 1
    return count


def _padded(widths: tuple, count: int) -> tuple:
    """``widths`` for ``count`` strokes: cut, or filled with None (the brush's width)."""
    return tuple(widths[:count]) + (None,) * (count - len(widths))

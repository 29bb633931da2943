"""Reading what the canvas shows into the pad, with the session: ink at once, pictures later.

Ink (with the stroke being drawn) is read on the GUI thread, about a
millisecond a digit; a picture is read on the session's worker, and its
reading comes back through the session's ``reading_ready`` event, only while
it is still the pad's drawing (see :meth:`~digitpad.session.Session.read`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..pad import Drawing, Pad
from ..recognize import Prediction
from ..session import Session
from .canvas import CanvasWidget


class DrawingReader:
    """Reads the pad's drawing with the session's recognizer into the pad.

    Parameters
    ----------
    session : Session
    pad : Pad
        Whose drawing is read, and which gets the reading and the examples in use.
    canvas : CanvasWidget
        Gives the ink with the stroke being drawn.
    report_error : callable(title, text)
        Shows that a picture could not be read.
    """

    def __init__(
        self,
        session: Session,
        pad: Pad,
        canvas: CanvasWidget,
        report_error: Callable[[str, str], object],
    ) -> None:
        self.session, self.pad, self.canvas = session, pad, canvas
        self.report_error = report_error
        session.reading_ready.connect(self._reading_ready)
        session.reading_failed.connect(self._reading_failed)

    @property
    def busy(self) -> bool:
        """A picture is being opened or read in the background."""
        return self.session.busy

    def read(self, *, again: bool = False) -> None:
        """Read the drawing into the pad: ink now, a picture in the background.

        ``again``: read a picture again too (the model or the examples changed).
        """
        drawing = self.pad.drawing
        ink = None if drawing.has_picture else self.canvas.ink()
        result = self.session.read(drawing, ink, again=again)
        if result is not None:
            reading, count = result
            self.pad.set_examples_in_use(count)
            self.pad.set_reading(reading)

    def _reading_ready(self, drawing: Drawing, reading: Prediction) -> None:
        if drawing is self.pad.drawing:
            self.pad.set_reading(reading)

    def _reading_failed(self, drawing: Drawing, message: str) -> None:
        if drawing is self.pad.drawing:
            self.pad.set_reading(Prediction(None, None, None, None))
            self.report_error("Cannot read the picture", message)

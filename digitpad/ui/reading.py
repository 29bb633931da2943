"""Reading what the canvas shows into the pad: ink at once, pictures on the worker.

Ink is read on the GUI thread (about a millisecond a digit); a picture is
decoded, and later recognized, on the window's worker thread, each job with a
ticket so that a result which no longer applies (an older picture, a drawing
replaced meanwhile) is dropped. Every use of the window's ``recognizer`` holds
its ``recognizer_lock``; a picture's digits are found outside it, so that live
ink never waits for a large photo.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt

from ..recognize import Prediction, image_inputs, ink_inputs
from . import transfer
from .worker import one_line


class DrawingReader(QObject):
    """Reads the pad's drawing with the window's one recognizer, and opens pictures.

    Parameters
    ----------
    window : MainWindow
        Gives the pad, canvas, worker, ``recognizer`` with ``recognizer_lock``,
        ``show_message``, ``remember_folder`` and the status bar.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self._loading: tuple | None = None  # (path,): the ticket of the picture being read
        self._reading: tuple | None = None  # (drawing,): the ticket of the picture recognized
        window.worker.finished.connect(self._job_finished, Qt.ConnectionType.QueuedConnection)
        # A picture still being read would replace the new drawing: drop it.
        window.pad.drawing_changed.connect(self._drop_loading)

    @property
    def busy(self) -> bool:
        """A picture is being read or recognized in the background."""
        return self._loading is not None or self._reading is not None

    def read(self, *, again: bool = False) -> None:
        """Read the drawing into the pad: ink now, a picture in the background.

        ``again``: recognize a picture again too (the model or the examples changed).
        """
        window = self.window
        if again:
            self._reading = None
        drawing = window.pad.drawing
        if drawing.has_picture:
            if self._reading is None or self._reading[0] is not drawing:
                self._reading = (drawing,)  # a new ticket: an older result is dropped
                window.worker.submit(self._reading, lambda: self._read_picture(drawing.picture))
            return
        inputs = ink_inputs(window.canvas.ink())
        with window.recognizer_lock:
            if window.recognizer is None:
                reading, count = _preview(inputs), 0
            else:
                # Cheap when the profile did not change; sees another program's changes.
                reading, count = window.recognizer.read(inputs), window.recognizer.prepare()
        window.pad.set_examples_in_use(count)
        window.pad.set_reading(reading)

    def load_picture(self, path: Path | None, source) -> None:
        """Read a picture file (``path``) or a QImage (``source``) in the background, then
        show it; an error shows a message and leaves the drawing as it was."""
        self._loading = (path,)  # a new ticket: an older picture still being read is dropped
        self.window.worker.submit(self._loading, lambda: transfer.read_picture(source))

    def _drop_loading(self) -> None:
        self._loading = None

    def _read_picture(self, picture) -> Prediction:
        """On the worker thread: the picture's reading, or its preview without a model.

        Finding the digits (seconds for a large photo) is done outside the lock;
        only the model's part is done under it.
        """
        inputs = image_inputs(picture)
        with self.window.recognizer_lock:
            if self.window.recognizer is not None:
                return self.window.recognizer.read(inputs)
        return _preview(inputs)

    def _job_finished(self, ticket: tuple, result) -> None:
        window = self.window
        if ticket is self._reading:  # a recognized picture: kept if it is still shown
            self._reading = None
            if ticket[0] is window.pad.drawing:
                failed = isinstance(result, Exception)
                window.pad.set_reading(Prediction(None, None, None, None) if failed else result)
                if failed:
                    window.show_message(window, "Cannot read the picture", one_line(result))
        elif ticket is self._loading:  # a picture read, unless the drawing changed meanwhile
            self._loading = None
            (path,) = ticket
            if isinstance(result, Exception):
                name = "the picture" if path is None else path.name
                window.show_message(window, "Cannot open file", f"{name}: {one_line(result)}")
            else:
                picture, shown, shown_image = result
                window.canvas.add_picture_image(shown, shown_image)
                window.pad.set_picture(picture, shown, None if path is None else path.name)
                if path is not None:
                    window.remember_folder(path)
                    window.statusBar().showMessage(f"Opened {path.name}", 4000)


def _preview(inputs) -> Prediction:
    """Without a model: no digit, but the input of the last digit for the preview."""
    return Prediction(None, None, None, inputs[-1][0] if inputs else None)

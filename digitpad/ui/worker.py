"""Reading and recognizing pictures off the GUI thread.

Decoding a 35 MP photo, making its screen copy and finding its digits take
seconds of CPU; on the GUI thread that would freeze the window. A
:class:`PictureWorker` runs such jobs one at a time on a thread of its own
pool and delivers each result by a signal, tagged with a ticket saying what
it was started for, so that the window can drop results that no longer apply
(an older picture, a drawing replaced meanwhile).

The model itself is shared with the GUI thread (which reads ink live while
a stroke is drawn), and with the Recognizer that opens the person's profile
on the worker before the window's takes it over, so :class:`SerializedPredictor`
lets one call in at a time. (The window's Recognizer, with its profile, is
guarded as a whole by the window's ``recognizer_lock``.)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..predictor import Model, Source


class SerializedPredictor:
    """A model that several threads may call: one model call runs at a time.

    Every method of the wrapped :class:`~digitpad.predictor.Model` (``predict``,
    ``predict_with_features``, ...) is called under one lock; other attributes
    (``has_features``, ``path``...) are passed through.
    """

    def __init__(self, predictor: Model):
        self.predictor = predictor
        self._lock = threading.Lock()

    def predict(self, images: ArrayLike, source: Source = "ink") -> np.ndarray:
        with self._lock:
            return self.predictor.predict(images, source)

    def predict_with_features(
        self, images: ArrayLike, source: Source = "ink"
    ) -> tuple[np.ndarray, np.ndarray | None]:
        with self._lock:
            return self.predictor.predict_with_features(images, source)

    def __getattr__(self, name):
        value = getattr(self.predictor, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def serialized(*args, **kwargs):
            with self._lock:
                return value(*args, **kwargs)

        return serialized


class _Job(QRunnable):
    def __init__(self, work: Callable[[], None]):
        super().__init__()
        self._work = work

    def run(self) -> None:
        self._work()


class PictureWorker(QObject):
    """Runs jobs on one background thread, in order; each result comes back as a signal.

    Signals
    -------
    finished(ticket, result)
        The job given to :meth:`submit` with ``ticket`` returned ``result``,
        or raised an exception (then ``result`` is that exception, so that a
        result always comes). Delivered on the thread the worker lives in.
    """

    finished = Signal(object, object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one picture at a time; later jobs wait their turn

    def submit(self, ticket, job: Callable[[], object]) -> None:
        """Run ``job()`` off this thread; ``finished(ticket, result)`` follows."""

        def work():
            try:
                result = job()
            except Exception as error:  # noqa: BLE001 - the receiver decides what it means
                result = error
            self.finished.emit(ticket, result)

        self._pool.start(_Job(work))

    def wait(self, msecs: int = -1) -> bool:
        """Block until every submitted job has run (for tests and shutdown)."""
        return self._pool.waitForDone(msecs)


def one_line(error: Exception) -> str:
    """A job's exception as one line for a message."""
    if isinstance(error, MemoryError):
        return "not enough memory"
    return " ".join(str(error).split()) or type(error).__name__

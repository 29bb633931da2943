"""The session's results, brought to the GUI thread.

:class:`~digitpad.session.Session` announces what its worker thread did
through a ``post`` function; :class:`PostToGuiThread` is the one the window
gives it, so that its events (and so every change of the pad and the widgets)
happen on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal


class PostToGuiThread(QObject):
    """``post(announce)``, called on any thread, runs ``announce()`` on the thread this
    object lives in (the GUI thread), from Qt's event loop: always later, never at once."""

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def __call__(self, announce: Callable[[], None]) -> None:
        try:
            self._posted.emit(announce)
        except RuntimeError:
            pass  # this object (with its window) is gone: there is no one to tell

    @staticmethod
    def _run(announce: Callable[[], None]) -> None:
        announce()

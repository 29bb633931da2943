"""The drawing pad window (Qt). Everything that imports Qt lives in this package."""

from __future__ import annotations

import ctypes
import sys


def releases_references_to_none(call, times: int = 8) -> bool:
    """Whether ``call()`` leaves None with fewer references than before (Python < 3.12)."""
    before = sys.getrefcount(None)
    for _ in range(times):
        call()
    return sys.getrefcount(None) < before


def _guard_against_singleton_refcount_bug() -> bool:
    """Work around PySide6 6.12.0 releasing references to None and True it does not own.

    On Python < 3.12 (where these are not immortal) each void call such as
    ``widget.update()`` or ``QApplication.processEvents()`` drops None's
    reference count by one, and each ``signal.emit()`` drops True's; after
    a few thousand calls Python aborts with "deallocating None". (6.11.3
    does not do this.) None, True and False are never meant to be freed, so
    giving them huge reference counts makes them effectively immortal, as
    Python 3.12 does. Returns True when the bug was found and the guard applied.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    from PySide6.QtCore import QPoint

    point = QPoint()
    if not releases_references_to_none(lambda: point.setX(1)):
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40
    return True


SINGLETON_REFCOUNT_GUARD = _guard_against_singleton_refcount_bug()

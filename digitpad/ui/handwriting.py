"""The "Your handwriting" dialog: a person's examples as thumbnails, by digit, to delete.

The dialog reads and changes the profile only through a :class:`ProfileAccess`
(the :class:`~digitpad.session.Session`, which holds its lock around each
call), so it never races the session's worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..profile import Example

#: Thumbnails are drawn this many pixels on a side (the 28x28 input, scaled up).
THUMBNAIL = 56


class ProfileAccess(Protocol):
    def examples(self) -> list[tuple[Example, np.ndarray]]:
        """Every example with its 28x28 model input, oldest first."""

    def forget(self, example: Example) -> None: ...

    def forget_all(self) -> None: ...


def thumbnail(model_input: np.ndarray, size: int = THUMBNAIL) -> QPixmap:
    """A model input drawn as dark ink on white, ``size`` pixels on a side."""
    gray = np.ascontiguousarray(255 - np.round(np.clip(model_input, 0, 1) * 255).astype(np.uint8))
    height, width = gray.shape
    image = QImage(gray.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(
        image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                     Qt.TransformationMode.SmoothTransformation)
    )  # fmt: skip


class HandwritingDialog(QDialog):
    """The person's examples grouped by digit, with Delete and Forget all.

    Parameters
    ----------
    access : ProfileAccess
    ask_yes_no : callable(parent, title, text) -> bool
        Confirms Forget all (the window's, replaceable in tests).
    folder : str
        Where the profile lives, shown at the top.

    Signals
    -------
    changed
        Examples were deleted.
    """

    changed = Signal()

    def __init__(self, access: ProfileAccess, ask_yes_no: Callable, folder: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Your handwriting")
        self.resize(560, 520)
        self.access = access
        self.ask_yes_no = ask_yes_no
        self.lists: dict[int, QListWidget] = {}

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder = folder
        self._content = QWidget()
        self._rows = QVBoxLayout(self._content)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._content)

        buttons = QDialogButtonBox()
        self.delete_button = QPushButton("&Delete")
        self.delete_button.setToolTip("Forget the selected examples (Delete)")
        self.forget_all_button = QPushButton("&Forget all…")
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.forget_all_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.delete_button.clicked.connect(self.delete_selected)
        self.forget_all_button.clicked.connect(self.forget_all)
        QShortcut(QKeySequence.StandardKey.Delete, self, self.delete_selected)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        """Show the examples as they are now."""
        examples = self.access.examples()
        while self._rows.count():
            row = self._rows.takeAt(0)
            widget = None if row is None else row.widget()
            if widget is not None:
                widget.deleteLater()
        self.lists = {}
        for digit in range(10):
            mine = [(e, x) for e, x in examples if e.digit == digit]
            if not mine:
                continue
            self._rows.addWidget(QLabel(f"<b>{digit}</b> · {_examples(len(mine))}"))
            self.lists[digit] = view = _thumbnail_list()
            for example, model_input in mine:
                item = QListWidgetItem(QIcon(thumbnail(model_input)), "")
                item.setData(Qt.ItemDataRole.UserRole, example)
                item.setToolTip(f"{digit}, learned {example.when:%Y-%m-%d %H:%M} UTC")
                view.addItem(item)
            view.itemSelectionChanged.connect(self._update_buttons)
            self._rows.addWidget(view)
        self._rows.addStretch(1)
        if examples:
            text = f"{_examples(len(examples))} of your handwriting, kept in {self.folder}."
        else:
            text = (
                f"No examples yet (they are kept in {self.folder}). When the pad misreads a "
                "digit, point at it and press the right digit key, or right-click it."
            )
        self.summary.setText(text)
        self.forget_all_button.setEnabled(bool(examples))
        self._update_buttons()

    def thumbnail_count(self) -> int:
        return sum(view.count() for view in self.lists.values())

    def selected_examples(self) -> list[Example]:
        return [
            item.data(Qt.ItemDataRole.UserRole)
            for view in self.lists.values()
            for item in view.selectedItems()
        ]

    def delete_selected(self) -> None:
        chosen = self.selected_examples()
        if chosen:
            for example in chosen:
                self.access.forget(example)
            self.reload()
            self.changed.emit()

    def forget_all(self) -> None:
        count = self.thumbnail_count()
        if count and self.ask_yes_no(
            self,
            "Forget all your examples?",
            f"Delete all {_examples(count)} of your handwriting? The pad then reads "
            "digits with its general model only.",
        ):
            self.access.forget_all()
            self.reload()
            self.changed.emit()

    def _update_buttons(self) -> None:
        self.delete_button.setEnabled(bool(self.selected_examples()))


class _ThumbnailList(QListWidget):
    """Thumbnails in rows that wrap; as tall as its rows (the dialog scrolls, not each list)."""

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        per_row = max(1, self.viewport().width() // self.gridSize().width())
        rows = max(1, -(-self.count() // per_row))
        frame = self.height() - self.viewport().height()
        self.setFixedHeight(rows * self.gridSize().height() + frame)


def _thumbnail_list() -> QListWidget:
    view = _ThumbnailList()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
    view.setGridSize(QSize(THUMBNAIL + 8, THUMBNAIL + 8))
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setWrapping(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return view


def _examples(count: int) -> str:
    return f"{count} example{'s' if count != 1 else ''}"

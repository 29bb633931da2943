"""The window's actions as one table, and the menus and toolbar built from it.

Each row names an action, its text, shortcuts, the window method it calls
(or a helper's: ``files``, ``pad``, ``teaching``), and where it appears. To
add a command to the pad, add a row here and a method on the window or a helper.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .canvas import DEFAULT_PEN_WIDTH, MAX_PEN_WIDTH, MIN_PEN_WIDTH

_KEY = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    """One action of the window.

    ``handler`` names what is called with ``args``: a window method, or
    a dotted path from the window (``"files.open_file"``). ``widget`` names a
    window attribute (``"canvas"``): the shortcuts then work only while that
    widget has the keyboard focus (plain digit keys must not leave a text field).
    ``menu`` places it in that menu, where a change of ``group`` puts a
    separator between; ``toolbar`` places it in that section of the toolbar
    (sections are separated).
    """

    name: str
    text: str
    handler: str
    shortcuts: tuple = ()
    icon: str | None = None  # a freedesktop theme icon name
    tip: str | None = None
    short: str | None = None  # the toolbar's text
    menu: str | None = None
    group: int = 0
    toolbar: int | None = None
    args: tuple = ()
    widget: str | None = None
    checkable: bool = False
    #: Actions of one such name are choices of one setting: one checked at a time.
    exclusive: str | None = None


#: The writing conventions offered (:mod:`digitpad.conventions`): name, menu text, tip.
CONVENTION_ACTIONS = (
    ("none", "1 and 7: &either way", "the model alone reads them"),
    ("flagged-one", "1 with a &flag, 7 crossed", "one who writes 1 with a flag, 7 crossed does"),
    ("plain-one", "1 as a &plain stick, 7 without a bar",
     "one who writes 1 as a stick, 7 without a bar does"),
)  # fmt: skip


def _a(digit: int) -> str:
    return f"an {digit}" if digit == 8 else f"a {digit}"


ACTIONS = (
    ActionSpec("open", "&Open…", "files.open_file", (_KEY.Open,), "document-open",
               tip="Open an image or ink file", short="Open", menu="&File", toolbar=1),
    ActionSpec("save", "&Save…", "files.save_file", (_KEY.Save,), "document-save",
               tip="Save the drawing as PNG or ink JSON", short="Save", menu="&File", toolbar=1),
    ActionSpec("quit", "&Quit", "close", (_KEY.Quit, "Ctrl+Q"), "application-exit",
               menu="&File", group=1),
    ActionSpec("undo", "&Undo", "pad.undo", (_KEY.Undo,), "edit-undo",
               short="Undo", menu="&Edit", toolbar=2),
    ActionSpec("redo", "&Redo", "pad.redo", (_KEY.Redo, "Ctrl+Shift+Z", "Ctrl+Y"), "edit-redo",
               short="Redo", menu="&Edit", toolbar=2),
    ActionSpec("copy", "&Copy", "files.copy", (_KEY.Copy,), "edit-copy",
               menu="&Edit", group=1),
    ActionSpec("copy_number", "Copy &number", "files.copy_number", ("Ctrl+Shift+C",),
               tip="Copy the number read, as text", menu="&Edit", group=1),
    ActionSpec("paste", "&Paste", "files.paste", (_KEY.Paste,), "edit-paste",
               menu="&Edit", group=1),
    ActionSpec("erase", "&Erase digit", "pad.erase_pointed", (_KEY.Delete, Qt.Key.Key_Backspace),
               "edit-delete", tip="Erase the digit pointed at, or else the last stroke",
               menu="&Edit", group=2),
    ActionSpec("clear", "C&lear", "pad.clear", (Qt.Key.Key_Escape,), "edit-clear",
               tip="Clear the canvas", short="Clear", menu="&Edit", group=2, toolbar=2),
    *(ActionSpec(f"correct_{d}", f"It's {_a(d)}", "teaching.correct", (str(d),), args=(d,),
                 tip=f"Teach the pad that the digit pointed at is {_a(d)}",
                 menu="&Handwriting", widget="canvas") for d in range(10)),
    ActionSpec("handwriting", "&Your handwriting…", "teaching.show_handwriting",
               tip="See and delete the examples the pad learned from you",
               menu="&Handwriting", group=1),
    ActionSpec("guided", "&Teach it each digit", "teaching.toggle_guided_round", checkable=True,
               tip="Write each digit three times, 0 to 9, for the pad to learn",
               menu="&Handwriting", group=1),
    ActionSpec("accept", "&Next digit", "teaching.accept_guided",
               (Qt.Key.Key_Return, Qt.Key.Key_Enter),
               tip="Learn the digit written and ask for the next", menu="&Handwriting",
               group=1, widget="canvas"),
    *(ActionSpec(f"convention_{name}", text, "teaching.set_convention", args=(name,),
                 checkable=True, exclusive="convention", tip=f"Read ambiguous 1s and 7s as {tip}",
                 menu="&Handwriting", group=2)
      for name, text, tip in CONVENTION_ACTIONS),
    ActionSpec("thicker", "&Thicker brush", "thicker_brush", ("]",), menu="&Brush"),
    ActionSpec("thinner", "T&hinner brush", "thinner_brush", ("[",), menu="&Brush"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "show_shortcuts", (_KEY.HelpContents,),
               tip="List the keyboard shortcuts", menu="&Help"),
    ActionSpec("about", "&About digitpad", "about", menu="&Help"),
)  # fmt: skip


def make_action(window: QMainWindow, spec: ActionSpec) -> QAction:
    """A QAction for ``spec``, connected to the window's handler."""
    action = QAction(spec.text, window)
    action.setObjectName(spec.name)
    action.setCheckable(spec.checkable)
    handler: Any = window  # then the attribute that spec.handler names
    for name in spec.handler.split("."):
        handler = getattr(handler, name)
    if spec.args:
        handler = functools.partial(_call, handler, spec.args)
    action.triggered.connect(handler)
    keys: list[QKeySequence] = []
    for shortcut in spec.shortcuts:
        more = (
            QKeySequence.keyBindings(shortcut)
            if isinstance(shortcut, QKeySequence.StandardKey)
            else [QKeySequence(shortcut)]
        )
        keys += [k for k in more if not k.isEmpty() and k not in keys]
    action.setShortcuts(keys)
    if spec.widget is not None:
        getattr(window, spec.widget).addAction(action)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    # Theme icons only: without an icon theme the toolbar shows clean text.
    if spec.icon and QIcon.hasThemeIcon(spec.icon):
        action.setIcon(QIcon.fromTheme(spec.icon))
    if spec.short:
        action.setIconText(spec.short)
    label = spec.tip or spec.text.replace("&", "").rstrip("…")
    if keys:
        label += f" ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(label)
    return action


def _call(handler, args, *_checked):
    handler(*args)  # triggered(checked) carries a flag the handler does not take


def build(window: QMainWindow, menu_bar: QMenuBar, toolbar: QToolBar, specs=ACTIONS):
    """Make the actions of ``specs``, fill the menus and the toolbar; returns {name: QAction}."""
    actions = {spec.name: make_action(window, spec) for spec in specs}
    groups: dict[str, QActionGroup] = {}
    for spec in specs:
        if spec.exclusive is not None:
            group = groups.setdefault(spec.exclusive, QActionGroup(window))
            group.addAction(actions[spec.name])  # exclusive: shown as a choice of one
    menus: dict[str, QMenu] = {}
    last_group: dict[str, int] = {}
    for spec in specs:
        if spec.menu is None:
            continue
        if spec.menu not in menus:
            menus[spec.menu] = menu_bar.addMenu(spec.menu)
        elif last_group[spec.menu] != spec.group:
            menus[spec.menu].addSeparator()
        last_group[spec.menu] = spec.group
        menus[spec.menu].addAction(actions[spec.name])
    section = None
    for spec in specs:
        if spec.toolbar is not None:
            if section is not None and section != spec.toolbar:
                toolbar.addSeparator()
            section = spec.toolbar
            toolbar.addAction(actions[spec.name])
    return actions


def add_brush_width_box(toolbar: QToolBar) -> QSpinBox:
    """Put a labelled brush width box at the end of the toolbar; returns the box."""
    box = QSpinBox()
    box.setRange(int(MIN_PEN_WIDTH), int(MAX_PEN_WIDTH))
    box.setSuffix(" px")
    box.setToolTip("Brush width ([ and ])")
    box.setAccessibleName("Brush width")
    box.setValue(int(DEFAULT_PEN_WIDTH))
    box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    toolbar.addSeparator()
    label = QLabel("Brush ")
    label.setContentsMargins(6, 0, 0, 0)
    toolbar.addWidget(label)
    toolbar.addWidget(box)
    return box


def _text(item: QTableWidgetItem | None) -> str:
    """The text of a table cell; an empty cell has no item."""
    return "" if item is None else item.text()


def _plain(text: str | None) -> str:
    return (text or "").replace("&", "").rstrip("…")


def shortcut_rows(actions: dict[str, QAction], specs=ACTIONS) -> list[tuple[str, str, str]]:
    """``(action, keys, menu)`` for each action of ``specs`` that has keyboard shortcuts,
    in the table's order, the keys as the platform writes them.

    A run of actions with the same handler (It's a 0 … It's a 9) is one row.
    """
    rows: list[tuple[str, str, str]] = []
    runs: list[list[ActionSpec]] = []
    for spec in specs:
        keys = actions[spec.name].shortcuts()
        if not keys:
            continue
        if runs and runs[-1][-1].handler == spec.handler and spec.args:
            runs[-1].append(spec)
        else:
            runs.append([spec])
    native = QKeySequence.SequenceFormat.NativeText
    for run in runs:
        first, last = run[0], run[-1]
        written = [", ".join(k.toString(native) for k in actions[s.name].shortcuts()) for s in run]
        text, shown = _plain(first.text), written[0]
        if len(run) > 1:
            text, shown = f"{text} … {_plain(last.text)}", f"{written[0]} … {written[-1]}"
        rows.append((text, shown, _plain(first.menu)))
    return rows


class ShortcutsDialog(QDialog):
    """The keyboard shortcuts of the window's actions, as :func:`shortcut_rows` gives them."""

    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Menu"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, 480)

    def rows(self) -> list[tuple[str, ...]]:
        """The table as shown, row by row."""
        return [
            tuple(_text(self.table.item(r, c)) for c in range(self.table.columnCount()))
            for r in range(self.table.rowCount())
        ]

"""The main window: the canvas and the prediction panel, wired to one :class:`~digitpad.pad.Pad`.

Data flows one way: input on the canvas -> the pad's drawing -> the
session's one :class:`~digitpad.recognize.Recognizer` -> the pad's reading ->
the panel and the status line. The :class:`~digitpad.session.Session` (no
Qt) holds the model, the person's profile, the lock around them and the
background jobs; its results come to the GUI thread through
:class:`~.posting.PostToGuiThread`. The window builds the widgets and wires
the pad, the session and the helpers to them, each given only what it uses:
:class:`~.reading.DrawingReader` reads the drawing into the pad,
:class:`~.teaching.Teaching` runs the handwriting commands,
:class:`~.transfer.FileTransfer` opens, saves, copies and pastes.

Dialogs go through attributes (``show_message``, ``ask_open_path``,
``ask_save_path``, ``ask_yes_no``, ``ask_save_changes``, ``show_about``) so
that tests can replace them and never block on a modal.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMessageBox, QWidget

from .. import __version__
from ..pad import Pad, model_description
from ..profile import Profile
from ..session import Session
from . import actions, transfer
from .canvas import DEFAULT_PEN_WIDTH, CanvasWidget
from .posting import PostToGuiThread
from .prediction import PredictionPanel
from .reading import DrawingReader
from .teaching import Teaching, ask_yes_no

ORGANIZATION = APPLICATION = "digitpad"
#: Live predictions while drawing come at most this often (and always at pen-up).
PREDICT_INTERVAL_MS = 35
#: Other readings are offered under the number when at least this likely.
ALTERNATIVE_SHOWN_FROM = 0.01


class ElidedLabel(QLabel):
    """One line of text that shows what fits, ending in "…" where it is cut, with the
    whole text as its tooltip then. ``text()`` is the whole text; it asks for no width."""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        super().setText(text)
        self._update_tip()

    def shown_text(self) -> str:
        """The text as it fits the label now."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, width)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )
        painter.end()

    def _update_tip(self) -> None:
        cut = self.shown_text() != self.text()
        self.setToolTip(self.text() if cut else "")


class MainWindow(QMainWindow):
    """The drawing pad.

    Parameters
    ----------
    model : path, optional
        Model file; default: the bundled model.
    settings : QSettings, optional
        Where geometry and brush width are kept; default: the user's digitpad settings.
    load_model : bool
        Load the model now; ``run()`` passes False and loads it once the window is shown.
    profile : Profile or path, optional
        The person's handwriting (kept by ``session``); default:
        :func:`~digitpad.profile.default_profile_dir`.

    Signals
    -------
    profileOpened
        The profile was opened (``session.profile_open`` is now True), or could not be.
    """

    profileOpened = Signal()

    #: The window's actions by name (:data:`.actions.ACTIONS`), in place of
    #: QWidget.actions(), which nothing calls on the window.
    actions: dict[str, QAction]  # type: ignore[assignment]

    def __init__(
        self,
        model=None,
        *,
        settings: QSettings | None = None,
        load_model: bool = True,
        profile: Profile | str | os.PathLike | None = None,
    ):
        super().__init__()
        self.setWindowTitle("digitpad")
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)
        self.show_message = transfer.show_message_box
        self.ask_open_path = transfer.ask_open_path
        self.ask_save_path = transfer.ask_save_path
        self.ask_yes_no = ask_yes_no
        self.ask_save_changes = transfer.ask_save_changes
        self.show_about = QMessageBox.about
        self.shortcuts_dialog: actions.ShortcutsDialog | None = None
        #: The model, the profile and the background jobs; its events come on this thread.
        self.session = Session(
            model, profile, post=PostToGuiThread(self), picture_view=transfer.qimage_from_pil
        )
        self.pad = Pad()
        self.canvas = CanvasWidget(self.pad)
        self.panel = PredictionPanel()
        # Filled by _build_actions: the actions call the helpers, which use the actions.
        self.actions = {}
        # The dialogs are looked up when used: tests replace them on the window.
        self.files = transfer.FileTransfer(
            self.session,
            self.pad,
            self.canvas,
            settings=self.settings,
            notify=self._notify,
            report_error=self._report_error,
            ask_open_path=lambda directory: self.ask_open_path(self, directory),
            ask_save_path=lambda suggested: self.ask_save_path(self, suggested),
        )
        self.reader = DrawingReader(self.session, self.pad, self.canvas, self._report_error)
        self.teaching = Teaching(
            self.session,
            self.pad,
            self.canvas,
            self.actions,
            read_again=self.read_again,
            notify=self._notify,
            report_error=self._report_error,
            ask_yes_no=lambda parent, title, text: self.ask_yes_no(parent, title, text),
        )
        self.session.model_changed.connect(self._model_changed)
        # After Teaching's: the profile is in use by the time the signal comes.
        self.session.profile_opened.connect(lambda error: self.profileOpened.emit())
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(12, 12, 16, 12)
        layout.setSpacing(20)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.panel, 0)
        self.setCentralWidget(central)
        # The status line is cut to fit (even at the smallest window), never the window widened.
        self.status_label, self.model_label = ElidedLabel(), QLabel("Loading the model…")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.model_label)

        self._predict_timer = QTimer(self, singleShot=True, interval=PREDICT_INTERVAL_MS)
        self._predict_timer.timeout.connect(self.update_prediction)
        self.canvas.strokeUpdated.connect(self._stroke_updated)
        self.pad.drawing_changed.connect(self._drawing_changed)
        self.pad.reading_changed.connect(self._show_reading)
        self.panel.alternativeChosen.connect(self.pad.choose_alternative)
        self._build_actions()
        self._restore_settings()
        self.setMinimumSize(640, 520)
        if load_model:
            self.load_model()
        self._drawing_changed()
        self.canvas.setFocus()

    # -- model and recognition ------------------------------------------------------------

    def load_model(self) -> None:
        """Load the model (the profile then opens in the background); a missing or broken
        one leaves the window usable, with a message."""
        self.session.load_model()
        self.read_again()  # a picture read before the model came is read again with it

    def _model_changed(self) -> None:
        predictor, error = self.session.predictor, self.session.model_error
        if error is not None:
            self.model_label.setText("No model")
            self.panel.show_message(f"No model is loaded, so nothing is recognized.\n\n{error}")
            self.pad.set_model_loaded(error)
        elif predictor is not None:
            self.model_label.setText(model_description(predictor.path.name, predictor.card))
            self.model_label.setToolTip(f"{predictor.name}: {predictor.path}")
            self.panel.show_message(None)
            self.pad.set_model_loaded()

    @property
    def busy(self) -> bool:
        """A picture is being opened or read in the background."""
        return self.session.busy

    def _notify(self, text: str, msecs: int) -> None:
        self.statusBar().showMessage(text, msecs)

    def _report_error(self, title: str, text: str) -> None:
        self.show_message(self, title, text)

    def update_prediction(self) -> None:
        """Read what the canvas shows into the pad: ink now, a picture in the background."""
        self._predict_timer.stop()
        self.reader.read()

    def read_again(self) -> None:
        """Read the drawing again, a picture too: the model or the person's examples changed."""
        self._predict_timer.stop()
        self.reader.read(again=True)

    def _show_reading(self) -> None:
        shown = self.pad.shown_prediction()
        reading, index = self.pad.reading, self.pad.shown_index()
        if index is None or reading is None:
            self.panel.show_prediction(shown)
        else:
            self.panel.show_prediction(shown, number=reading.number, position=index)
        alternatives = reading.alternatives if reading is not None else []
        self.panel.show_alternatives(
            [a.number for a in alternatives if a.number and a.share >= ALTERNATIVE_SHOWN_FROM]
        )
        self.status_label.setText(self.pad.status_text())
        self._show_title()
        # Every step done, undone or redone comes here (a correction leaves the drawing).
        self.actions["undo"].setEnabled(self.pad.can_undo)
        self.actions["redo"].setEnabled(self.pad.can_redo)
        self.actions["copy_number"].setEnabled(bool(self.pad.number))

    def _show_title(self) -> None:
        # "2026.png — digitpad"; Qt shows the "[*]" as "*" while the drawing is not kept.
        name = self.pad.file_name or (None if self.pad.is_empty else "Untitled")
        self.setWindowTitle(f"{name}[*] — {APPLICATION}" if name else APPLICATION)
        self.setWindowModified(self.pad.is_modified)

    def _stroke_updated(self) -> None:
        # Throttle, not debounce: a long stroke still updates every interval.
        if not self._predict_timer.isActive():
            self._predict_timer.start()

    def _drawing_changed(self) -> None:
        for name in ("save", "copy", "erase", "clear"):
            self.actions[name].setEnabled(not self.pad.is_empty)
        self.update_prediction()

    # -- actions ------------------------------------------------------------------------

    def _build_actions(self) -> None:
        toolbar = self.addToolBar("Tools")
        toolbar.setObjectName("tools")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.actions.update(actions.build(self, self.menuBar(), toolbar))
        for name, action in self.actions.items():
            setattr(self, f"{name}_action", action)
        self.width_box = actions.add_brush_width_box(toolbar)
        self.width_box.valueChanged.connect(self.set_brush_width)
        self.width_box.editingFinished.connect(self.canvas.setFocus)

    def set_brush_width(self, width: float) -> None:
        self.canvas.pen_width = width
        if self.width_box.value() != round(self.canvas.pen_width):
            self.width_box.setValue(round(self.canvas.pen_width))
        self.settings.setValue("brush/width", self.canvas.pen_width)

    def thicker_brush(self) -> None:
        self.set_brush_width(self.canvas.pen_width + 2)

    def thinner_brush(self) -> None:
        self.set_brush_width(self.canvas.pen_width - 2)

    def show_shortcuts(self) -> None:
        """Show the keyboard shortcuts (not modal: the pad stays usable)."""
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = actions.ShortcutsDialog(self.actions, self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()

    def about_text(self) -> str:
        """What About says: the version and the model."""
        return (
            f"digitpad {__version__}: a drawing pad that recognizes handwritten digits."
            f"\n\n{self.model_label.text()}"
        )

    def about(self) -> None:
        self.show_about(self, "About digitpad", self.about_text())

    # -- pictures, drag and drop ----------------------------------------------------------

    def release_clipboard(self) -> None:
        """Call before the application ends (see FileTransfer.release_clipboard)."""
        self.files.release_clipboard()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if transfer.may_hold_a_drawing(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        if self.files.accept(event.mimeData()):
            event.acceptProposedAction()

    # -- settings -----------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(960, 640)
        try:
            # Any: QSettings gives back what was stored, or its text from a settings file.
            stored: Any = self.settings.value("brush/width", DEFAULT_PEN_WIDTH)
            width = float(stored)
        except (TypeError, ValueError):
            width = DEFAULT_PEN_WIDTH
        self.set_brush_width(width)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("brush/width", self.canvas.pen_width)
        self.settings.sync()

    def may_close(self) -> bool:
        """Whether the pad may close now: nothing would be lost, or the person saved it or
        chose to discard it (asked with ``ask_save_changes``).

        Clear needs no such question: it is a step Undo takes back.
        """
        if not self.pad.is_modified:
            return True
        answer = self.ask_save_changes(
            self, "Save the drawing?", "The drawing was not saved or copied. Save it first?"
        )
        if answer == transfer.SAVE:
            return self.files.save_file()
        return answer == transfer.DISCARD

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.may_close():
            event.ignore()
            return
        self.save_settings()
        self.session.wait()
        super().closeEvent(event)

"""The main window: the canvas and the prediction panel, wired to one :class:`~digitpad.pad.Pad`.

Data flows one way: input on the canvas -> the pad's drawing -> the one
:class:`~digitpad.recognize.Recognizer` -> the pad's reading -> the panel and
the status line. Ink is read on the GUI thread (about a millisecond a
digit); pictures are read and recognized on a worker thread.

The pad learns the person's handwriting: a digit key (or right-click, "It's
a …") over a digit is a :class:`~digitpad.pad.Correction` on the pad's undo
stack, learned into the person's :class:`~digitpad.profile.Profile` (the
default one unless given). A Recognizer and its profile are not thread-safe
and both threads use them, so every use of ``recognizer`` holds
``recognizer_lock``. Opening the profile (reading its files, computing their
features: about a second for 1,000 examples) runs on the worker, in a
Recognizer of its own that shares only the (serialized) model; the window
reads without the profile until that one is ready and takes its place.

Dialogs go through four attributes (``show_message``, ``ask_open_path``,
``ask_save_path``, ``ask_yes_no``) so that tests can replace them and never
block on a modal.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMenu, QMessageBox, QWidget

from ..pad import Pad, model_description
from ..predictor import ModelError, Predictor
from ..profile import Example, Profile
from ..recognize import Prediction, Recognizer, image_inputs, ink_inputs
from . import actions, transfer
from .canvas import DEFAULT_PEN_WIDTH, CanvasWidget
from .handwriting import HandwritingDialog
from .prediction import PredictionPanel
from .worker import PictureWorker, SerializedPredictor

ORGANIZATION = APPLICATION = "digitpad"
#: Live predictions while drawing come at most this often (and always at pen-up).
PREDICT_INTERVAL_MS = 35


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
        The person's handwriting; default: :func:`~digitpad.profile.default_profile_dir`.

    Signals
    -------
    profileOpened
        The profile was opened (``profile_open`` is now True), or could not be.
    """

    profileOpened = Signal()

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
        self.model_path = model
        #: The one recognizer (None until the model is loaded, or when it cannot be).
        self.recognizer: Recognizer | None = None
        #: Held around every use of ``recognizer`` (GUI thread and worker).
        self.recognizer_lock = threading.RLock()
        #: The person's handwriting; used through ``recognizer`` once open (see ``profile_open``).
        self.profile = profile if isinstance(profile, Profile) else Profile(profile)
        self.profile_open = False
        self.examples = SharedProfile(self)
        self.handwriting_dialog: HandwritingDialog | None = None
        self.context_menu: QMenu | None = None
        self._loading: object | None = None  # the ticket of the picture being read
        self._reading: tuple | None = None  # (drawing,): the ticket of the picture recognized
        self._opening: object | None = None  # the ticket of the profile being opened

        self.pad = Pad()
        self.canvas = CanvasWidget(self.pad)
        self.panel = PredictionPanel()
        self.worker = PictureWorker(self)
        self.files = transfer.FileTransfer(self)
        self.worker.finished.connect(self._job_finished, Qt.ConnectionType.QueuedConnection)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(12, 12, 16, 12)
        layout.setSpacing(20)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.panel, 0)
        self.setCentralWidget(central)
        self.status_label, self.model_label = QLabel(), QLabel("Loading the model…")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.model_label)

        self._predict_timer = QTimer(self, singleShot=True, interval=PREDICT_INTERVAL_MS)
        self._predict_timer.timeout.connect(self.update_prediction)
        self.canvas.strokeUpdated.connect(self._stroke_updated)
        self.pad.drawing_changed.connect(self._drawing_changed)
        self.pad.reading_changed.connect(self._show_reading)
        self.pad.examples_changed.connect(self.examples_changed)
        self.canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.canvas.customContextMenuRequested.connect(self.show_canvas_menu)
        self._build_actions()
        self._restore_settings()
        self.setMinimumSize(640, 520)
        if load_model:
            self.load_model()
        self._drawing_changed()
        self.canvas.setFocus()

    # -- model and recognition ------------------------------------------------------------

    def load_model(self) -> None:
        """Load the model; a missing or broken one leaves the window usable, with a message."""
        try:
            predictor = Predictor(self.model_path)
        except (ModelError, ImportError, OSError, ValueError, RuntimeError) as error:
            self.recognizer = None
            message = str(error) or type(error).__name__
            self.model_label.setText("No model")
            self.panel.show_message(f"No model is loaded, so nothing is recognized.\n\n{message}")
            self.pad.set_model_loaded(message)
        else:
            shared = SerializedPredictor(predictor)
            with self.recognizer_lock:
                self.recognizer = Recognizer(shared)  # without the profile until it is open
            self.model_label.setText(model_description(predictor.path.name, predictor.card))
            self.model_label.setToolTip(f"{predictor.name}: {predictor.path}")
            self.panel.show_message(None)
            self.pad.set_model_loaded()
            self._open_profile(shared)
        self._reading = None  # a picture read before the model came is read again with it
        self.update_prediction()

    def _open_profile(self, predictor) -> None:
        """Read the profile on the worker, in a Recognizer of its own (see the module).

        The worker's objects are its own until they are handed over: the given
        profile is untouched before it first opens, and after that (a model loaded
        again) a fresh Profile of the same folder is opened, since the GUI thread
        may still undo a correction through the old one meanwhile.
        """
        profile = Profile(self.profile.folder) if self.profile_open else self.profile
        self.profile_open = False
        self._update_correction_actions()

        def open_profile():
            opened = Recognizer(predictor, profile=profile)
            return opened, opened.prepare()

        self._opening = (self.recognizer,)  # swapped in only if the recognizer is still this one
        self.worker.submit(self._opening, open_profile)

    def _profile_opened(self, ticket, result) -> None:
        self._opening = None
        if isinstance(result, Exception):
            self.statusBar().showMessage(
                f"Cannot open your handwriting profile: {_one_line(result)}", 8000
            )
        else:
            opened, count = result
            with self.recognizer_lock:
                replaced = self.recognizer is not ticket[0]  # another model came meanwhile
                if not replaced:
                    self.recognizer, self.profile = opened, opened.profile
            if not replaced:
                self.profile_open = True
                self._update_correction_actions()
                self.pad.set_examples_in_use(count)
                self.examples_changed()
        self.profileOpened.emit()

    @property
    def busy(self) -> bool:
        """A picture is being read or recognized in the background."""
        return self._loading is not None or self._reading is not None

    def update_prediction(self) -> None:
        """Read what the canvas shows into the pad: ink now, a picture in the background."""
        self._predict_timer.stop()
        drawing = self.pad.drawing
        if drawing.has_picture:
            if self._reading is None or self._reading[0] is not drawing:
                self._reading = (drawing,)  # a new ticket: an older result is dropped
                self.worker.submit(self._reading, lambda: self._read_picture(drawing.picture))
            return
        inputs = ink_inputs(self.canvas.ink())
        with self.recognizer_lock:
            if self.recognizer is None:
                reading, count = _preview(inputs), 0
            else:
                # Cheap when the profile did not change; sees another program's changes.
                reading, count = self.recognizer.read(inputs), self.recognizer.prepare()
        self.pad.set_examples_in_use(count)
        self.pad.set_reading(reading)

    def _read_picture(self, picture) -> Prediction:
        """On the worker thread: the picture's reading, or its preview without a model.

        Finding the digits (seconds for a large photo) is done outside the lock, so
        that live ink on the GUI thread never waits for it; only the model's part is
        done under it.
        """
        inputs = image_inputs(picture)
        with self.recognizer_lock:
            if self.recognizer is not None:
                return self.recognizer.read(inputs)
        return _preview(inputs)

    def _job_finished(self, ticket, result) -> None:
        if ticket is self._opening:
            self._profile_opened(ticket, result)
        elif ticket is self._reading:  # a recognized picture: kept if it is still shown
            self._reading = None
            if ticket[0] is self.pad.drawing:
                failed = isinstance(result, Exception)
                self.pad.set_reading(Prediction(None, None, None, None) if failed else result)
                if failed:
                    self.show_message(self, "Cannot read the picture", _one_line(result))
        elif ticket is self._loading:  # a picture read, unless the drawing changed meanwhile
            self._loading = None
            (path,) = ticket
            if isinstance(result, Exception):
                name = "the picture" if path is None else path.name
                self.show_message(self, "Cannot open file", f"{name}: {_one_line(result)}")
            else:
                picture, shown, shown_image = result
                self.canvas.add_picture_image(shown, shown_image)
                self.pad.set_picture(picture, shown)
                if path is not None:
                    self.remember_folder(path)
                    self.statusBar().showMessage(f"Opened {path.name}", 4000)

    def _show_reading(self) -> None:
        shown = self.pad.shown_prediction()
        reading, index = self.pad.reading, self.pad.shown_index()
        if index is None:
            self.panel.show_prediction(shown)
        else:
            self.panel.show_prediction(shown, number=reading.number, position=index)
        self.status_label.setText(self.pad.status_text())
        # Every step done, undone or redone comes here (a correction leaves the drawing).
        self.actions["undo"].setEnabled(self.pad.can_undo)
        self.actions["redo"].setEnabled(self.pad.can_redo)
        self._update_correction_actions()

    def _stroke_updated(self) -> None:
        # Throttle, not debounce: a long stroke still updates every interval.
        if not self._predict_timer.isActive():
            self._predict_timer.start()

    def _drawing_changed(self) -> None:
        self._loading = None  # a picture still being read would replace this drawing: drop it
        for name in ("save", "copy", "clear"):
            self.actions[name].setEnabled(not self.pad.is_empty)
        self.update_prediction()

    # -- learning the person's handwriting ---------------------------------------------

    def correct(self, digit: int) -> None:
        """The digit pointed at (or the only one) is ``digit``: learn it (one undo step)."""
        if not self.profile_open:
            self.statusBar().showMessage("Your handwriting profile is still opening…", 3000)
            return
        try:
            self.pad.correct(digit, self.examples)
        except (ValueError, OSError) as error:
            self.show_message(self, "Cannot learn the digit", _one_line(error))

    def examples_changed(self) -> None:
        """The person's examples changed: count them and read the drawing again."""
        with self.recognizer_lock:
            count = self.recognizer.prepare() if self.recognizer is not None else 0
        self.pad.set_examples_in_use(count)
        self._reading = None  # a picture is recognized again too
        self.update_prediction()

    def show_canvas_menu(self, position: QPoint) -> None:
        """Right-click on the canvas: point at the digit there and offer "It's a …" 0-9."""
        scale, dx, dy = self.canvas.view_transform()
        self.pad.select_at((position.x() - dx) / scale, (position.y() - dy) / scale)
        menu = QMenu(self)
        menu.addSection("It's a …")
        for digit in range(10):
            menu.addAction(self.actions[f"correct_{digit}"])
        menu.addSeparator()
        menu.addAction(self.actions["handwriting"])
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = menu
        menu.popup(self.canvas.mapToGlobal(position))

    def show_handwriting(self) -> None:
        """Show the "Your handwriting" dialog (not modal: the pad stays usable)."""
        if not self.profile_open:
            return
        dialog = self.handwriting_dialog
        if dialog is None:
            dialog = HandwritingDialog(
                self.examples, self._ask_yes_no, str(self.profile.folder), self
            )
            dialog.changed.connect(self.examples_changed)
            self.handwriting_dialog = dialog
        else:
            dialog.reload()
        dialog.show()
        dialog.raise_()

    def toggle_guided_round(self) -> None:
        """Start or stop the guided round (write each digit three times; see GuidedRound)."""
        if not self.actions["guided"].isChecked():
            self.pad.stop_guided_round()
        elif self.profile_open:
            self.pad.start_guided_round()
        else:
            self.actions["guided"].setChecked(False)
            self.statusBar().showMessage("Your handwriting profile is still opening…", 3000)

    def accept_guided(self) -> None:
        """Enter during the guided round: learn the drawing as the digit asked for."""
        round_ = self.pad.guided_round
        try:
            accepted = self.pad.accept_guided(self.examples)
        except (ValueError, OSError) as error:
            self.show_message(self, "Cannot learn the digit", _one_line(error))
            return
        if accepted and self.pad.guided_round is None:
            self.actions["guided"].setChecked(False)
            self.statusBar().showMessage(round_.prompt(), 6000)

    def _ask_yes_no(self, parent, title: str, text: str) -> bool:
        return self.ask_yes_no(parent, title, text)  # looked up at call time: tests replace it

    def _update_correction_actions(self) -> None:
        can_correct = self.profile_open and self.pad.can_correct
        for digit in range(10):
            self.actions[f"correct_{digit}"].setEnabled(can_correct)
        self.actions["handwriting"].setEnabled(self.profile_open)
        self.actions["accept"].setEnabled(can_correct and self.pad.guided_round is not None)

    # -- actions ------------------------------------------------------------------------

    def _build_actions(self) -> None:
        toolbar = self.addToolBar("Tools")
        toolbar.setObjectName("tools")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.actions = actions.build(self, self.menuBar(), toolbar)
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

    def about(self) -> None:
        text = "digitpad: a drawing pad that recognizes handwritten digits.\n\n"
        QMessageBox.about(self, "About digitpad", text + self.model_label.text())

    # -- pictures, drag and drop ----------------------------------------------------------

    def load_picture(self, path: Path | None, source) -> None:
        """Read a picture file (``path``) or a QImage (``source``) in the background, then
        show it; an error shows a message and leaves the drawing as it was."""
        self._loading = (path,)  # a new ticket: an older picture still being read is dropped
        self.worker.submit(self._loading, lambda: transfer.read_picture(source))

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

    def remember_folder(self, path: Path) -> None:
        """Open and Save dialogs start in the folder of the last file opened or saved."""
        self.settings.setValue("files/directory", str(path.resolve().parent))

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(960, 640)
        try:
            width = float(self.settings.value("brush/width", DEFAULT_PEN_WIDTH))
        except (TypeError, ValueError):
            width = DEFAULT_PEN_WIDTH
        self.set_brush_width(width)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("brush/width", self.canvas.pen_width)
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.save_settings()
        self.worker.wait()
        super().closeEvent(event)


class SharedProfile:
    """The window's way to the person's profile: learning, forgetting and listing examples,
    each under the recognizer's lock (a :class:`~digitpad.pad.Teacher`, and the
    handwriting dialog's access). Used once the profile is open."""

    def __init__(self, window: MainWindow):
        self._window = window

    def learn(self, source, digit: int) -> Example:
        with self._window.recognizer_lock:
            recognizer = self._window.recognizer
            if recognizer is None or recognizer.profile is None:
                raise ValueError("the handwriting profile is not open")
            return recognizer.learn(source, digit)

    def forget(self, example: Example) -> None:
        with self._window.recognizer_lock:
            self._window.profile.forget(example)

    def forget_all(self) -> None:
        with self._window.recognizer_lock:
            self._window.profile.clear()

    def examples(self) -> list:
        with self._window.recognizer_lock:
            profile = self._window.profile
            examples, inputs = profile.inputs()
            return list(zip(examples, inputs, strict=True))


def ask_yes_no(parent, title: str, text: str) -> bool:
    """Ask a question with Yes and No (No is the default); True for Yes."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def _one_line(error: Exception) -> str:
    if isinstance(error, MemoryError):
        return "not enough memory"
    return " ".join(str(error).split()) or type(error).__name__


def _preview(inputs) -> Prediction:
    """Without a model: no digit, but the input of the last digit for the preview."""
    return Prediction(None, None, None, inputs[-1][0] if inputs else None)

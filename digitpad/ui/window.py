"""The main window: the canvas and the prediction panel, wired to one :class:`~digitpad.pad.Pad`.

Data flows one way: input on the canvas -> the pad's drawing -> the one
:class:`~digitpad.recognize.Recognizer` -> the pad's reading -> the panel and
the status line. Ink is read on the GUI thread (about a millisecond a
digit); pictures are read and recognized on a worker thread.

Dialogs go through three attributes (``show_message``, ``ask_open_path``,
``ask_save_path``) so that tests can replace them and never block on a modal.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMessageBox, QWidget

from ..pad import Pad, model_description
from ..predictor import ModelError, Predictor
from ..recognize import Prediction, Recognizer, image_inputs, ink_inputs
from . import actions, transfer
from .canvas import DEFAULT_PEN_WIDTH, CanvasWidget
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
    """

    def __init__(self, model=None, *, settings: QSettings | None = None, load_model: bool = True):
        super().__init__()
        self.setWindowTitle("digitpad")
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)
        self.show_message = transfer.show_message_box
        self.ask_open_path = transfer.ask_open_path
        self.ask_save_path = transfer.ask_save_path
        self.model_path = model
        #: The one recognizer (None until the model is loaded, or when it cannot be).
        self.recognizer: Recognizer | None = None
        self._loading: object | None = None  # the ticket of the picture being read
        self._reading: object | None = None  # the drawing whose picture is being recognized

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
            self.recognizer = Recognizer(SerializedPredictor(predictor))
            self.model_label.setText(model_description(predictor.path.name, predictor.card))
            self.model_label.setToolTip(f"{predictor.name}: {predictor.path}")
            self.panel.show_message(None)
            self.pad.set_model_loaded()
        self._reading = None  # a picture read before the model came is read again with it
        self.update_prediction()

    @property
    def busy(self) -> bool:
        """A picture is being read or recognized in the background."""
        return self._loading is not None or self._reading is not None

    def update_prediction(self) -> None:
        """Read what the canvas shows into the pad: ink now, a picture in the background."""
        self._predict_timer.stop()
        drawing = self.pad.drawing
        if drawing.has_picture:
            if self._reading is not drawing:
                self._reading = drawing
                self.worker.submit(drawing, lambda: self._read_picture(drawing.picture))
        elif self.recognizer is not None:
            self.pad.set_reading(self.recognizer.ink(self.canvas.ink()))
        else:
            self.pad.set_reading(_preview(ink_inputs(self.canvas.ink())))

    def _read_picture(self, picture) -> Prediction:
        """On the worker thread: the picture's reading, or its preview without a model."""
        if self.recognizer is not None:
            return self.recognizer.image(picture)
        return _preview(image_inputs(picture))

    def _job_finished(self, ticket, result) -> None:
        if ticket is self._reading:  # a recognized picture: kept if it is still shown
            self._reading = None
            if ticket is self.pad.drawing:
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

    def _stroke_updated(self) -> None:
        # Throttle, not debounce: a long stroke still updates every interval.
        if not self._predict_timer.isActive():
            self._predict_timer.start()

    def _drawing_changed(self) -> None:
        self._loading = None  # a picture still being read would replace this drawing: drop it
        self.actions["undo"].setEnabled(self.pad.can_undo)
        self.actions["redo"].setEnabled(self.pad.can_redo)
        for name in ("save", "copy", "clear"):
            self.actions[name].setEnabled(not self.pad.is_empty)
        self.update_prediction()

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


def _one_line(error: Exception) -> str:
    if isinstance(error, MemoryError):
        return "not enough memory"
    return " ".join(str(error).split()) or type(error).__name__


def _preview(inputs) -> Prediction:
    """Without a model: no digit, but the input of the last digit for the preview."""
    return Prediction(None, None, None, inputs[-1][0] if inputs else None)

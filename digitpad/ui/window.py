"""The main window: canvas on the left, prediction panel on the right, actions around them.

Data flows one way: canvas -> Ink -> :func:`~digitpad.preprocess.ink_to_input` ->
:class:`~digitpad.predictor.Predictor` -> panel. Pictures (opened, pasted or
dropped) go through :func:`~digitpad.preprocess.image_to_input` instead.

Dialogs go through three attributes (``show_message``, ``ask_open_path``,
``ask_save_path``) so that tests can replace them and never block on a modal.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QByteArray, QMimeData, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QImage, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from ..ink import InkError, ink_from_json, load_ink, rasterize
from ..predictor import ModelError, Predictor
from ..preprocess import ImageReadError, image_to_input, ink_to_input, load_image
from ..recognize import IMAGE_SUFFIXES, INK_SUFFIXES, Prediction, Recognizer
from .canvas import DEFAULT_PEN_WIDTH, MAX_PEN_WIDTH, MIN_PEN_WIDTH, CanvasWidget
from .prediction import UNSURE_BELOW, PredictionPanel, percent

ORGANIZATION = APPLICATION = "digitpad"
#: Live predictions while drawing come at most this often (and always at pen-up).
PREDICT_INTERVAL_MS = 35
#: Ink copied by digitpad carries its strokes under this MIME type too.
INK_MIME_TYPE = "application/x-digitpad-ink+json"
#: Pictures larger than this (either side) are shown downscaled; the model sees the original.
MAX_SHOWN_SIDE = 2048
HINT = "Draw a digit with the mouse, a pen or a finger, or open, paste or drop an image."


def default_settings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def show_message_box(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def ask_open_path(parent: QWidget, directory: str) -> str | None:
    patterns = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES | INK_SUFFIXES))
    path, _ = QFileDialog.getOpenFileName(
        parent, "Open image or ink", directory, f"Images and ink ({patterns});;All files (*)"
    )
    return path or None


def ask_save_path(parent: QWidget, suggested: str) -> str | None:
    png, ink = "PNG image (*.png)", "Ink JSON (*.json)"
    path, chosen = QFileDialog.getSaveFileName(parent, "Save drawing", suggested, f"{png};;{ink}")
    if not path:
        return None
    if Path(path).suffix.lower() not in (".png", ".json"):
        path += ".json" if chosen == ink else ".png"
    return path


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
        self.settings = settings if settings is not None else default_settings()
        self.show_message = show_message_box
        self.ask_open_path = ask_open_path
        self.ask_save_path = ask_save_path
        self._copied: QMimeData | None = None

        self.model_path = model
        self.predictor: Predictor | None = None
        self.recognizer: Recognizer | None = None
        self.model_error: str | None = None
        self._picture: Image.Image | None = None  # as read: what is recognized
        self._shown_picture: Image.Image | None = None  # 8-bit RGBA: what is drawn and saved
        #: The whole reading of the canvas (all digits of a number) and which
        #: of its digits the bars show (None: the last one written).
        self.reading: Prediction | None = None
        self.selected_digit: int | None = None

        self.canvas = CanvasWidget()
        self.panel = PredictionPanel()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(12, 12, 16, 12)
        layout.setSpacing(20)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.panel, 0)
        self.setCentralWidget(central)

        self.status_label = QLabel()
        self.model_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.model_label)

        self._predict_timer = QTimer(self)
        self._predict_timer.setSingleShot(True)
        self._predict_timer.setInterval(PREDICT_INTERVAL_MS)
        self._predict_timer.timeout.connect(self.update_prediction)
        self.canvas.strokeUpdated.connect(self._stroke_updated)
        self.canvas.inkChanged.connect(self._ink_changed)
        self.canvas.hovered.connect(self._hovered)

        self._create_actions()
        self._restore_settings()
        self.setMinimumSize(640, 520)
        if load_model:
            self.load_model()
        else:
            self.model_label.setText("Loading the model…")
        self._ink_changed()
        self.canvas.setFocus()

    # -- model and prediction ---------------------------------------------------------

    def load_model(self) -> None:
        """Load the model; a missing or broken one leaves the window usable, with a message."""
        try:
            self.predictor = Predictor(self.model_path)
            self.recognizer = Recognizer(self.predictor)
            self.model_error = None
        except (ModelError, ImportError, OSError, ValueError, RuntimeError) as error:
            self.predictor = None
            self.model_error = str(error) or type(error).__name__
        if self.predictor is None:
            self.model_label.setText("No model")
            self.panel.show_message(
                f"No model is loaded, so nothing is recognized.\n\n{self.model_error}"
            )
        else:
            self.model_label.setText(model_description(self.predictor))
            self.panel.show_message(None)
        self.update_prediction()

    def update_prediction(self) -> Prediction | None:
        """Run the model on what the canvas shows and update the panel and status line.

        Returns what the panel shows: the one digit, or the selected digit of a number.
        """
        self._predict_timer.stop()
        if self.recognizer is None:  # no model: the preview still shows the model's input
            if self.canvas.has_image:
                model_input = image_to_input(self._picture)
            else:
                ink = self.canvas.ink()
                model_input = None if ink.is_empty else ink_to_input(ink)
            self.reading = Prediction(None, None, None, model_input)
        elif self.canvas.has_image:
            self.reading = self.recognizer.image(self._picture)
        else:
            self.reading = self.recognizer.ink(self.canvas.ink())
        several = len(self.reading.digits) > 1
        # Boxes are drawn over ink; a picture's digits are in picture pixels.
        self.canvas.set_boxes(
            [d.box for d in self.reading.digits] if several and not self.canvas.has_image else []
        )
        return self._show_reading()

    def _show_reading(self) -> Prediction:
        reading = self.reading
        if len(reading.digits) > 1:
            index = self.selected_digit
            if index is None or index >= len(reading.digits):
                index = len(reading.digits) - 1
            digit = reading.digits[index]
            shown = Prediction(digit.digit, digit.confidence, digit.probabilities, digit.input)
            self.panel.show_prediction(shown, number=reading.number, position=index)
        else:
            shown = reading
            self.panel.show_prediction(shown)
        self.status_label.setText(self._status_text(reading))
        return shown

    def _hovered(self, x: float, y: float) -> None:
        if self.reading is None or len(self.reading.digits) < 2 or self.canvas.has_image:
            return
        for index, digit in enumerate(self.reading.digits):
            x0, y0, x1, y1 = digit.box
            margin = 0.15 * (y1 - y0)
            if x0 - margin <= x <= x1 + margin and y0 - margin <= y <= y1 + margin:
                if index != self.selected_digit:
                    self.selected_digit = index
                    self._show_reading()
                return

    def _status_text(self, prediction: Prediction) -> str:
        if self.canvas.is_empty:
            return HINT
        if self.predictor is None:
            return f"No model: {self.model_error}" if self.model_error else "Loading the model…"
        if len(prediction.digits) > 1:
            sure = f"{prediction.number} ({percent(prediction.confidence)} sure of every digit)"
            return f"Looks like {sure}. Point at a digit to see its bars."
        if prediction.digit is None:
            if self.canvas.has_image:
                return "No digit found in the picture."
            return "Too small to recognize; draw the digit larger."
        if prediction.confidence < UNSURE_BELOW:
            return (
                f"Not sure: maybe {_a(prediction.digit)} ({percent(prediction.confidence)}). "
                "Try writing it more clearly."
            )
        return f"Looks like {_a(prediction.digit)} ({percent(prediction.confidence)})."

    def _stroke_updated(self) -> None:
        # Throttle, not debounce: a long stroke still updates every interval.
        if not self._predict_timer.isActive():
            self._predict_timer.start()

    def _ink_changed(self) -> None:
        if not self.canvas.has_image:
            self._picture = self._shown_picture = None
        self.selected_digit = None
        self.update_prediction()
        self._update_actions()

    # -- actions ----------------------------------------------------------------------

    def _create_actions(self) -> None:
        def action(text, slot, shortcuts=(), icon=None, tip=None, short=None):
            act = QAction(text, self)
            act.triggered.connect(slot)
            keys = []
            for shortcut in shortcuts:
                more = (
                    QKeySequence.keyBindings(shortcut)
                    if isinstance(shortcut, QKeySequence.StandardKey)
                    else [QKeySequence(shortcut)]
                )
                keys += [k for k in more if not k.isEmpty() and k not in keys]
            act.setShortcuts(keys)
            # Theme icons only: without an icon theme the toolbar shows clean text.
            if icon and QIcon.hasThemeIcon(icon):
                act.setIcon(QIcon.fromTheme(icon))
            if short:
                act.setIconText(short)
            label = tip or text.replace("&", "").rstrip("…")
            if keys:
                label += f" ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})"
            act.setToolTip(label)
            return act

        key = QKeySequence.StandardKey
        self.open_action = action(
            "&Open…",
            self.open_file,
            [key.Open],
            "document-open",
            "Open an image or ink file",
            "Open",
        )
        self.save_action = action(
            "&Save…",
            self.save_file,
            [key.Save],
            "document-save",
            "Save the drawing as PNG or ink JSON",
            "Save",
        )
        self.copy_action = action("&Copy", self.copy, [key.Copy], "edit-copy")
        self.paste_action = action("&Paste", self.paste, [key.Paste], "edit-paste")
        self.quit_action = action("&Quit", self.close, [key.Quit, "Ctrl+Q"], "application-exit")
        self.undo_action = action(
            "&Undo stroke", self.canvas.undo, [key.Undo], "edit-undo", short="Undo"
        )
        self.redo_action = action(
            "&Redo stroke",
            self.canvas.redo,
            [key.Redo, "Ctrl+Shift+Z"],
            "edit-redo",
            short="Redo",
        )
        self.clear_action = action(
            "C&lear",
            self.canvas.clear,
            [Qt.Key.Key_Escape, key.Delete],
            "edit-clear",
            "Clear the canvas",
            "Clear",
        )
        self.thicker_action = action("&Thicker brush", lambda: self._step_width(+2), ["]"])
        self.thinner_action = action("T&hinner brush", lambda: self._step_width(-2), ["["])
        self.about_action = action("&About digitpad", self._about)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addActions([self.open_action, self.save_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.copy_action, self.paste_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.clear_action)
        brush_menu = menu.addMenu("&Brush")
        brush_menu.addActions([self.thicker_action, self.thinner_action])
        menu.addMenu("&Help").addAction(self.about_action)

        self.width_box = QSpinBox()
        self.width_box.setRange(int(MIN_PEN_WIDTH), int(MAX_PEN_WIDTH))
        self.width_box.setSuffix(" px")
        self.width_box.setToolTip("Brush width ([ and ])")
        self.width_box.setAccessibleName("Brush width")
        self.width_box.setValue(int(DEFAULT_PEN_WIDTH))
        self.width_box.valueChanged.connect(self.set_brush_width)
        self.width_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.width_box.editingFinished.connect(self.canvas.setFocus)

        toolbar = self.addToolBar("Tools")
        toolbar.setObjectName("tools")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.open_action, self.save_action])
        toolbar.addSeparator()
        toolbar.addActions([self.undo_action, self.redo_action, self.clear_action])
        toolbar.addSeparator()
        brush_label = QLabel("Brush ")
        brush_label.setContentsMargins(6, 0, 0, 0)
        toolbar.addWidget(brush_label)
        toolbar.addWidget(self.width_box)

    def _update_actions(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo)
        self.redo_action.setEnabled(self.canvas.can_redo)
        has_content = not self.canvas.is_empty
        for act in (self.save_action, self.copy_action, self.clear_action):
            act.setEnabled(has_content)

    def set_brush_width(self, width: float) -> None:
        self.canvas.pen_width = width
        if self.width_box.value() != round(self.canvas.pen_width):
            self.width_box.setValue(round(self.canvas.pen_width))
        self.settings.setValue("brush/width", self.canvas.pen_width)

    def _step_width(self, step: int) -> None:
        self.set_brush_width(self.canvas.pen_width + step)

    def _about(self) -> None:
        model = model_description(self.predictor) if self.predictor else "No model is loaded."
        QMessageBox.about(
            self,
            "About digitpad",
            "digitpad: a drawing pad that recognizes handwritten digits.\n\n" + model,
        )

    # -- files, clipboard, drag and drop -------------------------------------------------

    def open_file(self) -> None:
        directory = str(self.settings.value("files/directory", "") or "")
        path = self.ask_open_path(self, directory)
        if path:
            self.open_path(path)

    def open_path(self, path) -> bool:
        """Show and recognize an image or ink file; a bad file leaves the drawing as it was."""
        path = Path(path)
        try:
            if path.suffix.lower() in INK_SUFFIXES:
                ink = load_ink(path)
                if ink.is_empty:
                    raise InkError("the ink has no strokes")
                self.canvas.set_ink(ink)
            else:
                with load_image(path) as image:
                    self.show_picture(image)
        except (InkError, ImageReadError) as error:
            self.show_message(self, "Cannot open file", f"{path.name}: {error}")
            return False
        self.settings.setValue("files/directory", str(path.resolve().parent))
        self.statusBar().showMessage(f"Opened {path.name}", 4000)
        return True

    def show_picture(self, image: Image.Image) -> None:
        """Show a picture on the canvas and recognize the digits in it.

        The picture is recognized as read, exactly as ``digitpad predict``
        would; the canvas shows an 8-bit copy no larger than the screen needs.
        """
        self._picture = image.copy()
        shown = _displayable(image)
        if max(shown.size) > MAX_SHOWN_SIDE:
            shown.thumbnail((MAX_SHOWN_SIDE, MAX_SHOWN_SIDE))
        self._shown_picture = shown
        self.canvas.show_image(_qimage_from_pil(shown))

    def picture(self) -> Image.Image | None:
        """What Save and Copy write: the picture shown, or the ink as dark lines on white."""
        if self.canvas.has_image:
            return self._shown_picture
        ink = self.canvas.ink()
        if ink.is_empty:
            return None
        width, height = (max(1, math.ceil(v)) for v in self.canvas.ink_space())
        coverage = rasterize(ink, (width, height), pen_width=self.canvas.pen_width, pressure=True)
        return Image.fromarray(np.rint(255 - coverage * 255).astype(np.uint8), mode="L")

    def save_file(self) -> None:
        if self.canvas.is_empty:
            self.statusBar().showMessage("Nothing to save", 4000)
            return
        directory = str(self.settings.value("files/directory", "") or "")
        path = self.ask_save_path(self, os.path.join(directory, "digit.png"))
        if path:
            self.save_path(path)

    def save_path(self, path) -> bool:
        """Write the drawing: ``.json`` as ink, anything else as a PNG picture."""
        path = Path(path)
        try:
            if path.suffix.lower() == ".json":
                if self.canvas.has_image:
                    raise ValueError("a picture has no ink strokes; save it as PNG")
                self.canvas.ink().save(path)
            else:
                self.picture().save(path, format="PNG")
        except (OSError, ValueError) as error:
            self.show_message(self, "Cannot save", f"{path.name}: {error}")
            return False
        self.settings.setValue("files/directory", str(path.resolve().parent))
        self.statusBar().showMessage(f"Saved {path.name}", 4000)
        return True

    def copy(self) -> None:
        picture = self.picture()
        if picture is None:
            return
        data = QMimeData()
        data.setImageData(_qimage_from_pil(picture))
        if not self.canvas.has_image:
            data.setData(
                INK_MIME_TYPE, QByteArray(json.dumps(self.canvas.ink().to_json()).encode())
            )
        QGuiApplication.clipboard().setMimeData(data)
        self._copied = data
        self.statusBar().showMessage("Copied the drawing", 3000)

    def release_clipboard(self) -> None:
        """Take our copy off the clipboard; call before the application ends.

        PySide6 crashes at interpreter exit while the clipboard still holds a
        QMimeData made in Python.
        """
        clipboard = QGuiApplication.clipboard()
        if self._copied is not None and clipboard.mimeData() is self._copied:
            clipboard.clear()
        self._copied = None

    def paste(self) -> None:
        if not self._accept_mime(QGuiApplication.clipboard().mimeData()):
            self.statusBar().showMessage("The clipboard holds no image or file", 4000)

    def _accept_mime(self, data: QMimeData | None) -> bool:
        if data is None:
            return False
        if data.hasFormat(INK_MIME_TYPE):
            try:
                ink = ink_from_json(bytes(data.data(INK_MIME_TYPE)))
            except InkError:
                ink = None
            if ink is not None and not ink.is_empty:
                self.canvas.set_ink(ink)
                return True
        files = [url.toLocalFile() for url in data.urls() if url.isLocalFile()]
        if files:
            self.open_path(files[0])
            return True
        if data.hasImage():
            image = data.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.show_picture(_pil_from_qimage(image))
                return True
        return False

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        data = event.mimeData()
        if data.hasImage() or any(url.isLocalFile() for url in data.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        if self._accept_mime(event.mimeData()):
            event.acceptProposedAction()

    # -- settings ---------------------------------------------------------------------

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
        super().closeEvent(event)


def model_description(predictor: Predictor) -> str:
    accuracy = predictor.test_accuracy
    score = (
        f"{accuracy * 100:.2f}% on the MNIST test set"
        if accuracy is not None
        else "test accuracy unknown"
    )
    return f"Model: {predictor.name} · {score}"


def _a(digit: int) -> str:
    return f"an {digit}" if digit == 8 else f"a {digit}"


def _displayable(image: Image.Image) -> Image.Image:
    """An RGBA copy for the screen; Pillow's own conversion clips 16-bit and float grey."""
    if image.mode.startswith("I;16"):
        grey = np.asarray(image, dtype=np.float32) / 257
    elif image.mode in ("I", "F"):
        grey = np.asarray(image, dtype=np.float32)
        low, high = float(grey.min()), float(grey.max())
        grey = (grey - low) * (255 / max(high - low, 1e-6))
    else:
        return image.convert("RGBA")
    return Image.fromarray(np.rint(grey).clip(0, 255).astype(np.uint8)).convert("RGBA")


def _qimage_from_pil(image: Image.Image) -> QImage:
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    width, height = rgba.size
    return QImage(data, width, height, width * 4, QImage.Format.Format_RGBA8888).copy()


def _pil_from_qimage(image: QImage) -> Image.Image:
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    pixels = np.frombuffer(image.constBits(), np.uint8, count=stride * height)
    pixels = pixels.reshape(height, stride)[:, : width * 4].reshape(height, width, 4)
    return Image.fromarray(pixels.copy(), mode="RGBA")

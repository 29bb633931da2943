"""Drawings in and out of the pad: files, the clipboard, drag and drop, Pillow <-> QImage.

Files are opened by the session (:meth:`digitpad.session.Session.open_file`),
through the library's readers (:func:`digitpad.ink.load_ink`,
:func:`digitpad.preprocess.load_image`), so a file opens in the pad exactly
when ``digitpad predict`` can read it, with the same one-line error.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, PngImagePlugin
from PySide6.QtCore import QByteArray, QMimeData, QSettings
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..ink import PNG_INK_KEY, Ink, InkError, ink_from_json, rasterize
from ..pad import Drawing, Pad
from ..preprocess import load_image
from ..recognize import IMAGE_SUFFIXES, INK_SUFFIXES
from ..session import OpenedPicture, Session, shown_picture

if TYPE_CHECKING:  # the canvas imports this module
    from .canvas import CanvasWidget

#: Ink copied by digitpad carries its strokes under this MIME type too.
INK_MIME_TYPE = "application/x-digitpad-ink+json"
#: How Pillow unpacks a QImage's bytes: (mode, raw mode) for each QImage format.
_QIMAGE_UNPACK = {
    QImage.Format.Format_RGBA8888: ("RGBA", "RGBA"),
    QImage.Format.Format_RGBX8888: ("RGB", "RGBX"),
    QImage.Format.Format_RGB888: ("RGB", "RGB"),
    QImage.Format.Format_Grayscale8: ("L", "L"),
    # 32-bit ARGB is stored as one integer per pixel: bytes B, G, R, A on little-endian.
    QImage.Format.Format_ARGB32: ("RGBA", "BGRA" if sys.byteorder == "little" else "ARGB"),
    QImage.Format.Format_RGB32: ("RGB", "BGRX" if sys.byteorder == "little" else "XRGB"),
}


# -- dialogs (replaced in tests, which must never block on a modal) ------------------------


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


#: The answers of :func:`ask_save_changes`.
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def ask_save_changes(parent: QWidget, title: str, text: str) -> str:
    """Ask whether to save unsaved work: :data:`SAVE`, :data:`DISCARD` or :data:`CANCEL`."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent, title, text, buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save
    )
    return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)


class FileTransfer:
    """Open, Save, Copy and Paste for the pad.

    Ink and saving happen at once; pictures are opened by the session in the
    background (:meth:`~digitpad.session.Session.open_picture`) and shown when
    they come, unless the drawing changed meanwhile. The last folder used is
    kept in ``settings``; Open and Save dialogs start there.

    Parameters
    ----------
    session : Session
    pad : Pad
    canvas : CanvasWidget
        Gives the brush width for ink, and gets each opened picture's QImage.
    settings : QSettings
    notify : callable(text, milliseconds)
        Shows a passing message (the status line).
    report_error : callable(title, text)
        Shows a problem (a message box).
    ask_open_path : callable(directory) -> str or None
    ask_save_path : callable(suggested path) -> str or None
    """

    def __init__(
        self,
        session: Session,
        pad: Pad,
        canvas: CanvasWidget,
        *,
        settings: QSettings,
        notify: Callable[[str, int], object],
        report_error: Callable[[str, str], object],
        ask_open_path: Callable[[str], str | None],
        ask_save_path: Callable[[str], str | None],
    ) -> None:
        self.session, self.pad, self.canvas, self.settings = session, pad, canvas, settings
        self.notify, self.report_error = notify, report_error
        self.ask_open_path, self.ask_save_path = ask_open_path, ask_save_path
        self._copied: QMimeData | None = None
        session.picture_opened.connect(self._picture_opened)
        session.open_failed.connect(self._open_failed)

    def _folder(self) -> str:
        return str(self.settings.value("files/directory", "") or "")

    def remember_folder(self, path: Path) -> None:
        """Open and Save dialogs start in the folder of the last file opened or saved."""
        self.settings.setValue("files/directory", str(path.resolve().parent))

    def open_file(self) -> None:
        path = self.ask_open_path(self._folder())
        if path:
            self.open_path(path)

    def open_path(self, path) -> None:
        """Show and recognize an image or ink file; a bad file leaves the drawing as it was.

        Ink opens at once; a picture is read in the background (see ``session.busy``).
        """
        path = Path(path)
        ink = self.session.open_file(path)
        if ink is not None:
            self.pad.set_ink(ink, file_name=path.name, width=self.canvas.pen_width)
            self.remember_folder(path)
            self.notify(f"Opened {path.name}", 4000)

    def _picture_opened(self, opened: OpenedPicture) -> None:
        assert isinstance(opened.view, QImage)  # the window's session makes one (picture_view)
        self.canvas.add_picture_image(opened.shown, opened.view)
        path = opened.path
        self.pad.set_picture(opened.picture, opened.shown, None if path is None else path.name)
        if path is not None:
            self.remember_folder(path)
            self.notify(f"Opened {path.name}", 4000)

    def _open_failed(self, path: Path | None, message: str) -> None:
        name = "the picture" if path is None else path.name
        self.report_error("Cannot open file", f"{name}: {message}")

    def suggested_name(self) -> str:
        """The name Save proposes: the drawing's file (as PNG unless it is ink JSON), else the
        number read ("2026.png"), else ``drawing.png``."""
        pad = self.pad
        if pad.file_name:
            name = Path(pad.file_name)
            return name.name if name.suffix.lower() in (".png", ".json") else f"{name.stem}.png"
        return f"{pad.number}.png" if pad.number else "drawing.png"

    def save_file(self) -> bool:
        """Ask where to save the drawing and save it; False when not saved."""
        suggested = os.path.join(self._folder(), self.suggested_name())
        path = self.ask_save_path(suggested)
        return bool(path) and self.save_path(path)

    def save_path(self, path) -> bool:
        """Write the drawing: ``.json`` as ink, anything else as a PNG picture."""
        path = Path(path)
        try:
            save_drawing(self.pad.drawing, path, self.canvas.pen_width)
        except (OSError, ValueError) as error:
            self.report_error("Cannot save", f"{path.name}: {error}")
            return False
        self.pad.mark_kept(path.name)
        self.remember_folder(path)
        self.notify(f"Saved {path.name}", 4000)
        return True

    def copy(self) -> None:
        """Copy the drawing: its picture, its ink, and the number read as text."""
        number = self.pad.number
        data = drawing_mime(self.pad.drawing, self.canvas.pen_width, number)
        if data is not None:
            self._set_clipboard(data)
            self.pad.mark_kept()
            self.notify("Copied the drawing" + (f" and {number}" if number else ""), 3000)

    def copy_number(self) -> None:
        """Copy only the number read, as text."""
        number = self.pad.number
        if not number:
            self.notify("Nothing is read to copy", 3000)
            return
        data = QMimeData()
        data.setText(number)
        self._set_clipboard(data)
        self.notify(f"Copied {number}", 3000)

    def _set_clipboard(self, data: QMimeData) -> None:
        QGuiApplication.clipboard().setMimeData(data)
        self._copied = data

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
        if not self.accept(QGuiApplication.clipboard().mimeData()):
            self.notify("The clipboard holds no image or file", 4000)

    def accept(self, data: QMimeData | None) -> bool:
        """Open what pasted or dropped data holds (see :func:`mime_contents`); False: nothing."""
        contents = mime_contents(data)
        if isinstance(contents, Ink):
            self.pad.set_ink(contents, width=self.canvas.pen_width)
        elif isinstance(contents, Path):
            self.open_path(contents)
        elif contents is not None:
            image = contents  # converted on the worker: a large one takes a while
            self.session.open_picture(lambda: pil_from_qimage(image))
        return contents is not None


# -- reading ----------------------------------------------------------------------------


def read_picture(source) -> tuple[Image.Image, Image.Image, QImage]:
    """A picture file (path) or a QImage made ready for the pad in one go: what the
    session's worker does when one is opened or pasted (``benchmarks/ui_stall.py``
    times it so).

    Returns ``(picture, shown_picture, shown_image)``: the first two as
    :class:`~digitpad.pad.Drawing` holds them, the last the shown picture as
    a QImage for the canvas. Slow for large pictures. Raises
    :class:`~digitpad.preprocess.ImageReadError` for a file that cannot be read.
    """
    # load_image() has decoded the pixels, so the picture outlives its file.
    picture = pil_from_qimage(source) if isinstance(source, QImage) else load_image(source)
    shown = shown_picture(picture)
    return picture, shown, qimage_from_pil(shown)


def mime_contents(data: QMimeData | None) -> Ink | Path | QImage | None:
    """What the clipboard or a drop holds for the pad, in order of preference.

    digitpad's own ink, else the first local file, else a picture; None when
    it holds none of these (broken ink is skipped).
    """
    if data is None:
        return None
    if data.hasFormat(INK_MIME_TYPE):
        try:
            ink = ink_from_json(bytes(data.data(INK_MIME_TYPE).data()))
        except InkError:
            ink = None
        if ink is not None and not ink.is_empty:
            return ink
    files = [Path(url.toLocalFile()) for url in data.urls() if url.isLocalFile()]
    if files:
        return files[0]
    if data.hasImage():
        image = data.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return image
    return None


def may_hold_a_drawing(data: QMimeData) -> bool:
    """Cheap check for drag-enter: a picture or a local file."""
    return data.hasImage() or any(url.isLocalFile() for url in data.urls())


# -- writing ----------------------------------------------------------------------------


def drawing_picture(drawing: Drawing, pen_width: float) -> Image.Image | None:
    """What Save and Copy write: the picture shown, or the ink as dark lines on white, each
    stroke as wide as it is shown (``pen_width`` where the drawing gives none)."""
    if drawing.has_picture:
        return drawing.shown_picture
    if not drawing.strokes or drawing.space is None:
        return None
    columns, rows = (max(1, math.ceil(v)) for v in drawing.space)
    size = (columns, rows)
    # Each stroke at the width it was drawn with (pen_width for those without one).
    coverage = np.zeros(size[::-1], np.float32)
    for width, strokes in drawing.strokes_by_width(pen_width):
        part = rasterize(strokes, size, pen_width=width, pressure=True)
        np.maximum(coverage, part, out=coverage)
    return Image.fromarray(np.rint(255 - coverage * 255).astype(np.uint8), mode="L")


def save_drawing(drawing: Drawing, path, pen_width: float) -> None:
    """Write ``.json`` as ink, anything else as a PNG picture (which keeps the ink of an
    ink drawing, see :data:`~digitpad.ink.PNG_INK_KEY`); raises OSError or ValueError."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        if drawing.has_picture:
            raise ValueError("a picture has no ink strokes; save it as PNG")
        drawing.ink().save(path)
        return
    picture = drawing_picture(drawing, pen_width)
    if picture is None:
        raise ValueError("the drawing is empty: nothing to save")
    if drawing.has_picture:
        picture.save(path, format="PNG")
    else:
        # The PNG keeps the ink too, so that it is read (and opens) as what was drawn.
        info = PngImagePlugin.PngInfo()
        info.add_text(PNG_INK_KEY, json.dumps(drawing.ink().to_json(), separators=(",", ":")))
        picture.save(path, format="PNG", pnginfo=info)


def drawing_mime(drawing: Drawing, pen_width: float, number: str | None = None) -> QMimeData | None:
    """Clipboard data of a drawing: its picture, its strokes when it is ink, and
    ``number`` (the reading) as ``text/plain``."""
    picture = drawing_picture(drawing, pen_width)
    if picture is None:
        return None
    data = QMimeData()
    data.setImageData(qimage_from_pil(picture))
    if number:
        data.setText(number)
    if not drawing.has_picture:
        data.setData(INK_MIME_TYPE, QByteArray(json.dumps(drawing.ink().to_json()).encode()))
    return data


# -- Pillow <-> Qt ----------------------------------------------------------------------


def qimage_from_pil(image: Image.Image) -> QImage:
    rgba = image.convert("RGBA")
    data = rgba.tobytes()
    width, height = rgba.size
    return QImage(data, width, height, width * 4, QImage.Format.Format_RGBA8888).copy()


def pil_from_qimage(image: QImage) -> Image.Image:
    """A Pillow copy of a QImage.

    Common formats are unpacked by Pillow, which lets other threads run
    meanwhile; Qt's own conversion, used for the rest, holds Python's GIL.
    """
    unpack = _QIMAGE_UNPACK.get(image.format())
    if unpack is None:
        image = image.convertToFormat(QImage.Format.Format_RGBA8888)
        unpack = ("RGBA", "RGBA")
    mode, raw_mode = unpack
    size, stride = (image.width(), image.height()), image.bytesPerLine()
    data = memoryview(image.constBits())[: stride * image.height()]
    return Image.frombytes(mode, size, data, "raw", raw_mode, stride)

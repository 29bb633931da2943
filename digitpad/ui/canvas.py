"""The drawing canvas: shows a :class:`~digitpad.pad.Pad`'s drawing and adds strokes to it.

The canvas owns input (mouse, pen, touch) and painting; the drawing, its
undo history and its reading live in the pad, which the canvas subscribes to.

The picture on screen is what :func:`digitpad.ink.rasterize`, which also draws
the model's input, makes of the ink (a test compares the two). Committed
strokes are rasterized whole (at pen-up, undo, resize, ...); the stroke being
drawn is rasterized a small patch at a time when Qt paints, so a mouse move
costs only appending a point and asking for a repaint.

Ink lives in its own coordinate space: the canvas size when the drawing was
started (kept by the pad). The view maps that space uniformly (same scale on both axes,
centred) onto the widget, so resizing the window never stretches or crops
the drawing. While a stroke is drawn the view stays as it was at pen-down, even if
the widget is resized meanwhile: every point of a stroke is mapped the same way, so
the ink is where the pointer went.

A picture is shown whole, scaled uniformly and centred within a margin. Its
points are its own pixels (those of ``Drawing.picture``, in which the reading
gives each digit's box), so that the boxes of its digits are outlined, and
pointed at, through the same transform it is painted with (:meth:`CanvasWidget.view_transform`).
"""

from __future__ import annotations

import math
import sys
import weakref

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QInputDevice, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..ink import Ink, rasterize
from ..pad import Pad
from .transfer import qimage_from_pil

#: Anti-aliasing for the screen picture: 3x3 samples per device pixel, or 2x2 where
#: device pixels are already small (device pixel ratio 1.5 and up).
SUPERSAMPLE = 3
HIGH_DPI_SUPERSAMPLE = 2
DEFAULT_PEN_WIDTH = 14.0
MIN_PEN_WIDTH = 2.0
MAX_PEN_WIDTH = 48.0
#: How opaque the highlight colour fills the box of the digit pointed at.
SELECTED_FILL_ALPHA = 0.12
#: Room left around a picture, in logical pixels.
PICTURE_MARGIN = 16
#: What the empty canvas says unless told otherwise (see CanvasWidget.hint).
DEFAULT_HINT = "Draw a digit here"
#: rasterize() draws a full-pressure point 1.5 times the pen width.
_MAX_PRESSURE_GROWTH = 1.5
# The layer is kept in the raster engine's native format, so that a paint blends only
# the repainted rectangle instead of converting the whole picture first. Alpha is the
# fourth byte either way.
if sys.byteorder == "little":
    _LAYER_FORMAT = QImage.Format.Format_ARGB32_Premultiplied
    _RGB_BYTES = (2, 1, 0)  # memory order B, G, R, A
else:
    _LAYER_FORMAT = QImage.Format.Format_RGBA8888_Premultiplied
    _RGB_BYTES = (0, 1, 2)


class CanvasWidget(QWidget):
    """A canvas that adds strokes to a pad and shows its drawing through the shared rasterizer.

    Parameters
    ----------
    pad : Pad, optional
        The drawing to show and draw on; default: a new, empty one.

    Signals
    -------
    strokeUpdated
        A point was added to the stroke being drawn (many per second).
    firstPainted
        The canvas was painted for the first time (the window is on screen).
    """

    strokeUpdated = Signal()
    firstPainted = Signal()

    def __init__(self, pad: Pad | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(280, 280)
        self.setCursor(Qt.CursorShape.CrossCursor)
        # Focus on the canvas, so that Ctrl+Z, Ctrl+C, Delete, ... reach the window's
        # actions rather than a text field.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Drawing canvas")
        self._hint = DEFAULT_HINT
        self.setMouseTracking(True)  # hovering over a digit of a number selects it

        self.pad = pad if pad is not None else Pad()
        self._active: list[tuple[float, ...]] | None = None
        self._flushed = 0  # points of the active stroke already in the layer
        self._pending_space: tuple[float, float] | None = None  # before the first stroke lands
        self._stroke_view: tuple[float, float, float] | None = None  # the view at pen-down
        self._pen_width = DEFAULT_PEN_WIDTH
        self._active_width = DEFAULT_PEN_WIDTH  # the pen width of the stroke being drawn
        self._clock = QElapsedTimer()
        # The pad's shown pictures as QImages, made once each, kept while the pad keeps the
        # picture: {id(picture): (weak reference to it, QImage)}.
        self._picture_images: dict[int, tuple[weakref.ref, QImage]] = {}
        # Premultiplied colour, alpha = ink coverage; rebuilt when _layer_key changes.
        self._layer = np.zeros((1, 1, 4), np.uint8)
        self._layer_key: tuple | None = None
        self._painted = False
        self.pad.drawing_changed.connect(self._drawing_changed)
        self.pad.reading_changed.connect(self.update)  # the digit boxes

    # -- the drawing ------------------------------------------------------------------

    def ink(self) -> Ink:
        """The drawing, including the stroke being drawn, in ink coordinates."""
        active = np.array(self._active, dtype=np.float64) if self._active else None
        return self.pad.ink(active, self.ink_space())

    def ink_space(self) -> tuple[float, float]:
        """Width and height of the ink coordinate space."""
        return (
            self.pad.drawing.space
            or self._pending_space
            or (float(self.width()), float(self.height()))
        )

    @property
    def is_empty(self) -> bool:
        return self.pad.is_empty and not self._active

    @property
    def is_drawing(self) -> bool:
        return self._active is not None

    @property
    def has_image(self) -> bool:
        return self.pad.drawing.has_picture

    def boxes(self) -> list[tuple[float, float, float, float]]:
        """The boxes outlined over the drawing (one per digit of a number), in ink
        coordinates or a picture's own pixels (see :meth:`view_transform`)."""
        return self.pad.digit_boxes()

    def _drawing_changed(self) -> None:
        # Undo, Clear, a file opened while a stroke is drawn: the stroke is dropped.
        self._cancel_stroke()
        self._layer_key = None
        self.update()

    @property
    def hint(self) -> str:
        """What the canvas says while it is empty (the guided round's prompt, say)."""
        return self._hint

    @hint.setter
    def hint(self, text: str) -> None:
        if text != self._hint:
            self._hint = text
            if self.is_empty:
                self.update()

    # -- pen --------------------------------------------------------------------------

    @property
    def pen_width(self) -> float:
        """Line width of new strokes in ink units (logical pixels while the view is unscaled).

        Strokes drawn keep the width they were drawn with; strokes without one (ink
        opened elsewhere than in the window) are shown at this width.
        """
        return self._pen_width

    @pen_width.setter
    def pen_width(self, width: float) -> None:
        width = float(min(max(width, MIN_PEN_WIDTH), MAX_PEN_WIDTH))
        if width != self._pen_width:
            self._pen_width = width
            self._layer_key = None
            self.update()

    # -- geometry ---------------------------------------------------------------------

    def view_transform(self) -> tuple[float, float, float]:
        """``(scale, dx, dy)``: point p of the drawing is shown at logical pixel
        ``p * scale + (dx, dy)``.

        For ink, p is in ink coordinates: the view is fixed from pen-down to pen-up,
        otherwise the ink space fitted into the widget. For a picture, p is in the
        pixels of the picture as read (``Drawing.picture``, whose shown copy may be
        smaller), fitted within :data:`PICTURE_MARGIN` of the widget's edges: the
        picture is painted, and its digits' boxes outlined and pointed at, through it.
        """
        if self._stroke_view is not None:
            return self._stroke_view
        width, height = self.width(), self.height()
        picture = self.pad.drawing.picture
        if picture is not None:
            picture_w, picture_h = picture.size
            width, height = width - 2 * PICTURE_MARGIN, height - 2 * PICTURE_MARGIN
            scale = max(min(width / picture_w, height / picture_h), 1e-6)
            return (
                scale,
                PICTURE_MARGIN + (width - picture_w * scale) / 2,
                PICTURE_MARGIN + (height - picture_h * scale) / 2,
            )
        space_w, space_h = self.ink_space()
        scale = min(width / space_w, height / space_h) if space_w > 0 and space_h > 0 else 1.0
        return scale, (width - space_w * scale) / 2, (height - space_h * scale) / 2

    def device_size(self) -> tuple[int, int, float]:
        """Device pixels of the picture and the device pixel ratio."""
        ratio = self.devicePixelRatioF()
        return (
            max(1, math.ceil(self.width() * ratio - 1e-6)),
            max(1, math.ceil(self.height() * ratio - 1e-6)),
            ratio,
        )

    def coverage(self) -> np.ndarray:
        """The ink coverage on screen, float32 (device height, width), 0..1."""
        self._ensure_layer()
        self._flush_active()
        return self._layer[..., 3].astype(np.float32) * np.float32(1 / 255)

    def rasterize_args(self) -> dict:
        """The :func:`~digitpad.ink.rasterize` arguments the screen picture is drawn with."""
        scale, dx, dy = self.view_transform()
        width, height, ratio = self.device_size()
        return {
            "size": (width, height),
            "pen_width": self._pen_width * scale * ratio,
            "scale": scale * ratio,
            "offset": (dx * ratio, dy * ratio),
            "supersample": SUPERSAMPLE if ratio < 1.5 else HIGH_DPI_SUPERSAMPLE,
            "pressure": True,
        }

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(560, 560)

    # -- input ------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin_stroke(event.position(), None)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        # A quick second stroke arrives as a double click; it is still a stroke.
        if event.button() == Qt.MouseButton.LeftButton and self._active is None:
            self._begin_stroke(event.position(), None)
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._active is not None:
            self._add_point(event.position(), None)
        elif event.buttons() == Qt.MouseButton.NoButton:
            # Hovering over a digit of a number (ink or a picture) shows its bars.
            scale, dx, dy = self.view_transform()
            position = event.position()
            self.pad.select_at((position.x() - dx) / scale, (position.y() - dy) / scale)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._active is not None:
            self._add_point(event.position(), None)
            self._end_stroke()
        event.accept()

    def tabletEvent(self, event) -> None:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin_stroke(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletMove and self._active is not None:
            self._add_point(event.position(), event.pressure())
        elif kind == QEvent.Type.TabletRelease and self._active is not None:
            self._end_stroke()
        # Accepted, so Qt does not also send the same motion as mouse events.
        event.accept()

    def event(self, event) -> bool:
        kind = event.type()
        if kind in _TOUCH_EVENTS:
            self._touch_event(kind, event)
            event.accept()
            return True
        return super().event(event)

    def _touch_event(self, kind, event) -> None:
        if kind == QEvent.Type.TouchCancel:
            self._cancel_stroke()
            return
        points = event.points()
        if not points:
            return
        point = points[0]  # one finger draws; the others are ignored
        has_pressure = bool(event.device().capabilities() & QInputDevice.Capability.Pressure)
        pressure = point.pressure() if has_pressure else None
        if kind == QEvent.Type.TouchBegin:
            self._begin_stroke(point.position(), pressure)
        elif self._active is not None:
            self._add_point(point.position(), pressure)
            if kind == QEvent.Type.TouchEnd:
                self._end_stroke()

    def _begin_stroke(self, position: QPointF, pressure: float | None) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._active is not None:
            self._end_stroke()
        if self.pad.drawing.has_picture:
            self.pad.clear()  # drawing on a picture starts a new drawing (Undo brings it back)
        drawing = self.pad.drawing
        if drawing.space is None:
            # A new drawing: the canvas size is its ink space.
            self._pending_space = (float(self.width()), float(self.height()))
            self._layer_key = None
        if not drawing.strokes:
            self._clock.start()  # times count from the drawing's first stroke
        self._active = []
        self._active_width = self._pen_width  # a stroke keeps the width it began with
        self._flushed = 0
        self._stroke_view = self.view_transform()
        self._add_point(position, pressure)

    def _add_point(self, position: QPointF, pressure: float | None) -> None:
        scale, dx, dy = self.view_transform()
        x, y = (position.x() - dx) / scale, (position.y() - dy) / scale
        active = self._active
        assert active is not None  # a stroke has begun
        if active and active[-1][0] == x and active[-1][1] == y:
            return
        t = float(self._clock.elapsed())
        active.append((x, y, t) if pressure is None else (x, y, t, float(pressure)))
        reach = self._active_width * scale * _MAX_PRESSURE_GROWTH / 2 + 2
        last = active[-2] if len(active) > 1 else active[-1]
        x0, x1 = sorted((last[0] * scale + dx, position.x()))
        y0, y1 = sorted((last[1] * scale + dy, position.y()))
        self.update(
            QRectF(x0 - reach, y0 - reach, x1 - x0 + 2 * reach, y1 - y0 + 2 * reach).toAlignedRect()
        )
        self.strokeUpdated.emit()

    def _end_stroke(self) -> None:
        points, self._active = self._active, None
        space = self.ink_space()
        self._pending_space = None
        self._stroke_view = None
        if points:
            # The pad tells the canvas to repaint.
            self.pad.add_stroke(points, space, self._active_width)
        else:
            self._layer_key = None
            self.update()

    def _cancel_stroke(self) -> None:
        if self._active is not None:
            self._active = None
            self._pending_space = None
            self._stroke_view = None
            self._layer_key = None
            self.update()

    # -- painting ---------------------------------------------------------------------

    def _ensure_layer(self) -> None:
        """Rasterize all strokes when anything but the active stroke changed."""
        args = self.rasterize_args()
        key = (tuple(args["size"]), args["pen_width"], args["scale"], args["offset"])
        if key == self._layer_key:
            return
        groups = dict([] if self.has_image else self.pad.drawing.strokes_by_width(self._pen_width))
        if self._active:
            active = np.array(self._active, dtype=np.float64)
            groups.setdefault(self._active_width, []).append(active)
            self._flushed = len(self._active)
        width, height = args["size"]
        self._layer = np.zeros((height, width, 4), np.uint8)
        if groups:
            # Each stroke at the width it was drawn with; one call when all share it.
            alpha = None
            for pen_width, strokes in groups.items():
                each = {**args, "pen_width": pen_width * args["scale"]}
                part = rasterize(strokes, **each, dtype=np.uint8)
                alpha = part if alpha is None else np.maximum(alpha, part)
            assert alpha is not None  # groups has a width at least
            rows, columns = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
            self._layer[..., 3] = alpha
            if rows.size:  # only the pixels with ink need a colour
                self._colorize(self._layer[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1])
        self._layer_key = key

    def _flush_active(self) -> None:
        """Add the points of the active stroke drawn since the last paint to the layer."""
        active = self._active
        if not active or self._flushed >= len(active):
            return
        points = np.array(active[max(self._flushed - 1, 0) :], dtype=np.float64)
        self._flushed = len(active)
        args = self.rasterize_args()
        scale, (dx, dy) = args["scale"], args["offset"]
        args["pen_width"] = self._active_width * scale
        reach = args["pen_width"] * _MAX_PRESSURE_GROWTH / 2 + 2
        xs, ys = points[:, 0] * scale + dx, points[:, 1] * scale + dy
        height, width = self._layer.shape[:2]
        x0, x1 = max(int(xs.min() - reach), 0), min(math.ceil(xs.max() + reach), width)
        y0, y1 = max(int(ys.min() - reach), 0), min(math.ceil(ys.max() + reach), height)
        if x0 >= x1 or y0 >= y1:
            return
        args["size"] = (x1 - x0, y1 - y0)
        args["offset"] = (dx - x0, dy - y0)
        patch = rasterize([points], **args, dtype=np.uint8)
        region = self._layer[y0:y1, x0:x1]
        np.maximum(region[..., 3], patch, out=region[..., 3])
        self._colorize(region)

    def _colorize(self, region: np.ndarray) -> None:
        color = self.palette().color(QPalette.ColorRole.Text)
        alpha = region[..., 3].astype(np.uint16)
        for channel, value in zip(
            _RGB_BYTES, (color.red(), color.green(), color.blue()), strict=True
        ):
            region[..., channel] = (alpha * value + 127) // 255

    def _layer_image(self) -> QImage:
        height, width = self._layer.shape[:2]
        image = QImage(self._layer.data, width, height, width * 4, _LAYER_FORMAT)
        image.setDevicePixelRatio(self.devicePixelRatioF())
        return image

    def paintEvent(self, event) -> None:  # noqa: N802
        self._ensure_layer()
        self._flush_active()
        palette = self.palette()
        painter = QPainter(self)
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Base))
        if self.has_image and not self._active:
            self._paint_picture(painter)
        else:
            painter.drawImage(QPointF(0, 0), self._layer_image())
        boxes = self.boxes()
        if boxes:
            self._paint_boxes(painter, palette, boxes)
        if self.is_empty and self.hint:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.3)
            painter.setFont(font)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.hint)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()

    def add_picture_image(self, shown_picture, image: QImage) -> None:
        """Give the QImage of a shown picture made elsewhere (it takes a while for a large one)."""
        self._picture_images = {
            key: entry for key, entry in self._picture_images.items() if entry[0]() is not None
        }
        self._picture_images[id(shown_picture)] = (weakref.ref(shown_picture), image)

    def _picture_image(self) -> QImage:
        """The pad's shown picture as a QImage, converted once per picture."""
        shown = self.pad.drawing.shown_picture
        assert shown is not None  # only a drawing with a picture is drawn as one
        reference, image = self._picture_images.get(id(shown), (None, None))
        if image is None or reference is None or reference() is not shown:
            image = qimage_from_pil(shown)
            self.add_picture_image(shown, image)
        return image

    def _paint_picture(self, painter: QPainter) -> None:
        image = self._picture_image()
        # Where the picture as read lies on screen; its shown copy fills the same rectangle.
        scale, dx, dy = self.view_transform()
        picture = self.pad.drawing.picture
        assert picture is not None  # painted only while the pad shows a picture
        width, height = picture.size
        target = QRectF(dx, dy, width * scale, height * scale)
        on_screen = target.width() / image.width()  # logical pixels per shown pixel
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, on_screen < 4)
        painter.drawImage(target, image)

    def _paint_boxes(self, painter: QPainter, palette: QPalette, boxes) -> None:
        color = QColor(palette.color(QPalette.ColorRole.Highlight))
        fill = QColor(color)
        fill.setAlphaF(SELECTED_FILL_ALPHA)
        selected = self.pad.selected_digit
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for index, box in enumerate(boxes):
            # The digit pointed at (whose bars are shown) stands out: thicker, lightly filled.
            if index == selected:
                painter.setPen(QPen(color, 3.0))
                painter.setBrush(fill)
            else:
                painter.setPen(QPen(color, 1.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.box_rect(box))

    def box_rect(self, box) -> QRectF:
        """Where a box ``(x0, y0, x1, y1)`` of the drawing (ink coordinates, or a picture's
        pixel edges) is drawn, in widget pixels."""
        scale, dx, dy = self.view_transform()
        x0, y0, x1, y1 = box
        # Boxes of ink hold the strokes' centre lines: padded to clear the ink itself.
        # Those of a picture hold its ink already.
        pad = 3.0
        if not self.has_image:
            pad += self._pen_width * scale * _MAX_PRESSURE_GROWTH / 2
        rect = QRectF(x0 * scale + dx, y0 * scale + dy, (x1 - x0) * scale, (y1 - y0) * scale)
        return rect.adjusted(-pad, -pad, pad, pad)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self._colorize(self._layer)
            self.update()
        super().changeEvent(event)


_TOUCH_EVENTS = frozenset(
    {
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TouchEnd,
        QEvent.Type.TouchCancel,
    }
)

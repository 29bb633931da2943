"""The right-hand panel: the top digit, ten probability bars and the model's 28x28 input.

The panel has one fixed width whatever it shows: a reading's text shrinks,
wraps or elides to fit it, so a new reading never resizes the canvas beside it
(the layout never moves under the pen).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..pad import UNSURE_BELOW, percent
from ..recognize import Prediction


class ProbabilityBars(QWidget):
    """Ten labelled horizontal bars, one per digit, with percentages."""

    ROW_HEIGHT = 24

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._probabilities: np.ndarray | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(10 * self.ROW_HEIGHT)
        self.setAccessibleName("Digit probabilities")

    @property
    def probabilities(self) -> np.ndarray | None:
        return self._probabilities

    def set_probabilities(self, probabilities) -> None:
        self._probabilities = (
            None if probabilities is None else np.asarray(probabilities, dtype=np.float64)
        )
        self.setToolTip("" if self._probabilities is None else "\n".join(self.labels()))
        self.update()

    def labels(self) -> list[str]:
        """What each row reads, e.g. ``"7  97.3%"`` (empty bars read ``"7  –"``)."""
        values = self._probabilities
        return [
            f"{digit}  {'–' if values is None else percent(values[digit])}" for digit in range(10)
        ]

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(260, 10 * self.ROW_HEIGHT)

    def paintEvent(self, event) -> None:  # noqa: N802
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        label_width = metrics.horizontalAdvance("0") + 12
        value_width = metrics.horizontalAdvance("100.0%") + 10
        track_width = max(self.width() - label_width - value_width, 10)
        values = self._probabilities
        top = int(np.argmax(values)) if values is not None else -1
        text = palette.color(QPalette.ColorRole.WindowText)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        track = _blend(palette.color(QPalette.ColorRole.Window), text, 0.08)
        fill = _blend(palette.color(QPalette.ColorRole.Window), text, 0.35)
        accent = palette.color(QPalette.ColorRole.Highlight)
        bold = QFont(painter.font())
        bold.setBold(True)
        for digit in range(10):
            y = digit * self.ROW_HEIGHT
            row = QRectF(0, y, self.width(), self.ROW_HEIGHT)
            is_top = digit == top
            painter.setFont(bold if is_top else self.font())
            painter.setPen(text if values is not None else muted)
            painter.drawText(
                QRectF(0, y, label_width - 6, self.ROW_HEIGHT),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(digit),
            )
            bar = QRectF(label_width, y + 6, track_width, self.ROW_HEIGHT - 12)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(bar, 3, 3)
            if values is not None and values[digit] >= 0.0005:  # i.e. shown as 0.1% or more
                filled = QRectF(bar)
                filled.setWidth(max(bar.width() * float(values[digit]), 2.0))
                painter.setBrush(accent if is_top else fill)
                painter.drawRoundedRect(filled, 3, 3)
            painter.setPen(text if is_top else muted)
            painter.drawText(
                QRectF(row.right() - value_width, y, value_width, self.ROW_HEIGHT),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                "–" if values is None else percent(values[digit]),
            )
        painter.end()


class ModelInputPreview(QWidget):
    """The 28x28 model input magnified with square pixels: light ink on dark, as the model sees."""

    def __init__(self, parent: QWidget | None = None, size: int = 112):
        super().__init__(parent)
        self._image: QImage | None = None
        self.setFixedSize(size, size)
        self.setAccessibleName("What the model sees")
        self.setToolTip("The 28×28 picture the model is given")

    def set_input(self, model_input: np.ndarray | None) -> None:
        if model_input is None:
            self._image = None
        else:
            pixels = np.ascontiguousarray(np.clip(model_input, 0, 1) * 255 + 0.5, dtype=np.uint8)
            height, width = pixels.shape
            self._image = QImage(
                pixels.data, width, height, width, QImage.Format.Format_Grayscale8
            ).copy()
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(QRectF(self.rect()), self._image)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()


#: The panel's width in logical pixels, whatever it shows.
PANEL_WIDTH = 290
#: A number's font shrinks to fit the panel down to this fraction of its size; a
#: longer number is elided in the middle (the whole of it is in the tooltip).
MIN_NUMBER_SCALE = 0.25


class FittedLabel(QLabel):
    """A one-line label whose size never follows its text.

    The text is shown at the label's font, shrunk to fit its width down to
    ``min_scale`` of it, and elided in the middle beyond that; ``full_text``
    is what was set. Its height is that of the largest font it was given.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None, min_scale: float = 1.0):
        super().__init__(parent)
        self.min_scale = min_scale
        self.full_text = ""
        self._font = QFont(self.font())
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setFont(self, font: QFont | str | Sequence[str]) -> None:  # noqa: N802 (Qt API)
        self._font = QFont(font)
        self.setFixedHeight(
            max(self.minimumHeight(), round(QFontMetricsF(self._font).height()) + 2)
        )
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        self.full_text = text
        self.setToolTip(text if self._shown_text(text) != text else "")
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fitted_font(self, text: str) -> QFont:
        width = max(self.contentsRect().width(), 1)
        font = QFont(self._font)
        natural = QFontMetricsF(font).horizontalAdvance(text)
        if natural > width and self.min_scale < 1:
            scale = max(width / natural, self.min_scale)
            font.setPointSizeF(self._font.pointSizeF() * scale)
        return font

    def _shown_text(self, text: str) -> str:
        font = self._fitted_font(text)
        return QFontMetricsF(font).elidedText(
            text, Qt.TextElideMode.ElideMiddle, max(self.contentsRect().width(), 1)
        )

    def _fit(self) -> None:
        text = self.full_text
        super().setFont(self._fitted_font(text))
        super().setText(self._shown_text(text))


#: At most this many other readings of a number are offered under it.
ALTERNATIVES_SHOWN = 3


class PredictionPanel(QWidget):
    """Top digit and confidence, the model input preview, and the ten bars, at a fixed width.

    Signals
    -------
    alternativeChosen(int)
        The person clicked the reading's alternative of that index.
    """

    alternativeChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.prediction: Prediction | None = None

        self.digit_label = FittedLabel("–", min_scale=MIN_NUMBER_SCALE)
        digit_font = QFont(self.font())
        digit_font.setPointSizeF(max(digit_font.pointSizeF(), 9) * 5.5)
        digit_font.setBold(True)
        self.digit_label.setFont(digit_font)
        self._digit_font = digit_font
        self._number_font = QFont(digit_font)
        self._number_font.setPointSizeF(digit_font.pointSizeF() * 0.5)
        self.digit_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.digit_label.setAccessibleName("Recognized digit")
        self.confidence_label = QLabel("")
        self.confidence_label.setWordWrap(True)
        self.confidence_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        metrics = self.confidence_label.fontMetrics()
        self.confidence_label.setFixedHeight(2 * metrics.lineSpacing() + 2)
        self.confidence_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.confidence_label.setAccessibleName("Confidence")

        # The next readings of a number, small, in a row of fixed height.
        self.alternatives_row = QWidget()
        self.alternatives_row.setAccessibleName("Other readings")
        row = QHBoxLayout(self.alternatives_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.alternative_buttons = []
        for index in range(ALTERNATIVES_SHOWN):
            button = QPushButton()
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, i=index: self.alternativeChosen.emit(i))
            button.hide()
            row.addWidget(button, 1)
            self.alternative_buttons.append(button)
        row.addStretch(0)
        self.alternatives_row.setFixedHeight(QPushButton().sizeHint().height())

        self.preview = ModelInputPreview()
        preview_caption = QLabel("What the model sees")
        preview_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        _set_muted(preview_caption)
        small = QFont(preview_caption.font())
        small.setPointSizeF(small.pointSizeF() * 0.85)
        preview_caption.setFont(small)

        self.bars = ProbabilityBars()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()

        result = QVBoxLayout()
        result.setSpacing(0)
        result.addWidget(self.digit_label)
        result.addWidget(self.confidence_label)
        result.addWidget(self.alternatives_row)
        result.addStretch(1)
        preview_box = QVBoxLayout()
        preview_box.setSpacing(4)
        preview_box.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        preview_box.addWidget(preview_caption)
        top = QHBoxLayout()
        top.addLayout(result, 1)
        top.addLayout(preview_box)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addWidget(self.bars)
        layout.addWidget(self.message_label)
        layout.addStretch(1)
        self.setFixedWidth(PANEL_WIDTH)
        self.show_prediction(None)

    @property
    def is_unsure(self) -> bool:
        p = self.prediction
        return p is not None and p.confidence is not None and p.confidence < UNSURE_BELOW

    def show_alternatives(self, numbers: list[str]) -> None:
        """Offer other readings of the number (up to :data:`ALTERNATIVES_SHOWN`)."""
        for index, button in enumerate(self.alternative_buttons):
            text = numbers[index] if index < len(numbers) else None
            button.setVisible(bool(text))
            button.setText(text or "")
            button.setToolTip(f"Read it as {text}" if text else "")

    def show_prediction(
        self, prediction: Prediction | None, number: str | None = None, position: int = 0
    ) -> None:
        """Show a prediction; None (or one without a digit) empties the panel.

        For a number of several digits, ``prediction`` is the digit at
        ``position`` (its bars and preview) and ``number`` is shown big.
        """
        self.prediction = prediction
        self.preview.set_input(None if prediction is None else prediction.input)
        if prediction is None or prediction.digit is None or prediction.confidence is None:
            self.digit_label.setText("–")
            self.digit_label.setFont(self._digit_font)
            _set_muted(self.digit_label)
            self.confidence_label.setText("")
            self.bars.set_probabilities(None)
            return
        self.digit_label.setText(number or str(prediction.digit))
        self.digit_label.setFont(self._number_font if number else self._digit_font)
        _set_muted(self.digit_label, self.is_unsure)
        sureness = f"{percent(prediction.confidence)} confident"
        if self.is_unsure:
            sureness = f"not sure ({percent(prediction.confidence)})"
        elif number:  # short, so that the panel keeps its width
            sureness = percent(prediction.confidence)
        if number:
            sureness = f"digit {position + 1} of {len(number)}: {prediction.digit}, {sureness}"
        self.confidence_label.setText(sureness)
        self.bars.set_probabilities(prediction.probabilities)

    def show_message(self, text: str | None) -> None:
        """A message in place of the bars (e.g. no model); None hides it."""
        self.message_label.setText(text or "")
        self.message_label.setVisible(bool(text))
        self.bars.setVisible(not text)


def _blend(a: QColor, b: QColor, amount: float) -> QColor:
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


def _set_muted(label: QLabel, muted: bool = True) -> None:
    role = QPalette.ColorRole.PlaceholderText if muted else QPalette.ColorRole.WindowText
    label.setForegroundRole(role)

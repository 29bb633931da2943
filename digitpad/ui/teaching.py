"""Teaching the pad the person's handwriting: the profile's commands, corrections, the guided round.

A digit key (or right-click, "It's a …") over a digit is a
:class:`~digitpad.pad.Correction` on the pad's undo stack, learned into the
person's :class:`~digitpad.profile.Profile` through the
:class:`~digitpad.session.Session`, which opens that profile on its worker
and holds the one lock around every use of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from ..pad import Pad, a_digit
from ..session import Session, one_line
from .actions import CONVENTION_ACTIONS
from .canvas import DEFAULT_HINT, CanvasWidget
from .handwriting import HandwritingDialog

#: Shown when a handwriting command comes before the profile is open.
STILL_OPENING = "Your handwriting profile is still opening…"


class Teaching:
    """The handwriting commands, on the session's profile.

    Parameters
    ----------
    session : Session
        Holds the profile (``profile``, ``profile_open``) and learns the examples.
    pad : Pad
    canvas : CanvasWidget
        Gets the context menu and the guided round's hint.
    actions : mapping of name to QAction
        The handwriting actions (``correct_0``... ``correct_9``, ``handwriting``,
        ``guided``, ``accept``), enabled and checked here; looked up when used, so
        it may be filled after this is made.
    read_again : callable()
        Reads the drawing again, a picture too (the examples changed).
    notify : callable(text, milliseconds)
        Shows a passing message (the status line).
    report_error : callable(title, text)
        Shows a problem (a message box).
    ask_yes_no : callable(parent, title, text) -> bool
        Asks a question (parent: the widget to center on).
    """

    def __init__(
        self,
        session: Session,
        pad: Pad,
        canvas: CanvasWidget,
        actions: Mapping[str, QAction],
        *,
        read_again: Callable[[], object],
        notify: Callable[[str, int], object],
        report_error: Callable[[str, str], object],
        ask_yes_no: Callable[[QWidget, str, str], bool],
    ):
        self.session, self.pad, self.canvas, self.actions = session, pad, canvas, actions
        self.read_again, self.notify = read_again, notify
        self.report_error, self.ask_yes_no = report_error, ask_yes_no
        self.handwriting_dialog: HandwritingDialog | None = None
        self.context_menu: QMenu | None = None
        session.profile_changed.connect(self.update_actions)
        session.profile_opened.connect(self._profile_opened)
        # Every step done, undone or redone comes here (a correction leaves the drawing).
        pad.reading_changed.connect(self.update_actions)
        pad.examples_changed.connect(self.examples_changed)
        canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        canvas.customContextMenuRequested.connect(self.show_canvas_menu)

    def _profile_opened(self, error: str | None) -> None:
        if error is not None:
            self.notify(f"Cannot open your handwriting profile: {error}", 8000)
        elif self.session.profile_open:  # (not when another model came meanwhile)
            self.examples_changed()

    # -- learning -------------------------------------------------------------------------

    def correct(self, digit: int) -> None:
        """The digit pointed at (or the only one) is ``digit``: learn it (one undo step)."""
        if not self.session.profile_open:
            self.notify(STILL_OPENING, 3000)
            return
        try:
            self.pad.correct(digit, self.session)
        except (ValueError, OSError) as error:
            self.report_error("Cannot learn the digit", one_line(error))

    def examples_changed(self) -> None:
        """The person's examples changed: count them and read the drawing (a picture too) again."""
        self.pad.set_examples_in_use(self.session.examples_in_use())
        self.read_again()

    def show_canvas_menu(self, position: QPoint) -> None:
        """Right-click on the canvas: point at the digit there and offer "It's a …" 0-9."""
        canvas = self.canvas
        scale, dx, dy = canvas.view_transform()
        self.pad.select_at((position.x() - dx) / scale, (position.y() - dy) / scale)
        menu = QMenu(canvas.window())
        menu.addSection("It's a …")
        for digit in range(10):
            menu.addAction(self.actions[f"correct_{digit}"])
        menu.addSeparator()
        menu.addAction(self.actions["handwriting"])
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = menu
        menu.popup(canvas.mapToGlobal(position))

    def show_handwriting(self) -> None:
        """Show the "Your handwriting" dialog (not modal: the pad stays usable)."""
        if not self.session.profile_open:
            return
        dialog = self.handwriting_dialog
        if dialog is None:
            folder = str(self.session.profile.folder)
            dialog = HandwritingDialog(self.session, self.ask_yes_no, folder, self.canvas.window())
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
        elif self.session.profile_open:
            self.pad.start_guided_round()
        else:
            self.actions["guided"].setChecked(False)
            self.notify(STILL_OPENING, 3000)

    def accept_guided(self) -> None:
        """Enter during the guided round: learn the drawing as the digit asked for.

        When the model surely reads another digit (see ``Pad.guided_doubt``), the
        person is asked first; No clears the drawing (Undo brings it back) and
        the round asks for the same digit again.
        """
        pad = self.pad
        round_ = pad.guided_round
        if round_ is None or round_.digit is None:
            return  # no round, or one just done: nothing is asked for
        doubt = pad.guided_doubt()
        if doubt is not None:
            seen = a_digit(int(doubt)) if len(doubt) == 1 else doubt
            asked = a_digit(round_.digit)
            question = f"That looks like {seen} — keep it as {asked}?"
            if not self.ask_yes_no(self.canvas.window(), "Keep this example?", question):
                pad.clear()
                self.notify(f"Not kept. {round_.prompt()}", 6000)
                return
        try:
            accepted = pad.accept_guided(self.session)
        except (ValueError, OSError) as error:
            self.report_error("Cannot learn the digit", one_line(error))
            return
        if accepted and pad.guided_round is None:
            self.notify(round_.prompt(), 6000)

    def set_convention(self, name: str) -> None:
        """How the person writes 1s and 7s (``"none"``: not said), kept in their profile;
        the drawing is read again that way."""
        try:
            self.session.profile.convention = None if name == "none" else name
        except OSError as error:
            self.report_error("Cannot keep the setting", one_line(error))
        self.update_actions()
        self.read_again()

    def update_actions(self) -> None:
        """Enable the handwriting actions that apply to the pad's state now, and show the
        guided round's prompt on the canvas while there is one."""
        actions, pad, profile_open = self.actions, self.pad, self.session.profile_open
        can_correct = profile_open and pad.can_correct
        for digit in range(10):
            actions[f"correct_{digit}"].setEnabled(can_correct)
        actions["handwriting"].setEnabled(profile_open)
        round_ = pad.guided_round
        actions["accept"].setEnabled(can_correct and round_ is not None)
        # Undo can end a round (its last example) or bring one back.
        actions["guided"].setChecked(round_ is not None)
        convention = self.session.profile.convention or "none"
        for name, *_ in CONVENTION_ACTIONS:
            actions[f"convention_{name}"].setChecked(name == convention)
        self.canvas.hint = round_.hint() if round_ is not None else DEFAULT_HINT


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

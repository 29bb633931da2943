"""Teaching the pad the person's handwriting: the profile, corrections and the guided round.

A digit key (or right-click, "It's a …") over a digit is a
:class:`~digitpad.pad.Correction` on the pad's undo stack, learned into the
person's :class:`~digitpad.profile.Profile` (the default one unless given).
A Recognizer and its profile are not thread-safe and both threads use them,
so every use of the window's ``recognizer`` holds its ``recognizer_lock``.
Opening the profile (reading its files, computing their features: about a
second for 1,000 examples) runs on the window's worker, in a Recognizer of
its own that shares only the (serialized) model; the window reads without
the profile until that one is ready and takes its place.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QMenu, QMessageBox

from ..pad import a_digit
from ..profile import Example, Profile
from ..recognize import Recognizer
from .canvas import DEFAULT_HINT
from .handwriting import HandwritingDialog
from .worker import one_line


class Teaching(QObject):
    """The window's handwriting commands and the person's profile behind them.

    Parameters
    ----------
    window : MainWindow
        Gives the pad, canvas, actions, worker, the one ``recognizer`` with its
        ``recognizer_lock``, and the dialogs (``show_message``, ``ask_yes_no``).
    profile : Profile or path, optional
        The person's handwriting; default: :func:`~digitpad.profile.default_profile_dir`.

    Signals
    -------
    opened
        The profile was opened (``profile_open`` is now True), or could not be.
    """

    opened = Signal()

    def __init__(self, window, profile: Profile | str | os.PathLike | None = None):
        super().__init__(window)
        self.window = window
        #: The person's handwriting; used through the recognizer once open (see ``profile_open``).
        self.profile = profile if isinstance(profile, Profile) else Profile(profile)
        self.profile_open = False
        self.examples = SharedProfile(self)
        self.handwriting_dialog: HandwritingDialog | None = None
        self.context_menu: QMenu | None = None
        self._opening: tuple | None = None  # (recognizer,): the ticket of the profile opening
        window.worker.finished.connect(self._job_finished, Qt.ConnectionType.QueuedConnection)
        window.pad.examples_changed.connect(self.examples_changed)
        window.canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        window.canvas.customContextMenuRequested.connect(self.show_canvas_menu)

    # -- opening the profile ----------------------------------------------------------------

    def open_profile(self, predictor) -> None:
        """Read the profile on the worker, in a Recognizer of its own (see the module).

        The worker's objects are its own until they are handed over: the given
        profile is untouched before it first opens, and after that (a model loaded
        again) a fresh Profile of the same folder is opened, since the GUI thread
        may still undo a correction through the old one meanwhile.
        """
        profile = Profile(self.profile.folder) if self.profile_open else self.profile
        self.profile_open = False
        self.update_actions()

        def open_profile():
            opened = Recognizer(predictor, profile=profile)
            return opened, opened.prepare()

        # Swapped in only if the window's recognizer is still this one.
        self._opening = (self.window.recognizer,)
        self.window.worker.submit(self._opening, open_profile)

    def _job_finished(self, ticket: tuple, result) -> None:
        if ticket is not self._opening:
            return  # a picture's job
        self._opening = None
        window = self.window
        if isinstance(result, Exception):
            message = f"Cannot open your handwriting profile: {one_line(result)}"
            window.statusBar().showMessage(message, 8000)
        else:
            opened, count = result
            with window.recognizer_lock:
                replaced = window.recognizer is not ticket[0]  # another model came meanwhile
                if not replaced:
                    window.recognizer, self.profile = opened, opened.profile
            if not replaced:
                self.profile_open = True
                self.update_actions()
                window.pad.set_examples_in_use(count)
                self.examples_changed()
        self.opened.emit()

    # -- learning -------------------------------------------------------------------------

    def correct(self, digit: int) -> None:
        """The digit pointed at (or the only one) is ``digit``: learn it (one undo step)."""
        if not self.profile_open:
            self.window.statusBar().showMessage("Your handwriting profile is still opening…", 3000)
            return
        try:
            self.window.pad.correct(digit, self.examples)
        except (ValueError, OSError) as error:
            self.window.show_message(self.window, "Cannot learn the digit", one_line(error))

    def examples_changed(self) -> None:
        """The person's examples changed: count them and read the drawing (a picture too) again."""
        window = self.window
        with window.recognizer_lock:
            count = window.recognizer.prepare() if window.recognizer is not None else 0
        window.pad.set_examples_in_use(count)
        window.read_again()

    def show_canvas_menu(self, position: QPoint) -> None:
        """Right-click on the canvas: point at the digit there and offer "It's a …" 0-9."""
        window, canvas = self.window, self.window.canvas
        scale, dx, dy = canvas.view_transform()
        window.pad.select_at((position.x() - dx) / scale, (position.y() - dy) / scale)
        menu = QMenu(window)
        menu.addSection("It's a …")
        for digit in range(10):
            menu.addAction(window.actions[f"correct_{digit}"])
        menu.addSeparator()
        menu.addAction(window.actions["handwriting"])
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = menu
        menu.popup(canvas.mapToGlobal(position))

    def show_handwriting(self) -> None:
        """Show the "Your handwriting" dialog (not modal: the pad stays usable)."""
        if not self.profile_open:
            return
        dialog = self.handwriting_dialog
        if dialog is None:
            folder = str(self.profile.folder)
            dialog = HandwritingDialog(self.examples, self._ask_yes_no, folder, self.window)
            dialog.changed.connect(self.examples_changed)
            self.handwriting_dialog = dialog
        else:
            dialog.reload()
        dialog.show()
        dialog.raise_()

    def toggle_guided_round(self) -> None:
        """Start or stop the guided round (write each digit three times; see GuidedRound)."""
        window = self.window
        if not window.actions["guided"].isChecked():
            window.pad.stop_guided_round()
        elif self.profile_open:
            window.pad.start_guided_round()
        else:
            window.actions["guided"].setChecked(False)
            window.statusBar().showMessage("Your handwriting profile is still opening…", 3000)

    def accept_guided(self) -> None:
        """Enter during the guided round: learn the drawing as the digit asked for.

        When the model surely reads another digit (see ``Pad.guided_doubt``), the
        person is asked first; No clears the drawing (Undo brings it back) and
        the round asks for the same digit again.
        """
        window = self.window
        pad = window.pad
        round_ = pad.guided_round
        doubt = pad.guided_doubt()
        if doubt is not None:
            seen = a_digit(int(doubt)) if len(doubt) == 1 else doubt
            asked = a_digit(round_.digit)
            question = f"That looks like {seen} — keep it as {asked}?"
            if not self._ask_yes_no(window, "Keep this example?", question):
                pad.clear()
                window.statusBar().showMessage(f"Not kept. {round_.prompt()}", 6000)
                return
        try:
            accepted = pad.accept_guided(self.examples)
        except (ValueError, OSError) as error:
            window.show_message(window, "Cannot learn the digit", one_line(error))
            return
        if accepted and pad.guided_round is None:
            window.statusBar().showMessage(round_.prompt(), 6000)

    def update_actions(self) -> None:
        """Enable the handwriting actions that apply to the pad's state now, and show the
        guided round's prompt on the canvas while there is one."""
        actions, pad = self.window.actions, self.window.pad
        can_correct = self.profile_open and pad.can_correct
        for digit in range(10):
            actions[f"correct_{digit}"].setEnabled(can_correct)
        actions["handwriting"].setEnabled(self.profile_open)
        round_ = pad.guided_round
        actions["accept"].setEnabled(can_correct and round_ is not None)
        # Undo can end a round (its last example) or bring one back.
        actions["guided"].setChecked(round_ is not None)
        self.window.canvas.hint = round_.hint() if round_ is not None else DEFAULT_HINT

    def _ask_yes_no(self, parent, title: str, text: str) -> bool:
        # Looked up at call time: tests replace the window's.
        return self.window.ask_yes_no(parent, title, text)


class SharedProfile:
    """The way to the person's profile: learning, forgetting and listing examples,
    each under the window's recognizer lock (a :class:`~digitpad.pad.Teacher`, and
    the handwriting dialog's access). Used once the profile is open."""

    def __init__(self, teaching: Teaching):
        self._teaching = teaching

    def learn(self, source, digit: int) -> Example:
        window = self._teaching.window
        with window.recognizer_lock:
            recognizer = window.recognizer
            if recognizer is None or recognizer.profile is None:
                raise ValueError("the handwriting profile is not open")
            return recognizer.learn(source, digit)

    def forget(self, example: Example) -> None:
        with self._teaching.window.recognizer_lock:
            self._teaching.profile.forget(example)

    def forget_all(self) -> None:
        with self._teaching.window.recognizer_lock:
            self._teaching.profile.clear()

    def examples(self) -> list:
        with self._teaching.window.recognizer_lock:
            examples, inputs = self._teaching.profile.inputs()
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

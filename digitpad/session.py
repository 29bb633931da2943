"""What the drawing pad reads with, without Qt: the model, the profile, one lock, the jobs.

A :class:`Session` owns the one :class:`~digitpad.recognize.Recognizer` (the
model, and the person's :class:`~digitpad.profile.Profile` once it is open),
the lock that every use of them holds, and a worker thread for the slow jobs:
reading a picture, opening a picture file, opening the profile. Ink is read
at once on the caller's thread (about a millisecond a digit), and so is an
example learned: the pad reads the drawing again at once, and its undo needs
the example back.

A background job's result is announced by one of the session's events
(:class:`~digitpad.pad.Event`), called through ``post``: the worker calls
``post(announce)``, and ``post`` runs ``announce`` where the session is used.
The Qt layer passes a ``post`` that queues it onto the GUI thread; without
one, it runs at once on the worker. Each job has a number, and a result is
announced only while it still applies: a newer job of its kind, or another
drawing read meanwhile (:meth:`Session.read`), drops it.

>>> session = Session(profile="my-handwriting/")  # doctest: +SKIP
>>> session.load_model()  # the profile opens on the worker  # doctest: +SKIP
>>> session.wait()  # doctest: +SKIP
>>> reading, examples = session.read(pad.drawing)  # ink: at once  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import itertools
import os
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from PIL import Image

from .ink import Ink, InkError, load_ink, picture_ink
from .pad import Drawing, Event
from .predictor import Model, ModelError, Predictor, Source
from .preprocess import load_image
from .profile import Example, Profile
from .recognize import INK_SUFFIXES, DigitInputs, Prediction, Recognizer, image_inputs, ink_inputs
from .segment import WIDE_BLOB

__all__ = [
    "Session",
    "OpenedPicture",
    "SerializedPredictor",
    "Worker",
    "MAX_SHOWN_SIDE",
    "shown_picture",
    "is_ink_path",
    "read_ink",
    "saved_ink",
    "one_line",
]

#: Pictures larger than this (either side) are shown downscaled; the model sees the original.
MAX_SHOWN_SIDE = 2048
#: Modes Pillow's reduce() refuses.
_NO_REDUCE = frozenset({"1", "P", "I;16", "I;16L", "I;16B", "I;16N"})
#: A picture opened from a file (a path), or the image a call gives (a pasted one).
PictureSource = str | os.PathLike | Callable[[], Image.Image]


@dataclass(frozen=True)
class OpenedPicture:
    """A picture read for the pad: ``picture`` as read (what is recognized), ``shown``
    its screen copy (:func:`shown_picture`), ``view`` what the session's ``picture_view``
    made of ``shown`` (None without one), and the file it came from (None when pasted)."""

    picture: Image.Image
    shown: Image.Image
    view: object
    path: Path | None


class Session:
    """The pad's model, the person's profile and the background jobs that use them.

    Use a session from one thread (the GUI thread); its events come on that
    thread too when ``post`` takes them there.

    Parameters
    ----------
    model : path, optional
        The model file :meth:`load_model` loads; default: the bundled model.
    profile : Profile or path, optional
        The person's handwriting; default: :func:`~digitpad.profile.default_profile_dir`.
    post : callable, optional
        ``post(announce)`` runs ``announce()`` (a background job's result)
        where the session is used; default: at once, on the worker thread.
    picture_view : callable, optional
        ``picture_view(shown)`` is made of each opened picture's screen copy, on
        the worker too: what the UI paints it with (the Qt layer's QImage).

    Attributes
    ----------
    lock : threading.RLock
        Held around every use of ``recognizer`` and ``profile`` (the worker's too).
    profile : Profile
        The person's examples, read through ``recognizer`` once ``profile_open``.
    profile_open : bool
        The profile is open: ``recognizer`` reads with it, and examples can be learned.
    predictor : Predictor or None
        The model :meth:`load_model` loaded; ``model_error`` says why there is none.

    Events (each a :class:`~digitpad.pad.Event`; connect a callable):

    ``model_changed()``
        :meth:`load_model` loaded the model, or could not (``recognizer`` is then None).
    ``profile_changed()``
        ``profile_open`` changed: the profile started opening again, or is open.
    ``profile_opened(error)``
        The profile's opening ended: ``error`` is None (open, unless another
        recognizer came meanwhile: see ``profile_open``) or one line saying why not.
    ``reading_ready(drawing, prediction)``
        The picture of ``drawing`` (still the drawing read last) was read.
    ``reading_failed(drawing, message)``
        It could not be; ``message`` is one line.
    ``picture_opened(opened)``
        An :class:`OpenedPicture` from :meth:`open_picture` or :meth:`open_file`.
    ``open_failed(path, message)``
        That file (None for a pasted picture) could not be opened; ``message`` is one line.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        profile: Profile | str | os.PathLike | None = None,
        *,
        post: Callable[[Callable[[], None]], object] | None = None,
        picture_view: Callable[[Image.Image], object] | None = None,
    ):
        self.model_path = model
        self.profile = profile if isinstance(profile, Profile) else Profile(profile)
        self.profile_open = False
        self.predictor: Predictor | None = None
        self.model_error: str | None = None
        self.lock = threading.RLock()
        self.model_changed = Event()
        self.profile_changed = Event()
        self.profile_opened = Event()
        self.reading_ready = Event()
        self.reading_failed = Event()
        self.picture_opened = Event()
        self.open_failed = Event()
        self._post = post if post is not None else _call
        self._picture_view = picture_view
        self._worker = Worker()
        self._recognizer: Recognizer | None = None
        # Counts replacements of the recognizer: a profile opened for an earlier one
        # (another model came meanwhile) is not swapped in.
        self._generation = 0
        self._job_numbers = itertools.count(1)
        # The jobs whose results are wanted, by number. Touched only where the session
        # is used (results arrive through post), so they need no lock.
        self._drawing: Drawing | None = None  # the drawing read last
        self._reading: tuple[int, Drawing] | None = None  # a picture being read
        self._opening: tuple[int, Path | None] | None = None  # a picture being opened
        self._opening_profile: int | None = None
        self._profile_opened = False  # the given profile went to an opening

    # -- the model and the profile ------------------------------------------------------------

    @property
    def recognizer(self) -> Recognizer | None:
        """The one recognizer (None until the model is loaded, or when it cannot be)."""
        return self._recognizer

    def replace_recognizer(self, recognizer: Recognizer | None) -> None:
        """Read with ``recognizer`` from now on; a profile still opening for the one
        before is not swapped in for it."""
        with self.lock:
            self._recognizer = recognizer
            self._generation += 1

    def load_model(self) -> None:
        """Load the model, then open the profile on the worker (see :meth:`open_profile`).

        A missing or broken model leaves no recognizer and says why in
        ``model_error``; either way ``model_changed`` follows.
        """
        try:
            predictor = Predictor(self.model_path)
        except (ModelError, ImportError, OSError, ValueError, RuntimeError) as error:
            self.predictor, self.model_error = None, str(error) or type(error).__name__
            self.replace_recognizer(None)
            self.model_changed.emit()
            return
        self.predictor, self.model_error = predictor, None
        shared = SerializedPredictor(predictor)
        self.replace_recognizer(Recognizer(shared))  # without the profile until it is open
        self.model_changed.emit()
        self.open_profile()

    def open_profile(self) -> None:
        """Open the profile on the worker, in a Recognizer of its own sharing only the model.

        Reading the profile's files and computing their features takes about a
        second for 1,000 examples; meanwhile ``recognizer`` reads without the
        profile, and ink is read without waiting. The opened recognizer takes
        its place under the lock, unless another recognizer came meanwhile.
        The worker's objects are its own until then: the given profile is
        opened the first time, and a fresh Profile of the same folder each time
        after, since an undo may still forget an example through the one in
        use meanwhile.
        """
        with self.lock:
            recognizer, generation = self._recognizer, self._generation
        if recognizer is None:
            return
        profile = Profile(self.profile.folder) if self._profile_opened else self.profile
        self._profile_opened = True
        self.profile_open = False
        self.profile_changed.emit()
        predictor = recognizer.predictor

        def open_profile() -> Recognizer:
            opened = Recognizer(predictor, profile=profile)
            opened.prepare()
            return opened

        done = functools.partial(self._profile_done, generation=generation, profile=profile)
        self._opening_profile = self._start(open_profile, done)

    def _profile_done(
        self, job: int, result: Recognizer | Exception, generation: int, profile: Profile
    ) -> None:
        if job != self._opening_profile:
            return  # a later opening replaced this one
        self._opening_profile = None
        if isinstance(result, Exception):
            self.profile_opened.emit(one_line(result))
            return
        with self.lock:
            swapped = self._generation == generation
            if swapped:
                self._recognizer, self.profile = result, profile
        if swapped:
            self.profile_open = True
            self.profile_changed.emit()
        self.profile_opened.emit(None)

    def examples_in_use(self) -> int:
        """How many of the person's examples the recognizer reads with now (the
        profile's folder is checked for changes first; cheap when there are none)."""
        with self.lock:
            return self._recognizer.prepare() if self._recognizer is not None else 0

    # -- the person's examples (a pad.Teacher, and the handwriting dialog's access) -----------

    def learn(self, source, digit: int) -> Example:
        """Learn that ``source`` is ``digit`` (see :meth:`Recognizer.learn`); at once.

        Raises ValueError while the profile is not open, or for a bad example,
        and OSError when it cannot be written.
        """
        with self.lock:
            recognizer = self._recognizer
            if recognizer is None or recognizer.profile is None:
                raise ValueError("the handwriting profile is not open")
            return recognizer.learn(source, digit)

    def forget(self, example: Example) -> None:
        """Forget one example (delete its file)."""
        with self.lock:
            self.profile.forget(example)

    def forget_all(self) -> None:
        """Forget every example of the profile."""
        with self.lock:
            self.profile.clear()

    def examples(self) -> list[tuple[Example, np.ndarray]]:
        """Every example with its 28x28 model input, oldest first."""
        with self.lock:
            examples, inputs = self.profile.inputs()
            return list(zip(examples, inputs, strict=True))

    # -- reading the drawing --------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A picture is being opened or read in the background: a result is still to come."""
        return self._opening is not None or self._reading is not None

    def read(
        self, drawing: Drawing, ink: Ink | None = None, *, again: bool = False
    ) -> tuple[Prediction, int] | None:
        """Read ``drawing``, the one the pad shows now: ink at once, a picture in the background.

        Ink (``ink``, with the stroke being drawn; default: the drawing's) is read
        now: returns the reading and the number of examples in use. A picture
        returns None and is read on the worker (``reading_ready`` or
        ``reading_failed`` follow) unless it is being read already; ``again``
        reads it again anyway (the model or the examples changed). Without a
        model the reading is a preview: no digit, the last digit's input.

        A drawing other than the one read last replaced it: a picture still
        opening is dropped (it would replace what was drawn meanwhile), and so
        is the reading of an earlier picture.
        """
        if drawing is not self._drawing:
            self._drawing, self._opening = drawing, None
        if again:
            self._reading = None  # a reading still to come is of the model or examples before
        if drawing.has_picture:
            if self._reading is None or self._reading[1] is not drawing:
                picture = drawing.picture
                assert picture is not None  # as has_picture says
                job = self._start(lambda: self._read_picture(picture), self._picture_read)
                self._reading = (job, drawing)
            return None
        inputs = ink_inputs(drawing.ink() if ink is None else ink)
        with self.lock:
            recognizer = self._recognizer
            if recognizer is None:
                return _preview(inputs), 0
            # prepare() is cheap when the profile did not change, and sees another
            # program's changes (digitpad learn).
            return recognizer.read(inputs), recognizer.prepare()

    def _read_picture(self, picture: Image.Image) -> Prediction:
        # On the worker. Finding the digits (seconds for a large photo) is done outside
        # the lock, so that live ink never waits for it; only the model's part holds it.
        recognizer = self._recognizer
        wide_blob = WIDE_BLOB if recognizer is None else recognizer.picture_wide_blob
        inputs = image_inputs(picture, wide_blob=wide_blob)
        with self.lock:
            if self._recognizer is not None:
                return self._recognizer.read(inputs)
        return _preview(inputs)

    def _picture_read(self, job: int, result: Prediction | Exception) -> None:
        if self._reading is None or self._reading[0] != job:
            return  # an earlier job's, read again since
        drawing = self._reading[1]
        self._reading = None
        if drawing is not self._drawing:
            return  # replaced meanwhile
        if isinstance(result, Exception):
            self.reading_failed.emit(drawing, one_line(result))
        else:
            self.reading_ready.emit(drawing, result)

    # -- opening ---------------------------------------------------------------------------------

    def open_file(self, path: str | os.PathLike) -> Ink | None:
        """Open an image or ink file for the pad, as ``digitpad predict`` reads it.

        Ink (a ``.json`` file, or a PNG the pad saved: it keeps its ink) is read
        at once and returned; a picture is opened in the background
        (:meth:`open_picture`) and None returned. Ink that cannot be read
        announces ``open_failed`` at once and returns None.
        """
        path = Path(path)
        ink = saved_ink(path)
        if not is_ink_path(path) and ink is None:
            self.open_picture(path)
            return None
        try:
            return ink or read_ink(path)
        except InkError as error:
            self.open_failed.emit(path, str(error))
            return None

    def open_picture(self, source: PictureSource) -> int:
        """Read a picture on the worker: a file (a path) or what ``source()`` gives (a
        pasted image, converted there); ``picture_opened`` or ``open_failed`` follow.

        Returns the job's number. Dropped when another picture is opened, or
        another drawing read (:meth:`read`), meanwhile.
        """
        path = None if callable(source) else Path(source)
        job = self._start(lambda: self._open_picture(source, path), self._picture_opened)
        self._opening = (job, path)
        return job

    def _open_picture(self, source: PictureSource, path: Path | None) -> OpenedPicture:
        # load_image() decodes the pixels, so the picture outlives its file.
        picture = source() if callable(source) else load_image(source)
        shown = shown_picture(picture)
        view = self._picture_view(shown) if self._picture_view is not None else None
        return OpenedPicture(picture, shown, view, path)

    def _picture_opened(self, job: int, result: OpenedPicture | Exception) -> None:
        if self._opening is None or self._opening[0] != job:
            return  # another picture came, or a drawing, meanwhile
        path = self._opening[1]
        self._opening = None
        if isinstance(result, Exception):
            self.open_failed.emit(path, one_line(result))
        else:
            self.picture_opened.emit(result)

    # -- the worker ------------------------------------------------------------------------------

    # Any: each kind of job has a result of its own (or the exception it raised).
    def _start(self, work: Callable[[], object], done: Callable[[int, Any], None]) -> int:
        """Run ``work()`` on the worker; then ``done(job, result)`` through ``post``, where
        ``result`` is what it returned or the exception it raised. Returns ``job``."""
        job = next(self._job_numbers)

        def run() -> None:
            try:
                result = work()
            except Exception as error:  # noqa: BLE001 - ``done`` decides what it means
                result = error
            self._post(lambda: done(job, result))

        self._worker.submit(run)
        return job

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every job started has run and posted its result (tests, shutdown).
        False when ``timeout`` (seconds) passed first."""
        return self._worker.wait(timeout)


class Worker:
    """Runs jobs one at a time, in order, on a thread of its own while there are any.

    The thread ends when no job is left, so an idle session holds none. It is
    not a daemon thread: a job running when the program ends is finished.
    """

    def __init__(self, name: str = "digitpad-worker"):
        self._name = name
        self._jobs: deque[Callable[[], object]] = deque()
        self._unfinished = 0
        self._running = False
        self._changed = threading.Condition()

    def submit(self, job: Callable[[], object]) -> None:
        """Run ``job()`` after the jobs submitted before it."""
        with self._changed:
            self._jobs.append(job)
            self._unfinished += 1
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name=self._name).start()

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._jobs:
                    self._running = False
                    return
                job = self._jobs.popleft()
            try:
                job()
            except Exception:  # noqa: BLE001 - one job's failure must not stop those after it
                traceback.print_exc()
            finally:
                with self._changed:
                    self._unfinished -= 1
                    self._changed.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every job submitted has run; False when ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._unfinished, timeout)


class SerializedPredictor:
    """A model that several threads may call: one model call runs at a time.

    The session's recognizer is used under the session's lock, but a profile
    opens on the worker in a Recognizer of its own, outside that lock (so that
    ink is read meanwhile), sharing the model; a model's interpreter must not
    run two calls at once. Every method of the wrapped
    :class:`~digitpad.predictor.Model` (``predict``, ``predict_with_features``,
    ...) is called under this lock; other attributes (``has_features``,
    ``path``...) are passed through.
    """

    def __init__(self, predictor: Model):
        self.predictor = predictor
        self._lock = threading.Lock()

    def predict(self, images: ArrayLike, source: Source = "ink") -> np.ndarray:
        with self._lock:
            return self.predictor.predict(images, source)

    def predict_with_features(
        self, images: ArrayLike, source: Source = "ink"
    ) -> tuple[np.ndarray, np.ndarray | None]:
        with self._lock:
            return self.predictor.predict_with_features(images, source)

    def __getattr__(self, name):
        value = getattr(self.predictor, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def serialized(*args, **kwargs):
            with self._lock:
                return value(*args, **kwargs)

        return serialized


# -- files and pictures --------------------------------------------------------------------------


def is_ink_path(path) -> bool:
    return Path(path).suffix.lower() in INK_SUFFIXES


def read_ink(path) -> Ink:
    """An ink file for the pad; raises InkError, also for ink without strokes."""
    ink = load_ink(path)
    if ink.is_empty:
        raise InkError("the ink has no strokes")
    return ink


def saved_ink(path) -> Ink | None:
    """The ink a PNG saved by the pad keeps (:func:`~digitpad.ink.picture_ink`); None for
    any other file. Only the file's header is read."""
    if is_ink_path(path):
        return None
    try:
        with Image.open(path) as image:
            return picture_ink(image)
    except Exception:  # noqa: BLE001 - anything unreadable is for load_image to report
        return None


def shown_picture(image: Image.Image) -> Image.Image:
    """An 8-bit RGBA copy for the screen, at most :data:`MAX_SHOWN_SIDE` on a side.

    Pillow's own conversion clips 16-bit and float grey, so those are scaled first.
    """
    factor = max(image.size) // MAX_SHOWN_SIDE
    if factor > 1 and image.mode not in _NO_REDUCE:
        # Box-filtered down by a whole factor first: cheap, and leaves little to resample.
        image = image.reduce(factor)
    if image.mode.startswith("I;16"):
        grey = np.asarray(image, dtype=np.float32) / 257
    elif image.mode in ("I", "F"):
        grey = np.asarray(image, dtype=np.float32)
        low, high = float(grey.min()), float(grey.max())
        grey = (grey - low) * (255 / max(high - low, 1e-6))
    else:
        grey = None
    if grey is not None:
        image = Image.fromarray(np.rint(grey).clip(0, 255).astype(np.uint8))
    shown = image.convert("RGBA")
    if max(shown.size) > MAX_SHOWN_SIDE:
        shown.thumbnail((MAX_SHOWN_SIDE, MAX_SHOWN_SIDE))
    return shown


def one_line(error: BaseException) -> str:
    """A job's exception as one line for a message."""
    if isinstance(error, MemoryError):
        return "not enough memory"
    return " ".join(str(error).split()) or type(error).__name__


def _preview(inputs: DigitInputs) -> Prediction:
    """Without a model: no digit, but the input of the last digit for the preview."""
    return Prediction(None, None, None, inputs[-1][0] if inputs else None)


def _call(announce: Callable[[], None]) -> None:
    announce()

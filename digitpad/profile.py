"""A person's handwriting profile: a folder of digits they taught digitpad.

Each example is one self-contained file a person can open, copy or delete::

    my-handwriting/
        4/20261125T221500.123456Z-3fa9c1.json   ink, with "digit": 4 and "learned" inside
        7/20261125T221731.004518Z-b02d7e.png    a picture: the 28x28 model input, digit in
                                                its PNG text ("digitpad-digit": "7")

``writing.json`` beside the digit folders holds the person's settings (how
they write their 1s and 7s: :mod:`digitpad.conventions`). The folder names the
digit and the file repeats it; the name gives the time
it was learned (UTC). Ink files are ordinary digitpad ink files (extra keys
are ignored), so ``digitpad predict`` reads them too; they are read by
:func:`digitpad.ink.read_ink_json`, within the limits of every ink file. Files
are written atomically (a hidden temporary file, then a rename), so a crash
never leaves half an example. Files that are not examples, or damaged ones,
are skipped with one warning (:class:`ProfileWarning`) and left alone. At
most :data:`MAX_PER_DIGIT` examples are kept per digit: learning one more
deletes the oldest.

>>> profile = Profile("my-handwriting")          # doctest: +SKIP
>>> profile.add(ink, 4)                         # doctest: +SKIP
>>> [(e.digit, e.file.name, e.when) for e in profile.examples()]  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import sys
import tempfile
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from .conventions import check_convention
from .ink import Ink, InkError, load_ink, parse_ink, picture_ink, read_ink_json
from .preprocess import ImageReadError, image_to_input, ink_to_input, load_image

__all__ = [
    "MAX_PER_DIGIT",
    "Example",
    "Profile",
    "ProfileWarning",
    "default_profile_dir",
]

#: Examples kept per digit; learning one more deletes that digit's oldest.
MAX_PER_DIGIT = 100

_NAME = re.compile(r"^(\d{8}T\d{6}\.\d{6})Z-[0-9a-f]{6}\.(json|png)$")
_TIME_FORMAT = "%Y%m%dT%H%M%S.%f"
_PNG_DIGIT, _PNG_LEARNED = "digitpad-digit", "digitpad-learned"
#: The person's settings, beside the digit folders.
_SETTINGS = "writing.json"
#: Model inputs of the examples, so that opening a large profile need not
#: read and render every file again (hidden; each entry checked against its
#: file's modification time and size; safe to delete).
_CACHE = ".digitpad-inputs.npz"
#: This many examples read from their files or learned, and not in the cache,
#: rewrite the cache.
_CACHE_AFTER = 20


class ProfileWarning(UserWarning):
    """A file in a profile folder was skipped (damaged, or not an example)."""


def default_profile_dir() -> Path:
    """Where the pad and ``digitpad learn`` keep a person's profile by default.

    ``$XDG_DATA_HOME/digitpad/profile`` (``~/.local/share/digitpad/profile``)
    on Linux and other Unixes, ``~/Library/Application Support/digitpad/profile``
    on macOS, ``%APPDATA%\\digitpad\\profile`` on Windows.
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        # The XDG spec says a relative value is invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "digitpad" / "profile"


@dataclass(frozen=True)
class Example:
    """One learned digit: which digit, its file, and when it was learned (UTC)."""

    digit: int
    file: Path
    when: datetime


class Profile:
    """A folder of a person's own examples of digits.

    The folder is created on the first :meth:`add`; a missing folder is an
    empty profile. Changes made by other programs (another pad, ``digitpad
    learn``, a person deleting files) are seen at the next call: the digit
    folders' modification times are checked, and only new files are read.

    Parameters
    ----------
    folder : path, optional
        Default: :func:`default_profile_dir`.
    """

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else default_profile_dir()
        # file -> (stat key, Example, model input); only files that are examples.
        self._loaded: dict[Path, tuple[tuple, Example, np.ndarray]] = {}
        self._warned: set[tuple[Path, tuple]] = set()
        self._folder_state: tuple | None = None
        self._ordered: list[Example] = []
        self._uncached = 0  # examples in memory that the cache file lacks
        #: Bumped whenever the set of examples changes; caches compare it.
        self.version = 0
        self._settings: tuple[tuple | None, str | None] = (None, None)  # (stat key, convention)

    def __repr__(self) -> str:
        return f"Profile({str(self.folder)!r})"

    def examples(self) -> list[Example]:
        """The examples, oldest first."""
        self.refresh()
        return list(self._ordered)

    def refresh(self) -> int:
        """Re-read the folder if files came or went; returns :attr:`version`.

        Costs about ten ``stat`` calls when nothing changed.
        """
        self._refresh()
        return self.version

    def __len__(self) -> int:
        self._refresh()
        return len(self._ordered)

    def input(self, example: Example) -> np.ndarray:
        """The 28x28 model input of ``example`` (for thumbnails and features)."""
        self._refresh()
        return self._loaded[Path(example.file)][2]

    def inputs(self) -> tuple[list[Example], np.ndarray]:
        """All examples, oldest first, and their model inputs, shape (n, 28, 28)."""
        self._refresh()
        stacked = [self._loaded[e.file][2] for e in self._ordered]
        return list(self._ordered), (
            np.stack(stacked) if stacked else np.zeros((0, 28, 28), np.float32)
        )

    def add(self, source, digit: int) -> Example:
        """Learn that ``source`` is ``digit``; returns the new example.

        Parameters
        ----------
        source : Ink, Pillow image, numpy array, or path
            The whole input is taken as one digit, even where the recognizer
            would find several (``digitpad learn`` splits a number first). Ink
            (or an ink ``.json`` file, or a PNG saved by the pad) is kept as
            ink; a picture is kept as its 28x28 model input.
        digit : int
            0 to 9.

        Raises
        ------
        ValueError
            For a digit outside 0-9 or an input with no ink; reading a file
            raises :class:`~digitpad.ink.InkError` or
            :class:`~digitpad.preprocess.ImageReadError`.
        OSError
            When the profile folder cannot be written.
        """
        if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)):
            raise ValueError(f"digit must be an integer 0-9, not {digit!r}")
        digit = int(digit)
        if not 0 <= digit <= 9:
            raise ValueError(f"digit must be 0-9, not {digit}")
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            if path.suffix.lower() == ".json":
                source = load_ink(path)
            else:
                with load_image(path) as image:
                    ink = picture_ink(image)  # a PNG saved by the pad is learned as its ink
                    if ink is None:
                        return self._add_picture(image, digit)
                    source = ink
        if isinstance(source, Ink):
            return self._add_ink(source, digit)
        return self._add_picture(source, digit)

    @property
    def convention(self) -> str | None:
        """How the person writes their 1s and 7s (:data:`digitpad.conventions.CONVENTIONS`),
        or None when they have not said; kept in ``writing.json`` (read again only when
        that file changes). An unreadable file or an unknown value reads as None, with
        a :class:`ProfileWarning`."""
        file = self.folder / _SETTINGS
        try:
            key: tuple | None = _stat_key(file)
        except OSError:
            key = None
        if key == self._settings[0]:
            return self._settings[1]
        convention = None
        if key is not None:
            try:
                convention = check_convention(json.loads(file.read_text("utf-8"))["convention"])
            except (OSError, ValueError, KeyError, TypeError) as error:
                warnings.warn(
                    f"digitpad profile {self.folder}: {_SETTINGS} ignored ({error})",
                    ProfileWarning,
                    stacklevel=2,
                )
        self._settings = (key, convention)
        return convention

    @convention.setter
    def convention(self, convention: str | None) -> None:
        payload = json.dumps({"convention": check_convention(convention)}).encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.folder, _SETTINGS, payload)

    def forget(self, example: Example | str | os.PathLike) -> None:
        """Delete one example (an :class:`Example` or its file); gone already is fine."""
        file = Path(example.file if isinstance(example, Example) else example)
        if file.resolve().parent.parent != self.folder.resolve():
            raise ValueError(f"{file} is not an example of {self.folder}")
        file.unlink(missing_ok=True)
        self._changed()

    def clear(self) -> None:
        """Delete every example. Other files in the folder are left alone."""
        for example in self.examples():
            example.file.unlink(missing_ok=True)
        (self.folder / _CACHE).unlink(missing_ok=True)
        self._changed()

    # -- writing ---------------------------------------------------------------

    def _add_ink(self, ink: Ink, digit: int) -> Example:
        model_input = ink_to_input(ink)
        if model_input is None:
            raise ValueError("no digit to learn: the ink is empty")
        when = datetime.now(UTC)
        data = {"digit": digit, "learned": when.isoformat(), **ink.to_json()}
        payload = json.dumps(data, separators=(",", ":")).encode()
        return self._write(digit, when, "json", payload, model_input)

    def _add_picture(self, image, digit: int) -> Example:
        model_input = image_to_input(image)
        if model_input is None:
            raise ValueError("no digit to learn: the picture is blank")
        stored = np.round(np.clip(model_input, 0, 1) * 255).astype(np.uint8)
        # Kept as the model input (light ink on dark, like MNIST): small, and
        # reading it back through image_to_input gives the same digit.
        model_input = image_to_input(stored)
        when = datetime.now(UTC)
        info = PngImagePlugin.PngInfo()
        info.add_text(_PNG_DIGIT, str(digit))
        info.add_text(_PNG_LEARNED, when.isoformat())
        buffer = io.BytesIO()
        Image.fromarray(stored).save(buffer, format="PNG", pnginfo=info)
        return self._write(digit, when, "png", buffer.getvalue(), model_input)

    def _write(self, digit, when, suffix, payload: bytes, model_input) -> Example:
        self._refresh()
        folder = self.folder / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{when.strftime(_TIME_FORMAT)}Z-{secrets.token_hex(3)}.{suffix}"
        file = _write_atomically(folder, name, payload)
        example = Example(digit, file, when)
        self._loaded[file] = (_stat_key(file), example, model_input)
        self._uncached += 1
        self._drop_oldest(digit)
        self._changed()
        return example

    def _drop_oldest(self, digit: int) -> None:
        mine = sorted(
            (e for _, e, _ in self._loaded.values() if e.digit == digit),
            key=lambda e: (e.when, e.file.name),
        )
        for example in mine[: max(0, len(mine) - MAX_PER_DIGIT)]:
            example.file.unlink(missing_ok=True)
            del self._loaded[example.file]

    def _changed(self) -> None:
        # Our own change: rescan at the next call even if the folder's
        # modification time did not move (coarse file-system clocks).
        self._folder_state = None

    # -- reading ---------------------------------------------------------------

    def _refresh(self) -> None:
        state = self._state()
        if state == self._folder_state:
            return
        found: dict[Path, tuple] = {}
        skipped: list[str] = []
        cached = self._read_cache() if not self._loaded else {}
        for digit in range(10):
            folder = self.folder / str(digit)
            try:
                entries = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as error:
                skipped.append(f"{folder} ({error.strerror or error})")
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue  # our temporary files, and hidden files of other tools
                file = Path(entry.path)
                try:
                    key = _stat_key(file)
                except OSError:
                    continue  # deleted meanwhile
                known = self._loaded.get(file)
                if known is not None and known[0] == key:
                    found[file] = known
                    continue
                stored = cached.get(f"{digit}/{entry.name}")
                try:
                    if stored is not None and stored[0] == key:
                        found[file] = (key, _example_named(file, digit), stored[1])
                        continue
                    self._uncached += 1
                    example, model_input = _read_example(file, digit)
                except _NotAnExample as reason:
                    if (file, key) not in self._warned:
                        self._warned.add((file, key))
                        skipped.append(f"{file.relative_to(self.folder)} ({reason})")
                    continue
                found[file] = (key, example, model_input)
        if skipped:
            warnings.warn(
                f"digitpad profile {self.folder}: skipped {len(skipped)} file(s) that are "
                f"not examples: {'; '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}",
                ProfileWarning,
                stacklevel=3,
            )
        if self._uncached >= _CACHE_AFTER:
            self._write_cache(found)
        ordered = sorted((e for _, e, _ in found.values()), key=lambda e: (e.when, e.file.name))
        if ordered != self._ordered:
            self.version += 1
        self._loaded, self._ordered, self._folder_state = found, ordered, state

    def _read_cache(self) -> dict[str, tuple[tuple, np.ndarray]]:
        try:
            with np.load(self.folder / _CACHE, allow_pickle=False) as data:
                names, mtimes, sizes = data["names"], data["mtimes"], data["sizes"]
                inputs = data["inputs"].astype(np.float32)
            if not len(names) == len(mtimes) == len(sizes) == len(inputs):
                return {}
            if inputs.shape[1:] != (28, 28):
                return {}
        except Exception:  # noqa: BLE001 - a missing or damaged cache is just no cache
            return {}
        return {
            str(name): ((int(mtime), int(size)), image)
            for name, mtime, size, image in zip(names, mtimes, sizes, inputs, strict=True)
        }

    def _write_cache(self, found: dict) -> None:
        names = [f"{e.digit}/{e.file.name}" for _, e, _ in found.values()]
        try:
            handle, staging = tempfile.mkstemp(prefix=".cache-", suffix=".npz", dir=self.folder)
        except OSError:
            return  # a read-only profile still works, only slower to open
        try:
            with os.fdopen(handle, "wb") as f:
                np.savez(
                    f,
                    names=np.array(names, dtype=str),
                    mtimes=np.array([k[0] for k, _, _ in found.values()], dtype=np.int64),
                    sizes=np.array([k[1] for k, _, _ in found.values()], dtype=np.int64),
                    inputs=np.stack([x for _, _, x in found.values()]).astype(np.float32),
                )
            os.replace(staging, self.folder / _CACHE)
            self._uncached = 0
        except OSError:
            pass  # as above
        finally:
            Path(staging).unlink(missing_ok=True)

    def _state(self) -> tuple:
        """Modification times of the digit folders: they change when files come or go."""
        state: list[int | None] = []
        for digit in range(10):
            try:
                state.append(os.stat(self.folder / str(digit)).st_mtime_ns)
            except OSError:
                state.append(None)
        return tuple(state)


def _write_atomically(folder: Path, name: str, payload: bytes) -> Path:
    """``folder / name`` holding ``payload``, written to a hidden file first, then renamed."""
    suffix = Path(name).suffix
    handle, staging = tempfile.mkstemp(prefix=".learning-", suffix=suffix, dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(payload)
        os.replace(staging, folder / name)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return folder / name


class _NotAnExample(Exception):
    """Why a file in a profile folder is skipped."""


def _stat_key(file: Path) -> tuple:
    stat = file.stat()
    return stat.st_mtime_ns, stat.st_size


def _example_named(file: Path, digit: int) -> Example:
    match = _NAME.match(file.name)
    if not match:
        raise _NotAnExample("not named like an example")
    try:
        when = datetime.strptime(match.group(1), _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # 20261399T...: the right digits, no real time
        raise _NotAnExample("not named like an example") from None
    return Example(digit, file, when)


def _read_example(file: Path, digit: int) -> tuple[Example, np.ndarray]:
    example = _example_named(file, digit)
    if file.suffix == ".json":
        # Read like every other ink file (size, nesting and number limits).
        try:
            data = read_ink_json(file)
            ink = parse_ink(data)
        except InkError as error:
            raise _NotAnExample(str(error)) from None
        if type(data.get("digit")) is not int or data["digit"] != digit:
            raise _NotAnExample(f"its digit is not {digit}")
        model_input = ink_to_input(ink)
    else:
        try:
            with load_image(file) as image:
                if image.info.get(_PNG_DIGIT) != str(digit):
                    raise _NotAnExample(f"its digit is not {digit}")
                model_input = image_to_input(image)
        except ImageReadError as error:
            raise _NotAnExample(str(error)) from None
    if model_input is None:
        raise _NotAnExample("no ink in it")
    return example, model_input

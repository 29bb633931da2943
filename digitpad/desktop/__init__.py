"""The desktop entry and application icon, and installing them for the user.

``digitpad install-desktop`` writes ``applications/digitpad.desktop`` and the
icon (``icons/hicolor/scalable/apps/digitpad.svg`` and a 256 px PNG) under
``$XDG_DATA_HOME`` (default ``~/.local/share``), where desktop environments
that follow the freedesktop.org specifications find them. The entry's
``Exec`` is the absolute path of the ``digitpad`` being run, so the menu
starts the same installation even when it is not on the menu's ``PATH``.
No Qt here: the pad reads :data:`ICON_SVG` and :data:`ICON_PNG` for its
window icon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ICON_SVG = HERE / "digitpad.svg"
ICON_PNG = HERE / "digitpad.png"
APP_ID = "digitpad"

#: Characters that make an Exec argument need quoting (Desktop Entry Specification, "Exec key").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home(env=None) -> Path:
    """``$XDG_DATA_HOME`` when it is an absolute path, else ``~/.local/share``."""
    env = os.environ if env is None else env
    value = env.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def installed_paths(home: Path) -> dict[str, Path]:
    """Where :func:`install` puts the desktop entry and the icons under ``home``."""
    icons = home / "icons" / "hicolor"
    return {
        "entry": home / "applications" / f"{APP_ID}.desktop",
        "svg": icons / "scalable" / "apps" / f"{APP_ID}.svg",
        "png": icons / "256x256" / "apps" / f"{APP_ID}.png",
    }


def launcher() -> list[str]:
    """The command that starts this installation of digitpad, as absolute paths.

    The ``digitpad`` script being run when there is one (``sys.argv[0]``),
    else the one beside this Python, else ``python -m digitpad``.
    """
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == APP_ID and script.is_file():
        return [str(script.absolute())]
    beside = Path(sys.executable).parent / APP_ID
    if beside.is_file():
        return [str(beside)]
    return [str(Path(sys.executable).absolute()), "-m", APP_ID]


def exec_value(command: list[str]) -> str:
    """``command`` written as a desktop entry's ``Exec`` value.

    Arguments with reserved characters are double-quoted with ``"`` `` ` ``
    ``$`` ``\\`` escaped inside; ``%`` is doubled; then every backslash is
    doubled again because the whole value is a desktop-entry string.
    """
    words = []
    for word in command:
        if "\n" in word or "\r" in word:
            raise ValueError(f"a desktop entry cannot run a path with a line break: {word!r}")
        if any(char in _RESERVED for char in word):
            escaped = "".join("\\" + c if c in '"`$\\' else c for c in word)
            word = f'"{escaped}"'
        words.append(word.replace("%", "%%"))
    return _string_value(" ".join(words))


def _string_value(text: str) -> str:
    """``text`` as a desktop-entry string value: backslashes doubled."""
    return text.replace("\\", "\\\\")


def desktop_entry(command: list[str]) -> str:
    """The text of ``digitpad.desktop`` starting the pad with ``command``."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.1\n"
        "Name=digitpad\n"
        "GenericName=Handwritten Digit Recognizer\n"
        "Comment=Draw digits and numbers and watch them being read\n"
        f"Exec={exec_value(command)}\n"
        f"TryExec={_string_value(command[0])}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Education;ArtificialIntelligence;\n"
        "Keywords=handwriting;digit;number;MNIST;recognition;pen;\n"
        "StartupNotify=true\n"
    )


def install(home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the desktop entry and the icons under ``home``; return the files written."""
    paths = installed_paths(data_home() if home is None else home)
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    paths["svg"].write_bytes(ICON_SVG.read_bytes())
    paths["png"].write_bytes(ICON_PNG.read_bytes())
    # The entry last: a menu that sees it can find its icon already.
    entry = desktop_entry(launcher() if command is None else command)
    temporary = paths["entry"].with_suffix(".desktop.tmp")
    temporary.write_text(entry, encoding="utf-8")
    temporary.replace(paths["entry"])
    return [paths["entry"], paths["svg"], paths["png"]]


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what :func:`install` wrote under ``home``; return the files removed."""
    removed = []
    for path in installed_paths(data_home() if home is None else home).values():
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed

"""``run()``: start the drawing pad, or explain why Qt cannot open a window.

Qt aborts the whole process from inside QApplication's constructor when its
platform plugin cannot load, so the likely causes are checked first: on
Linux with X11, no display, or missing X11 client libraries. The check loads
those libraries with ctypes, which costs a few milliseconds and finds them
the way Qt's plugin will.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

#: The X11 libraries Qt's xcb platform plugin links to, with their Debian/Ubuntu packages.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
}
#: The packages a fresh desktop install most often lacks; always named in the hint.
USUAL_PACKAGES = (
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-shape0",
    "libxcb-xkb1",
    "libxkbcommon-x11-0",
    "libegl1",
)
#: Set to make the app print the time to its first paint and quit (benchmarks, tests).
EXIT_WHEN_SHOWN = "DIGITPAD_EXIT_WHEN_SHOWN"


def platform_problem(env=None, platform: str | None = None, load=ctypes.CDLL) -> str | None:
    """Why Qt would fail to open a window here, or None when it should work.

    ``env``, ``platform`` and ``load`` (a ctypes loader) are parameters for tests.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    requested = [p.split(":")[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";")]
    requested = [p for p in requested if p]
    if requested and "xcb" not in requested:
        return None  # offscreen, wayland, eglfs, ...: no X11 needed
    if not requested and env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return None  # Qt picks its wayland plugin
    missing = []
    for library, package in XCB_LIBRARIES.items():
        try:
            load(library)
        except OSError:
            missing.append(package)
    if missing:
        packages = list(USUAL_PACKAGES) + [p for p in missing if p not in USUAL_PACKAGES]
        return (
            "Qt cannot open a window: install the X11 libraries with: "
            f"sudo apt-get install {' '.join(packages)}"
        )
    if not env.get("DISPLAY"):
        return (
            "Qt cannot open a window: no X11 display (DISPLAY is not set). "
            "Run digitpad in a desktop session."
        )
    return None


def run(model: str | None = None, argv: list[str] | None = None) -> int:
    """Open the drawing pad and return its exit code (1 when no window can be opened)."""
    started = time.perf_counter()
    problem = platform_problem()
    if problem:
        print(f"digitpad: {problem}", file=sys.stderr)
        return 1

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from ..desktop import ICON_PNG, ICON_SVG
    from .window import APPLICATION, ORGANIZATION, MainWindow

    running = QApplication.instance()  # a test's, say
    app = (
        running
        if isinstance(running, QApplication)
        else QApplication(argv if argv is not None else sys.argv[:1])
    )
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("digitpad")
    app.setDesktopFileName("digitpad")
    icon = QIcon(str(ICON_SVG))
    icon.addFile(str(ICON_PNG))  # where Qt's SVG plugin is missing
    app.setWindowIcon(icon)

    window = MainWindow(model=model, load_model=False)
    exit_when_shown = bool(os.environ.get(EXIT_WHEN_SHOWN))

    def shown():
        # The model loads after the first paint, so the window appears as early as possible
        # (and the person's profile opens after it, on the worker).
        if exit_when_shown:
            print(f"digitpad: shown after {time.perf_counter() - started:.3f} s", flush=True)
        window.load_model()
        if exit_when_shown:
            print(f"digitpad: model loaded after {time.perf_counter() - started:.3f} s", flush=True)
            if window.session.recognizer is None:
                app.quit()

    def profile_opened():
        if exit_when_shown:
            elapsed = time.perf_counter() - started
            print(f"digitpad: profile opened after {elapsed:.3f} s", flush=True)
            app.quit()

    window.profileOpened.connect(profile_opened)

    window.canvas.firstPainted.connect(shown, Qt.ConnectionType.QueuedConnection)
    window.show()
    # Ctrl+C in the terminal ends the app (Qt's loop would not let Python see it).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = app.exec()
    window.release_clipboard()
    return code

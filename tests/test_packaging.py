"""What a user installs: the wheel's contents, the version, the desktop entry and icon."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

import digitpad
from digitpad import cli, desktop

from .conftest import ROOT

#: Every file the wheel may hold besides Python modules: the model, its card and class
#: bank, the icon.
PACKAGE_DATA = {
    "digitpad/resources/model.tflite",
    "digitpad/resources/model-card.json",
    "digitpad/resources/class-bank.npz",
    "digitpad/desktop/digitpad.svg",
    "digitpad/desktop/digitpad.png",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (path,) = dist.glob("digitpad-*.whl")
    return path


def test_wheel_carries_the_model_and_finds_it(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import digitpad, numpy as np\n"
        "from digitpad.predictor import Predictor\n"
        "p = Predictor()\n"
        "print(digitpad.__file__)\n"
        "print(p.path)\n"
        "print(p.predict(np.zeros((28, 28))).shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(site)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    module, model, shape = result.stdout.splitlines()
    assert module.startswith(str(site)) and model.startswith(str(site))
    assert shape == "(1, 10)"


def test_wheel_holds_the_package_its_data_and_the_licences_only(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        modules = {name: archive.read(name).decode() for name in names if name.endswith(".py")}
        metadata = archive.read(f"digitpad-{digitpad.__version__}.dist-info/METADATA").decode()
    info = f"digitpad-{digitpad.__version__}.dist-info/"
    package_files = {name for name in names if not name.startswith(info)}
    assert {name for name in package_files if not name.endswith(".py")} == PACKAGE_DATA
    assert all(name.startswith("digitpad/") for name in package_files)
    assert {info + "licenses/LICENSE", info + "licenses/DATA-LICENSES.md"} <= names
    # Dev-only helpers that read the repository's test files are not shipped, nor is the
    # training plumbing (train_model.py is not in the wheel either).
    assert not [name for name, text in modules.items() if "fixtures" in text]
    assert not [name for name in names if name.startswith("digitpad/training")]
    # One version source: the wheel's metadata carries digitpad.__version__.
    assert f"\nVersion: {digitpad.__version__}\n" in metadata
    assert "License-Expression: MIT" in metadata


def test_version_option_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"digitpad {digitpad.__version__}\n"


def test_install_desktop_writes_entry_and_icons_under_xdg_data_home(tmp_path, monkeypatch, capsys):
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    assert cli.main(["install-desktop"]) == 0
    entry = home / "applications" / "digitpad.desktop"
    svg = home / "icons" / "hicolor" / "scalable" / "apps" / "digitpad.svg"
    png = home / "icons" / "hicolor" / "256x256" / "apps" / "digitpad.png"
    assert capsys.readouterr().out.split() == [
        "wrote",
        str(entry),
        "wrote",
        str(svg),
        "wrote",
        str(png),
    ]
    assert svg.read_bytes() == desktop.ICON_SVG.read_bytes()
    assert png.read_bytes() == desktop.ICON_PNG.read_bytes()
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines()[1:])
    assert entry.read_text().startswith("[Desktop Entry]\n")
    assert fields["Exec"] == desktop.exec_value(desktop.launcher())
    assert fields["Icon"] == "digitpad" and fields["Type"] == "Application"
    assert os.path.isabs(desktop.launcher()[0])
    validator = shutil.which("desktop-file-validate")
    if validator:  # .ci/run installs it (desktop-file-utils)
        result = subprocess.run([validator, str(entry)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout, result.stdout

    assert cli.main(["install-desktop", "--uninstall"]) == 0
    assert capsys.readouterr().out.split() == [
        "removed",
        str(entry),
        "removed",
        str(svg),
        "removed",
        str(png),
    ]
    assert not entry.exists() and not svg.exists() and not png.exists()
    assert cli.main(["install-desktop", "--uninstall"]) == 0
    assert capsys.readouterr().out == f"nothing to remove under {home}\n"


def test_desktop_entry_quotes_awkward_paths_as_the_specification_says():
    command = ["/opt/my apps/50% $HOME/digit\\pad", "-m", "x"]
    # Quoted for the space, $ and \\ escaped inside the quotes, % doubled; then the
    # string-level escape doubles every backslash.
    assert desktop.exec_value(command) == '"/opt/my apps/50%% \\\\$HOME/digit\\\\\\\\pad" -m x'
    assert desktop.exec_value(["/usr/bin/digitpad"]) == "/usr/bin/digitpad"
    with pytest.raises(ValueError, match="line break"):
        desktop.exec_value(["/tmp/a\nb"])


def test_relative_xdg_data_home_is_ignored_as_the_specification_says(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert desktop.data_home({"XDG_DATA_HOME": "relative/share"}) == tmp_path / ".local" / "share"
    assert desktop.data_home({}) == tmp_path / ".local" / "share"
    assert desktop.data_home({"XDG_DATA_HOME": "/xdg"}) == desktop.Path("/xdg")


def test_launcher_is_the_digitpad_script_being_run(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "digitpad"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(script), "install-desktop"])
    assert desktop.launcher() == [str(script)]
    monkeypatch.setattr(sys, "argv", ["-c"])  # python -c / -m: this Python's own script or -m
    assert desktop.launcher() in (
        [str(desktop.Path(sys.executable).parent / "digitpad")],
        [str(desktop.Path(sys.executable).absolute()), "-m", "digitpad"],
    )


def test_the_pad_window_has_the_application_icon(tmp_path):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from digitpad.ui import app\n"
        "assert app.run() == 0\n"
        "icon = QApplication.instance().windowIcon()\n"
        "image = icon.pixmap(64, 64).toImage()\n"
        "field = image.pixelColor(16, 32).name()\n"
        "corner = image.pixelColor(0, 0).alpha()\n"
        "print(icon.isNull(), image.width(), field, corner)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "DIGITPAD_EXIT_WHEN_SHOWN": "1",
            "XDG_CONFIG_HOME": str(tmp_path),
            "HOME": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    is_null, width, field, corner = result.stdout.splitlines()[-1].split()
    # The icon's dark drawing field left of the 7, a transparent rounded corner.
    assert (is_null, width, corner) == ("False", "64", "0")
    assert field == "#102027"

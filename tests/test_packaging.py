"""The bundled model travels with a wheel and is found from any directory."""

import os
import subprocess
import sys

import pytest

from .conftest import ROOT


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

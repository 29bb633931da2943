"""Shared fixtures. Tests run headless and never touch ../shared."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

# Qt must never try to open a real display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent


@pytest.fixture(scope="session")
def pen_digits():
    """300 real pen digits (30 per class) by pendigits writers 3, 6, ..., 30.

    Those writers are held out when training settings are chosen
    (``train_model.py --hold-out-writers``); the bundled model is trained on them.
    """
    from digitpad.ink import parse_ink

    data = json.loads((FIXTURES / "pen-digits.json").read_text())
    return [(d["label"], parse_ink(d["ink"])) for d in data["digits"]]


@pytest.fixture(scope="session")
def mnist_sample():
    """1,000 MNIST test digits (uint8, 28x28) and their labels."""
    with np.load(FIXTURES / "mnist-test-1000.npz") as data:
        return data["x"], data["y"]


@pytest.fixture(scope="session")
def recognizer():
    from digitpad.recognize import Recognizer

    return Recognizer()

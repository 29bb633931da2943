"""Every file of tests/bad-files/ through the CLI, the Python API, the predictor and the pad.

``tests/bad-files/expected.json`` says what each file must give (see
``tests/bad-files/generate.py``, which made them).
"""

import io
import json
from pathlib import Path

import numpy as np
import pytest

from digitpad.cli import predict
from digitpad.predictor import ModelError, Predictor
from digitpad.recognize import Recognizer

BAD_FILES = Path(__file__).resolve().parent / "bad-files"
EXPECTED = json.loads((BAD_FILES / "expected.json").read_text())
MODELS = sorted(name for name in EXPECTED if name.endswith(".tflite"))
INPUTS = sorted(name for name in EXPECTED if not name.endswith(".tflite"))


#: Words of the libraries digitpad uses, and of their exceptions, that a message a person
#: reads should not need.
LIBRARY_WORDS = ("Pillow", "PIL", "numpy", "np.", "LiteRT", "TensorFlow", "Flatbuffer", "Error")


def check_message(name, message):
    """One line, and in the pad's own words."""
    assert "\n" not in message, (name, message)
    assert not [w for w in LIBRARY_WORDS if w in message], (name, message)


def check_prediction(name, line):
    """``line`` is one ``digitpad predict --json`` object."""
    outcome = EXPECTED[name]
    if "error" in outcome:
        assert set(line) == {"file", "error"}, name
        assert outcome["error"] in line["error"], (name, line["error"])
        check_message(name, line["error"])
        return
    assert "error" not in line, (name, line)
    if "digit" in outcome:
        assert line["digit"] == outcome["digit"], (name, line)
    if line["digit"] is None and line["number"] is None:
        assert line["probabilities"] is None and line["digits"] == []
    else:
        for digit in line["digits"]:
            probabilities = np.array(digit["probabilities"])
            assert probabilities.shape == (10,) and np.isfinite(probabilities).all()
            assert abs(probabilities.sum() - 1) < 1e-3


def test_every_case_has_a_file_and_every_file_a_case():
    files = {p.name for p in BAD_FILES.iterdir()} - {"expected.json", "generate.py"}
    assert files == set(EXPECTED)


def test_cli_gives_each_file_its_outcome_in_one_run():
    paths = [str(BAD_FILES / name) for name in INPUTS]
    out, err = io.StringIO(), io.StringIO()
    code = predict(paths, as_json=True, out=out, err=err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["file"] for line in lines] == paths
    for name, line in zip(INPUTS, lines, strict=True):
        check_prediction(name, line)
    errors = [name for name in INPUTS if "error" in EXPECTED[name]]
    messages = err.getvalue().splitlines()
    assert len(messages) == len(errors)
    assert all(m.startswith("digitpad: ") and "Traceback" not in m for m in messages)
    assert code == 2


@pytest.mark.parametrize("name", INPUTS)
def test_api_reads_the_file_or_raises_the_documented_error(name, recognizer):
    from digitpad.recognize import ReadError

    path = BAD_FILES / name
    if "error" in EXPECTED[name]:
        with pytest.raises(ReadError) as caught:
            recognizer.file(path)
        assert EXPECTED[name]["error"] in str(caught.value)
        check_message(name, str(caught.value))
    else:
        check_prediction(name, {"file": str(path), **recognizer.file(path).to_json()})


@pytest.mark.parametrize("name", MODELS)
def test_bad_model_files_name_the_file_and_the_problem(name):
    path = BAD_FILES / name
    with pytest.raises(ModelError) as caught:
        Predictor(path)
    message = str(caught.value)
    assert str(path) in message and EXPECTED[name]["error"] in message
    check_message(name, message.replace(str(path), "MODEL"))


@pytest.mark.parametrize("name", MODELS)
def test_cli_with_a_bad_model_is_one_line_and_exit_2(name):
    out, err = io.StringIO(), io.StringIO()
    code = predict([str(BAD_FILES / "cmyk.jpg")], model=str(BAD_FILES / name), out=out, err=err)
    assert code == 2
    assert err.getvalue().count("\n") == 1 and name in err.getvalue()


def test_a_model_that_is_not_there(tmp_path):
    with pytest.raises(ModelError, match="missing.tflite"):
        Recognizer(tmp_path / "missing.tflite")

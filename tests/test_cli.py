import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digitpad.cli import main, predict
from digitpad.ink import Ink

from .conftest import ROOT


@pytest.fixture
def inputs(tmp_path, mnist_sample, pen_digits):
    """A folder of MNIST PNGs (one inverted), pen-digit ink files and odd files."""
    images, labels = mnist_sample
    expected = {}
    for i in range(4):
        picture = images[i] if i % 2 == 0 else 255 - images[i]  # dark on light
        name = f"mnist-{i}.png"
        Image.fromarray(picture).save(tmp_path / name)
        expected[name] = int(labels[i])
    for i, (label, ink) in enumerate(pen_digits[::75]):
        name = f"pen-{i}.json"
        ink.save(tmp_path / name)
        expected[name] = label
    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    Ink().save(tmp_path / "empty.json")
    (tmp_path / "notes.txt").write_text("ignored: not an image or ink file")
    return tmp_path, expected


def run_json(paths, capsys, **kwargs):
    code = predict([str(p) for p in paths], as_json=True, **kwargs)
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    return code, lines, captured.err


def test_json_lines_for_a_folder_in_sorted_order(inputs, capsys):
    folder, expected = inputs
    code, lines, err = run_json([folder], capsys)
    assert code == 0 and err == ""
    names = [line["file"].rsplit("/", 1)[-1] for line in lines]
    assert names == sorted(list(expected) + ["blank.png", "empty.json"])
    for line in lines:
        name = line["file"].rsplit("/", 1)[-1]
        if name in ("blank.png", "empty.json"):
            assert line == {
                "file": line["file"],
                "digit": None,
                "confidence": None,
                "probabilities": None,
                "number": None,
                "digits": [],
            }
            continue
        assert set(line) == {"file", "digit", "confidence", "probabilities", "number", "digits"}
        assert line["digit"] == expected[name], name
        assert line["number"] == str(expected[name]), name
        assert len(line["probabilities"]) == 10
        assert sum(line["probabilities"]) == pytest.approx(1.0, abs=1e-3)
        assert line["confidence"] == pytest.approx(max(line["probabilities"]), abs=1e-6)
        (digit,) = line["digits"]
        assert set(digit) == {"digit", "confidence", "probabilities", "box"}
        assert digit["digit"] == line["digit"] and digit["confidence"] == line["confidence"]
        assert digit["probabilities"] == line["probabilities"] and len(digit["box"]) == 4


def test_bad_inputs_get_an_error_line_and_exit_code_2(inputs, capsys):
    folder, _ = inputs
    (folder / "bad.png").write_text("not a picture")
    (folder / "bad.json").write_text("{not json")
    paths = [
        folder / "mnist-0.png",
        folder / "bad.png",
        folder / "missing.png",
        folder / "bad.json",
        folder / "pen-0.json",
    ]
    code, lines, err = run_json(paths, capsys)
    assert code == 2
    assert [line["file"] for line in lines] == [str(p) for p in paths]
    assert "digit" in lines[0] and "digit" in lines[4]
    for line in lines[1:4]:
        assert set(line) == {"file", "error"} and line["error"]
    messages = err.strip().splitlines()
    assert len(messages) == 3 and all(m.startswith("digitpad: ") for m in messages)
    assert "Traceback" not in err


def test_table_output(inputs, capsys):
    folder, expected = inputs
    code = predict([str(folder / "mnist-0.png"), str(folder / "blank.png")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == ["FILE", "DIGIT", "CONFIDENCE", "NUMBER"]
    digit = str(expected["mnist-0.png"])
    assert out[1].split()[1:] == [digit, out[1].split()[2], digit]
    assert out[1].split()[2].endswith("%")
    assert out[2].split()[-3:] == ["no", "digit", "-"]


def test_bad_model_is_a_clean_error(tmp_path, capsys):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"nope")
    code = main(["predict", "--model", str(broken), str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "broken.tflite" in err and "Traceback" not in err


def test_many_files_in_one_process(tmp_path, mnist_sample, capsys):
    images, labels = mnist_sample
    for i in range(600):  # more than one batch
        Image.fromarray(images[i]).save(tmp_path / f"{i:04d}.png")
    code, lines, _ = run_json([tmp_path], capsys)
    assert code == 0 and len(lines) == 600
    predicted = np.array([line["digit"] for line in lines])
    assert (predicted == labels[:600]).mean() >= 0.98


def test_command_line_entry_point(inputs):
    folder, expected = inputs
    result = subprocess.run(
        [sys.executable, "-m", "digitpad", "predict", "--json", str(folder / "pen-1.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["digit"] == expected["pen-1.json"]
    assert result.stderr == ""  # stderr is for the one-line errors only


def test_learn_then_predict_with_the_profile(tmp_path, pen_digits, capsys, monkeypatch):
    label, ink = next((label, ink) for label, ink in pen_digits if label == 0)
    drawing = tmp_path / "my-zero.json"
    ink.save(drawing)
    profile = tmp_path / "profile"
    assert main(["learn", "--profile", str(profile), str(drawing), "8"]) == 0
    out = capsys.readouterr().out
    (example,) = (profile / "8").iterdir()
    assert out.startswith(f"learned {drawing} as 8: ") and str(example) in out
    # Batch runs use a profile only when asked.
    _, (plain,), _ = run_json([drawing], capsys)
    _, (personal,), _ = run_json([drawing], capsys, profile=str(profile))
    assert plain["digit"] == 0 and personal["digit"] == 8
    assert main(["predict", "--json", "--profile", str(profile), str(drawing)]) == 0
    assert json.loads(capsys.readouterr().out)["digit"] == 8
    # Without --profile, learn uses the per-user default folder.
    monkeypatch.setattr("digitpad.profile.default_profile_dir", lambda: tmp_path / "default")
    assert main(["learn", str(drawing), "0"]) == 0
    assert len(list((tmp_path / "default" / "0").iterdir())) == 1


def test_learn_errors_are_one_line(tmp_path, capsys):
    profile = str(tmp_path / "profile")
    empty = tmp_path / "empty.json"
    Ink().save(empty)
    for path in (tmp_path / "missing.png", empty, tmp_path):
        assert main(["learn", "--profile", profile, str(path), "3"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_:
        main(["learn", "--profile", profile, str(empty), "12"])
    assert exit_.value.code == 2
    assert not (tmp_path / "profile").exists()

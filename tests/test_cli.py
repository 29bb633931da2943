import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from digitpad import Profile, Recognizer
from digitpad.cli import main, predict
from digitpad.ink import PNG_INK_KEY, Ink, load_ink
from digitpad.recognize import ink_inputs

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
    for number in ("x", "-1", "1.0", "", "\u0663"):  # NUMBER is digits 0-9 (not Arabic-Indic)
        with pytest.raises(SystemExit) as exit_:
            main(["learn", "--profile", profile, str(empty), number])
        assert exit_.value.code == 2
    assert not (tmp_path / "profile").exists()


def two_bars(gap: float = 30) -> Ink:
    """Two upright strokes side by side: the recognizer finds two digits, "11"."""
    return Ink([[(10, 10), (10, 90)], [(10 + gap, 10), (10 + gap, 90)]])


def learn_lines(args, capsys):
    code = main(["learn", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_learn_splits_a_number_and_refuses_a_count_that_differs(tmp_path, capsys):
    drawing = tmp_path / "eleven.json"
    two_bars().save(drawing)
    assert len(ink_inputs(two_bars())) == 2
    profile = tmp_path / "profile"
    for number, count in (("1", "1 digit"), ("111", "3 digits"), ("7", "1 digit")):
        code, out, err = learn_lines(["--profile", profile, drawing, number], capsys)
        assert code == 2 and out == []
        assert err.count("\n") == 1 and err.startswith(f"digitpad: {drawing}: ")
        assert "holds 2 digits" in err and f"{number} has {count}" in err
    assert not profile.exists()  # nothing learned
    code, out, err = learn_lines(["--profile", profile, drawing, "11"], capsys)
    assert code == 0 and err == "" and len(out) == 2
    examples = Profile(profile).examples()
    assert [e.digit for e in examples] == [1, 1]
    learned = sorted(load_ink(e.file).strokes[0][0, 0] for e in examples)
    assert learned == [10, 40]  # each bar its own example
    profile = tmp_path / "another-profile"
    # A PNG saved by the pad is read as the ink it keeps: its two strokes are two digits.
    info = PngImagePlugin.PngInfo()
    info.add_text(PNG_INK_KEY, json.dumps(two_bars().to_json()))
    saved = tmp_path / "saved.png"
    Image.new("L", (100, 100), 255).save(saved, pnginfo=info)
    code, _, err = learn_lines(["--profile", profile, saved, "1"], capsys)
    assert code == 2 and "holds 2 digits" in err and not profile.exists()
    code, out, _ = learn_lines(["--profile", profile, saved, "11"], capsys)
    assert code == 0 and len(out) == 2
    assert [len(load_ink(e.file).strokes) for e in Profile(profile).examples()] == [1, 1]


def test_learn_a_number_learns_each_digit_from_its_own_strokes(tmp_path, pen_digits, capsys):
    # Four real pen digits side by side, a digit's width apart: "2026".
    written, left = [], 0.0
    for wanted in "2026":
        ink = next(ink for label, ink in pen_digits if label == int(wanted))
        x0, y0, x1, _ = ink.bounds()
        written.append([s[:, :2] - (x0 - left, y0) for s in ink.strokes])
        left += 2 * (x1 - x0)
    year = Ink([s for strokes in written for s in strokes])
    assert len(ink_inputs(year)) == 4  # the recognizer finds the four digits
    drawing = tmp_path / "year.json"
    year.save(drawing)
    profile = tmp_path / "profile"
    code, out, err = learn_lines(["--profile", profile, drawing, "2026"], capsys)
    assert code == 0 and err == ""
    assert len(out) == 4 and out[0].startswith(f"learned {drawing} (1 of 4) as 2: ")
    examples = Profile(profile).examples()
    assert sorted(e.digit for e in examples) == [0, 2, 2, 6]
    for line, strokes in zip(out, written, strict=True):
        file = line.rsplit(": ", 1)[1]
        assert json.loads(Path(file).read_text())["digit"] == int(line.split(" as ")[1][0])
        learned = load_ink(file).strokes
        assert len(learned) == len(strokes)
        for got, want in zip(learned, strokes, strict=True):
            np.testing.assert_allclose(got[:, :2], want, atol=1e-3)


def test_learn_the_digits_of_a_picture_of_a_number(tmp_path, capsys):
    picture = np.full((60, 90), 255, dtype=np.uint8)
    picture[5:55, 17:23] = 0
    picture[5:55, 67:73] = 0  # two bars, dark on light: "11"
    scan = tmp_path / "eleven.png"
    Image.fromarray(picture).save(scan)
    profile = tmp_path / "profile"
    code, _, err = learn_lines(["--profile", profile, scan, "1"], capsys)
    assert code == 2 and "holds 2 digits" in err and not profile.exists()
    code, out, err = learn_lines(["--profile", profile, scan, "17"], capsys)
    assert code == 0 and err == "" and len(out) == 2
    examples = Profile(profile).examples()
    assert sorted(e.digit for e in examples) == [1, 7]
    assert all(e.file.suffix == ".png" for e in examples)
    recognizer = Recognizer()
    inputs = [recognizer.image(picture).digits[i].input for i in range(2)]
    for example, seen in zip(sorted(examples, key=lambda e: e.digit), inputs, strict=True):
        with Image.open(example.file) as stored:  # the 28x28 picture the model saw
            np.testing.assert_allclose(np.asarray(stored) / 255, seen, atol=1 / 255)


def test_learn_a_number_learns_none_of_it_when_a_digit_cannot_be_written(
    tmp_path, capsys, monkeypatch
):
    drawing = tmp_path / "eleven.json"
    two_bars().save(drawing)
    profile = tmp_path / "profile"
    real_replace, calls = os.replace, []

    def full_after_one(source, target):
        calls.append(target)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr("digitpad.profile.os.replace", full_after_one)
    code, out, err = learn_lines(["--profile", profile, drawing, "11"], capsys)
    assert code == 2 and out == [] and err == f"digitpad: {drawing}: No space left on device\n"
    assert len(calls) == 2 and not [p for p in profile.rglob("*") if p.is_file()]

import json
import os
import re
import warnings

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

import digitpad.profile
from digitpad import Ink, Profile, ProfileWarning, Recognizer, load_ink
from digitpad.ink import MAX_POINTS, PNG_INK_KEY, InkError, parse_ink
from digitpad.profile import Example, default_profile_dir

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def odd_four() -> Ink:
    """A real 4 written as one curved stroke (pen writer 21), drawn a fifth flatter and
    slanted forward (each point moved right by its height above the centre).

    The bundled model is trained on writer 21 and reads their own 4 right;
    flatter and slanted this far, it reads it as 9.
    """
    (stroke,) = parse_ink(json.loads((FIXTURES / "odd-four.json").read_text())["ink"]).strokes
    xy = stroke[:, :2]
    centre = xy.mean(axis=0)
    flatter = (xy - centre) * (1.0, 0.8)
    slanted = flatter - np.outer(flatter[:, 1], (1.0, 0.0))  # y points down: the top leans right
    return Ink([slanted + centre])


def written_again(ink: Ink, rng: np.random.Generator) -> Ink:
    """The same shape as its writer might write it again: turned, stretched, shaky."""
    strokes = []
    for stroke in ink.strokes:
        xy = stroke[:, :2]
        centre = xy.mean(axis=0)
        angle = rng.uniform(-0.12, 0.12)
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        stretched = (xy - centre) @ turn.T * rng.uniform(0.9, 1.1, 2)
        strokes.append(stretched + centre + rng.normal(0, 1.5, xy.shape))
    return Ink(strokes)


def one_example_file(profile: Profile):
    (example,) = profile.examples()
    return example.file


def test_profile_folder_is_created_on_first_learn(tmp_path, pen_digits):
    folder = tmp_path / "my-handwriting"
    recognizer = Recognizer(profile=folder)  # a path will do
    assert isinstance(recognizer.profile, Profile) and recognizer.profile.folder == folder
    assert recognizer.profile.examples() == [] and not folder.exists()
    label, ink = pen_digits[0]
    example = recognizer.learn(ink, label)
    assert isinstance(example, Example) and example.digit == label
    assert example.file.parent == folder / str(label) and example.file.suffix == ".json"
    assert example.when.tzinfo is not None
    assert recognizer.profile.examples() == [example]


def test_ink_example_is_a_plain_ink_file_with_its_digit(tmp_path, pen_digits):
    profile = Profile(tmp_path)
    label, ink = pen_digits[40]
    example = Recognizer(profile=profile).learn(ink, label)
    data = json.loads(example.file.read_text())
    assert data["digit"] == label and data["learned"].startswith(str(example.when.year))
    np.testing.assert_allclose(load_ink(example.file).strokes[0], ink.strokes[0], atol=1e-3)
    if os.name == "posix":  # handwriting is personal: only its owner reads it
        assert example.file.stat().st_mode & 0o077 == 0


def test_learning_takes_effect_at_the_next_call(tmp_path, pen_digits):
    label, ink = next((label, ink) for label, ink in pen_digits if label == 0)
    recognizer = Recognizer(profile=Profile(tmp_path))
    assert recognizer.ink(ink).digit == 0
    recognizer.learn(ink, 8)  # a person says this 0 is their 8
    assert recognizer.ink(ink).digit == 8
    assert Recognizer().ink(ink).digit == 0  # no profile: the model alone


def test_picture_examples_are_pngs_and_work(tmp_path):
    picture = np.full((60, 40), 255, dtype=np.uint8)
    picture[5:55, 17:23] = 0  # a bar, dark on light, which the model reads as 1
    recognizer = Recognizer(profile=Profile(tmp_path))
    assert recognizer.image(picture).digit == 1
    example = recognizer.learn(picture, 7)  # this person's 7
    assert example.file.suffix == ".png" and example.file.parent.name == "7"
    with Image.open(example.file) as stored:
        assert stored.size == (28, 28) and stored.info["digitpad-digit"] == "7"
    assert recognizer.image(picture).digit == 7
    # Read back by a new profile (another run of the pad), the example still works.
    again = Recognizer(profile=Profile(tmp_path))
    assert again.profile.examples() == [example]
    assert again.image(picture).digit == 7
    np.testing.assert_allclose(
        again.profile.input(example), recognizer.profile.input(example), atol=1e-6
    )


def test_learn_from_files(tmp_path, pen_digits):
    label, ink = pen_digits[100]
    ink_file = tmp_path / "digit.json"
    ink.save(ink_file)
    picture_file = tmp_path / "digit.png"
    Image.fromarray(np.pad(np.full((30, 6), 255, np.uint8), 10)).save(picture_file)
    recognizer = Recognizer(profile=tmp_path / "profile")
    assert recognizer.learn(ink_file, label).file.suffix == ".json"
    assert recognizer.learn(str(picture_file), 1).file.suffix == ".png"
    assert [e.digit for e in recognizer.profile.examples()] == [label, 1]
    # A PNG saved by the pad is learned as the ink it keeps.
    info = PngImagePlugin.PngInfo()
    info.add_text(PNG_INK_KEY, json.dumps(ink.to_json()))
    Image.new("L", (50, 50), 255).save(tmp_path / "saved.png", pnginfo=info)
    learned = recognizer.learn(tmp_path / "saved.png", label)
    assert learned.file.suffix == ".json"
    np.testing.assert_allclose(load_ink(learned.file).strokes[0], ink.strokes[0], atol=1e-3)


def test_learn_refuses_bad_requests(tmp_path, pen_digits):
    _, ink = pen_digits[0]
    with pytest.raises(ValueError, match="no profile"):
        Recognizer().learn(ink, 3)
    recognizer = Recognizer(profile=tmp_path)
    for digit in (10, -1, "4", 2.0, True):
        with pytest.raises(ValueError, match="digit"):
            recognizer.learn(ink, digit)
    with pytest.raises(ValueError, match="empty"):
        recognizer.learn(Ink([]), 3)
    with pytest.raises(ValueError, match="blank"):
        recognizer.learn(np.zeros((28, 28)), 3)
    assert recognizer.profile.examples() == []
    assert not any(tmp_path.rglob("*.*"))


def test_forget_and_clear(tmp_path, pen_digits):
    label, ink = next((label, ink) for label, ink in pen_digits if label == 0)
    other_label, other = next((lb, ink) for lb, ink in pen_digits if lb not in (0, 8))
    recognizer = Recognizer(profile=Profile(tmp_path))
    learned = [recognizer.learn(ink, 8), recognizer.learn(other, other_label)]
    assert recognizer.ink(ink).digit == 8
    recognizer.profile.forget(learned[0])
    assert not learned[0].file.exists()
    assert recognizer.profile.examples() == learned[1:]
    assert recognizer.ink(ink).digit == 0
    recognizer.profile.forget(learned[0])  # twice is fine
    (tmp_path / "notes.txt").write_text("mine")
    recognizer.profile.clear()
    assert recognizer.profile.examples() == []
    assert (tmp_path / "notes.txt").read_text() == "mine"  # not an example: left alone
    with pytest.raises(ValueError, match="not an example"):
        recognizer.profile.forget(tmp_path / "notes.txt")


def test_examples_per_digit_are_bounded_oldest_first(tmp_path, pen_digits, monkeypatch):
    monkeypatch.setattr(digitpad.profile, "MAX_PER_DIGIT", 3)
    recognizer = Recognizer(profile=Profile(tmp_path))
    fours = [ink for label, ink in pen_digits if label == 4][:5]
    learned = [recognizer.learn(ink, 4) for ink in fours]
    seven = recognizer.learn(pen_digits[0][1], 7)
    assert recognizer.profile.examples() == [*learned[2:], seven]
    assert sorted(p.name for p in (tmp_path / "4").iterdir()) == [e.file.name for e in learned[2:]]
    assert digitpad.profile.MAX_PER_DIGIT == 3 and len(list((tmp_path / "7").iterdir())) == 1


def test_writes_are_atomic(tmp_path, pen_digits, monkeypatch):
    profile = Profile(tmp_path)
    label, ink = pen_digits[5]
    profile.add(ink, label)

    def crash(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(digitpad.profile.os, "replace", crash)
    with pytest.raises(OSError, match="space"):
        profile.add(ink, label)
    monkeypatch.undo()
    # No half-written example and no temporary file is left behind.
    assert [p.name for p in (tmp_path / str(label)).iterdir()] == [one_example_file(profile).name]
    assert len(Profile(tmp_path).examples()) == 1


def test_damaged_and_foreign_files_are_skipped_with_one_warning(tmp_path, pen_digits):
    recognizer = Recognizer(profile=Profile(tmp_path))
    label, ink = pen_digits[60]
    good = recognizer.learn(ink, label)
    four = tmp_path / "4"
    four.mkdir(exist_ok=True)
    (four / "20261125T220000.000000Z-abcdef.json").write_text('{"digit": 4, "strok')  # cut
    (four / "20261125T220001.000000Z-abcdef.json").write_text(
        json.dumps({"digit": 5, **ink.to_json()})  # says 5 in the folder of 4
    )
    (four / "20261125T220002.000000Z-abcdef.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    Image.new("L", (28, 28)).save(four / "20261125T220003.000000Z-abcdef.png")  # no digit
    (four / "holiday.jpg").write_bytes(b"not ours")
    (four / "20261399T250000.000000Z-abcdef.json").write_text(json.dumps({"digit": 4}))
    (tmp_path / "README.txt").write_text("my examples")  # beside the digit folders: ignored
    (tmp_path / "10").mkdir()
    fresh = Recognizer(profile=Profile(tmp_path))
    with pytest.warns(ProfileWarning, match="skipped 6 file") as caught:
        assert fresh.profile.examples() == [good]
        assert fresh.ink(ink).digit == label
    assert len([w for w in caught if w.category is ProfileWarning]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProfileWarning)  # the same files are not reported again
        fresh.profile.examples()
        fresh.learn(ink, label)
        assert len(fresh.profile.examples()) == 2


@pytest.mark.parametrize(
    "extra, reason",
    [
        ("[" * 70 + "]" * 70, "nested too deeply"),
        ("[" + ",".join(["0"] * (MAX_POINTS * 4 + 1)) + "]", f"limit is {MAX_POINTS} points"),
    ],
    ids=["70 levels deep", "too many numbers"],
)
def test_an_example_that_ink_files_may_not_be_is_skipped(tmp_path, pen_digits, extra, reason):
    profile = Profile(tmp_path)
    good = [profile.add(ink, label) for label, ink in pen_digits[:2]]
    # Good ink and its digit, and a key that ink files may hold (extra keys are
    # ignored) but not like this: read as every ink file is, it is refused.
    name = "3/20261125T220000.000000Z-abcdef.json"
    bad = tmp_path / name
    bad.parent.mkdir(exist_ok=True)
    text = json.dumps({"digit": 3, **pen_digits[0][1].to_json()})
    bad.write_text(text[:-1] + f', "notes": {extra}}}')
    with pytest.raises(InkError, match=re.escape(reason)):
        load_ink(bad)
    with pytest.warns(ProfileWarning, match=rf"skipped 1 file.*{re.escape(name)} \(.*{reason}"):
        assert Profile(tmp_path).examples() == good
    assert bad.exists()  # left alone


def test_changes_by_another_program_are_seen(tmp_path, pen_digits):
    label, ink = next((label, ink) for label, ink in pen_digits if label == 0)
    pad = Recognizer(profile=Profile(tmp_path))
    assert pad.ink(ink).digit == 0
    other = Profile(tmp_path)  # e.g. `digitpad learn` in a terminal
    example = other.add(ink, 8)
    assert pad.ink(ink).digit == 8
    example.file.unlink()  # a person deletes the file
    assert pad.ink(ink).digit == 0 and pad.profile.examples() == []


def test_model_without_features_keeps_working_and_says_so_once(tmp_path, pen_digits):
    class PlainModel:  # an old single-output model: probabilities only
        name, path, card = "plain", None, None
        has_features = has_picture_output = False

        def __init__(self, predictor):
            self.predict = predictor.predict

    from digitpad import Predictor

    recognizer = Recognizer(PlainModel(Predictor()), profile=Profile(tmp_path))
    label, ink = next((label, ink) for label, ink in pen_digits if label == 0)
    with pytest.warns(ProfileWarning, match="no features") as caught:
        recognizer.learn(ink, 8)
        assert recognizer.ink(ink).digit == 0
        recognizer.ink(ink)
    assert len(caught) == 1
    assert len(recognizer.profile.examples()) == 1  # kept for a model that can use it


def test_a_few_odd_fours_teach_that_writers_fours_and_spare_other_digits(
    tmp_path, odd_four, pen_digits
):
    # The profile's effect on the classifier alone: the trajectory view (on by default)
    # already reads many of these fours right, so it is left out here.
    plain = Recognizer(trajectory_model=False)
    rng = np.random.default_rng(1234)
    fours = [written_again(odd_four, rng) for _ in range(40)]
    misread = [ink for ink in fours if plain.ink(ink).digit != 4]
    assert plain.ink(odd_four).digit == 9
    assert len(misread) >= 20, "the model must misread most of these fours to begin with"
    both_views = Recognizer()
    assert sum(both_views.ink(ink).digit != 4 for ink in fours) < len(misread)
    recognizer = Recognizer(profile=Profile(tmp_path), trajectory_model=False)
    taught = 0
    for ink in fours[:10]:  # the writer corrects each 4 read wrong, as the pad lets them
        if recognizer.ink(ink).digit != 4:
            recognizer.learn(ink, 4)
            taught += 1
    assert 1 <= taught <= 5
    later = [recognizer.ink(ink).digit for ink in fours[10:]]
    assert later.count(4) == len(later), later
    # The other digits keep their readings: every pen digit read right before still is.
    for label, ink in pen_digits:
        if plain.ink(ink).digit == label:
            assert recognizer.ink(ink).digit == label


def test_default_profile_dir_follows_the_platform(monkeypatch, tmp_path):
    monkeypatch.setattr(digitpad.profile.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_profile_dir() == tmp_path / "data" / "digitpad" / "profile"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_profile_dir() == tmp_path / ".local" / "share" / "digitpad" / "profile"
    monkeypatch.setattr(digitpad.profile.sys, "platform", "darwin")
    expected = tmp_path / "Library" / "Application Support" / "digitpad" / "profile"
    assert default_profile_dir() == expected
    monkeypatch.setattr(digitpad.profile.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert default_profile_dir() == tmp_path / "Roaming" / "digitpad" / "profile"
    assert Profile().folder == default_profile_dir()


def test_a_large_profile_opens_from_its_cache(tmp_path, pen_digits, monkeypatch):
    monkeypatch.setattr(digitpad.profile, "_CACHE_AFTER", 3)
    writer = Profile(tmp_path)
    for label, ink in pen_digits[:6]:
        writer.add(ink, label)
    assert (tmp_path / ".digitpad-inputs.npz").is_file()  # written while learning
    monkeypatch.setattr(digitpad.profile, "_CACHE_AFTER", 1)
    examples, inputs = Profile(tmp_path).inputs()  # reads the files the cache lacks, adds them
    assert len(examples) == 6

    def unread(*args):
        raise AssertionError("read a file the cache holds")

    monkeypatch.setattr(digitpad.profile, "_read_example", unread)
    cached_examples, cached_inputs = Profile(tmp_path).inputs()
    assert cached_examples == examples
    np.testing.assert_array_equal(cached_inputs, inputs)
    monkeypatch.undo()
    # A changed file is read again; a damaged cache is no cache.
    changed = examples[0].file
    changed.write_text(changed.read_text().replace('"strokes"', '"width":1,"strokes"'))
    (tmp_path / ".digitpad-inputs.npz").write_bytes(b"damaged")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProfileWarning)
        assert Profile(tmp_path).examples() == examples
    Profile(tmp_path).clear()
    assert not list(tmp_path.rglob("*.*"))


def test_another_model_gets_its_own_features(tmp_path, pen_digits):
    from digitpad import Predictor

    label, ink = next((label, ink) for label, ink in pen_digits if label == 0)
    recognizer = Recognizer(profile=Profile(tmp_path))
    recognizer.learn(ink, 8)
    first_index = recognizer._personal
    recognizer.predictor = Predictor(recognizer.predictor.path)  # e.g. the pad opened a model
    assert recognizer.ink(ink).digit == 8
    assert recognizer._personal is not first_index and len(recognizer._personal) == 1

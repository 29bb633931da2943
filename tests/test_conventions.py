"""Writing conventions: 1s and 7s read the way a person says they write them."""

import json

import numpy as np
import pytest

from digitpad import Ink, Recognizer
from digitpad.cli import main
from digitpad.conventions import CONVENTIONS, SHIFTS, apply_convention, check_convention
from digitpad.profile import Profile, ProfileWarning


def probabilities(**by_digit) -> np.ndarray:
    """One row: the digits given (``d1=0.6``), the rest spread evenly."""
    row = np.zeros(10, np.float32)
    for name, value in by_digit.items():
        row[int(name[1:])] = value
    rest = [d for d in range(10) if row[d] == 0]
    row[rest] = (1 - row.sum()) / len(rest)
    return row[None]


def test_no_convention_changes_nothing():
    row = probabilities(d7=0.7, d1=0.2)
    assert apply_convention(row, None) is row


@pytest.mark.parametrize(("convention", "favoured"), [("flagged-one", 1), ("plain-one", 7)])
def test_an_ambiguous_one_or_seven_reads_the_conventions_way(convention, favoured):
    other = 8 - favoured
    row = probabilities(**{f"d{favoured}": 0.3, f"d{other}": 0.6})
    adjusted = apply_convention(row, convention)
    assert adjusted.argmax() == favoured
    # Only 1 and 7 move, and their mass together stays.
    untouched = [d for d in range(10) if d not in (1, 7)]
    np.testing.assert_allclose(adjusted[0, untouched], row[0, untouched])
    np.testing.assert_allclose(adjusted[0, [1, 7]].sum(), row[0, [1, 7]].sum(), rtol=1e-6)
    # The shift is a log-odds shift: the odds move by e**shift.
    odds = adjusted[0, favoured] / adjusted[0, other]
    np.testing.assert_allclose(odds, 0.3 / 0.6 * np.exp(SHIFTS[convention]), rtol=1e-4)


def test_a_clear_digit_keeps_its_reading():
    crossed_seven = probabilities(d7=0.9999, d1=0.00001)
    assert apply_convention(crossed_seven, "flagged-one").argmax() == 7
    three = probabilities(d3=0.6, d1=0.3)
    assert apply_convention(three, "plain-one").argmax() == 3


def test_unknown_conventions_are_refused():
    assert check_convention(None) is None and check_convention("flagged-one") == "flagged-one"
    with pytest.raises(ValueError, match="unknown writing convention 'european'"):
        apply_convention(probabilities(d1=0.5), "european")


def test_the_profile_keeps_the_convention_beside_its_examples(tmp_path):
    profile = Profile(tmp_path / "me")
    assert profile.convention is None
    profile.convention = "flagged-one"
    assert Profile(tmp_path / "me").convention == "flagged-one"
    assert json.loads((tmp_path / "me" / "writing.json").read_text()) == {
        "convention": "flagged-one"
    }
    assert profile.examples() == []  # the settings file is no example (and no warning)
    profile.convention = None
    assert Profile(tmp_path / "me").convention is None
    with pytest.raises(ValueError):
        profile.convention = "european"


def test_a_damaged_settings_file_reads_as_no_convention(tmp_path):
    (tmp_path / "writing.json").write_text('{"convention": "european"}')
    with pytest.warns(ProfileWarning, match="writing.json ignored"):
        assert Profile(tmp_path).convention is None


class FixedModel:
    """Reads every input as mostly 7, a little 1."""

    name, path, card = "fixed", None, None
    has_features, has_picture_output = False, False

    def predict(self, batch, source="ink"):
        return np.repeat(probabilities(d7=0.8, d1=0.15), len(batch), axis=0)


STICK = Ink([[(100.0, 40.0), (160.0, 20.0), (160.0, 300.0)]])


@pytest.mark.filterwarnings("ignore:fixed gives no features output")
def test_the_recognizer_reads_by_the_given_convention_else_the_profiles(tmp_path):
    assert Recognizer(FixedModel()).ink(STICK).digit == 7
    assert Recognizer(FixedModel(), convention="flagged-one").ink(STICK).digit == 1
    profile = Profile(tmp_path)
    recognizer = Recognizer(FixedModel(), profile=profile)
    assert recognizer.convention is None and recognizer.ink(STICK).digit == 7
    profile.convention = "flagged-one"  # said in the pad, or by digitpad convention
    assert recognizer.convention == "flagged-one" and recognizer.ink(STICK).digit == 1
    recognizer.convention = "plain-one"  # given outright, it wins over the profile's
    assert recognizer.ink(STICK).digit == 7


def test_the_command_line_sets_shows_and_reads_by_the_convention(tmp_path, capsys):
    ink = tmp_path / "one.json"
    ink.write_text(json.dumps({"strokes": [[[100, 40], [160, 20], [160, 300]]]}))
    folder = tmp_path / "me"
    assert main(["convention", "--profile", str(folder)]) == 0
    assert "none (the model alone decides)" in capsys.readouterr().out
    assert main(["convention", "flagged-one", "--profile", str(folder)]) == 0
    assert f"flagged-one: {CONVENTIONS['flagged-one']}" in capsys.readouterr().out
    assert Profile(folder).convention == "flagged-one"
    for options in (["--convention", "flagged-one"], ["--profile", str(folder)]):
        assert main(["predict", "--json", *options, str(ink)]) == 0
        assert json.loads(capsys.readouterr().out)["number"] == "1"
    assert main(["convention", "none", "--profile", str(folder)]) == 0
    assert Profile(folder).convention is None

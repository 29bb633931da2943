import numpy as np
import pytest

from digitpad.ink import Ink
from digitpad.trajectory import CHANNELS, POINTS, trajectory_features

# A 5 as many people write it: the body first, then the top bar as a second stroke.
BODY = [[40, 10], [30, 10], [28, 45], [55, 45], [60, 70], [45, 90], [25, 85]]
BAR = [[40, 10], [70, 10]]


def five() -> Ink:
    return Ink([np.array(BODY, float), np.array(BAR, float)])


def test_shape_and_ranges():
    features = trajectory_features(five())
    assert features is not None
    assert features.shape == (POINTS, CHANNELS) == (64, 5)
    assert features.dtype == np.float32
    # Centred on the box (x 25..70, y 10..90), divided by its longer side (the
    # height, 80); resampled points need not fall on the box's corners.
    assert np.abs(features[:, :2]).max() <= 0.5 + 1e-6
    assert features[:, 1].max() > 0.45 and features[:, 0].max() > 0.25
    # The first point is the first point written, the last the end of the bar.
    np.testing.assert_allclose(features[0, :2], [(40 - 47.5) / 80, -0.5], atol=1e-6)
    np.testing.assert_allclose(features[-1, :2], [(70 - 47.5) / 80, -0.5], atol=1e-6)
    # Directions are unit vectors.
    np.testing.assert_allclose(np.hypot(features[:, 2], features[:, 3]), 1, atol=1e-5)


def test_pen_up_marks_only_the_travel_between_strokes():
    features = trajectory_features(five())
    assert features is not None
    up = features[:, 4]
    assert set(np.unique(up)) == {0.0, 1.0}
    # One stroke, then the travel, then the other: one run of 1s in the middle.
    assert up[0] == 0 and up[-1] == 0
    assert np.count_nonzero(np.diff(up)) == 2
    single = trajectory_features(Ink([np.array(BODY, float)]))
    assert single is not None and not single[:, 4].any()


def test_same_for_any_position_and_size():
    features = trajectory_features(five())
    moved = Ink([s[:, :2] * 3.7 + [1000, -250] for s in five().strokes])
    np.testing.assert_allclose(trajectory_features(moved), features, atol=1e-5)


def test_stroke_order_and_direction_matter():
    features = trajectory_features(five())
    # The same picture, the bar written first.
    bar_first = trajectory_features(Ink([np.array(BAR, float), np.array(BODY, float)]))
    # The same picture, the bar drawn right to left.
    bar_back = trajectory_features(Ink([np.array(BODY, float), np.array(BAR[::-1], float)]))
    assert features is not None and bar_first is not None and bar_back is not None
    assert np.abs(bar_first - features).max() > 0.3
    assert np.abs(bar_back - features).max() > 0.3
    # The bar's direction: to the right as written, to the left reversed.
    assert features[-2, 2] == pytest.approx(1, abs=1e-5)
    assert bar_back[-2, 2] == pytest.approx(-1, abs=1e-5)


def test_points_are_evenly_spaced_along_the_path():
    # Uneven sampling of one straight line: the features do not depend on it.
    line = Ink([np.array([[0, 0], [1, 0], [2, 0], [10, 0]], float)])
    dense = Ink([np.column_stack([np.linspace(0, 10, 200), np.zeros(200)])])
    features = trajectory_features(line)
    assert features is not None
    np.testing.assert_allclose(features, trajectory_features(dense), atol=1e-6)
    np.testing.assert_allclose(np.diff(features[:, 0]), 1 / (POINTS - 1), atol=1e-6)


def test_empty_ink_and_a_dot():
    assert trajectory_features(Ink()) is None
    assert trajectory_features(Ink([np.zeros((0, 2))])) is None
    dot = trajectory_features(Ink([np.array([[5.0, 5.0], [5.0, 5.0]])]))
    assert dot is not None and dot.shape == (POINTS, CHANNELS)
    assert not dot.any()  # at the centre, no direction, pen down


def test_time_and_pressure_columns_are_ignored():
    with_time = Ink([np.column_stack([np.array(BODY, float), np.arange(7) * 10.0, np.ones(7)])])
    np.testing.assert_allclose(
        trajectory_features(with_time), trajectory_features(Ink([np.array(BODY, float)]))
    )


def test_epoch_set_holds_each_digit_as_written_then_fresh_distorted_copies():
    from digitpad.pendigits import PenDigit
    from digitpad.training.trajectory import epoch_set, trajectory_set

    digits = [PenDigit(5, 1, five()), PenDigit(0, 2, Ink([np.array(BODY[::-1], float)]))]
    as_written, labels = trajectory_set(digits)
    x, y = epoch_set(digits, distorted=2, styled=1, rng=np.random.default_rng(0))
    # A 5 has no styles; a 0 gets one styled copy (a slash) beside its 2 distorted ones.
    assert list(y) == [5, 5, 5, 0, 0, 0, 0] and list(labels) == [5, 0]
    np.testing.assert_array_equal(x[0], as_written[0])
    np.testing.assert_array_equal(x[3], as_written[1])
    assert all(np.abs(x[i] - x[0]).max() > 1e-3 for i in (1, 2))


def test_the_trajectory_model_learns_from_ink_distorted_as_the_classifiers():
    # training/trajectory.py restates train_model.py's pen transforms (a package module
    # cannot import the script); both views must learn from the same kind of ink.
    import importlib.util
    from pathlib import Path

    from digitpad.training import trajectory

    path = Path(__file__).resolve().parents[1] / "train_model.py"
    spec = importlib.util.spec_from_file_location("train_model_recipe", path)
    assert spec is not None and spec.loader is not None
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    assert trajectory.DISTORTION == recipe.PEN_DISTORTION
    assert trajectory.STYLE_SETTINGS == recipe.STYLE_SETTINGS
    assert trajectory.TABLET == recipe.TABLET


def test_a_batch_larger_than_a_chunk_reads_as_its_digits_one_by_one():
    from digitpad.predictor import bundled_model_path
    from digitpad.trajectory import CHUNK, TrajectoryModel

    model = TrajectoryModel.carried_by(bundled_model_path())
    assert model is not None
    rng = np.random.default_rng(1)
    batch = (rng.random((CHUNK * 2 + 3, POINTS, CHANNELS)) - 0.5).astype(np.float32)
    whole = model.log_probabilities(batch)
    assert whole.shape == (len(batch), 10)
    for i in (0, CHUNK, len(batch) - 1):
        np.testing.assert_allclose(
            whole[i], model.log_probabilities(batch[i : i + 1])[0], atol=1e-5
        )


def test_a_batch_of_inks_gives_each_its_own_features(pen_digits):
    from digitpad.trajectory import trajectory_batch

    inks = [ink for _, ink in pen_digits[:40]]
    inks[3:3] = [Ink([]), Ink([[(5.0, 5.0)]]), Ink([[(5.0, 5.0), (5.0, 5.0)], [(5.0, 5.0)]])]
    inks.append(five())
    features, kept = trajectory_batch(inks)
    one_by_one = [trajectory_features(ink) for ink in inks]
    assert kept.tolist() == [i for i, f in enumerate(one_by_one) if f is not None]
    assert 3 not in kept.tolist() and features.dtype == np.float32
    np.testing.assert_array_equal(features, np.stack([one_by_one[i] for i in kept]))
    empty, none = trajectory_batch([Ink([])])
    assert empty.shape == (0, POINTS, CHANNELS) and len(none) == 0

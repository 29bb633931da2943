"""The trajectory view in the reading path: the blend, where it applies, and where not."""

import json

import numpy as np
import pytest

from digitpad.conventions import apply_convention
from digitpad.ink import Ink
from digitpad.predictor import bundled_model_path
from digitpad.recognize import Recognizer
from digitpad.trajectory import POINTS, TrajectoryModel, blend, trajectory_features

from .test_conventions import STICK, FixedModel
from .test_conventions import probabilities as one_row


class FixedTrajectory:
    """A trajectory model that reads every path by the log-probabilities ``logs``, and
    keeps the batches it was given."""

    def __init__(self, logs, weight=0.4):
        self.logs = np.asarray(logs, np.float32)
        self.weight = weight
        self.batches = []

    def log_probabilities(self, batch):
        batch = np.asarray(batch)
        assert batch.shape[1:] == (POINTS, 5)
        self.batches.append(batch)
        return np.repeat(self.logs[None], len(batch), axis=0)


#: Surely 1, hardly 7: against the classifier's mostly 7.
LEANS_ONE = np.log(np.array([0.003] * 10, np.float32))
LEANS_ONE[1], LEANS_ONE[7] = np.log(0.97), np.log(0.001)
LEANS_ONE -= np.log(np.exp(LEANS_ONE).sum())


def formula(p, log_q, w):
    """softmax((1 - w) log p + w log q), written out."""
    scores = (1 - w) * np.log(np.asarray(p, np.float64)) + w * np.asarray(log_q, np.float64)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_blend_is_the_weighted_mean_of_logs_normalised():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(10), size=5).astype(np.float32)
    log_q = np.log(rng.dirichlet(np.ones(10), size=5))
    for w in (0.0, 0.4, 1.0):
        mixed = blend(p, log_q, w)
        assert mixed.dtype == np.float32 and mixed.shape == (5, 10)
        np.testing.assert_allclose(mixed, formula(p, log_q, w), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(blend(p, log_q, 0.0), p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(blend(p, log_q, 1.0), np.exp(log_q), rtol=1e-5, atol=1e-7)
    # A probability of 0 is floored, not a NaN.
    p[0] = 0
    p[0, 3] = 1
    assert np.isfinite(blend(p, log_q, 0.4)).all()


def test_an_ink_digit_is_read_by_the_blend_of_both_views():
    trajectory = FixedTrajectory(LEANS_ONE)
    recognizer = Recognizer(FixedModel(), trajectory_model=trajectory)
    read = recognizer.ink(STICK)
    expected = formula(one_row(d7=0.8, d1=0.15)[0], LEANS_ONE, 0.4)
    np.testing.assert_allclose(read.probabilities, expected, rtol=1e-5, atol=1e-7)
    assert read.digit == int(expected.argmax()) == 1
    assert read.confidence == pytest.approx(expected[1], rel=1e-5)
    # The trajectory model saw the digit's own path.
    (batch,) = trajectory.batches
    np.testing.assert_array_equal(batch[0], trajectory_features(STICK))
    # Its weight is the model's.
    read = Recognizer(FixedModel(), trajectory_model=FixedTrajectory(LEANS_ONE, 0.1)).ink(STICK)
    np.testing.assert_allclose(
        read.probabilities, formula(one_row(d7=0.8, d1=0.15)[0], LEANS_ONE, 0.1), rtol=1e-5
    )


def test_without_a_trajectory_model_the_classifier_alone_reads():
    read = Recognizer(FixedModel()).ink(STICK)
    np.testing.assert_array_equal(read.probabilities, one_row(d7=0.8, d1=0.15)[0])
    off = Recognizer(FixedModel(), trajectory_model=False)
    assert off.trajectory_model is None
    np.testing.assert_array_equal(off.ink(STICK).probabilities, read.probabilities)


def test_the_convention_applies_to_the_blend():
    recognizer = Recognizer(
        FixedModel(), convention="flagged-one", trajectory_model=FixedTrajectory(LEANS_ONE)
    )
    expected = apply_convention(
        formula(one_row(d7=0.8, d1=0.15), LEANS_ONE[None], 0.4).astype(np.float32),
        "flagged-one",
    )[0]
    np.testing.assert_allclose(recognizer.ink(STICK).probabilities, expected, rtol=1e-5)


class FeatureModel(FixedModel):
    has_features = True

    def predict_with_features(self, batch, source="ink"):
        return self.predict(batch), np.ones((len(batch), 4), np.float32)


class HalvingIndex:
    """A profile's index that halves the 7's probability, and keeps what it adapted."""

    def __init__(self):
        self.seen = []

    def adapt(self, probabilities, features):
        self.seen.append(np.array(probabilities))
        out = np.array(probabilities, np.float32)
        out[:, 7] /= 2
        return out / out.sum(axis=1, keepdims=True)


def test_the_profile_adapts_the_blend_not_the_classifier_alone():
    recognizer = Recognizer(FeatureModel(), trajectory_model=FixedTrajectory(LEANS_ONE))
    index = HalvingIndex()
    recognizer._personal_index = lambda: index
    read = recognizer.ink(STICK)
    raw = one_row(d7=0.8, d1=0.15)
    mixed = formula(raw, LEANS_ONE[None], 0.4)
    # The classifier's probabilities as the search sees them, then the blend's.
    np.testing.assert_allclose(index.seen[0], raw)
    np.testing.assert_allclose(index.seen[-1], mixed, rtol=1e-5)
    halved = mixed.copy()
    halved[:, 7] /= 2
    halved /= halved.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(read.probabilities, halved[0], rtol=1e-5)


def test_pictures_are_read_by_the_classifier_alone():
    trajectory = FixedTrajectory(LEANS_ONE)
    recognizer = Recognizer(FixedModel(), trajectory_model=trajectory)
    picture = np.zeros((60, 40), np.uint8)
    picture[10:50, 18:22] = 255
    read = recognizer.image(picture)
    assert read.digit == 7 and trajectory.batches == []
    np.testing.assert_array_equal(read.probabilities, one_row(d7=0.8, d1=0.15)[0])


def test_all_the_digits_of_a_batch_of_files_go_through_the_trajectory_model_at_once(tmp_path):
    from .test_numbers import side_by_side

    inks = [STICK, side_by_side([STICK, STICK], gap=1.0), STICK]
    for n, ink in enumerate(inks):
        ink.save(tmp_path / f"{n}.json")
    trajectory = FixedTrajectory(LEANS_ONE)
    recognizer = Recognizer(FixedModel(), trajectory_model=trajectory)
    read = dict(recognizer.files(sorted(tmp_path.glob("*.json"))))
    assert [len(p.digits) for p in read.values()] == [1, 2, 1]
    (batch,) = trajectory.batches
    assert len(batch) == 4
    assert all(d.digit == 1 for p in read.values() for d in p.digits)


@pytest.fixture(scope="module")
def bundled_card():
    return json.loads(bundled_model_path().with_name("model-card.json").read_text())


def test_the_bundled_model_carries_a_trajectory_model_and_its_card_entry(bundled_card):
    carried = TrajectoryModel.carried_by(bundled_model_path())
    assert carried is not None
    entry = bundled_card["trajectory"]
    assert entry["signature"] == "trajectory" and entry["weight"] == carried.weight == 0.4
    assert entry["points"] == POINTS and entry["channels"] == 5
    assert entry["inputs"].keys() == {"points"} and entry["outputs"].keys() == {"log_probabilities"}
    assert entry["epochs"] == 12 and entry["width"] == 32 and entry["seed"] == 1234
    assert entry["trained_on"]["held_out_sources"] == []
    assert entry["trained_on"]["held_out_writers"] is False
    assert isinstance(Recognizer().trajectory_model, TrajectoryModel)
    ink = Ink([[(10.0, 10.0), (10.0, 90.0)]])
    logs = carried.log_probabilities(trajectory_features(ink)[None])
    assert logs.shape == (1, 10) and np.exp(logs).sum() == pytest.approx(1, abs=1e-4)


def test_the_bundled_models_blend_reads_the_pen_digits(pen_digits):
    both, alone = Recognizer(), Recognizer(trajectory_model=False)
    labels = [label for label, _ in pen_digits]
    read_both = [both.ink(ink).number for _, ink in pen_digits]
    read_alone = [alone.ink(ink).number for _, ink in pen_digits]
    right_both = sum(r == str(y) for r, y in zip(read_both, labels, strict=True))
    right_alone = sum(r == str(y) for r, y in zip(read_alone, labels, strict=True))
    assert right_both >= 0.99 * len(labels) and right_both >= right_alone - 1


def test_a_large_batch_reads_each_file_as_it_reads_alone(tmp_path, pen_digits):
    for n, (_, ink) in enumerate(pen_digits[:12]):
        ink.save(tmp_path / f"{n:02d}.json")
    paths = sorted(tmp_path.glob("*.json"))
    trajectory = FixedTrajectory(LEANS_ONE)
    recognizer = Recognizer(FixedModel(), trajectory_model=trajectory)
    together = [p for _, p in recognizer.files(paths)]
    assert len(trajectory.batches) == 1 and len(trajectory.batches[0]) == 12
    for path, read in zip(paths, together, strict=True):
        alone = recognizer.file(path)
        np.testing.assert_array_equal(read.probabilities, alone.probabilities)
        assert read.digit == 1
    np.testing.assert_array_equal(trajectory.batches[0][5], trajectory_features(pen_digits[5][1]))

"""Numbers read by recognition: pieces, cuts, the search, the number model, alternatives."""

import numpy as np
import pytest

from digitpad.ink import Ink
from digitpad.number_model import NumberModel, save_number_model
from digitpad.predictor import ModelError, bundled_model_path
from digitpad.recognize import Recognizer, ink_inputs
from digitpad.segment import (
    GEOMETRY,
    Candidate,
    candidate_geometry,
    crossing_pieces,
    ink_candidates,
    ink_pieces,
    join_cuts,
    search,
)

HEIGHT = 100.0


def loop(cx: float, start_angle: float = -np.pi / 2, n: int = 40) -> np.ndarray:
    """A 0 of height 100 centred at x = cx, written counter-clockwise from its top."""
    angles = start_angle - np.linspace(0, 2 * np.pi, n)
    return np.column_stack([cx + 30 * np.cos(angles), 50 + 50 * np.sin(angles)])


def normalized(ink: Ink) -> Ink:
    x0, y0, _, y1 = ink.bounds()
    return Ink([(s[:, :2] - (x0, y0)) * HEIGHT / (y1 - y0) for s in ink.strokes])


def side_by_side(inks, gap: float) -> Ink:
    """Inks left to right with ``gap`` (times the height; negative: overlapping) between."""
    strokes, right = [], None
    for ink in map(normalized, inks):
        x0, _, x1, _ = ink.bounds()
        dx = 0.0 if right is None else right + gap * HEIGHT - x0
        strokes += [s + (dx, 0.0) for s in ink.strokes]
        right = x1 + dx
    return Ink(strokes)


def test_two_zeros_written_without_lifting_are_cut_between_them():
    first, second = loop(30), loop(130)
    ligature = np.column_stack([np.linspace(30, 130, 12)[1:-1], np.zeros(10)])
    stroke = np.concatenate([first, ligature, second])
    cuts = join_cuts(stroke, HEIGHT)
    assert cuts, "no cut between the two zeros"
    assert any(60 <= stroke[c, 0] <= 100 for c in cuts)


def test_a_straight_stroke_and_a_loop_closed_on_the_right_are_not_cut():
    stem = np.column_stack([np.full(30, 10.0), np.linspace(0, 100, 30)])
    assert join_cuts(stem, HEIGHT) == []
    # Started at the right: the loop's halves overlap sideways at every point.
    assert join_cuts(loop(50, start_angle=0.0), HEIGHT) == []


def test_a_stroke_going_on_to_the_right_along_its_bottom_is_not_cut():
    # The L of a 4 (down, then a flat bar to the right) and a 0 written from its
    # top anticlockwise, whose halves meet at the bottom: one digit each.
    down = np.column_stack([np.full(20, 0.0), np.linspace(0, 70, 20)])
    bar = np.column_stack([np.linspace(0, 80, 20)[1:], np.full(19, 70.0)])
    assert join_cuts(np.concatenate([down, bar]), HEIGHT) == []
    assert join_cuts(loop(50), HEIGHT) == []


def test_a_stroke_written_late_moves_back_beside_its_digit():
    body = np.array([(40, 0), (0, 0), (0, 50), (40, 60), (40, 100), (0, 100)], float)
    six = loop(150, start_angle=0.0)
    bar = np.array([(5, -5), (45, -5)], float)  # the 5's bar, written after the 6
    pieces = ink_pieces(Ink([body, six, bar]))
    assert [p.tolist() for p in pieces] == [body.tolist(), bar.tolist(), six.tolist()]


def test_candidates_are_runs_of_consecutive_pieces():
    strokes = [np.array([(x, 0), (x, 100)], float) for x in (0, 50, 100, 150, 200, 250)]
    ink = Ink(strokes)
    candidates = ink_candidates(ink_pieces(ink), ink)
    spans = {(c.start, c.stop) for c in candidates}
    assert (0, 4) in spans and (0, 5) not in spans and (5, 6) in spans
    # Runs of up to four pieces, and the whole ink (itself, so a digit reads from its ink).
    assert all(c.stop - c.start <= 4 for c in candidates if (c.start, c.stop) != (0, 6))
    assert next(c.ink for c in candidates if (c.start, c.stop) == (0, 6)) is ink
    geometry = candidate_geometry(candidates, ink_pieces(ink))
    assert geometry.shape == (len(candidates), len(GEOMETRY))
    assert np.isfinite(geometry).all()


def _candidates(spans):
    return [Candidate(a, b, Ink(), (0.0, 0.0, 1.0, 1.0)) for a, b in spans]


def test_the_search_finds_the_best_partition_and_distinct_alternatives():
    # Pieces 0 1 2: either "4" from pieces 0-1 then "1", or "1", "1", "1".
    spans = [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)]
    scores = np.full((5, 10), -20.0)
    scores[0, 1] = scores[1, 1] = scores[2, 1] = -1.0
    scores[3, 4] = -0.5
    scores[4, 7] = -3.0
    readings = search(3, _candidates(spans), scores, np.full(3, -np.inf))
    numbers = ["".join(str(d) for _, d in r.digits) for r in readings]
    assert numbers[0] == "41"
    assert "111" in numbers and len(set(numbers)) == len(numbers)
    assert [r.score for r in readings] == sorted((r.score for r in readings), reverse=True)
    assert readings[0].score == pytest.approx(-1.5)


def test_a_piece_that_is_no_digit_is_read_as_a_mark():
    spans = [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3), (0, 3)]
    scores = np.full((6, 10), -30.0)
    scores[0, 3] = scores[2, 4] = -0.1  # "3", then a dash, then "4"
    marks = np.array([-np.inf, -0.5, -np.inf])
    best = search(3, _candidates(spans), scores, marks)[0]
    assert [d for _, d in best.digits] == [3, 4] and best.marks == (1,)


def save_tiny_number_model(path, width: int, rng, **weights) -> None:
    """A number model of random weights reading rows of ``width`` values (8 features)."""
    save_number_model(
        path,
        mean=np.zeros(width),
        scale=np.ones(width),
        w1=rng.normal(size=(width, 4)),
        b1=np.zeros(4),
        w2=rng.normal(size=(4, 1)),
        b2=np.zeros(1),
        digit_bonus=1.0,
        mark_penalty=-4.0,
        **weights,
    )


def test_a_number_model_with_a_mark_output_scores_marks_by_it(tmp_path):
    rng = np.random.default_rng(3)
    width = 8 + 10 + len(GEOMETRY)
    old, new = tmp_path / "old.npz", tmp_path / "new.npz"
    save_tiny_number_model(old, width, rng)
    arrays = dict(np.load(old))
    # The second column of the output layer says how likely a candidate is a mark.
    arrays["w2"] = np.column_stack([arrays["w2"], rng.normal(size=4)])
    arrays["b2"] = np.array([0.0, 0.5])
    np.savez(new, **arrays)
    without, with_marks = NumberModel(old), NumberModel(new)
    assert not without.has_mark_output and with_marks.has_mark_output
    features, probabilities = rng.normal(size=(5, 8)), np.full((5, 10), 0.1, np.float32)
    geometry, single = np.zeros((5, len(GEOMETRY))), np.ones(5, bool)
    rows = NumberModel.inputs(features, probabilities, geometry)
    np.testing.assert_allclose(with_marks.logits(rows), without.logits(rows), rtol=1e-6)
    np.testing.assert_allclose(without.mark_logits(rows), -without.logits(rows))
    marks = with_marks.mark_logits(rows)
    assert marks.shape == (5,) and not np.allclose(marks, -with_marks.logits(rows))
    for model, logits in ((without, -without.logits(rows)), (with_marks, marks)):
        _, mark_scores = model.scores(features, probabilities, geometry, single)
        np.testing.assert_allclose(
            mark_scores, -np.logaddexp(0, -logits) + model.mark_penalty, rtol=1e-5
        )
    assert with_marks.outputs(rows[:0]).shape == (0, 2)
    assert with_marks.logits(rows[:0]).shape == (0,)
    arrays["b2"] = np.zeros(3)
    np.savez(new, **arrays)
    with pytest.raises(ModelError):
        NumberModel(new)


def test_a_number_model_file_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "number-model.npz"
    width = 8 + 10 + len(GEOMETRY)
    save_tiny_number_model(path, width, rng, whole_bonus=2.5, group_bonus=4.5, model_sha256="abc")
    model = NumberModel(path)
    assert model.feature_count == 8 and model.digit_bonus == 1.0 and model.model_sha256 == "abc"
    assert (model.whole_bonus, model.group_bonus) == (2.5, 4.5)
    probabilities = np.full((3, 10), 0.1, np.float32)
    features, geometry = rng.normal(size=(3, 8)), np.zeros((3, len(GEOMETRY)))
    digit_scores, marks = model.scores(features, probabilities, geometry, np.array([1, 0, 1]))
    assert digit_scores.shape == (3, 10) and np.isneginf(marks[1]) and np.isfinite(marks[0])
    # The whole ink as one digit has a head start of whole_bonus.
    geometry[1, GEOMETRY.index("whole ink")] = 1
    single = np.array([1, 0, 1])
    with_head_start, _ = model.scores(features, probabilities, geometry, single)
    model.whole_bonus = 0.0
    without, _ = model.scores(features, probabilities, geometry, single)
    np.testing.assert_allclose(with_head_start[1] - without[1], 2.5, rtol=1e-5)
    np.testing.assert_array_equal(with_head_start[0], without[0])
    # group_bonus instead, when the box rules find one digit in the whole ink.
    one_group, _ = model.scores(features, probabilities, geometry, single, one_group=True)
    np.testing.assert_allclose(one_group[1] - without[1], 4.5, rtol=1e-5)
    np.testing.assert_array_equal(one_group[[0, 2]], without[[0, 2]])


def test_a_number_model_file_without_a_group_bonus_takes_the_whole_bonus(tmp_path):
    path = tmp_path / "number-model.npz"
    save_tiny_number_model(path, 8 + 10 + len(GEOMETRY), np.random.default_rng(0), whole_bonus=1.5)
    arrays = dict(np.load(path))
    assert arrays["group_bonus"] == 1.5  # None is saved as whole_bonus
    del arrays["group_bonus"]
    np.savez(path, **arrays)
    assert NumberModel(path).group_bonus == 1.5


@pytest.fixture(scope="module")
def bundled():
    return Recognizer()


def by_label(pen_digits, label, count):
    return [ink for digit, ink in pen_digits if digit == label][:count]


def test_the_bundled_recognizer_reads_numbers_by_recognition(bundled):
    # With the number model the bundled model.tflite carries, and the card's weights.
    model = bundled.number_model
    assert model is not None and model.path == bundled_model_path()
    assert model.arrays is None  # run by LiteRT, not numpy
    assert model.feature_count == 128
    weights = bundled.predictor.card["number_model"]
    assert (model.digit_bonus, model.mark_penalty, model.whole_bonus, model.group_bonus) == (
        weights["digit_bonus"],
        weights["mark_penalty"],
        weights["whole_bonus"],
        weights["group_bonus"],
    )


def candidate_rows(recognizer, inks):
    """The number model's input rows of every candidate digit of ``inks``."""
    rows = []
    for ink in inks:
        found = ink_inputs(ink)
        pictures = np.stack([picture for picture, _ in found])
        probabilities, features = recognizer.predictor.predict_with_features(pictures)
        rows.append(NumberModel.inputs(features, probabilities, found.search.geometry))
    return np.concatenate(rows)


def test_the_bundled_model_carries_the_number_model_it_was_exported_with(bundled, pen_digits):
    # resources/number-model.npz is the network export_tflite put in model.tflite.
    arrays = bundled_model_path().with_name("number-model.npz")
    inks = [side_by_side([ink for _, ink in pen_digits[k : k + 90 : 30]], 0.1) for k in range(20)]
    rows = candidate_rows(bundled, inks)
    assert len(rows) > 100
    carried, saved = bundled.number_model, NumberModel(arrays)
    np.testing.assert_allclose(carried.logits(rows), saved.logits(rows), rtol=1e-5, atol=1e-4)
    for name in ("digit_bonus", "mark_penalty", "whole_bonus", "group_bonus", "feature_count"):
        assert getattr(carried, name) == getattr(saved, name), name
    # One row, and every count between: the padding to a power of two changes nothing.
    np.testing.assert_allclose(carried.logits(rows[:1]), saved.logits(rows[:1]), atol=1e-4)
    np.testing.assert_allclose(carried.logits(rows[:5]), carried.logits(rows)[:5], atol=1e-6)
    assert carried.logits(rows[:0]).shape == (0,)


def test_digits_written_close_and_overlapping_are_read_apart(bundled, pen_digits):
    # "34", "71", "46", "21", "00" with the digits' boxes overlapping sideways by
    # 0.3 of their height, which the box rules read as one digit.
    pairs = [(3, 4), (7, 1), (4, 6), (2, 1), (0, 0)]
    right = merged_by_boxes = total = 0
    for a, b in pairs:
        for left, right_ink in zip(
            by_label(pen_digits, a, 6), by_label(pen_digits, b, 6)[::-1], strict=True
        ):
            ink = side_by_side([left, right_ink], gap=-0.3)
            total += 1
            right += bundled.ink(ink).number == f"{a}{b}"
            merged_by_boxes += len(ink_inputs(ink, by_recognition=False)) < 2
    assert merged_by_boxes == total  # the box rules cannot read these
    assert right >= 0.9 * total


def with_line(ink: Ink, start, stop) -> Ink:
    """``ink`` and a straight stroke from ``start`` to ``stop``, each ``(x, y)`` in the ink's
    height from the middle of its box's top."""
    points = np.concatenate([s[:, :2] for s in ink.strokes])
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    origin, unit = np.array([(x0 + x1) / 2, y0]), y1 - y0
    t = np.linspace(0, 1, 12)[:, None]
    line = origin + unit * (np.asarray(start) + (np.asarray(stop) - np.asarray(start)) * t)
    return Ink([*ink.strokes, line])


def test_the_search_knows_where_the_box_rules_see_one_digit(pen_digits):
    four = next(i for i in by_label(pen_digits, 4, 30) if len(i.strokes) == 2)
    assert ink_inputs(four).search.one_group
    apart = side_by_side([four, by_label(pen_digits, 1, 1)[0]], gap=0.5)
    assert not ink_inputs(apart).search.one_group


def test_zeros_slashed_top_to_bottom_are_seldom_split(bundled, pen_digits):
    # A zero slashed top to bottom ("Φ"): the number model never saw one and takes some
    # for "01"; the box rules see one digit, which gives the whole ink a larger head start.
    zeros = [
        with_line(i, (0, -reach), (0, 1 + reach))
        for i in by_label(pen_digits, 0, 30)
        for reach in (0.15, 0.25)
    ]
    assert all(ink_inputs(i).search.one_group for i in zeros)
    read = [bundled.ink(i) for i in zeros]
    assert sum(len(r.digits) > 1 for r in read) <= 4
    assert sum(r.number == "0" for r in read) >= 55
    # Without the larger head start, more than twice as many are split.
    model = bundled.number_model
    saved, model.group_bonus = model.group_bonus, model.whole_bonus
    try:
        assert sum(len(bundled.ink(i).digits) > 1 for i in zeros) >= 10
    finally:
        model.group_bonus = saved


def test_single_pen_digits_stay_single(bundled, pen_digits):
    read = [bundled.ink(ink) for _, ink in pen_digits]
    assert sum(len(r.digits) != 1 for r in read) <= 1
    assert (
        np.mean([r.digit == label for r, (label, _) in zip(read, pen_digits, strict=True)]) >= 0.98
    )


def test_a_number_has_alternatives_in_the_api_and_json(bundled, pen_digits):
    ink = side_by_side([by_label(pen_digits, 1, 1)[0], by_label(pen_digits, 7, 1)[0]], 0.3)
    result = bundled.ink(ink)
    assert result.number == "17"
    assert result.alternatives
    numbers = [a.number for a in result.alternatives]
    assert len(set(numbers)) == len(numbers) and "17" not in numbers
    assert 0 < sum(a.share for a in result.alternatives) + result.share <= 1 + 1e-6
    assert all(a.share <= result.share for a in result.alternatives)
    data = result.to_json()
    assert [a["number"] for a in data["alternatives"]] == numbers
    # Each digit keeps its own ink, for corrections.
    assert [len(d.ink.strokes) for d in result.digits] == [
        len(by_label(pen_digits, 1, 1)[0].strokes),
        len(by_label(pen_digits, 7, 1)[0].strokes),
    ]


def test_a_long_number_reads_in_bounded_work(bundled, pen_digits):
    digits = [pen_digits[(k * 37) % len(pen_digits)] for k in range(60)]
    ink = side_by_side([ink for _, ink in digits], gap=0.5)
    inputs = ink_inputs(ink)
    assert len(inputs) <= 4 * len(ink_pieces(ink))  # candidates: at most four per piece
    result = bundled.ink(ink)
    assert 55 <= len(result.digits) <= 65


def test_reading_again_reads_the_same_from_kept_pictures_and_outputs(bundled, pen_digits):
    ink = side_by_side([ink for _, ink in pen_digits[5:300:60]], gap=0.2)
    first, again = bundled.ink(ink), bundled.ink(ink)
    assert first.number == again.number
    for a, b in zip(first.digits, again.digits, strict=True):
        np.testing.assert_array_equal(a.input, b.input)
        np.testing.assert_array_equal(a.probabilities, b.probabilities)


def slashed_zero(cx: float = 50.0) -> list[np.ndarray]:
    """A 0 and the slash some write through it, from its bottom left to its top right."""
    slash = np.column_stack([np.linspace(cx - 40, cx + 40, 12), np.linspace(110, -10, 12)])
    return [loop(cx), slash]


def test_pieces_cross_where_their_ink_does_not_where_a_stroke_was_cut():
    zero, slash = slashed_zero()
    stick = np.array([(120.0, 0.0), (120.0, 100.0)])
    pieces = [zero, slash, stick]
    boxes = np.array([(*p.min(axis=0), *p.max(axis=0)) for p in pieces])
    crossed = crossing_pieces(pieces, boxes, reach=4)
    assert crossed[0, 1] and crossed[1, 0]
    assert not crossed[0, 2] and not crossed[1, 2] and not crossed.diagonal().any()
    # Two parts of one stroke meet at the point where it was cut: no crossing.
    halves = [zero[:21], zero[20:]]
    boxes = np.array([(*p.min(axis=0), *p.max(axis=0)) for p in halves])
    assert not crossing_pieces(halves, boxes, reach=4).any()
    # Pieces further apart in order than the reach are not tested.
    far = [zero, stick, stick + (50, 0), slash]
    boxes = np.array([(*p.min(axis=0), *p.max(axis=0)) for p in far])
    assert not crossing_pieces(far, boxes, reach=2)[0, 3]
    assert crossing_pieces(far, boxes, reach=3)[0, 3]


def test_a_candidate_crossed_by_a_neighbour_and_one_crossed_inside_are_told_apart():
    ink = Ink(slashed_zero())
    pieces = ink_pieces(ink)
    candidates = ink_candidates(pieces, ink)
    geometry = candidate_geometry(candidates, pieces)
    by_span = {(c.start, c.stop): row for c, row in zip(candidates, geometry, strict=True)}
    neighbour, inside = GEOMETRY.index("crosses a neighbour"), GEOMETRY.index("crossed inside")
    assert by_span[(0, 1)][neighbour] == 1 and by_span[(1, 2)][neighbour] == 1
    assert by_span[(0, 2)][neighbour] == 0 and by_span[(0, 2)][inside] == 1
    assert by_span[(0, 1)][inside] == 0


def test_a_slashed_zero_reads_as_one_zero_and_a_zero_beside_a_one_as_two_digits(recognizer):
    assert recognizer.ink(Ink(slashed_zero())).number == "0"
    one = np.array([(130.0, 0.0), (130.0, 100.0)])
    assert recognizer.ink(Ink([loop(50), one])).number == "01"


def test_a_number_model_of_another_geometry_is_refused(tmp_path):
    from digitpad.predictor import ModelError

    width = 8 + 10 + len(GEOMETRY) - 2  # trained before two geometry values were added
    path = tmp_path / "old.npz"
    save_tiny_number_model(path, width, np.random.default_rng(0))
    np.savez(path, **{**np.load(path), "feature_count": np.int32(8)})
    with pytest.raises(ModelError, match="another geometry"):
        NumberModel(path)


def test_the_number_model_can_be_trained_without_the_held_out_pen_writers(monkeypatch):
    from digitpad.pendigits import PenDigit
    from digitpad.training import numbers as training_numbers

    stroke = np.array([[0.0, 0.0], [0.0, 10.0]])
    digits = [PenDigit(1, writer, Ink([stroke])) for writer in range(1, 7)]
    monkeypatch.setattr(training_numbers, "read_unipen", lambda path: digits)

    every = training_numbers.writers_digits(None, "pendigits")
    kept = training_numbers.writers_digits(None, "pendigits", hold_out_writers=True)

    assert sorted(every) == [f"pendigits/{w}" for w in range(1, 7)]
    assert sorted(kept) == ["pendigits/1", "pendigits/2", "pendigits/4", "pendigits/5"]


def test_numbers_for_the_number_model_can_be_written_in_writing_styles():
    from digitpad.training.numbers import WrittenDigit, make_inks

    zero = WrittenDigit(0, Ink([loop(50.0)]))
    two = WrittenDigit(2, Ink([np.array([[0.0, 0.0], [40.0, 0.0], [0.0, 80.0], [40.0, 80.0]])]))
    writers = {"w": [zero, two]}

    def as_written(styled: float) -> dict[int, list[Ink]]:
        made = make_inks(writers, 40, np.random.default_rng(0), lengths=(1,), styled=styled)
        return {d: [ink for ink, _, labels in made if labels == [d]] for d in (0, 2)}

    def same(ink: Ink, digit: WrittenDigit) -> bool:
        return len(ink.strokes) == len(digit.ink.strokes) and all(
            a.shape == b.shape and np.allclose(a, b)
            for a, b in zip(ink.strokes, digit.ink.strokes, strict=True)
        )

    plain, styled = as_written(0.0), as_written(1.0)
    assert plain[0] and styled[0] and plain[2] and styled[2]
    assert all(same(ink, zero) for ink in plain[0])
    assert not any(same(ink, zero) for ink in styled[0])  # slashed, every one
    assert all(same(ink, two) for ink in plain[2] + styled[2])  # a 2 has no styles


def test_no_alternative_repeats_the_number_the_trajectory_view_reads(pen_digits):
    picture_alone = Recognizer(trajectory_model=False)
    ink = side_by_side([by_label(pen_digits, 1, 1)[0], by_label(pen_digits, 7, 1)[0]], 0.3)
    before = picture_alone.ink(ink)
    two_digits = [a.number for a in before.alternatives if len(a.number or "") == 2]
    assert before.number == "17" and two_digits

    class SaysTheAlternative:
        """A trajectory view sure of the first two-digit alternative's digits, in order."""

        weight = 1.0

        def log_probabilities(self, points):
            logs = np.full((len(points), 10), -20.0, np.float32)
            for k, digit in enumerate(two_digits[0]):
                logs[k, int(digit)] = 0.0
            return logs

    after = Recognizer(trajectory_model=SaysTheAlternative()).ink(ink)
    assert after.number == two_digits[0]
    assert after.number not in [a.number for a in after.alternatives]
    assert len(after.alternatives) == len(before.alternatives) - 1


def test_numbers_for_the_number_model_can_have_marks_that_are_no_digit():
    from digitpad.training.numbers import MARK, WrittenDigit, make_inks, write_number

    zero = WrittenDigit(0, Ink([loop(50.0)]))
    stem = WrittenDigit(1, Ink([np.column_stack([np.full(20, 10.0), np.linspace(0, 100, 20)])]))
    writers = {"w": [zero, stem]}

    def owners_of(marks: float, lengths) -> list[np.ndarray]:
        made = make_inks(writers, 30, np.random.default_rng(0), lengths=lengths, marks=marks)
        return [np.concatenate(owners) for _, owners, _ in made]

    assert not any((o == MARK).any() for o in owners_of(0.0, (1, 3)))
    # With marks every number has one, and no isolated digit; a mark's points are its own.
    assert all((o == MARK).any() for o in owners_of(1.0, (3,)))
    assert not any((o == MARK).any() for o in owners_of(1.0, (1,)))

    rng = np.random.default_rng(1)
    for _ in range(20):
        ink, owners = write_number([stem, zero, stem], rng, marks=1.0)
        for owner in owners:
            assert len(set(owner.tolist())) == 1 or MARK not in owner  # marks are never joined
        marks = [s for s, o in zip(ink.strokes, owners, strict=True) if o[0] == MARK]
        digits = [s for s, o in zip(ink.strokes, owners, strict=True) if o[0] != MARK]
        height = np.ptp(np.concatenate(digits)[:, 1])
        # Two separators and a stray dot, each small beside the digits.
        assert len(marks) >= 3
        assert all(np.ptp(m[:, 1]) < 0.5 * height for m in marks)


def test_a_candidate_of_a_mark_alone_is_no_digit():
    from digitpad.predictor import Predictor
    from digitpad.training.numbers import (
        MARK,
        WrittenDigit,
        candidate_table,
        picture_candidates_of,
        write_number,
    )

    three = WrittenDigit(
        3, Ink([np.array([[0.0, 0.0], [50.0, 10.0], [10.0, 50.0], [50.0, 80.0], [0.0, 100.0]])])
    )
    rng = np.random.default_rng(2)
    inks = []
    while len(inks) < 3:
        ink, owners = write_number([three, three], rng, marks=1.0)
        if any(o[0] == MARK for o in owners):
            inks.append((ink, owners, [3, 3]))
    table = candidate_table(inks, Predictor(bundled_model_path()))
    for k, (ink, owners, _) in enumerate(inks):
        pieces = ink_pieces(ink)
        rows = np.flatnonzero(table["ink_index"] == k)
        for row in rows:
            start, stop = table["start"][row], table["stop"][row]
            strokes = pieces[start:stop]
            mark_only = all(
                any(
                    np.array_equal(p, s)
                    for s, o in zip(ink.strokes, owners, strict=True)
                    if o[0] == MARK
                )
                for p in strokes
            )
            assert table["mark"][row] == mark_only
            if mark_only:
                assert not table["one_digit"][row] and table["label"][row] == -1
        assert table["one_digit"][rows].sum() >= 2  # the two 3s
    # As a picture: the blob of a dash between the 3s is no digit either.
    shape = three.ink.strokes[0]
    dash = np.array([[70.0, 50.0], [100.0, 52.0]])
    strokes = [shape, dash, shape + (120.0, 0.0)]
    ink = Ink(strokes, 200.0, 120.0)
    owners = [np.full(len(s), owner) for s, owner in zip(strokes, (0, MARK, 1), strict=True)]
    cut = picture_candidates_of(ink, owners, [3, 3], 1.0, 3.0)
    assert cut is not None
    kept, _, one_digit, digit_labels, mark, _ = cut
    read = {
        (c.start, c.stop): labelled
        for c, *labelled in zip(kept, one_digit, digit_labels, mark, strict=True)
    }
    assert read[(0, 1)] == [True, 3, False] and read[(2, 3)] == [True, 3, False]
    assert read[(1, 2)] == [False, -1, True]  # the dash
    assert read[(0, 2)] == [False, -1, False]  # a 3 with the dash


def dot_at(x: float, y: float, radius: float) -> np.ndarray:
    """A small closed loop, as a pen writes a dot."""
    angles = np.linspace(0, 2 * np.pi, 12)
    return np.column_stack([x + radius * np.cos(angles), y + radius * np.sin(angles)])


def test_a_dot_or_a_dash_beside_a_digit_is_no_digit(bundled, pen_digits):
    # A full stop after the digit, a stray dot before it, a dash after it: never a 0 or a 1.
    digits = pen_digits[::3]
    right = dict.fromkeys(("stop", "dot before", "dash"), 0)
    for label, ink in digits:
        ink = normalized(ink)
        x0, _, x1, _ = ink.bounds()
        extras = {
            "stop": dot_at(x1 + 25, 95, 3),
            "dot before": dot_at(x0 - 25, 60, 3),
            "dash": np.column_stack([np.linspace(x1 + 20, x1 + 55, 6), np.full(6, 50.0)]),
        }
        for name, extra in extras.items():
            right[name] += bundled.ink(Ink([*ink.strokes, extra])).number == str(label)
    assert all(count >= 0.95 * len(digits) for count in right.values()), right


def test_separators_between_digits_are_no_digits(bundled, pen_digits):
    # "3-4", "7.1", "4:6", "2,1": the digits, and nothing for the mark between them.
    separators = {
        "-": lambda x: [np.column_stack([np.linspace(x, x + 35, 6), np.full(6, 50.0)])],
        ".": lambda x: [dot_at(x + 4, 96, 3)],
        ":": lambda x: [dot_at(x + 4, 30, 3), dot_at(x + 4, 80, 3)],
    }
    pairs = [(3, 4), (7, 1), (4, 6), (2, 1), (0, 0)]
    right = total = 0
    for a, b in pairs:
        for left, right_ink in zip(
            by_label(pen_digits, a, 4), by_label(pen_digits, b, 4)[::-1], strict=True
        ):
            first, second = normalized(left), normalized(right_ink)
            for draw in separators.values():
                end = first.bounds()[2]
                mark = draw(end + 20)
                start = max(float(m[:, 0].max()) for m in mark) + 20
                shifted = [s + (start - second.bounds()[0], 0.0) for s in second.strokes]
                ink = Ink([*first.strokes, *mark, *shifted])
                total += 1
                right += bundled.ink(ink).number == f"{a}{b}"
    assert right >= 0.9 * total, (right, total)


def test_a_batch_of_files_runs_the_number_model_once_and_reads_as_one_file_at_a_time(
    pen_digits, tmp_path
):
    from PIL import Image

    from digitpad.training.numbers import picture_of

    recognizer = Recognizer()
    inks = [side_by_side([pen_digits[k][1], pen_digits[k + 40][1]], 0.2) for k in (0, 7, 13)]
    for k, ink in enumerate(inks):
        ink.save(tmp_path / f"{k}.json")
    picture = picture_of(inks[0], np.random.default_rng(0))
    Image.fromarray(picture).save(tmp_path / "3.png")
    paths = sorted(tmp_path.iterdir())
    alone = [recognizer.file(path) for path in paths]

    calls = []
    model = recognizer.number_model
    outputs = model.outputs
    model.outputs = lambda rows: calls.append(len(rows)) or outputs(rows)
    together = [prediction for _, prediction in recognizer.files(paths)]
    # One call for the three inks' candidates, one for the picture's.
    assert len(calls) == 2 and sum(calls) > 3 * 3
    for a, b in zip(alone, together, strict=True):
        assert a.number == b.number and a.confidence == pytest.approx(b.confidence, abs=1e-6)
        assert [x.number for x in a.alternatives] == [x.number for x in b.alternatives]


def test_averaged_networks_are_one_network_giving_the_mean_of_their_outputs(tmp_path):
    from digitpad.training.numbers import averaged_networks

    rng = np.random.default_rng(4)
    width = 8 + 10 + len(GEOMETRY)
    networks = [
        {
            "mean": rng.normal(size=width).astype(np.float32),
            "scale": rng.uniform(0.5, 2, width).astype(np.float32),
            "w1": rng.normal(size=(width, 5)).astype(np.float32),
            "b1": rng.normal(size=5).astype(np.float32),
            "w2": rng.normal(size=(5, 2)).astype(np.float32),
            "b2": rng.normal(size=2).astype(np.float32),
        }
        for _ in range(3)
    ]
    rows = rng.normal(size=(7, width)).astype(np.float32)
    each = []
    for k, network in enumerate([*networks, averaged_networks(networks)]):
        path = tmp_path / f"{k}.npz"
        save_number_model(path, **network, digit_bonus=1.0, mark_penalty=0.0)
        each.append(NumberModel(path).outputs(rows))
    assert each[-1].shape == (7, 2)
    np.testing.assert_allclose(each[-1], np.mean(each[:-1], axis=0), rtol=1e-4, atol=1e-4)

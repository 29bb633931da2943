"""Numbers, not just digits: segmentation, the Recognizer's number API, the JSON contract."""

import json
from collections import deque

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from digitpad.cli import predict
from digitpad.ink import Ink, parse_ink, rasterize
from digitpad.predictor import Predictor
from digitpad.preprocess import ink_coverage, ink_to_input
from digitpad.recognize import Recognizer
from digitpad.segment import _label, group_pieces, segment_coverage, segment_ink
from digitpad.training.styles import STYLES, apply_style, tablet_realism

from .conftest import FIXTURES

HEIGHT = 100.0


def normalized(ink: Ink) -> Ink:
    """The ink scaled to a height of 100 with its box at the origin, as one writer's digits."""
    x0, y0, _, y1 = ink.bounds()
    return Ink([(s[:, :2] - (x0, y0)) * HEIGHT / (y1 - y0) for s in ink.strokes])


def write_number(inks, gaps, shifts=None) -> tuple[Ink, list[tuple]]:
    """Inks side by side, ``gaps[i]`` (times the height) before digit i + 1.

    Returns the number's ink, strokes in writing order, and each digit's box.
    """
    shifts = shifts or [0.0] * len(inks)
    strokes, boxes, right = [], [], 0.0
    for i, ink in enumerate(inks):
        x0, y0, x1, y1 = ink.bounds()
        dx = right - x0 + (gaps[i - 1] * HEIGHT if i else 0.0)
        dy = shifts[i] * HEIGHT
        strokes += [s + (dx, dy) for s in ink.strokes]
        boxes.append((x0 + dx, y0 + dy, x1 + dx, y1 + dy))
        right = x1 + dx
    return Ink(strokes), boxes


def assert_boxes(found, expected, atol=1e-9):
    assert len(found) == len(expected)
    np.testing.assert_allclose(np.array(found, dtype=float), np.array(expected), atol=atol)


@pytest.fixture(scope="module")
def by_label(pen_digits):
    """The fixture's pen digits by label, normalized to one height."""
    digits = {d: [] for d in range(10)}
    for label, ink in pen_digits:
        digits[label].append(normalized(ink))
    return digits


@pytest.fixture(scope="module")
def readable(pen_digits, recognizer):
    """One pen digit per label that the bundled model reads right on its own (ink and image)."""
    chosen = {}
    for label, ink in pen_digits:
        if label in chosen:
            continue
        ink = normalized(ink)
        picture = render(ink)
        if recognizer.ink(ink).digit == label and recognizer.image(picture).digit == label:
            chosen[label] = ink
    assert len(chosen) == 10
    return chosen


def render(ink: Ink, margin: float = 20.0) -> np.ndarray:
    """Dark ink on white, as a scanned number would be."""
    x0, y0, x1, y1 = ink.bounds()
    size = (int(x1 - x0 + 2 * margin), int(y1 - y0 + 2 * margin))
    coverage = rasterize(ink, size, pen_width=6.0, offset=(margin - x0, margin - y0))
    return (255 - coverage * 255).astype(np.uint8)


# Ink segmentation


@pytest.mark.parametrize("label", [4, 5, 7])
def test_multi_stroke_digits_stay_one_digit(pen_digits, label):
    inks = [ink for digit, ink in pen_digits if digit == label and len(ink.strokes) >= 2]
    assert len(inks) >= 15  # the fixture has plenty of two-stroke 4s, 5s and 7s
    for ink in inks:
        (segment,) = segment_ink(ink)
        assert segment.ink is ink and segment.box == ink.bounds()


def test_every_fixture_digit_is_one_digit(pen_digits):
    assert all(len(segment_ink(ink)) == 1 for _, ink in pen_digits)


def test_a_four_with_its_stem_beside_the_first_stroke_is_one_digit():
    # Some writers draw a 4 as an "L" and then a lowered stem just right of it,
    # so the two strokes do not overlap sideways at all.
    four = Ink([[(20, 0), (0, 70), (30, 70)], [(34, 40), (36, 110)]])
    (segment,) = segment_ink(four)
    assert segment.ink is four
    ink, boxes = write_number([normalized(four)] * 2, gaps=[0.3])
    assert_boxes([s.box for s in segment_ink(ink)], boxes)


def hand_made_styles():
    data = json.loads((FIXTURES / "styles.json").read_text())
    return [(d["style"], d["note"], parse_ink(d["ink"])) for d in data["digits"]]


@pytest.mark.parametrize("style", STYLES)
def test_digits_of_every_writing_style_stay_whole(by_label, style):
    # Slashed zeros, crossed 7s with their own bar, open 4s with a gap, ...
    label = STYLES[style].label
    for seed in range(3):
        rng = np.random.default_rng(seed)
        for ink in by_label[label]:
            styled = apply_style(ink, label, style, rng)
            assert len(segment_ink(styled)) == 1
            assert len(segment_ink(tablet_realism(styled, rng))) == 1


def test_an_open_four_with_a_gap_is_one_digit_and_apart_from_its_neighbours(by_label):
    # The "L" ends short of the stem: no overlap, a gap of 0.16 of the height.
    four = Ink([[(28, 0), (20, 30), (14, 58), (32, 58), (50, 58)], [(66, 2), (66, 100)]])
    (segment,) = segment_ink(four)
    assert segment.ink is four
    one = by_label[1][0]
    for gaps in ([0.15, 0.15], [0.3, 0.2]):
        ink, boxes = write_number([one, four, one, four], gaps=[*gaps, gaps[0]])
        assert_boxes([s.box for s in segment_ink(ink)], boxes)


@pytest.mark.parametrize(
    "example", hand_made_styles(), ids=lambda e: f"{e[0]}: {e[1]}" if isinstance(e, tuple) else ""
)
def test_hand_made_styles_in_a_number_split_into_their_digits(readable, example):
    _, _, ink = example
    ink = normalized(ink)
    for gaps in ([0.15, 0.2], [0.3, 0.5]):
        number, boxes = write_number([readable[3], ink, readable[1]], gaps=gaps)
        assert_boxes([s.box for s in segment_ink(number)], boxes)


def test_a_digit_beside_a_narrow_stem_on_the_same_baseline_is_its_own_digit(by_label):
    # The open-4 rule joins a piece hanging from the top of a stem only; the
    # digits of a number stand on one baseline, so a tight "41" or "71" splits.
    for label in (4, 7, 2):
        for left in by_label[label][:10]:
            for one in by_label[1][:10]:
                ink, boxes = write_number([left, one], gaps=[0.12], shifts=[0.0, 0.05])
                assert len(segment_ink(ink)) == 2


@pytest.mark.parametrize("beside", [False, True], ids=["above", "above-right"])
def test_a_five_with_a_detached_top_is_one_digit_in_ink(by_label, beside):
    five = next(ink for ink in by_label[5] if len(ink.strokes) == 2)
    body, bar = sorted(five.strokes, key=lambda s: np.ptp(s[:, 1]), reverse=True)
    dx = body[:, 0].max() - bar[:, 0].min() + 10 if beside else 0
    lifted = bar + (dx, body[:, 1].min() - bar[:, 1].max() - 12)
    detached = Ink([body, lifted])
    (segment,) = segment_ink(detached)
    assert segment.ink is detached
    ink, boxes = write_number([by_label[2][0], detached, by_label[1][0]], gaps=[0.3, 0.3])
    assert_boxes([s.box for s in segment_ink(ink)], boxes)


def test_tight_eleven_is_two_digits(by_label):
    for one in by_label[1]:
        ink, boxes = write_number([one, one], gaps=[0.05])
        segments = segment_ink(ink)
        assert_boxes([s.box for s in segments], boxes)


def test_a_late_bar_still_joins_its_digit(by_label):
    # A 5 finished after the next digit: writing order is not what groups.
    five = next(ink for ink in by_label[5] if len(ink.strokes) == 2)
    number, _ = write_number([five, by_label[1][0]], gaps=[0.3])
    first, second, *one = number.strokes
    segments = segment_ink(Ink([first, *one, second]))
    assert [len(s.ink.strokes) for s in segments] == [2, len(one)]


def test_empty_and_dot_ink():
    assert segment_ink(Ink()) == []
    (only,) = segment_ink(Ink([[(5, 5)]]))
    assert only.box == (5, 5, 5, 5)


def test_specks_between_digits_are_dropped(by_label):
    ink, boxes = write_number([by_label[2][0], by_label[3][0]], gaps=[0.5])
    speck = np.array([[boxes[0][2] + 20, 50.0], [boxes[0][2] + 22, 51.0]])
    segments = segment_ink(Ink([*ink.strokes, speck]))
    assert_boxes([s.box for s in segments], boxes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), length=st.integers(2, 6))
def test_numbers_segment_into_their_digits_left_to_right(by_label, data, length):
    labels = data.draw(st.lists(st.integers(0, 9), min_size=length, max_size=length))
    inks = [data.draw(st.sampled_from(by_label[label])) for label in labels]
    gaps = data.draw(st.lists(st.floats(0.15, 0.6), min_size=length - 1, max_size=length - 1))
    shifts = data.draw(st.lists(st.floats(-0.05, 0.05), min_size=length, max_size=length))
    ink, boxes = write_number(inks, gaps, shifts)
    # Stroke order does not matter either.
    order = data.draw(st.permutations(range(len(ink.strokes))))
    segments = segment_ink(Ink([ink.strokes[i] for i in order]))
    assert_boxes([s.box for s in segments], boxes)
    assert [s.ink.point_count for s in segments] == [i.point_count for i in inks]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.floats(-1e3, 1e3)] * 4), max_size=30))
def test_grouping_puts_each_piece_in_at_most_one_digit_left_to_right(raw):
    boxes = np.array([(min(a, c), min(b, d), max(a, c), max(b, d)) for a, b, c, d in raw])
    groups = group_pieces(boxes)
    members = np.concatenate(groups) if groups else np.array([], dtype=int)
    assert len(set(members.tolist())) == len(members)
    if len(boxes):
        assert groups, "the tallest piece is never a speck"
        lefts = [boxes[g, 0].min() for g in groups]
        assert lefts == sorted(lefts)


# Image segmentation


def reference_labels(mask: np.ndarray) -> np.ndarray:
    """8-connected labels by breadth-first search, numbered in row-major order of first pixel."""
    labels = np.zeros(mask.shape, dtype=np.int32)
    count = 0
    for start in zip(*np.nonzero(mask), strict=True):
        if labels[start]:
            continue
        count += 1
        labels[start] = count
        queue = deque([start])
        while queue:
            y, x = queue.popleft()
            for ny in range(max(y - 1, 0), min(y + 2, mask.shape[0])):
                for nx in range(max(x - 1, 0), min(x + 2, mask.shape[1])):
                    if mask[ny, nx] and not labels[ny, nx]:
                        labels[ny, nx] = count
                        queue.append((ny, nx))
    return labels


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 16).flatmap(
        lambda h: st.integers(1, 16).flatmap(
            lambda w: st.lists(st.booleans(), min_size=h * w, max_size=h * w).map(
                lambda cells: np.array(cells).reshape(h, w)
            )
        )
    )
)
def test_blob_labelling_matches_a_flood_fill(mask):
    labels, count = _label(mask)
    expected = reference_labels(mask)
    assert count == expected.max()
    # Same partition: each label of one maps to exactly one label of the other.
    pairs = set(zip(labels[mask].tolist(), expected[mask].tolist(), strict=True))
    assert len(pairs) == count and (labels == 0).tolist() == (~mask).tolist()


@pytest.mark.parametrize("beside", [False, True], ids=["above", "above-right"])
def test_a_five_with_a_detached_bar_is_one_digit(by_label, beside):
    five = next(ink for ink in by_label[5] if len(ink.strokes) == 2)
    body, bar = sorted(five.strokes, key=lambda s: np.ptp(s[:, 1]), reverse=True)
    # Lift the bar clear of the body, so that it is a blob of its own; move it
    # past the body's right edge too, so that they do not even overlap sideways.
    dx = body[:, 0].max() - bar[:, 0].min() + 10 if beside else 0
    lifted = bar + (dx, body[:, 1].min() - bar[:, 1].max() - 12)
    coverage = ink_coverage(render(Ink([body, lifted])))
    assert _label(coverage > 0)[1] == 2
    (segment,) = segment_coverage(coverage)
    rows, cols = np.nonzero(coverage)
    assert segment.box == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
    x0, y0, x1, y1 = segment.box
    np.testing.assert_array_equal(segment.coverage, coverage[y0:y1, x0:x1])


def test_separate_digits_split_left_to_right(readable, recognizer):
    ink, boxes = write_number([readable[3], readable[0], readable[7]], gaps=[0.3, 0.4])
    picture = render(ink)  # ink (x, y) lands on pixel (x + 20, y + 20)
    segments = segment_coverage(ink_coverage(picture))
    # Boxes in pixel edges: the ink's box widened by half the pen and anti-aliasing.
    for segment, box in zip(segments, boxes, strict=True):
        assert np.abs(np.subtract(segment.box, np.add(box, 20))).max() <= 5
    assert recognizer.image(picture).number == "307"


# The Recognizer API


def test_single_digits_are_recognized_exactly_as_before(pen_digits, recognizer):
    from digitpad.trajectory import blend, trajectory_features

    predictor = recognizer.predictor
    picture_alone = Recognizer(predictor, trajectory_model=False)
    trajectory = recognizer.trajectory_model
    assert trajectory is not None  # the bundled model carries one
    for _, ink in pen_digits[::10]:
        result = recognizer.ink(ink)
        expected = predictor.predict(ink_to_input(ink))[0]
        # The same picture; a digit of several strokes is read in one batch with its
        # candidate parts, which changes the model's arithmetic in the last bits only.
        alone = picture_alone.ink(ink)
        np.testing.assert_allclose(alone.probabilities, expected, rtol=1e-4, atol=1e-6)
        # With the trajectory view, the blend of those and the trajectory's.
        logs = trajectory.log_probabilities(trajectory_features(ink)[None])
        both = blend(expected[None], logs, trajectory.weight)[0]
        np.testing.assert_allclose(result.probabilities, both, rtol=1e-4, atol=1e-6)
        (digit,) = result.digits
        assert result.number == str(result.digit) == str(digit.digit)
        assert digit.box == ink.bounds() and digit.confidence == result.confidence
        np.testing.assert_array_equal(result.input, ink_to_input(ink))


def test_a_number_from_ink(readable, recognizer):
    ink, boxes = write_number([readable[0], readable[2], readable[6]], gaps=[0.2, 0.5])
    result = recognizer.ink(ink)
    assert result.number == "026"  # leading zeros kept
    assert [d.digit for d in result.digits] == [0, 2, 6]
    assert_boxes([d.box for d in result.digits], boxes)
    assert result.digit is None and result.probabilities is None and result.input is None
    assert result.confidence == pytest.approx(np.prod([d.confidence for d in result.digits]))
    for d in result.digits:
        assert d.input.shape == (28, 28) and d.probabilities.sum() == pytest.approx(1, abs=1e-3)


def test_no_digit(recognizer):
    for result in (recognizer.ink(Ink()), recognizer.image(np.full((30, 30), 255, np.uint8))):
        assert result.number is None and result.digits == [] and result.digit is None


def test_files_send_all_digits_of_a_batch_through_one_predict_call(readable, tmp_path):
    calls = []

    class CountingPredictor(Predictor):
        # predict() goes through predict_with_features(), the one call to the model.
        def predict_with_features(self, images, **options):
            calls.append(len(images))
            return super().predict_with_features(images, **options)

    recognizer = Recognizer(CountingPredictor())
    write_number([readable[4], readable[2]], gaps=[0.3])[0].save(tmp_path / "a.json")
    Image.fromarray(
        render(write_number([readable[1], readable[8], readable[9]], [0.3, 0.3])[0])
    ).save(tmp_path / "b.png")
    readable[5].save(tmp_path / "c.json")
    Image.new("L", (20, 20), 255).save(tmp_path / "d.png")
    results = dict(recognizer.files(sorted(tmp_path.iterdir())))
    # One call: the candidate digits of a.json, the three digits of b.png, c.json's digit.
    assert len(calls) == 1 and calls[0] >= 5
    assert [results[tmp_path / n].number for n in ("a.json", "b.png", "c.json", "d.png")] == [
        "42",
        "189",
        "5",
        None,
    ]


def test_pictures_and_ink_are_read_by_their_own_layer_in_one_call(readable, tmp_path):
    # A model whose picture layer always says 3 and whose ink layer says 8.
    class TwoLayers:
        name, path, card = "two layers", None, None
        has_features, has_picture_output = False, True
        calls = []

        def predict(self, images, source="ink"):
            sources = [source] * len(images) if isinstance(source, str) else list(source)
            self.calls.append(sources)
            return np.array([np.eye(10)[3 if s == "picture" else 8] for s in sources])

    model = TwoLayers()
    recognizer = Recognizer(model)
    write_number([readable[4], readable[2]], gaps=[0.3])[0].save(tmp_path / "a.json")
    Image.fromarray(render(readable[1])).save(tmp_path / "b.png")
    readable[5].save(tmp_path / "c.json")
    results = dict(recognizer.files(sorted(tmp_path.iterdir())))
    assert model.calls == [["ink", "ink", "picture", "ink"]]
    numbers = [results[tmp_path / n].number for n in ("a.json", "b.png", "c.json")]
    assert numbers == ["88", "3", "8"]
    assert recognizer.image(render(readable[1])).digit == 3
    assert recognizer.ink(readable[1]).digit == 8


# The JSON contract of digitpad predict


def test_json_lines_carry_the_number_and_its_digits(readable, tmp_path, capsys):
    ink, boxes = write_number([readable[2], readable[0], readable[2], readable[6]], [0.3] * 3)
    ink.save(tmp_path / "year.json")
    Image.fromarray(render(ink)).save(tmp_path / "year.png")
    readable[7].save(tmp_path / "seven.json")
    Ink().save(tmp_path / "empty.json")
    assert predict([str(tmp_path)], as_json=True) == 0
    lines = {
        json.loads(line)["file"].rsplit("/", 1)[-1]: json.loads(line)
        for line in capsys.readouterr().out.splitlines()
    }
    keys = {"file", "digit", "confidence", "probabilities", "number", "digits", "alternatives"}
    assert all(set(line) == keys for line in lines.values())
    for name in ("year.json", "year.png"):
        line = lines[name]
        assert line["number"] == "2026" and line["digit"] is None
        assert line["probabilities"] is None
        assert line["confidence"] == pytest.approx(
            np.prod([d["confidence"] for d in line["digits"]]), abs=1e-5
        )
        for d in line["digits"]:
            assert set(d) == {"digit", "confidence", "probabilities", "box"}
            assert len(d["probabilities"]) == 10 and len(d["box"]) == 4
            assert d["confidence"] == pytest.approx(max(d["probabilities"]), abs=1e-6)
        lefts = [d["box"][0] for d in line["digits"]]
        assert lefts == sorted(lefts)
    assert_boxes([d["box"] for d in lines["year.json"]["digits"]], boxes, atol=1e-3)
    assert all(isinstance(v, int) for d in lines["year.png"]["digits"] for v in d["box"])
    seven = lines["seven.json"]
    assert seven["number"] == "7" and seven["digit"] == 7
    assert seven["digits"] == [
        {
            "digit": 7,
            "confidence": seven["confidence"],
            "probabilities": seven["probabilities"],
            "box": pytest.approx(list(readable[7].bounds()), abs=1e-3),
        }
    ]
    assert lines["empty.json"]["number"] is None and lines["empty.json"]["digits"] == []


def test_table_shows_the_number(readable, tmp_path, capsys):
    write_number([readable[4], readable[2]], gaps=[0.3])[0].save(tmp_path / "n.json")
    assert predict([str(tmp_path / "n.json")]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["FILE", "DIGIT", "CONFIDENCE", "NUMBER"]
    assert row.split()[1] == "-" and row.split()[2].endswith("%") and row.split()[3] == "42"


def test_a_faint_stray_mark_beside_a_digit_is_not_a_digit(mnist_sample):
    """MNIST test digits with a thin stray line beside them stay one digit."""
    images, labels = mnist_sample
    seven = images[np.flatnonzero(labels == 7)[0]].astype(np.float32) / 255
    marked = seven.copy()
    marked[8:18, 25] = 0.5  # a faint one-pixel line, well apart from the digit
    segments = segment_coverage(marked)
    assert len(segments) == 1 and segments[0].box[2] == 26  # kept with it, as before
    # The same line drawn bold is a "1" of its own.
    bold = seven.copy()
    bold[6:22, 24:27] = 1.0
    assert len(segment_coverage(bold)) == 2
    boxes = [(0, 0, 10, 20), (14, 5, 15, 15)]
    assert [list(g) for g in group_pieces(boxes, mass=[100, 5])] == [[0]]
    assert [list(g) for g in group_pieces(boxes, mass=[100, 40])] == [[0], [1]]


def test_pieces_far_apart_are_no_candidate_digit_together():
    from digitpad.segment import INNER_GAP, ink_candidates

    def stick(x):
        return np.column_stack([np.full(10, x), np.linspace(0, HEIGHT, 10)])

    near = [stick(0.0), stick(INNER_GAP * HEIGHT * 0.9)]  # a 1 and a 1 close together
    far = [stick(0.0), stick(INNER_GAP * HEIGHT * 1.2), stick(INNER_GAP * HEIGHT * 1.5)]
    spans = [(c.start, c.stop) for c in ink_candidates(near, Ink(near))]
    assert spans == [(0, 1), (0, 2), (1, 2)]
    spans = [(c.start, c.stop) for c in ink_candidates(far, Ink(far))]
    assert spans == [(0, 1), (1, 2), (1, 3), (2, 3)]  # nothing spans the wide gap

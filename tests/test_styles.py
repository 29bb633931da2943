"""Writing-style generators (digitpad.training.styles) and the hand-made style fixture."""

import json
from dataclasses import replace

import numpy as np
import pytest

from digitpad.ink import Ink, parse_ink
from digitpad.segment import segment_ink
from digitpad.training.styles import (
    IMAGE_STYLES,
    STYLE_SETTINGS,
    STYLES,
    StyleSettings,
    apply_style,
    random_pen_width,
    random_style,
    settings_record,
    style_image,
    style_images,
    styles_for,
    tablet_realism,
)

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def hand_made():
    data = json.loads((FIXTURES / "styles.json").read_text())
    return [(d["style"], d["label"], parse_ink(d["ink"])) for d in data["digits"]]


@pytest.fixture(scope="module")
def by_label(pen_digits):
    digits = {d: [] for d in range(10)}
    for label, ink in pen_digits:
        digits[label].append(ink)
    return digits


def styled(by_label, style, seed=0):
    """(original, styled) for every fixture pen digit of the style's label."""
    label = STYLES[style].label
    rng = np.random.default_rng(seed)
    return [(ink, apply_style(ink, label, style, rng)) for ink in by_label[label]]


def box(points):
    points = np.asarray(points)[:, :2]
    return (*points.min(axis=0), *points.max(axis=0))


# The hand-made fixture


def test_the_fixture_has_hand_made_examples_of_every_style(hand_made):
    assert {style for style, _, _ in hand_made} == {*STYLES, "tablet"}
    for style, label, ink in hand_made:
        assert style == "tablet" or STYLES[style].label == label
        assert not ink.is_empty


def test_each_hand_made_example_is_one_digit(hand_made):
    for style, _, ink in hand_made:
        (segment,) = segment_ink(ink)
        assert segment.ink is ink, style


# Generators: labels, determinism


@pytest.mark.parametrize("style", STYLES)
def test_a_style_applies_to_its_digit_only(by_label, style):
    label = STYLES[style].label
    ink = by_label[label][0]
    rng = np.random.default_rng(0)
    assert isinstance(apply_style(ink, label, style, rng), Ink)
    for other in set(range(10)) - {label}:
        assert apply_style(ink, other, style, rng) is None
    assert apply_style(Ink(), label, style, rng) is None
    assert style in styles_for(label)


@pytest.mark.parametrize("style", STYLES)
def test_styles_are_deterministic_for_a_seed(by_label, style):
    first = styled(by_label, style, seed=7)
    again = styled(by_label, style, seed=7)
    other = styled(by_label, style, seed=8)
    for (_, a), (_, b) in zip(first, again, strict=True):
        assert len(a.strokes) == len(b.strokes)
        for sa, sb in zip(a.strokes, b.strokes, strict=True):
            np.testing.assert_array_equal(sa, sb)
    differs = [
        any(not np.array_equal(sa, sb) for sa, sb in zip(a.strokes, b.strokes, strict=False))
        for (_, a), (_, b) in zip(first, other, strict=True)
    ]
    assert np.mean(differs) > 0.9


def test_random_style_picks_a_style_of_the_label(by_label):
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(40):
        name, ink = random_style(by_label[0][0], 0, rng)
        assert STYLES[name].label == 0 and isinstance(ink, Ink)
        seen.add(name)
    assert seen == set(styles_for(0))
    assert random_style(by_label[2][0], 2, rng) is None  # no style of a 2


# Generators: geometry


def test_a_slash_crosses_the_zero_and_sticks_out(by_label):
    for ink, zero in styled(by_label, "slashed-zero"):
        x0, y0, x1, y1 = ink.bounds()
        sx0, sy0, sx1, sy1 = box(zero.strokes[-1])
        assert len(zero.strokes) == len(ink.strokes) + 1
        assert sy0 < y0 and sy1 > y1  # out at both ends
        slash = zero.strokes[-1][np.argsort(zero.strokes[-1][:, 1])]
        middle = np.interp((y0 + y1) / 2, slash[:, 1], slash[:, 0])
        assert x0 < middle < x1  # through the loop


def test_an_inside_slash_stays_in_the_loop(by_label):
    for ink, zero in styled(by_label, "slashed-zero-inside"):
        x0, y0, x1, y1 = ink.bounds()
        sx0, sy0, sx1, sy1 = box(zero.strokes[-1])
        height = y1 - y0
        assert y0 < sy0 and sy1 < y1 and x0 < sx0 and sx1 < x1
        assert sy1 - sy0 > 0.3 * height


def test_a_joined_slash_continues_the_loop(by_label):
    for ink, zero in styled(by_label, "slashed-zero-joined"):
        x0, y0, x1, y1 = ink.bounds()
        assert len(zero.strokes) == len(ink.strokes)
        np.testing.assert_array_equal(zero.strokes[-1][: len(ink.strokes[-1])], ink.strokes[-1])
        _, sy0, _, sy1 = box(zero.strokes[-1])
        assert sy0 < y0 and sy1 > y1


def test_a_crossbar_crosses_the_stem_in_the_middle(by_label):
    for ink, seven in styled(by_label, "crossed-seven"):
        x0, y0, x1, y1 = ink.bounds()
        height = y1 - y0
        bar = seven.strokes[-1]
        bx0, by0, bx1, by1 = box(bar)
        assert by1 - by0 < 0.15 * height
        assert y0 + 0.35 * height < (by0 + by1) / 2 < y0 + 0.7 * height
        # The other strokes cross the bar's row within the bar.
        y = (by0 + by1) / 2
        crossings = [
            a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
            for s in seven.strokes[:-1]
            for a, b in zip(s[:-1], s[1:], strict=True)
            if (a[1] - y) * (b[1] - y) <= 0 and a[1] != b[1]
        ]
        assert any(bx0 <= x <= bx1 for x in crossings)


def test_a_curved_stem_bows(by_label):
    bows = []
    for _, seven in styled(by_label, "curved-seven"):
        stroke = seven.strokes[int(np.argmax([np.ptp(s[:, 1]) for s in seven.strokes]))]
        corner = int(np.argmax(stroke[:, 0] - stroke[:, 1]))
        stem = stroke[corner:, :2]
        chord = stem[-1] - stem[0]
        rel = stem - stem[0]
        offsets = (chord[0] * rel[:, 1] - chord[1] * rel[:, 0]) / np.linalg.norm(chord)
        bows.append(np.abs(offsets).max() / np.linalg.norm(chord))
    assert np.median(bows) > 0.05


def test_a_long_flag_leaves_the_top_down_and_to_the_left_of_the_stem(by_label):
    settings = StyleSettings()
    for _, one in styled(by_label, "flagged-one"):
        (stroke,) = one.strokes
        top = int(np.argmin(stroke[:, 1]))
        flag = stroke[0] - stroke[top]
        stem = stroke[-1] - stroke[top]
        # Measured from the stem, the flag turns towards -x (y grows down) ...
        angle = np.degrees(np.arctan2(stem[0] * flag[1] - stem[1] * flag[0], stem @ flag))
        assert 0 < angle < settings.flag_angle[1] + 10
        assert np.linalg.norm(flag) > 0.3 * np.linalg.norm(stem)
        # ... and falls more steeply than a 7's bar, however the stem leans.
        assert np.degrees(np.arctan2(-flag[0], flag[1])) < settings.flag_max_tilt + 8


def test_a_flag_on_a_leaning_stem_falls_more_steeply_than_a_sevens_bar():
    settings = StyleSettings()
    rng = np.random.default_rng(0)
    # A stem leaning like "/" by 30 degrees: the flag's turn alone would lie nearly flat.
    t = np.linspace(0, 1, 20)[:, None]
    stem = np.array([100.0, 0.0]) + t * np.array([-np.tan(np.radians(30)) * 100, 100.0])
    for _ in range(50):
        (stroke,) = apply_style(Ink([stem]), 1, "flagged-one", rng, settings).strokes
        top = int(np.argmin(stroke[:, 1]))
        flag = stroke[0] - stroke[top]
        assert flag[0] < 0 and flag[1] > 0
        assert np.degrees(np.arctan2(-flag[0], flag[1])) < settings.flag_max_tilt + 3


def test_a_base_lies_flat_under_the_stem(by_label):
    for _, one in styled(by_label, "flagged-one-base"):
        stem = one.strokes[0]
        height = np.ptp(stem[:, 1])
        bx0, by0, bx1, by1 = box(one.strokes[1])
        assert len(one.strokes) == 2 and by1 - by0 < 0.1 * height
        assert by0 >= stem[:, 1].max() - 0.05 * height
        assert bx0 < stem[-1, 0] < bx1


def test_an_open_four_is_an_l_and_a_stem(by_label):
    for _, four in styled(by_label, "open-four"):
        ell, stem = four.strokes
        lx0, ly0, lx1, ly1 = box(ell)
        sx0, sy0, sx1, sy1 = box(stem)
        height = sy1 - sy0
        assert sx1 - sx0 < 0.3 * height and lx0 < sx0
        assert ly1 < sy1 - 0.2 * height  # the L ends at the bar, above the foot
        assert len(segment_ink(four)) == 1


def test_a_nine_gets_a_straight_stem(by_label):
    for _, nine in styled(by_label, "straight-nine"):
        stroke = nine.strokes[int(np.argmax([len(s) for s in nine.strokes]))]
        height = np.ptp(stroke[:, 1])
        lower = stroke[stroke[:, 1] > stroke[:, 1].min() + 0.6 * height]
        fit = np.polyfit(lower[:, 1], lower[:, 0], 1)
        assert np.abs(np.polyval(fit, lower[:, 1]) - lower[:, 0]).max() < 0.05 * height


# Tablet realism


def test_tablet_realism_resamples_and_quantises(by_label):
    ink = by_label[2][0]
    few = replace(
        StyleSettings(), resample_share=1.0, speed_share=0, jitter_share=0, quantum_share=0
    )
    sparse = tablet_realism(ink, np.random.default_rng(0), few)
    assert all(4 <= len(s) <= 12 for s in sparse.strokes)
    grid = replace(
        StyleSettings(),
        resample_share=0,
        speed_share=0,
        jitter_share=0,
        quantum_share=1.0,
        quantum=(0.05, 0.05),
    )
    stepped = tablet_realism(ink, np.random.default_rng(0), grid)
    x0, y0, x1, y1 = ink.bounds()
    step = 0.05 * max(x1 - x0, y1 - y0)
    points = np.concatenate(stepped.strokes)
    np.testing.assert_allclose(points / step, np.round(points / step), atol=1e-6)
    moves = np.diff(stepped.strokes[0], axis=0)
    assert np.all((moves != 0).sum(axis=1) >= 1)
    assert np.mean((moves != 0).sum(axis=1) == 1) > 0.5  # mostly along one axis: stairs
    assert tablet_realism(Ink(), np.random.default_rng(0)).is_empty
    widths = [random_pen_width(np.random.default_rng(i)) for i in range(20)]
    assert min(widths) > 0 and max(widths) > min(widths)


# MNIST images


def test_style_images_restyle_zeros_ones_and_sevens(mnist_sample):
    images, labels = mnist_sample
    x, y = images[:200], labels[:200]
    new_x, new_y = style_images(x, y, np.random.default_rng(0))
    assert new_x.dtype == np.uint8 and new_x.shape[1:] == (28, 28)
    assert sorted(new_y.tolist()) == sorted(v for v in y.tolist() if v in IMAGE_STYLES)
    again, _ = style_images(x, y, np.random.default_rng(0))
    np.testing.assert_array_equal(new_x, again)
    assert style_image(x[np.flatnonzero(y == 2)[0]], 2, np.random.default_rng(0)) is None


def test_style_images_restyle_only_the_digits_named(mnist_sample):
    images, labels = mnist_sample
    x, y = images[:200], labels[:200]
    settings = StyleSettings(image_labels=(0, 7))
    _, new_y = style_images(x, y, np.random.default_rng(0), settings)
    assert sorted(new_y.tolist()) == sorted(v for v in y.tolist() if v in (0, 7))
    assert sorted(settings_record(settings)["image_styles"]) == ["0", "7"]


def test_a_slash_is_drawn_across_an_mnist_zero(mnist_sample):
    images, labels = mnist_sample
    # Zeros with an empty middle: the slash fills it.
    zeros = [z for z in images[labels == 0] if z[13:15, 13:15].max() == 0]
    assert len(zeros) >= 10
    for zero in zeros[:10]:
        slashed = style_image(zero, 0, np.random.default_rng(1), style="slashed-zero")
        assert slashed[12:16, 12:16].max() > 200
        rows, cols = np.flatnonzero(slashed.any(axis=1)), np.flatnonzero(slashed.any(axis=0))
        longer = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
        assert 19 <= longer <= 21  # refitted into the 20-pixel box


def test_settings_are_recorded_as_json():
    text = json.dumps(STYLE_SETTINGS)
    record = json.loads(text)
    assert set(record["settings"]) == set(StyleSettings.__dataclass_fields__)
    assert set(record["ink_styles"]) == set(STYLES)


def test_the_style_benchmark_reads_each_tablet_effect_alone(by_label):
    import importlib.util
    import subprocess
    import sys

    from .conftest import ROOT

    path = ROOT / "benchmarks" / "styles.py"
    spec = importlib.util.spec_from_file_location("styles_benchmark", path)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    effects = benchmark.tablet_effects()
    ink = by_label[8][0]
    for name, settings in effects.items():
        changed = tablet_realism(ink, np.random.default_rng(0), settings)
        lengths = [len(s) for s in changed.strokes]
        if name.startswith("few points"):
            low, high = (int(n) for n in name.split()[-1].split("-"))
            assert all(low <= n <= high for n in lengths), name
            continue
        if name == "jitter":
            assert lengths == [len(s) for s in ink.strokes]
        moved = np.concatenate(changed.strokes)[:, :2]
        assert not np.array_equal(moved, np.concatenate(ink.strokes)[:, :2]), name
    assert [n for n in effects if n.startswith("few points")] == [
        "few points 4-6",
        "few points 7-9",
        "few points 10-12",
    ]
    result = subprocess.run(
        [sys.executable, str(path), str(FIXTURES / "mini.unipen"), "--all-writers"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    for name in effects:
        words = len(name.split())
        row = next(r for r in rows if " ".join(r[:words]) == name)
        assert row[words : words + 2] == ["all", "40"]

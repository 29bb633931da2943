"""The photo benchmark's synthetic photos (benchmarks/photos.py), and a short run of it."""

import importlib.util
import io
import re

import numpy as np
import pytest
from PIL import Image

from .conftest import ROOT


@pytest.fixture(scope="module")
def photos():
    path = ROOT / "benchmarks" / "photos.py"
    spec = importlib.util.spec_from_file_location("photos_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_photos_are_jpegs_drawn_within_the_stated_conditions(photos, mnist_sample):
    images, _ = mnist_sample
    rng = np.random.default_rng(0)
    for digit in images[:20]:
        data, conditions = photos.synthetic_photo(digit, rng)
        photo = Image.open(io.BytesIO(data))
        assert photo.format == "JPEG" and photo.mode == "L"
        assert photo.size == (conditions["side"], conditions["side"])
        for key, bounds in [
            ("side", photos.SIDE),
            ("sheet", photos.SHEET),
            ("paper", photos.PAPER),
            ("ink", photos.INK),
            ("gradient", photos.GRADIENT),
            ("noise", photos.NOISE),
            ("blur", photos.BLUR),
            ("quality", photos.QUALITY),
        ]:
            assert bounds[0] <= conditions[key] <= bounds[1], key
        grey = np.asarray(photo, dtype=np.float64)
        # The paper covers most of the photo; the digit's strokes are much darker.
        assert abs(np.median(grey) - conditions["paper"]) < conditions["gradient"] / 2 + 4
        darkest = np.percentile(grey, 1)
        assert darkest < (conditions["paper"] + conditions["ink"]) / 2


def test_the_same_seed_gives_the_same_photo_and_blank_paper_stays_blank(photos, mnist_sample):
    images, _ = mnist_sample
    first = photos.synthetic_photo(images[0], np.random.default_rng(5))
    again = photos.synthetic_photo(images[0], np.random.default_rng(5))
    assert first == again
    data, conditions = photos.synthetic_photo(
        np.zeros((28, 28), np.uint8), np.random.default_rng(5)
    )
    grey = np.asarray(Image.open(io.BytesIO(data)), dtype=np.float64)
    margin = conditions["gradient"] / 2 + 6 * conditions["noise"] + 8
    assert np.abs(grey - conditions["paper"]).max() < margin


def test_bucket_labels(photos):
    edges = (0, 10, 20)
    assert photos.bucket_label(edges, 0) == "0-10"
    assert photos.bucket_label(edges, 10) == "10-20"
    assert photos.bucket_label(edges, 20) == "10-20"  # the last bucket is closed
    assert photos.bucket_label(edges, 21) is None


def test_a_short_run_reads_photos_as_one_right_digit(photos, mnist_sample, tmp_path, capsys):
    images, labels = mnist_sample
    data = tmp_path / "mnist.npz"
    np.savez(data, x_train=images[:10], y_train=labels[:10], x_test=images, y_test=labels)
    assert photos.main(["--data", str(data), "--count", "20", "--blanks", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("photos: 20  seed: 0")
    one, right = (float(v) for v in re.search(r"all +20 +([\d.]+)% +([\d.]+)%", out).groups())
    assert one == 100.0 and right >= 90.0, out
    assert "blank paper read as no digit: 100.0% of 5" in out
    for title in ("gradient:", "noise:", "JPEG quality:", "blur:", "sheet/field:"):
        assert title in out

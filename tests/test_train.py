"""The retrain script and digitpad.training: a small real run, its outputs, its failure modes."""

import argparse
import gzip
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from digitpad import training
from digitpad.ink import Ink
from digitpad.training import data, run

from .conftest import FIXTURES, ROOT

OUTPUTS = [
    "model.tflite",
    "model.keras",
    "model-card.json",
    "class-bank.npz",
    "number-model.npz",
    "trajectory.keras",
    "training-curves.png",
    "confusion-matrix.png",
]


@pytest.fixture(scope="module")
def small_mnist(tmp_path_factory, mnist_sample):
    images, labels = mnist_sample
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    np.savez(
        path, x_train=images[:800], y_train=labels[:800], x_test=images[800:], y_test=labels[800:]
    )
    return path


def smoke_args(data, output, *extra):
    return [
        "--data",
        str(data),
        "--pendigits",
        str(FIXTURES / "mini.unipen"),
        "--limit",
        "256",
        "--epochs",
        "1",
        "--batch-size",
        "64",
        "--output",
        str(output),
        *extra,
    ]


def run_script(*args, env=None, timeout=120):
    """``train_model.py`` with ``args`` in a fresh interpreter: its completed process."""
    return subprocess.run(
        [sys.executable, str(ROOT / "train_model.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


def bundled_card():
    return json.loads((ROOT / "resources" / "model-card.json").read_text())


def digest(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in OUTPUTS}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_mnist):
    output = tmp_path_factory.mktemp("model")
    result = run_script(
        *smoke_args(small_mnist, output, "--unipen", str(FIXTURES / "mini-unipen.jsonl")),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return output, result


def test_a_short_run_writes_every_output(trained):
    output, result = trained
    for name in OUTPUTS:
        assert (output / name).stat().st_size > 0, name
    assert "MNIST test accuracy" in result.stdout
    card = json.loads((output / "model-card.json").read_text())
    assert card["recipe"] == "digitpad"
    assert card["input"]["shape"] == [28, 28, 1]
    assert card["limit"] == 256 and card["hyperparameters"]["epochs"] == 1
    assert len(card["data"]["mnist"]["sha256"]) == 64
    assert card["data"]["pendigits"]["training_writers"] == [1, 3]
    assert np.array(card["test"]["mnist"]["confusion_matrix"]).sum() == 200
    assert set(card["test"]["mnist"]["per_class_accuracy"]) == {str(d) for d in range(10)}
    # MNIST's digits are pictures: the card scores them by the picture layer, and by the ink one.
    assert card["hyperparameters"]["picture_layer"] is True
    assert (
        card["hyperparameters"]["picture_weight"]
        == bundled_card()["hyperparameters"]["picture_weight"]
    )
    assert "picture_probabilities" in card["outputs"]
    assert card["test"]["mnist_read_as_ink"]["count"] == card["test"]["mnist"]["count"]
    assert "read as ink" in result.stdout
    assert (
        card["training_seconds"] > 0
        and card["training_cpu_seconds"] > 0
        and "tensorflow" in card["versions"]
    )
    assert not list(output.parent.glob(".train-*")), "staging folder left behind"
    from digitpad.personal import load_class_bank

    assert load_class_bank(output / "model.tflite") is not None  # the bank is this model's


def test_the_run_trains_on_the_unipen_digits_too(trained):
    unipen = json.loads((trained[0] / "model-card.json").read_text())["data"]["unipen"]
    assert unipen["training_sources"] == ["fixture"] and unipen["held_out_sources"] == []
    assert unipen["licence"] == "CC BY 4.0" and "Guyon" in unipen["citation"]
    # --limit 256 keeps the first 26 digits of each pen data set.
    assert unipen["training_digits"] == 26 and unipen["rendered_training_images"] > 26


def test_a_run_holding_out_a_source_scores_it_alone(tmp_path, small_mnist):
    output = tmp_path / "model"
    unipen = ["--unipen", FIXTURES / "mini-unipen.jsonl", "--hold-out-sources", "fixture"]
    result = run_script(*smoke_args(small_mnist, output, *unipen), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    card = json.loads((output / "model-card.json").read_text())
    assert card["data"]["unipen"]["held_out_sources"] == ["fixture"]
    assert card["data"]["unipen"]["training_digits"] == 0
    for name in ("unipen_held_out_sources", "unipen_fixture"):
        assert card["test"][name]["count"] == 100
    assert card["number_model"]["trained_on"]["excluded_sources"] == ["fixture"]
    assert "UNIPEN digits, fixture: " in result.stdout
    result = run_script(*smoke_args(small_mnist, output, *unipen[:3], "nowhere"))
    assert result.returncode == 2 and "no digits of source nowhere" in result.stderr


def test_the_run_keeps_nothing_out_so_keras_never_scores_mnist_test_per_epoch(trained):
    # No --validation, no --hold-out-writers: nothing to monitor, and MNIST test is
    # scored once, after training.
    output, result = trained
    assert "ink_loss: " in result.stdout and "val_" not in result.stdout
    tests = json.loads((output / "model-card.json").read_text())["test"]
    assert not [name for name in tests if "validation" in name]


def test_the_card_has_the_fields_of_the_bundled_card(trained):
    card = json.loads((trained[0] / "model-card.json").read_text())
    bundled = bundled_card()
    assert card.keys() == bundled.keys()
    # The recipe is the bundled model's: every setting but the smoke run's own three.
    assert card["styles"] == bundled["styles"]
    for name, value in bundled["hyperparameters"].items():
        if name not in ("epochs", "batch_size", "clean_epochs"):
            assert card["hyperparameters"][name] == value, name
    for part in ("hyperparameters", "machine", "versions", "input", "outputs", "files"):
        assert card[part].keys() == bundled[part].keys(), part
    assert card["data"]["pendigits"].keys() == bundled["data"]["pendigits"].keys()
    assert card["test"]["mnist"].keys() == bundled["test"]["mnist"].keys()


def test_the_number_model_is_trained_for_the_new_network_and_carried_by_it(trained):
    from digitpad.number_model import NumberModel
    from digitpad.recognize import Recognizer
    from digitpad.segment import GEOMETRY

    output, _ = trained
    saved = NumberModel(output / "number-model.npz")
    carried = NumberModel.carried_by(output / "model.tflite")
    assert carried is not None and Recognizer(output / "model.tflite").number_model is not None
    rows = np.random.default_rng(0).normal(size=(20, saved.feature_count + 10 + len(GEOMETRY)))
    np.testing.assert_allclose(carried.logits(rows), saved.logits(rows), rtol=1e-5, atol=1e-4)
    # It learned marks that are no digit too, and the .tflite carries that output.
    assert saved.has_mark_output and carried.has_mark_output
    np.testing.assert_allclose(
        carried.mark_logits(rows), saved.mark_logits(rows), rtol=1e-5, atol=1e-4
    )
    card = json.loads((output / "model-card.json").read_text())
    assert card["number_model"]["signature"] == "one_digit" and "logits" in card["outputs"]
    assert "mark_logits" in card["number_model"]["outputs"]
    assert card["number_model"]["trained_on"]["numbers_written"] == 256
    assert card["number_model"]["trained_on"]["unipen"] == "mini-unipen.jsonl"
    assert carried.digit_bonus == saved.digit_bonus == card["number_model"]["digit_bonus"]


def test_the_export_command_puts_a_number_model_in_and_takes_it_out(trained, tmp_path, capsys):
    from digitpad.number_model import NumberModel
    from digitpad.training import export

    output, _ = trained
    tflite = tmp_path / "model.tflite"
    arguments = [str(output / "model.keras"), str(tflite)]
    assert export.main([*arguments, "--number-model", str(output / "number-model.npz")]) == 0
    # No card was there: one is written, with the outputs and the search's weights.
    card = json.loads((tmp_path / "model-card.json").read_text())
    # The recipe's number model has the mark output: the card says so.
    assert set(card["outputs"]) == {
        "probabilities",
        "picture_probabilities",
        "features",
        "logits",
        "mark_logits",
    }
    assert NumberModel(tflite).whole_bonus == NumberModel(output / "number-model.npz").whole_bonus
    assert NumberModel(tflite).has_mark_output
    capsys.readouterr()
    assert export.main(arguments) == 0
    assert "carries no number model now" in capsys.readouterr().err
    card = json.loads((tmp_path / "model-card.json").read_text())
    assert "number_model" not in card and "logits" not in card["outputs"]
    assert "mark_logits" not in card["outputs"]
    assert NumberModel.carried_by(tflite) is None


def test_the_trajectory_model_is_trained_on_the_pen_digits_and_carried(trained):
    from digitpad.recognize import Recognizer
    from digitpad.trajectory import POINTS, TrajectoryModel

    output, result = trained
    carried = TrajectoryModel.carried_by(output / "model.tflite")
    assert carried is not None and carried.weight == 0.4
    assert isinstance(Recognizer(output / "model.tflite").trajectory_model, TrajectoryModel)
    saved = TrajectoryModel(output / "trajectory.keras")
    x = np.random.default_rng(0).normal(size=(6, POINTS, 5)).astype(np.float32)
    np.testing.assert_allclose(
        carried.log_probabilities(x), saved.log_probabilities(x), rtol=1e-4, atol=1e-4
    )
    entry = json.loads((output / "model-card.json").read_text())["trajectory"]
    assert entry["signature"] == "trajectory" and entry["weight"] == 0.4
    assert entry["epochs"] == 1 and entry["width"] == 32 and entry["seed"] == 1234
    # --limit 256 keeps the first 26 digits of each pen data set, as for the classifier.
    assert entry["trained_on"]["held_out_sources"] == []
    assert entry["trained_on"]["held_out_writers"] is False
    assert entry["trained_on"]["unipen"] == "mini-unipen.jsonl"
    assert entry["trained_on"]["training_digits"] <= 2 * 26


def test_the_trajectory_model_learns_from_the_classifiers_pen_digits_only(
    mini_pen_digits, unipen_digits
):
    digits = mini_pen_digits + unipen_digits
    args = argparse.Namespace(limit=None, hold_out_writers=True, hold_out_sources=("fixture",))
    trained_on, held_out = run.hold_out(digits, args)
    assert run.trajectory_digits(trained_on, args) == trained_on
    assert not {d.writer for d in held_out} & {d.writer for d in trained_on}
    args.limit = 30
    limited = run.trajectory_digits(trained_on, args)
    assert len([d for d in limited if d.source == "pendigits"]) <= 4
    assert len([d for d in limited if d.source != "pendigits"]) <= 4


def test_the_export_command_puts_a_trajectory_model_in_and_takes_it_out(trained, tmp_path, capsys):
    from digitpad.training import export
    from digitpad.trajectory import TrajectoryModel

    output, _ = trained
    tflite = tmp_path / "model.tflite"
    arguments = [str(output / "model.keras"), str(tflite)]
    number = ["--number-model", str(output / "number-model.npz")]
    trajectory = ["--trajectory-model", str(output / "trajectory.keras")]
    # The run's card: what it says of the trajectory model's training stays.
    (tmp_path / "model-card.json").write_text((output / "model-card.json").read_text())
    trained_entry = json.loads((output / "model-card.json").read_text())["trajectory"]
    assert export.main([*arguments, *number, *trajectory, "--trajectory-weight", "0.3"]) == 0
    card = json.loads((tmp_path / "model-card.json").read_text())
    assert card["trajectory"]["weight"] == 0.3 and card["trajectory"]["points"] == 64
    assert card["trajectory"]["created"] == trained_entry["created"]
    assert card["trajectory"]["trained_on"] == trained_entry["trained_on"]
    assert "number_model" in card
    carried = TrajectoryModel.carried_by(tflite)
    assert carried is not None and carried.weight == 0.3
    capsys.readouterr()
    assert export.main([*arguments, *number]) == 0
    assert "carries no trajectory model now" in capsys.readouterr().err
    assert "trajectory" not in json.loads((tmp_path / "model-card.json").read_text())
    assert TrajectoryModel.carried_by(tflite) is None


def test_the_outputs_load_and_agree(trained, mnist_sample):
    from digitpad.predictor import Predictor

    output, _ = trained
    x = mnist_sample[0][:32].astype(np.float32) / 255
    for source in ("ink", "picture"):
        lite = Predictor(output / "model.tflite").predict(x, source)
        full = Predictor(output / "model.keras").predict(x, source)
        assert lite.shape == (32, 10)
        assert np.abs(lite - full).max() <= 1e-4


def write_idx(path, array, compress):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def test_idx_folder_is_read(tmp_path, mnist_sample):
    images, labels = mnist_sample
    for key, stem in training.IDX_FILES.items():
        array = images[:100] if key.startswith("x") else labels[:100]
        write_idx(tmp_path / f"{stem}.gz", array, compress=True)
    (train, _), test, info = training.load_mnist(tmp_path)
    np.testing.assert_array_equal(train, images[:100])
    np.testing.assert_array_equal(test[1], labels[:100])
    assert len(info["sha256"]) == 64


def bad_data_cases(tmp_path, mnist_sample):
    images, labels = mnist_sample
    (tmp_path / "text.npz").write_text("hello")
    np.savez(tmp_path / "missing-keys.npz", x_train=images)
    np.savez(
        tmp_path / "wrong-shape.npz",
        x_train=images.reshape(-1, 784),
        y_train=labels,
        x_test=images,
        y_test=labels,
    )
    good = tmp_path / "good.npz"
    np.savez(good, x_train=images, y_train=labels, x_test=images, y_test=labels)
    (tmp_path / "truncated.npz").write_bytes(good.read_bytes()[:5000])
    idx = tmp_path / "idx"
    idx.mkdir()
    for key, stem in training.IDX_FILES.items():
        write_idx(idx / stem, images[:10] if key.startswith("x") else labels[:10], False)
    cut = idx / training.IDX_FILES["x_test"]
    cut.write_bytes(cut.read_bytes()[:-100])
    partial = tmp_path / "partial"
    partial.mkdir()
    return {
        "nothing-here.npz": "no such file",
        "text.npz": "cannot read",
        "missing-keys.npz": "missing",
        "wrong-shape.npz": "shape",
        "truncated.npz": "cannot read",
        "idx": "truncated",
        "partial": "missing train-images",
    }


def test_bad_data_gives_one_clear_line_and_exit_2(tmp_path, mnist_sample):
    for name, message in bad_data_cases(tmp_path, mnist_sample).items():
        result = run_script("--data", tmp_path / name, "--output", tmp_path / "out")
        err = result.stderr
        assert result.returncode == 2, name
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("train_model.py: error: ") and name in err and message in err, err
        assert not (tmp_path / "out").exists()


def test_bad_pendigits_path(tmp_path, small_mnist):
    result = run_script(
        "--data", small_mnist, "--pendigits", tmp_path / "x.tra", "--output", tmp_path / "out"
    )
    assert result.returncode == 2 and "x.tra" in result.stderr


def previous_model(tmp_path, trained):
    output = tmp_path / "resources"
    output.mkdir()
    for name in OUTPUTS:
        (output / name).write_bytes((trained[0] / name).read_bytes())
    return output, digest(output)


def test_interrupted_export_keeps_the_previous_model(tmp_path, trained, monkeypatch):
    import keras

    output, before = previous_model(tmp_path, trained)
    model = keras.models.load_model(trained[0] / "model.keras")
    card = json.loads((trained[0] / "model-card.json").read_text())

    def interrupted(model, path):
        path.write_bytes(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "export_tflite", interrupted)
    args = argparse.Namespace(unipen=None, pendigits=None, limit=None)
    with pytest.raises(KeyboardInterrupt):
        run.export_outputs(model, {"loss": [1.0]}, None, card, output, [], args)
    assert digest(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resources"]  # no staging left


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_ctrl_c_or_kill_while_training_keeps_the_previous_model(
    tmp_path, trained, small_mnist, sig
):
    output, before = previous_model(tmp_path, trained)
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            str(ROOT / "train_model.py"),
            *smoke_args(small_mnist, output, "--epochs", "50"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 300
    for line in process.stdout:
        if "Epoch 2/" in line or time.monotonic() > deadline:
            break
    process.send_signal(sig)
    process.wait(timeout=60)
    assert process.returncode != 0
    assert digest(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resources"]


def test_uci_archive_with_compressed_original_is_unpacked(tmp_path):
    import zipfile

    archive = tmp_path / "pendigits.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pendigits.names", "description")
        z.write(FIXTURES / "mini.unipen.Z", "pendigits-orig.tra.Z")
    path = training.extract_pendigits(archive)
    assert path.read_bytes() == (FIXTURES / "mini.unipen").read_bytes()
    assert training.extract_pendigits(archive) == path  # cached


def test_uci_archive_without_the_file_is_a_data_error(tmp_path):
    import zipfile

    archive = tmp_path / "pendigits.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "nothing")
    with pytest.raises(training.DataError, match="no pendigits-orig.tra"):
        training.extract_pendigits(archive)


# --- Downloads ---------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network, and an empty download cache."""
    import urllib.error
    import urllib.request

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))


def test_a_failed_download_is_one_line_naming_the_url_and_the_offline_flags(offline, capsys):
    from digitpad.training.cli import report_error

    args = argparse.Namespace(data=None, pendigits=None, limit=None, validation=None)
    with pytest.raises(training.DownloadError) as error:
        run.load_data(args, training.Recipe("test", None, None, 1, 1))
    assert report_error(error.value) == 2
    assert capsys.readouterr().err == (
        f"train_model.py: error: could not download {data.MNIST_URL} "
        "([Errno -2] Name or service not known); pass local files with --data and --pendigits\n"
    )


@pytest.fixture
def offline_env(tmp_path):
    """For a subprocess: every download refused (a proxy on a closed port), an empty cache."""
    proxy = "http://127.0.0.1:9"
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "no_proxy": "", "NO_PROXY": ""}
    env.update({name: proxy for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")})
    return env


def test_failed_mnist_download_gives_one_line_and_exit_2(offline_env, tmp_path):
    result = run_script("--output", tmp_path / "out", env=offline_env)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"train_model.py: error: could not download {data.MNIST_URL} (")
    assert result.stderr.endswith("); pass local files with --data and --pendigits\n")
    assert not (tmp_path / "out").exists()
    assert not list((tmp_path / "keras" / "datasets").iterdir()), "partial download left behind"


def test_failed_pendigits_download_names_its_url(offline_env, tmp_path, small_mnist):
    result = run_script("--data", small_mnist, "--output", tmp_path / "out", env=offline_env)
    err = result.stderr
    assert result.returncode == 2 and len(err.splitlines()) == 1
    assert f"could not download {data.PENDIGITS_URL} (" in err and "--pendigits" in err


def test_the_seed_recipe_needs_no_pen_digits(offline_env, tmp_path):
    result = run_script("--recipe", "seed", "--output", tmp_path / "out", env=offline_env)
    err = result.stderr
    assert result.returncode == 2 and data.MNIST_URL in err and data.PENDIGITS_URL not in err


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_download_checks_the_hash_and_keeps_a_good_copy(monkeypatch, tmp_path):
    import urllib.request

    served = []

    def serve(url, timeout):
        served.append(url)
        return FakeResponse(b"payload")

    monkeypatch.setattr(urllib.request, "urlopen", serve)
    target = tmp_path / "file.bin"
    good = hashlib.sha256(b"payload").hexdigest()
    with pytest.raises(training.DownloadError, match="SHA-256"):
        data.download("https://example.org/f", target, expected_sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []
    assert data.download("https://example.org/f", target, expected_sha256=good) == target
    assert target.read_bytes() == b"payload"
    data.download("https://example.org/f", target, expected_sha256=good)
    assert len(served) == 2  # the good copy is reused


def test_http_errors_are_download_errors(monkeypatch, tmp_path):
    import urllib.error
    import urllib.request

    def not_found(url, timeout):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(urllib.request, "urlopen", not_found)
    with pytest.raises(
        training.DownloadError, match=r"could not download \S+ \(HTTP 404 Not Found\)"
    ):
        data.download("https://example.org/f", tmp_path / "f")


# --- The package -------------------------------------------------------------


def test_importing_the_training_package_imports_neither_tensorflow_nor_matplotlib():
    code = (
        "import sys, digitpad.training, digitpad.training.export\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def mini_pen_digits():
    from digitpad.pendigits import read_unipen

    return read_unipen(FIXTURES / "mini.unipen")[:6]


def test_pen_digits_render_through_the_apps_preprocessing(mini_pen_digits):
    from digitpad.preprocess import ink_to_input

    images, labels = training.render_pen_digits(mini_pen_digits, (), np.random.default_rng(0))
    assert images.dtype == np.uint8 and images.shape == (len(mini_pen_digits), 28, 28)
    for digit, image, label in zip(mini_pen_digits, images, labels, strict=True):
        np.testing.assert_array_equal(image, np.round(ink_to_input(digit.ink) * 255))
        assert label == digit.label


def test_pen_renders_apply_their_ink_transforms_in_order(mini_pen_digits):
    calls = []

    def mirrored(ink, label, rng):
        calls.append(("mirror", label))
        return Ink([s * [-1, 1] for s in ink.strokes])

    def recorded(ink, label, rng):
        calls.append(("record", label))
        return ink

    renders = (
        training.PenRenders(2, (mirrored, recorded), (1.0, 1.0)),
        training.PenRenders(1, (), (2.0, 2.0)),
    )
    images, labels = training.render_pen_digits(mini_pen_digits, renders, np.random.default_rng(0))
    assert len(images) == 4 * len(mini_pen_digits)
    digit = mini_pen_digits[0]
    assert calls[:4] == [("mirror", digit.label), ("record", digit.label)] * 2
    as_written, mirror = images[0], images[1]
    np.testing.assert_array_equal(mirror, images[2])  # same pen width, same transforms
    assert not np.array_equal(mirror, as_written)
    assert images[3].sum() > as_written.sum()  # twice the pen width: more ink
    np.testing.assert_array_equal(labels[:4], [digit.label] * 4)


def test_an_ink_transform_that_does_not_apply_makes_no_copy(mini_pen_digits):
    fours_only = training.PenRenders(
        3, (lambda ink, label, rng: ink if label == 4 else None,), (1, 1)
    )
    labels = [d.label for d in mini_pen_digits]
    _, rendered = training.render_pen_digits(
        mini_pen_digits, (fours_only,), np.random.default_rng(0)
    )
    assert len(rendered) == len(labels) + 3 * labels.count(4)
    assert labels.count(4) > 0


def test_ink_distortion_is_seeded_and_bounded(mini_pen_digits):
    ink = mini_pen_digits[0].ink
    none = training.InkDistortion(rotation_degrees=0, shear=0, log_aspect=0)
    for a, b in zip(none(ink, 0, np.random.default_rng(1)).strokes, ink.strokes, strict=True):
        np.testing.assert_allclose(a, b[:, :2])
    some = training.InkDistortion(rotation_degrees=15, shear=0.3, log_aspect=0.25)
    first = some(ink, 0, np.random.default_rng(1)).strokes
    again = some(ink, 0, np.random.default_rng(1)).strokes
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], ink.strokes[0][:, :2])


def test_writing_style_copies_only_the_digits_that_have_a_style(mini_pen_digits):
    from digitpad.training.styles import styles_for

    style = training.PenRenders(2, (training.WritingStyle(),), (1, 1))
    labels = [d.label for d in mini_pen_digits]
    images, rendered = training.render_pen_digits(
        mini_pen_digits, (style,), np.random.default_rng(0)
    )
    styled = sum(2 for label in labels if styles_for(label))
    assert len(rendered) == len(labels) + styled and styled > 0
    assert not np.array_equal(images[0], images[1])


def test_low_grade_tablet_applies_with_its_share(mini_pen_digits):
    ink = mini_pen_digits[0].ink
    never = training.LowGradeTablet(0.0)
    assert never(ink, 0, np.random.default_rng(0)) is ink
    always = training.LowGradeTablet(1.0)
    changed = [always(ink, 0, np.random.default_rng(seed)) for seed in range(5)]
    assert all(isinstance(c, Ink) and not c.is_empty for c in changed)
    assert any(
        len(c.strokes[0]) != len(ink.strokes[0])
        or not np.allclose(c.strokes[0], ink.strokes[0][:, :2])
        for c in changed
    )


@pytest.mark.parametrize("hold_out", [False, True])
def test_pen_writers_all_trained_unless_held_out(hold_out, mini_pen_digits, mnist_sample):
    import dataclasses

    from digitpad.pendigits import read_unipen

    # Six writers, so that every third one (3 and 6) can be held out.
    digits = [
        dataclasses.replace(d, writer=i % 6 + 1)
        for i, d in enumerate(read_unipen(FIXTURES / "mini.unipen"))
    ]
    writers = [1, 2, 3, 4, 5, 6]
    recipe = training.Recipe("test", None, None, 1, 1, pen_renders=())
    args = argparse.Namespace(limit=None, hold_out_writers=hold_out, hold_out_sources=())
    provenance = {"pendigits": {}}
    train = (mnist_sample[0][:10], mnist_sample[1][:10])
    x, y, weights, held_out = run.training_set(
        train, digits, recipe, args, np.random.default_rng(0), provenance
    )
    assert weights is None
    split = provenance["pendigits"]
    if hold_out:
        assert split["held_out_writers"] == [3, 6]
        assert held_out == [d for d in digits if d.writer in (3, 6)] and held_out
        assert not set(split["training_writers"]) & set(split["held_out_writers"])
    else:
        assert split["training_writers"] == writers and held_out == []
    assert len(x) == len(y) == 10 + split["training_digits"]


@pytest.fixture(scope="module")
def unipen_digits():
    # 100 digits of one source, "fixture", by writers "fixture/N".
    return data.load_unipen_digits(FIXTURES / "mini-unipen.jsonl")[0]


def test_unipen_digits_are_read_with_their_writers_and_source(unipen_digits):
    assert len(unipen_digits) == 100
    assert {d.source for d in unipen_digits} == {"fixture"}
    assert all(isinstance(d.label, int) and d.writer.startswith("fixture/") for d in unipen_digits)
    with pytest.raises(data.DataError, match="no digits of source sta"):
        data.load_unipen_digits(FIXTURES / "mini-unipen.jsonl", held_out_sources=("sta",))
    with pytest.raises(data.DataError, match="no such file"):
        data.load_unipen_digits(FIXTURES / "missing.jsonl")


@pytest.mark.parametrize("held_out_sources", [(), ("fixture",)])
def test_unipen_sources_are_trained_on_unless_held_out(
    held_out_sources, unipen_digits, mini_pen_digits, mnist_sample
):
    recipe = training.Recipe("test", None, None, 1, 1, pen_renders=())
    args = argparse.Namespace(limit=None, hold_out_writers=False, hold_out_sources=held_out_sources)
    provenance = {"pendigits": {}, "unipen": {}}
    train = (mnist_sample[0][:10], mnist_sample[1][:10])
    x, y, _, held_out = run.training_set(
        train, mini_pen_digits + unipen_digits, recipe, args, np.random.default_rng(0), provenance
    )
    unipen = provenance["unipen"]
    assert provenance["pendigits"]["training_digits"] == len(mini_pen_digits)
    if held_out_sources:
        assert held_out == unipen_digits
        assert unipen["held_out_sources"] == ["fixture"] and unipen["training_digits"] == 0
        assert len(x) == 10 + len(mini_pen_digits)
    else:
        assert held_out == [] and unipen["training_sources"] == ["fixture"]
        assert unipen["training_digits"] == unipen["rendered_training_images"] == 100
        # The UCI digits' renders first, then UNIPEN's.
        np.testing.assert_array_equal(
            y[10:], [d.label for d in mini_pen_digits] + [d.label for d in unipen_digits]
        )


def test_held_out_sources_need_unipen_digits(tmp_path, capsys):
    from digitpad.training.cli import parse_args

    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--hold-out-sources", "sta"], {"digitpad": None}, tmp_path)
    assert exit_info.value.code == 2
    assert "--hold-out-sources needs --unipen" in capsys.readouterr().err


def weighted_training_set(mini_pen_digits, mnist_sample, **recipe_options):
    """10 MNIST digits, the pen digits as written and one copy, 3 extras: (x, weights)."""
    recipe = training.Recipe(
        "test",
        None,
        None,
        1,
        1,
        pen_renders=(training.PenRenders(1, (), (1.0, 1.0)),),
        mnist_extras=(lambda x, y, rng: (x[:3], y[:3]),),
        **recipe_options,
    )
    args = argparse.Namespace(limit=None, hold_out_writers=False, hold_out_sources=())
    train = (mnist_sample[0][:10], mnist_sample[1][:10])
    x, _, weights, _ = run.training_set(
        train, mini_pen_digits, recipe, args, np.random.default_rng(0), {"pendigits": {}}
    )
    assert len(x) == 10 + 2 * len(mini_pen_digits) + 3
    return x, weights


def test_pen_weight_weighs_every_image_but_mnists(mini_pen_digits, mnist_sample):
    x, weights = weighted_training_set(mini_pen_digits, mnist_sample, pen_weight=0.25)
    np.testing.assert_array_equal(weights, [1.0] * 10 + [0.25] * (len(x) - 10))
    assert weights.dtype == np.float32


def test_the_picture_layer_learns_from_pictures_alone(mini_pen_digits, mnist_sample):
    x, weights = weighted_training_set(
        mini_pen_digits, mnist_sample, pen_weight=0.5, picture_layer=True
    )
    pens = 2 * len(mini_pen_digits)
    assert weights.shape == (len(x), 2)
    np.testing.assert_array_equal(weights[:, 0], [1.0] * 10 + [0.5] * (pens + 3))  # ink
    np.testing.assert_array_equal(weights[:, 1], [1.0] * 10 + [0.0] * pens + [1.0] * 3)


def test_batches_for_two_outputs_give_each_its_labels_and_weights():
    pytest.importorskip("tensorflow")
    n = 40
    x = np.repeat(np.arange(n, dtype=np.uint8), 28 * 28).reshape(n, 28, 28)
    y = np.arange(n) % 10
    weights = np.stack([np.arange(n) / 100, np.arange(n) % 2], axis=1)
    seen = 0
    for images, labels, batch_weights in training.make_dataset(x, y, 16, None, 0, weights, 2):
        value = np.round(images.numpy()[:, 14, 14, 0] * 255).astype(int)
        assert len(labels) == len(batch_weights) == 2
        for one_hot in labels:
            np.testing.assert_array_equal(one_hot.numpy().argmax(1), value % 10)
        np.testing.assert_allclose(batch_weights[0].numpy(), value / 100, rtol=1e-6)
        np.testing.assert_array_equal(batch_weights[1].numpy(), value % 2)
        seen += len(value)
    assert seen == n
    for images, labels in training.make_dataset(x, y, 16, None, 0, outputs=2):
        assert len(labels) == 2 and labels[0].shape == (len(images), 10)


@pytest.mark.parametrize("augmented", [False, True])
def test_weighted_batches_keep_each_image_with_its_label_and_weight(augmented):
    pytest.importorskip("tensorflow")
    # Image i is filled with the value i, its label is i % 10 and its weight i / 100,
    # so any reordering that separates them shows.
    n = 100
    x = np.repeat(np.arange(n, dtype=np.uint8), 28 * 28).reshape(n, 28, 28)
    y = np.arange(n) % 10
    weights = np.arange(n) / 100
    settings = training.ImageAugmentation(0, 0, 0, 0, 0, 0) if augmented else None
    seen = []
    for images, labels, batch_weights in training.make_dataset(x, y, 16, settings, 0, weights):
        value = np.round(images.numpy()[:, 14, 14, 0] * 255).astype(int)
        np.testing.assert_array_equal(labels.numpy().argmax(1), value % 10)
        np.testing.assert_allclose(batch_weights.numpy(), value / 100, rtol=1e-6)
        seen.extend(value)
    assert sorted(seen) == list(range(n)) and seen != list(range(n))  # all, shuffled


def test_validation_digits_are_the_last_training_digits_and_never_trained_on(small_mnist):
    args = argparse.Namespace(data=small_mnist, pendigits=None, limit=None, validation=100)
    recipe = training.Recipe("MNIST only", None, None, 1, 1)
    (x, y), _, validation, _, _ = run.load_data(args, recipe)
    x_val, y_val = validation["mnist_validation"]
    x_unseen, y_unseen = validation["mnist_validation_unseen_writers"]
    with np.load(small_mnist) as mnist:
        np.testing.assert_array_equal(x_val, mnist["x_train"][-100:])
        np.testing.assert_array_equal(x, mnist["x_train"][:-100])
        # The writer-ordered half: odd indices of the whole file (701, 703, ... of 800).
        np.testing.assert_array_equal(x_unseen, mnist["x_train"][701::2])
        np.testing.assert_array_equal(y_unseen, mnist["y_train"][701::2])
    assert len(y) + len(y_val) == 800
    args.limit = 750  # a limit never reaches into the validation digits
    (x, _), _, validation, _, _ = run.load_data(args, recipe)
    assert len(x) == 700 and len(validation["mnist_validation"][0]) == 100
    args.validation = None
    assert run.load_data(args, recipe)[2] == {}


def test_keras_monitors_the_digits_kept_out_never_mnist_test(mini_pen_digits, mnist_sample):
    images, labels = mnist_sample
    rng = np.random.default_rng(0)
    validation = {"mnist_validation": (images[:30], labels[:30])}
    name, (x, y) = run.monitored_set(validation, mini_pen_digits, rng)
    assert name == "the last 30 MNIST training digits"
    np.testing.assert_array_equal(x, images[:30])
    name, (x, y) = run.monitored_set({}, mini_pen_digits, rng)
    assert name == f"{len(mini_pen_digits)} held-out pen digits"
    np.testing.assert_array_equal(y, [d.label for d in mini_pen_digits])
    assert run.monitored_set({}, [], rng) is None


@pytest.mark.parametrize("monitored", [False, True])
def test_the_curves_show_validation_only_when_the_run_has_it(tmp_path, mnist_sample, monitored):
    pytest.importorskip("tensorflow")
    from digitpad.training.seed import adadelta_classic, build_seed_model

    images, labels = mnist_sample
    recipe = training.Recipe("seed", build_seed_model, adadelta_classic, 1, 32, learning_rate=1.0)
    model = run.compile_model(recipe, steps_per_epoch=2, epochs=1, gpus=0)
    kept_out = ("20 MNIST digits", (images[64:84], labels[64:84])) if monitored else None
    args = argparse.Namespace(epochs=1, batch_size=32, seed=0)
    history, clean_epochs = run.fit(model, images[:64], labels[:64], None, kept_out, recipe, args)
    assert clean_epochs == 0 and len(history["loss"]) == 1
    assert sorted(history) == ["accuracy", "loss"] + ["val_accuracy", "val_loss"] * monitored
    training.plot_curves(history, tmp_path / "curves.png", kept_out and kept_out[0])
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_writer_ordered_marks_odd_indices_of_the_whole_file():
    from digitpad.training.data import writer_ordered

    assert writer_ordered(50_000, 5).tolist() == [False, True, False, True, False]
    assert writer_ordered(7, 3).tolist() == [True, False, True]


def test_style_likeness_sees_digits_of_one_writer_in_a_row(mnist_sample):
    from digitpad.training.data import style_likeness

    # MNIST's test file keeps each writer's digits together; shuffled, the likeness goes.
    images, labels = mnist_sample
    assert style_likeness(images, labels, 1) > 0.2
    shuffled = np.random.default_rng(0).permutation(len(labels))
    assert abs(style_likeness(images[shuffled], labels[shuffled], 1)) < 0.1


def test_mnist_writers_benchmark_reads_both_halves_of_the_validation_digits(tmp_path, mnist_sample):
    from digitpad.predictor import Predictor, bundled_model_path
    from digitpad.training.styles import StyleSettings, style_images

    images, labels = mnist_sample
    labels = labels[:800].copy()
    labels[701:720:2] = (labels[701:720:2] + 1) % 10  # 10 of the 50 unseen-writer digits wrong
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=images[:800], y_train=labels, x_test=images[800:], y_test=labels[:200])
    model = bundled_model_path()
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "mnist_writers.py"), str(path), str(model)]
        + ["--validation", "100"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "odd indices" in result.stdout and "even indices" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith(str(model)[-44:]))
    pictures = images[700:800].astype(np.float32)[..., None] / 255
    read = Predictor(model).predict(pictures, "picture").argmax(1)
    right = read == labels[700:]
    everything, unseen, other, _, styled = row.split()[-5:]
    assert unseen == f"{right[1::2].mean():.2%}" and float(unseen[:-1]) <= 80
    assert other == f"{right[0::2].mean():.2%}" and float(other[:-1]) > 90
    assert everything == f"{right.mean():.2%}"
    copies, copy_labels = style_images(
        images[700:800], labels[700:], np.random.default_rng(0), StyleSettings(image_share=1.0)
    )
    assert len(copies) > 10
    assert f"styled: the {len(copies)} 0s, 1s and 7s among them" in result.stdout
    read = Predictor(model).predict(copies.astype(np.float32)[..., None] / 255, "picture")
    assert styled == f"{(read.argmax(1) == copy_labels).mean():.2%}"


def test_summary_names_the_validation_by_unseen_writers():
    from digitpad.training.card import summary

    def result(accuracy, count):
        return {"accuracy": accuracy, "count": count, "loss": 0.1}

    card = {
        "recipe": "digitpad",
        "hyperparameters": {"epochs": 2},
        "training_seconds": 60,
        "training_cpu_seconds": 120,
        "machine": {"cpus": 2},
        "test": {
            "mnist": result(0.99, 10_000),
            "pen_held_out_writers": None,
            "mnist_validation": result(0.995, 10_000),
            "mnist_validation_unseen_writers": result(0.9968, 5_000),
        },
    }
    text = summary(card)
    assert "MNIST validation (last 10000 training digits): 99.50%" in text
    assert "5000 by writers never trained on: 99.68%" in text
    del card["test"]["mnist_validation_unseen_writers"]
    assert "never trained on" not in summary(card)


def test_scores():
    probabilities = np.full((4, 10), 0.01)
    probabilities[[0, 1, 2, 3], [3, 3, 5, 7]] = 0.91  # predictions 3, 3, 5, 7
    result = training.scores(probabilities, np.array([3, 3, 5, 1]))
    assert result["accuracy"] == 0.75 and result["count"] == 4
    assert result["per_class_accuracy"]["1"] == 0.0 and result["per_class_accuracy"]["3"] == 1.0
    assert result["confusion_matrix"][1][7] == 1 and np.sum(result["confusion_matrix"]) == 4
    assert result["loss"] == pytest.approx(-(3 * np.log(0.91) + np.log(0.01)) / 4, abs=1e-5)


def test_command_line_defaults_come_from_the_recipe(tmp_path):
    from digitpad.training.cli import parse_args

    recipes = {
        "seed": training.Recipe("seed", None, None, epochs=12, batch_size=128),
        "digitpad": training.Recipe("digitpad", None, None, epochs=24, batch_size=96),
    }
    args = parse_args(["--recipe", "seed"], recipes, tmp_path)
    assert (args.epochs, args.batch_size, args.output) == (12, 128, tmp_path)
    args = parse_args(["--epochs", "3"], recipes, tmp_path)
    assert (args.recipe, args.epochs, args.batch_size) == ("digitpad", 3, 96)
    with pytest.raises(SystemExit):
        parse_args(["--limit", "0"], recipes, tmp_path)


def test_the_seed_model_has_no_picture_layer_to_build():
    from digitpad.training.seed import build_seed_model

    with pytest.raises(ValueError, match="no picture layer"):
        build_seed_model(picture_layer=True)


def test_the_script_lists_its_recipes():
    result = run_script("--help")
    assert result.returncode == 0 and "--recipe {digitpad,seed}" in result.stdout


def test_install_holds_off_ctrl_c_until_every_file_is_in_place(tmp_path):
    staging, output = tmp_path / "staging", tmp_path / "out"
    staging.mkdir()
    names = ["a", "b", "c"]
    for name in names:
        (staging / name).write_text(name)
    real_replace = os.replace

    def replace_then_interrupt(source, target):
        real_replace(source, target)
        if target.name == "a":
            signal.raise_signal(signal.SIGINT)  # Ctrl+C after the first file

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", replace_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            training.install(staging, output, names)
    assert sorted(p.name for p in output.iterdir()) == names


def test_staging_folder_is_removed_on_errors(tmp_path):
    output = tmp_path / "deep" / "out"
    with pytest.raises(RuntimeError), training.staging_folder(output) as staging:
        (staging / "half").write_text("x")
        raise RuntimeError
    assert list((tmp_path / "deep").iterdir()) == []

"""The retrain script: a small real run, its outputs, and its failure modes."""

import gzip
import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from .conftest import FIXTURES, ROOT

spec = importlib.util.spec_from_file_location("train_model", ROOT / "train_model.py")
train_model = importlib.util.module_from_spec(spec)
sys.modules["train_model"] = train_model
spec.loader.exec_module(train_model)

OUTPUTS = [
    "model.tflite",
    "model.keras",
    "model-card.json",
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


def digest(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in OUTPUTS}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_mnist):
    output = tmp_path_factory.mktemp("model")
    result = subprocess.run(
        [sys.executable, str(ROOT / "train_model.py"), *smoke_args(small_mnist, output)],
        capture_output=True,
        text=True,
        cwd=ROOT,
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
    assert (
        card["training_seconds"] > 0
        and card["training_cpu_seconds"] > 0
        and "tensorflow" in card["versions"]
    )
    assert not list(output.parent.glob(".train-*")), "staging folder left behind"


def test_the_outputs_load_and_agree(trained, mnist_sample):
    from digitpad.predictor import Predictor

    output, _ = trained
    x = mnist_sample[0][:32].astype(np.float32) / 255
    lite = Predictor(output / "model.tflite").predict(x)
    full = Predictor(output / "model.keras").predict(x)
    assert lite.shape == (32, 10)
    assert np.abs(lite - full).max() <= 1e-4


def write_idx(path, array, compress):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def test_idx_folder_is_read(tmp_path, mnist_sample):
    images, labels = mnist_sample
    for key, stem in train_model.IDX_FILES.items():
        array = images[:100] if key.startswith("x") else labels[:100]
        write_idx(tmp_path / f"{stem}.gz", array, compress=True)
    (train, _), test, info = train_model.load_mnist(tmp_path)
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
    for key, stem in train_model.IDX_FILES.items():
        write_idx(idx / stem, images[:10] if key.startswith("x") else labels[:10], False)
    cut = idx / train_model.IDX_FILES["x_test"]
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


def test_bad_data_gives_one_clear_line_and_exit_2(tmp_path, mnist_sample, capsys):
    for name, message in bad_data_cases(tmp_path, mnist_sample).items():
        code = train_model.main(["--data", str(tmp_path / name), "--output", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 2, name
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("train_model.py: error: ") and name in err and message in err, err
        assert not (tmp_path / "out").exists()


def test_bad_pendigits_path(tmp_path, small_mnist, capsys):
    code = train_model.main(
        [
            "--data",
            str(small_mnist),
            "--pendigits",
            str(tmp_path / "x.tra"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2 and "x.tra" in capsys.readouterr().err


def previous_model(tmp_path, trained):
    output = tmp_path / "resources"
    output.mkdir()
    for name in OUTPUTS:
        (output / name).write_bytes((trained[0] / name).read_bytes())
    return output, digest(output)


def test_interrupted_export_keeps_the_previous_model(tmp_path, trained, small_mnist, monkeypatch):
    output, before = previous_model(tmp_path, trained)

    def interrupted(model, path):
        path.write_bytes(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(train_model, "export_tflite", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_model.main(smoke_args(small_mnist, output))
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
    path = train_model.extract_pendigits(archive)
    assert path.read_bytes() == (FIXTURES / "mini.unipen").read_bytes()
    assert train_model.extract_pendigits(archive) == path  # cached


def test_uci_archive_without_the_file_is_a_data_error(tmp_path):
    import zipfile

    archive = tmp_path / "pendigits.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "nothing")
    with pytest.raises(train_model.DataError, match="no pendigits-orig.tra"):
        train_model.extract_pendigits(archive)

import subprocess
import sys

import numpy as np
import pytest

from digitpad.predictor import ModelError, Predictor, bundled_model_path

from .conftest import ROOT


def test_bundled_model_scores_99_percent_on_mnist_sample(mnist_sample):
    images, labels = mnist_sample
    probabilities = Predictor().predict(images.astype(np.float32) / 255)
    assert probabilities.shape == (len(images), 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    accuracy = (probabilities.argmax(axis=1) == labels).mean()
    assert accuracy >= 0.99, accuracy


def test_bundled_model_has_a_card():
    predictor = Predictor()
    assert predictor.path == bundled_model_path()
    assert predictor.card["input"]["shape"] == [28, 28, 1]
    assert 0.99 <= predictor.test_accuracy <= 1.0


def test_input_shapes_are_accepted(mnist_sample):
    images, _ = mnist_sample
    predictor = Predictor()
    x = images[:3].astype(np.float32) / 255
    batch = predictor.predict(x)
    np.testing.assert_allclose(predictor.predict(x[..., None]), batch, atol=1e-6)
    np.testing.assert_allclose(predictor.predict(x[0]), batch[:1], atol=1e-6)
    assert predictor.predict(np.zeros((0, 28, 28))).shape == (0, 10)
    with pytest.raises(ValueError, match="28x28"):
        predictor.predict(np.zeros((2, 32, 32)))


def test_large_batches_match_single_images(mnist_sample):
    images, _ = mnist_sample
    x = images[:300].astype(np.float32) / 255  # more than one internal chunk
    predictor = Predictor()
    batch = predictor.predict(x)
    singles = np.concatenate([predictor.predict(image) for image in x[:5]])
    np.testing.assert_allclose(batch[:5], singles, atol=1e-5)


def test_tflite_and_keras_files_agree(mnist_sample):
    images, _ = mnist_sample
    keras_file = bundled_model_path().with_name("model.keras")
    x = images[:64].astype(np.float32) / 255
    lite = Predictor().predict(x)
    full = Predictor(keras_file).predict(x)
    assert np.abs(lite - full).max() <= 1e-4


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match="not found") as error:
        Predictor(tmp_path / "nope.tflite")
    assert "nope.tflite" in str(error.value)


@pytest.mark.parametrize("suffix", [".tflite", ".keras"])
def test_corrupt_model_file(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelError) as error:
        Predictor(path)
    assert str(path) in str(error.value)


def test_truncated_model_file(tmp_path):
    data = bundled_model_path().read_bytes()
    path = tmp_path / "cut.tflite"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match="cut.tflite"):
        Predictor(path)


def test_litert_path_never_imports_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "from digitpad.predictor import Predictor\n"
        "Predictor().predict(np.zeros((1, 28, 28)))\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_a_keras_file_with_code_in_it_is_refused_unrun(tmp_path):
    """Keras safe mode stays on: a Lambda layer's Python code is never deserialized or run."""
    keras = pytest.importorskip("keras")
    marker = tmp_path / "code-ran"

    # No closure: the path is a constant in the function's own code, as an attacker would write it.
    payload = eval(  # noqa: S307
        f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('ran'), x)[1]"
    )

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Lambda(payload),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    path = tmp_path / "with-code.keras"
    model.save(path)
    marker.unlink(missing_ok=True)  # building and saving the model called it
    with pytest.raises(ModelError) as caught:
        Predictor(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    assert not marker.exists()

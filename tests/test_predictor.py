import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from digitpad.number_model import NumberModel, save_number_model
from digitpad.predictor import ModelError, Predictor, bundled_model_path
from digitpad.recognize import Recognizer
from digitpad.segment import GEOMETRY, WIDE_BLOB

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
        "print([m in sys.modules for m in ('tensorflow', 'keras', 'digitpad.training')])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[False, False, False]"


def test_a_keras_model_never_imports_the_training_package(tmp_path):
    code = (
        "import sys, numpy as np\n"
        "from digitpad.predictor import Predictor\n"
        "p = Predictor('resources/model.keras')\n"
        "p.predict_with_features(np.zeros((1, 28, 28)))\n"
        "print('digitpad.training' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.split()[-1] == "False"


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


def test_bundled_model_gives_penultimate_features(mnist_sample):
    images, _ = mnist_sample
    x = images[:300].astype(np.float32) / 255  # more than one internal chunk
    predictor = Predictor()
    assert predictor.has_features
    assert "features" in predictor.card["outputs"]
    probabilities, features = predictor.predict_with_features(x)
    assert features.shape == (300, 128) and features.dtype == np.float32
    assert features.min() >= 0  # after a ReLU
    np.testing.assert_array_equal(probabilities, predictor.predict(x))
    one_probabilities, one_features = predictor.predict_with_features(x[7])
    np.testing.assert_allclose(one_features, features[7:8], atol=1e-4)
    np.testing.assert_allclose(one_probabilities, probabilities[7:8], atol=1e-5)


def test_keras_file_gives_the_same_features(mnist_sample):
    images, _ = mnist_sample
    x = images[:32].astype(np.float32) / 255
    full = Predictor(bundled_model_path().with_name("model.keras"))
    assert full.has_features
    _, lite_features = Predictor().predict_with_features(x)
    _, full_features = full.predict_with_features(x)
    assert np.abs(lite_features - full_features).max() <= 1e-3


def test_single_output_tflite_still_classifies_without_features(tmp_path, mnist_sample):
    keras = pytest.importorskip("keras")
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    path = tmp_path / "plain.tflite"
    model.export(str(path), format="litert", verbose=False)
    predictor = Predictor(path)
    assert not predictor.has_features
    images, _ = mnist_sample
    probabilities, features = predictor.predict_with_features(images[:3].astype(np.float32) / 255)
    assert probabilities.shape == (3, 10) and features is None


def test_export_writes_both_outputs_with_the_same_probabilities(tmp_path, mnist_sample):
    keras = pytest.importorskip("keras")
    from digitpad.training.export import export_tflite

    model = keras.models.load_model(bundled_model_path().with_name("model.keras"), compile=False)
    path = tmp_path / "out" / "model.tflite"
    export_tflite(model, path)
    images, _ = mnist_sample
    x = images[:16].astype(np.float32) / 255
    exported, bundled = Predictor(path), Predictor()
    assert exported.has_features
    np.testing.assert_allclose(exported.predict(x), bundled.predict(x), atol=1e-5)
    assert [p.name for p in path.parent.iterdir()] == ["model.tflite"]  # no staging file left


def test_the_bundled_model_exports_again_with_its_number_model(tmp_path, mnist_sample):
    # resources/model.keras, resources/number-model.npz and resources/trajectory.keras
    # make resources/model.tflite.
    keras = pytest.importorskip("keras")
    from digitpad.training.export import export_tflite
    from digitpad.trajectory import POINTS, TrajectoryModel

    bundled = bundled_model_path()
    model = keras.models.load_model(bundled.with_name("model.keras"), compile=False)
    path = tmp_path / "model.tflite"
    export_tflite(
        model,
        path,
        number_model=bundled.with_name("number-model.npz"),
        trajectory_model=bundled.with_name("trajectory.keras"),
    )
    assert signatures(path) == signatures(bundled)
    x = np.random.default_rng(4).normal(size=(9, POINTS, 5)).astype(np.float32) * 0.3
    np.testing.assert_array_equal(
        TrajectoryModel(path).log_probabilities(x),
        TrajectoryModel.carried_by(bundled).log_probabilities(x),
    )
    x = mnist_sample[0][:300].astype(np.float32) / 255
    ours, theirs = Predictor(path), Predictor(bundled)
    for source in ("ink", "picture"):
        ours_read, theirs_read = (p.predict_with_features(x, source) for p in (ours, theirs))
        for a, b in zip(ours_read, theirs_read, strict=True):
            np.testing.assert_array_equal(a, b)
    shutil.copy(bundled.with_name("model-card.json"), tmp_path)
    width = NumberModel().feature_count + 10 + len(GEOMETRY)
    rows = np.random.default_rng(0).normal(size=(40, width)).astype(np.float32)
    logits = NumberModel(path).logits(rows)
    np.testing.assert_allclose(logits, NumberModel().logits(rows), atol=1e-5)


def signatures(path):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path)).get_signature_list()


def random_number_model(path, feature_count, seed=3):
    """A number model file of random weights, reading ``feature_count`` features."""
    rng = np.random.default_rng(seed)
    width = feature_count + 10 + len(GEOMETRY)
    save_number_model(
        path,
        mean=rng.normal(size=width),
        scale=rng.uniform(0.5, 2.0, width),
        w1=rng.normal(size=(width, 6)),
        b1=rng.normal(size=6),
        w2=rng.normal(size=(6, 1)),
        b2=rng.normal(size=1),
        digit_bonus=0.5,
        mark_penalty=-3.0,
        whole_bonus=2.0,
        group_bonus=3.0,
    )
    return path


def test_a_number_model_is_exported_as_a_signature_of_its_own(tmp_path, mnist_sample):
    keras = pytest.importorskip("keras")
    from digitpad.training.export import export_tflite, record_number_model

    model = two_layer_model(keras)  # 8 features
    saved = NumberModel(random_number_model(tmp_path / "number-model.npz", 8))
    path, plain = tmp_path / "model.tflite", tmp_path / "plain" / "model.tflite"
    export_tflite(model, path, number_model=saved)
    export_tflite(model, plain)
    assert signatures(path)["one_digit"] == {"inputs": ["rows"], "outputs": ["logits"]}
    assert list(signatures(plain)) == ["serving_default"]
    # The classifier reads as it does without the number model.
    x = mnist_sample[0][:20].astype(np.float32) / 255
    for source in ("ink", "picture"):
        carrying, alone = (Predictor(p).predict_with_features(x, source) for p in (path, plain))
        for a, b in zip(carrying, alone, strict=True):
            np.testing.assert_array_equal(a, b)
    # The search's weights are the card's: without them, numbers are read by the box rules.
    with pytest.raises(ModelError, match="no number_model with digit_bonus"):
        NumberModel(path)
    with pytest.warns(UserWarning, match="split by the box rules"):
        assert Recognizer(path).number_model is None
    record_number_model(path, saved)
    card = json.loads(path.with_name("model-card.json").read_text())
    assert set(card["outputs"]) == {"probabilities", "picture_probabilities", "features", "logits"}
    assert card["number_model"]["signature"] == "one_digit"
    carried = NumberModel(path)
    assert (carried.digit_bonus, carried.mark_penalty, carried.whole_bonus) == (0.5, -3.0, 2.0)
    assert carried.group_bonus == 3.0
    assert carried.feature_count == 8 and carried.arrays is None
    # A card written before the group bonus existed: it is the whole bonus.
    older = json.loads(path.with_name("model-card.json").read_text())
    del older["number_model"]["group_bonus"]
    path.with_name("model-card.json").write_text(json.dumps(older))
    assert NumberModel(path).group_bonus == 2.0
    record_number_model(path, saved)
    rows = np.random.default_rng(1).normal(size=(37, 8 + 10 + len(GEOMETRY))).astype(np.float32)
    np.testing.assert_allclose(carried.logits(rows), saved.logits(rows), rtol=1e-5, atol=1e-5)
    # A recognizer reads numbers with the number model its model file carries.
    assert Recognizer(path).number_model.path == path
    assert Recognizer(plain).number_model is None
    assert Recognizer(plain, number_model=path).number_model.path == path
    with pytest.raises(ValueError, match="an .npz of its arrays"):
        export_tflite(model, tmp_path / "again.tflite", number_model=path)
    with pytest.raises(ModelError, match="no one_digit signature"):
        NumberModel(plain)


def test_a_picture_number_model_is_exported_as_a_third_signature(tmp_path):
    keras = pytest.importorskip("keras")
    from digitpad.training.export import export_tflite, record_number_model

    model = two_layer_model(keras)  # 8 features
    ink = NumberModel(random_number_model(tmp_path / "ink.npz", 8))
    picture = NumberModel(random_number_model(tmp_path / "picture.npz", 8, seed=5), "picture")
    picture.digit_bonus, picture.mark_penalty, picture.whole_bonus = 1.5, -2.0, 0.25
    picture.wide_blob = 1.05
    path, one = tmp_path / "model.tflite", tmp_path / "one" / "model.tflite"
    export_tflite(model, path, number_model=ink, picture_number_model=picture)
    export_tflite(model, one, number_model=ink)
    assert signatures(path)["one_digit_picture"] == {"inputs": ["rows"], "outputs": ["logits"]}
    assert "one_digit_picture" not in signatures(one)
    record_number_model(path, ink, picture)
    record_number_model(one, ink)
    card = json.loads(path.with_name("model-card.json").read_text())
    assert card["number_model"]["picture"]["signature"] == "one_digit_picture"
    assert "picture" not in json.loads(one.with_name("model-card.json").read_text())["number_model"]
    rows = np.random.default_rng(2).normal(size=(19, 8 + 10 + len(GEOMETRY))).astype(np.float32)
    carried = NumberModel(path, kind="picture")
    assert (carried.digit_bonus, carried.mark_penalty, carried.whole_bonus) == (1.5, -2.0, 0.25)
    assert carried.wide_blob == 1.05 and NumberModel(path).wide_blob is None
    np.testing.assert_allclose(carried.logits(rows), picture.logits(rows), rtol=1e-5, atol=1e-5)
    # Its two heads differ: each signature runs its own network.
    np.testing.assert_allclose(NumberModel(path).logits(rows), ink.logits(rows), atol=1e-5)
    assert not np.allclose(carried.logits(rows), NumberModel(path).logits(rows), atol=1e-3)
    # A recognizer reads pictures with the picture head, and ink with the ink head; a model
    # without a picture head reads pictures with its ink head.
    both = Recognizer(path)
    assert both.number_model.kind == "ink" and both.picture_number_model.kind == "picture"
    alone = Recognizer(one)
    assert alone.picture_number_model is alone.number_model
    assert both.picture_wide_blob == 1.05 and alone.picture_wide_blob == WIDE_BLOB
    assert NumberModel.carried_by(one, kind="picture") is None
    with pytest.raises(ModelError, match="no one_digit_picture signature"):
        NumberModel(one, kind="picture")
    with pytest.raises(ValueError, match="beside a number model only"):
        export_tflite(model, tmp_path / "again.tflite", picture_number_model=picture)


def test_a_trajectory_model_is_exported_as_a_signature_of_its_own(tmp_path, mnist_sample):
    keras = pytest.importorskip("keras")
    from digitpad.training.export import export_tflite, record_trajectory_model
    from digitpad.training.trajectory import build_model
    from digitpad.trajectory import POINTS, TrajectoryModel

    model = two_layer_model(keras)
    trajectory = build_model(width=4)
    path, plain = tmp_path / "model.tflite", tmp_path / "plain" / "model.tflite"
    export_tflite(model, path, trajectory_model=trajectory)
    export_tflite(model, plain)
    assert signatures(path)["trajectory"] == {
        "inputs": ["points"],
        "outputs": ["log_probabilities"],
    }
    assert "trajectory" not in signatures(plain)
    # The classifier reads as it does without it.
    x = mnist_sample[0][:20].astype(np.float32) / 255
    for source in ("ink", "picture"):
        carrying, alone = (Predictor(p).predict_with_features(x, source) for p in (path, plain))
        for a, b in zip(carrying, alone, strict=True):
            np.testing.assert_array_equal(a, b)
    points = np.random.default_rng(0).normal(size=(5, POINTS, 5)).astype(np.float32)
    carried = TrajectoryModel.carried_by(path)
    assert carried is not None and carried.weight == 0.4  # no card: the default
    np.testing.assert_allclose(
        carried.log_probabilities(points), np.asarray(trajectory(points)), atol=1e-4
    )
    assert TrajectoryModel.carried_by(plain) is None
    assert Recognizer(path).trajectory_model is not None
    assert Recognizer(plain).trajectory_model is None
    record_trajectory_model(path, {"epochs": 3, "width": 4, "seed": 7}, weight=0.25)
    card = json.loads(path.with_name("model-card.json").read_text())
    assert card["trajectory"]["signature"] == "trajectory" and card["trajectory"]["epochs"] == 3
    assert TrajectoryModel(path).weight == 0.25
    assert Recognizer(path).trajectory_model.weight == 0.25
    with pytest.raises(ModelError, match="no trajectory signature"):
        TrajectoryModel(plain)


def test_a_model_file_without_a_number_model_reads_numbers_by_the_box_rules(tmp_path, pen_digits):
    keras = pytest.importorskip("keras")
    from digitpad.recognize import ink_inputs
    from digitpad.training.export import export_tflite

    from .test_numbers import side_by_side

    model = keras.models.load_model(bundled_model_path().with_name("model.keras"), compile=False)
    path = tmp_path / "model.tflite"
    export_tflite(model, path)
    recognizer = Recognizer(path)
    assert recognizer.predictor.has_features and recognizer.number_model is None
    three, four = (next(ink for label, ink in pen_digits if label == d) for d in (3, 4))
    ink = side_by_side([three, four], gap=-0.3)  # overlapping: one digit by the box rules
    assert len(ink_inputs(ink, by_recognition=False)) == 1
    assert len(recognizer.ink(ink).digits) == 1
    assert Recognizer().ink(ink).number == "34"


def test_importing_the_exporter_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "import digitpad.training.export\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def two_layer_model(keras):
    """A network with an ``ink`` and a ``picture`` final layer that disagree."""
    image = keras.Input((28, 28, 1))
    features = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(image))
    ink = keras.layers.Dense(10, activation="softmax", name="ink")(features)
    picture = keras.layers.Dense(10, activation="softmax", name="picture")(features)
    return keras.Model(image, [ink, picture])


def test_a_model_with_a_picture_layer_reads_pictures_with_it(tmp_path, mnist_sample):
    keras = pytest.importorskip("keras")
    from digitpad.training.export import export_tflite

    model = two_layer_model(keras)
    model.save(tmp_path / "model.keras")
    export_tflite(model, tmp_path / "model.tflite")
    x = mnist_sample[0][:300].astype(np.float32) / 255  # more than one internal chunk
    ink, picture = (np.asarray(p) for p in model(x[..., None]))
    assert np.abs(ink - picture).max() > 0.01
    sources = ["picture" if i % 3 == 0 else "ink" for i in range(len(x))]
    for name in ("model.tflite", "model.keras"):
        predictor = Predictor(tmp_path / name)
        assert predictor.has_picture_output and predictor.has_features, name
        np.testing.assert_allclose(predictor.predict(x), ink, atol=1e-5)
        np.testing.assert_allclose(predictor.predict(x, source="picture"), picture, atol=1e-5)
        mixed, features = predictor.predict_with_features(x, sources)
        np.testing.assert_allclose(mixed[0::3], picture[0::3], atol=1e-5)
        np.testing.assert_allclose(mixed[1::3], ink[1::3], atol=1e-5)
        assert features.shape == (300, 8)
        with pytest.raises(ValueError, match="source must be one of"):
            predictor.predict(x[:2], source="photo")
        with pytest.raises(ValueError, match="3 sources given for 2 images"):
            predictor.predict(x[:2], source=["ink"] * 3)


def test_a_model_without_a_picture_layer_reads_pictures_as_ink(tmp_path, mnist_sample):
    keras = pytest.importorskip("keras")
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    model.save(tmp_path / "plain.keras")
    model.export(str(tmp_path / "plain.tflite"), format="litert", verbose=False)
    x = mnist_sample[0][:5].astype(np.float32) / 255
    for name in ("plain.keras", "plain.tflite"):
        predictor = Predictor(tmp_path / name)
        assert not predictor.has_picture_output
        np.testing.assert_array_equal(predictor.predict(x, source="picture"), predictor.predict(x))


def test_two_outputs_without_a_picture_layer_are_refused(tmp_path):
    keras = pytest.importorskip("keras")
    image = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(image)
    outputs = [keras.layers.Dense(10, "softmax", name=f"head{i}")(flat) for i in range(2)]
    keras.Model(image, outputs).save(tmp_path / "two.keras")
    with pytest.raises(ModelError, match="final layer named 'picture'"):
        Predictor(tmp_path / "two.keras")


@pytest.mark.parametrize("widths", [(10, 8), (10, 10, 8)])
def test_a_tflite_of_unnamed_outputs_is_refused(tmp_path, widths):
    # Keras names them output_0, output_1...: which is the features is not guessed.
    keras = pytest.importorskip("keras")
    image = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(image)
    outputs = [keras.layers.Dense(n, "softmax")(flat) for n in widths]
    path = tmp_path / "unnamed.tflite"
    keras.Model(image, outputs).export(str(path), format="litert", verbose=False)
    with pytest.raises(ModelError, match="must name them probabilities") as error:
        Predictor(path)
    assert str(path) in str(error.value) and "output_0" in str(error.value)
    assert "\n" not in str(error.value)

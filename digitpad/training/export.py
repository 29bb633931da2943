"""Export a trained Keras digit classifier to LiteRT (``.tflite``) for digitpad.

The exported model's ``serving_default`` signature has one input (``image``,
``[n, 28, 28, 1]`` float32, dynamic batch) and two or three outputs:

``probabilities``
    ``[n, 10]``, the softmax over the digits (of the ``ink`` layer of a
    network with a picture layer);
``picture_probabilities``
    ``[n, 10]``, the softmax of the ``picture`` layer, for a network that has
    one (:func:`digitpad.predictor.with_features`);
``features``
    ``[n, k]``, the input of the final classifier layer (for the bundled
    network the 128 values after the last ReLU), which
    :mod:`digitpad.profile` compares with a person's own examples.

Given a number model (:mod:`digitpad.number_model`, an ``.npz`` trained on
the classifier's features), the file carries it as a second signature,
``one_digit``: input ``rows`` ``[n, k + 22]`` float32 (a candidate's
features, log-probabilities and geometry), output ``logits`` ``[n]``;
:func:`record_number_model` writes the search's weights in the model card.
Given a number model of pictures' candidates too (``--picture-number-model``,
:func:`digitpad.training.numbers.picture_candidate_table`), it carries that
one as a third signature, ``one_digit_picture``, of the same input and
output, and the card's ``number_model`` its weights as its ``picture`` entry.

Given a trajectory model (``--trajectory-model``, a ``.keras`` file of
:mod:`digitpad.training.trajectory`), it carries that one too as the
``trajectory`` signature: input ``points`` ``[n, 64, 5]`` float32
(:func:`digitpad.trajectory.trajectory_features`), output
``log_probabilities`` ``[n, 10]``; :func:`record_trajectory_model` writes its
``trajectory`` entry in the card, with the weight the recognizer blends it by
(:func:`digitpad.trajectory.blend`). The classifier's and the number models'
signatures are converted as without it.

Beside it, :func:`export_class_bank` writes the model's class bank
(:mod:`digitpad.training.bank`), which is kept with the model file's SHA-256:
``train_model.py`` writes both. Re-export an existing ``.keras`` file (same
weights) with its number model and its bank::

    python -m digitpad.training.export resources/model.keras resources/model.tflite \
        --number-model resources/number-model.npz --trajectory-model trajectory.keras \
        --data mnist.npz --pendigits pendigits-train.unipen --unipen unipen-dev.jsonl

TensorFlow is imported only when a model is exported, never on import.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from ..number_model import (
    INPUT,
    MARK_OUTPUT,
    OUTPUT,
    PICTURE_SIGNATURE,
    SIGNATURE,
    WEIGHTS,
    NumberModel,
    number_model_about,
)
from ..personal import BANK_FILE, ClassBank, model_digest
from ..predictor import Predictor, load_keras_model, with_features
from ..segment import GEOMETRY
from ..trajectory import CHANNELS, POINTS, WEIGHT
from ..trajectory import INPUT as TRAJECTORY_INPUT
from ..trajectory import OUTPUT as TRAJECTORY_OUTPUT
from ..trajectory import SIGNATURE as TRAJECTORY_SIGNATURE

__all__ = [
    "NUMBER_MODEL_OUTPUT_CARD",
    "OUTPUTS_CARD",
    "export_class_bank",
    "export_tflite",
    "forget_number_model",
    "forget_trajectory_model",
    "main",
    "record_number_model",
    "record_trajectory_model",
    "trajectory_about",
]

#: The ``outputs`` entry of a model card for a model written by :func:`export_tflite`.
OUTPUTS_CARD = {
    "probabilities": "[n, 10] softmax probabilities of the digits 0-9 (what ink is read by; "
    "pictures too when there is no picture_probabilities)",
    "picture_probabilities": "[n, 10] the same from a final layer trained on pictures of "
    "digits alone (MNIST and its styled copies): what pictures are read by",
    "features": "[n, k] input of the final classifier layer (penultimate features)",
}
#: ... and of the number model's output, for a model that carries one (its own signature).
NUMBER_MODEL_OUTPUT_CARD = {
    OUTPUT: f"[n] of the {SIGNATURE} signature: log-odds that a candidate digit of a number "
    "is exactly one digit, from its features, probabilities and geometry (number_model)",
    MARK_OUTPUT: f"[n] of the {SIGNATURE} signature, when the number model has it: log-odds "
    "that a candidate is a mark that is no part of a digit (a dash, a dot)",
}


def export_tflite(
    model,
    path: str | os.PathLike,
    number_model: NumberModel | str | os.PathLike | None = None,
    picture_number_model: NumberModel | str | os.PathLike | None = None,
    trajectory_model=None,
) -> None:
    """Write ``model`` as a LiteRT file with its probabilities and features outputs, and
    with ``number_model`` (a :class:`~digitpad.number_model.NumberModel` read from an
    ``.npz``, or the path of one) as its ``one_digit`` signature, and
    ``picture_number_model`` (the same, of pictures' candidates; only with a
    ``number_model``) as its ``one_digit_picture`` one, and ``trajectory_model`` (a
    Keras trajectory model, or the path of its ``.keras`` file) as its ``trajectory``
    one.

    The file appears at ``path`` complete or not at all (written beside it,
    then renamed).
    """
    if picture_number_model is not None and number_model is None:
        raise ValueError("a picture number model is carried beside a number model only")
    heads = {}
    for signature, head in ((SIGNATURE, number_model), (PICTURE_SIGNATURE, picture_number_model)):
        if head is None:
            continue
        if not isinstance(head, NumberModel):
            head = NumberModel(head)
        if head.arrays is None:
            raise ValueError(f"{head.path}: a number model to export must be an .npz of its arrays")
        heads[signature] = head
    if trajectory_model is not None and isinstance(trajectory_model, (str, os.PathLike)):
        trajectory_model = load_keras_model(Path(trajectory_model))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tflite", dir=path.parent)
    os.close(handle)
    try:
        with open(staging, "wb") as f:
            f.write(_convert(with_features(model), heads, trajectory_model))
        os.chmod(staging, 0o644)  # mkstemp makes it private; a model is for everyone to read
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)


def _convert(model, heads: dict[str, NumberModel], trajectory_model=None) -> bytes:
    """The LiteRT file of a Keras model (``serving_default``), of number models by
    signature (``one_digit``, ``one_digit_picture``) and of a trajectory model
    (``trajectory``), converted as Keras' own LiteRT export converts a model."""
    import functools

    import keras
    import tensorflow as tf

    (image,) = model.inputs
    archive = keras.export.ExportArchive()
    archive.track(model)
    # Named serving_default itself: from an archive whose first endpoint is "serve"
    # (Keras' own export), the converter keeps that one signature alone.
    archive.add_endpoint(
        "serving_default",
        functools.partial(model.__call__, training=False),
        # The batch dimension stays dynamic.
        input_signature=[
            keras.InputSpec(shape=(None, *image.shape[1:]), dtype=image.dtype, name=image.name)
        ],
    )
    for signature, number_model in heads.items():
        assert number_model.arrays is not None  # export_tflite checked
        width = number_model.feature_count + 10 + len(GEOMETRY)
        archive.add_endpoint(
            signature,
            _one_digit({name: tf.constant(a) for name, a in number_model.arrays.items()}),
            input_signature=[tf.TensorSpec([None, width], tf.float32, INPUT)],
        )
    if trajectory_model is not None:
        archive.track(trajectory_model)

        def trajectory(points):
            # A dict, so that the output is named in the signature.
            return {TRAJECTORY_OUTPUT: trajectory_model(points, training=False)}

        archive.add_endpoint(
            TRAJECTORY_SIGNATURE,
            trajectory,
            input_signature=[tf.TensorSpec([None, POINTS, CHANNELS], tf.float32, TRAJECTORY_INPUT)],
        )
    with tempfile.TemporaryDirectory() as saved_model:
        archive.write_out(saved_model, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS,
            tf.lite.OpsSet.SELECT_TF_OPS,
        ]
        converter.experimental_enable_resource_variables = True
        return converter.convert()


def _one_digit(a):
    """:meth:`digitpad.number_model.NumberModel.logits` in TensorFlow, of the arrays ``a``."""
    import tensorflow as tf

    def one_digit(rows):
        hidden = tf.nn.relu(tf.matmul((rows - a["mean"]) * a["scale"], a["w1"]) + a["b1"])
        outputs = tf.matmul(hidden, a["w2"]) + a["b2"]
        named = {OUTPUT: tf.reshape(outputs[:, 0], [-1])}
        if a["w2"].shape[1] == 2:
            named[MARK_OUTPUT] = tf.reshape(outputs[:, 1], [-1])
        return named

    return one_digit


def _number_model_outputs(number_model: NumberModel) -> dict[str, str]:
    """What a number model's signature outputs, for the model card."""
    outputs = {OUTPUT: "[n] log-odds that the candidate is exactly one digit"}
    if number_model.has_mark_output:
        outputs[MARK_OUTPUT] = "[n] log-odds that the candidate is a mark, no part of a digit"
    return outputs


def record_number_model(
    tflite_path: str | os.PathLike,
    number_model: NumberModel,
    picture_number_model: NumberModel | None = None,
) -> None:
    """Say in the model card beside ``tflite_path`` that the file carries
    ``number_model``: its ``one_digit`` signature in ``outputs`` and in
    ``number_model``, with the search's weights, which the app reads there; and
    ``picture_number_model`` (``one_digit_picture``) as ``number_model``'s ``picture``
    entry, or none. Without a card, one is written with the outputs and the number
    models alone."""
    tflite_path = Path(tflite_path)
    card_path = tflite_path.with_name("model-card.json")
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    if "outputs" not in card:
        exported = Predictor(tflite_path)
        card["outputs"] = {
            name: text
            for name, text in OUTPUTS_CARD.items()
            if name != "picture_probabilities" or exported.has_picture_output
        }
    card["outputs"].update(NUMBER_MODEL_OUTPUT_CARD)
    if not number_model.has_mark_output:
        del card["outputs"][MARK_OUTPUT]
    width = number_model.feature_count + 10 + len(GEOMETRY)
    carried: dict = {
        "file": tflite_path.name,
        "signature": SIGNATURE,
        "inputs": {
            INPUT: f"[n, {width}] float32: a candidate digit's {number_model.feature_count} "
            "features and 10 log-probabilities (floored at 1e-6) by the classifier, and its "
            f"{len(GEOMETRY)} geometry values (digitpad.segment.GEOMETRY)"
        },
        "outputs": _number_model_outputs(number_model),
        "what": number_model_about(number_model.has_mark_output),
    }
    # The carried fields first, then what the card said of its training.
    before = card.get("number_model", {})
    entry = {**carried, **before, **carried}
    entry.update({name: getattr(number_model, name) for name in WEIGHTS})
    entry.pop("picture", None)
    if picture_number_model is not None:
        carried = {
            **carried,
            "signature": PICTURE_SIGNATURE,
            "outputs": _number_model_outputs(picture_number_model),
            "what": carried["what"]
            + ", of the candidates of pictures (blobs of ink and their cuts)",
        }
        picture = {**carried, **(before.get("picture") or {}), **carried}
        picture.update({name: getattr(picture_number_model, name) for name in WEIGHTS})
        picture.pop("wide_blob", None)
        if picture_number_model.wide_blob is not None:
            picture["wide_blob"] = picture_number_model.wide_blob
        entry["picture"] = picture
    card["number_model"] = entry
    card_path.write_text(json.dumps(card, indent=2) + "\n")


def record_trajectory_model(
    tflite_path: str | os.PathLike, about: dict | None = None, weight: float = WEIGHT
) -> None:
    """Say in the model card beside ``tflite_path`` that the file carries a trajectory
    model (its ``trajectory`` signature), read with ``weight``
    (:func:`digitpad.trajectory.blend`); ``about`` is what its training says of it
    (``trajectory-card.json`` of :mod:`digitpad.training.trajectory`). Without a card,
    one is written with this entry alone."""
    tflite_path = Path(tflite_path)
    card_path = tflite_path.with_name("model-card.json")
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    about = dict(about or {})
    entry: dict = {
        "file": tflite_path.name,
        "signature": TRAJECTORY_SIGNATURE,
        "inputs": {
            TRAJECTORY_INPUT: f"[n, {POINTS}, {CHANNELS}] float32: the pen's path resampled "
            "in writing order, x, y, cos, sin, pen_up (digitpad.trajectory.trajectory_features)"
        },
        "outputs": {TRAJECTORY_OUTPUT: "[n, 10] log-probabilities of the digits 0-9"},
        "what": "a second view of ink digits, their pen trajectory: the recognizer reads each "
        "ink digit of its final reading as softmax((1 - weight) log p_classifier + weight "
        "log p_trajectory), before the profile and the convention (digitpad.trajectory.blend)",
        "weight": float(weight),
        "points": POINTS,
        "channels": CHANNELS,
    }
    # What the card said of its training stays where ``about`` does not say (a
    # re-export from a .keras without its training's card).
    before = card.get("trajectory") or {}
    for name in ("epochs", "width", "seed", "created", "parameters"):
        if name in about or name in before:
            entry[name] = about.get(name, before.get(name))
    trained_on = dict(before.get("trained_on") or {})
    trained_on.update(
        (name, about[name])
        for name in (
            "training_digits",
            "pendigits",
            "unipen",
            "held_out_sources",
            "held_out_writers",
            "validation_writers",
            "best_epoch",
            "distorted_copies",
            "styled_copies",
            "training_seconds",
        )
        if name in about
    )
    entry["trained_on"] = trained_on
    card["trajectory"] = entry
    card_path.write_text(json.dumps(card, indent=2) + "\n")


def forget_trajectory_model(tflite_path: str | os.PathLike) -> bool:
    """Take the trajectory model out of the card beside ``tflite_path`` (which carries
    none now); whether the card had one."""
    card_path = Path(tflite_path).with_name("model-card.json")
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError):
        return False
    if card.pop("trajectory", None) is None:
        return False
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    return True


def trajectory_about(keras_path: str | os.PathLike) -> dict:
    """What the training of the trajectory model ``keras_path`` says of it: its
    ``trajectory-card.json`` when there is one beside it (with the file's date as
    ``created`` when that does not say), else nothing."""
    keras_path = Path(keras_path)
    try:
        about = json.loads(keras_path.with_name("trajectory-card.json").read_text())
    except (OSError, ValueError):
        return {}
    if "created" not in about:
        import datetime

        stamp = datetime.datetime.fromtimestamp(keras_path.stat().st_mtime, datetime.UTC)
        about["created"] = stamp.isoformat(timespec="seconds")
    return about


def forget_number_model(tflite_path: str | os.PathLike) -> bool:
    """Take the number model out of the card beside ``tflite_path`` (which carries none
    now); whether the card had one."""
    card_path = Path(tflite_path).with_name("model-card.json")
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError):
        return False
    had = card.pop("number_model", None) is not None
    had = (card.get("outputs") or {}).pop(OUTPUT, None) is not None or had
    had = (card.get("outputs") or {}).pop(MARK_OUTPUT, None) is not None or had
    if had:
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    return had


def export_class_bank(tflite_path: str | os.PathLike, sources, **about) -> Path:
    """Build the class bank of the model file ``tflite_path`` from the training digits
    ``sources`` (:func:`digitpad.training.bank.bank_sources`) and write it beside
    the model as :data:`~digitpad.personal.BANK_FILE`; returns its path."""
    from .bank import build_class_bank, write_class_bank

    tflite_path = Path(tflite_path)
    features, labels = build_class_bank(Predictor(tflite_path), sources)
    path = tflite_path.with_name(BANK_FILE)
    write_class_bank(path, features, labels, tflite_path, **about)
    return path


def _bank_is_for(bank: Path, model: Path) -> bool:
    try:
        return ClassBank.read(bank).model_sha256 == model_digest(model)
    except (OSError, ValueError, KeyError):
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digitpad.training.export",
        description="Export a .keras digit classifier to a .tflite with probabilities "
        "and penultimate features outputs, and with its number model.",
    )
    parser.add_argument("keras_model", type=Path, help="the .keras file")
    parser.add_argument("tflite_model", type=Path, help="the .tflite file to write")
    parser.add_argument(
        "--number-model",
        type=Path,
        help="the number model (.npz) of this classifier, for the .tflite to carry; "
        "without it the .tflite carries none, and numbers are read by the box rules",
    )
    parser.add_argument(
        "--picture-number-model",
        type=Path,
        help="the number model (.npz) of pictures' candidates, for the .tflite to carry "
        "beside --number-model; without it pictures are read with the number model",
    )
    parser.add_argument(
        "--trajectory-model",
        type=Path,
        help="the trajectory model (.keras, python -m digitpad.training.trajectory) for the "
        ".tflite to carry as its trajectory signature; without it ink is read by the "
        "picture classifier alone",
    )
    parser.add_argument(
        "--trajectory-weight",
        type=float,
        default=WEIGHT,
        help=f"the trajectory's weight in the blend, written in the card (default {WEIGHT})",
    )
    parser.add_argument("--data", type=Path, help="MNIST, to write the class bank too")
    parser.add_argument("--pendigits", type=Path, help="pen digits (UNIPEN) for the bank")
    parser.add_argument("--unipen", type=Path, help="UNIPEN JSON lines: their digits too")
    args = parser.parse_args(argv)
    from .bank import bank_sources
    from .data import DataError, load_mnist, load_pendigits, load_unipen_digits

    sources = None
    try:  # the data first: a missing file must not leave a model without its bank
        if args.data:
            (x_train, y_train), _, _ = load_mnist(args.data)
            pen = load_pendigits(args.pendigits)[0] if args.pendigits else []
            pen += load_unipen_digits(args.unipen)[0] if args.unipen else []
            sources = bank_sources(x_train, y_train, pen)
        number_model = NumberModel(args.number_model) if args.number_model else None
        picture_number_model = (
            NumberModel(args.picture_number_model, kind="picture")
            if args.picture_number_model
            else None
        )
        if picture_number_model is not None and number_model is None:
            raise ValueError("--picture-number-model is carried beside --number-model only")
    except (DataError, OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    model = load_keras_model(args.keras_model)
    trajectory = None
    if args.trajectory_model:
        if not args.trajectory_model.is_file():
            print(f"error: {args.trajectory_model}: no such file", file=sys.stderr)
            return 2
        trajectory = load_keras_model(args.trajectory_model)
    export_tflite(model, args.tflite_model, number_model, picture_number_model, trajectory)
    print(f"written {args.tflite_model}")
    card = args.tflite_model.with_name("model-card.json")
    if trajectory is not None:
        about = trajectory_about(args.trajectory_model)
        record_trajectory_model(args.tflite_model, about, args.trajectory_weight)
        print(f"written {card} (the trajectory model's entry)")
    elif forget_trajectory_model(args.tflite_model):
        print(
            f"note: {args.tflite_model} carries no trajectory model now, and {card} no longer "
            "names one: ink is read by the picture classifier alone (give --trajectory-model)",
            file=sys.stderr,
        )
    if number_model is not None:
        record_number_model(args.tflite_model, number_model, picture_number_model)
        print(f"written {card} (the number model's search weights)")
    elif forget_number_model(args.tflite_model):
        print(
            f"note: {args.tflite_model} carries no number model now, and {card} no longer "
            "names one: numbers are read by the box rules (give --number-model)",
            file=sys.stderr,
        )
    bank = args.tflite_model.with_name(BANK_FILE)
    if sources is not None:
        about = {"mnist": str(args.data), "pen": str(args.pendigits or "")}
        if args.unipen:
            about["unipen"] = str(args.unipen)
        export_class_bank(args.tflite_model, sources, **about)
        print(f"written {bank}")
    elif bank.exists() and not _bank_is_for(bank, args.tflite_model):
        print(
            f"note: {bank} was built for another model and will not be used "
            "(give --data and --pendigits to rebuild it)",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

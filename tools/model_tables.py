"""Write the model card's figures as markdown tables for docs/model.md.

    python tools/model_tables.py           # print the tables
    python tools/model_tables.py --write   # put them into docs/model.md, between the markers
    python tools/model_tables.py --check   # exit with 1 when docs/model.md is out of date

The tables come from ``resources/model-card.json``, which ``train_model.py``
writes beside the model it trains: run ``--write`` after retraining. They
replace whatever lies between ``<!-- model-card-table -->`` and
``<!-- /model-card-table -->`` in the page.

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "resources" / "model-card.json"
PAGE = ROOT / "docs" / "model.md"
BEGIN, END = "<!-- model-card-table -->", "<!-- /model-card-table -->"

#: What each test set of the card's ``test`` holds, in the order shown.
TEST_SETS = {
    "mnist": "MNIST test, read as pictures",
    "mnist_read_as_ink": "MNIST test, read by the ink layer",
    "pen_held_out_writers": "pen digits of the held-out writers, as ink",
    "mnist_validation": "MNIST validation digits, as pictures",
    "mnist_validation_read_as_ink": "MNIST validation digits, read by the ink layer",
    "mnist_validation_unseen_writers": "those by writers never trained on, as pictures",
    "mnist_validation_unseen_writers_read_as_ink": "the same, read by the ink layer",
    "unipen_held_out_sources": "UNIPEN digits of the held-out sources (tablets), as ink",
}
#: The columns of the per-digit table: MNIST test as each layer reads it.
PER_DIGIT = {"mnist": "as pictures", "mnist_read_as_ink": "by the ink layer"}


def label(test_set: str) -> str:
    """The table's words for a test set of the card."""
    if test_set in TEST_SETS:
        return TEST_SETS[test_set]
    if test_set.startswith("unipen_"):
        return f"UNIPEN digits of source `{test_set.removeprefix('unipen_')}` (held out), as ink"
    return test_set


def percent(fraction: float) -> str:
    return f"{fraction:.2%}"


def misreadings(matrix: list[list[int]], digit: int) -> str:
    """What ``digit`` was read as instead, most often first: ``"4 ×6, 7 ×2"``; ``"-"``: never."""
    wrong = [(-count, other) for other, count in enumerate(matrix[digit]) if other != digit]
    return ", ".join(f"{other} ×{-count}" for count, other in sorted(wrong) if count) or "-"


def tables(card: dict) -> str:
    """The card's headline figures and its per-digit accuracy, as markdown."""
    tests = {name: scores for name, scores in card["test"].items() if scores}
    names = [name for name in TEST_SETS if name in tests]
    names += sorted(set(tests) - set(TEST_SETS))
    lines = ["| figure | value |", "| --- | --- |"]
    for name in names:
        scores = tests[name]
        lines.append(
            f"| {label(name)} | **{percent(scores['accuracy'])}** of "
            f"{scores['count']:,} digits (loss {scores['loss']:.4f}) |"
        )
    shown = [name for name in PER_DIGIT if name in tests]
    sevens = ", ".join(
        f"{tests[name]['confusion_matrix'][7][1]} {PER_DIGIT[name]}" for name in shown
    )
    if sevens:
        lines.append(f"| MNIST test 7s read as 1 | {sevens} |")
    hyper = card["hyperparameters"]
    lines.append(
        f"| training | recipe `{card['recipe']}`, {hyper['parameters']:,} parameters, "
        f"{hyper['epochs']} epochs ({hyper['clean_epochs']} without augmentation), batch "
        f"{hyper['batch_size']}, seed {card['seed']}; {card['training_seconds'] / 60:.1f} min "
        f"wall, {card['training_cpu_seconds'] / 60:.1f} CPU-minutes on "
        f"{card['machine']['cpus']} cores, {card['machine']['gpus']} GPUs |"
    )
    pen = card["data"].get("pendigits")
    if pen:
        lines.append(
            f"| pen training data | {pen['training_digits']:,} digits of "
            f"{len(pen['training_writers'])} writers, rendered into "
            f"{pen['rendered_training_images']:,} images; held out: "
            f"{', '.join(map(str, pen['held_out_writers'])) or 'none'} |"
        )
    unipen = card["data"].get("unipen")
    if unipen and "training_digits" in unipen:
        lines.append(
            f"| UNIPEN training data | {unipen['training_digits']:,} digits of "
            f"{unipen['training_writers']} writers on {len(unipen['training_sources'])} tablets "
            f"({', '.join(unipen['training_sources'])}), rendered into "
            f"{unipen['rendered_training_images']:,} images; held out: "
            f"{', '.join(unipen['held_out_sources']) or 'none'} |"
        )
    versions = ", ".join(f"{name} {version}" for name, version in card["versions"].items())
    lines.append(f"| trained with | {versions}; {card['created']} |")

    if shown:
        head = " | ".join(f"MNIST test {PER_DIGIT[name]}" for name in shown)
        lines += ["", f"| digit | {head} | read instead, {PER_DIGIT[shown[0]]} |"]
        lines.append("| --- |" + " --- |" * (len(shown) + 1))
        for digit in range(10):
            cells = " | ".join(
                percent(tests[name]["per_class_accuracy"][str(digit)]) for name in shown
            )
            wrong = misreadings(tests[shown[0]]["confusion_matrix"], digit)
            lines.append(f"| {digit} | {cells} | {wrong} |")
    return "\n".join(lines) + "\n"


def updated(page: str, table: str) -> str:
    """``page`` with ``table`` between the markers; ValueError when they are missing."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the page has no {BEGIN} ... {END} markers")
    # Blank lines around the table keep the markers out of it in any markdown reader.
    return page[: start + len(BEGIN)] + "\n\n" + table + "\n" + page[end:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--card", type=Path, default=CARD, help="default: %(default)s")
    parser.add_argument("--page", type=Path, default=PAGE, help="default: %(default)s")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update the page in place")
    mode.add_argument("--check", action="store_true", help="exit with 1 when the page differs")
    args = parser.parse_args(argv)

    table = tables(json.loads(args.card.read_text()))
    if not (args.write or args.check):
        sys.stdout.write(table)
        return 0
    page = args.page.read_text()
    try:
        new = updated(page, table)
    except ValueError as error:
        print(f"model_tables.py: error: {args.page}: {error}", file=sys.stderr)
        return 2
    if args.check:
        if new != page:
            print(
                f"{args.page} is out of date with {args.card}: "
                "run python tools/model_tables.py --write",
                file=sys.stderr,
            )
            return 1
        return 0
    args.page.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())

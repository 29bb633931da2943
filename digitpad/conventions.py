"""How a person writes their 1s and 7s, and reading their digits accordingly.

One person's 1 is another's 7: a 1 with a long flag is a continental
writer's 1 and, to someone who writes a 1 as a plain stick, a 7 with a short
bar. The network cannot know which hand it reads; the person can say:

* ``"flagged-one"``: a 1 with a flag (and maybe a base), a 7 crossed;
* ``"plain-one"``: a 1 as a plain stick, a 7 without a bar.

A convention moves the balance between 1 and 7 only: the log-odds of 1
against 7 shift by :data:`SHIFTS` towards the digit that this hand's ambiguous
shape is (a flagged-one writer's stroke with a flag is their 1, since their 7s
are crossed). A clear digit stays as it was: a crossed 7 reads 7 under any
convention, and no other digit's probability moves.

>>> adjusted = apply_convention(probabilities, "flagged-one")  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

__all__ = ["CONVENTIONS", "SHIFTS", "apply_convention", "check_convention"]

#: Convention name -> what the person is told it means.
CONVENTIONS = {
    "flagged-one": "1 with a flag, 7 crossed",
    "plain-one": "1 as a plain stick, 7 without a bar",
}

#: How far each convention moves the log-odds of 1 against 7 (6: about 400 to 1), chosen
#: on the held-out UCI pen writers given each hand, with a model trained without them
#: (benchmarks/conventions.py --part tune): the smallest shift within one error of the
#: fewest errors in the convention's own hand.
SHIFTS = {"flagged-one": 6.0, "plain-one": 1.0}

_FAVOURED = {"flagged-one": 1, "plain-one": 7}


def check_convention(convention: str | None) -> str | None:
    """``convention`` if it is one of :data:`CONVENTIONS` or None; ValueError otherwise."""
    if convention is not None and convention not in CONVENTIONS:
        known = ", ".join(CONVENTIONS)
        raise ValueError(f"unknown writing convention {convention!r} (known: {known})")
    return convention


def apply_convention(
    probabilities: np.ndarray, convention: str | None, shift: float | None = None
) -> np.ndarray:
    """``probabilities`` (``[n, 10]``) as read by a hand of ``convention``.

    The mass of 1 and 7 together is kept and split anew with their log-odds
    moved by ``shift`` (default: the convention's, :data:`SHIFTS`) towards the
    convention's favoured digit; every other digit keeps its probability. None
    returns ``probabilities`` unchanged.
    """
    checked = check_convention(convention)
    if checked is None:
        return probabilities
    shift = SHIFTS[checked] if shift is None else shift
    favoured = _FAVOURED[checked]
    other = 8 - favoured  # 1 <-> 7
    adjusted = np.array(probabilities, dtype=np.float32, copy=True)
    pair = adjusted[:, favoured] + adjusted[:, other]
    tiny = np.float32(1e-12)
    log_odds = np.log(adjusted[:, favoured] + tiny) - np.log(adjusted[:, other] + tiny)
    share = 1.0 / (1.0 + np.exp(-(log_odds + shift)))
    adjusted[:, favoured] = pair * share
    adjusted[:, other] = pair * (1.0 - share)
    return adjusted

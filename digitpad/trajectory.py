"""The pen's trajectory as a fixed-size sequence, for a model that reads how a digit was written.

The picture of a digit loses the order and direction of its strokes, which
tell apart some digits whose pictures look alike (a 5 without its top bar
and a 3, a 2 written like a crossed Z and a 7). :func:`trajectory_features`
keeps them: the strokes, joined in writing order by the pen's travel between
them, resampled to :data:`POINTS` points at equal steps along that path.

Each point has :data:`CHANNELS` values:

``x``, ``y``
    The position, in the ink's frame (y down, as in :class:`~digitpad.ink.Ink`),
    centred on the middle of the ink's box and divided by its longer side:
    within ``[-0.5, 0.5]``, the same for any translation or size of the ink,
    and a narrow digit (a 1) stays narrow.
``cos``, ``sin``
    The direction of travel from this point to the next (the last point
    keeps the direction of the one before); both 0 where the path does not
    move (ink that is a single dot).
``pen_up``
    1 where the point lies on the travel between two strokes (the pen in
    the air), else 0.

Numpy only: the app can compute it without TensorFlow.
"""

from __future__ import annotations

import numpy as np

from .ink import Ink

__all__ = ["CHANNELS", "POINTS", "trajectory_features"]

#: Points of the resampled trajectory.
POINTS = 64

#: Values per point: x, y, cos, sin, pen_up.
CHANNELS = 5


def trajectory_features(ink: Ink, points: int = POINTS) -> np.ndarray | None:
    """The trajectory of ``ink`` as a float32 array of shape ``(points, CHANNELS)``.

    None for empty ink. Moving or scaling the ink (by a positive factor)
    leaves the result unchanged, up to rounding; writing the same strokes
    in another order or direction changes it.
    """
    strokes = [s[:, :2] for s in ink.strokes if len(s)]
    if not strokes:
        return None
    path = np.concatenate(strokes)
    # Segment i joins path[i] and path[i + 1]; the one that leaves a stroke's
    # last point is the pen's travel in the air to the next stroke.
    ends = np.cumsum([len(s) for s in strokes])[:-1] - 1
    in_air = np.zeros(max(len(path) - 1, 0), dtype=bool)
    in_air[ends] = True

    x0, y0 = path.min(axis=0)
    x1, y1 = path.max(axis=0)
    extent = max(x1 - x0, y1 - y0)
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    # A dot has no extent: any scale keeps it at the centre.
    xy = (path - centre) / (extent if extent > 0 else 1.0)

    steps = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    distance = np.concatenate([[0.0], np.cumsum(steps)])
    total = distance[-1]
    out = np.zeros((points, CHANNELS), dtype=np.float32)
    if total <= 0:  # one point, or all points in one place
        out[:, :2] = xy[0]
        return out

    at = np.linspace(0.0, total, points)
    # The segment each sample falls on; zero-length segments are never chosen
    # (searchsorted skips repeated distances), so the division below is safe.
    segment = np.clip(np.searchsorted(distance, at, side="right") - 1, 0, len(steps) - 1)
    part = (at - distance[segment]) / np.where(steps[segment] > 0, steps[segment], 1.0)
    sampled = xy[segment] + part[:, None] * (xy[segment + 1] - xy[segment])

    delta = np.diff(sampled, axis=0)
    delta = np.concatenate([delta, delta[-1:]])
    length = np.linalg.norm(delta, axis=1, keepdims=True)
    direction = np.divide(delta, length, out=np.zeros_like(delta), where=length > 0)

    out[:, 0:2] = sampled
    out[:, 2:4] = direction
    out[:, 4] = in_air[segment]
    return out

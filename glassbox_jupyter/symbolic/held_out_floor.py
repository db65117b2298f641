"""The teacher's error floor from held-out data: how far the network itself is from the law it learned.

A network's error against the law it approximates is, for a smooth network, smooth too: it grows like an
analytic function's under local polynomial fits at every scale, so no probe of the network alone can see it
(``structure_floor`` measures only what is *not* smooth: noise, kinks, roundoff). Measured on the MLP
teachers of ``benchmarks/bench_symbolic.py``, local cubic fits at a half-width of 8% of the box leave
residuals 100-1000× below the networks' real error.

Rows the network was not trained on, with their true outputs, do show it: the RMS of ``teacher(X) − y``
on them. A law that the teacher fits as well as the data can tell has a validation loss (its mean squared
distance from the teacher on the probes) of about that floor squared; a longer search can find larger
expressions that also fit the network's own error and lose less, and the pick (``search.choose_best`` with
``floor_mse``) does not prefer them for a gain below the floor.

Example:
    >>> import numpy as np
    >>> from glassbox_jupyter import InputSpec, Teacher
    >>> spec = InputSpec(names=["x"], low=0, high=1)
    >>> teacher = Teacher(lambda X: X[:, 0] ** 2 + 0.01, spec)
    >>> X = np.linspace(0, 1, 50)[:, None]
    >>> floor = held_out_floor(teacher, X, X[:, 0] ** 2)
    >>> round(floor[0].rms, 4), floor[0].n
    (0.01, 50)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Fewest held-out rows a floor is measured on.
MIN_ROWS = 20
#: The pick counts a candidate as fitting the teacher as well as the law does when its validation loss is at
#: most this many times the floor's mean squared error: the floor and the loss are two estimates of one
#: quantity on different rows (the data's distribution, the probes' box), each with sampling error.
FLOOR_FACTOR = 2.0


@dataclass(frozen=True)
class HeldOutFloor:
    """The teacher's RMS error on ``n`` held-out rows for one output."""

    output: str
    rms: float
    n: int

    @property
    def mse(self) -> float:
        return self.rms**2

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "rms": self.rms,
            "n": self.n,
            "source": "held-out rows: RMS of teacher − true output",
            "pick_rule": f"simplest equation with validation loss ≤ {FLOOR_FACTOR:g} × rms²",
        }

    def describe(self) -> str:
        return f"the teacher's RMS error on {self.n} held-out rows is {self.rms:.3g}"


def held_out_floor(teacher: Any, X: Any, y: Any) -> list[HeldOutFloor]:
    """The teacher's error floor per output from held-out rows ``X`` ``[n inputs]`` and their true outputs
    ``y`` (``[n]`` or ``[n outputs]``): rows the network was not trained on, e.g. its test split."""
    spec = teacher.require_spec()
    if teacher.task == "classification":
        raise ValueError(
            "held_out measures a regression teacher's error on true outputs; for a classifier math mode fits "
            "class probabilities, which held-out labels do not give: leave held_out out"
        )
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[1] != spec.width:
        raise ValueError(
            f"held_out X must be [rows, {spec.width}] (the teacher's inputs {list(spec.names)}), got shape {X.shape}"
        )
    y = y[:, None] if y.ndim == 1 else y
    outputs = list(teacher.output_names)
    if y.ndim != 2 or y.shape[0] != X.shape[0] or y.shape[1] != len(outputs):
        raise ValueError(
            f"held_out y must have one row per X row and {len(outputs)} column(s) ({outputs}), got shape {y.shape} "
            f"for {X.shape[0]} rows"
        )
    if len(X) < MIN_ROWS:
        raise ValueError(f"held_out needs at least {MIN_ROWS} rows to measure the teacher's error, got {len(X)}")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("held_out contains NaN or infinite values; drop those rows")
    predicted = np.asarray(teacher(X), dtype=float).reshape(len(X), -1)
    error = np.sqrt(np.mean((predicted - y) ** 2, axis=0))
    return [HeldOutFloor(name, float(e), len(X)) for name, e in zip(outputs, error)]

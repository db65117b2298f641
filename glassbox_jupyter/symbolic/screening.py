"""Feature screening for teachers with many inputs: keep the ones the teacher is sensitive to.

Sensitivity is permutation based: shuffle one input column of the probes, ask the teacher again,
and measure the mean squared change of its output relative to the output's variance. Inputs
below ``threshold`` (or beyond ``max_features``, most sensitive first) are dropped, and the
report says which and why.

Example:
    >>> import numpy as np
    >>> from glassbox_jupyter import InputSpec, Teacher
    >>> spec = InputSpec(names=[f"x{i}" for i in range(12)], low=0, high=1)
    >>> teacher = Teacher(lambda X: 3 * X[:, 0] + X[:, 5] ** 2, spec)
    >>> report = screen_features(teacher, np.random.default_rng(0).random((500, 12)), output=0)
    >>> report.kept
    [0, 5]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ScreeningReport:
    """Which inputs were kept for the search, which were dropped, and their sensitivities."""

    kept: list[int]
    dropped: list[int]
    sensitivity: dict[int, float] = field(default_factory=dict)
    reason: str = ""
    rows: int | None = None  # probe rows the sensitivities were measured on (None: not measured)

    def describe(self, names: tuple[str, ...]) -> str:
        if not self.dropped:
            return "all inputs kept"
        dropped = ", ".join(f"{names[i]} ({self.sensitivity[i]:.2%})" for i in self.dropped[:12])
        more = f" and {len(self.dropped) - 12} more" if len(self.dropped) > 12 else ""
        return f"dropped {len(self.dropped)} of {len(names)} inputs ({self.reason}): {dropped}{more}"

    def to_dict(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {
            "kept": [names[i] for i in self.kept],
            "dropped": [names[i] for i in self.dropped],
            "sensitivity": {names[i]: round(v, 6) for i, v in self.sensitivity.items()},
            "reason": self.reason,
            "rows": self.rows,
        }


#: Input values one batched teacher call of the screening holds (rows × inputs): 2^23 float64 are 64 MB.
#: Columns are permuted and asked in groups that fit, so memory does not grow with inputs² (an MNIST-sized
#: teacher, 784 inputs and 2,000 probes, would otherwise stack 784 copies of the probes: about 10 GB).
SCREENING_VALUES_PER_CALL = 2**23
#: Input values a whole screening asks for (rows × inputs²) before it samples rows: 2^28.
SCREENING_VALUES = 2**28


def permutation_sensitivity(
    teacher: Any, X: np.ndarray, output: int, seed: int = 0, values_per_call: int = SCREENING_VALUES_PER_CALL
) -> np.ndarray:
    """Mean squared change of the teacher's output when each input column is shuffled, / var(y).

    The columns' permuted copies are stacked into batched teacher calls of at most ``values_per_call``
    input values each (at least one column per call), in column order, so the result does not depend on
    the grouping: the same seed gives the same sensitivities whatever the budget.
    """
    rng = np.random.default_rng(seed)
    n, width = X.shape
    base = teacher(X)[:, output]
    scale = float(np.var(base)) or 1.0
    per_call = max(1, int(values_per_call) // max(1, n * width))
    out = np.empty(width)
    for start in range(0, width, per_call):
        columns = range(start, min(width, start + per_call))
        stacked = np.repeat(X[None, :, :], len(columns), axis=0)
        for k, j in enumerate(columns):
            stacked[k, :, j] = rng.permutation(X[:, j])
        moved = teacher(stacked.reshape(-1, width))[:, output].reshape(len(columns), n)
        out[start : start + len(columns)] = np.mean((moved - base[None, :]) ** 2, axis=1) / scale
    return out


def screen_features(
    teacher: Any,
    X: np.ndarray,
    output: int,
    max_features: int = 10,
    threshold: float = 0.01,
    seed: int = 0,
) -> ScreeningReport:
    """Keep at most ``max_features`` inputs whose sensitivity is at least ``threshold`` × the largest.

    Screening asks the teacher rows × inputs² values; for wide inputs it uses a seeded sample of at most
    :data:`SCREENING_VALUES` / inputs² rows (at least 200; 436 of them at 784 inputs), so it stays a small
    part of a time-limited search. The report says how many rows were used.
    """
    width = X.shape[1]
    rows = min(len(X), max(200, SCREENING_VALUES // max(1, width * width)))
    if rows < len(X):
        X = X[np.sort(np.random.default_rng(seed).choice(len(X), rows, replace=False))]
    sensitivity = permutation_sensitivity(teacher, X, output, seed)
    order = [int(i) for i in np.argsort(sensitivity)[::-1]]
    top = sensitivity[order[0]] if len(order) else 0.0
    kept = [i for i in order if sensitivity[i] >= threshold * top][:max_features] or order[:1]
    dropped = [i for i in order if i not in kept]
    reasons = []
    if any(sensitivity[i] < threshold * top for i in dropped):
        reasons.append(f"sensitivity below {threshold:.0%} of the strongest input")
    if any(sensitivity[i] >= threshold * top for i in dropped):
        reasons.append(f"only the {max_features} most sensitive inputs are searched")
    return ScreeningReport(
        kept=sorted(kept),
        dropped=dropped,
        sensitivity={i: float(sensitivity[i]) for i in range(X.shape[1])},
        reason="; ".join(reasons),
        rows=len(X),
    )

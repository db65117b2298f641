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
        }


def permutation_sensitivity(teacher: Any, X: np.ndarray, output: int, seed: int = 0) -> np.ndarray:
    """Mean squared change of the teacher's output when each input column is shuffled, / var(y)."""
    rng = np.random.default_rng(seed)
    base = teacher(X)[:, output]
    scale = float(np.var(base)) or 1.0
    # one batched call: every column's permuted copy stacked
    stacked = np.repeat(X[None, :, :], X.shape[1], axis=0)
    for j in range(X.shape[1]):
        stacked[j, :, j] = rng.permutation(X[:, j])
    moved = teacher(stacked.reshape(-1, X.shape[1]))[:, output].reshape(X.shape[1], len(X))
    return np.mean((moved - base[None, :]) ** 2, axis=1) / scale


def screen_features(
    teacher: Any,
    X: np.ndarray,
    output: int,
    max_features: int = 10,
    threshold: float = 0.01,
    seed: int = 0,
) -> ScreeningReport:
    """Keep at most ``max_features`` inputs whose sensitivity is at least ``threshold`` × the largest."""
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
    )

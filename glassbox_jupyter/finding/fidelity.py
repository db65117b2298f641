"""Fidelity: how well a readable artifact matches its teacher on held-out probes.

Every number comes with a percentile-bootstrap confidence interval, so a reader can tell a
0.91 from a lucky 0.91.

Example:
    >>> import numpy as np
    >>> truth = np.linspace(0, 1, 200)
    >>> fid = r2_fidelity(truth, truth + 0.01 * np.sin(40 * truth))
    >>> fid.metric, round(fid.value, 3) > 0.99, fid.ci_low <= fid.ci_high
    ('r2', True, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

METRICS = {
    "r2": "coefficient of determination (R²) of the student's outputs against the teacher's",
    "agreement": "share of held-out probes where the student and the teacher give the same class",
}


@dataclass(frozen=True)
class Fidelity:
    """A fidelity measurement: ``value`` with a bootstrap CI over ``n`` held-out probes."""

    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    confidence: float = 0.95
    n_boot: int = 1000
    split: str = "held-out"

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown fidelity metric {self.metric!r}; known: {sorted(METRICS)}")

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for captions and reports, e.g. ``R² = 0.912 [0.90, 0.92] on 500 held-out probes``."""
        name = "R²" if self.metric == "r2" else "agreement"
        return (
            f"{name} = {self.value:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] "
            f"({self.confidence:.0%} CI) on {self.n} {self.split} probes"
        )

    def __str__(self) -> str:
        return self.describe()


def _r2_rows(truth: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """R² for each row of (n_boot, n) resampled arrays; constant truth gives nan."""
    residual = ((truth - guess) ** 2).sum(axis=-1)
    total = ((truth - truth.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)


def _bootstrap(
    statistic: Any, arrays: tuple[np.ndarray, ...], n_boot: int, confidence: float, seed: int
) -> tuple[float, float]:
    n = len(arrays[0])
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, n_boot, 200):  # chunks keep memory at 200 × n
        rows = rng.integers(0, n, size=(min(200, n_boot - start), n))
        values.append(statistic(*(a[rows] for a in arrays)))
    samples = np.concatenate(values)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return (float("nan"), float("nan"))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha])
    return float(low), float(high)


def _prepare(truth: Any, guess: Any) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(truth, dtype=float).reshape(len(truth), -1)
    guess = np.asarray(guess, dtype=float).reshape(len(guess), -1)
    if truth.shape != guess.shape:
        raise ValueError(f"teacher outputs {truth.shape} and student outputs {guess.shape} differ in shape")
    if len(truth) < 2:
        from glassbox_jupyter.errors import EmptyProbeError

        raise EmptyProbeError(f"fidelity needs at least 2 held-out probes, got {len(truth)}")
    return truth, guess


def r2_fidelity(truth: Any, guess: Any, *, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0) -> Fidelity:
    """R² of ``guess`` against ``truth`` (averaged over outputs) with a bootstrap CI.

    A constant teacher output has no variance to explain; that raises a clear error.
    """
    truth, guess = _prepare(truth, guess)
    if np.all(truth.std(axis=0) == 0):
        raise ValueError(
            "the teacher's output is constant on these probes, so R² is undefined; widen the "
            "spec bounds or probe a different output"
        )
    value = float(np.nanmean(_r2_rows(truth.T, guess.T)))

    def statistic(t: np.ndarray, g: np.ndarray) -> np.ndarray:  # t, g: (boot, n, outputs)
        return np.nanmean(_r2_rows(np.moveaxis(t, 2, 1), np.moveaxis(g, 2, 1)), axis=1)

    low, high = _bootstrap(statistic, (truth, guess), n_boot, confidence, seed)
    return Fidelity("r2", value, low, high, n=len(truth), confidence=confidence, n_boot=n_boot)


def agreement_fidelity(
    truth_labels: Any, guess_labels: Any, *, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0
) -> Fidelity:
    """Share of probes where the predicted labels agree, with a bootstrap CI."""
    truth, guess = _prepare(truth_labels, guess_labels)
    same = np.all(truth == guess, axis=1).astype(float)
    low, high = _bootstrap(lambda s: s.mean(axis=1), (same,), n_boot, confidence, seed)
    return Fidelity("agreement", float(same.mean()), low, high, n=len(same), confidence=confidence, n_boot=n_boot)

"""The audit's measures with seeded percentile-bootstrap CIs, resampling base contexts (a cluster bootstrap).

Probes made from the same base context are not independent (they share every other variable), so the
bootstrap resamples whole contexts and recomputes each ratio from the resampled sums.

Example:
    >>> import numpy as np
    >>> value, low, high = ratio_ci(np.array([0, 1, 2, 0]), np.array([2, 2, 2, 2]), seed=0)
    >>> round(value, 3), low <= value <= high
    (0.375, True)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from glassbox_jupyter.finding.stats import bootstrap_samples, interval_from_samples


@dataclass(frozen=True)
class Estimate:
    """A measured share with its bootstrap CI over ``n`` items from ``n_contexts`` base contexts."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    n_contexts: int

    @property
    def excludes_zero(self) -> bool:
        return bool(np.isfinite(self.ci_low) and self.ci_low > 0)

    def to_dict(self) -> dict[str, float | int | None]:
        def clean(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        return {
            "value": clean(self.value),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
            "n": self.n,
            "n_contexts": self.n_contexts,
        }


def _ratios(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Sum of numerators over sum of denominators along the resampled contexts (axis 1)."""
    return numerator.sum(1) / denominator.sum(1)


def _interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval, NaN at both ends when no resample gave a finite value."""
    interval = interval_from_samples(samples, confidence)
    return interval if interval is not None else (float("nan"), float("nan"))


def ratio_ci(
    numerator: np.ndarray,
    denominator: np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | list[int] = 0,
) -> tuple[float, float, float]:
    """``sum(numerator) / sum(denominator)`` over contexts, with a cluster-bootstrap CI (NaN when empty)."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    keep = den > 0
    num, den = num[keep], den[keep]
    if den.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    value = float(num.sum() / den.sum())
    samples = bootstrap_samples(_ratios, num, den, n_boot=n_boot, seed=seed)
    return (value, *_interval(samples, confidence))


def estimate(
    numerator: np.ndarray, denominator: np.ndarray, *, n_boot: int, confidence: float, seed: int | list[int]
) -> Estimate:
    """:func:`ratio_ci` as an :class:`Estimate` (``n`` = total of the denominator)."""
    value, low, high = ratio_ci(numerator, denominator, n_boot=n_boot, confidence=confidence, seed=seed)
    den = np.asarray(denominator, dtype=float)
    return Estimate(value, low, high, int(den.sum()), int(np.count_nonzero(den > 0)))


def group_rates(
    positive: np.ndarray, answered: np.ndarray, *, n_boot: int, confidence: float, seed: int | list[int]
) -> tuple[list[Estimate], Estimate]:
    """Positive rate per group and the largest difference between groups (demographic parity difference).

    ``positive`` and ``answered`` are ``(contexts, groups)`` counts; contexts are resampled together, so the
    groups' rates stay paired.
    """
    pos = np.asarray(positive, dtype=float)
    ans = np.asarray(answered, dtype=float)
    keep = ans.sum(1) > 0
    pos, ans = pos[keep], ans[keep]
    n_groups = pos.shape[1]
    if pos.shape[0] == 0:
        nan = float("nan")
        return [Estimate(nan, nan, nan, 0, 0) for _ in range(n_groups)], Estimate(nan, nan, nan, 0, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = pos.sum(0) / ans.sum(0)
        boot = bootstrap_samples(_ratios, pos, ans, n_boot=n_boot, seed=seed)
    per_group = []
    for g in range(n_groups):
        low, high = _interval(boot[:, g], confidence)
        per_group.append(Estimate(float(rates[g]), low, high, int(ans[:, g].sum()), int(np.count_nonzero(ans[:, g]))))
    finite = np.isfinite(rates)
    gap = float(np.nanmax(rates) - np.nanmin(rates)) if finite.sum() >= 2 else float("nan")
    with warnings.catch_warnings():  # a resample may leave a group empty (NaN); the others still count
        warnings.simplefilter("ignore", RuntimeWarning)
        gaps = np.nanmax(boot, axis=1) - np.nanmin(boot, axis=1) if finite.sum() >= 2 else np.array([np.nan])
    low, high = _interval(gaps, confidence)
    return per_group, Estimate(gap, low, high, int(ans.sum()), len(pos))

"""One bootstrap for every confidence interval GlassBox reports.

Rows (probes, prompts, samples, base contexts) are drawn with replacement, ``n_boot`` times, from one
seeded ``numpy`` generator; ``statistic`` is computed on each resample at once (vectorised over a
leading resample axis) and the interval is read off the resampled values. Resampling whole rows of
several aligned arrays is a cluster bootstrap when a row is a cluster (the audit's base contexts).

Intervals are reported as they come out: a percentile interval of a skewed statistic need not contain
the point estimate, and that is shown, not hidden.

Example:
    >>> import numpy as np
    >>> x = np.arange(20.0)
    >>> low, high = bootstrap_ci(lambda rows: rows.mean(axis=1), x, seed=0)
    >>> bool(low < x.mean() < high)
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

Method = Literal["percentile", "basic", "BCa"]
METHODS: tuple[Method, ...] = ("percentile", "basic", "BCa")
# resamples computed together: memory stays at CHUNK × n per array
CHUNK = 200

Statistic = Callable[..., NDArray[np.float64]]


def bootstrap_samples(
    statistic: Statistic, *arrays: ArrayLike, n_boot: int = 1000, seed: int | list[int] = 0
) -> NDArray[np.float64]:
    """``statistic`` on ``n_boot`` resamples of the rows of ``arrays``: shape ``(n_boot,)`` or ``(n_boot, k)``.

    ``statistic`` receives each array with a leading resample axis (``(chunk, n, ...)``) and returns one
    value (or ``k`` values) per resample. Every array must have the same number of rows.
    """
    data = [np.asarray(a) for a in arrays]
    if not data:
        raise ValueError("bootstrap_samples needs at least one array to resample")
    n = len(data[0])
    if any(len(a) != n for a in data):
        raise ValueError(f"the arrays to resample have different numbers of rows: {[len(a) for a in data]}")
    if n == 0:
        raise ValueError("there are no rows to resample")
    rng = np.random.default_rng(seed)
    parts = []
    for start in range(0, int(n_boot), CHUNK):
        rows = rng.integers(0, n, size=(min(CHUNK, int(n_boot) - start), n))
        parts.append(np.asarray(statistic(*(a[rows] for a in data)), dtype=float))
    return np.concatenate(parts)


def interval_from_samples(
    samples: ArrayLike,
    confidence: float = 0.95,
    *,
    method: Method = "percentile",
    estimate: float | None = None,
    acceleration: float = 0.0,
) -> tuple[float, float] | None:
    """The ``confidence`` interval from bootstrap ``samples`` (non-finite ones ignored); None when none is finite.

    ``basic`` reflects the percentiles around ``estimate``; ``BCa`` corrects them for bias (the share of
    samples below ``estimate``) and for ``acceleration`` (see :func:`jackknife_acceleration`).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    values = np.asarray(samples, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    alpha = (1 - confidence) / 2
    quantiles = np.array([alpha, 1 - alpha])
    if method != "percentile" and estimate is None:
        raise ValueError(f"the {method} interval needs the point estimate")
    if method == "BCa":
        below = np.mean(values < estimate)
        if 0 < below < 1:
            bias = ndtri(below)
            z = ndtri(quantiles)
            quantiles = ndtr(bias + (bias + z) / (1 - acceleration * (bias + z)))
    low, high = (float(q) for q in np.quantile(values, quantiles))
    if method == "basic":
        assert estimate is not None
        low, high = 2 * estimate - high, 2 * estimate - low
    return low, high


def jackknife_acceleration(statistic: Statistic, *arrays: ArrayLike) -> float:
    """The BCa acceleration of ``statistic`` from its leave-one-out values (0 when they do not vary)."""
    data = [np.asarray(a) for a in arrays]
    n = len(data[0])
    keep = ~np.eye(n, dtype=bool)
    rows = np.stack([np.flatnonzero(k) for k in keep])  # (n, n - 1): every row left out once
    values = np.asarray(statistic(*(a[rows] for a in data)), dtype=float)
    spread = values.mean() - values
    denominator = 6 * (np.sum(spread**2) ** 1.5)
    return float(np.sum(spread**3) / denominator) if denominator > 0 else 0.0


def bootstrap_ci(
    statistic: Statistic,
    *arrays: ArrayLike,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | list[int] = 0,
    method: Method = "percentile",
) -> tuple[float, float] | None:
    """A bootstrap ``confidence`` interval of ``statistic`` over the rows of ``arrays``; None when it cannot
    be measured (fewer than 2 rows, no resamples, or no finite resampled value).

    Example:
        >>> import numpy as np
        >>> same = np.array([1.0, 1.0, 0.0, 1.0])
        >>> bootstrap_ci(lambda s: s.mean(axis=1), same, seed=0)
        (0.25, 1.0)
    """
    data = [np.asarray(a) for a in arrays]
    if len(data[0]) < 2 or n_boot < 1:
        return None
    samples = bootstrap_samples(statistic, *data, n_boot=n_boot, seed=seed)
    if method == "percentile":
        return interval_from_samples(samples, confidence)
    estimate = float(np.asarray(statistic(*(a[None] for a in data)), dtype=float).ravel()[0])
    acceleration = jackknife_acceleration(statistic, *data) if method == "BCa" else 0.0
    return interval_from_samples(samples, confidence, method=method, estimate=estimate, acceleration=acceleration)

"""Fidelity: how well a readable artifact matches what it explains, and what exactly was measured.

A Fidelity says which metric was computed, on which split (held-out probes, leave-one-out, in-sample,
a test–retest of a black box, or an exact identity), over how many of what (``n`` ``unit``), and —
only where one was measured — a bootstrap confidence interval. An in-sample number from one prompt
has no interval and says so, rather than showing a degenerate ``[1.000, 1.000]``.

Example:
    >>> import numpy as np
    >>> truth = np.linspace(0, 1, 200)
    >>> fid = r2_fidelity(truth, truth + 0.01 * np.sin(40 * truth))
    >>> fid.metric, round(fid.value, 3) > 0.99, fid.ci_low <= fid.ci_high
    ('r2', True, True)
    >>> Fidelity.single("agreement", 1.0, unit="prompts").describe()
    'agreement = 1.000 on 1 in-sample prompt (no confidence interval: one prompt cannot give one)'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from glassbox_jupyter.finding.stats import bootstrap_ci

METRICS: dict[str, str] = {
    "r2": "coefficient of determination (R²) of the student's outputs against the teacher's",
    "agreement": "share of cases where the student and the teacher give the same answer",
}

SPLITS: dict[str, str] = {
    "held-out": "cases kept out of everything the artifact was fitted or chosen on",
    "leave-one-out": "each case predicted by a fit made without it",
    "in-sample": "the same cases the artifact was derived from (no independent check)",
    "test-retest": "the black box asked the same held-out prompts a second time (its own repeatability)",
    "exact": "an identity that holds exactly (e.g. a constant output reproduced by that constant)",
}
INTERVALS = ("bootstrap", "BCa bootstrap", "exact binomial")
BOOTSTRAP_INTERVALS = ("bootstrap", "BCa bootstrap")
# splits whose number is a sampling estimate: with two or more cases they must carry a measured interval
ESTIMATED_SPLITS = ("held-out", "leave-one-out", "test-retest")


@dataclass(frozen=True)
class Fidelity:
    """A fidelity measurement: ``value`` over ``n`` ``unit`` of ``split``, with a bootstrap CI where measured.

    ``ci_low``/``ci_high`` are None when no interval was measured (one case, or an exact identity);
    ``interval`` says how it was measured (``"bootstrap"``: percentile bootstrap over the cases;
    ``"BCa bootstrap"``: bias-corrected and accelerated, for a statistic whose resamples are biased, such as
    R² over a handful of cases, where the percentile interval can end at the point estimate;
    ``"exact binomial"``: Clopper–Pearson, used for an agreement of 0 or 1, where every bootstrap
    resample is the same and the percentile interval would collapse to a point); ``measures`` says in
    words what was compared with what.
    """

    metric: str
    value: float
    ci_low: float | None
    ci_high: float | None
    n: int
    confidence: float = 0.95
    n_boot: int | None = 1000
    split: str = "held-out"
    unit: str = "probes"
    measures: str = ""
    interval: str = "bootstrap"

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown fidelity metric {self.metric!r}; known: {sorted(METRICS)}")
        if self.split not in SPLITS:
            raise ValueError(f"unknown fidelity split {self.split!r}; known: {sorted(SPLITS)}")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("give both ends of the confidence interval, or neither")
        if self.interval not in INTERVALS:
            raise ValueError(f"unknown interval method {self.interval!r}; known: {INTERVALS}")
        if (self.ci_low is None or self.interval not in BOOTSTRAP_INTERVALS) and self.n_boot is not None:
            object.__setattr__(self, "n_boot", None)  # no bootstrap behind this interval
        if not self.measures:
            object.__setattr__(self, "measures", METRICS[self.metric])

    @classmethod
    def single(cls, metric: str, value: float, *, unit: str = "probes", measures: str = "") -> Fidelity:
        """A number from one in-sample case: no interval can be measured, and the description says so."""
        return cls(metric, float(value), None, None, n=1, n_boot=None, split="in-sample", unit=unit, measures=measures)

    @classmethod
    def exact(cls, metric: str, n: int, *, unit: str = "probes", measures: str = "") -> Fidelity:
        """An identity that holds on every one of ``n`` cases (value 1, no interval needed)."""
        return cls(metric, 1.0, None, None, n=int(n), n_boot=None, split="exact", unit=unit, measures=measures)

    def relabel(self, **changes: Any) -> Fidelity:
        """The same measurement with other labels (e.g. ``split="in-sample"``, ``unit="prompts"``)."""
        return Fidelity(**{**asdict(self), **changes})

    @property
    def ci(self) -> tuple[float, float] | None:
        """``(low, high)``, or None when no interval was measured."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_low, self.ci_high)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fidelity:
        """The Fidelity a :meth:`to_dict` (or a Finding's JSON) holds; fields it lacks take their defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def view(self) -> dict[str, Any]:
        """What a widget shows: the numbers and the one-line :meth:`describe` text (which names the split)."""
        return {
            "metric": self.metric,
            "value": self.value,
            "ci": None if self.ci is None else list(self.ci),
            "n": self.n,
            "split": self.split,
            "text": self.describe(),
        }

    def describe(self) -> str:
        """One line for captions and reports, e.g. ``R² = 0.912 [0.900, 0.920] (95% CI) on 500 held-out probes``."""
        name = "R²" if self.metric == "r2" else "agreement"
        if self.split == "test-retest":
            name = f"test–retest {name}"
        unit = self.unit[:-1] if self.n == 1 and self.unit.endswith("s") else self.unit
        where = f"on {self.n} {self.split} {unit}"
        if self.split == "test-retest":
            where = f"on {self.n} held-out {unit} asked twice"
        if self.split == "exact":
            return f"{name} = {self.value:.3f} exactly on all {self.n} {unit} (no interval needed)"
        if self.ci is None:
            reason = f"one {unit} cannot give one" if self.n < 2 else "none was measured"
            return f"{name} = {self.value:.3f} {where} (no confidence interval: {reason})"
        how = "" if self.interval == "bootstrap" else f", {self.interval}"
        return (
            f"{name} = {self.value:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] ({self.confidence:.0%} CI{how}) {where}"
        )

    def __str__(self) -> str:
        return self.describe()


def _r2_rows(truth: NDArray[np.float64], guess: NDArray[np.float64]) -> NDArray[np.float64]:
    """R² along the last axis; constant truth gives nan."""
    residual = ((truth - guess) ** 2).sum(axis=-1)
    total = ((truth - truth.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)


def _prepare(truth: ArrayLike, guess: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    truth_rows = np.asarray(truth, dtype=float)
    guess_rows = np.asarray(guess, dtype=float)
    truth_rows = truth_rows.reshape(len(truth_rows), -1)
    guess_rows = guess_rows.reshape(len(guess_rows), -1)
    if truth_rows.shape != guess_rows.shape:
        raise ValueError(f"teacher outputs {truth_rows.shape} and student outputs {guess_rows.shape} differ in shape")
    if len(truth_rows) < 2:
        from glassbox_jupyter.errors import EmptyProbeError

        raise EmptyProbeError(f"fidelity needs at least 2 held-out probes, got {len(truth_rows)}")
    return truth_rows, guess_rows


def r2_fidelity(
    truth: ArrayLike,
    guess: ArrayLike,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    split: str = "held-out",
    unit: str = "probes",
    measures: str = "",
    method: Literal["percentile", "BCa"] = "percentile",
) -> Fidelity:
    """R² of ``guess`` against ``truth`` (averaged over outputs) with a bootstrap CI over rows.

    A constant teacher output has no variance to explain; that raises a clear error. ``method="BCa"``
    corrects the interval for the bias of resampled R² (each resample is scored against its own mean),
    which matters over a handful of cases (latent sizes) and not over hundreds of probes.
    """
    truth_rows, guess_rows = _prepare(truth, guess)
    if np.all(truth_rows.std(axis=0) == 0):
        raise ValueError(
            "the teacher's output is constant on these probes, so R² is undefined; widen the "
            "spec bounds or probe a different output"
        )
    value = float(np.nanmean(_r2_rows(truth_rows.T, guess_rows.T)))

    def statistic(t: NDArray[np.float64], g: NDArray[np.float64]) -> NDArray[np.float64]:
        # t, g: (resamples, n, outputs) -> mean R² over outputs, one per resample
        return np.asarray(np.nanmean(_r2_rows(np.moveaxis(t, 2, 1), np.moveaxis(g, 2, 1)), axis=1), dtype=float)

    ci = bootstrap_ci(statistic, truth_rows, guess_rows, n_boot=n_boot, confidence=confidence, seed=seed, method=method)
    how = "bootstrap" if method == "percentile" else f"{method} bootstrap"
    return _measured("r2", value, ci, len(truth_rows), confidence, n_boot, split, unit, measures, how=how)


def agreement_fidelity(
    truth_labels: ArrayLike,
    guess_labels: ArrayLike,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    split: str = "held-out",
    unit: str = "probes",
    measures: str = "",
) -> Fidelity:
    """Share of rows where the labels agree, with a bootstrap CI over rows.

    When every row agrees (or none does) every bootstrap resample is the same and the percentile interval
    collapses to a point; the exact binomial (Clopper–Pearson) interval is reported instead (7 of 7 agreeing
    gives [0.590, 1.000], not [1.000, 1.000]).
    """
    truth_rows, guess_rows = _prepare(truth_labels, guess_labels)
    same = np.all(truth_rows == guess_rows, axis=1).astype(float)
    agreeing = int(same.sum())
    if agreeing in (0, len(same)):
        from scipy.stats import binomtest

        exact = binomtest(agreeing, len(same)).proportion_ci(confidence_level=confidence, method="exact")
        interval = (float(exact.low), float(exact.high))
        return _measured(
            "agreement", float(same.mean()), interval, len(same), confidence, n_boot, split, unit, measures,
            how="exact binomial",
        )  # fmt: skip
    ci = bootstrap_ci(lambda s: s.mean(axis=1), same, n_boot=n_boot, confidence=confidence, seed=seed)
    return _measured("agreement", float(same.mean()), ci, len(same), confidence, n_boot, split, unit, measures)


def _measured(
    metric: str,
    value: float,
    ci: tuple[float, float] | None,
    n: int,
    confidence: float,
    n_boot: int,
    split: str,
    unit: str,
    measures: str,
    how: str = "bootstrap",
) -> Fidelity:
    low, high = ci if ci is not None else (None, None)
    return Fidelity(
        metric,
        value,
        low,
        high,
        n=n,
        confidence=confidence,
        n_boot=n_boot,
        split=split,
        unit=unit,
        measures=measures,
        interval=how,
    )

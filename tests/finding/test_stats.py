"""The one bootstrap behind every GlassBox interval, checked against scipy.stats.bootstrap.

scipy draws its resamples from the same seeded generator in the same order (``rng.integers(0, n, (batch, n))``
batch after batch), so with ``batch=CHUNK`` the two give the same resamples and the intervals agree to
rounding; any difference in a method's formula would show up far above 1e-9.
"""

import numpy as np
import pytest
import scipy.stats

from glassbox_jupyter.finding import stats
from glassbox_jupyter.finding.stats import (
    METHODS,
    bootstrap_ci,
    bootstrap_samples,
    interval_from_samples,
    jackknife_acceleration,
)


def _mean(rows: np.ndarray) -> np.ndarray:
    return rows.mean(axis=1)


def _r2(truth: np.ndarray, guess: np.ndarray, axis: int = 1) -> np.ndarray:
    residual = ((truth - guess) ** 2).sum(axis=axis)
    total = ((truth - truth.mean(axis=axis, keepdims=True)) ** 2).sum(axis=axis)
    return 1 - residual / total


def _scipy(data: tuple, statistic, method: str, seed: int, n_boot: int, **kwargs) -> tuple[float, float]:
    result = scipy.stats.bootstrap(
        data,
        statistic,
        n_resamples=n_boot,
        batch=stats.CHUNK,
        method=method,
        confidence_level=0.95,
        random_state=np.random.default_rng(seed),
        vectorized=True,
        **kwargs,
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


@pytest.mark.parametrize("method", METHODS)
def test_one_sample_intervals_match_scipy(method):
    skewed = np.random.default_rng(5).gamma(2.0, size=40)  # skewed, so the three methods differ
    ours = bootstrap_ci(_mean, skewed, n_boot=1000, seed=7, method=method)
    theirs = _scipy((skewed,), np.mean, method, seed=7, n_boot=1000)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_the_three_methods_give_different_intervals():
    skewed = np.random.default_rng(5).gamma(2.0, size=40)
    intervals = {m: bootstrap_ci(_mean, skewed, n_boot=1000, seed=7, method=m) for m in METHODS}
    assert len({tuple(round(v, 6) for v in ci) for ci in intervals.values()}) == 3
    estimate = skewed.mean()
    low, high = intervals["percentile"]
    assert intervals["basic"] == pytest.approx((2 * estimate - high, 2 * estimate - low))


@pytest.mark.parametrize("method", METHODS)
def test_two_aligned_arrays_match_scipys_paired_bootstrap(method):
    rng = np.random.default_rng(1)
    truth = rng.normal(size=30)
    guess = truth + 0.5 * rng.normal(size=30)
    ours = bootstrap_ci(_r2, truth, guess, n_boot=999, seed=3, method=method)
    theirs = _scipy((truth, guess), lambda t, g, axis=-1: _r2(t, g, axis=axis), method, 3, 999, paired=True)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_fewer_than_two_rows_or_no_resamples_give_no_interval():
    assert bootstrap_ci(_mean, np.array([3.0])) is None
    assert bootstrap_ci(_mean, np.array([]).reshape(0)) is None
    assert bootstrap_ci(_mean, np.arange(5.0), n_boot=0) is None
    # no finite resampled value: nothing to read an interval from
    assert bootstrap_ci(lambda rows: np.full(len(rows), np.nan), np.arange(5.0)) is None


def test_the_docstring_example():
    assert bootstrap_ci(_mean, np.array([1.0, 1.0, 0.0, 1.0]), seed=0) == (0.25, 1.0)


@pytest.mark.parametrize("method", METHODS)
def test_chunking_does_not_change_the_interval(method, monkeypatch):
    x = np.random.default_rng(2).exponential(size=25)
    default = bootstrap_ci(_mean, x, n_boot=1001, seed=4, method=method)  # not a multiple of the chunk
    samples = bootstrap_samples(_mean, x, n_boot=1001, seed=4)
    monkeypatch.setattr(stats, "CHUNK", 7)
    assert bootstrap_ci(_mean, x, n_boot=1001, seed=4, method=method) == default
    np.testing.assert_array_equal(bootstrap_samples(_mean, x, n_boot=1001, seed=4), samples)
    monkeypatch.setattr(stats, "CHUNK", 5000)  # everything in one chunk
    assert bootstrap_ci(_mean, x, n_boot=1001, seed=4, method=method) == default


def test_same_seed_same_interval_and_another_seed_another():
    x = np.random.default_rng(3).normal(size=50)
    assert bootstrap_ci(_mean, x, seed=11) == bootstrap_ci(_mean, x, seed=11)
    assert bootstrap_ci(_mean, x, seed=11) != bootstrap_ci(_mean, x, seed=12)
    assert bootstrap_ci(_mean, x, seed=[1, 2]) == bootstrap_ci(_mean, x, seed=[1, 2])  # a seed sequence works too


def test_a_cluster_bootstrap_resamples_whole_rows_of_aligned_arrays():
    """Rows are clusters (an audit's base contexts): each holds several pairs; the statistic is a ratio of
    sums over the resampled clusters, so clusters, not pairs, are what is drawn."""
    rng = np.random.default_rng(8)
    n_clusters, per_cluster = 24, 5
    valid = rng.integers(1, per_cluster + 1, size=n_clusters)  # valid pairs per cluster
    flips = rng.binomial(valid, np.where(np.arange(n_clusters) < 6, 0.8, 0.1))  # six clusters flip a lot

    def flip_rate(flipped: np.ndarray, counted: np.ndarray) -> np.ndarray:
        return flipped.sum(axis=1) / counted.sum(axis=1)

    ours = bootstrap_ci(flip_rate, flips, valid, n_boot=500, seed=9)
    # by hand: the same draws of whole clusters, one resample at a time
    rows = np.random.default_rng(9).integers(0, n_clusters, size=(500, n_clusters))
    by_hand = [flips[r].sum() / valid[r].sum() for r in rows]
    assert ours == pytest.approx(tuple(np.quantile(by_hand, [0.025, 0.975])), rel=1e-12)
    assert ours[0] < flips.sum() / valid.sum() < ours[1]
    # the arrays are resampled together: a row's entries always travel as one
    same = bootstrap_samples(lambda a, b: (a - b).sum(axis=1), flips, flips.copy(), n_boot=200, seed=1)
    assert np.all(same == 0)
    # a 2-D row (one cluster's per-pair values) is kept whole too
    pairs = np.repeat(np.arange(n_clusters)[:, None], 3, axis=1)
    spread = bootstrap_samples(lambda p: np.ptp(p, axis=2).max(axis=1), pairs, n_boot=50, seed=2)
    assert np.all(spread == 0)


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="different numbers of rows"):
        bootstrap_samples(_r2, np.arange(4.0), np.arange(5.0))
    with pytest.raises(ValueError, match="at least one array"):
        bootstrap_samples(_mean)
    with pytest.raises(ValueError, match="no rows"):
        bootstrap_samples(_mean, np.array([]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        interval_from_samples([1.0, 2.0], confidence=95)
    with pytest.raises(ValueError, match="method must be one of"):
        interval_from_samples([1.0, 2.0], method="studentized")
    with pytest.raises(ValueError, match="needs the point estimate"):
        interval_from_samples([1.0, 2.0], method="BCa")


def test_interval_from_samples_ignores_non_finite_values():
    samples = np.concatenate([np.linspace(0, 1, 101), [np.nan, np.inf, -np.inf]])
    assert interval_from_samples(samples, 0.9) == pytest.approx((0.05, 0.95))
    assert interval_from_samples([np.nan, np.inf]) is None


def test_jackknife_acceleration_is_zero_for_a_symmetric_statistic_and_matches_the_formula():
    symmetric = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    assert jackknife_acceleration(_mean, symmetric) == pytest.approx(0.0, abs=1e-15)
    assert jackknife_acceleration(_mean, np.ones(6)) == 0.0  # leave-one-out values do not vary
    skewed = np.random.default_rng(6).exponential(size=15)
    left_out = np.array([np.delete(skewed, i).mean() for i in range(len(skewed))])
    spread = left_out.mean() - left_out
    expected = np.sum(spread**3) / (6 * np.sum(spread**2) ** 1.5)
    assert jackknife_acceleration(_mean, skewed) == pytest.approx(expected)

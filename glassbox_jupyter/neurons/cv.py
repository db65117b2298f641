"""Choosing the graphical-lasso penalty by cross-validation (see ``precision.py`` for the whole pipeline).

The held-out Gaussian log-likelihood is scored along a descending geometric α path (early-stopped,
extended downwards while improving, refined once); folds keep groups (texts) whole when given; a fold the
plain solver cannot fit scores −∞ rather than being rescued.

Example:
    >>> [fold.tolist() for fold in fold_rows(8, 2, seed=0, groups=[0, 0, 1, 1, 2, 2, 3, 3])]  # 4 texts
    [[0, 1, 4, 5], [2, 3, 6, 7]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.neurons.errors import DegenerateActivationsError
from glassbox_jupyter.neurons.solver import DIAGONAL_FLOOR, Fit, FitFailed, fit_screened

__all__ = ["choose_alpha", "fold_rows", "log_likelihood"]

PATH_RATIO = 50.0  # the CV path runs from alpha_max down to alpha_max / PATH_RATIO
LOWEST_RATIO = 1e-3  # ...and is extended no lower than alpha_max * LOWEST_RATIO


def log_likelihood(fit: Fit, S_test: np.ndarray) -> float:
    """Held-out Gaussian log-likelihood (up to constants): log det Θ − tr(S_test Θ), summed over blocks."""
    total = 0.0
    for block in fit.blocks:
        if len(block) == 1:
            i = block[0]
            total += float(np.log(fit.precision[i, i]) - S_test[i, i] * fit.precision[i, i])
            continue
        index = np.ix_(block, block)
        sign, logdet = np.linalg.slogdet(fit.precision[index])
        if sign <= 0:
            return -np.inf
        total += float(logdet - np.sum(S_test[index] * fit.precision[index]))
    return total if np.isfinite(total) else -np.inf


def choose_alpha(
    standard: np.ndarray,
    S: np.ndarray,
    cv: int,
    alphas: int | Sequence[float],
    n_refinements: int,
    settings: dict[str, Any],
    seed: int,
    shrinkage: Callable[[], float],
    log: list[str],
    groups: Sequence[Any] | np.ndarray | None = None,
    rule: str = "best",
) -> tuple[float, np.ndarray, np.ndarray]:
    """The α of the best mean held-out log-likelihood (``rule="best"``), or the largest α within one standard
    error (over folds) of it (``rule="1se"``); also every α tried and its mean score, sorted by α."""
    folds = []
    for test in fold_rows(len(standard), cv, seed, groups):
        train = np.setdiff1d(np.arange(len(standard)), test)
        S_train = np.cov(standard[train].T, bias=True)
        S_train[np.diag_indices_from(S_train)] = np.maximum(np.diag(S_train), DIAGONAL_FLOOR)
        folds.append((S_train, np.cov(standard[test].T, bias=True)))
    scores: dict[float, float] = {}
    per_fold: dict[float, list[float]] = {}

    failed: list[tuple[float, str]] = []

    def score(alpha: float) -> float:
        for tried in scores:
            if np.isclose(tried, alpha, rtol=1e-9, atol=0):
                return scores[tried]
        values: list[float] = []
        for S_train, S_test in folds:
            try:
                fit = fit_screened(S_train, alpha, settings, shrinkage, [], recover=False)
            except FitFailed as exc:
                failed.append((alpha, str(exc)))
                values = [-np.inf] * len(folds)
                break
            values.append(log_likelihood(fit, S_test))
        per_fold[alpha] = values
        scores[alpha] = float(np.sum(values)) / cv
        return scores[alpha]

    off = np.abs(S - np.diag(np.diag(S)))
    alpha_max = float(off.max())
    if alpha_max <= 0:
        alpha_max = 1.0  # no correlation at all: any alpha gives the empty graph
    if not isinstance(alphas, (int, np.integer)):
        grid = sorted((float(a) for a in alphas), reverse=True)
        if not grid or any(not (np.isfinite(a) and a > 0) for a in grid):
            raise ValueError(f"alphas must be positive numbers, got {list(alphas)!r}")
        for a in grid:
            score(a)
    else:
        if int(alphas) < 3:
            raise ValueError(f"alphas must be at least 3 points on the CV path, not {alphas}")
        grid = list(alpha_max * np.geomspace(1.0, 1.0 / PATH_RATIO, int(alphas)))
        step = grid[1] / grid[0]
        walk_path(grid, score)
        # extend downwards while the best point is the last one tried
        while max(scores, key=scores.__getitem__) == min(scores) and min(scores) * step >= alpha_max * LOWEST_RATIO:
            extension = [min(scores) * step**k for k in range(1, 4)]
            walk_path(extension, score, max(scores.values()))
        for _ in range(int(n_refinements)):
            tried = sorted(scores)
            best = max(scores, key=scores.__getitem__)
            position = tried.index(best)
            low = tried[position - 1] if position > 0 else best * step
            high = tried[position + 1] if position + 1 < len(tried) else best / step
            for a in np.geomspace(low, high, 5)[1:-1]:
                score(float(a))
    best = max(scores, key=scores.__getitem__)
    below = [a for a, _ in failed if a < best]
    if below:
        log.append(
            f"cross-validation stopped at alpha = {best:.4g}: below it (from alpha = {max(below):.4g}) the solver "
            f"could not fit every fold ({failed[0][1]}), as happens with nearly collinear neurons"
        )
    if not np.isfinite(scores[best]):
        raise DegenerateActivationsError(
            "cross-validation could not fit a graph at any alpha (every held-out likelihood is -inf); pass a fixed "
            "alpha=, more samples, or fewer neurons"
        )
    if rule == "1se":
        best = one_standard_error(best, scores, per_fold, log)
    tried_alphas = np.array(sorted(scores))
    return float(best), tried_alphas, np.array([scores[a] for a in tried_alphas])


def one_standard_error(
    best: float, scores: dict[float, float], per_fold: dict[float, list[float]], log: list[str]
) -> float:
    """The largest α whose mean score is within one standard error (over folds) of the best one's."""
    folds = np.asarray(per_fold[best], dtype=float)
    se = float(folds.std(ddof=1) / np.sqrt(len(folds))) if len(folds) > 1 else 0.0
    within = [a for a, s in scores.items() if a >= best and np.isfinite(s) and s >= scores[best] - se]
    chosen = max(within)
    if chosen != best:
        log.append(
            f"one-standard-error rule: alpha = {chosen:.4g} instead of the best-scoring {best:.4g} (held-out "
            f"log-likelihood {scores[chosen]:.4g} vs {scores[best]:.4g}, one standard error {se:.3g})"
        )
    return chosen


def fold_rows(n: int, cv: int, seed: int, groups: Sequence[Any] | np.ndarray | None) -> list[np.ndarray]:
    """The held-out rows of each fold: whole groups when there are at least ``cv`` of them, else single rows."""
    rng = np.random.default_rng(seed)
    if groups is not None:
        labels = np.asarray(groups)
        unique = np.unique(labels)
        if cv <= len(unique) < n:
            parts = np.array_split(rng.permutation(unique), cv)
            return [np.flatnonzero(np.isin(labels, part)) for part in parts]
    return [np.sort(part) for part in np.array_split(rng.permutation(n), cv)]


def walk_path(grid: Sequence[float], score: Callable[[float], float], best: float = -np.inf) -> None:
    """Score a descending path of alphas; stop once the score has fallen at two consecutive points."""
    worse = 0
    for alpha in grid:
        value = score(float(alpha))
        if value > best:
            best, worse = value, 0
        else:
            worse += 1
            if worse >= 2:
                return

"""Choosing the graphical-lasso penalty by cross-validation (see ``precision.py`` for the whole pipeline).

The held-out Gaussian log-likelihood is scored along a descending geometric α path (early-stopped,
extended downwards while improving, refined once around the best; each fold's fit starts from its fit at the
nearest α); folds keep groups (texts) whole when given; a fold the
plain solver cannot fit scores −∞ rather than being rescued.

**Readability ceiling** (``max_degree``, :data:`MAX_MEAN_DEGREE` by default). An α whose fitted graph on a
training fold has more than ``max_degree`` edges per neuron on average (2 × edges / neurons) is not scored: it
counts as −∞, so the path stops descending there and the α chosen is the best-scoring one at or below the ceiling;
an action says so. Why: on a real layer (MiniLM's 1,536 MLP neurons, ~2,300 tokens, so each 3-fold training set
has about as many tokens as neurons) the held-out likelihood keeps rising as α falls into ever denser graphs
(31 edges per neuron at α = 0.16, 61 at 0.10, 113 at 0.067, 190 at 0.043) while each fold fit slows from 3 s to
30 s and more. The activations are closer to low rank plus noise than to a sparse graph, and the CV optimum, if
any, lies in graphs nobody can read as a "neuron graph". The ceiling is a readability limit, not a statistical
one, and the action line states that denser graphs were not scored. A mean degree rather than a share of pairs,
because the share of pairs a reader can follow shrinks with p: 25 edges per neuron is 20 % of the pairs at
p = 128 but 1.6 % at p = 1,536, where a 5 % share would allow 77 per neuron: CV would then fit every fold down
to α = 0.10 (8 s a fold) and one at 0.067 (14 s), over 90 s in all, for a graph nobody reads.

The degree is that of a *training fold's* fit, which is much denser than the full-data fit at the same α
(fewer rows, larger noise correlations): on the synthetic known-graph benchmark (n = 4,000) the fold graphs at
the CV-chosen α have 11.8–20.7 edges per neuron (p = 512: 20.7) while the final graphs have 3.5–7.7. 25 lies
between that and the real layer's 31 edges per neuron at α = 0.16 (fold 1 of 3), so the ceiling leaves the
synthetic α and graphs unchanged (it only rejects points below their optimum) and stops MiniLM's path one step
below α = 0.199 (21 edges per neuron on the fold). A ceiling of 20 was measured too: it changed the p = 512
benchmark α (0.0396 → 0.0492). ``max_degree=None`` scores every α. (The one-standard-error rule, ``"1se"``,
does not help here: it picks among the α already scored, so the path still descends into the dense fits.)

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
WARM_FITS = 3  # fits kept per fold as warm starts (W and β: 2 p² floats each)
MAX_MEAN_DEGREE = 25.0  # edges per neuron above which an α is not scored (see the module docstring)


def log_likelihood(fit: Fit, S_test: np.ndarray) -> float:
    """Held-out Gaussian log-likelihood (up to constants): log det Θ − tr(S_test Θ) (Θ is block-diagonal;
    log det Θ comes from the fit's positive-definiteness check, block by block)."""
    log_det = fit.log_det
    if not np.isfinite(log_det):
        log_det = 0.0
        for block in fit.blocks:
            sign, value = np.linalg.slogdet(fit.precision[np.ix_(block, block)])
            if sign <= 0:
                return -np.inf
            log_det += float(value)
    total = log_det - float(np.vdot(S_test, fit.precision))
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
    max_degree: float | None = MAX_MEAN_DEGREE,
) -> tuple[float, np.ndarray, np.ndarray]:
    """The α of the best mean held-out log-likelihood (``rule="best"``), or the largest α within one standard
    error (over folds) of it (``rule="1se"``); also every α tried and its mean score, sorted by α.

    An α at which a training fold's graph has more than ``max_degree`` edges per neuron on average scores −∞
    (its other folds are not fitted) and is logged; ``None`` turns the ceiling off."""
    if max_degree is not None and not (np.isfinite(max_degree) and max_degree > 0):
        raise ValueError(f"max_degree must be a positive number of edges per neuron or None, not {max_degree!r}")
    folds = [fold_covariances(standard, S, test) for test in fold_rows(len(standard), cv, seed, groups)]
    scores: dict[float, float] = {}
    per_fold: dict[float, list[float]] = {}

    failed: list[tuple[float, str]] = []
    too_dense: dict[float, float] = {}  # alpha -> the first fold's mean degree above max_degree
    p = len(S)
    # each fold's last few fits, to start the next α from the nearest one (warm start)
    recent: list[dict[float, Fit]] = [{} for _ in folds]

    def score(alpha: float) -> float:
        for tried in scores:
            if np.isclose(tried, alpha, rtol=1e-9, atol=0):
                return scores[tried]
        values: list[float] = []
        for (S_train, S_test), kept in zip(folds, recent):
            start = kept[min(kept, key=lambda a: abs(np.log(a / alpha)))] if kept else None
            try:
                fit = fit_screened(S_train, alpha, settings, shrinkage, [], recover=False, start=start)
            except FitFailed as exc:
                failed.append((alpha, str(exc)))
                values = [-np.inf] * len(folds)
                break
            if max_degree is not None:
                degree = 2.0 * np.count_nonzero(np.triu(fit.precision, 1)) / p
                if degree > max_degree:
                    too_dense[alpha] = degree
                    values = [-np.inf] * len(folds)
                    break
            values.append(log_likelihood(fit, S_test))
            fit.precision = np.empty((0, 0))  # only W and β are kept for warm starts
            kept[alpha] = fit
            if len(kept) > WARM_FITS:
                del kept[next(iter(kept))]
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
        walk_path(grid, score, per_fold)
        # extend downwards while the best point is the last one tried
        while max(scores, key=scores.__getitem__) == min(scores) and min(scores) * step >= alpha_max * LOWEST_RATIO:
            extension = [min(scores) * step**k for k in range(1, 4)]
            walk_path(extension, score, per_fold, max(scores, key=scores.__getitem__))
        # refine: half a step either side of the best, then a quarter, ... (on the regular grid the walk leaves,
        # the points between the best's neighbours that the earlier bracket rule gave)
        for round_ in range(int(n_refinements)):
            best = max(scores, key=scores.__getitem__)
            for a in (best * step ** (0.5**round_ / 2), best / step ** (0.5**round_ / 2)):
                score(float(a))
    best = max(scores, key=scores.__getitem__)
    below = [a for a, _ in failed if a < best]
    if below:
        log.append(
            f"cross-validation stopped at alpha = {best:.4g}: below it (from alpha = {max(below):.4g}) the solver "
            f"could not fit every fold ({failed[0][1]}), as happens with nearly collinear neurons"
        )
    dense_below = sorted((a for a in too_dense if a < best), reverse=True)
    if dense_below:
        first = dense_below[0]
        log.append(
            f"cross-validation did not go below alpha = {best:.4g}: at alpha = {first:.4g} a training fold's graph "
            f"has {too_dense[first]:.1f} edges per neuron (density {too_dense[first] / (p - 1):.1%}), above the "
            f"readability ceiling max_degree={max_degree:g}; denser graphs were not scored (their held-out "
            "likelihood may be higher; pass max_degree=None to score them)"
        )
    if not np.isfinite(scores[best]) and too_dense:
        raise DegenerateActivationsError(
            f"every alpha tried gives a graph with more than max_degree={max_degree:g} edges per neuron on a "
            "training fold; pass larger alphas, a larger max_degree, or max_degree=None"
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


def fold_covariances(standard: np.ndarray, S: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(training covariance, held-out covariance) of one fold, each centred on its own rows. Only the held-out
    rows' Gram matrix is computed; the training one is the full one (``S`` = XᵀX / n of the centred ``standard``)
    minus it.

    Example:
        >>> X = np.random.default_rng(0).standard_normal((9, 2)); X -= X.mean(0)
        >>> train, held_out = fold_covariances(X, X.T @ X / 9, np.array([0, 4, 8]))
        >>> bool(np.allclose(train, np.cov(X[[1, 2, 3, 5, 6, 7]].T, bias=True)))
        True
    """
    n, n_test = len(standard), len(test)
    rows = standard[test]
    mean_test = rows.mean(axis=0)
    gram_test = rows.T @ rows
    S_test = gram_test / n_test - np.outer(mean_test, mean_test)
    mean_train = -mean_test * n_test / (n - n_test)  # the full data is centred
    S_train = (S * n - gram_test) / (n - n_test) - np.outer(mean_train, mean_train)
    S_train[np.diag_indices_from(S_train)] = np.maximum(np.diag(S_train), DIAGONAL_FLOOR)
    return S_train, S_test


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


def walk_path(
    grid: Sequence[float],
    score: Callable[[float], float],
    per_fold: dict[float, list[float]],
    best_alpha: float | None = None,
) -> None:
    """Score a descending path of alphas; stop once the score has fallen at two consecutive points, or at one
    point where it fell in every fold.

    The points below the best are the densest, slowest fits. So when a parabola through the last three path
    scores puts the peak less than half a step below the newest (best) point, the point half a step below is
    scored first (refinement scores it anyway); if it already fell in every fold, the full step below is not
    fitted at all: on a single-peaked curve it could only be worse.

    Example:
        >>> curve = {4.0: [1, 2], 2.0: [3, 4], 1.0: [2, 5], 0.5: [0, 0], 0.25: [9, 9]}
        >>> tried = []
        >>> def score(a):
        ...     tried.append(a)
        ...     return sum(curve[a]) / 2
        >>> walk_path(sorted(curve, reverse=True), score, curve)  # 1.0 fell in one fold only: one more point
        >>> tried
        [4.0, 2.0, 1.0, 0.5]
    """
    best = -np.inf if best_alpha is None else score(best_alpha)
    worse = 0
    path: list[float] = []  # the scores of the path points, in order

    def fell(alpha: float) -> bool:
        return best_alpha is not None and all(now < then for now, then in zip(per_fold[alpha], per_fold[best_alpha]))

    for point in grid:
        alpha = float(point)
        if worse == 0 and path and best_alpha is not None and peak_is_near(path):
            probe = float(np.sqrt(best_alpha * alpha))
            value = score(probe)
            if value > best:
                best, best_alpha = value, probe
            elif fell(probe):
                return
        value = score(alpha)
        path.append(value)
        if value > best:
            best, best_alpha, worse = value, alpha, 0
            continue
        worse += 1
        if worse >= 2 or fell(alpha):
            return


def peak_is_near(path: Sequence[float]) -> bool:
    """Whether a parabola through the last three (rising, equally spaced) path scores peaks less than half a
    step beyond the last one.

    Example:
        >>> peak_is_near([-1328.9, -1315.4, -1310.0]), peak_is_near([-30.0, -20.0, -10.0])
        (True, False)
    """
    if len(path) < 3:
        return False
    y1, y2, y3 = path[-3:]
    curvature = (y1 + y3 - 2 * y2) / 2
    if not (y1 < y2 < y3 and curvature < 0 and np.isfinite(curvature)):
        return False
    return bool(-(y3 - y1) / 2 / (2 * curvature) < 1.5)

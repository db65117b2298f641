"""Sparse precision matrix of neuron activations by the graphical lasso: fast, and robust to bad data.

Pipeline (chosen by measurement on synthetic data with a known sparse precision, p = 128…1,536, n = 4000, on
a 2-core machine; ``benchmarks/bench_neurons.py`` has the numbers):

1. **Clean.** Constant columns (std below 1e-10 × (1 + |mean|)) are dropped, the rest z-scored, and exact
   duplicates (|correlation| > 1 − 1e-8, either sign) merged into one representative (the first column of
   the group; ``groups`` records the members). A duplicate makes the covariance singular, which is what makes
   scikit-learn's solver stop with "Non SPD result".
2. **Screen.** Every fit splits the neurons into the connected components of the graph |S_ij| > α and solves
   each component on its own: this gives exactly the full solution (Witten, Friedman & Simon 2011; Mazumder &
   Hastie 2012). Along the CV path most fits split into many small components (down to α ≈ 0.08 at p = 512
   the largest holds about 300 neurons and most are single); single neurons are solved in closed form
   (Θ_ii = 1 / S_ii). At the small α that CV finally picks the largest component is usually most of the layer
   (sample-noise correlations above α join it), so the solver below carries the cost.
3. **Solve.** Each component goes to GlassBox's graphical lasso (``glasso.py``, ``mode="cd"``): the same
   estimator and outer algorithm as scikit-learn's ``graphical_lasso`` (one lasso per column against the
   current covariance W), but each column's lasso is solved exactly on its few neighbours (an active-set
   solve of a k × k system, k ≈ 5–50) with the column's gradient in O(p·k) instead of O(p²), and a fit can
   start from the fit at a nearby α. It starts inside the feasible box |W − S| ≤ α, so it stays positive
   definite where scikit-learn's solver raises "Non SPD result" (n < p, nearly collinear neurons). Sweeps
   stop when no entry of W moves by more than ``tol`` / 100 (1e-6): within ~1e-7 of the exact solution,
   where scikit-learn's duality gap at ``tol`` = 1e-4 leaves ~1e-4. At p = 1,024 one fit at the CV α takes
   about 1 s where scikit-learn's takes 3–5 s. ``mode="sklearn-cd"`` and ``"lars"`` run scikit-learn's
   solvers instead.
4. **Choose α** (``alpha=None``): K-fold cross-validation of the Gaussian log-likelihood of the held-out
   fold (as ``GraphicalLassoCV`` does), on a descending geometric path of ``alphas`` points from α_max (the
   largest |S_ij|, where the graph is empty) to α_max / 50. The covariance of every fold is computed once,
   and each fold's fit starts from its fit at the nearest α already tried. The path stops once the CV score
   has fallen at two consecutive points or at one point in every fold, is extended downwards while the best
   point is its last, and is refined once half a step either side of the best. The fits below the best are
   the densest and slowest (at p = 1,536 one half step down doubles a fit's cost), so when a parabola
   through the last three scores puts the peak within half a step, the half step (which refinement needs
   anyway) is scored before the full one, and the full one is skipped when the half step already fell in
   every fold. On a single-peaked CV curve this picks the same α as walking every point. Folds keep
   ``groups`` whole (all tokens of a text in one fold) when given. CV fits are not rescued: an α where the
   plain solver fails on a fold scores −∞, so CV stops above it, and says so in ``actions``. Likewise an α
   whose graph on a training fold has more than ``max_degree`` (25) edges per neuron on average is not
   scored (a readability ceiling: on a real MiniLM layer the CV score keeps rising into graphs with 100+
   edges per neuron, each fold fit taking 30 s and more); the action says where CV stopped and why.
   Cross-validated likelihood prefers a denser graph than the true one: on the benchmark about 5× the true
   edge count, every extra edge weak (|ρ| < 0.05). The strongest partial correlations are the true ones (F1
   = 1.0 at the true graph's sparsity, and for the edges with |ρ| ≥ 0.05 that the views show by default).
5. **Recover** instead of crashing: when a component's fit raises (``FloatingPointError`` "Non SPD result" /
   "too ill-conditioned", ``ValueError``) or returns a non-finite or non-positive-definite matrix, it is
   retried with the other solver (``mode="lars"``), then on a Ledoit–Wolf-shrunk covariance, then with
   increasing diagonal loading, then with a larger α; as a last resort the component's neurons are treated as
   independent. Every step taken is a plain sentence in :attr:`PrecisionResult.actions`.
6. **Threads.** The solver's BLAS calls are small (k × k systems, k × p products); a multi-threaded BLAS only
   adds overhead on 2 cores, so the estimate runs with BLAS limited to one thread.

Measured on 2 shared cores, n = 4000, α by CV (``benchmarks/results/bench_neurons.md``): p = 1,536 (a whole
MLP layer of SmolLM2 or MiniLM) in 22 s, p = 1,024 in 9 s, p = 512 in 3.5 s, with the same α and F1 as with
scikit-learn's solver (p = 1,024 took 86.5 s with it). On a real layer whose CV score keeps rising towards small α
(MiniLM's 1,536 neurons on 2,306 tokens) the dense fits there still take minutes.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((500, 3))
    >>> Z = np.column_stack([x[:, 0], x[:, 0] + 0.5 * x[:, 1], x[:, 2], x[:, 2], np.ones(500)])
    >>> result = estimate_precision(Z, alpha=0.05)
    >>> result.columns.tolist(), result.dropped, result.groups
    ([0, 1, 2], [4], [[0], [1], [2, 3]])
    >>> result.actions[0]
    'dropped 1 constant neuron: #4'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from glassbox_jupyter.neurons.cv import MAX_MEAN_DEGREE, choose_alpha
from glassbox_jupyter.neurons.errors import DegenerateActivationsError
from glassbox_jupyter.neurons.solver import LedoitWolf, fit_screened, list_names

__all__ = ["PrecisionResult", "estimate_precision"]

CONSTANT_TOL = 1e-10
DUPLICATE_CORRELATION = 1 - 1e-8
MIN_SAMPLES = 10
MODES = ("cd", "sklearn-cd", "lars")


@dataclass
class PrecisionResult:
    """A sparse precision matrix over the representative neurons, and how it was obtained.

    Attributes:
        precision: Θ, ``[k, k]``, in z-score units, over ``columns``.
        covariance: the matching regularised covariance (Θ⁻¹), ``[k, k]``.
        alpha: the L1 penalty used (chosen by CV when ``method`` is ``"cv"`` or ``"cv-1se"``).
        columns: positions (in the input matrix) of the representative columns.
        groups: for each representative, every input column it stands for (itself first; merged duplicates).
        dropped: input columns dropped as constant.
        actions: plain sentences saying what was done to the data and the solver.
        mean, scale: the z-score of each representative column (``standardise`` applies it).
        method: ``"cv"`` (best held-out likelihood), ``"cv-1se"`` (one-standard-error rule) or ``"fixed"``.
        cv_alphas, cv_scores: the α values tried by CV and their mean held-out log-likelihood (sorted by α).
        n_samples: rows used.
        n_blocks, largest_block: the screening's components in the final fit.
        converged: every component's solver met ``tol`` within ``max_iter``.
    """

    precision: np.ndarray
    covariance: np.ndarray
    alpha: float
    columns: np.ndarray
    groups: list[list[int]]
    dropped: list[int]
    actions: list[str]
    mean: np.ndarray
    scale: np.ndarray
    method: str
    n_samples: int
    cv_alphas: np.ndarray | None = None
    cv_scores: np.ndarray | None = None
    n_blocks: int = 0
    largest_block: int = 0
    converged: bool = True
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def partial_correlations(self) -> np.ndarray:
        """ρ_ij = −Θ_ij / √(Θ_ii Θ_jj), with ones on the diagonal."""
        return partial_correlations(self.precision)

    @property
    def n_edges(self) -> int:
        """Non-zero off-diagonal entries of Θ (each pair counted once)."""
        return int(np.count_nonzero(np.triu(self.precision, 1)))

    def standardise(self, X: np.ndarray) -> np.ndarray:
        """The representative columns of ``X`` (same layout as the input) in this result's z-score units."""
        return (np.asarray(X, dtype=float)[:, self.columns] - self.mean) / self.scale


def partial_correlations(precision: np.ndarray) -> np.ndarray:
    """Partial correlations from a precision matrix: ρ_ij = −Θ_ij / √(Θ_ii Θ_jj)."""
    d = np.sqrt(np.diag(precision))
    rho = -precision / np.outer(d, d)
    np.fill_diagonal(rho, 1.0)
    return rho


def estimate_precision(
    Z: Any,
    alpha: float | str | None = None,
    *,
    cv: int = 3,
    alphas: int | Sequence[float] = 10,
    n_refinements: int = 1,
    max_iter: int = 100,
    tol: float = 1e-4,
    enet_tol: float = 1e-7,
    mode: str = "cd",
    seed: int = 0,
    names: Sequence[Any] | np.ndarray | None = None,
    groups: Sequence[Any] | None = None,
    max_degree: float | None = MAX_MEAN_DEGREE,
) -> PrecisionResult:
    """Sparse precision of the columns of ``Z`` ``[n_samples, n_neurons]`` by the graphical lasso.

    Args:
        Z: activations, one row per sample (z-scored here; constant columns dropped, duplicates merged).
        alpha: the L1 penalty on the z-scored data; ``None`` chooses it by ``cv``-fold cross-validation (the α of
            the best held-out likelihood); ``"1se"`` chooses the largest α (sparsest graph) whose held-out
            likelihood is within one standard error of the best (the one-standard-error rule).
        cv: folds for the cross-validation.
        alphas: the number of points on the CV path, or the exact α values to try (no refinement then).
        n_refinements: refinement rounds around the best α.
        mode: ``"cd"``: GlassBox's exact-column coordinate descent (``glasso.py``); ``"sklearn-cd"`` or
            ``"lars"``: ``sklearn.covariance.graphical_lasso`` with that mode (the recovery ladder tries
            ``"lars"`` after ``"cd"``, and ``"cd"`` after the others).
        max_iter: sweeps over the columns (outer iterations) per fit.
        tol: scikit-learn's duality-gap tolerance; GlassBox's solver stops when no entry of the covariance moved
            by more than ``tol`` / 100 in a sweep.
        enet_tol: scikit-learn's inner lasso tolerance (``mode="sklearn-cd"`` only).
        seed: shuffles the rows into folds.
        names: a label per column for the actions (e.g. neuron ids; the column position by default).
        groups: a group label per row (e.g. the text a token comes from): the CV folds then keep each group
            whole, so that tokens of one text are never both fitted and scored (which favours dense graphs).
        max_degree: the readability ceiling of the CV path (``alpha=None`` or ``"1se"`` only): an α whose graph
            on a training fold has more than this many edges per neuron on average is not scored, so CV stops
            descending there and says so in ``actions`` (see ``cv.py``); ``None`` scores every α.

    Raises:
        DegenerateActivationsError: non-finite values, fewer than 2 varying columns, or too few rows.

    Example:
        >>> import numpy as np
        >>> X = np.random.default_rng(1).multivariate_normal([0, 0, 0], [[1, .6, 0], [.6, 1, 0], [0, 0, 1]], 400)
        >>> result = estimate_precision(X, alpha=0.1)
        >>> result.n_edges
        1
    """
    from threadpoolctl import threadpool_limits

    # the solver's BLAS calls are small matrix-vector products: a multi-threaded BLAS only adds overhead
    # (2.6x slower on 2 cores), so it runs single-threaded
    with threadpool_limits(limits=1, user_api="blas"):
        return _estimate(
            Z, alpha, cv, alphas, n_refinements, max_iter, tol, enet_tol, mode, seed, names, groups, max_degree
        )


def _row_groups(groups: Sequence[Any] | None, n: int) -> np.ndarray | None:
    if groups is None:
        return None
    labels = np.asarray(groups)
    if labels.shape != (n,):
        raise ValueError(f"groups must give one label per row ({n}), got shape {labels.shape}")
    return labels


def _estimate(
    Z: Any,
    alpha: float | str | None,
    cv: int,
    alphas: int | Sequence[float],
    n_refinements: int,
    max_iter: int,
    tol: float,
    enet_tol: float,
    mode: str,
    seed: int,
    names: Sequence[Any] | np.ndarray | None,
    groups: Sequence[Any] | None,
    max_degree: float | None = MAX_MEAN_DEGREE,
) -> PrecisionResult:
    rule = "best"
    if isinstance(alpha, str):
        if alpha != "1se":
            raise ValueError(
                f"alpha must be a positive number, None (cross-validation) or '1se' (cross-validation with the "
                f"one-standard-error rule), not {alpha!r}"
            )
        alpha, rule = None, "1se"
    values = _as_matrix(Z)
    row_groups = _row_groups(groups, len(values))
    labels = [f"#{name}" for name in (names if names is not None else range(values.shape[1]))]
    if len(labels) != values.shape[1]:
        raise ValueError(f"names has {len(labels)} labels for {values.shape[1]} columns; give one per column")
    n = len(values)
    need = max(MIN_SAMPLES, 3 * int(cv)) if alpha is None else MIN_SAMPLES
    if n < need:
        raise DegenerateActivationsError(
            f"only {n} samples: estimating a neuron graph needs at least {need} "
            f"({'3 per cross-validation fold' if alpha is None else 'minimum'}); pass more texts or inputs, "
            "or use token pooling (one sample per token)"
        )
    if alpha is not None and not (np.isfinite(alpha) and float(alpha) > 0):
        raise ValueError(f"alpha must be a positive number (or None to choose it by cross-validation), not {alpha!r}")
    if int(cv) < 2:
        raise ValueError(f"cv must be at least 2 folds, not {cv}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, not {mode!r}")
    settings = {"mode": mode, "tol": float(tol), "enet_tol": float(enet_tol), "max_iter": int(max_iter)}
    actions: list[str] = []

    kept, dropped = _drop_constant(values, labels, actions)
    mean = values[:, kept].mean(axis=0)
    scale = values[:, kept].std(axis=0)
    standard = (values[:, kept] - mean) / scale
    correlation = standard.T @ standard / n
    reps, groups = _merge_duplicates(correlation, kept, labels, actions)
    rep_positions = [int(np.flatnonzero(kept == r)[0]) for r in reps]
    standard = standard[:, rep_positions]
    mean, scale = mean[rep_positions], scale[rep_positions]
    if len(reps) < 2:
        raise DegenerateActivationsError(
            f"after merging duplicates only {labels[reps[0]]} is left ({len(groups[0])} identical neurons): a "
            "graph needs at least two neurons that vary independently; choose more neurons or another layer"
        )
    S = correlation[np.ix_(rep_positions, rep_positions)]
    shrinkage = LedoitWolf(standard)

    cv_alphas = cv_scores = None
    if alpha is None:
        fold_log: list[str] = []
        alpha, cv_alphas, cv_scores = choose_alpha(
            standard,
            S,
            int(cv),
            alphas,
            int(n_refinements),
            settings,
            seed,
            shrinkage,
            fold_log,
            row_groups,
            rule,
            max_degree,
        )
        actions.extend(fold_log)
        method = "cv" if rule == "best" else "cv-1se"
    else:
        method = "fixed"
    log: list[str] = []
    fit = fit_screened(S, float(alpha), settings, shrinkage, log, [labels[r] for r in reps])
    actions.extend(log)
    return PrecisionResult(
        precision=fit.precision,
        covariance=fit.covariance,
        alpha=float(alpha),
        columns=np.asarray(reps, dtype=int),
        groups=groups,
        dropped=dropped,
        actions=actions,
        mean=mean,
        scale=scale,
        method=method,
        n_samples=n,
        cv_alphas=cv_alphas,
        cv_scores=cv_scores,
        n_blocks=fit.n_blocks,
        largest_block=fit.largest,
        converged=fit.converged,
        settings={**settings, "cv": int(cv) if method != "fixed" else None, "seed": int(seed)},
    )


# ---------------------------------------------------------------------------------------------- cleaning
def _as_matrix(Z: Any) -> np.ndarray:
    values = np.asarray(Z, dtype=float)
    if values.ndim != 2:
        raise DegenerateActivationsError(
            f"activations must be a 2-D matrix [n_samples, n_neurons], got shape {values.shape}"
        )
    if values.shape[1] < 2:
        raise DegenerateActivationsError(
            f"a neuron graph needs at least 2 neurons, got {values.shape[1]}; choose more neurons"
        )
    bad = np.flatnonzero(~np.isfinite(values).all(axis=0))
    if bad.size:
        raise DegenerateActivationsError(
            f"the activations of {bad.size} neuron(s) contain NaN or infinite values (columns "
            f"{', '.join(map(str, bad[:10]))}); check the model's numerics or drop those neurons"
        )
    return values


def _drop_constant(values: np.ndarray, labels: list[str], actions: list[str]) -> tuple[np.ndarray, list[int]]:
    std = values.std(axis=0)
    constant = std <= CONSTANT_TOL * (1 + np.abs(values.mean(axis=0)))
    dropped = np.flatnonzero(constant).tolist()
    kept = np.flatnonzero(~constant)
    if kept.size == values.shape[1]:
        return kept, []
    if kept.size == 0:
        raise DegenerateActivationsError(
            f"all {values.shape[1]} neurons are constant on these {len(values)} samples (e.g. dead ReLU units or "
            "a layer that ignores its input): there is nothing to correlate; choose another layer or more varied "
            "inputs"
        )
    if kept.size < 2:
        raise DegenerateActivationsError(
            f"only 1 of {values.shape[1]} neurons varies ({labels[int(kept[0])]}); the rest are constant on these "
            "samples, and a graph needs at least two: choose another layer, more neurons or more varied inputs"
        )
    actions.append(
        f"dropped {len(dropped)} constant neuron{'s' if len(dropped) != 1 else ''}: " + list_names(labels, dropped)
    )
    return kept, dropped


def _merge_duplicates(
    corr: np.ndarray, kept: np.ndarray, labels: list[str], actions: list[str]
) -> tuple[list[int], list[list[int]]]:
    from scipy.sparse.csgraph import connected_components

    same = np.abs(corr) > DUPLICATE_CORRELATION
    np.fill_diagonal(same, False)
    if not same.any():
        return [int(k) for k in kept], [[int(k)] for k in kept]
    _, component = connected_components(same, directed=False)
    reps: list[int] = []
    groups: list[list[int]] = []
    seen: dict[int, int] = {}
    for position, column in enumerate(kept):
        c = int(component[position])
        if c in seen:
            groups[seen[c]].append(int(column))
            continue
        seen[c] = len(reps)
        reps.append(int(column))
        groups.append([int(column)])
    merged = [g for g in groups if len(g) > 1]
    for group in merged:
        actions.append(
            f"merged {len(group) - 1} duplicate neuron{'s' if len(group) > 2 else ''} into {labels[group[0]]} "
            f"(|correlation| > 1 − 1e-8): {list_names(labels, group[1:])}"
        )
    return reps, groups

"""The graphical lasso by block coordinate descent with exact, sparse column updates.

The same estimator as scikit-learn's ``graphical_lasso`` (−log det Θ + tr(SΘ) + α Σ_{i≠j} |Θ_ij|, diagonal
not penalised) and the same outer algorithm (Friedman, Hastie & Tibshirani 2008: one lasso per column
against the current covariance W), but each column's lasso is solved exactly on a small working set:

* the coefficients β_j of a column are sparse (a handful of neighbours), so the column's gradient
  s_j − W β_j costs O(p·|β_j|) instead of the O(p²) of a dense Gram product;
* a column whose coefficients already satisfy the optimality conditions against the current W is only
  checked, not solved; the others get an exact active-set (feature-sign) solve on the neurons that break
  the conditions plus its current neighbours, a k × k linear system with k ≈ 10;
* a fit can start from another fit's (W, β) (``start=``): the next α of a path or the same α on another
  fold needs one or two sweeps instead of five.

A sweep over p = 1,536 neurons takes tens of milliseconds where scikit-learn's takes seconds.

Example:
    >>> import numpy as np
    >>> S = np.array([[1.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 1.0]])
    >>> fit = sparse_graphical_lasso(S, 0.15)
    >>> (np.abs(fit.precision) > 0).astype(int).tolist(), fit.n_iter <= 3
    ([[1, 1, 0], [1, 1, 1], [0, 1, 1]], True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dposv

__all__ = ["GlassoState", "lasso_active_set", "sparse_graphical_lasso"]

# no entry of W (in the units of the z-scored covariance) moved by more than this in a sweep: converged. The
# solution is then within ~1e-7 of the exact one (scikit-learn's default duality gap of 1e-4 leaves ~1e-4)
W_TOL = 1e-6
PROJECTED_STEPS = 8  # non-monotone active-set steps before the monotone (feature-sign) ones
SLACK = 1e-10  # relative slack on |gradient| ≤ α before a neuron joins a column's working set


@dataclass
class GlassoState:
    """A graphical-lasso solution: W (the covariance estimate), B (row j = column j's lasso coefficients β_j),
    Θ (the precision), the sweeps it took and whether it met the tolerance."""

    covariance: np.ndarray
    coefficients: np.ndarray
    precision: np.ndarray
    n_iter: int
    converged: bool


def sparse_graphical_lasso(
    S: np.ndarray,
    alpha: float,
    *,
    max_iter: int = 100,
    tol: float = W_TOL,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> GlassoState:
    """The graphical lasso of covariance ``S`` at penalty ``alpha``, optionally from ``start = (W, B)``.

    Sweeps stop once no entry of W moved by more than ``tol``.

    Raises ``FloatingPointError`` when the fit leaves the positive-definite cone (as scikit-learn's solver
    does, "Non SPD result"), which the recovery ladder in ``solver.py`` then handles.

    Example:
        >>> S = np.array([[1.0, 0.6], [0.6, 1.0]])
        >>> fit = sparse_graphical_lasso(S, 0.1)
        >>> np.round(fit.covariance, 6).tolist()
        [[1.0, 0.5], [0.5, 1.0]]
    """
    S = np.asarray(S, dtype=float)
    if start is None:
        W, B = feasible_start(S, alpha), np.zeros_like(S)
    else:
        W, B = np.array(start[0], dtype=float), np.array(start[1], dtype=float)
        np.fill_diagonal(W, np.diag(S))
        np.fill_diagonal(B, 0.0)
    n_iter, converged = 0, False
    with np.errstate(all="raise"):
        try:
            while n_iter < max_iter and not converged:
                n_iter += 1
                change = sweep(S, W, B, alpha)
                if not np.isfinite(change):
                    raise FloatingPointError("non-finite covariance")
                converged = change <= tol
        except (FloatingPointError, np.linalg.LinAlgError) as exc:
            raise FloatingPointError("Non SPD result: the system is too ill-conditioned for this solver") from exc
    precision = precision_from(S, W, B)
    return GlassoState(W, B, precision, n_iter, converged)


def feasible_start(S: np.ndarray, alpha: float) -> np.ndarray:
    """W = (1 − t) S + t diag(S) with t = min(1, α / max |S_ij|): positive definite even when S is singular, and
    within α of S, so every column update keeps W positive definite (log det W only grows). scikit-learn starts
    at t = 0.05, outside that box for small α, where its first sweep can leave the positive-definite cone.

    Example:
        >>> feasible_start(np.array([[1.0, 0.8], [0.8, 1.0]]), 0.2).tolist()
        [[1.0, 0.6000000000000001], [0.6000000000000001, 1.0]]
    """
    off = np.abs(S - np.diag(np.diag(S)))
    largest = float(off.max()) if off.size else 0.0
    t = 1.0 if largest <= alpha else alpha / largest
    W = (1.0 - t) * S
    np.fill_diagonal(W, np.diag(S))
    return W


def sweep(S: np.ndarray, W: np.ndarray, B: np.ndarray, alpha: float) -> float:
    """One pass of exact column updates over every neuron; returns the largest change of an entry of W."""
    largest = 0.0
    limit = alpha * (1 + SLACK)
    for j in range(len(S)):
        beta = B[j]
        work = np.flatnonzero(beta)
        while True:
            if work.size:
                beta[work] = lasso_active_set(W[work[:, None], work], S[j].take(work), alpha, beta.take(work))
                active = work[beta.take(work) != 0.0]
            else:
                active = work
            # s_j − W β_j over every neuron, in O(p·|β_j|); the neurons outside the working set that break the
            # optimality conditions (|gradient| > α) join it, and the column is solved again
            w = beta.take(active) @ W.take(active, axis=0) if active.size else np.zeros(len(S))
            outside = np.abs(S[j] - w) > limit
            outside[j] = False
            outside[work] = False
            if not outside.any():
                break
            work = np.flatnonzero(outside | (beta != 0.0))
        w[j] = S[j, j]
        largest = max(largest, float(np.max(np.abs(W[j] - w))))
        W[j] = w
        W[:, j] = w
    return largest


def lasso_active_set(Q: np.ndarray, q: np.ndarray, alpha: float, beta: np.ndarray) -> np.ndarray:
    """argmin_β ½ βᵀQβ − qᵀβ + α‖β‖₁ for a positive-definite ``Q``, exactly, from ``beta`` (feature-sign search).

    Each step solves the linear system of the current signs. The first few steps take its solution and zero
    every coefficient whose sign it flips (fast on dense columns, where many flip at once, but not monotone);
    after ``PROJECTED_STEPS`` of them a step moves only up to the first coefficient that would change sign, so
    the objective falls at every step and the search ends. Ends when every zero coefficient has
    |q_i − (Qβ)_i| ≤ α.

    Example:
        >>> Q = np.array([[1.0, 0.3], [0.3, 1.0]])
        >>> np.round(lasso_active_set(Q, np.array([0.8, 0.1]), 0.2, np.zeros(2)), 6).tolist()
        [0.6, 0.0]
    """
    beta = np.array(beta, dtype=float)
    signs = np.sign(beta)
    if signs.all():
        # the common case in a sweep: the column's neighbours and their signs have not changed
        _, target, info = dposv(Q, q - alpha * signs)
        if info == 0 and np.array_equal(np.sign(target), signs):
            return np.asarray(target)
    k = len(q)
    limit = alpha * (1 + SLACK)
    one_at_a_time = False
    for step in range(20 * k + 20 + PROJECTED_STEPS):
        free = np.flatnonzero(signs)
        if free.size:
            _, target, info = dposv(Q.take(free, axis=0).take(free, axis=1), q.take(free) - alpha * signs.take(free))
            if info != 0:
                raise np.linalg.LinAlgError("a column's covariance block is not positive definite")
            now = beta.take(free)
            flips = np.sign(target) != signs.take(free)
            if not flips.any():
                beta[free] = target
                if free.size == k:
                    return beta  # every coefficient is non-zero with its sign: nothing left to check
            elif step < PROJECTED_STEPS:
                beta[free] = np.where(flips, 0.0, target)
                signs = np.sign(beta)
                continue
            else:
                # move to the first sign change on the segment now → target; the objective falls on the way
                gap = np.where(flips, now - target, 1.0)
                steps = np.where(flips & (now != 0.0), now / np.where(gap == 0.0, 1.0, gap), 0.0)
                steps[~flips] = np.inf
                first = float(np.min(steps))
                if first <= 0.0:
                    # a coefficient that was just let in would move against its sign: keep it out, add one at a time
                    stuck = free[flips & (steps <= 0.0)]
                    signs[stuck] = 0.0
                    beta[stuck] = 0.0
                    one_at_a_time = True
                    continue
                beta[free] = now + first * (target - now)
                beta[free[flips & (steps <= first * (1 + 1e-12))]] = 0.0
                signs = np.sign(beta)
                continue
        gradient = q - Q @ beta
        breaking = (signs == 0) & (np.abs(gradient) > limit)
        if not breaking.any():
            return beta
        if one_at_a_time:
            worst = int(np.argmax(np.where(breaking, np.abs(gradient), -np.inf)))
            breaking = np.zeros(k, dtype=bool)
            breaking[worst] = True
        signs[breaking] = np.sign(gradient[breaking])
    return lasso_coordinate_descent(Q, q, alpha, beta)


def lasso_coordinate_descent(Q: np.ndarray, q: np.ndarray, alpha: float, beta: np.ndarray) -> np.ndarray:
    """Cyclic coordinate descent on the same lasso: slow, but it cannot cycle (the active-set fallback)."""
    beta = np.array(beta, dtype=float)
    diagonal = np.diag(Q)
    for _ in range(10_000):
        largest = 0.0
        for i in range(len(q)):
            rest = q[i] - Q[i] @ beta + diagonal[i] * beta[i]
            new = np.sign(rest) * max(abs(rest) - alpha, 0.0) / diagonal[i]
            largest = max(largest, abs(new - beta[i]))
            beta[i] = new
        if largest <= 1e-12:
            break
    return beta


def precision_from(S: np.ndarray, W: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Θ from the column solutions: Θ_jj = 1 / (S_jj − w_jᵀβ_j), Θ_{ij} = −β_j[i] Θ_jj, symmetrised."""
    schur = np.diag(S) - np.einsum("ij,ij->i", W, B)
    if not np.all(schur > 0):
        raise FloatingPointError("Non SPD result: the system is too ill-conditioned for this solver")
    diagonal = 1.0 / schur
    precision = -B * diagonal[:, None]
    precision = (precision + precision.T) / 2
    np.fill_diagonal(precision, diagonal)
    return precision

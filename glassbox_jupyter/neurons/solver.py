"""The screened graphical-lasso fit and its recovery ladder (see ``precision.py`` for the whole pipeline).

A fit splits the neurons into the connected components of |S_ij| > α (exact block decomposition) and
solves each with GlassBox's sparse coordinate descent (``mode="cd"``, ``glasso.py``) or scikit-learn's
``graphical_lasso`` (``mode="lars"``); a component the solver cannot fit goes down the recovery ladder (the
other mode, Ledoit–Wolf shrinkage, diagonal loading, larger α), each step recorded. A fit may start from
another fit's solution (``start=``), block by block: components only merge as α falls, so a block at a
smaller α is a union of the blocks of a larger one.

Example:
    >>> import numpy as np
    >>> S = np.array([[1, .5, 0], [.5, 1, 0], [0, 0, 1.0]])
    >>> fit = fit_screened(S, 0.1, SETTINGS, lambda: 0.1, [])
    >>> fit.n_blocks, fit.largest
    (2, 2)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glassbox_jupyter.neurons.glasso import sparse_graphical_lasso

__all__ = ["SETTINGS", "BlockFit", "Fit", "FitFailed", "LedoitWolf", "components", "fit_screened", "list_names"]

SETTINGS: dict[str, Any] = {"mode": "cd", "tol": 1e-4, "enet_tol": 1e-7, "max_iter": 100}
DIAGONAL_FLOOR = 1e-6  # a neuron constant within a training fold keeps a finite precision
LOADINGS = (1e-3, 1e-2, 1e-1)
ALPHA_FACTORS = (2.0, 4.0, 8.0)
# mode="cd" stops when no entry of W moved by more than tol × SWEEP_TOL in a sweep (1e-6 at tol = 1e-4): within
# ~1e-7 of the exact solution, where scikit-learn's duality gap at the same tol leaves ~1e-4
SWEEP_TOL = 1e-2


def list_names(labels: list[str], columns: Sequence[int], limit: int = 12) -> str:
    shown = ", ".join(labels[c] for c in list(columns)[:limit])
    return shown + (f", … ({len(columns) - limit} more)" if len(columns) > limit else "")


class LedoitWolf:
    """The Ledoit–Wolf shrinkage intensity of the z-scored data, computed only if a fit needs it."""

    def __init__(self, standard: np.ndarray):
        self._data: np.ndarray | None = standard
        self._value: float | None = None

    def __call__(self) -> float:
        if self._value is None:
            from sklearn.covariance import ledoit_wolf_shrinkage

            self._value = float(ledoit_wolf_shrinkage(self._data, assume_centered=True))
            self._data = None
        return self._value


@dataclass
class Fit:
    """A screened fit: Θ and W over every neuron, the lasso coefficients of each column (row j = β_j; a warm
    start for the next fit), the components, and log det Θ (from the positive-definiteness check)."""

    precision: np.ndarray
    covariance: np.ndarray
    blocks: list[np.ndarray]
    n_blocks: int
    largest: int
    converged: bool
    coefficients: np.ndarray | None = None
    log_det: float = float("nan")


@dataclass
class BlockFit:
    """One component's solution; ``coefficients`` is None where scikit-learn's solver gave it."""

    covariance: np.ndarray
    precision: np.ndarray
    converged: bool
    log_det: float
    coefficients: np.ndarray | None = None


def components(S: np.ndarray, alpha: float) -> list[np.ndarray]:
    """Connected components of |S_ij| > alpha (i ≠ j): the exact block structure of the lasso solution."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    # the pairs above alpha are few: a sparse graph (scipy's dense input goes through masked arrays, 10× slower)
    rows, cols = np.nonzero(np.abs(S) > alpha)
    adjacency = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=S.shape)
    count, label = connected_components(adjacency, directed=False)
    order = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    return [np.sort(block) for block in np.split(order, bounds)] if count else []


def fit_screened(
    S: np.ndarray,
    alpha: float,
    settings: dict[str, Any],
    shrinkage: Callable[[], float],
    log: list[str],
    labels: list[str] | None = None,
    recover: bool = True,
    start: Fit | None = None,
) -> Fit:
    """The screened fit; with ``recover=False`` a block the plain solver cannot fit raises :class:`FitFailed`;
    ``start``: a fit of the same neurons at a larger α (or on other rows) to start each block from."""
    p = len(S)
    precision = np.zeros_like(S)
    covariance = np.zeros_like(S)
    coefficients = np.zeros_like(S)
    blocks = components(S, alpha)
    converged = True
    largest = 1
    log_det = 0.0
    for block in blocks:
        if len(block) == 1:
            i = block[0]
            variance = max(S[i, i], DIAGONAL_FLOOR)
            precision[i, i], covariance[i, i] = 1.0 / variance, variance
            log_det -= float(np.log(variance))
            continue
        largest = max(largest, len(block))
        index = np.ix_(block, block)
        names = None if labels is None else [labels[i] for i in block]
        begin = None
        if start is not None and start.coefficients is not None:
            begin = (start.covariance[index], start.coefficients[index])
        if recover:
            result = solve_block(S[index], alpha, settings, shrinkage, log, names, begin)
        else:
            attempt = try_graphical_lasso(S[index], alpha, settings, begin)
            if isinstance(attempt, str):
                raise FitFailed(attempt)
            result = attempt
        converged &= result.converged
        precision[index], covariance[index] = result.precision, result.covariance
        if result.coefficients is not None:
            coefficients[index] = result.coefficients
        log_det += result.log_det
    if p and not converged:
        log.append(
            f"the solver reached max_iter={settings['max_iter']} before tol={settings['tol']:g} on at least one "
            "block of neurons; the estimate is usable, raise max_iter for a tighter fit"
        )
    return Fit(precision, covariance, blocks, len(blocks), largest, converged, coefficients, log_det)


class FitFailed(Exception):
    """A cross-validation fit the plain solver cannot do (such an α scores −∞ instead of being recovered)."""


def solve_block(
    S: np.ndarray,
    alpha: float,
    settings: dict[str, Any],
    shrinkage: Callable[[], float],
    log: list[str],
    names: list[str] | None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> BlockFit:
    """One component through the recovery ladder."""
    k = len(S)
    where = f"a block of {k} neurons" + (f" ({list_names(names, range(k), 6)})" if names else "")
    other = "lars" if settings["mode"] == "cd" else "cd"  # the other solver family
    mean_var = float(np.mean(np.diag(S)))
    identity = np.eye(k)

    def attempts() -> Any:
        yield settings["mode"], S, alpha, None
        yield other, S, alpha, f"switched to mode={other!r}"
        delta = max(shrinkage(), 0.01)
        yield (
            settings["mode"],
            (1 - delta) * S + delta * mean_var * identity,
            alpha,
            (f"used a Ledoit–Wolf-shrunk covariance (shrinkage {delta:.3f})"),
        )
        for load in LOADINGS:
            yield (
                settings["mode"],
                S + load * mean_var * identity,
                alpha,
                (f"added {load:g} × the mean variance to the diagonal (diagonal loading)"),
            )
        for factor in ALPHA_FACTORS:
            yield (
                settings["mode"],
                S + LOADINGS[-1] * mean_var * identity,
                alpha * factor,
                (f"raised alpha from {alpha:.4g} to {alpha * factor:.4g} with diagonal loading 0.1"),
            )

    errors: list[str] = []
    for mode, matrix, penalty, description in attempts():
        result = try_graphical_lasso(
            matrix, penalty, {**settings, "mode": mode}, start if description is None else None
        )
        if isinstance(result, str):
            errors.append(result)
            continue
        if description is not None:
            log.append(f"the graphical lasso failed on {where} ({errors[0]}); {description}")
        return result
    log.append(
        f"the graphical lasso failed on {where} at every recovery step ({errors[0]}); treated those neurons as "
        "independent (no edges among them)"
    )
    variance = np.maximum(np.diag(S), DIAGONAL_FLOOR)
    return BlockFit(np.diag(variance), np.diag(1.0 / variance), False, -float(np.sum(np.log(variance))))


def try_graphical_lasso(
    S: np.ndarray, alpha: float, settings: dict[str, Any], start: tuple[np.ndarray, np.ndarray] | None = None
) -> BlockFit | str:
    """One plain fit (``mode="cd"``: GlassBox's solver, from ``start`` when given; ``"lars"``: scikit-learn's),
    or a short reason why the fit is unusable."""
    result = plain_fit(S, alpha, settings, start)
    if isinstance(result, str) and start is not None:
        return plain_fit(S, alpha, settings)  # a start from far away may fail where the cold start does not
    return result


def plain_fit(
    S: np.ndarray, alpha: float, settings: dict[str, Any], start: tuple[np.ndarray, np.ndarray] | None = None
) -> BlockFit | str:
    coefficients = None
    try:
        if settings["mode"] == "cd":
            state = sparse_graphical_lasso(
                S, alpha, max_iter=settings["max_iter"], tol=settings["tol"] * SWEEP_TOL, start=start
            )
            cov, prec, coefficients = state.covariance, state.precision, state.coefficients
            converged = state.converged
        else:
            cov, prec, converged = sklearn_graphical_lasso(S, alpha, settings)  # "sklearn-cd" or "lars"
    except (FloatingPointError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return str(exc).split(". ")[0].strip() or type(exc).__name__
    if not (np.all(np.isfinite(prec)) and np.all(np.isfinite(cov))):
        return "non-finite result"
    prec = (prec + prec.T) / 2
    try:
        factor = np.linalg.cholesky(prec)
    except np.linalg.LinAlgError:
        return "the precision matrix is not positive definite"
    log_det = 2.0 * float(np.sum(np.log(np.diag(factor))))
    return BlockFit(cov, prec, converged, log_det, coefficients)


def sklearn_graphical_lasso(S: np.ndarray, alpha: float, settings: dict[str, Any]) -> tuple[Any, Any, bool]:
    """scikit-learn's ``graphical_lasso``: (covariance, precision, converged)."""
    from sklearn.covariance import graphical_lasso
    from sklearn.exceptions import ConvergenceWarning

    # the inner lasso may warn that it did not reach enet_tol; what matters is the outer loop (n_iter)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        cov, prec, n_iter = graphical_lasso(
            S,
            alpha,
            mode="lars" if settings["mode"] == "lars" else "cd",
            tol=settings["tol"],
            enet_tol=settings["enet_tol"],
            max_iter=settings["max_iter"],
            return_n_iter=True,
        )
    return cov, prec, int(n_iter) < int(settings["max_iter"])

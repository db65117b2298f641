"""The screened graphical-lasso fit and its recovery ladder (see ``precision.py`` for the whole pipeline).

A fit splits the neurons into the connected components of |S_ij| > α (exact block decomposition) and
solves each with scikit-learn's ``graphical_lasso``; a component the solver cannot fit goes down the
recovery ladder (``mode="lars"``, Ledoit–Wolf shrinkage, diagonal loading, larger α), each step recorded.

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

__all__ = ["SETTINGS", "Fit", "FitFailed", "LedoitWolf", "components", "fit_screened", "list_names"]

SETTINGS: dict[str, Any] = {"mode": "cd", "tol": 1e-4, "enet_tol": 1e-7, "max_iter": 100}
DIAGONAL_FLOOR = 1e-6  # a neuron constant within a training fold keeps a finite precision
LOADINGS = (1e-3, 1e-2, 1e-1)
ALPHA_FACTORS = (2.0, 4.0, 8.0)


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
    precision: np.ndarray
    covariance: np.ndarray
    blocks: list[np.ndarray]
    n_blocks: int
    largest: int
    converged: bool


def components(S: np.ndarray, alpha: float) -> list[np.ndarray]:
    """Connected components of |S_ij| > alpha (i ≠ j): the exact block structure of the lasso solution."""
    from scipy.sparse.csgraph import connected_components

    adjacency = np.abs(S) > alpha
    np.fill_diagonal(adjacency, False)
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
) -> Fit:
    """The screened fit; with ``recover=False`` a block the plain solver cannot fit raises :class:`FitFailed`."""
    p = len(S)
    precision = np.zeros_like(S)
    covariance = np.zeros_like(S)
    blocks = components(S, alpha)
    converged = True
    largest = 1
    for block in blocks:
        if len(block) == 1:
            i = block[0]
            variance = max(S[i, i], DIAGONAL_FLOOR)
            precision[i, i], covariance[i, i] = 1.0 / variance, variance
            continue
        largest = max(largest, len(block))
        index = np.ix_(block, block)
        names = None if labels is None else [labels[i] for i in block]
        if recover:
            cov, prec, ok = solve_block(S[index], alpha, settings, shrinkage, log, names)
        else:
            result = try_graphical_lasso(S[index], alpha, settings)
            if isinstance(result, str):
                raise FitFailed(result)
            cov, prec, ok = result
        converged &= ok
        precision[index], covariance[index] = prec, cov
    if p and not converged:
        log.append(
            f"the solver reached max_iter={settings['max_iter']} before tol={settings['tol']:g} on at least one "
            "block of neurons; the estimate is usable, raise max_iter for a tighter fit"
        )
    return Fit(precision, covariance, blocks, len(blocks), largest, converged)


class FitFailed(Exception):
    """A cross-validation fit the plain solver cannot do (such an α scores −∞ instead of being recovered)."""


def solve_block(
    S: np.ndarray,
    alpha: float,
    settings: dict[str, Any],
    shrinkage: Callable[[], float],
    log: list[str],
    names: list[str] | None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """One component through the recovery ladder; returns (covariance, precision, converged)."""
    k = len(S)
    where = f"a block of {k} neurons" + (f" ({list_names(names, range(k), 6)})" if names else "")
    other = "lars" if settings["mode"] == "cd" else "cd"
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
        result = try_graphical_lasso(matrix, penalty, {**settings, "mode": mode})
        if isinstance(result, str):
            errors.append(result)
            continue
        cov, prec, converged = result
        if description is not None:
            log.append(f"the graphical lasso failed on {where} ({errors[0]}); {description}")
        return cov, prec, converged
    log.append(
        f"the graphical lasso failed on {where} at every recovery step ({errors[0]}); treated those neurons as "
        "independent (no edges among them)"
    )
    variance = np.maximum(np.diag(S), DIAGONAL_FLOOR)
    return np.diag(variance), np.diag(1.0 / variance), False


def try_graphical_lasso(S: np.ndarray, alpha: float, settings: dict[str, Any]) -> tuple[Any, Any, bool] | str:
    """(covariance, precision, converged), or a short reason why the fit is unusable."""
    from sklearn.covariance import graphical_lasso
    from sklearn.exceptions import ConvergenceWarning

    try:
        # the inner lasso may warn that it did not reach enet_tol; what matters is the outer loop (n_iter)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            cov, prec, n_iter = graphical_lasso(
                S,
                alpha,
                mode=settings["mode"],
                tol=settings["tol"],
                enet_tol=settings["enet_tol"],
                max_iter=settings["max_iter"],
                return_n_iter=True,
            )
    except (FloatingPointError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return str(exc).split(". ")[0].strip() or type(exc).__name__
    if not (np.all(np.isfinite(prec)) and np.all(np.isfinite(cov))):
        return "non-finite result"
    prec = (prec + prec.T) / 2
    try:
        np.linalg.cholesky(prec)
    except np.linalg.LinAlgError:
        return "the precision matrix is not positive definite"
    return cov, prec, int(n_iter) < int(settings["max_iter"])

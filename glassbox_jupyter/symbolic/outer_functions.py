"""Known-invertible outer functions: ``y = G(u(x))`` with ``u`` simpler than ``y``, found by transforming the
target.

``1/sqrt(1 − β²)`` is a deep tree for a genetic search, but its inverse square ``1 − β²`` is a quadratic;
``exp(−θ²/2)`` is a quadratic under ``log``. For each ``G`` in :data:`OUTERS` the target is mapped through
``G⁻¹`` and fitted by a quadratic polynomial in the inputs (least squares, all squares and products): the
transform whose fit leaves the smallest share of variance unexplained is the one a search should see.
The search then runs on ``G⁻¹(y)`` and each equation ``u`` it finds maps back to ``G(u)``.

Example:
    >>> import numpy as np
    >>> beta = np.linspace(0.05, 0.7, 50)[:, None]
    >>> best_outer(beta, 1 / np.sqrt(1 - beta[:, 0] ** 2))[0].name
    'inverse square'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy


@dataclass(frozen=True)
class Outer:
    """``y = G(u)``: ``to_inner`` maps targets to ``u = G⁻¹(y)``; ``outer`` maps an equation for ``u`` to ``y``'s."""

    name: str
    to_inner: Callable[[np.ndarray], np.ndarray]
    outer: Callable[[sympy.Expr], sympy.Expr]


def _sqrt(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.where(x >= 0, x, np.nan))


def _log(x: np.ndarray) -> np.ndarray:
    return np.log(np.where(x > 0, x, np.nan))


OUTERS = (
    Outer("identity", lambda y: y, lambda u: u),
    Outer("inverse", lambda y: 1 / y, lambda u: 1 / u),
    Outer("square", lambda y: _sqrt(y), lambda u: u**2),  # y = u²: u = √y
    Outer("sqrt", lambda y: np.where(y >= 0, y**2, np.nan), sympy.sqrt),  # y = √u: u = y²
    Outer("inverse square", lambda y: np.where(y > 0, 1 / y**2, np.nan), lambda u: 1 / sympy.sqrt(u)),
    Outer("exp", _log, sympy.exp),  # y = exp(u): u = log y
    Outer("log", lambda y: np.exp(np.where(y < 50, y, np.nan)), sympy.log),  # y = log(u): u = exp(y)
)
IDENTITY = OUTERS[0]


def quadratic_misfit(X: np.ndarray, u: np.ndarray) -> float:
    """``1 − R²`` of the least-squares quadratic polynomial in the columns of ``X`` (every square and product)
    fitted to ``u``; 1 when ``u`` is not finite everywhere or is constant."""
    if not np.all(np.isfinite(u)) or np.ptp(u) == 0:
        return 1.0
    n, k = X.shape
    columns = [np.ones(n), *(X[:, i] for i in range(k))]
    columns += [X[:, i] * X[:, j] for i in range(k) for j in range(i, k)]
    A = np.stack(columns, axis=1)
    coefficients, *_ = np.linalg.lstsq(A, u, rcond=None)
    residual = u - A @ coefficients
    return float(np.mean(residual**2) / np.var(u))


def best_outer(X: np.ndarray, y: np.ndarray) -> tuple[Outer, float]:
    """The outer function under whose inverse ``y`` is closest to a quadratic in ``X``, and that fit's
    misfit (:func:`quadratic_misfit`); the identity on ties."""
    with np.errstate(all="ignore"):
        scored = [(quadratic_misfit(X, outer.to_inner(y)), index) for index, outer in enumerate(OUTERS)]
    misfit, index = min(scored)
    return OUTERS[index], misfit

"""Known-invertible outer functions: ``y = G(u(x))`` with ``u`` simpler than ``y``, found by transforming the
target.

``1/sqrt(1 − β²)`` is a deep tree for a genetic search, but its inverse square ``1 − β²`` is a quadratic;
``exp(−θ²/2)`` is a quadratic under ``log``. For each ``G`` in :data:`OUTERS` the target is mapped through
``G⁻¹`` and fitted by a quadratic polynomial in the inputs (least squares, all squares and products, and
each input's inverse); the fit mapped back through ``G`` is scored on ``y`` itself (so a ``log`` that
magnifies small values' noise does not win or lose by it), and the ``G`` that leaves the smallest share of
``y``'s variance unexplained is the one a search should see.
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
    """``y = G(u)``: ``to_inner`` maps targets to ``u = G⁻¹(y)``; ``outer`` maps an equation for ``u`` to ``y``'s;
    ``apply`` is ``G`` on numbers."""

    name: str
    to_inner: Callable[[np.ndarray], np.ndarray]
    outer: Callable[[sympy.Expr], sympy.Expr]
    apply: Callable[[np.ndarray], np.ndarray]


def _sqrt(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.where(x >= 0, x, np.nan))


def _log(x: np.ndarray) -> np.ndarray:
    return np.log(np.where(x > 0, x, np.nan))


OUTERS = (
    Outer("identity", lambda y: y, lambda u: u, lambda u: u),
    Outer("inverse", lambda y: 1 / y, lambda u: 1 / u, lambda u: 1 / u),
    Outer("square", _sqrt, lambda u: u**2, lambda u: u**2),  # y = u²: u = √y
    Outer("sqrt", lambda y: np.where(y >= 0, y**2, np.nan), sympy.sqrt, _sqrt),  # y = √u: u = y²
    Outer(
        "inverse square",
        lambda y: np.where(y > 0, 1 / y**2, np.nan),
        lambda u: 1 / sympy.sqrt(u),
        lambda u: 1 / _sqrt(u),
    ),
    Outer("exp", _log, sympy.exp, np.exp),  # y = exp(u): u = log y
    Outer("log", lambda y: np.exp(np.where(y < 50, y, np.nan)), sympy.log, _log),  # y = log(u): u = exp(y)
)
#: Every outer function by name: :data:`OUTERS` and the periodic ones the structure tests also try (not fitted
#: by :func:`best_outer`), as the stitched equations of :mod:`stitching` apply them.
BY_NAME: dict[str, Outer] = {
    o.name: o
    for o in (
        *OUTERS,
        Outer("sin", lambda y: np.arcsin(np.where(np.abs(y) <= 1, y, np.nan)), sympy.sin, np.sin),
        Outer("arcsin", np.sin, sympy.asin, lambda u: np.arcsin(np.where(np.abs(u) <= 1, u, np.nan))),
    )
}
IDENTITY = OUTERS[0]
#: The share of rows on which ``G⁻¹(y)`` must be defined for ``G`` to be considered.
MIN_DEFINED = 0.8


def _design(X: np.ndarray) -> np.ndarray:
    """Columns of the quadratic fit: 1, each input, every square and product, each input's inverse where it
    has no zero (``kT/mgx`` enters as ``mgx/kT`` too)."""
    n, k = X.shape
    columns = [np.ones(n), *(X[:, i] for i in range(k))]
    columns += [X[:, i] * X[:, j] for i in range(k) for j in range(i, k)]
    columns += [1 / X[:, i] for i in range(k) if np.all(X[:, i] != 0)]
    return np.stack(columns, axis=1)


def slope(outer: Outer, u: np.ndarray) -> np.ndarray:
    """``|G'(u)|`` by central differences (0 where not finite): how much ``y`` moves per unit of ``u``."""
    step = 1e-6 * np.maximum(1.0, np.abs(u))
    with np.errstate(all="ignore"):
        value = np.abs(outer.apply(u + step) - outer.apply(u - step)) / (2 * step)
    return np.where(np.isfinite(value), value, 0.0)


def reliable(outer: Outer, u: np.ndarray, share: float = 0.05) -> np.ndarray:
    """Rows where ``u = G⁻¹(y)`` is finite and ``|G'(u)|`` is at least ``share`` of its median: elsewhere ``G⁻¹``
    magnifies the network's small errors (``log`` of values near 0) and a search on ``u`` would chase them."""
    finite = np.isfinite(u)
    weight = slope(outer, np.where(finite, u, 0.0))
    typical = float(np.median(weight[finite])) if finite.any() else 0.0
    return finite & (weight >= share * typical)


def quadratic_misfit(X: np.ndarray, y: np.ndarray, outer: Outer = OUTERS[0]) -> float:
    """``1 − R²``, measured on ``y`` itself, of ``G(quadratic fit of G⁻¹(y))`` (:func:`_design`'s columns,
    least squares weighted by ``|G'(u)|``, on the rows where ``G⁻¹(y)`` is defined): how well
    ``y = G(simple u)`` holds, scored on every row. 1 when ``G⁻¹(y)`` is defined on fewer than
    :data:`MIN_DEFINED` of the rows or ``y`` is constant."""
    with np.errstate(all="ignore"):
        u = outer.to_inner(y)
        fitted = np.isfinite(u)  # a network's small errors can leave G⁻¹ undefined on a few rows (log of −1e-5)
        if fitted.mean() < MIN_DEFINED or np.ptp(y) == 0:
            return 1.0
        A = _design(X)
        # weighted by |G'(u)|, so a residual in u counts as the residual in y it makes (log's tiny values, whose
        # noise it magnifies, weigh little)
        weight = slope(outer, u[fitted])
        coefficients, *_ = np.linalg.lstsq(A[fitted] * weight[:, None], u[fitted] * weight, rcond=None)
        back = outer.apply(A @ coefficients)  # scored on every row
    if not np.all(np.isfinite(back)):
        return 1.0
    return float(min(1.0, np.mean((y - back) ** 2) / np.var(y)))


def best_outer(X: np.ndarray, y: np.ndarray) -> tuple[Outer, float]:
    """The outer function ``G`` for which ``y = G(quadratic)`` fits best (:func:`quadratic_misfit`), and that
    misfit; the identity on ties."""
    scored = [(quadratic_misfit(X, y, outer), index) for index, outer in enumerate(OUTERS)]
    misfit, index = min(scored)
    return OUTERS[index], misfit

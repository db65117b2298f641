"""Fighting bloat: simplify with sympy, snap constants to short values, drop negligible terms.

Every change is accepted only while the equation's fit on validation probes stays within a
tolerance: the loss may grow by at most ``tolerance × var(y)`` (i.e. R² drops by at most
``tolerance``). So ``2.4999998*x**2 + 1.0000001*cos(0.9999999*x) + 1.2e-7`` becomes
``5*x**2/2 + cos(x)`` only because that costs no fidelity.

Example:
    >>> import numpy as np, sympy
    >>> from glassbox_jupyter.symbolic.expression import input_symbols
    >>> x, = input_symbols(1)
    >>> X = np.linspace(-3, 3, 200)[:, None]
    >>> y = 2.5 * X[:, 0] ** 2 + np.cos(X[:, 0])
    >>> F = sympy.Float
    >>> messy = F(1.5811388) ** 2 * x**2 + F(0.9999999) * sympy.cos(F(1.0000001) * x) + F(1.2e-7)
    >>> tidy(messy, X, y)
    5*x0**2/2 + cos(x0)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import constants, evaluate

MAX_SIMPLIFY_OPS = 40  # sympy.simplify can take seconds on large expressions; skip it above this


def mse(expr: sympy.Expr, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of ``expr`` on ``(X, y)``; ``inf`` when it is not finite everywhere."""
    residual = evaluate(expr, X) - y
    value = float(np.mean(residual**2))
    return value if np.isfinite(value) else float("inf")


def snap_candidates(value: float) -> list[sympy.Expr]:
    """Simpler numbers close to ``value``, simplest first.

    0, the nearest integer, a small fraction (denominator up to 4), one significant digit, two
    significant digits, a small fraction with denominator up to 12, then 3 and 4 digits.
    """
    out: list[sympy.Expr] = [sympy.Integer(0), sympy.Integer(round(value))]

    def rounded(digits: int) -> sympy.Expr:
        r = float(f"{value:.{digits}g}")
        return sympy.Integer(int(r)) if r.is_integer() else sympy.Float(repr(r), 15)  # exact decimal value

    def fraction(max_denominator: int, max_numerator: int) -> sympy.Expr | None:
        f = Fraction(value).limit_denominator(max_denominator)
        return sympy.Rational(f.numerator, f.denominator) if abs(f.numerator) <= max_numerator else None

    out += [fraction(4, 12), rounded(1), rounded(2), fraction(12, 24), rounded(3), rounded(4)]
    unique: list[sympy.Expr] = []
    for candidate in out:
        if candidate is not None and all(candidate != u for u in unique) and candidate != sympy.Float(value):
            unique.append(candidate)
    return unique


def simplify(expr: sympy.Expr) -> sympy.Expr:
    """sympy simplification when the expression is small enough for it to be quick."""
    if sympy.count_ops(expr) > MAX_SIMPLIFY_OPS:
        return expr
    try:
        simpler = sympy.simplify(expr)
    except Exception:  # sympy raises assorted errors on odd inputs; keep the original then
        return expr
    return simpler if sympy.count_ops(simpler) <= sympy.count_ops(expr) else expr


def tidy(expr: sympy.Expr, X: np.ndarray, y: np.ndarray, tolerance: float = 1e-4) -> sympy.Expr:
    """Simplify ``expr`` and snap its constants while the validation loss stays within budget."""
    variance = float(np.var(y)) or 1.0
    current = simplify(expr)
    if mse(current, X, y) > mse(expr, X, y) + tolerance * variance:
        current = expr
    budget = mse(current, X, y) + tolerance * variance
    for constant in constants(current):
        if constant not in current.atoms(sympy.Float):
            continue  # an earlier substitution already removed it
        for candidate in snap_candidates(float(constant)):
            trial = current.xreplace({constant: candidate})
            if mse(trial, X, y) <= budget:
                current = trial
                break
    final = simplify(current)
    final = final if mse(final, X, y) <= budget else current
    # integer-valued floats print as "2.0"; the exact integer is the same number, shown plainly
    return final.xreplace({c: sympy.Integer(int(c)) for c in final.atoms(sympy.Float) if float(c).is_integer()})

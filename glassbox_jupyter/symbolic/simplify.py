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

import signal
import threading
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import complexity, constants, evaluate

MAX_SIMPLIFY_OPS = 12  # sympy.simplify can take seconds on larger expressions; skip it above this
SIMPLIFY_SECONDS = 0.5


def mse(expr: sympy.Expr, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of ``expr`` on ``(X, y)``; ``inf`` when it is not finite everywhere."""
    try:
        residual = evaluate(expr, X) - y
    except (ValueError, TypeError):  # a form numpy cannot evaluate counts as no fit at all
        return float("inf")
    value = float(np.mean(residual**2))
    return value if np.isfinite(value) else float("inf")


def snap_candidates(value: float) -> list[sympy.Expr]:
    """Simpler numbers close to ``value``, simplest first.

    0, the nearest integer, a small fraction (denominator up to 4), a small multiple of pi, one
    significant digit, two
    significant digits, a small fraction with denominator up to 12, then 3 and 4 digits.
    """
    out: list[sympy.Expr] = [sympy.Integer(0), sympy.Integer(round(value))]

    def rounded(digits: int) -> sympy.Expr:
        r = float(f"{value:.{digits}g}")
        return sympy.Integer(int(r)) if r.is_integer() else sympy.Float(repr(r), 15)  # exact decimal value

    def fraction(max_denominator: int, max_numerator: int) -> sympy.Expr | None:
        f = Fraction(value).limit_denominator(max_denominator)
        return sympy.Rational(f.numerator, f.denominator) if abs(f.numerator) <= max_numerator else None

    def pi_multiple() -> sympy.Expr | None:  # laws often carry pi: 2*pi, pi/4...
        f = Fraction(value / np.pi).limit_denominator(4)
        return sympy.Rational(f.numerator, f.denominator) * sympy.pi if 0 < abs(f.numerator) <= 4 else None

    out += [fraction(4, 12), pi_multiple(), rounded(1), rounded(2), fraction(12, 24), rounded(3), rounded(4)]
    unique: list[sympy.Expr] = []
    for candidate in out:
        if candidate is not None and all(candidate != u for u in unique) and candidate != sympy.Float(value):
            unique.append(candidate)
    return unique


def simplify(expr: sympy.Expr) -> sympy.Expr:
    """The smallest of a few cheap rewrites (and sympy.simplify when the expression is small).

    Full ``sympy.simplify`` costs about a second on a 3-variable front member (mostly trigsimp), so
    it only runs on small expressions; distributing, factoring and cancelling catch most bloat.
    """
    options = [expr]
    guarded = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    for rewrite in (sympy.factor_terms, _bounded_expand, _cancel_if_rational):
        if guarded:
            rewritten = within_seconds(rewrite, expr, SIMPLIFY_SECONDS)
        else:
            try:
                rewritten = rewrite(expr)
            except Exception:  # sympy raises assorted errors on odd inputs; skip that rewrite
                rewritten = None
        if rewritten is not None:
            options.append(rewritten)
    # Full simplify turns floats into huge exact rationals and can then factor for minutes:
    # only exact, small expressions get it, and only within a time limit.
    if not expr.atoms(sympy.Float) and sympy.count_ops(expr) <= MAX_SIMPLIFY_OPS:
        simpler = within_seconds(sympy.simplify, expr, SIMPLIFY_SECONDS)
        if simpler is not None:
            options.append(simpler)
    return min(options, key=lambda e: (complexity(e), sympy.count_ops(e)))


class _Timeout(Exception):
    pass


def within_seconds(function: Any, expr: sympy.Expr, seconds: float) -> sympy.Expr | None:
    """``function(expr)``, or ``None`` if it fails or takes longer than ``seconds``.

    The limit uses a real-time timer signal, so it applies only on the main thread of a Unix
    process (a notebook kernel, a script); elsewhere the full simplification is skipped.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return None

    def stop(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function(expr)
    except Exception:  # _Timeout or any sympy failure: keep the cheaper forms
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _bounded_expand(expr: sympy.Expr) -> sympy.Expr:
    expanded = sympy.expand(expr, power_exp=False, log=False)
    return expanded if sympy.count_ops(expanded) <= 2 * sympy.count_ops(expr) else expr


def _cancel_if_rational(expr: sympy.Expr) -> sympy.Expr:
    # cancel() turns floats into huge exact fractions (8.312 -> 218829001/26325878): exact only
    return sympy.cancel(expr) if expr.is_rational_function() and not expr.atoms(sympy.Float) else expr


def tidy(expr: sympy.Expr, X: np.ndarray, y: np.ndarray, tolerance: float = 1e-4) -> sympy.Expr:
    """Simplify ``expr`` and snap its constants while the validation loss stays within budget."""
    variance = float(np.var(y)) or 1.0
    current = simplify(expr)
    if mse(current, X, y) > mse(expr, X, y) + tolerance * variance:
        current = expr
    budget = mse(current, X, y) + tolerance * variance
    for _ in range(2):  # simplifying can merge constants into new ones (0.2039/2): snap those too
        current = _snap_constants(current, X, y, budget)
        final = simplify(current)
        if mse(final, X, y) > budget or final == current:
            break
        current = final
    # integer-valued floats print as "2.0"; the exact integer is the same number, shown plainly
    return current.xreplace({c: sympy.Integer(int(c)) for c in current.atoms(sympy.Float) if float(c).is_integer()})


def _snap_constants(current: sympy.Expr, X: np.ndarray, y: np.ndarray, budget: float) -> sympy.Expr:
    for constant in constants(current):
        if constant not in current.atoms(sympy.Float):
            continue  # an earlier substitution already removed it
        for candidate in snap_candidates(float(constant)):
            trial = current.xreplace({constant: candidate})
            if mse(trial, X, y) <= budget:
                current = trial
                break
    return current

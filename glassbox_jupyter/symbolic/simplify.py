"""Fighting bloat: simplify with sympy, snap constants to simple values, show the rest to their precision.

Every change is accepted only while the equation's fit on validation probes stays within a
budget: the loss may grow by at most ``tolerance × var(y)`` (i.e. R² drops by at most
``tolerance``), or by ``CONFIDENCE_Z² / n`` of itself when that is more (on ``n`` probes, a fit
that much worse cannot be told apart from the fitted one at about 95%: the likelihood-ratio
bound for one constant). So ``2.4999998*x**2 + 1.0000001*cos(0.9999999*x) + 1.2e-7`` becomes
``5*x**2/2 + cos(x)`` only because that costs no fidelity.

The steps of :func:`tidy`, in order:

1. ``|x|`` of an input whose observed values are all positive is ``x`` (all negative: ``-x``);
   ``sqrt(T**2)`` on a temperature range is ``T``.
2. A quotient's constants are merged: ``a*x/(b*y + c*z)`` becomes ``(a/c)*x/((b/c)*y + z)``.
3. sympy rewrites (:func:`simplify`); terms whose constant can be 0 are dropped first, then each
   constant is snapped to a *simple* number within the budget, simplest first: 0, an integer up
   to ``SMALL_INTEGER``, a fraction with a denominator up to 12, a small multiple of pi
   (:func:`snap_candidates`). Numbers that snapping leaves as expressions (``0.184*E``,
   ``cos(1)``) become decimals (:func:`fold_numbers`).
4. The decimals left are refitted by least squares (:func:`refit_constants`): dropping a term
   leaves the others fitted for a form that no longer exists. Steps 3 and 4 repeat while they
   change something (a refitted ``0.50001`` is then snapped to ``1/2``).
5. Each decimal is *rounded to its uncertainty* (:func:`round_to_uncertainty`). Its standard
   error is measured from the local curvature of the squared loss on the validation probes
   (:func:`constant_uncertainty`), and it keeps its digits down to the coarsest decimal place
   that moves it by at most one standard error: ``8.3138 ± 0.0021`` is shown as ``8.314``,
   ``8.3138 ± 0.04`` as ``8.31``. A ratio of large integers (``3469409/416853``) is never
   produced: exact fractions beyond ``READABLE_DENOMINATOR`` become decimals, rounded the same way.

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

import math
import signal
import threading
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import column_of, complexity, constants, evaluate

MAX_SIMPLIFY_OPS = 12  # sympy.simplify can take seconds on larger expressions; skip it above this
SIMPLIFY_SECONDS = 5.0  # CPU seconds: a safety net, far above what the rewrites take (milliseconds)
SMALL_INTEGER = 100  # integers up to this are "simple"; larger ones are rounded to their precision
SIMPLE_DENOMINATOR = 12  # fractions p/q with q up to this (and |p| up to 2q) are "simple"
READABLE_DENOMINATOR = 144  # exact fractions beyond this (or with numerators beyond 10**4) become decimals
READABLE_NUMERATOR = 10**4
CONFIDENCE_Z = 2.0  # about 95%: the z of "indistinguishable from the fitted equation" (see tidy)
MAX_DIGITS = 15


def mse(expr: sympy.Expr, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of ``expr`` on ``(X, y)``; ``inf`` when it is not finite everywhere."""
    try:
        residual = evaluate(expr, X) - y
    except (ValueError, TypeError):  # a form numpy cannot evaluate counts as no fit at all
        return float("inf")
    with np.errstate(over="ignore", invalid="ignore"):  # a trial constant that overflows is no fit, not a warning
        value = float(np.mean(residual**2))
    return value if np.isfinite(value) else float("inf")


def snap_candidates(value: float) -> list[sympy.Expr]:
    """Simple numbers close to ``value``, simplest first (the candidates of snapping).

    0, the nearest integer (up to ``SMALL_INTEGER``), a small fraction (denominator up to 4), a
    small multiple of pi, then a fraction with denominator up to 12. (Not of e: ``E*c/3`` for
    ``0.906*c`` is a coincidence, not a law; e appears through ``exp``.) No decimal roundings:
    how many digits a constant keeps is decided by its uncertainty (:func:`round_to_uncertainty`).

    Example:
        >>> snap_candidates(0.33), snap_candidates(6.29)
        ([0, 1/3], [0, 6, 2*pi])
    """
    out: list[sympy.Expr | None] = [sympy.Integer(0)]
    nearest = round(value)
    out.append(sympy.Integer(nearest) if abs(nearest) <= SMALL_INTEGER else None)

    def fraction(max_denominator: int) -> sympy.Expr | None:
        f = Fraction(value).limit_denominator(max_denominator)
        return sympy.Rational(f.numerator, f.denominator) if abs(f.numerator) <= 2 * max_denominator else None

    def multiple(constant: sympy.Expr) -> sympy.Expr | None:  # laws often carry pi: 2*pi, pi/4...
        f = Fraction(value / float(constant)).limit_denominator(4)
        return sympy.Rational(f.numerator, f.denominator) * constant if 0 < abs(f.numerator) <= 4 else None

    out += [fraction(4), multiple(sympy.pi), fraction(SIMPLE_DENOMINATOR)]
    unique: list[sympy.Expr] = []
    for candidate in out:
        if candidate is not None and all(candidate != u for u in unique) and candidate != sympy.Float(value):
            unique.append(candidate)
    return unique


def constant_uncertainty(expr: sympy.Expr, constant: sympy.Float, X: np.ndarray, y: np.ndarray) -> float:
    """Standard error of one fitted ``constant`` of ``expr`` on ``(X, y)`` (the others held fixed).

    Measured from the local curvature of the squared loss: the model is linearised around the
    constant (``J_i = ∂f(x_i)/∂c``, by central differences) and its variance is the sandwich
    estimate ``Σ J_i² r_i² / (Σ J_i²)²`` (``r`` the residuals). The sandwich form, unlike
    ``s² / Σ J²``, stays honest when the residuals are not independent noise, as with a network
    teacher's own systematic errors. ``inf`` when the constant does not change the output, 0 for
    an exact fit.

    Example:
        >>> import numpy as np, sympy
        >>> from glassbox_jupyter.symbolic.expression import input_symbols
        >>> x, = input_symbols(1)
        >>> X = np.linspace(1, 2, 400)[:, None]
        >>> y = 8.314 * X[:, 0] + np.random.default_rng(0).normal(0, 0.1, 400)
        >>> sigma = constant_uncertainty(sympy.Float(8.3138) * x, sympy.Float(8.3138), X, y)
        >>> 0.001 < sigma < 0.01
        True
    """
    value = float(constant)
    step = 1e-6 * max(abs(value), 1e-12)
    try:
        up = evaluate(expr.xreplace({constant: sympy.Float(value + step)}), X)
        down = evaluate(expr.xreplace({constant: sympy.Float(value - step)}), X)
        residual = y - evaluate(expr, X)
    except (ValueError, TypeError):
        return float("inf")
    jacobian = (up - down) / (2 * step)
    curvature = float(np.sum(jacobian**2))
    if not np.all(np.isfinite(jacobian)) or not np.all(np.isfinite(residual)) or curvature == 0:
        return float("inf")
    return float(math.sqrt(float(np.sum(jacobian**2 * residual**2))) / curvature)


def round_to_uncertainty(value: float, sigma: float) -> sympy.Expr:
    """``value`` with the digits its standard error ``sigma`` supports, as an exact decimal.

    The last digit kept is the coarsest decimal place ``10**p`` with ``10**p <= 2 * sigma``, so
    rounding moves the value by at most one standard error. At least 1 and at most 15 significant
    digits; integer results are returned as sympy Integers.

    Example:
        >>> [sympy.sstr(round_to_uncertainty(8.31381, s), full_prec=False) for s in (0.0021, 0.04, 1e-5)]
        ['8.314', '8.31', '8.31381']
        >>> round_to_uncertainty(2491.3, 30.0)
        2490
    """
    if value == 0 or not math.isfinite(value):
        return sympy.Float(value)
    if math.isfinite(sigma) and sigma > 0:
        place = math.floor(math.log10(2 * sigma))
        digits = math.floor(math.log10(abs(value))) - place + 1
    else:
        digits = 1 if math.isinf(sigma) else MAX_DIGITS
    return decimal(value, min(MAX_DIGITS, max(1, digits)))


def decimal(value: float, digits: int = MAX_DIGITS) -> sympy.Expr:
    """``value`` to ``digits`` significant digits as an exact decimal sympy number (Integer when whole)."""
    rounded = float(f"{value:.{digits}g}")
    if rounded.is_integer() and abs(rounded) < 10**MAX_DIGITS:
        return sympy.Integer(int(rounded))
    return sympy.Float(repr(rounded), MAX_DIGITS)


def exact_number(value: float) -> sympy.Expr:
    """A constant known exactly (no fit, no uncertainty): its decimal when short, a simple fraction
    when it is one (``1/3``, not ``0.333333333333333``), else its decimal to 15 digits.

    Example:
        >>> [sympy.sstr(exact_number(v), full_prec=False) for v in (4.2, 1 / 3, 8.314, 2.0)]
        ['4.2', '1/3', '8.314', '2']
    """
    short = decimal(value, 6)
    if float(short) == value:
        return short
    f = Fraction(value).limit_denominator(SIMPLE_DENOMINATOR)
    if abs(float(f) - value) <= 1e-12 * max(1.0, abs(value)):
        return sympy.Rational(f.numerator, f.denominator)
    return decimal(value)


def readable(number: sympy.Expr) -> bool:
    """False for exact fractions a person cannot read at a glance (``3469409/416853``)."""
    if not isinstance(number, sympy.Rational) or number.is_Integer:
        return True
    return number.q <= READABLE_DENOMINATOR and abs(number.p) <= READABLE_NUMERATOR


def simplify(expr: sympy.Expr) -> sympy.Expr:
    """The smallest of a few cheap rewrites (and sympy.simplify when the expression is small).

    Distributing, factoring and cancelling catch most bloat. Full ``sympy.simplify`` runs only
    on small exact expressions without trigonometric functions: on those it takes milliseconds,
    while its trigonometric part can take from half a second to minutes on a 3-variable front
    member. Which rewrites run depends on the expression only, never on a clock, so serial,
    process and thread (Dask) runs give the same equations; the CPU-time limit
    (``SIMPLIFY_SECONDS``) is only a safety net against a pathological case.
    """
    options = [expr]
    for rewrite in (sympy.factor_terms, _bounded_expand, _cancel_if_rational):
        rewritten = _bounded(rewrite, expr)
        if rewritten is not None:
            options.append(rewritten)
    # Full simplify turns floats into huge exact rationals and can then factor for minutes:
    # only exact, small expressions get it.
    if not expr.atoms(sympy.Float) and sympy.count_ops(expr) <= MAX_SIMPLIFY_OPS and not expr.has(*_TRIGONOMETRIC):
        simpler = _bounded(sympy.simplify, expr)
        if simpler is not None:
            options.append(simpler)
    return min(options, key=lambda e: (complexity(e), sympy.count_ops(e)))


_TRIGONOMETRIC = (sympy.sin, sympy.cos, sympy.tan)


def _bounded(rewrite: Any, expr: sympy.Expr) -> sympy.Expr | None:
    """``rewrite(expr)`` under the CPU-time safety net where a timer can run, else as it is; None on failure."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return within_seconds(rewrite, expr, SIMPLIFY_SECONDS)
    try:
        return rewrite(expr)
    except Exception:  # sympy raises assorted errors on odd inputs; skip that rewrite
        return None


class _Timeout(Exception):
    pass


def within_seconds(function: Any, expr: sympy.Expr, seconds: float) -> sympy.Expr | None:
    """``function(expr)``, or ``None`` if it fails or uses more than ``seconds`` of CPU time.

    The limit counts this process's CPU time (a profiling timer signal), not wall-clock time, so
    a busy machine does not change which simplifications finish: with a generations budget the
    same seed gives the same equations however loaded the machine is (a much slower or faster
    CPU may still finish a borderline case differently). Timer signals apply only on the main
    thread of a Unix process (a notebook kernel, a script); elsewhere this returns None (and
    :func:`simplify` runs its rewrites without the safety net).
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return None

    def stop(signum: int, frame: Any) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        return function(expr)
    except Exception:  # _Timeout or any sympy failure: keep the cheaper forms
        return None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _bounded_expand(expr: sympy.Expr) -> sympy.Expr:
    expanded = sympy.expand(expr, power_exp=False, log=False)
    return expanded if sympy.count_ops(expanded) <= 2 * sympy.count_ops(expr) else expr


def _cancel_if_rational(expr: sympy.Expr) -> sympy.Expr:
    # cancel() turns floats into huge exact fractions (8.312 -> 218829001/26325878): exact only
    return sympy.cancel(expr) if expr.is_rational_function() and not expr.atoms(sympy.Float) else expr


def drop_abs_of_signed_inputs(expr: sympy.Expr, X: np.ndarray) -> sympy.Expr:
    """``|x|`` → ``x`` for every input ``x`` whose observed values in ``X`` are all positive (``-x`` if all negative).

    Done by giving those inputs sympy's ``positive`` (``negative``) assumption, under which sympy
    rewrites ``Abs``, ``sqrt(x**2)`` and the like itself, then restoring the plain real symbols.

    Example:
        >>> import numpy as np, sympy
        >>> from glassbox_jupyter.symbolic.expression import input_symbols
        >>> a, b = input_symbols(2)
        >>> drop_abs_of_signed_inputs(sympy.Abs(a) * sympy.Abs(b), np.array([[1.0, -1.0], [2.0, 3.0]]))
        x0*Abs(x1)
    """
    signed: dict[sympy.Symbol, sympy.Symbol] = {}
    for symbol in expr.free_symbols:
        column = np.asarray(X, dtype=float)[:, column_of(symbol)]
        if len(column) and np.all(column > 0):
            signed[symbol] = sympy.Dummy(symbol.name, positive=True)
        elif len(column) and np.all(column < 0):
            signed[symbol] = sympy.Dummy(symbol.name, negative=True)
    if not signed:
        return expr
    return expr.xreplace(signed).xreplace({v: k for k, v in signed.items()})


def merge_quotient_constants(expr: sympy.Expr) -> sympy.Expr:
    """Divide each denominator by its largest constant: ``a*x/(b*y + c*z)`` → ``(a/c)*x/((b/c)*y + z)``.

    The fit is the same; one constant fewer is free to drift, and the constants that remain are
    the ones a person would read (``8.31*n*T/V``, not ``3.5e9*n*T/(4.2e8*V)``).

    Example:
        >>> from glassbox_jupyter.symbolic.expression import input_symbols
        >>> n, T, V = input_symbols(3)
        >>> F = sympy.Float
        >>> merge_quotient_constants(F(3.5e9) * n * T / (F(6000.0) * n + F(4.2e8) * V))
        8.33333333333333*x0*x1/(1.42857142857143e-5*x0 + x2)
    """

    def is_float_quotient(node: sympy.Expr) -> bool:
        return bool(node.is_Pow and node.base.is_Add and node.exp.is_Integer and node.exp < 0)

    def merged(node: sympy.Expr) -> sympy.Expr:
        terms = [term.as_coeff_Mul() for term in node.base.args]
        largest = max(range(len(terms)), key=lambda i: abs(float(terms[i][0])))
        scale = terms[largest][0]
        if not isinstance(scale, sympy.Float) or float(scale) in (0.0, 1.0):
            return node
        divided = [
            rest if i == largest else (coefficient / scale) * rest for i, (coefficient, rest) in enumerate(terms)
        ]
        return scale**node.exp * sympy.Add(*divided) ** node.exp

    try:
        return expr.replace(is_float_quotient, merged)
    except (TypeError, ValueError):  # an odd node sympy cannot rebuild: keep the form as it is
        return expr


def fold_numbers(expr: sympy.Expr) -> sympy.Expr:
    """Numbers written as expressions become decimals where they are not simple exact numbers.

    Snapping ``0.0447`` to 0 in ``0.184*x**2*exp(cos(0.0447*x))`` leaves ``0.184*E*x**2``, and
    in other forms ``cos(1)``; such a number is folded into one decimal together with the
    decimals it multiplies (``0.50025*x**2``), which can then be snapped or rounded like any
    other constant. Fractions, ``pi``, ``E``, their products (``2*pi``) and roots of fractions
    (``sqrt(2)``) stay exact unless a decimal multiplies them.

    Example:
        >>> from glassbox_jupyter.symbolic.expression import input_symbols
        >>> x, = input_symbols(1)
        >>> fold_numbers(sympy.Float(0.184) * sympy.E * x**2 + sympy.cos(1) * x + 2 * sympy.pi)
        0.500163856436464*x0**2 + 0.54030230586814*x0 + 2*pi
    """

    def exact_and_simple(node: sympy.Expr) -> bool:
        if node.is_Rational or node.is_NumberSymbol:
            return True
        if node.is_Mul:
            return all(exact_and_simple(a) for a in node.args)
        return bool(node.is_Pow and node.base.is_Rational and node.exp.is_Rational)

    def folded(node: sympy.Expr) -> sympy.Expr:
        if node.is_Atom:
            return node
        args = [folded(a) for a in node.args]
        if args != list(node.args):
            node = node.func(*args)
        if node.is_Atom:
            return node
        if not node.free_symbols and not exact_and_simple(node):
            value = node.evalf()
            if value.is_Number and value.is_finite and value.is_real:
                return sympy.Float(float(value))
        if node.is_Mul:
            numbers = [a for a in node.args if not a.free_symbols]
            if len(numbers) > 1 and any(a.is_Float for a in numbers):
                value = sympy.Mul(*numbers).evalf()
                if value.is_Number and value.is_finite and value.is_real:
                    return sympy.Mul(sympy.Float(float(value)), *[a for a in node.args if a.free_symbols])
        return node

    try:
        return folded(expr)
    except (TypeError, ValueError):  # a node sympy cannot rebuild: keep the form as it is
        return expr


def tidy(expr: sympy.Expr, X: np.ndarray, y: np.ndarray, tolerance: float = 1e-4) -> sympy.Expr:
    """Simplify ``expr``, snap its constants to simple numbers and round the rest to their precision.

    The steps are listed in this module's docstring. Every change must keep the validation loss
    within the budget of the best form seen so far (see :class:`_Budget`), so dropping a useless
    term first does not leave room for coarser constants later.
    """
    variance = float(np.var(y)) or 1.0
    loss = mse(expr, X, y)
    for rewrite in (lambda e: drop_abs_of_signed_inputs(e, X), merge_quotient_constants):  # same values here
        candidate = rewrite(expr)
        if complexity(candidate) <= complexity(expr) and mse(candidate, X, y) <= loss + 1e-9 * variance:
            expr, loss = candidate, mse(candidate, X, y)
    current = simplify(expr)
    if mse(current, X, y) > mse(expr, X, y) + tolerance * variance:
        current = expr
    budget = _Budget(tolerance * variance, len(y), mse(current, X, y))

    def snap_simplify_refit(form: sympy.Expr, zeros_only: bool) -> sympy.Expr:
        snapped = fold_numbers(_snap_constants(form, X, y, budget, zeros_only))
        if snapped == form:
            return form  # already simplified and fitted
        simpler = simplify(snapped)
        if simpler != snapped and budget.allows(mse(simpler, X, y)):
            snapped = simpler
        if snapped != form:  # the form changed: its decimals were fitted for the old one
            snapped = refit_constants(snapped, X, y)
            budget.seen(mse(snapped, X, y))
        return snapped

    # Terms are dropped first (constants to 0) and the rest refitted, so the values left are
    # snapped in the form that stays, not in one full of terms about to go. Snapping, simplifying
    # and refitting can each make new constants (0.184*exp(cos(0)) = 0.50025, refitted to
    # 0.50001): snap those too, until nothing changes.
    for _ in range(3):
        snapped = snap_simplify_refit(snap_simplify_refit(current, zeros_only=True), zeros_only=False)
        if snapped == current:
            break
        current = snapped
    return _round_constants(current, X, y, budget)


class _Budget:
    """How much worse than the best form seen so far a change may make the validation loss.

    ``best + max(tolerance × var(y), CONFIDENCE_Z² × best / n)``: the tolerance, or the
    likelihood-ratio bound for one constant at about 95% when that is more.
    """

    def __init__(self, slack: float, n: int, loss: float):
        self.slack, self.n, self.best = slack, max(1, n), loss

    def seen(self, loss: float) -> None:
        if loss < self.best:
            self.best = loss

    def allows(self, loss: float) -> bool:
        limit = self.best + max(self.slack, CONFIDENCE_Z**2 * self.best / self.n)
        return bool(loss <= limit)


def _snap_constants(
    current: sympy.Expr, X: np.ndarray, y: np.ndarray, budget: _Budget, zeros_only: bool = False
) -> sympy.Expr:
    for constant in constants(current):
        if constant not in current.atoms(sympy.Float):
            continue  # an earlier substitution already removed it
        for candidate in [sympy.Integer(0)] if zeros_only else snap_candidates(float(constant)):
            trial = current.xreplace({constant: candidate})
            loss = mse(trial, X, y)
            if budget.allows(loss):
                current = trial
                budget.seen(loss)
                break
    return current


def refit_constants(expr: sympy.Expr, X: np.ndarray, y: np.ndarray, steps: int = 3) -> sympy.Expr:
    """Least-squares refit of the decimals left after snapping (a few Gauss-Newton steps on ``(X, y)``).

    Snapping ``-2.17*x*(4.08 - 3.84*y) + 53.7`` to ``8.34*x*y`` leaves a constant fitted for the
    terms that were dropped; refitting gives the one this form deserves (``8.312*x*y``). A step is
    kept only when it lowers the loss, so the fit never gets worse.
    """
    loss = mse(expr, X, y)
    for _ in range(steps):
        free = constants(expr)
        if not free or not math.isfinite(loss) or 10 * len(free) > len(y):  # too few probes per constant
            break
        try:
            residual = y - evaluate(expr, X)
            columns = []
            for constant in free:
                step = 1e-6 * max(abs(float(constant)), 1e-12)
                up = evaluate(expr.xreplace({constant: sympy.Float(float(constant) + step)}), X)
                down = evaluate(expr.xreplace({constant: sympy.Float(float(constant) - step)}), X)
                columns.append((up - down) / (2 * step))
            jacobian = np.column_stack(columns)
            if not np.all(np.isfinite(jacobian)):
                break
            delta = np.linalg.lstsq(jacobian, residual, rcond=1e-10)[0]  # collinear constants: minimum-norm step
        except (ValueError, TypeError, np.linalg.LinAlgError):
            break
        trial = expr.xreplace({c: sympy.Float(float(c) + float(d)) for c, d in zip(free, delta)})
        trial_loss = mse(trial, X, y)
        if not trial_loss < loss:
            break
        improved = trial_loss < loss * (1 - 1e-9)
        expr, loss = trial, trial_loss
        if not improved:
            break
    return expr


def _round_constants(current: sympy.Expr, X: np.ndarray, y: np.ndarray, budget: _Budget) -> sympy.Expr:
    """Round every remaining decimal to its uncertainty (exact fractions nobody can read become decimals)."""
    unreadable = [r for r in current.atoms(sympy.Rational) if not readable(r)]
    if unreadable:
        decimals = current.xreplace({r: sympy.Float(float(r)) for r in unreadable})
        if budget.allows(mse(decimals, X, y)):
            current = decimals
    for constant in constants(current):
        if constant not in current.atoms(sympy.Float):
            continue
        sigma = constant_uncertainty(current, constant, X, y)
        value = float(constant)
        shown = round_to_uncertainty(value, sigma)
        digits = len(f"{abs(float(shown)):.15g}".replace(".", "").strip("0")) or 1
        while True:
            trial = current.xreplace({constant: shown})
            if budget.allows(mse(trial, X, y)) and all(readable(r) for r in trial.atoms(sympy.Rational)):
                current = trial
                break
            digits += 1
            if digits > MAX_DIGITS:
                break
            shown = decimal(value, digits)
    return current

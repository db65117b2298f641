"""Fit a law error(k) to reconstruction errors measured at a few latent sizes, chosen by leave-one-out.

Classical forms are fitted with ``scipy.optimize.curve_fit`` (errors are non-negative and fall with k,
so the bounds keep a, b, c ≥ 0): ``a·k^-b + c`` (power law with a floor), ``a·e^(-b·k) + c``
(exponential with a floor), ``a·k^-b`` (pure power law), ``a - b·log(k)`` and the constant ``c``.
With only a handful of sizes, in-sample error favours the most flexible form, so each form is
scored by leave-one-out: every size's error is predicted by the form fitted to the other sizes.
The form with the lowest leave-one-out MSE wins (ties go to fewer parameters); its fidelity is the
leave-one-out R² (measured on held-out sizes) with a bootstrap CI.

Example:
    >>> import numpy as np
    >>> k = np.arange(1, 7)
    >>> fits = fit_error_laws(k, 0.8 * k**-1.5 + 0.05)
    >>> fits[0].form, round(fits[0].params[1], 2)
    ('power law', 1.5)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import sympy


@dataclass(frozen=True)
class Form:
    """A parametric law: its numpy function, sympy builder, start values and bounds."""

    name: str
    function: Callable[..., np.ndarray]
    expression: Callable[..., Any]
    start: Callable[[np.ndarray, np.ndarray], list[float]]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def n_params(self) -> int:
        return len(self.lower)


def _floor(e: np.ndarray) -> float:
    return float(max(0.0, 0.5 * e.min()))


FORMS = (
    Form(
        "constant",
        lambda k, c: np.full_like(k, c, dtype=float),
        lambda k, c: c,
        lambda k, e: [float(e.mean())],
        (-np.inf,),
        (np.inf,),
    ),
    Form(
        "pure power law",
        lambda k, a, b: a * k ** (-b),
        lambda k, a, b: a * k ** (-b),
        lambda k, e: [float(max(e.max(), 1e-12)), 1.0],
        (0.0, 0.0),
        (np.inf, 10.0),
    ),
    Form(
        "logarithmic",
        lambda k, a, b: a - b * np.log(k),
        lambda k, a, b: a - b * _sympy().log(k),
        lambda k, e: [float(e.max()), float(max(e.max() - e.min(), 1e-12) / max(np.log(k.max()), 1e-3))],
        (-np.inf, -np.inf),
        (np.inf, np.inf),
    ),
    Form(
        "power law",
        lambda k, a, b, c: a * k ** (-b) + c,
        lambda k, a, b, c: a * k ** (-b) + c,
        lambda k, e: [float(max(e.max() - _floor(e), 1e-12)), 1.0, _floor(e)],
        (0.0, 0.0, 0.0),
        (np.inf, 10.0, np.inf),
    ),
    Form(
        "exponential",
        lambda k, a, b, c: a * np.exp(-b * k) + c,
        lambda k, a, b, c: a * _sympy().exp(-b * k) + c,
        lambda k, e: [float(max(e.max() - _floor(e), 1e-12) * math.e), 1.0, _floor(e)],
        (0.0, 0.0, 0.0),
        (np.inf, 10.0, np.inf),
    ),
)


def _sympy() -> Any:
    import sympy

    return sympy


@dataclass
class ErrorLawFit:
    """One form fitted to all sizes, with its leave-one-out predictions and score."""

    form: str
    params: list[float]
    loo_predictions: np.ndarray
    loo_mse: float
    n_params: int

    def expression(self, k: sympy.Symbol) -> sympy.Expr:
        """The fitted law as a sympy expression of the symbol ``k`` (constants to 4 significant digits)."""
        import sympy

        form = next(f for f in FORMS if f.name == self.form)
        return form.expression(k, *[sympy.Float(float(f"{p:.4g}"), 4) for p in self.params])


def _fit(form: Form, k: np.ndarray, e: np.ndarray) -> list[float] | None:
    from scipy.optimize import OptimizeWarning, curve_fit

    if len(k) < form.n_params:
        return None
    start = np.clip(form.start(k, e), form.lower, form.upper)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            params, _ = curve_fit(form.function, k, e, p0=start, bounds=(form.lower, form.upper), maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    return [float(p) for p in params] if np.all(np.isfinite(params)) else None


def _snap_zeros(form: Form, params: list[float], k: np.ndarray, e: np.ndarray) -> list[float]:
    """Set parameters to exactly 0 where that changes no fitted value (a floor of 1e-14 reads as 0)."""
    fitted = form.function(k, *params)
    tolerance = 1e-6 * max(float(np.ptp(e)), 1e-12)
    for i, p in enumerate(params):
        trial = [0.0 if j == i else q for j, q in enumerate(params)]
        if p != 0 and np.all(np.abs(form.function(k, *trial) - fitted) <= tolerance):
            params = trial
            fitted = form.function(k, *params)
    return params


def fit_error_laws(latent_sizes: Any, errors: Any) -> list[ErrorLawFit]:
    """Every form that fits, best first (lowest leave-one-out MSE; ties to fewer parameters)."""
    k = np.asarray(latent_sizes, dtype=float)
    e = np.asarray(errors, dtype=float)
    fits = []
    for form in FORMS:
        if len(k) - 1 < form.n_params:  # leave-one-out needs at least as many points as parameters
            continue
        params = _fit(form, k, e)
        if params is None:
            continue
        loo = np.full(len(k), np.nan)
        for i in range(len(k)):
            keep = np.arange(len(k)) != i
            held = _fit(form, k[keep], e[keep])
            if held is not None:
                loo[i] = float(form.function(k[i : i + 1], *held)[0])
        if not np.all(np.isfinite(loo)):
            continue
        params = _snap_zeros(form, params, k, e)
        fits.append(ErrorLawFit(form.name, params, loo, float(np.mean((loo - e) ** 2)), form.n_params))
    sympy = _sympy()
    unique: dict[str, ErrorLawFit] = {}  # a floor fitted to 0 makes a form another one: keep the simpler
    for fit in sorted(fits, key=lambda f: f.n_params):
        unique.setdefault(sympy.srepr(fit.expression(sympy.Symbol("k"))), fit)
    return sorted(unique.values(), key=lambda f: (f.loo_mse * (1 + 1e-9), f.n_params))

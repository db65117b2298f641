import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import input_symbols
from glassbox_jupyter.symbolic.simplify import (
    constant_uncertainty,
    drop_abs_of_signed_inputs,
    exact_number,
    mse,
    refit_constants,
    round_to_uncertainty,
    snap_candidates,
    tidy,
)

X = np.linspace(-3, 3, 300)[:, None]
(x,) = input_symbols(1)


def test_bloated_forms_collapse_to_the_law():
    y = 2.5 * X[:, 0] ** 2 + np.cos(X[:, 0])
    messy = (
        sympy.Float(1.5811388) ** 2 * x**2
        + sympy.Float(0.9999999) * sympy.cos(sympy.Float(1.0000001) * x)
        + sympy.Float(1e-7)
    )
    assert tidy(messy, X, y) == sympy.Rational(5, 2) * x**2 + sympy.cos(x)


def test_snapping_never_costs_more_than_the_tolerance():
    """8.314 must not become 8 when that visibly changes the fit."""
    y = 8.314 * X[:, 0] ** 2
    result = tidy(sympy.Float(8.31402) * x**2, X, y, tolerance=1e-6)
    assert mse(result, X, y) <= 1e-6 * np.var(y) + 1e-12
    assert abs(float(result.coeff(x**2)) - 8.314) < 5e-3 and result.coeff(x**2) != 8


def test_negligible_terms_are_dropped():
    y = 0.5 * X[:, 0] ** 2
    assert tidy(sympy.Float(0.5000001) * x**2 + sympy.Float(3e-6) * x, X, y) == x**2 / 2


def test_snap_candidates_prefer_simple_numbers():
    assert snap_candidates(2.49999)[:3] == [0, 2, sympy.Rational(5, 2)]
    assert sympy.Rational(25, 3) not in snap_candidates(8.314)
    # no decimal roundings and no large integers: how many digits a constant keeps is its uncertainty's call
    assert all(c.is_Rational or c.has(sympy.pi) for c in snap_candidates(8.314))
    assert all(abs(c) <= 100 for c in snap_candidates(3515899474.98))


def _ideal_gas(n_rows: int = 400, noise: float = 0.001, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0.5, 2, n_rows), rng.uniform(250, 350, n_rows), rng.uniform(0.01, 0.05, n_rows)])
    P = 8.314 * X[:, 0] * X[:, 1] / X[:, 2]
    return X, P * (1 + noise * rng.standard_normal(n_rows))


def _numbers(expr):
    return [a for a in expr.atoms(sympy.Number)]


def test_ideal_gas_never_becomes_a_ratio_of_big_integers():
    """Two large constants whose ratio is the law (how pyoperon wrote it) must not become 3469409/416853."""
    X, P = _ideal_gas()
    n, T, V = input_symbols(3)
    F = sympy.Float
    raw = F(3515899474.98464) * n * T / (F(5939.17822265625) * n + F(422856544.0) * V) - F(94.38)
    result = tidy(raw, X, P)
    assert result.free_symbols == {n, T, V}
    for number in _numbers(result):
        assert number.is_Float or number.is_Integer or (number.q <= 144 and abs(number.p) <= 10**4), result
    (coefficient,) = [a for a in _numbers(result) if a not in (1, -1)]
    assert abs(float(coefficient) - 8.314) < 0.02
    shown = sympy.sstr(coefficient, full_prec=False)
    assert 3 <= len(shown.replace(".", "").lstrip("0")) <= 6, shown  # 8.31 .. 8.3140: what 0.1% noise supports


def test_digits_follow_the_constant_uncertainty():
    """More noise, fewer digits: the shown constant stays within about one standard error of the fit."""
    (x,) = input_symbols(1)
    X = np.linspace(1, 2, 400)[:, None]
    shown = {}
    for noise in (1e-5, 1e-2, 1.0):  # standard errors about 3e-7, 3e-4, 3e-2
        y = 8.314 * X[:, 0] + noise * np.random.default_rng(1).standard_normal(400)
        fitted = float(np.sum(X[:, 0] * y) / np.sum(X[:, 0] ** 2))
        sigma = constant_uncertainty(sympy.Float(fitted) * x, sympy.Float(fitted), X, y)
        result = tidy(sympy.Float(fitted) * x, X, y)
        coefficient = float(result.coeff(x))
        assert abs(coefficient - fitted) <= sigma * 1.0001
        shown[noise] = sympy.sstr(result.coeff(x), full_prec=False)
    lengths = [len(v.replace(".", "")) for v in shown.values()]
    assert lengths[0] > lengths[1] > lengths[2], shown
    assert len(shown[1.0]) == 4 and shown[1.0].startswith("8."), shown  # 8.xx: hundredths, no more


def test_round_to_uncertainty_and_exact_numbers():
    as_text = lambda e: sympy.sstr(e, full_prec=False)  # noqa: E731
    assert as_text(round_to_uncertainty(8.31381, 0.0021)) == "8.314"
    assert as_text(round_to_uncertainty(8.31381, 0.04)) == "8.31"
    assert round_to_uncertainty(2491.3, 30.0) == 2490 and round_to_uncertainty(0.3, float("inf")) is not None
    assert as_text(exact_number(4.2)) == "4.2" and exact_number(1 / 3) == sympy.Rational(1, 3)


def test_abs_of_a_positive_input_is_removed():
    """sqrt(T**2) is |T| for a real T; on a temperature range that is positive it is just T."""
    X, P = _ideal_gas()
    n, T, V = input_symbols(3)
    raw = sympy.Float(8.3184721660614) * n * sympy.sqrt(T**2) / V
    assert raw.has(sympy.Abs)
    result = tidy(raw, X, P)
    assert not result.has(sympy.Abs) and result.free_symbols == {n, T, V}
    # an input that takes both signs keeps its absolute value
    X_signed = np.column_stack([X[:, 0], X[:, 1] - 300, X[:, 2]])
    assert tidy(sympy.Abs(T) * n, X_signed, np.abs(X_signed[:, 1]) * X_signed[:, 0]).has(sympy.Abs)
    assert drop_abs_of_signed_inputs(sympy.Abs(T), -X) == -T


def test_refit_lowers_the_loss_after_terms_are_dropped():
    X, P = _ideal_gas(noise=0.0)
    n, T, V = input_symbols(3)
    off = sympy.Float(8.34) * n * T / V
    refitted = refit_constants(off, X, P)
    assert mse(refitted, X, P) < 1e-6 * mse(off, X, P)
    assert abs(float(refitted.coeff(n * T / V)) - 8.314) < 1e-6

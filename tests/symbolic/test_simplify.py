import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import input_symbols
from glassbox_jupyter.symbolic.simplify import mse, snap_candidates, tidy

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
    assert any(float(c) == 8.31 for c in snap_candidates(8.314))

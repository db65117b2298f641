import importlib.util

import numpy as np
import pytest
import sympy
import torch

from glassbox import InputSpec
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.symbolic.equation import Equation, python_names
from glassbox_jupyter.symbolic.expression import input_symbols

CLASHING = ["N", "E", "S", "I", "lambda", "gamma"]


@pytest.fixture()
def clash_equation():
    spec = InputSpec(names=CLASHING, low=0.5, high=2, units=["mol", None, None, "A", "m", None])
    n, e, s, i, lam, gam = input_symbols(6)
    expr = n * e + sympy.cos(s) * i - lam**2 / gam
    return Equation(expr, spec, "y", fidelity=Fidelity("r2", 0.99, 0.98, 1.0, n=100), output_unit="W")


def _load(source: str, tmp_path, name="generated"):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sympy_clashing_names_render_and_evaluate(clash_equation, tmp_path):
    eq = clash_equation
    assert {str(s) for s in eq.sympy.free_symbols} == set(CLASHING)
    assert all(isinstance(s, sympy.Symbol) for s in eq.sympy.free_symbols)  # not sympy's N(), E, I, S
    assert r"\lambda" in eq.latex and r"\gamma" in eq.latex
    assert "where N [mol], I [A], lambda [m]" in eq._repr_latex_().replace(r"\text{", "").replace("}", "")
    X = np.random.default_rng(0).uniform(0.5, 2, (20, 6))
    expected = X[:, 0] * X[:, 1] + np.cos(X[:, 2]) * X[:, 3] - X[:, 4] ** 2 / X[:, 5]
    np.testing.assert_allclose(eq.predict(X), expected)
    module = _load(eq.to_python("law"), tmp_path)
    np.testing.assert_allclose(module.law(*X.T), expected)
    np.testing.assert_allclose(eq.to_torch()(torch.tensor(X)).numpy(), expected)


def test_feature_names_that_are_not_identifiers(tmp_path):
    spec = InputSpec(names=["loan amount", "2x", "class", 'x"""; import os'], low=1, high=2)
    a, b, c, d = input_symbols(4)
    eq = Equation(a + b * c - d, spec, "y")
    assert python_names(spec.names) == ["loan_amount", "_2x", "class_", "x_____import_os"]
    module = _load(eq.to_python(), tmp_path, "weird")
    assert module.equation(1.0, 2.0, 3.0, 4.0) == pytest.approx(3.0)
    assert r"\mathrm{loan\ amount}" in eq.latex


def test_function_name_must_be_an_identifier(clash_equation):
    with pytest.raises(ValueError, match="identifier"):
        clash_equation.to_python("not valid")


def test_to_dict(clash_equation):
    data = clash_equation.to_dict()
    assert data["complexity"] == clash_equation.complexity and data["fidelity"]["value"] == 0.99
    assert set(data["variables"]) == set(CLASHING)


def test_static_math_is_mathml_not_raw_latex(clash_equation):
    html = clash_equation._repr_html_()
    assert html.count("<math") == 1 and "&#955;" in html and "$" not in html  # λ, no TeX delimiters
    assert "where N [mol]" in html and "fidelity R²" in html

import numpy as np
import pytest
import sympy
import torch

from glassbox_jupyter.symbolic.expression import (
    complexity,
    evaluate,
    input_symbols,
    operon_tree_to_sympy,
    torch_evaluate,
)


def test_operon_trees_convert_to_the_same_function():
    """Every member of a real pyoperon front evaluates like operon itself after conversion."""
    from pyoperon.sklearn import SymbolicRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 3, (200, 3))
    y = X[:, 0] / X[:, 1] - np.sin(X[:, 2]) + np.sqrt(X[:, 1])
    regressor = SymbolicRegressor(
        allowed_symbols="add,sub,mul,div,constant,variable,sin,cos,exp,log,sqrt,square",
        objectives=["r2", "length"],
        optimizer_iterations=5,
        generations=20,
        population_size=200,
        n_threads=1,
        random_state=3,
    ).fit(X.copy(), y.copy())
    symbols = input_symbols(3)
    by_hash = {h: symbols[i] for i, h in enumerate(regressor.variables_)}
    assert len(regressor.pareto_front_) >= 3
    for member in regressor.pareto_front_:
        expr = operon_tree_to_sympy(member["tree"], by_hash)
        np.testing.assert_allclose(evaluate(expr, X), regressor.evaluate_model(member["tree"], X), rtol=1e-4, atol=1e-4)


def test_numpy_and_torch_agree_and_torch_is_differentiable():
    x0, x1 = input_symbols(2)
    expr = sympy.Rational(5, 2) * x0**2 + sympy.cos(x1) / (1 + sympy.exp(-x0)) - sympy.sqrt(x1)
    X = np.random.default_rng(1).uniform(0.1, 2, (50, 2))
    tensor = torch.tensor(X, requires_grad=True)
    out = torch_evaluate(expr, tensor)
    np.testing.assert_allclose(out.detach().numpy(), evaluate(expr, X), rtol=1e-10)
    out.sum().backward()
    np.testing.assert_allclose(
        tensor.grad[:, 0].numpy()[:3],
        (5 * X[:, 0] + np.cos(X[:, 1]) * np.exp(-X[:, 0]) / (1 + np.exp(-X[:, 0])) ** 2)[:3],
        rtol=1e-8,
    )


def test_constants_broadcast():
    assert evaluate(sympy.Integer(3), np.zeros((4, 2))).tolist() == [3.0] * 4


@pytest.mark.parametrize(
    ("build", "expected"),
    [(lambda x: x, 1), (lambda x: x**2 / 2, 5), (lambda x: 2.5 * x**2 + sympy.cos(x), 8), (lambda x: -x, 2)],
)
def test_complexity_counts_nodes(build, expected):
    (x,) = input_symbols(1)
    assert complexity(build(x)) == expected

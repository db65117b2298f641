"""Expressions: operon trees to sympy, and sympy to numbers (numpy or torch) without ``exec``.

Equations are kept in internal symbols ``x0, x1, ...`` (one per input column), so feature names
(which users choose, and which may clash with sympy names like ``N``, ``E``, ``S``, ``I`` or be
arbitrary text) never reach code generation; display names are substituted only for rendering.

Example:
    >>> import numpy as np, sympy
    >>> x = input_symbols(2)
    >>> evaluate(sympy.cos(x[0]) + x[1] ** 2, np.array([[0.0, 3.0]]))
    array([10.])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

if TYPE_CHECKING:
    import torch


def input_symbols(width: int) -> list[sympy.Symbol]:
    """The internal symbols ``x0..x{width-1}`` (real-valued)."""
    return [sympy.Symbol(f"x{i}", real=True) for i in range(width)]


def column_of(symbol: sympy.Symbol) -> int:
    return int(symbol.name[1:])


# ---------------------------------------------------------------------------------- operon → sympy
_UNARY = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "cbrt": lambda a: sympy.cbrt(a),
    "abs": sympy.Abs,
    "square": lambda a: a**2,
    "logabs": lambda a: sympy.log(sympy.Abs(a)),
    "sqrtabs": lambda a: sympy.sqrt(sympy.Abs(a)),
}


def operon_tree_to_sympy(tree: Any, symbol_of_hash: dict[int, sympy.Symbol]) -> sympy.Expr:
    """Convert an operon ``Tree`` (postfix node list) to a sympy expression by walking its nodes.

    Operon stores children before their parent; a node's first child ends right before it and
    each further child ends right before the previous child's subtree starts.
    """
    nodes = tree.Nodes

    def build(index: int) -> tuple[sympy.Expr, int]:
        node = nodes[index]
        if node.IsConstant:
            return sympy.Float(node.Value), index
        if node.IsVariable:
            return sympy.Float(node.Value) * symbol_of_hash[node.HashValue], index
        args, end = [], index - 1
        for _ in range(node.Arity):
            expr, start = build(end)
            args.append(expr)
            end = start - 1
        return _apply(node.Name, args), end + 1

    expr, _ = build(len(nodes) - 1)
    return expr


def _apply(name: str, args: list[sympy.Expr]) -> sympy.Expr:
    if name == "+":
        return sympy.Add(*args)
    if name == "*":
        return sympy.Mul(*args)
    if name == "-":
        return -args[0] if len(args) == 1 else args[0] - sympy.Add(*args[1:])
    if name == "/":
        return 1 / args[0] if len(args) == 1 else args[0] / sympy.Mul(*args[1:])
    if name in ("^", "pow"):
        return args[0] ** args[1]
    if name == "aq":  # analytic quotient
        return args[0] / sympy.sqrt(1 + args[1] ** 2)
    if name in _UNARY and len(args) == 1:
        return _UNARY[name](args[0])
    raise ValueError(f"operon node {name!r} with {len(args)} arguments has no sympy translation")


# ---------------------------------------------------------------------------------- evaluation
_FUNCTION_NAMES = {
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.tanh: "tanh",
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.Abs: "abs",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.asin: "arcsin",
    sympy.acos: "arccos",
    sympy.atan: "arctan",
}
_TORCH_NAMES: dict[str, str] = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}


def _walk(expr: sympy.Expr, column: Any, constant: Any, function: Any, power: Any) -> Any:
    """Evaluate ``expr`` bottom-up with a backend's column lookup, constants, functions and power."""
    if expr in (sympy.zoo, sympy.nan, sympy.I):  # a division by zero or a complex value: not a real law
        return constant(float("nan"))
    if expr.is_Atom and expr.is_infinite:  # oo, -oo; asking a whole subtree costs sympy an assumption search
        return constant(float("inf") if expr.is_extended_positive else float("-inf"))
    if expr.is_Symbol:
        return column(column_of(expr))
    if expr.is_Number or expr.is_NumberSymbol:
        return constant(float(expr))
    if expr.is_Pow:
        return power(
            _walk(expr.base, column, constant, function, power),
            expr.exp,
            lambda: _walk(expr.exp, column, constant, function, power),
        )
    args = [_walk(a, column, constant, function, power) for a in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    name = _FUNCTION_NAMES.get(expr.func)
    if name is None:
        raise ValueError(f"cannot evaluate {expr.func.__name__} numerically")
    return function(name)(*args)


def _numpy_power(base: Any, exponent: sympy.Expr, evaluate_exponent: Any) -> Any:
    if exponent.is_Integer:  # exact integer powers (and their reciprocals) keep negative bases valid
        k = int(exponent)
        return base**k if k >= 0 else 1.0 / base ** (-k)
    if exponent == sympy.Rational(1, 2):
        return np.sqrt(base)
    return np.power(base, float(exponent) if exponent.is_Number else evaluate_exponent())


def evaluate(expr: sympy.Expr, X: np.ndarray) -> np.ndarray:
    """Evaluate ``expr`` (in internal symbols) on the rows of ``X`` with numpy."""
    X = np.asarray(X, dtype=float)
    with np.errstate(all="ignore"):
        out = _walk(expr, lambda j: X[:, j], float, lambda name: getattr(np, name), _numpy_power)
    return np.broadcast_to(np.asarray(out, dtype=float), (len(X),)).copy()


def torch_evaluate(expr: sympy.Expr, columns: torch.Tensor) -> torch.Tensor:
    """Evaluate ``expr`` on a torch tensor of shape ``(n, width)`` (differentiable)."""
    import torch

    def constant(value: float) -> Any:
        return torch.tensor(value, dtype=columns.dtype, device=columns.device)

    def power(base: Any, exponent: sympy.Expr, evaluate_exponent: Any) -> Any:
        return torch.pow(base, float(exponent) if exponent.is_Number else evaluate_exponent())

    def function(name: str) -> Any:
        return getattr(torch, _TORCH_NAMES.get(name, name))

    out = _walk(expr, lambda j: columns[:, j], constant, function, power)
    return out.expand(columns.shape[0]) if out.dim() == 0 else out


def complexity(expr: sympy.Expr) -> int:
    """Number of nodes in the expression tree (symbols, numbers and operators), PySR-style.

    A negative number or a subtraction counts like one operator, not as a multiplication by -1.
    """
    count = 0
    for node in sympy.preorder_traversal(expr):
        if node.is_Mul and node.args and node.args[0] == -1:
            count += 0 if len(node.args) == 2 else 1
        elif node.is_Number and node == -1:
            count += 1
        else:
            count += 1
    return count


def constants(expr: sympy.Expr) -> list[sympy.Float]:
    """The floating-point constants in ``expr`` (the ones snapping may simplify)."""
    return sorted({a for a in expr.atoms(sympy.Float)}, key=lambda c: -abs(float(c)))


def is_finite_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False

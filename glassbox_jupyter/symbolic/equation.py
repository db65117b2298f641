"""Equation: one closed-form candidate distilled from a teacher, with its fidelity.

Example:
    >>> import numpy as np, sympy
    >>> from glassbox_jupyter import InputSpec
    >>> from glassbox_jupyter.finding.fidelity import Fidelity
    >>> from glassbox_jupyter.symbolic.expression import input_symbols
    >>> spec = InputSpec(names=["m", "v"], low=0, high=2, units=["kg", "m/s"])
    >>> m, v = input_symbols(2)
    >>> eq = Equation(sympy.Rational(1, 2) * m * v**2, spec, "E", fidelity=Fidelity("r2", 1.0, 1.0, 1.0, n=100))
    >>> str(eq), eq.latex
    ('E = m*v**2/2', '\\\\frac{m v^{2}}{2}')
    >>> float(eq.predict(np.array([[2.0, 3.0]]))[0])
    9.0
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.symbolic.expression import complexity, evaluate, input_symbols, torch_evaluate
from glassbox_jupyter.teacher.spec import InputSpec, python_names

if TYPE_CHECKING:
    import torch


def undefined_fidelity(n: int) -> Fidelity:
    """The fidelity of an equation that is undefined (NaN or infinite) somewhere on the ``n`` held-out probes."""
    return Fidelity(
        "r2", float("-inf"), None, None, n=int(n), measures="R² of an equation undefined on some held-out probes"
    )


def latex_name(name: str) -> str:
    """LaTeX for a feature name: sympy's own for identifiers (``lambda`` → ``\\lambda``), else upright text."""
    if name.isidentifier():
        return sympy.latex(sympy.Symbol(name))
    escaped = re.sub(r"([_%&#$\\{}])", r"\\\1", name).replace(" ", r"\ ")
    return rf"\mathrm{{{escaped}}}"


@dataclass(eq=False)
class Equation:
    """A closed-form model of one teacher output.

    Attributes:
        expr: the expression in internal symbols ``x0..`` (one per spec feature).
        spec: the teacher's InputSpec (names and units used in every rendering).
        output_name: the output it models.
        fidelity: R² to the teacher on held-out probes, with its bootstrap CI.
        loss: mean squared error on the validation probes used to rank candidates.
        id: position in its Pareto front.
    """

    expr: sympy.Expr
    spec: InputSpec
    output_name: str
    fidelity: Fidelity | None = None
    loss: float = float("nan")
    id: int = 0
    output_unit: str | None = None
    origin: str = "search"  # "stitched": from separable pieces; "units": from the π groups; else the direct search
    complexity: int = field(init=False)

    def __post_init__(self) -> None:
        self.complexity = complexity(self.expr)

    # ------------------------------------------------------------------ renderings
    def _display_symbols(self) -> dict[sympy.Symbol, sympy.Symbol]:
        return {s: sympy.Symbol(n, real=True) for s, n in zip(input_symbols(self.spec.width), self.spec.names)}

    @property
    def sympy(self) -> sympy.Expr:
        """The equation in the spec's feature names (plain Symbols, so ``N``, ``E``, ``I`` are safe)."""
        return self.expr.xreplace(self._display_symbols())

    @property
    def latex(self) -> str:
        """LaTeX of the right-hand side, with feature names."""
        names = {s: latex_name(n) for s, n in zip(input_symbols(self.spec.width), self.spec.names)}
        return sympy.latex(self.expr, symbol_names=names)

    @property
    def variables(self) -> list[str]:
        """Feature names the equation uses."""
        used = {int(s.name[1:]) for s in self.expr.free_symbols}
        return [self.spec.names[i] for i in sorted(used)]

    def units_legend(self) -> str:
        """``"where m [kg], v [m/s]"`` for the features used (empty when there are no units)."""
        parts = [self.spec.label(self.spec.index(n)) for n in self.variables if self.spec.unit(self.spec.index(n))]
        return f"where {', '.join(parts)}" if parts else ""

    def lhs(self) -> str:
        return f"{self.output_name} [{self.output_unit}]" if self.output_unit else self.output_name

    def __str__(self) -> str:
        return f"{self.output_name} = {self.text}"

    @property
    def text(self) -> str:
        """Plain-text right-hand side (constants at their shortest exact decimal form)."""
        return sympy.sstr(self.sympy, full_prec=False)

    def __repr__(self) -> str:
        fid = f", R²={self.fidelity.value:.4f}" if self.fidelity else ""
        return f"Equation({self}, complexity={self.complexity}{fid})"

    def mathml(self) -> str:
        """``<math>`` markup of ``output = equation`` (browsers render MathML natively: no MathJax)."""
        from html import escape

        from sympy.printing.mathml import mathml

        lhs = mathml(sympy.Symbol(self.output_name), printer="presentation")
        rhs = mathml(self.sympy, printer="presentation")
        legend = self.units_legend()
        tail = f"<mspace width='1em'/><mtext>{escape(legend)}</mtext>" if legend else ""
        return f"<math display='block'><mrow>{lhs}<mo>=</mo>{rhs}{tail}</mrow></math>"

    def _repr_html_(self) -> str:
        fid = ""
        if self.fidelity is not None:
            fid = f"<small>fidelity {self.fidelity.describe()}; complexity {self.complexity}</small>"
        return f"<div class='glassbox-equation'>{self.mathml()}{fid}</div>"

    def _repr_latex_(self) -> str:
        legend = self.units_legend()
        tail = rf"\quad \text{{{legend}}}" if legend else ""
        return f"$${latex_name(self.output_name)} = {self.latex}{tail}$$"

    # ------------------------------------------------------------------ use
    def predict(self, X: Any) -> np.ndarray:
        """Evaluate on inputs ``X`` of shape ``(n, width)``."""
        return evaluate(self.expr, self.spec.check(X))

    def to_torch(self) -> torch.nn.Module:
        """A differentiable ``torch.nn.Module`` mapping ``(n, width)`` inputs to ``(n,)`` outputs.

        Example:
            >>> import torch  # doctest: +SKIP
            >>> eq.to_torch()(torch.ones(4, eq.spec.width))  # doctest: +SKIP
        """
        import torch

        expr = self.expr

        class EquationModule(torch.nn.Module):
            def __init__(self, text: str) -> None:
                super().__init__()
                self.equation = text

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return torch_evaluate(expr, x)

            def extra_repr(self) -> str:
                return self.equation

        return EquationModule(str(self))

    def to_python(self, function_name: str = "equation") -> str:
        """Source of a plain numpy function computing the equation (feature names as arguments)."""
        from sympy.printing.numpy import NumPyPrinter

        if not function_name.isidentifier() or keyword.iskeyword(function_name):
            raise ValueError(f"function_name must be a Python identifier, got {function_name!r}")
        idents = python_names(tuple(self.spec.names))
        used = sorted({int(s.name[1:]) for s in self.expr.free_symbols})
        mapping = {sympy.Symbol(f"x{i}", real=True): sympy.Symbol(idents[i]) for i in range(self.spec.width)}
        body = NumPyPrinter({"fully_qualified_modules": True}).doprint(self.expr.xreplace(mapping))
        args = ", ".join(idents[i] for i in used) or "*_"
        fid = f" Fidelity {self.fidelity.describe()}." if self.fidelity else ""
        renamed = [f"{n!r} -> {i}" for n, i in zip(self.spec.names, idents) if n != i]
        note = f" Arguments renamed from feature names: {', '.join(renamed)}." if renamed else ""
        # The docstring holds user-chosen names, so it is written as an escaped literal (repr),
        # which no feature name can break out of.
        doc = f"{self.lhs()} = {self.text} (distilled by GlassBox).{fid}{note}"
        return f"import numpy\n\n\ndef {function_name}({args}):\n    {doc!r}\n    return {body}\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "latex": self.latex,
            "complexity": self.complexity,
            "loss": self.loss,
            "origin": self.origin,
            "variables": self.variables,
            "fidelity": None if self.fidelity is None else self.fidelity.to_dict(),
        }

"""Math mode: closed-form equations distilled from a teacher (pyoperon + sympy)."""

from glassbox_jupyter.symbolic.equation import Equation
from glassbox_jupyter.symbolic.finding import SymbolicFinding, SymbolicFindings

__all__ = ["Equation", "SymbolicFinding", "SymbolicFindings"]

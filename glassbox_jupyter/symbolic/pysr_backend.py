"""Optional PySR engine for math mode (``distill(..., engine="pysr")``).

PySR runs its search in Julia. It is not a dependency: it is imported only when asked for, and
if it (or Julia) is missing the error says how to get it and that the default engine needs
neither. Its front goes through the same simplification, selection and fidelity as operon's.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import complexity, input_symbols
from glassbox_jupyter.symbolic.simplify import mse, tidy

MISSING = (
    "the PySR engine needs the optional `pysr` package and a working Julia (PySR downloads Julia "
    "and its registry on first use, which needs internet access): pip install 'glassbox-jupyter[pysr]'. "
    "The default engine='operon' needs neither."
)


def load_pysr() -> ModuleType:
    """Import PySR or raise an ImportError that names the fix."""
    try:
        import pysr
    except Exception as exc:  # ImportError, or juliacall failing to start Julia
        raise ImportError(f"{MISSING} ({type(exc).__name__}: {exc})") from exc
    return pysr


def pysr_candidates(
    X: np.ndarray,
    y: np.ndarray,
    columns: list[int],
    width: int,
    X_val: np.ndarray,
    y_val: np.ndarray,
    time_limit: float,
    seed: int,
    snap_tolerance: float,
) -> list[Any]:
    """Run PySR on ``X[:, columns]`` and return tidied candidates in GlassBox's internal symbols."""
    from glassbox_jupyter.symbolic.search import Candidate

    pysr = load_pysr()
    names = [f"x{c}" for c in columns]
    model = pysr.PySRRegressor(
        timeout_in_seconds=max(1, int(time_limit)),
        niterations=10**6,
        random_state=seed,
        deterministic=False,
        binary_operators=["+", "-", "*", "/"],
        unary_operators=["sin", "cos", "exp", "log", "sqrt", "square"],
        progress=False,
        verbosity=0,
    )
    model.fit(X[:, columns], y, variable_names=names)
    symbols = {s.name: s for s in input_symbols(width)}
    out = []
    for expr in model.equations_["sympy_format"]:
        internal = expr.xreplace({s: symbols[s.name] for s in expr.free_symbols if s.name in symbols})
        tidied = tidy(sympy.sympify(internal), X_val, y_val, snap_tolerance)
        loss = mse(tidied, X_val, y_val)
        if np.isfinite(loss):
            out.append(Candidate(tidied, loss, complexity(tidied)))
    return out

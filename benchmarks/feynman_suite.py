"""The AI Feynman development suite (issue 19): equations of 4 to 9 variables as ``symbolic_laws.Law``.

``benchmarks/data/feynman_dev_equations.csv`` (a copy of ``../shared/feynman_dev_equations.csv``) holds
48 equations of the AI Feynman table with their sampling ranges: columns ``Filename, Formula, # variables`` and
``v{i}_name, v{i}_low, v{i}_high`` for i = 1..9. ``load_suite`` reads it into ``Law`` objects
(each input sampled uniformly in [low, high]) so that ``bench_feynman.py`` can reuse the teacher
and the exact-recovery check of ``bench_symbolic.py``.

Parsing. The formulas are Python/numpy expressions; numpy's function names are mapped to sympy's
(``arcsin`` → ``asin``, ``arccos`` → ``acos``, ``arctan`` → ``atan``, ``ln`` → ``log``) and every
variable is parsed as a plain symbol, so names that sympy reserves (``E``, ``I``, ``S``, ``N``,
``Q``, ``O``, ``beta``, ``gamma``, ``zeta`` ...) stay variables. A variable named like a Python
keyword (``lambda``) gets a trailing underscore, in the formula and in the input name. A formula
that leaves an unknown function, a symbol that is not one of its variables, a variable that does not
appear, or values that are not finite on its box is rejected with a ``ValueError`` naming the equation.

    >>> law = parse_row({"Filename": "t", "Formula": "arcsin(n*sin(lambda))*E", "# variables": "3",
    ...                  "v1_name": "n", "v1_low": "0", "v1_high": "0.5", "v2_name": "lambda",
    ...                  "v2_low": "0.1", "v2_high": "1", "v3_name": "E", "v3_low": "1", "v3_high": "2"})
    >>> law.formula, law.names
    ('asin(n*sin(lambda_))*E', ['n', 'lambda_', 'E'])
"""

from __future__ import annotations

import csv
import keyword
import re
from pathlib import Path

import numpy as np
import sympy
from symbolic_laws import Law, recovered
from sympy.core.function import AppliedUndef

CSV = Path(__file__).resolve().parent / "data" / "feynman_dev_equations.csv"  # a copy of ../shared/'s
FUNCTION_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "ln": "log"}
MAX_VARIABLES = 9
TINY = 1e-4  # SRBench's round_floats sets constants below this to 0 before comparing


def _replace_word(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, text)


def parse_row(row: dict[str, str]) -> Law:
    """One CSV row as a ``Law`` (checked: parses, uses only its variables, finite on its box)."""
    name, formula = row["Filename"].strip(), row["Formula"].strip()
    inputs = []
    for i in range(1, MAX_VARIABLES + 1):
        variable = (row.get(f"v{i}_name") or "").strip()
        if not variable:
            continue
        low, high = float(row[f"v{i}_low"]), float(row[f"v{i}_high"])
        if keyword.iskeyword(variable):
            formula = _replace_word(formula, variable, variable + "_")
            variable += "_"
        inputs.append((variable, low, high))
    expected = int(float(row["# variables"]))
    if len(inputs) != expected:
        raise ValueError(f"{name}: '# variables' says {expected} but {len(inputs)} variables are named")
    names = {n for n, _, _ in inputs}
    for alias, sympy_name in FUNCTION_ALIASES.items():
        if alias not in names:
            formula = _replace_word(formula, alias, sympy_name)
    law = Law(name, formula, tuple(inputs))
    try:
        expr = law.expr
    except (sympy.SympifyError, SyntaxError, TypeError) as error:
        raise ValueError(f"{name}: cannot parse {formula!r}: {error}") from error
    unknown = expr.atoms(AppliedUndef)
    if unknown:
        raise ValueError(f"{name}: unknown functions {sorted(map(str, unknown))} in {formula!r}")
    stray = sorted(s.name for s in expr.free_symbols if s.name not in names)
    if stray:
        raise ValueError(f"{name}: {stray} in {formula!r} are not among its variables {sorted(names)}")
    unused = sorted(names - {s.name for s in expr.free_symbols})
    if unused:  # a variable sympy read as one of its own constants (E, I, S ...) would vanish here
        raise ValueError(f"{name}: variables {unused} do not appear in {formula!r}")
    rng = np.random.default_rng(0)
    low, high = np.array([lo for _, lo, _ in inputs]), np.array([hi for _, _, hi in inputs])
    values = law(low + (high - low) * rng.random((256, len(inputs))))
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}: {formula!r} is not finite everywhere on its sampling box")
    return law


def load_suite(path: Path | str = CSV) -> list[Law]:
    """Every equation of the CSV, in file order."""
    with open(path, newline="") as handle:
        return [parse_row(row) for row in csv.DictReader(handle) if (row.get("Filename") or "").strip()]


#: SI units of the suite's variables (AI Feynman's conventions); UNIT_OVERRIDES where an equation uses a name
#: for another quantity. With them, ``bench_feynman.py --units`` gives math mode the units (Buckingham π).
UNITS = {
    **dict.fromkeys(["x", "y", "z", "x1", "x2", "x3", "y1", "y2", "y3", "z1", "z2", "r", "r1", "r2", "d"], "m"),
    **dict.fromkeys(["m", "m1", "m2"], "kg"),
    **dict.fromkeys(["q", "q1", "q2"], "C"),
    **dict.fromkeys(["B", "Bx", "By", "Bz"], "T"),
    **dict.fromkeys(["v", "u", "w", "c"], "m/s"),
    **dict.fromkeys(["theta", "theta1", "theta2", "alpha", "gamma", "g_", "n"], "1"),
    **dict.fromkeys(["omega", "omega_0"], "1/s"),
    **dict.fromkeys(["a", "g"], "m/s^2"),
    **dict.fromkeys(["T", "T1", "T2"], "K"),
    **dict.fromkeys(["V", "V1", "V2"], "m^3"),
    **dict.fromkeys(["n_0", "n_rho"], "1/m^3"),
    **dict.fromkeys(["H", "M"], "A/m"),
    **dict.fromkeys(["h", "Jz"], "J*s"),
    "G": "m^3/(kg*s^2)", "epsilon": "F/m", "Ef": "V/m", "t": "s", "kb": "J/K", "mu_drift": "m^2/(V*s)",
    "Volt": "V", "A": "m^2", "kappa": "W/(m*K)", "p_d": "C*m", "I": "A", "mom": "A*m^2", "Y": "Pa", "E_n": "J",
    "k": "1/m", "I_0": "A", "rho_c_0": "C/m^3", "A_vec": "T*m", "p": "kg*m/s",
}  # fmt: skip
UNIT_OVERRIDES = {"II.11.27": {"n": "1/m^3", "alpha": "m^3"}}


def law_units(law: Law) -> tuple[list[str], str] | None:
    """The units of ``law``'s inputs and of its output (derived from the formula, numbers dimensionless), or
    None when the formula's units are inconsistent (some AI Feynman formulas are in Gaussian-style units)."""
    from glassbox_jupyter.symbolic.units import BASE, dimension

    units = [UNIT_OVERRIDES.get(law.name, {}).get(n, UNITS[n]) for n in law.names]
    dims = {n: dimension(u) for n, u in zip(law.names, units)}
    output = _strict_dimension(law.expr, dims)
    if output is None:
        return None
    symbols = ["kg", "m", "s", "K", "A", "mol", "cd"]  # one per BASE dimension, in order
    assert len(symbols) == len(BASE)
    parts = [f"{u}^({e})" if e.denominator != 1 else f"{u}^{e}" for u, e in zip(symbols, output) if e != 0]
    return units, "*".join(parts) or "1"


def _strict_dimension(expr: sympy.Expr, dims: dict) -> tuple | None:
    """The dimension of a formula whose numbers are dimensionless; None when it adds unlike dimensions or
    applies a function to a dimensional argument."""
    from fractions import Fraction

    zero = tuple(Fraction(0) for _ in range(7))
    if expr.is_number:
        return zero
    if expr.is_Symbol:
        return dims[expr.name]
    parts = [_strict_dimension(a, dims) for a in expr.args]
    if any(p is None for p in parts):
        return None
    if expr.is_Mul:
        return tuple(sum(c, Fraction(0)) for c in zip(*parts))
    if expr.is_Add:
        return parts[0] if all(p == parts[0] for p in parts) else None
    if expr.is_Pow:
        base, exponent = parts
        if expr.args[1].is_Rational:
            q = Fraction(int(expr.args[1].p), int(expr.args[1].q))
            return tuple(e * q for e in base)
        return zero if base == zero and exponent == zero else None
    return zero if all(p == zero for p in parts) else None  # sin, exp, log, sqrt's argument ...


def exact_recovery(model: sympy.Expr, truth: sympy.Expr) -> tuple[bool, bool]:
    """``(recovered(model, truth), the same after constants below 1e-4 are set to 0)``.

    The first is the benchmark's criterion (``symbolic_laws.recovered``). The second is reported
    beside it because a raw engine's linear scaling leaves intercepts like ``1e-6`` that make an
    otherwise exact model fail it; SRBench zeroes such constants before its comparison.
    """
    exact = bool(recovered(model, truth))
    tiny = {a: sympy.Integer(0) for a in model.atoms(sympy.Float) if abs(float(a)) < TINY}
    return exact, exact or (bool(tiny) and bool(recovered(model.xreplace(tiny), truth)))

"""Known laws for the math-mode benchmark: physics-style formulas with 1–5 named inputs.

Each law is a sympy expression over named symbols with an input box. The benchmark trains an
MLP teacher on each (seeded), then asks GlassBox and gplearn to recover the law from the teacher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from glassbox_jupyter.symbolic.simplify import within_seconds


@dataclass(frozen=True)
class Law:
    name: str
    formula: str  # sympy syntax over the input names
    inputs: tuple[tuple[str, float, float], ...]  # (name, low, high)

    @property
    def names(self) -> list[str]:
        return [n for n, _, _ in self.inputs]

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        # positive inputs let sympy simplify sqrt(L/g) = sqrt(L)/sqrt(g)
        return {n: sympy.Symbol(n, real=True, positive=low > 0 or None) for n, low, _ in self.inputs}

    @property
    def expr(self) -> sympy.Expr:
        # our own fixed formulas (not user input), parsed with the input names as plain symbols
        return sympy.sympify(self.formula, locals=self.symbols)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        from glassbox_jupyter.symbolic.expression import evaluate, input_symbols

        internal = dict(zip(self.symbols.values(), input_symbols(len(self.inputs))))
        return evaluate(self.expr.xreplace(internal), X)


LAWS: list[Law] = [
    Law("square_law", "0.5*x**2", (("x", -3, 3),)),
    Law("quadratic_cosine", "2.5*x**2 + cos(x)", (("x", -3, 3),)),
    Law("gaussian", "exp(-x**2/2)", (("x", -3, 3),)),
    Law("damped_wave", "exp(-t/2)*cos(2*t)", (("t", 0, 5),)),
    Law("kinetic_energy", "m*v**2/2", (("m", 0.5, 5), ("v", 0, 10))),
    Law("electric_power", "V**2/R", (("V", 1, 10), ("R", 1, 10))),
    Law("pendulum_period", "2*pi*sqrt(L/g)", (("L", 0.1, 2), ("g", 9, 10.5))),
    Law("gravity", "m1*m2/r**2", (("m1", 1, 5), ("m2", 1, 5), ("r", 1, 3))),
    Law("thin_lens", "d_o*d_i/(d_o + d_i)", (("d_o", 1, 5), ("d_i", 1, 5))),
    Law("projectile_range", "v**2*sin(2*theta)/9.81", (("v", 1, 10), ("theta", 0.1, 1.4))),
    Law("ideal_gas", "8.314*n*T/V", (("n", 0.5, 2), ("T", 250, 350), ("V", 0.01, 0.05))),
    Law("heat", "m*c*(T2 - T1)", (("m", 0.5, 2), ("c", 1, 4), ("T1", 0, 20), ("T2", 30, 60))),
    Law("two_body_kinetic", "m1*v1**2/2 + m2*v2**2/2", (("m1", 0.5, 2), ("v1", 0, 3), ("m2", 0.5, 2), ("v2", 0, 3))),
    Law("bernoulli", "p + rho*v**2/2 + 9.81*rho*h", (("p", 0, 10), ("rho", 0.5, 2), ("v", 0, 3), ("h", 0, 2))),
    Law("friedman1", "10*sin(pi*x1*x2) + 20*(x3 - 1/2)**2 + 10*x4 + 5*x5", tuple((f"x{i}", 0, 1) for i in range(1, 6))),
]


def recovered(model: sympy.Expr, truth: sympy.Expr, tolerance: float = 0.01) -> bool:
    """Is ``model`` the law ``truth``, up to constants within ``tolerance`` (relative)?

    Each floating constant of the model is replaced by the truth's constant it is within 1% of
    (``pi``, ``9.81``, ``1/2``…), or rounded to 3 significant digits; the model counts as
    recovered when the difference then simplifies to zero (or to a constant within 1% of the
    law's scale, the SRBench "symbolic solution" criterion with a tolerance on the constant).
    """
    by_name = {s.name: s for s in truth.free_symbols}
    model = model.xreplace({s: by_name[s.name] for s in model.free_symbols if s.name in by_name})
    truth_numbers = {abs(float(a)) for a in truth.atoms(sympy.Number, sympy.NumberSymbol) if float(a) != 0}
    truth_numbers |= {abs(float(a)) * k for a in list(truth_numbers) for k in (0.5, 2, 4)}
    replacements = {}
    for c in model.atoms(sympy.Float):
        value = float(c)
        match = next((t for t in sorted(truth_numbers) if abs(abs(value) - t) <= tolerance * t), None)
        if match is not None:
            replacements[c] = sympy.nsimplify(np.sign(value) * match, [sympy.pi], tolerance=1e-9)
        else:
            replacements[c] = sympy.nsimplify(float(f"{value:.3g}"), rational=True)
    candidate = model.xreplace(replacements)
    # sympy.simplify can run for many minutes on a bloated expression: give it 10 s, else "no"
    difference = within_seconds(sympy.simplify, candidate - truth, 10.0)
    if difference is None:
        return False
    if difference == 0:
        return True
    if not difference.free_symbols:
        return abs(complex(difference)) <= tolerance
    ratio = within_seconds(sympy.simplify, candidate / truth, 10.0)
    return ratio is not None and not ratio.free_symbols and abs(complex(ratio) - 1) <= tolerance

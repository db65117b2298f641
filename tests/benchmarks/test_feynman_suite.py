"""The Feynman development suite's CSV parsing and the exact-recovery check bench_feynman.py relies on."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from feynman_suite import exact_recovery, load_suite, parse_row


def row(formula: str, *variables: tuple[str, float, float]) -> dict[str, str]:
    out = {"Filename": "test", "Formula": formula, "# variables": str(len(variables))}
    for i, (name, low, high) in enumerate(variables, start=1):
        out |= {f"v{i}_name": name, f"v{i}_low": str(low), f"v{i}_high": str(high)}
    return out


def test_numpy_names_keywords_and_sympy_constants_become_plain_variables() -> None:
    law = parse_row(
        row(
            "arcsin(n*sin(lambda))*E + ln(I)/gamma + S*N",
            ("n", 0, 0.5),
            ("lambda", 0.1, 1),
            ("E", 1, 2),
            ("I", 1, 2),
            ("gamma", 1, 2),
            ("S", 1, 2),
            ("N", 1, 2),
        )
    )
    assert law.names == ["n", "lambda_", "E", "I", "gamma", "S", "N"]
    assert law.formula == "asin(n*sin(lambda_))*E + log(I)/gamma + S*N"
    assert {s.name for s in law.expr.free_symbols} == set(law.names)
    assert not law.expr.has(sympy.I, sympy.E)
    X = np.array([[0.25, 0.5, 1.5, 1.2, 1.1, 1.3, 1.4]])
    expected = np.arcsin(0.25 * np.sin(0.5)) * 1.5 + np.log(1.2) / 1.1 + 1.3 * 1.4
    assert law(X) == pytest.approx([expected])


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("foo(x)*y", "unknown functions"),
        ("x*y*z", "not among its variables"),
        ("x + 1", "do not appear"),
        ("sqrt(x - y - 2)", "not finite"),
    ],
)
def test_bad_rows_are_rejected_with_the_equation_named(formula: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_row(row(formula, ("x", 0, 1), ("y", 0, 1)))


def test_variable_count_must_match() -> None:
    bad = row("x*y", ("x", 0, 1), ("y", 0, 1)) | {"# variables": "3"}
    with pytest.raises(ValueError, match="says 3"):
        parse_row(bad)


def test_the_development_suite_parses() -> None:
    laws = load_suite()
    assert len(laws) == 48
    assert all(4 <= len(law.inputs) <= 9 for law in laws)
    assert len({law.name for law in laws}) == 48


def test_exact_recovery_on_a_suite_law() -> None:
    law = parse_row(row("q1*q2*r/(4*pi*epsilon*r**3)", ("q1", 1, 5), ("q2", 1, 5), ("epsilon", 1, 5), ("r", 1, 5)))
    q1, q2, epsilon, r = (sympy.Symbol(n, real=True) for n in law.names)
    assert exact_recovery(0.0796 * q1 * q2 / (epsilon * r**2), law.expr) == (True, True)  # 1/(4 pi), 3 digits
    assert exact_recovery(1.00002 * q1 * q2 / (12.566 * epsilon * r**2), law.expr) == (True, True)
    assert exact_recovery(q1 * q2 / (12.566 * epsilon * r**2) + 2e-6, law.expr) == (False, True)  # an intercept
    assert exact_recovery(0.0796 * q1 * q2 / (epsilon * r), law.expr) == (False, False)
    assert exact_recovery(0.213 * (q1 - q2) ** 2 + 0.92, law.expr) == (False, False)


def test_every_variable_has_a_unit_and_the_outputs_unit_follows_from_the_formula() -> None:
    from feynman_suite import law_units

    from glassbox_jupyter.symbolic.units import dimension, pi_groups

    laws = {law.name: law for law in load_suite()}
    units = {name: law_units(law) for name, law in laws.items()}
    # II.36.38 adds mom·H/(kT) to a term in other units: the table's Gaussian-style formula, run without units
    assert [name for name, u in units.items() if u is None] == ["II.36.38"]
    assert units["I.12.2"] == (["C", "C", "F/m", "m"], "kg^1*m^1*s^-2")  # Coulomb's force in newtons
    assert dimension(units["III.4.32"][1]) == dimension("1")  # a Bose-Einstein occupation is a pure number
    # the reductions the benchmark's --units runs get: I.32.5 (radiated power) has no group left, III.4.33 one
    assert pi_groups(*units["I.32.5"]).groups == []
    assert len(pi_groups(*units["III.4.33"]).groups) == 1
    assert sum(len(pi_groups(*u).groups) < len(laws[n].inputs) for n, u in units.items() if u) == 47

"""Math mode with units (symbolic/dimensional.py): the search on Buckingham π groups joins the front, the
units check sets equations aside, and units that are not physical leave math mode as it was."""

from __future__ import annotations

import numpy as np
import sympy

import glassbox
from glassbox_jupyter import InputSpec, Teacher
from glassbox_jupyter.symbolic.dimensional import known_dimensions, reduce_by_units
from glassbox_jupyter.symbolic.expression import input_symbols


def relativistic_energy(X: np.ndarray) -> np.ndarray:
    m, v, c = X.T
    return m * c**2 / np.sqrt(1 - (v / c) ** 2)


SPEC = InputSpec(names=["m", "v", "c"], low=[1.0, 1.0, 3.0], high=[5.0, 2.0, 10.0], units=["kg", "m/s", "m/s"])


def test_a_relativistic_law_is_found_on_its_one_group_and_mapped_back() -> None:
    """m c² / √(1 − v²/c²): the units give one group, v/c, and the scale m c² (of m v², m c², ... the one under
    which y / scale varies least); the inverse square of the rest is a quadratic in v/c (an outer function), so
    the reduced search finds the law exactly; with held-out rows (an exact teacher: floor ~0) it is picked."""
    teacher = Teacher(relativistic_energy, SPEC, name="relativistic", output_units=["J"])
    X = np.random.default_rng(3).uniform(SPEC.low, SPEC.high, (300, 3))
    finding = glassbox.distill(teacher, generations=150, live=False, held_out=(X, relativistic_energy(X)))
    reduced = finding.dimensional
    assert reduced is not None and reduced.note == ""
    assert reduced.groups == ["v/c"] and reduced.scale == "c**2*m" and reduced.outer == "inverse square"
    m, v, c = sympy.symbols("m v c")
    truth = m * c**2 / sympy.sqrt(1 - v**2 / c**2)
    shown = {s: sympy.Symbol(n) for s, n in zip(input_symbols(3), "mvc")}
    picked = finding.selected.expr.xreplace(shown)
    # the SRBench criterion: the ratio to the truth simplifies to a constant (here 1)
    ratio = sympy.simplify(picked / truth)
    assert ratio.is_number and abs(float(ratio) - 1) < 1e-3, picked
    assert any(
        sympy.simplify(sympy.sympify(e, locals={"m": m, "v": v, "c": c}) / truth).is_number for e in reduced.equations
    )
    artifact = finding.artifact_dict()["units"]
    assert artifact["groups"] == reduced.groups and artifact["share_of_budget"] > 0
    assert any(item.title.startswith("Dimensional analysis") for item in finding.evidence())


def test_with_no_group_left_the_constant_is_fitted_and_exact() -> None:
    spec = InputSpec(names=["L", "g", "mass"], low=[0.5, 5.0, 1.0], high=[2.0, 15.0, 3.0], units=["m", "m/s^2", "kg"])

    def period(X: np.ndarray) -> np.ndarray:
        return 2 * np.pi * np.sqrt(X[:, 0] / X[:, 1])

    teacher = Teacher(period, spec, name="pendulum", output_units=["s"])
    X = np.random.default_rng(0).uniform(spec.low, spec.high, (300, 3))
    y = period(X)
    reduced, candidates = reduce_by_units(teacher, 0, [0, 1, 2], None, (X, y), (X, y), 0)
    assert reduced.groups == [] and len(candidates) == 1
    assert str(candidates[0].expr) == "2*pi*sqrt(x0)/sqrt(x1)"  # the constant fitted, then snapped to 2π
    assert candidates[0].loss < 1e-20


def test_units_that_are_not_physical_or_missing_leave_math_mode_as_it_was() -> None:
    spec = InputSpec(names=["price", "qty"], low=[1.0, 1.0], high=[3.0, 4.0], units=["USD", None])
    teacher = Teacher(lambda X: X[:, 0] * X[:, 1], spec, name="revenue", output_units=["USD"])
    assert known_dimensions(teacher, 0, [0, 1]) is None
    finding = glassbox.distill(teacher, generations=20, live=False)
    assert finding.dimensional is None
    assert any("no dimensional analysis" in n and "unknown unit 'USD'" in n for n in finding.notes), finding.notes
    assert finding.fidelity.value > 0.999  # the search itself ran as before


def test_equations_whose_units_cannot_be_the_outputs_are_set_aside() -> None:
    """A teacher whose output is numerically m + v: without units the search finds exactly m + v; with units
    (kg, m/s → kg) that sum of a mass and a speed is set aside and never reaches the front."""
    from glassbox_jupyter.symbolic.units import consistent, dimension

    def law(X: np.ndarray) -> np.ndarray:
        return X[:, 0] + X[:, 1]

    x0, x1 = input_symbols(2)
    plain = InputSpec(names=["m", "v"], low=[1.0, 1.0], high=[2.0, 2.0])
    found = glassbox.distill(Teacher(law, plain, name="sum"), generations=20, live=False)
    assert any(sympy.simplify(eq.expr - (x0 + x1)) == 0 for eq in found.pareto_front)
    spec = InputSpec(names=["m", "v"], low=[1.0, 1.0], high=[2.0, 2.0], units=["kg", "m/s"])
    finding = glassbox.distill(Teacher(law, spec, name="sum", output_units=["kg"]), generations=20, live=False)
    d = {x0: dimension("kg"), x1: dimension("m/s")}
    assert finding.log.rejected_units > 0
    assert all(consistent(eq.expr, d, dimension("kg")) for eq in finding.pareto_front)
    assert all(sympy.simplify(eq.expr - (x0 + x1)) != 0 for eq in finding.pareto_front)
    assert any("set aside because their units" in n for n in finding.notes)

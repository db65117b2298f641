"""Units: parsing without eval, Buckingham π groups, and the units check of an equation."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from glassbox_jupyter.symbolic.units import (
    UnitError,
    consistent,
    dimension,
    expression_dimension,
    pi_groups,
)


def dims(**exponents: int) -> tuple[Fraction, ...]:
    order = ("M", "L", "T", "Th", "I", "N", "J")
    return tuple(Fraction(exponents.get(b, 0)) for b in order)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("kg*m^2/s^2", dims(M=1, L=2, T=-2)),
        ("kg m2 s-2", dims(M=1, L=2, T=-2)),
        ("J", dims(M=1, L=2, T=-2)),
        ("N/(m*s)", dims(M=1, T=-3)),
        ("kg/(m·s^2)", dims(M=1, L=-1, T=-2)),
        ("km/h", dims(L=1, T=-1)),
        ("µA", dims(I=1)),
        ("1/s", dims(T=-1)),
        ("m**3", dims(L=3)),
        ("(m/s)^2", dims(L=2, T=-2)),
        ("", dims()),
        (None, dims()),
        ("rad", dims()),
        ("1", dims()),
    ],
)
def test_units_are_read_into_base_dimensions(unit, expected) -> None:
    assert dimension(unit) == expected


@pytest.mark.parametrize(
    ("unit", "says"),
    [
        ("furlong", "unknown unit 'furlong'"),
        ("USD", "unknown unit 'USD'"),
        ("kg*(m", "parentheses"),
        ("m$", "cannot read"),
    ],
)
def test_a_unit_that_cannot_be_read_says_what_works(unit, says) -> None:
    with pytest.raises(UnitError, match="kg\\*m\\^2/s\\^2") as error:
        dimension(unit)
    assert says in str(error.value)


def test_a_unit_string_is_never_evaluated() -> None:
    with pytest.raises(UnitError):
        dimension("__import__('os').system('true')")


def test_buckingham_pi_groups_and_scale() -> None:
    kinetic = pi_groups(["kg", "m/s"], "J")
    assert kinetic.groups == [] and kinetic.scale == [1, 2]
    pendulum = pi_groups(["m", "m/s^2", "kg"], "s")  # T = C·sqrt(L/g); the mass cannot enter
    assert pendulum.groups == [] and pendulum.scale == [Fraction(1, 2), Fraction(-1, 2), 0]
    assert not pendulum.scale_is_integer()
    relativistic = pi_groups(["kg", "m/s", "m/s"], "J")  # m, v, c → one group v/c (or its inverse)
    assert len(relativistic.groups) == 1 and sorted(relativistic.groups[0]) == [-1, 0, 1]
    m, v, c = sympy.symbols("m v c")
    groups, scale = relativistic.expressions([m, v, c])
    assert scale.free_symbols <= {m, v, c}
    assert sympy.simplify(groups[0] / (v / c)) == 1 or sympy.simplify(groups[0] * (v / c)) == 1
    # every group is dimensionless and the scale has the output's dimension
    dimensions = {m: dimension("kg"), v: dimension("m/s"), c: dimension("m/s")}
    assert expression_dimension(groups[0], dimensions) == dimension("1")
    assert expression_dimension(scale, dimensions) == dimension("J")


def test_an_output_no_product_of_the_inputs_can_make_names_the_fix() -> None:
    with pytest.raises(UnitError, match="constant with units .* as an input"):
        pi_groups(["kg", "m"], "s")


def test_the_units_check_of_an_equation() -> None:
    x, t, v = sympy.symbols("x t v")
    d = {x: dimension("m"), t: dimension("s"), v: dimension("m/s")}
    speed = dimension("m/s")
    assert consistent(x / t, d, speed) and consistent(x / t + v, d, speed) and consistent(-x / t, d, speed)
    assert consistent(v * sympy.exp(v * t / x), d, speed)  # a dimensionless argument
    assert consistent(9.81 * t, d, speed)  # a coefficient may carry an unnamed constant's unit (g)
    assert not consistent(x + t, d, speed)  # metres plus seconds
    assert not consistent(sympy.sin(x), d, speed)  # the sine of a length
    assert not consistent(x / t + t, d, speed)
    assert not consistent(x, d, speed)  # a length is not a speed
    assert expression_dimension(x + t, d) is None

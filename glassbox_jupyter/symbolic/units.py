"""Units for math mode: parse them (safely: no ``eval``), reduce a problem to dimensionless groups
(Buckingham π), and check an equation's units.

A unit string such as ``"kg*m^2/s^2"``, ``"kg m2 s-2"``, ``"J"`` or ``"N/(m*s)"`` becomes a vector of
exponents over the seven SI base dimensions (mass, length, time, temperature, current, amount,
luminosity). Prefixes (``km``, ``ms``, ``µA``) do not change a dimension. ``""``, ``"1"`` and ``"rad"``
are dimensionless.

Buckingham π: with inputs ``x₁ … xₙ`` of dimension matrix ``D`` (one column per input) and an output of
dimension ``d``, every law that does not depend on the choice of units is
``y = Πᵢ xᵢ^bᵢ · g(π₁, …, π_k)`` with ``D b = d`` and ``πⱼ = Πᵢ xᵢ^aⱼᵢ`` for a basis ``aⱼ`` of the null
space of ``D`` (``k = n − rank D``): the search for ``g`` has ``k`` inputs instead of ``n``. Constants that
carry units (``G``, ``c``, ``k_B``) break this unless the user names them as inputs, so the reduction is
a candidate that joins the direct search, not a replacement for it.

Example:
    >>> dimension("kg*m^2/s^2") == dimension("J")
    True
    >>> basis = pi_groups(["kg", "m/s"], "J")  # kinetic energy: no group left, y = C · m · v²
    >>> basis.groups, basis.scale
    ([], [1, 2])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Any

import sympy

#: The SI base dimensions, in the order of a dimension vector.
BASE = ("M", "L", "T", "Θ", "I", "N", "J")
Dimension = tuple[Fraction, ...]


def _d(**exponents: int) -> Dimension:
    return tuple(Fraction(exponents.get(b, 0)) for b in ("M", "L", "T", "Th", "I", "N", "J"))


#: Unit symbols and their dimensions (SI and a few common others).
UNITS: dict[str, Dimension] = {
    "1": _d(), "rad": _d(), "sr": _d(), "%": _d(),
    "kg": _d(M=1), "g": _d(M=1), "t": _d(M=1), "u": _d(M=1), "Da": _d(M=1),
    "m": _d(L=1), "Å": _d(L=1), "au": _d(L=1), "ly": _d(L=1), "pc": _d(L=1),
    "s": _d(T=1), "min": _d(T=1), "h": _d(T=1), "d": _d(T=1), "yr": _d(T=1),
    "K": _d(Th=1), "°C": _d(Th=1), "degC": _d(Th=1),
    "A": _d(I=1), "mol": _d(N=1), "cd": _d(J=1),
    "Hz": _d(T=-1), "N": _d(M=1, L=1, T=-2), "J": _d(M=1, L=2, T=-2), "eV": _d(M=1, L=2, T=-2),
    "cal": _d(M=1, L=2, T=-2), "W": _d(M=1, L=2, T=-3), "Pa": _d(M=1, L=-1, T=-2), "bar": _d(M=1, L=-1, T=-2),
    "atm": _d(M=1, L=-1, T=-2), "C": _d(T=1, I=1), "V": _d(M=1, L=2, T=-3, I=-1),
    "Ω": _d(M=1, L=2, T=-3, I=-2), "ohm": _d(M=1, L=2, T=-3, I=-2), "S": _d(M=-1, L=-2, T=3, I=2),
    "F": _d(M=-1, L=-2, T=4, I=2), "H": _d(M=1, L=2, T=-2, I=-2), "T": _d(M=1, T=-2, I=-1),
    "Wb": _d(M=1, L=2, T=-2, I=-1), "L": _d(L=3), "l": _d(L=3),
}  # fmt: skip
PREFIXES = ("Y", "Z", "E", "P", "G", "M", "k", "h", "da", "d", "c", "m", "µ", "μ", "u", "n", "p", "f", "a")
_TOKEN = re.compile(
    r"\s*(?:(?P<op>[*/·()])|(?P<name>[A-Za-zÅΩµμ°%]+)|(?P<one>1))\s*(?:(?:\^|\*\*)?(?P<exp>\(-?\d+(?:/\d+)?\)|-?\d+))?"
)


class UnitError(ValueError):
    """A unit string that cannot be read; the message names the part and the forms that work."""


def _symbol(name: str, text: str) -> Dimension:
    if name in UNITS:
        return UNITS[name]
    for prefix in PREFIXES:
        if name.startswith(prefix) and name[len(prefix) :] in UNITS and len(name) > len(prefix):
            return UNITS[name[len(prefix) :]]
    raise UnitError(
        f"unknown unit {name!r} in {text!r}: use SI symbols (kg, m, s, K, A, mol, cd, N, J, W, Pa, V, ...), "
        "optionally prefixed (km, ms), combined with * and /, powers as ^2 or m2, e.g. 'kg*m^2/s^2'"
    )


def dimension(unit: str | None) -> Dimension:
    """The dimension vector (over :data:`BASE`) of ``unit``; None and ``""`` are dimensionless.

    Raises:
        UnitError: a part of ``unit`` is not a known unit, or the string is malformed.
    """
    text = (unit or "").strip()
    if not text:
        return _d()
    tokens = _tokens(text)
    value, at = _product(tokens, 0, text)
    if at != len(tokens):
        raise UnitError(f"cannot read the unit {text!r} past {tokens[at][0]!r}: write it like 'kg*m^2/s^2'")
    return value


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise UnitError(f"cannot read the unit {text!r} at {text[at:]!r}: write it like 'kg*m^2/s^2'")
        exponent = Fraction(match["exp"].strip("()")) if match["exp"] else Fraction(1)
        if match["op"]:
            out.append((match["op"], exponent))
        elif match["one"]:
            out.append(("unit", _d()))
        else:
            out.append(("unit", tuple(e * exponent for e in _symbol(match["name"], text))))
        at = match.end()
    return out


def _product(tokens: list[tuple[str, Any]], at: int, text: str) -> tuple[Dimension, int]:
    """A product of factors (``a*b``, ``a b``, ``a/b``; ``/`` applies to the next factor)."""
    total, sign = _d(), 1
    while at < len(tokens):
        kind, value = tokens[at]
        if kind == ")":
            break
        if kind in ("*", "·"):
            at += 1
            continue
        if kind == "/":
            sign, at = -1, at + 1
            continue
        if kind == "(":
            inner, at = _product(tokens, at + 1, text)
            if at >= len(tokens) or tokens[at][0] != ")":
                raise UnitError(f"unbalanced parentheses in the unit {text!r}: write it like 'kg*m^2/s^2'")
            value = tuple(e * tokens[at][1] for e in inner)  # an exponent after ')' applies to the group
        total = tuple(a + sign * b for a, b in zip(total, value))
        sign, at = 1, at + 1
    return total, at


@dataclass
class PiBasis:
    """Buckingham π for one problem: ``y = Πᵢ xᵢ^scale[i] · g(π₁ … π_k)``, ``πⱼ = Πᵢ xᵢ^groups[j][i]``."""

    groups: list[list[int]]
    scale: list[Fraction | int]

    def scale_is_integer(self) -> bool:
        return all(Fraction(b).denominator == 1 for b in self.scale)

    def expressions(self, symbols: list[sympy.Symbol]) -> tuple[list[sympy.Expr], sympy.Expr]:
        """The groups and the scale as expressions of ``symbols`` (one per input)."""

        def power(exponents: list[Any]) -> sympy.Expr:
            return sympy.Mul(
                *(
                    s ** sympy.Rational(Fraction(e).numerator, Fraction(e).denominator)
                    for s, e in zip(symbols, exponents)
                )
            )

        return [power(g) for g in self.groups], power(list(self.scale))


def pi_groups(inputs: list[str | None], output: str | None) -> PiBasis:
    """The Buckingham π reduction of inputs with units ``inputs`` and an output with unit ``output``.

    Raises:
        UnitError: a unit cannot be read, or the output's dimension is not a product of powers of the
            inputs' (the units are inconsistent, or the law needs a constant with units: name it as an input).
    """
    columns = [dimension(u) for u in inputs]
    D = sympy.Matrix([[sympy.Rational(c[b].numerator, c[b].denominator) for c in columns] for b in range(len(BASE))])
    target = dimension(output)
    d = sympy.Matrix([sympy.Rational(t.numerator, t.denominator) for t in target])
    try:
        solution, params = D.gauss_jordan_solve(d)
    except ValueError:
        raise UnitError(
            f"the output's unit {output!r} is not a product of powers of the inputs' units {inputs}: check the "
            "units, or give a constant with units (G, c, k_B, ...) as an input of its own"
        ) from None
    scale = solution.subs({p: 0 for p in params})
    groups = []
    for vector in D.nullspace():
        denominators = [sympy.fraction(sympy.nsimplify(v))[1] for v in vector]
        factor = lcm(*(int(q) for q in denominators))
        groups.append(_primitive([int(v * factor) for v in vector]))
    return PiBasis(simplest_groups(groups), [_fraction(v) for v in scale])


def _primitive(vector: list[int]) -> list[int]:
    """``vector`` divided by the gcd of its entries, signed so that positive powers are not outnumbered."""
    divisor = int(sympy.igcd(*vector)) if any(vector) else 1
    ints = [v // divisor for v in vector]
    return [-i for i in ints] if sum(i < 0 for i in ints) > sum(i > 0 for i in ints) else ints


def simplest_groups(groups: list[list[int]]) -> list[list[int]]:
    """A basis of the same groups with the fewest and smallest powers: of the small integer combinations of
    ``groups`` (each reduced by its gcd: ``(m g x / kT)³`` becomes ``m g x / kT``), the sparsest independent
    ones, in order of total power. The null space's own basis can hide the natural group in a cube.

    >>> simplest_groups([[0, 0, 0, 0, 0, -1, -3], [3, 3, 0, -3, -3, -1, 0]])  # m g T kb ... n_0 x
    [[0, 0, 0, 0, 0, 1, 3], [1, 1, 0, -1, -1, 0, 1]]
    """
    import itertools

    k = len(groups)
    if k < 2:
        return [_primitive(g) for g in groups]
    steps = range(-3, 4) if 7**k <= 2401 else range(-1, 2)
    candidates = set()
    for coefficients in itertools.product(steps, repeat=k):
        if any(coefficients) and (len(steps) ** k <= 2401 or sum(c != 0 for c in coefficients) <= 2):
            vector = [sum(c * g[i] for c, g in zip(coefficients, groups)) for i in range(len(groups[0]))]
            if any(vector):
                candidates.add(tuple(_primitive(vector)))
    chosen: list[list[int]] = []
    for candidate in sorted(candidates, key=lambda v: (sum(map(abs, v)), sum(x != 0 for x in v), v)):
        trial = sympy.Matrix([*chosen, list(candidate)])
        if trial.rank() == len(chosen) + 1:
            chosen.append(list(candidate))
            if len(chosen) == k:
                break
    return chosen


def _fraction(value: Any) -> Fraction | int:
    f = Fraction(int(sympy.fraction(value)[0]), int(sympy.fraction(value)[1]))
    return int(f) if f.denominator == 1 else f


def expression_dimension(expr: sympy.Expr, dims: dict[sympy.Symbol, Dimension]) -> Dimension | None:
    """The dimension of ``expr`` given its symbols' ``dims``, or None when it is inconsistent (adds unlike
    dimensions, or applies sin, exp, log ... to a dimensional argument). A number standing as a product's
    coefficient may carry any unit (an unnamed constant such as g or G): such a product takes whatever
    dimension the rest of the expression asks of it, written ``ANY``."""
    result = _dimension_of(expr, dims)
    return None if result is _INCONSISTENT else (result if result is not ANY else _d())


ANY: Any = object()
_INCONSISTENT: Any = object()


def _dimension_of(expr: sympy.Expr, dims: dict[sympy.Symbol, Dimension]) -> Any:
    if expr.is_number:  # 2, 0.5, pi, sqrt(2): dimensionless on their own
        return _d()
    if expr.is_Symbol:
        return dims.get(expr, _d())
    if expr.is_Mul:
        numbers = [a for a in expr.args if a.is_number]
        parts = [_dimension_of(a, dims) for a in expr.args if not a.is_number]
        if any(p is _INCONSISTENT for p in parts):
            return _INCONSISTENT
        if any(abs(a) != 1 for a in numbers) or any(p is ANY for p in parts):
            return ANY  # a fitted coefficient may carry the unit of an unnamed constant
        return tuple(sum(c, Fraction(0)) for c in zip(*parts)) if parts else _d()
    if expr.is_Add:
        parts = [_dimension_of(a, dims) for a in expr.args]
        if any(p is _INCONSISTENT for p in parts):
            return _INCONSISTENT
        fixed = {p for p in parts if p is not ANY}
        if len(fixed) > 1:
            return _INCONSISTENT
        return fixed.pop() if fixed else ANY
    if expr.is_Pow:
        base, exponent = expr.args
        inner = _dimension_of(base, dims)
        if inner is _INCONSISTENT or inner is ANY:
            return inner
        if exponent.is_Rational:
            q = Fraction(int(exponent.p), int(exponent.q))
            return tuple(e * q for e in inner)
        # a symbolic or irrational exponent: both sides must be dimensionless
        return _d() if inner == _d() and _dimension_of(exponent, dims) in (ANY, _d()) else _INCONSISTENT
    if isinstance(expr, sympy.Function):  # sin, cos, exp, log, ...: a dimensionless argument, a dimensionless value
        parts = [_dimension_of(a, dims) for a in expr.args]
        return _d() if all(p is ANY or p == _d() for p in parts) else _INCONSISTENT
    return ANY  # anything else is not judged


def consistent(expr: sympy.Expr, dims: dict[sympy.Symbol, Dimension], output: Dimension) -> bool:
    """Whether ``expr`` can have the ``output`` dimension (see :func:`expression_dimension`)."""
    result = _dimension_of(expr, dims)
    return result is not _INCONSISTENT and (result is ANY or result == output)

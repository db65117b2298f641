"""Math mode on dimensionless groups: when every searched input and the output have units, search
``y / Πxᵢ^bᵢ`` as a function of the Buckingham π groups, and restore the units (see :mod:`units`).

The reduced search gets :data:`UNITS_SHARE` of the budget, on the same training and validation probes
transformed to groups. Every equation on its front is mapped back (``Πxᵢ^bᵢ · g(π₁ … π_k)``), tidied,
measured on the validation probes like any candidate and handed to the direct search, which runs on
the rest of the budget: the Pareto front, the live picker and the pick see them beside its own. With
no group left (``k = 0``) the law is ``C · Πxᵢ^bᵢ`` and ``C`` is fitted by least squares.

The same units check every equation the direct search finds (:func:`units.consistent`): one that adds
unlike dimensions or takes ``sin``/``exp``/``log`` of a dimensional quantity never joins the candidates.
A fitted coefficient may carry the unit of a constant the user did not name (``g``, ``G``), so
``9.81·m·h`` passes as an energy.

Example:
    >>> import glassbox
    >>> spec = glassbox.InputSpec(names=["m", "v"], low=[1, 1], high=[2, 3], units=["kg", "m/s"])
    >>> teacher = glassbox.Teacher(lambda X: 0.5 * X[:, 0] * X[:, 1] ** 2, spec, output_units=["J"])
    >>> import numpy as np
    >>> X = np.random.default_rng(0).uniform([1, 1], [2, 3], (200, 2))
    >>> y = teacher(X)[:, 0]
    >>> reduced, candidates = reduce_by_units(teacher, 0, [0, 1], None, (X, y), (X, y), 0)
    >>> str(candidates[0].expr), reduced.groups
    ('x0*x1**2/2', [])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import complexity, input_symbols
from glassbox_jupyter.symbolic.outer_functions import IDENTITY, best_outer, quadratic_misfit, reliable
from glassbox_jupyter.symbolic.search import Candidate, SearchSettings, SymbolicSearch, fixed_probes
from glassbox_jupyter.symbolic.simplify import mse, tidy
from glassbox_jupyter.symbolic.units import Dimension, PiBasis, UnitError, dimension, pi_groups

#: Share of the search budget the reduced search gets (the direct search runs on the rest).
UNITS_SHARE = 0.3


@dataclass
class Reduced:
    """What the units gave: the π groups and scale (input names), or why there was no reduction."""

    groups: list[str] = field(default_factory=list)
    scale: str = ""
    equations: list[str] = field(default_factory=list)
    note: str = ""
    outer: str = ""  # an outer function G searched through (g = G(u)), when one made g much simpler

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": self.groups,
            "scale": self.scale,
            "equations": self.equations,
            "note": self.note,
            "outer_function": self.outer or None,
            "share_of_budget": UNITS_SHARE if self.equations and self.groups else 0.0,
        }


def known_dimensions(teacher: Any, output: int, columns: list[int]) -> tuple[list[Dimension], Dimension] | None:
    """The dimensions of the inputs ``columns`` and of output ``output`` when all have readable units,
    else None (no units, a missing one, or a unit that is not physical such as ``"USD"``)."""
    spec = teacher.require_spec()
    out_units = getattr(teacher, "output_units", None)
    if spec.units is None or out_units is None or out_units[output] is None:
        return None
    units = [spec.units[c] for c in columns]
    if any(u is None for u in units):
        return None
    try:
        return [dimension(u) for u in units], dimension(out_units[output])
    except UnitError:
        return None


def unit_note(teacher: Any, output: int, columns: list[int]) -> str:
    """Why no units analysis ran (for the finding's notes), or ``""`` when it can."""
    spec = teacher.require_spec()
    out_units = getattr(teacher, "output_units", None)
    if spec.units is None and out_units is None:
        return ""
    for unit in [
        *(spec.units[c] for c in columns if spec.units),
        *(out_units[output : output + 1] if out_units else []),
    ]:
        try:
            dimension(unit)
        except UnitError as error:
            return f"units: no dimensional analysis ({error})"
    if known_dimensions(teacher, output, columns) is None:
        return "units: no dimensional analysis (give a unit for every searched input and for the output; '1' if none)"
    return ""


def reduce_by_units(
    teacher: Any,
    output: int,
    columns: list[int],
    settings: SearchSettings | None,
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    seed: int,
) -> tuple[Reduced, list[Candidate]]:
    """Search on the π groups and return the equations mapped back (see the module docstring);
    ``settings`` is the whole search's (None: only the ``k = 0`` fit runs)."""
    spec = teacher.require_spec()
    units = [spec.units[c] for c in columns]
    try:
        basis = pi_groups(units, teacher.output_units[output])
    except UnitError as error:
        return Reduced(note=f"no reduction: {error}"), []
    shown = [sympy.Symbol(spec.names[c]) for c in columns]
    if len(basis.groups) >= len(columns):
        return _described(
            basis, shown, "no reduction: the inputs' units are independent (as many groups as inputs)"
        ), []
    low = np.asarray(spec.low, dtype=float)[columns]
    if not basis.scale_is_integer() and (low <= 0).any():
        return _described(
            basis, shown, "no reduction: a fractional power of an input whose range reaches 0 or below"
        ), []
    basis = fitted_basis(basis, train[0][:, columns], train[1])
    reduced = _described(basis, shown)
    symbols = [input_symbols(spec.width)[c] for c in columns]
    group_exprs, scale_expr = basis.expressions(symbols)
    X_val, y_val = validation
    if not basis.groups:
        s, y = _scale(basis, train[0][:, columns]), train[1]
        keep = np.isfinite(s) & np.isfinite(y)
        constant = float(s[keep] @ y[keep] / (s[keep] @ s[keep]))
        found = [sympy.Float(constant) * scale_expr]
    elif settings is None:
        return reduced, []
    else:
        found = _search_groups(basis, columns, settings, train, validation, seed, reduced)
        found = [g.xreplace(dict(zip(input_symbols(len(basis.groups)), group_exprs))) * scale_expr for g in found]
    candidates = []
    snap = 1e-4 if settings is None else settings.snap_tolerance
    for expr in found:
        expr = tidy(expr, X_val, y_val, snap)
        loss = mse(expr, X_val, y_val)
        if np.isfinite(loss):
            candidates.append(Candidate(expr, loss, complexity(expr), origin="units"))
    names = {s: n for s, n in zip(symbols, shown)}
    reduced.equations = [str(c.expr.xreplace(names)) for c in candidates]
    return reduced, candidates


def _described(basis: PiBasis, shown: list[sympy.Symbol], note: str = "") -> Reduced:
    """The groups and scale of ``basis`` written with the inputs' names."""
    groups, scale = basis.expressions(shown)
    return Reduced([str(g) for g in groups], str(scale), note=note)


#: Multiples of each group tried when choosing the scale (:func:`fitted_basis`).
SCALE_STEPS = (-2, -1, 0, 1, 2)
#: Scales whose spread is within this factor of the least count as equally good; the simplest is kept.
SCALE_SLACK = 10.0
#: At most this many scales are tried (5 steps for up to 4 groups, 3 for up to 6, else the first scale).
MAX_SCALE_TRIES = 729


def fitted_basis(basis: PiBasis, X: np.ndarray, y: np.ndarray) -> PiBasis:
    """The same reduction, written so the remaining function is as simple as the data allow.

    The scale is unique only up to powers of the groups (``Πxᵢ^bᵢ · πⱼ^k`` has the output's units too):
    of ``b + Σ kⱼ aⱼ`` with ``kⱼ`` in :data:`SCALE_STEPS`, keep the simplest (smallest total power) of those
    under which ``log |y / scale|`` varies at most :data:`SCALE_SLACK` times as much as under the best one on
    the training probes (a scale that explains most of ``y``: ``m c²`` rather than ``m v²`` for a relativistic
    energy, ``n₀`` rather than ``n₀·π²`` for a Boltzmann density). Each group is then oriented so that its
    typical value is at most 1 (``v / c``, not ``c / v``).
    """
    import itertools

    if not basis.groups:
        return basis
    groups = [np.array(g, dtype=float) for g in basis.groups]
    base = np.array([float(b) for b in basis.scale])
    tried: list[tuple[float, float, list[Fraction]]] = []  # (spread, total power, exponents)
    # every combination up to MAX_SCALE_TRIES, with fewer steps per group when there are many groups
    choices: tuple[int, ...] = SCALE_STEPS if len(SCALE_STEPS) ** len(groups) <= MAX_SCALE_TRIES else (-1, 0, 1)
    if len(choices) ** len(groups) > MAX_SCALE_TRIES:
        choices = (0,)
    for steps in itertools.product(choices, repeat=len(groups)):
        exponents = base + sum(k * g for k, g in zip(steps, groups))
        with np.errstate(all="ignore"):
            ratio = np.log(np.abs(y / np.prod(np.power(X, exponents), axis=1)))
        ratio = ratio[np.isfinite(ratio)]
        if len(ratio) >= 10:
            scale = [
                Fraction(b) + sum(k * int(g[i]) for k, g in zip(steps, basis.groups)) for i, b in enumerate(basis.scale)
            ]
            tried.append((float(np.var(ratio)), float(sum(abs(e) for e in scale)), scale))
    best: list[Fraction | int] = list(basis.scale)
    if tried:  # the simplest of the scales that explain y about as well as the best one
        least = min(t[0] for t in tried)
        best = list(min((t for t in tried if t[0] <= SCALE_SLACK * least + 1e-12), key=lambda t: (t[1], t[0]))[2])
    oriented = []
    for g in basis.groups:
        with np.errstate(all="ignore"):
            values = np.abs(np.prod(np.power(X, np.array(g, dtype=float)), axis=1))
        typical = float(np.median(values[np.isfinite(values)])) if np.isfinite(values).any() else 1.0
        oriented.append([-e for e in g] if typical > 1 else list(g))
    return PiBasis(oriented, [int(b) if Fraction(b).denominator == 1 else Fraction(b) for b in best])


def _scale(basis: PiBasis, X: np.ndarray) -> np.ndarray:
    exponents = np.array([float(b) for b in basis.scale])
    with np.errstate(all="ignore"):
        return np.prod(np.power(X, exponents), axis=1)


def _groups(basis: PiBasis, X: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.stack([np.prod(np.power(X, np.array(g, dtype=float)), axis=1) for g in basis.groups], axis=1)


def _transformed(basis: PiBasis, columns: list[int], X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probes as π groups and ``y / scale``; rows where either is not finite are dropped."""
    Z, t = _groups(basis, X[:, columns]), y / _scale(basis, X[:, columns])
    keep = np.isfinite(Z).all(axis=1) & np.isfinite(t)
    return Z[keep], t[keep]


def _search_groups(
    basis: PiBasis,
    columns: list[int],
    settings: SearchSettings,
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    seed: int,
    reduced: Reduced,
) -> list[sympy.Expr]:
    """The front of ``g`` over the groups, in the groups' symbols ``x0 … x(k-1)``. When an outer function
    makes ``g`` much closer to a quadratic in the groups (:func:`outer_functions.best_outer`), half the
    share searches ``G⁻¹(g)`` and maps its equations back through ``G``; the other half searches ``g``."""
    Z, t = _transformed(basis, columns, *train)
    Z_val, t_val = _transformed(basis, columns, *validation)
    if len(t) < 20 or len(t_val) < 5:
        return []
    k = len(basis.groups)
    outer, misfit = best_outer(Z, t)
    plan = [(IDENTITY, 1.0)]
    if outer is not IDENTITY and misfit < 0.5 * quadratic_misfit(Z, t):
        plan = [(outer, 0.5), (IDENTITY, 0.5)]
        reduced.outer = outer.name
    found: list[sympy.Expr] = []
    for way, part in plan:
        share = UNITS_SHARE * part
        with np.errstate(all="ignore"):
            u, u_val = way.to_inner(t), way.to_inner(t_val)
        keep, keep_val = reliable(way, u), reliable(way, u_val)
        if keep.sum() < 20 or keep_val.sum() < 5:
            continue
        part_settings = dataclasses.replace(
            settings,
            time_limit=max(1.0, settings.time_limit * share),
            generations=None if settings.generations is None else max(10, round(settings.generations * share)),
            floor_mse=None,  # the floor is in the output's units, not in y / scale's
            refine_per_round=0,
            seed=seed,
        )
        search = SymbolicSearch(k, list(range(k)), part_settings)
        front = search.run(fixed_probes(Z[keep], u[keep]), Z_val[keep_val], u_val[keep_val])
        found += [way.outer(c.expr) for c in front]
    return found

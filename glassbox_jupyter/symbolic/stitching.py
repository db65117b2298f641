"""Additively separable teachers, searched piece by piece and stitched back into one equation.

When the structure tests (run with the teacher's held-out error, :func:`structure.find_structure`) find
the searched inputs in groups such that every pair across two groups is additively separable,
``f(x) = f(x0) + Σ_G g_G(x_G)`` with ``g_G(x_G) = f(x_G, x0_rest) − f(x0)`` (``x0`` the box's centre).
Each piece is a smaller search over its group's inputs alone, the others held at ``x0``, on
:data:`STITCH_SHARE` of the budget (split over the pieces by their number of inputs). The stitched
equation ``f(x0) + Σ piece`` is tidied like any candidate and measured on the same validation probes;
it joins the main search's candidates (which runs on the rest of the budget), so the Pareto front, the
live picker and the pick see it beside the direct search's equations.

Only additive separability is used so far; multiplicative separability, symmetries and outer functions
are reported (``finding.structure``) but not yet searched on.

Example:
    >>> from glassbox_jupyter.symbolic.stitching import additive_groups
    >>> additive_groups([0, 1, 2], lambda i, j: {(0, 1): True, (0, 2): True, (1, 2): False}[i, j])
    [[0], [1, 2]]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import complexity, input_symbols
from glassbox_jupyter.symbolic.search import Candidate, SearchSettings, SymbolicSearch, choose_best, fixed_probes
from glassbox_jupyter.symbolic.simplify import mse, tidy

#: Share of the search budget the pieces get (the direct search runs on the rest).
STITCH_SHARE = 0.3
#: Probes per piece (training; half as many again for its validation).
PIECE_PROBES = 600


@dataclass
class Stitched:
    """The pieces of an additively separable teacher and the equation stitched from them."""

    groups: list[list[str]]
    pieces: list[str]
    candidate: Candidate | None

    def to_dict(self) -> dict[str, Any]:
        c = self.candidate
        return {
            "groups": self.groups,
            "pieces": self.pieces,
            "equation": None if c is None else str(c.expr),
            "validation_loss": None if c is None else c.loss,
            "share_of_budget": STITCH_SHARE,
        }


def additive_groups(columns: list[int], separable: Callable[[int, int], bool | None]) -> list[list[int]]:
    """``columns`` split into groups that only additive separability joins: the connected components of the
    graph whose edges are the pairs ``separable(i, j)`` does not confirm (False, or None: refused)."""
    graph = nx.Graph()
    graph.add_nodes_from(columns)
    graph.add_edges_from((i, j) for n, i in enumerate(columns) for j in columns[n + 1 :] if separable(i, j) is not True)
    return sorted(sorted(group) for group in nx.connected_components(graph))


def stitch(
    teacher: Any,
    output: int,
    groups: list[list[int]],
    settings: SearchSettings,
    X_val: np.ndarray,
    y_val: np.ndarray,
    seed: int,
) -> Stitched:
    """Search each group's piece and stitch them (see the module docstring)."""
    spec = teacher.require_spec()
    low, high = np.asarray(spec.low, dtype=float), np.asarray(spec.high, dtype=float)
    centre = (low + high) / 2
    f0 = float(np.asarray(teacher(centre[None]), dtype=float).reshape(1, -1)[0, output])
    rng = np.random.default_rng(seed)
    width = sum(len(g) for g in groups)
    pieces: list[sympy.Expr] = []
    for group in groups:
        X = np.tile(centre, (PIECE_PROBES + PIECE_PROBES // 2, 1))
        X[:, group] = low[group] + (high[group] - low[group]) * rng.random((len(X), len(group)))
        y = np.asarray(teacher(X), dtype=float).reshape(len(X), -1)[:, output] - f0
        share = STITCH_SHARE * len(group) / width
        piece_settings = dataclasses.replace(
            settings,
            time_limit=max(1.0, settings.time_limit * share),
            generations=None if settings.generations is None else max(10, round(settings.generations * share)),
            floor_mse=None if settings.floor_mse is None else 2 * settings.floor_mse,  # two teacher evaluations
            refine_per_round=0,
        )
        search = SymbolicSearch(spec.width, group, piece_settings)
        front = search.run(fixed_probes(X[:PIECE_PROBES], y[:PIECE_PROBES]), X[PIECE_PROBES:], y[PIECE_PROBES:])
        if not front:
            return Stitched(_names(spec, groups), [], None)
        best = choose_best(front, float(np.var(y[PIECE_PROBES:])), floor_mse=piece_settings.floor_mse)
        pieces.append(front[best].expr)
    expr = tidy(sympy.Float(f0) + sympy.Add(*pieces), X_val, y_val, settings.snap_tolerance)
    loss = mse(expr, X_val, y_val)
    candidate = Candidate(expr, loss, complexity(expr)) if np.isfinite(loss) else None
    shown = {s: sympy.Symbol(n) for s, n in zip(input_symbols(spec.width), spec.names)}
    return Stitched(_names(spec, groups), [str(p.xreplace(shown)) for p in pieces], candidate)


def _names(spec: Any, groups: list[list[int]]) -> list[list[str]]:
    return [[spec.names[c] for c in group] for group in groups]

"""Separable teachers, split into smaller problems recursively, searched piece by piece and stitched back.

The structure tests (:func:`structure.find_structure`, run with the teacher's held-out error) decide how
a function ``h`` of some inputs splits; ``x0`` is the box's centre and ``h0 = h(x0)``:

- ``sum``: every pair across two groups is additively separable, ``h(x) = h0 + Σ_G h_G(x_G)`` with
  ``h_G(x_G) = h(x_G, x0_rest) - h0``;
- ``product``: every pair across two groups is multiplicatively separable (additively on ``log|h|``),
  ``h(x) = h0 · Π_G h_G(x_G)`` with ``h_G(x_G) = h(x_G, x0_rest) / h0``;
- ``outer``: neither, but ``u = G^-1(h)`` for an outer function G (inverse, sqrt, square, exp, log, sin,
  arcsin) is additively separable across groups where ``h`` is not: ``h = G(u)`` and ``u`` is split.

Each new function is tested again and split again (the tests' noise is the teacher's, divided by
``|h0|`` for a product's pieces and times the median slope of ``G^-1`` for an outer function's inverse;
a sum's shift by ``h0`` cancels in every stencil, and so does ``h0``'s own error in a product's), up to
:data:`MAX_DEPTH` levels. A split asks for the structure tests' stricter level
(:meth:`StructureTest.splits`). What does not split is a leaf: a small search over its inputs alone,
the other inputs held at ``x0``; a pair of its inputs on which it is clearly a function of ``x - y``,
``x / y``, ``x y`` or ``x^2 + y^2`` is searched as that one variable. The leaves share what is left
of :data:`STITCH_SHARE` of the search budget in proportion to their number of inputs. The stitched
equation (``h0 + Σ``, ``h0 · Π``, ``G(...)`` of the leaves' picks) has its constants refitted together
on the validation probes, is tidied like any candidate and measured on them; it joins the main
search's candidates (which runs on the rest of the budget), so the Pareto front, the live picker and
the pick see it beside the direct search's equations. ``G m1 m2 / ((x2-x1)^2 + (y2-y1)^2 + (z2-z1)^2)``
splits into ``G``, ``m1``, ``m2`` and ``1 / (three squared differences)``, whose inverse is a sum of
three pieces, each a function of one difference.

Example:
    >>> from glassbox_jupyter.symbolic.stitching import additive_groups
    >>> additive_groups([0, 1, 2], lambda i, j: {(0, 1): True, (0, 2): True, (1, 2): False}[i, j])
    [[0], [1, 2]]
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import complexity, evaluate, input_symbols
from glassbox_jupyter.symbolic.outer_functions import BY_NAME
from glassbox_jupyter.symbolic.search import (
    Candidate,
    SearchSettings,
    SymbolicSearch,
    choose_best,
    fixed_probes,
    pareto_front,
)
from glassbox_jupyter.symbolic.simplify import mse, refit_constants, tidy
from glassbox_jupyter.symbolic.structure_tests import OUTER_FUNCTIONS

#: Share of the search budget the pieces get (the direct search runs on the rest).
STITCH_SHARE = 0.3
#: Probes per piece (training; half as many again for its validation).
PIECE_PROBES = 600
#: Levels of splitting below the teacher's own function.
MAX_DEPTH = 4
#: A leaf's population per input (the whole search's is 1,000): short rounds for its short clock.
LEAF_POPULATION_PER_INPUT = 250
#: Probes that carry the tests' noise through an outer function's inverse.
NOISE_SAMPLES = 256

Function = Callable[[np.ndarray], np.ndarray]  # full-width rows -> the node's values


@dataclass
class Node:
    """One function in the split: a ``sum``, ``product`` or ``outer`` of its children, or a searched ``leaf``."""

    kind: str
    columns: list[int]
    function: Function = field(repr=False)
    noise: float
    centre_value: float = 0.0  # h(x0), for sum and product
    outer: str = ""  # G, for kind "outer"
    children: list[Node] = field(default_factory=list)
    expr: sympy.Expr | None = None  # after the search: the node's equation in x0..x{d-1}
    symmetries: list[tuple[str, int, int]] = field(default_factory=list)  # a leaf's F(x - y) ... pairs
    front: list[Candidate] = field(default_factory=list, repr=False)  # a leaf's Pareto front, in x0..x{d-1}

    def searched(self) -> list[str | int]:
        """What a leaf searches over: its columns outside a symmetric pair, then one variable per pair."""
        paired = {c for _, i, j in self.symmetries for c in (i, j)}
        return [c for c in self.columns if c not in paired] + [f"{kind}:{i}:{j}" for kind, i, j in self.symmetries]

    def leaves(self) -> list[Node]:
        return [self] if self.kind == "leaf" else [leaf for child in self.children for leaf in child.leaves()]

    def describe(self, names: list[str]) -> str:
        """The split in words, e.g. ``h0 · [G] · [m1] · inverse(h0 + [x1, x2] + [y1, y2])``."""
        if self.kind == "leaf":
            return "[" + ", ".join(_shown(v, names) for v in self.searched()) + "]"
        parts = [child.describe(names) for child in self.children]
        if self.kind == "outer":
            return f"{self.outer}({parts[0]})"
        parts = [f"({p})" if c.kind in ("sum", "product") else p for c, p in zip(self.children, parts)]
        joiner = " + " if self.kind == "sum" else " · "
        return f"{self.centre_value:.4g}{joiner}" + joiner.join(parts)


@dataclass
class Stitched:
    """How a teacher was split (``tree``), its top-level groups and pieces, and the stitched equation."""

    groups: list[list[str]]
    pieces: list[str]
    candidate: Candidate | None
    tree: str = ""
    kind: str = "sum"
    interrupted: bool = False  # Ctrl-C during the split or a piece's search: distill stops, keeping what it has

    def to_dict(self) -> dict[str, Any]:
        c = self.candidate
        return {
            "kind": self.kind,
            "tree": self.tree,
            "groups": self.groups,
            "pieces": self.pieces,
            "equation": None if c is None else str(c.expr),
            "validation_loss": None if c is None else c.loss,
            "share_of_budget": STITCH_SHARE,
            "interrupted": self.interrupted,
        }


def additive_groups(columns: list[int], separable: Callable[[int, int], bool | None]) -> list[list[int]]:
    """``columns`` split into groups that only additive separability joins: the connected components of the
    graph whose edges are the pairs ``separable(i, j)`` does not confirm (False, or None: refused)."""
    graph = nx.Graph()
    graph.add_nodes_from(columns)
    graph.add_edges_from((i, j) for n, i in enumerate(columns) for j in columns[n + 1 :] if separable(i, j) is not True)
    return sorted(sorted(group) for group in nx.connected_components(graph))


class _Box:
    """The teacher's box, its centre, and rows that vary only some columns."""

    def __init__(self, spec: Any, seed: int) -> None:
        self.spec = spec
        self.low, self.high = np.asarray(spec.low, dtype=float), np.asarray(spec.high, dtype=float)
        self.centre = (self.low + self.high) / 2
        self.rng = np.random.default_rng(seed)

    def rows(self, columns: list[int], n: int) -> np.ndarray:
        X = np.tile(self.centre, (n, 1))
        X[:, columns] = self.low[columns] + (self.high[columns] - self.low[columns]) * self.rng.random(
            (n, len(columns))
        )
        return X

    def value_at_centre(self, h: Function) -> float:
        return float(np.asarray(h(self.centre[None]), dtype=float).reshape(-1)[0])


def _restricted(h: Function, group: list[int], centre: np.ndarray) -> Function:
    """``h`` with every column outside ``group`` held at the centre."""
    outside = np.ones(len(centre), dtype=bool)
    outside[group] = False

    def piece(X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=float)
        X[:, outside] = centre[outside]
        return h(X)

    return piece


def _report(h: Function, columns: list[int], noise: float, box: _Box, seed: int) -> Any:
    from glassbox_jupyter.symbolic.structure import find_structure
    from glassbox_jupyter.teacher.teacher import Teacher

    teacher = Teacher(lambda X: h(np.asarray(X, dtype=float)), box.spec, name="piece")
    return find_structure(teacher, 0, columns, seed=seed, held_out_rms=noise)


def _groups(report: Any, columns: list[int], names: list[str], hypothesis: str) -> list[list[int]]:
    def separable(i: int, j: int) -> bool | None:
        try:
            return report.splits(hypothesis, names[i], names[j])
        except KeyError:  # a pair the tests did not reach (beyond MAX_PAIRWISE_INPUTS): not confirmed
            return None

    return additive_groups(columns, separable)


def _outer_groups(report: Any, columns: list[int], names: list[str], outer: str) -> list[list[int]]:
    passed = {
        frozenset(t.inputs) for t in report.outer if t.transform == outer and t.hypothesis == "additive" and t.splits()
    }
    return additive_groups(columns, lambda i, j: frozenset((names[i], names[j])) in passed)


def plan(
    h: Function, columns: list[int], noise: float, box: _Box, seed: int, depth: int = 0, report: Any = None
) -> Node:
    """Split ``h`` (a function of ``columns``; the others held) as far as the structure tests allow."""
    if len(columns) < 2 or depth > MAX_DEPTH:
        return Node("leaf", columns, h, noise)
    names = list(box.spec.names)
    report = report if report is not None else _report(h, columns, noise, box, seed + depth)
    leaf = Node("leaf", columns, h, noise, symmetries=_symmetries(report, columns, names))
    h0 = box.value_at_centre(h)
    additive = _groups(report, columns, names, "additive")
    multiplicative = _groups(report, columns, names, "multiplicative")
    if len(additive) >= 2 and len(additive) >= len(multiplicative):
        children = [plan(_shifted(_restricted(h, g, box.centre), h0), g, noise, box, seed, depth + 1) for g in additive]
        return Node("sum", columns, h, noise, h0, children=children)
    if len(multiplicative) >= 2 and h0 != 0 and np.isfinite(h0):
        children = [
            plan(_scaled(_restricted(h, g, box.centre), h0), g, noise / abs(h0), box, seed, depth + 1)
            for g in multiplicative
        ]
        return Node("product", columns, h, noise, h0, children=children)
    outer = max(report.outer_functions(), key=lambda g: len(_outer_groups(report, columns, names, g)), default=None)
    if outer is None or len(_outer_groups(report, columns, names, outer)) < 2:
        return leaf
    inverse, slope = OUTER_FUNCTIONS[outer][:2]
    with np.errstate(all="ignore"):
        slopes = slope(h(box.rows(columns, NOISE_SAMPLES)))
    u_noise = noise * float(np.nanmedian(np.abs(slopes)))  # typical: the slope of G^-1 varies over the box
    if not np.isfinite(u_noise):
        return leaf
    child = plan(_through(inverse, h), columns, u_noise, box, seed, depth + 1)
    if child.kind != "sum":  # G^-1 promised a sum; the closer look at u did not confirm it
        return leaf
    return Node("outer", columns, h, noise, h0, outer=outer, children=[child])


#: symmetric pairs a leaf searches as one variable, in the order tried, with that variable as sympy
SYMMETRIES: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    "difference": lambda x, y: x - y,
    "ratio": lambda x, y: x / y,
    "product": lambda x, y: x * y,
    "radius": lambda x, y: x**2 + y**2,
}
_SYMMETRY_NUMPY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "difference": np.subtract,
    "ratio": np.divide,
    "product": np.multiply,
    "radius": lambda x, y: x**2 + y**2,
}


def _symmetries(report: Any, columns: list[int], names: list[str]) -> list[tuple[str, int, int]]:
    """Disjoint pairs of ``columns`` on which the output is clearly a function of one combination."""
    found: list[tuple[str, int, int]] = []
    used: set[int] = set()
    for kind in SYMMETRIES:
        for n, i in enumerate(columns):
            for j in columns[n + 1 :]:
                if i in used or j in used:
                    continue
                try:
                    clear = report.splits(kind, names[i], names[j])
                except KeyError:
                    continue
                if clear:
                    found.append((kind, i, j))
                    used |= {i, j}
    return found


def _shown(variable: str | int, names: list[str]) -> str:
    if isinstance(variable, int):
        return names[variable]
    kind, i, j = variable.split(":")
    return str(SYMMETRIES[kind](sympy.Symbol(names[int(i)]), sympy.Symbol(names[int(j)])))


def _shifted(h: Function, h0: float) -> Function:
    return lambda X: h(X) - h0


def _scaled(h: Function, h0: float) -> Function:
    return lambda X: h(X) / h0


def _through(inverse: Callable[[np.ndarray], np.ndarray], h: Function) -> Function:
    def u(X: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return inverse(h(X))

    return u


def assemble(node: Node) -> sympy.Expr | None:
    """The node's equation from its leaves' (``h0 + Σ``, ``h0 · Π``, ``G(...)``); None when a leaf found nothing."""
    if node.kind != "leaf":
        parts = [assemble(child) for child in node.children]
        if any(p is None for p in parts):
            node.expr = None
        elif node.kind == "sum":
            node.expr = sympy.Float(node.centre_value) + sympy.Add(*parts)
        elif node.kind == "product":
            node.expr = sympy.Float(node.centre_value) * sympy.Mul(*parts)
        else:
            node.expr = BY_NAME[node.outer].outer(parts[0])
    return node.expr


def _search_leaf(node: Node, box: _Box, settings: SearchSettings, seconds: float, generations: int | None) -> bool:
    """Search the leaf on its slice; its Pareto front (in the teacher's inputs) goes to ``node.front``.
    True when Ctrl-C interrupted the search (what it found is kept)."""
    n = PIECE_PROBES + PIECE_PROBES // 2
    X = box.rows(node.columns, n)
    y = np.asarray(node.function(X), dtype=float).reshape(n)
    finite = np.isfinite(y)
    if finite.sum() < PIECE_PROBES // 2:
        return False
    X, y = X[finite], y[finite]
    cut = (2 * len(y)) // 3
    d = len(box.centre)
    searched = node.searched()
    derived = [v for v in searched if isinstance(v, str)]
    if derived:  # F(x - y) ...: one more column per symmetric pair, searched instead of the pair
        extra = [_SYMMETRY_NUMPY[k](X[:, int(i)], X[:, int(j)]) for k, i, j in (v.split(":") for v in derived)]
        X = np.column_stack([X, *extra])
    leaf_settings = dataclasses.replace(
        settings,
        time_limit=max(0.5, seconds),
        generations=generations,
        floor_mse=node.noise**2,
        refine_per_round=0,
        population_size=min(settings.population_size, LEAF_POPULATION_PER_INPUT * len(node.columns)),
    )
    columns = [v for v in searched if isinstance(v, int)] + list(range(d, d + len(derived)))
    search = SymbolicSearch(d + len(derived), columns, leaf_settings)
    front = search.run(fixed_probes(X[:cut], y[:cut]), X[cut:], y[cut:])
    symbols = input_symbols(d + len(derived))
    back = {
        symbols[d + n]: SYMMETRIES[k](symbols[int(i)], symbols[int(j)])
        for n, (k, i, j) in enumerate(v.split(":") for v in derived)
    }
    node.front = [dataclasses.replace(c, expr=c.expr.xreplace(back)) for c in front]
    if node.front:
        node.expr = node.front[
            choose_best(front, float(np.var(y[cut:])) or 1.0, floor_mse=leaf_settings.floor_mse)
        ].expr
    return search.log.interrupted


def fitted_to(tree: Node, X: np.ndarray, y: np.ndarray) -> tuple[float, sympy.Expr] | None:
    """The stitched equation scaled and shifted to ``y`` by least squares, and its mean squared error.

    Under an outer function the scale and shift are fitted inside it, on ``G^-1(y)``: the pieces' constants
    (each slice's own ``h(x0)``) add up only roughly, and ``sqrt(0.045 + d1^2 - 0.041 + d2^2 - 0.043)`` is
    undefined where both differences vanish. Rows where the result is undefined cost ten times ``var(y)``.
    """
    inner = tree.children[0] if tree.kind == "outer" else tree
    expr = assemble(inner)
    if expr is None:
        return None
    target = y
    if tree.kind == "outer":
        with np.errstate(all="ignore"):
            target = OUTER_FUNCTIONS[tree.outer][0](y)
    with np.errstate(all="ignore"):
        values = evaluate(expr, X)
    rows = np.isfinite(values) & np.isfinite(target)
    if rows.sum() < max(10, len(y) // 2):
        return None
    design = np.column_stack([np.ones(int(rows.sum())), values[rows]])
    shift, scale = np.linalg.lstsq(design, target[rows], rcond=None)[0]
    fitted = sympy.Float(shift) + sympy.Float(scale) * expr
    if tree.kind == "outer":
        fitted = BY_NAME[tree.outer].outer(fitted)
    with np.errstate(all="ignore"):
        guess = evaluate(fitted, X)
    errors = np.where(np.isfinite(guess), (y - guess) ** 2, 10 * (float(np.var(y)) or 1.0))
    return float(np.mean(errors)), fitted


def choose_pieces(tree: Node, X: np.ndarray, y: np.ndarray, floor_mse: float | None, sweeps: int = 2) -> None:
    """Each leaf's pick, chosen on the whole teacher: for one leaf at a time, every member of its front is
    put in the stitched equation (the others as they are), which is fitted to ``y`` (:func:`fitted_to`),
    and the main pick's rule (``choose_best`` with the teacher's floor) chooses among them.

    A slice of the network is only as precise as the network, so a leaf's own pick can fit a slice's error
    (a line for ``Ef^2``, a quadratic for ``ε``); the whole teacher's probes weigh every piece's form at once.
    """
    variance = float(np.var(y)) or 1.0
    for _ in range(sweeps):
        for leaf in tree.leaves():
            options: list[Candidate] = []
            for member in leaf.front:
                leaf.expr = member.expr
                fit = fitted_to(tree, X, y)
                if fit is not None and np.isfinite(fit[0]):
                    options.append(Candidate(member.expr, fit[0], complexity(fit[1])))
            front = pareto_front(options)
            if front:
                leaf.expr = front[choose_best(front, variance, floor_mse=floor_mse)].expr


def stitch(
    teacher: Any,
    output: int,
    columns: list[int],
    report: Any,
    settings: SearchSettings,
    X_val: np.ndarray,
    y_val: np.ndarray,
    seed: int,
) -> Stitched | None:
    """Split the teacher's ``output`` (``report``: its structure tests), search the pieces and stitch them.
    None when the tests find neither a split nor a symmetric pair."""
    started = time.perf_counter()
    spec = teacher.require_spec()
    box = _Box(spec, seed)

    def h(X: np.ndarray) -> np.ndarray:
        return np.asarray(teacher(X), dtype=float).reshape(len(X), -1)[:, output]

    try:
        tree = plan(h, list(columns), report.noise, box, seed, report=report)
    except KeyboardInterrupt:
        return Stitched([], [], None, kind="none", interrupted=True)
    if tree.kind == "leaf" and not tree.symmetries:
        return None
    # the leaves share what is left of STITCH_SHARE of the budget by their number of inputs, each leaf
    # getting its part of what the ones before it left (rounds overrun a short clock)
    deadline = started + STITCH_SHARE * settings.time_limit
    leaves = tree.leaves()
    waiting = total = sum(len(leaf.columns) for leaf in leaves)
    interrupted = False
    for leaf in leaves:  # after a Ctrl-C the leaves left have no front, so nothing is stitched
        if interrupted:
            break
        part = len(leaf.columns) / waiting
        generations = None
        if settings.generations is not None:
            generations = max(10, round(STITCH_SHARE * settings.generations * len(leaf.columns) / total))
        interrupted = _search_leaf(leaf, box, settings, part * (deadline - time.perf_counter()), generations)
        waiting -= len(leaf.columns)
    choose_pieces(tree, X_val, y_val, settings.floor_mse)
    fit = fitted_to(tree, X_val, y_val)
    found = None if fit is None else fit[1]
    names = list(spec.names)
    shown = {s: sympy.Symbol(n) for s, n in zip(input_symbols(spec.width), names)}
    parts = tree.children or [tree]  # a leaf searched on its symmetric pairs is its own one piece
    pieces = [str(part.expr.xreplace(shown)) for part in parts if part.expr is not None]
    groups = [[names[c] for c in part.columns] for part in parts]
    candidate = None
    if found is not None:
        # the pieces' constants were fitted each on its own slice: fit them together on the whole first (the
        # scale and shift above, then every constant)
        expr = tidy(refit_constants(found, X_val, y_val, steps=5), X_val, y_val, settings.snap_tolerance)
        loss = mse(expr, X_val, y_val)
        candidate = Candidate(expr, loss, complexity(expr), origin="stitched") if np.isfinite(loss) else None
    return Stitched(groups, pieces, candidate, tree=tree.describe(names), kind=tree.kind, interrupted=interrupted)

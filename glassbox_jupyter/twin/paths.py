"""Confident prediction paths in a flow graph: t-norm fitness, exact k-best search and the evolutionary search.

A path picks one node per layer and ends at a class node. Its fitness folds a t-norm over its edge
confidences, first layer to class (a missing edge counts 0). :func:`exhaustive_paths` is exact: every t-norm
is monotone, so a k-best dynamic programme over the layers finds the top-k paths in
O(layers · nodes² · k) without listing the ∏ nodes candidates. :func:`evolve_paths` is the authors' genetic
algorithm (one integer gene per layer, the class gene fixed; elitism, roulette parents, crossover,
mutation), vectorised with numpy, with operators made for paths (see :func:`evolve_paths`).
:func:`best_paths` runs one of them for every class (exact unless the graph is huge) and, when the graph
is small enough to enumerate, checks the EA against the exact optimum.

Example
-------
>>> import numpy as np
>>> from glassbox_jupyter.twin.flowgraph import flow_graph, information_system
>>> from glassbox_jupyter.twin.paths import best_paths
>>> sis = information_system({"fc1": np.array([0, 0, 1, 1]), "fc2": np.array([0, 0, 1, 0])}, np.array([0, 0, 1, 1]))
>>> search = best_paths(flow_graph(sis), top_k=1)
>>> search.paths[0][0].nodes, search.method
(('fc1:0', 'fc2:0', 'class:0'), 'exhaustive')
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from glassbox_jupyter.errors import GlassboxError
from glassbox_jupyter.twin.flowgraph import path_coefficients

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "TNORMS",
    "Path",
    "PathSearch",
    "PathSearchError",
    "SearchMethod",
    "best_paths",
    "candidate_count",
    "evolve_paths",
    "exact_search_work",
    "exhaustive_paths",
    "fold_tnorm",
    "greedy_path",
    "path_fitness",
]


SearchMethod = Literal["auto", "exhaustive", "evolve"]
_BLOCK_CELLS = 2**22  # candidate cells the exact search holds at once


class PathSearchError(GlassboxError, ValueError):
    """An unknown t-norm or class, or a graph that is not a layered flow graph."""


def _einstein(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a * b / (2.0 - (a + b - a * b))


def _drastic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(a == 1.0, b, np.where(b == 1.0, a, 0.0))


TNORMS: dict[str, Callable[[Any, Any], np.ndarray]] = {
    "einstein": _einstein,  # ab / (2 − (a + b − ab)), the authors' default
    "minimum": np.minimum,
    "product": np.multiply,
    "lukasiewicz": lambda a, b: np.maximum(0.0, a + b - 1.0),
    "nilpotent_minimum": lambda a, b: np.where(a + b > 1.0, np.minimum(a, b), 0.0),  # Fodor's
    "drastic": _drastic,
}


@dataclass(frozen=True)
class Path:
    """A path from the first layer to a class node, with its fitness and Pawlak coefficients."""

    nodes: tuple[str, ...]
    fitness: float
    certainty: float
    coverage: float
    strength: float
    cls: Hashable = None  # the class value the path ends at

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": list(self.nodes),
            "fitness": self.fitness,
            "certainty": self.certainty,
            "coverage": self.coverage,
            "strength": self.strength,
            "class": self.cls,
        }


@dataclass(frozen=True)
class PathSearch:
    """The best paths per class, how they were found, and (when checked) how far the EA fell short."""

    paths: dict[Hashable, list[Path]]
    method: str  # "exhaustive" or "evolve"
    tnorm: str
    ea_gap: dict[Hashable, float] | None = None  # exact best fitness − EA best fitness, per class
    ea_paths: dict[Hashable, list[Path]] | None = field(default=None, repr=False)

    @property
    def ea_matches(self) -> bool | None:
        """Whether the EA reached the exact optimum for every class (``None`` when not checked)."""
        if self.ea_gap is None:
            return None
        return all(gap <= 1e-12 for gap in self.ea_gap.values())


def fold_tnorm(values: Any, tnorm: str = "einstein") -> np.ndarray:
    """Fold a t-norm over the last axis of ``values`` (left to right); an empty axis gives 1, its identity."""
    combine = _tnorm(tnorm)
    values = np.asarray(values, dtype=np.float64)
    if values.shape[-1] == 0:
        return np.ones(values.shape[:-1])
    out = values[..., 0]
    for i in range(1, values.shape[-1]):
        out = combine(out, values[..., i])
    return np.asarray(out, dtype=np.float64)


def path_fitness(G: nx.DiGraph, path: Any, tnorm: str = "einstein") -> float:
    """The t-norm of the path's edge confidences; 0 when an edge is missing."""
    nodes = list(path)
    confidences = [G.edges[u, v]["confidence"] if G.has_edge(u, v) else 0.0 for u, v in itertools.pairwise(nodes)]
    return float(fold_tnorm(np.array(confidences), tnorm))


def candidate_count(G: nx.DiGraph) -> int:
    """How many paths one class has to choose from: the product of the non-class layers' node counts."""
    return math.prod(len(nodes) for nodes in _Layers(G).nodes[:-1])


def exhaustive_paths(G: nx.DiGraph, cls: Hashable, tnorm: str = "einstein", top_k: int = 3) -> list[Path]:
    """The exact top-k valid paths ending at class ``cls`` (best first; ties keep the lower node indices).

    Example
    -------
    >>> import numpy as np
    >>> from glassbox_jupyter.twin.flowgraph import flow_graph, information_system
    >>> G = flow_graph(information_system({"fc1": np.array([0, 1, 1])}, np.array([0, 1, 1])))
    >>> [p.nodes for p in exhaustive_paths(G, 1)]
    [('fc1:1', 'class:1')]
    """
    layers = _Layers(G)
    combine = _tnorm(tnorm)
    target = layers.class_index(cls)
    k = _check_top_k(top_k)
    n_genes = len(layers.nodes) - 1
    values: np.ndarray | None = None
    history = []
    for layer in range(n_genes):
        conf = layers.confidence[layer]
        if layer == n_genes - 1:
            conf = conf[:, [target]]
        values, backs = _extend(values, conf, combine, k)
        history.append(backs)
    assert values is not None
    paths = []
    for rank in range(values.shape[1]):
        if values[0, rank] < 0:
            break
        genes = []
        node, r = 0, rank
        for layer in range(n_genes - 1, -1, -1):
            prev, prev_rank = history[layer][node, r]
            genes.append(int(prev))
            node, r = int(prev), int(prev_rank)
        genes.reverse()
        paths.append(layers.path(G, genes, target, float(values[0, rank])))
    return paths


def _extend(
    values: np.ndarray | None, conf: np.ndarray, combine: Callable[[Any, Any], np.ndarray], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """One step of the k-best programme: the best ``k`` prefix values into each next node, with back-pointers.

    ``values[u, r]`` is the r-th best prefix value ending at node u (-1: none); ``conf[u, v]`` the edge
    confidence (0: missing). Returns ``[m_next, k']`` values and ``[m_next, k', 2]`` (previous node, its rank),
    processing the next nodes in blocks so memory stays bounded.
    """
    m_prev, m_next = conf.shape
    width = 1 if values is None else values.shape[1]
    block = max(1, _BLOCK_CELLS // max(1, m_prev * width))
    kept = min(k, m_prev * width)
    out_values = np.empty((m_next, kept))
    out_backs = np.empty((m_next, kept, 2), dtype=np.int64)
    for start in range(0, m_next, block):
        c = conf[:, start : start + block]
        if values is None:  # first edge: its confidence is the prefix value
            cand = np.where(c > 0, c, -1.0)[:, None, :]
        else:
            cand = combine(values[:, :, None], c[:, None, :])
            cand = np.where((values[:, :, None] >= 0) & (c[:, None, :] > 0), cand, -1.0)
        flat = cand.reshape(-1, cand.shape[2])  # row = previous node * width + its rank
        order = np.argsort(-flat, axis=0, kind="stable")[:kept]
        out_values[start : start + block] = np.take_along_axis(flat, order, axis=0).T
        out_backs[start : start + block] = np.stack([order.T // width, order.T % width], axis=-1)
    return out_values, out_backs


def evolve_paths(
    G: nx.DiGraph,
    cls: Hashable,
    tnorm: str = "einstein",
    top_k: int = 3,
    *,
    population: int = 100,
    generations: int = 2000,
    mutation: float = 0.1,
    crossover: float = 0.5,
    elite: float = 0.01,
    parents: float = 0.3,
    immigrants: float = 0.1,
    patience: int = 300,
    seed: int = 0,
) -> list[Path]:
    """The genetic algorithm's best ``top_k`` distinct valid paths ending at class ``cls`` (best first).

    Defaults follow the authors (population 100, mutation 0.1, crossover 0.5, elite 0.01, parents 0.3), with
    fewer generations (they use 10,000 and stop after 5,000 without improvement). It stops early after
    ``patience`` generations without a better top-k.

    The operators are made for paths, because in a sparse flow graph a random gene or a uniform crossover
    almost always lands on a missing edge (fitness 0) and the authors' GA stalls: the population starts
    as random walks back from the class node (each step drawn in proportion to the edge confidence);
    crossover is one-point, cut where the first parent's prefix links to the second parent's suffix; a
    mutated gene is redrawn among the nodes linked to both its path neighbours (half the time uniformly,
    half in proportion to its local fitness); and a share ``immigrants`` of the children are fresh walks.
    """
    layers = _Layers(G)
    combine = _tnorm(tnorm)
    target = layers.class_index(cls)
    k = _check_top_k(top_k)
    population = int(population)
    if population < 4:
        raise ValueError(f"population must be at least 4, not {population}")
    rates = {"mutation": mutation, "crossover": crossover, "elite": elite, "parents": parents, "immigrants": immigrants}
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} must be a rate between 0 and 1, not {rate}")
    rng = np.random.default_rng(seed)
    n_genes = len(layers.nodes) - 1
    n_elite = max(1, round(elite * population))
    n_parents = min(population - 2, max(n_elite + 1, int(parents * population)))
    # Roulette wheel on rank, not on raw fitness: along long paths fitness spans orders of magnitude.
    rank_weights = np.arange(population, 0, -1, dtype=np.float64)
    rank_weights /= rank_weights.sum()

    def score(genes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        conf = np.empty(genes.shape, dtype=np.float64)
        for layer in range(n_genes - 1):
            conf[:, layer] = layers.confidence[layer][genes[:, layer], genes[:, layer + 1]]
        conf[:, -1] = layers.confidence[-1][genes[:, -1], target]
        valid = np.all(conf > 0, axis=1)
        fitness = conf[:, 0]
        for layer in range(1, n_genes):
            fitness = combine(fitness, conf[:, layer])
        return np.where(valid, fitness, 0.0), valid

    pop = layers.random_walks(target, population, rng)
    fit, valid = score(pop)
    best_genes = np.empty((0, n_genes), dtype=np.int64)
    best_fit = np.empty(0)
    best_genes, best_fit = _hall_of_fame(best_genes, best_fit, pop[valid], fit[valid], k)
    stall = 0
    for _ in range(int(generations)):
        order = np.lexsort((-fit, ~valid))  # valid first, then fitter first
        pop, fit, valid = pop[order], fit[order], valid[order]
        picked = rng.choice(population, size=n_parents - n_elite, p=rank_weights)
        parent_idx = np.concatenate([np.arange(n_elite), picked])
        mates = parent_idx[rng.random(len(parent_idx)) < crossover]
        if len(mates) < 2:
            mates = parent_idx
        n_children = population - n_parents
        first = pop[mates[rng.integers(len(mates), size=n_children)]]
        second = pop[mates[rng.integers(len(mates), size=n_children)]]
        children = layers.crossover(first, second, rng)
        children = layers.mutate(children, rng.random((n_children, n_genes)) < mutation, target, combine, rng)
        n_new = round(immigrants * n_children)
        if n_new:
            children[-n_new:] = layers.random_walks(target, n_new, rng)
        child_fit, child_valid = score(children)
        pop = np.concatenate([pop[parent_idx], children])
        fit = np.concatenate([fit[parent_idx], child_fit])
        valid = np.concatenate([valid[parent_idx], child_valid])
        new_genes, new_fit = _hall_of_fame(best_genes, best_fit, children[child_valid], child_fit[child_valid], k)
        improved = len(new_fit) > len(best_fit) or bool(np.any(new_fit > best_fit[: len(new_fit)]))
        best_genes, best_fit = new_genes, new_fit
        stall = 0 if improved else stall + 1
        if stall >= patience:
            break
    return [layers.path(G, list(genes), target, float(f)) for genes, f in zip(best_genes, best_fit)]


def greedy_path(G: nx.DiGraph, cls: Hashable, tnorm: str = "einstein") -> Path:
    """A baseline: walk back from the class node, each time along the most confident incoming edge."""
    layers = _Layers(G)
    target = layers.class_index(cls)
    genes = []
    node = target
    for layer in range(len(layers.nodes) - 2, -1, -1):
        node = int(np.argmax(layers.confidence[layer][:, node]))
        genes.append(node)
    genes.reverse()
    nodes = layers.node_ids(genes, target)
    return layers.path(G, genes, target, path_fitness(G, nodes, tnorm))


def best_paths(
    G: nx.DiGraph,
    tnorm: str = "einstein",
    top_k: int = 3,
    method: SearchMethod = "auto",
    *,
    max_work: int = 200_000_000,
    max_candidates: int = 1_000_000,
    check_ea: bool | None = None,
    seed: int = 0,
    **evolve_options: Any,
) -> PathSearch:
    """The top-k paths for every class node of ``G``.

    ``"exhaustive"`` is exact (the k-best programme); ``"evolve"`` is the genetic algorithm. ``"auto"`` is
    exact unless the programme would score more than ``max_work`` candidate cells per class
    (:func:`exact_search_work`; it never lists the ∏ nodes candidate paths, so this holds for graphs far
    too big to enumerate), else the EA. ``check_ea`` (default: in ``"auto"`` mode when a class has at most
    ``max_candidates`` candidate paths, i.e. where brute force would also be feasible) also runs the EA
    next to the exact search and records the fitness gap per class in ``ea_gap``. ``evolve_options`` go
    to :func:`evolve_paths`.

    Example
    -------
    >>> import numpy as np
    >>> from glassbox_jupyter.twin.flowgraph import flow_graph, information_system
    >>> G = flow_graph(information_system({"fc1": np.array([0, 1, 1])}, np.array([0, 1, 1])))
    >>> search = best_paths(G, top_k=1)
    >>> search.method, search.ea_matches, search.paths[1][0].nodes
    ('exhaustive', True, ('fc1:1', 'class:1'))
    """
    _tnorm(tnorm)
    _check_top_k(top_k)
    if method not in ("auto", "exhaustive", "evolve"):
        raise ValueError(f"method must be 'auto', 'exhaustive' or 'evolve', not {method!r}")
    layers = _Layers(G)
    exact = method == "exhaustive" or (method == "auto" and exact_search_work(G, top_k) <= max_work)
    if check_ea is None:
        check_ea = method == "auto" and exact and candidate_count(G) <= max_candidates
    classes = [G.nodes[node]["cluster"] for node in layers.nodes[-1]]
    found: dict[Hashable, list[Path]] = {}
    evolved: dict[Hashable, list[Path]] = {}
    for cls in classes:
        if exact:
            found[cls] = exhaustive_paths(G, cls, tnorm, top_k)
        if not exact or check_ea:
            evolved[cls] = evolve_paths(G, cls, tnorm, top_k, seed=seed, **evolve_options)
    if not exact:
        return PathSearch(evolved, "evolve", tnorm)
    gaps = None
    if check_ea:
        gaps = {
            cls: (found[cls][0].fitness if found[cls] else 0.0) - (evolved[cls][0].fitness if evolved[cls] else 0.0)
            for cls in classes
        }
    return PathSearch(found, "exhaustive", tnorm, gaps, evolved if check_ea else None)


def exact_search_work(G: nx.DiGraph, top_k: int = 3) -> int:
    """At most how many candidate cells the exact search scores per class: Σ m_layer · k · m_next."""
    sizes = [len(nodes) for nodes in _Layers(G, dense=False).nodes]
    sizes[-1] = 1  # one class at a time
    return sum(a * int(top_k) * b for a, b in itertools.pairwise(sizes))


class _Layers:
    """The flow graph as dense per-layer confidence matrices (0 where an edge is missing)."""

    def __init__(self, G: nx.DiGraph, dense: bool = True) -> None:
        columns = G.graph.get("columns")
        if not columns or len(columns) < 2:
            raise PathSearchError("G is not a flow graph from flow_graph() (it has no 'columns' of at least 2 layers)")
        by_layer: list[list[str]] = [[] for _ in columns]
        for node, attrs in G.nodes(data=True):
            by_layer[attrs["layer_index"]].append(node)
        self.columns = list(columns)
        self.nodes = by_layer
        index = [{node: i for i, node in enumerate(nodes)} for nodes in by_layer]
        self.confidence: list[np.ndarray] = []
        for layer in range(len(columns) - 1 if dense else 0):
            matrix = np.zeros((len(by_layer[layer]), len(by_layer[layer + 1])))
            for i, u in enumerate(by_layer[layer]):
                for v, attrs in G.adj[u].items():
                    matrix[i, index[layer + 1][v]] = attrs["confidence"]
            self.confidence.append(matrix)

    def class_index(self, cls: Hashable) -> int:
        for i, node in enumerate(self.nodes[-1]):
            if node == cls:
                return i
        for i, node in enumerate(self.nodes[-1]):
            if node.split(":", 1)[1] == str(cls):
                return i
        classes = [node.split(":", 1)[1] for node in self.nodes[-1]]
        raise PathSearchError(f"class {cls!r} is not in the flow graph; its classes are {classes}")

    def node_ids(self, genes: list[int], target: int) -> list[str]:
        return [self.nodes[layer][g] for layer, g in enumerate(genes)] + [self.nodes[-1][target]]

    def path(self, G: nx.DiGraph, genes: list[int], target: int, fitness: float) -> Path:
        nodes = self.node_ids([int(g) for g in genes], target)
        coefficients = path_coefficients(G, nodes)
        return Path(tuple(nodes), fitness, cls=G.nodes[nodes[-1]]["cluster"], **coefficients)

    def crossover(self, first: np.ndarray, second: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One-point crossover, cut at a random layer where ``first``'s prefix has an edge to ``second``'s suffix.

        Children of valid parents are valid; where no cut links the two, the child is ``first``.
        """
        n_genes = first.shape[1]
        if n_genes == 1:
            return first.copy()
        linked = np.stack(
            [self.confidence[c - 1][first[:, c - 1], second[:, c]] > 0 for c in range(1, n_genes)], axis=1
        )  # [n, n_genes - 1]: cut before gene c keeps first[:c] and takes second[c:]
        cut = (linked * rng.random(linked.shape)).argmax(axis=1) + 1
        take_second = (np.arange(n_genes)[None, :] >= cut[:, None]) & np.any(linked, axis=1)[:, None]
        return np.where(take_second, second, first)

    def mutate(
        self,
        genes: np.ndarray,
        where: np.ndarray,
        target: int,
        combine: Callable[[Any, Any], np.ndarray],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Redraw the genes marked in ``where``, each among the nodes linked to both its path neighbours."""
        genes = genes.copy()
        n_genes = genes.shape[1]
        for layer in range(n_genes):
            rows = np.flatnonzero(where[:, layer])
            if len(rows) == 0:
                continue
            nxt = genes[rows, layer + 1] if layer + 1 < n_genes else np.full(len(rows), target)
            local = self.confidence[layer][:, nxt].T  # [rows, m_layer]: confidence of the edge to the next gene
            if layer > 0:
                local = combine(self.confidence[layer - 1][genes[rows, layer - 1]], local)  # and from the previous
                local = np.where(self.confidence[layer - 1][genes[rows, layer - 1]] > 0, local, 0.0)
            allowed = local > 0
            none = ~allowed.any(axis=1)
            allowed[none] = True  # no node fits both neighbours: any node
            weights = np.where(rng.random(len(rows))[:, None] < 0.5, allowed, local * allowed)
            weights[none] = 1.0
            genes[rows, layer] = _draw(weights, rng)
        return genes

    def random_walks(self, target: int, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` paths drawn backwards from the class node, each step in proportion to the edge confidence."""
        n_genes = len(self.nodes) - 1
        genes = np.empty((count, n_genes), dtype=np.int64)
        current = np.full(count, target)
        for layer in range(n_genes - 1, -1, -1):
            genes[:, layer] = _draw(self.confidence[layer][:, current].T, rng)
            current = genes[:, layer]
        return genes


def _draw(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One column index per row of ``weights`` (non-negative, each row with a positive entry), in proportion."""
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cdf[:, -1]
    return np.minimum((cdf <= u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _hall_of_fame(
    genes: np.ndarray, fitness: np.ndarray, new_genes: np.ndarray, new_fitness: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` distinct gene rows among the old hall of fame and the new valid individuals."""
    if len(new_genes) == 0:
        return genes, fitness
    all_genes = np.concatenate([genes, new_genes])
    all_fitness = np.concatenate([fitness, new_fitness])
    unique, first = np.unique(all_genes, axis=0, return_index=True)
    unique_fitness = all_fitness[first]
    order = np.lexsort((*unique.T[::-1], -unique_fitness))[:k]  # fitter first; ties: lower node indices
    return unique[order], unique_fitness[order]


def _tnorm(name: str) -> Callable[[Any, Any], np.ndarray]:
    if name not in TNORMS:
        raise PathSearchError(f"unknown t-norm {name!r}; choose one of {', '.join(TNORMS)}")
    return TNORMS[name]


def _check_top_k(top_k: int) -> int:
    if int(top_k) < 1:
        raise ValueError(f"top_k must be at least 1, not {top_k}")
    return int(top_k)

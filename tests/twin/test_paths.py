"""T-norm path fitness, the exact k-best search and the evolutionary search."""

from __future__ import annotations

import itertools
from fractions import Fraction as F

import networkx as nx
import numpy as np
import pytest

from glassbox_jupyter.twin.flowgraph import flow_graph, information_system, path_coefficients
from glassbox_jupyter.twin.paths import (
    TNORMS,
    Path,
    PathSearchError,
    best_paths,
    candidate_count,
    evolve_paths,
    exact_search_work,
    exhaustive_paths,
    fold_tnorm,
    greedy_path,
    path_fitness,
)

# The hand-computed SIS of test_flowgraph.py; its edge confidences are
#   A:0→B:0 2/3, A:0→B:1 2/5, A:0→B:2 2/9, A:1→B:1 1/2, A:1→B:2 4/7,
#   B:0→class:0 4/7, B:0→class:1 2/9, B:1→class:1 4/5, B:2→class:0 4/7, B:2→class:1 2/9.
HAND = {
    "A": np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]),
    "B": np.array([0, 0, 0, 1, 1, 2, 1, 1, 2, 2]),
}
HAND_CLASS = np.array([0, 0, 1, 1, 1, 0, 1, 1, 0, 1])


def einstein(a: F, b: F) -> F:
    return a * b / (2 - (a + b - a * b))


@pytest.fixture(scope="module")
def hand_graph() -> nx.DiGraph:
    return flow_graph(information_system(HAND, HAND_CLASS))


def structured_graph(n_layers: int, n_clusters: int, n_classes: int, n: int, seed: int) -> nx.DiGraph:
    """A flow graph of random cluster labels that follow the class through the layers, with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    labels = {}
    previous = y
    for layer in range(n_layers):
        shift = rng.integers(n_clusters, size=n_classes + n_clusters)
        follow = (previous * 3 + shift[previous]) % n_clusters
        noisy = rng.random(n) < 0.35
        current = np.where(noisy, rng.integers(n_clusters, size=n), follow)
        labels[f"layer{layer}"] = current
        previous = current
    return flow_graph(information_system(labels, y))


def brute_force(G: nx.DiGraph, cls, tnorm: str) -> list[tuple[float, tuple[str, ...]]]:
    """Every valid path to ``cls`` with its fitness, best first."""
    columns = G.graph["columns"]
    layers = [[n for n, a in G.nodes(data=True) if a["layer"] == column] for column in columns[:-1]]
    end = f"{columns[-1]}:{cls}"
    scored = []
    for combo in itertools.product(*layers):
        nodes = (*combo, end)
        if all(G.has_edge(u, v) for u, v in itertools.pairwise(nodes)):
            scored.append((path_fitness(G, nodes, tnorm), nodes))
    return sorted(scored, key=lambda item: -item[0])


# ---- t-norms --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # a = 0.6, b = 0.7: ab = 0.42, a + b − ab = 0.88
        (0.6, 0.7, {"einstein": 0.42 / 1.12, "minimum": 0.6, "product": 0.42, "lukasiewicz": 0.3,
                    "nilpotent_minimum": 0.6, "drastic": 0.0}),
        # a = 0.3, b = 0.5: a + b = 0.8 ≤ 1, so Łukasiewicz and the nilpotent minimum give 0
        (0.3, 0.5, {"einstein": 0.15 / 1.35, "minimum": 0.3, "product": 0.15, "lukasiewicz": 0.0,
                    "nilpotent_minimum": 0.0, "drastic": 0.0}),
        # a + b = 1 exactly: the nilpotent minimum needs a + b > 1
        (0.5, 0.5, {"einstein": 0.25 / 1.25, "minimum": 0.5, "product": 0.25, "lukasiewicz": 0.0,
                    "nilpotent_minimum": 0.0, "drastic": 0.0}),
        # 1 is every t-norm's identity (the drastic t-norm is non-zero only there)
        (1.0, 0.4, {"einstein": 0.4, "minimum": 0.4, "product": 0.4, "lukasiewicz": 0.4,
                    "nilpotent_minimum": 0.4, "drastic": 0.4}),
        (0.9, 0.0, dict.fromkeys(["einstein", "minimum", "product", "lukasiewicz", "nilpotent_minimum",
                                  "drastic"], 0.0)),
    ],
)  # fmt: skip
def test_tnorm_values(a, b, expected):
    assert set(TNORMS) == set(expected)
    for name, value in expected.items():
        assert float(TNORMS[name](np.float64(a), np.float64(b))) == pytest.approx(value, abs=1e-12), name


def test_einstein_matches_its_formula_on_fractions():
    for a, b in [(F(2, 3), F(4, 7)), (F(1, 2), F(4, 5)), (F(2, 9), F(2, 9))]:
        assert float(TNORMS["einstein"](float(a), float(b))) == pytest.approx(float(einstein(a, b)), abs=1e-15)


@pytest.mark.parametrize("name", sorted(TNORMS))
def test_tnorm_axioms_on_a_grid(name):
    grid = np.linspace(0, 1, 21)
    a, b = np.meshgrid(grid, grid)
    t = TNORMS[name](a, b)
    assert t.shape == a.shape  # vectorised
    assert np.allclose(t, TNORMS[name](b, a))  # commutative
    assert np.allclose(TNORMS[name](grid, np.ones_like(grid)), grid)  # identity 1
    assert np.allclose(TNORMS[name](grid, np.zeros_like(grid)), 0)  # absorbing 0
    assert (t <= np.minimum(a, b) + 1e-12).all()  # the minimum is the largest t-norm
    assert (np.diff(t, axis=1) >= -1e-12).all() and (np.diff(t, axis=0) >= -1e-12).all()  # monotone


def test_fold_over_a_path():
    confidences = [0.6, 0.7, 0.5]
    # Einstein: T(0.6, 0.7) = 0.375, T(0.375, 0.5) = 0.1875 / (2 − 0.6875) = 1/7
    assert fold_tnorm(confidences, "einstein") == pytest.approx(1 / 7)
    assert fold_tnorm(confidences, "product") == pytest.approx(0.21)
    assert fold_tnorm(confidences, "minimum") == pytest.approx(0.5)
    assert fold_tnorm(confidences, "lukasiewicz") == pytest.approx(0.0)  # 0.6 + 0.7 − 1 = 0.3; 0.3 + 0.5 − 1 < 0
    assert fold_tnorm(confidences, "nilpotent_minimum") == pytest.approx(0.5)  # min(0.6, 0.7), then 0.6 + 0.5 > 1
    assert fold_tnorm(confidences, "drastic") == 0.0
    rows = fold_tnorm(np.array([[0.6, 0.7, 0.5], [1.0, 1.0, 0.3]]), "product")  # one fitness per row
    assert rows == pytest.approx([0.21, 0.3])


def test_path_fitness_on_the_hand_graph(hand_graph):
    # A:0 → B:0 → class:0: T(2/3, 4/7) = (8/21) / (2 − 6/7) = 1/3
    assert path_fitness(hand_graph, ["A:0", "B:0", "class:0"]) == pytest.approx(1 / 3)
    # A:1 → B:1 → class:1: T(1/2, 4/5) = (2/5) / (11/10) = 4/11
    assert path_fitness(hand_graph, ["A:1", "B:1", "class:1"]) == pytest.approx(4 / 11)
    assert path_fitness(hand_graph, ["A:1", "B:1", "class:1"], "minimum") == pytest.approx(1 / 2)
    assert path_fitness(hand_graph, ["A:1", "B:1", "class:1"], "product") == pytest.approx(2 / 5)


@pytest.mark.parametrize("name", sorted(TNORMS))
def test_a_missing_edge_gives_fitness_zero(hand_graph, name):
    assert path_fitness(hand_graph, ["A:1", "B:0", "class:0"], name) == 0.0  # A:1 → B:0 is missing
    assert path_fitness(hand_graph, ["A:0", "B:1", "class:0"], name) == 0.0  # B:1 → class:0 is missing


# ---- exact search ---------------------------------------------------------------------------------------------


def test_exhaustive_on_the_hand_graph(hand_graph):
    class0 = exhaustive_paths(hand_graph, 0, "einstein", top_k=5)
    # Only three valid paths end at class:0: A:0-B:0 (1/3), A:1-B:2 (T(4/7, 4/7) = 8/29), A:0-B:2 (2/21).
    assert [p.nodes for p in class0] == [
        ("A:0", "B:0", "class:0"),
        ("A:1", "B:2", "class:0"),
        ("A:0", "B:2", "class:0"),
    ]
    assert [p.fitness for p in class0] == pytest.approx([1 / 3, 8 / 29, 2 / 21])
    first = class0[0]
    assert (first.certainty, first.coverage, first.strength) == pytest.approx((1 / 3, 1 / 2, 1 / 5))
    assert first.cls == 0
    class1 = exhaustive_paths(hand_graph, 1, "einstein", top_k=3)
    # A:1-B:1 (4/11), A:0-B:1 (T(2/5, 4/5) = 2/7), A:0-B:0 (T(2/3, 2/9) = 2/17)
    assert [p.nodes[:2] for p in class1] == [("A:1", "B:1"), ("A:0", "B:1"), ("A:0", "B:0")]
    assert [p.fitness for p in class1] == pytest.approx([4 / 11, 2 / 7, 2 / 17])
    assert exhaustive_paths(hand_graph, "class:1", top_k=1)[0].nodes == class1[0].nodes  # node id accepted too


@pytest.mark.parametrize("name", sorted(TNORMS))
def test_exhaustive_matches_brute_force(name):
    G = structured_graph(n_layers=3, n_clusters=6, n_classes=3, n=600, seed=1)
    for cls in range(3):
        truth = brute_force(G, cls, name)
        found = exhaustive_paths(G, cls, name, top_k=5)
        assert [p.fitness for p in found] == pytest.approx([f for f, _ in truth[:5]], abs=1e-12)
        for path in found:  # every returned path is valid and scored correctly
            assert path.fitness == pytest.approx(path_fitness(G, path.nodes, name), abs=1e-12)
        if name in ("einstein", "product"):  # no ties: the same paths in the same order
            assert [p.nodes for p in found] == [nodes for _, nodes in truth[:5]]


# ---- evolutionary search --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["einstein", "product", "minimum"])
def test_ea_reaches_the_exhaustive_optimum(name):
    G = structured_graph(n_layers=4, n_clusters=8, n_classes=5, n=3000, seed=7)
    assert candidate_count(G) == 8**4
    for cls in range(5):
        exact = exhaustive_paths(G, cls, name, top_k=1)[0]
        if name == "einstein":  # the exact search is the enumerated optimum (checked on smaller graphs above too)
            assert exact.fitness == pytest.approx(brute_force(G, cls, name)[0][0], abs=1e-12)
        evolved = evolve_paths(G, cls, name, top_k=3, seed=cls)
        assert evolved[0].fitness == pytest.approx(exact.fitness, abs=1e-12), (name, cls)
        if name != "minimum":  # the minimum ties many paths at the same bottleneck edge
            assert evolved[0].nodes == exact.nodes
        assert [p.fitness for p in evolved] == sorted((p.fitness for p in evolved), reverse=True)
        assert len({p.nodes for p in evolved}) == 3  # distinct paths


def test_ea_on_a_graph_too_big_to_enumerate():
    G = structured_graph(n_layers=10, n_clusters=20, n_classes=4, n=4000, seed=3)
    assert candidate_count(G) > 10**12
    for cls in range(4):
        greedy = greedy_path(G, cls)
        evolved = evolve_paths(G, cls, "einstein", top_k=3, seed=0)
        assert len(evolved) == 3
        for path in evolved:
            assert len(path.nodes) == 11 and path.nodes[-1] == f"class:{cls}"
            path_coefficients(G, path.nodes)  # raises on a missing edge or skipped layer
            assert path.fitness == pytest.approx(path_fitness(G, path.nodes), abs=1e-12)
        assert evolved[0].fitness >= greedy.fitness
        assert evolved[0].fitness <= exhaustive_paths(G, cls, top_k=1)[0].fitness + 1e-12  # exact bound


def test_ea_is_reproducible_with_a_seed():
    G = structured_graph(n_layers=4, n_clusters=8, n_classes=3, n=1000, seed=2)
    first = evolve_paths(G, 1, top_k=3, seed=5, generations=50)
    again = evolve_paths(G, 1, top_k=3, seed=5, generations=50)
    assert first == again


# ---- best_paths -----------------------------------------------------------------------------------------------


def test_best_paths_small_graph_is_exact_and_checks_the_ea():
    G = structured_graph(n_layers=3, n_clusters=6, n_classes=3, n=600, seed=4)
    search = best_paths(G, "einstein", top_k=2)
    assert search.method == "exhaustive" and search.tnorm == "einstein"
    assert set(search.paths) == {0, 1, 2}
    for cls, paths in search.paths.items():
        assert [p.nodes for p in paths] == [p.nodes for p in exhaustive_paths(G, cls, top_k=2)]
        assert all(isinstance(p, Path) and p.cls == cls for p in paths)
    assert set(search.ea_gap) == {0, 1, 2} and all(gap >= -1e-12 for gap in search.ea_gap.values())
    assert search.ea_matches is True


def test_best_paths_big_graph_stays_exact_without_the_ea_check():
    G = structured_graph(n_layers=8, n_clusters=10, n_classes=3, n=2000, seed=5)
    assert candidate_count(G) == 10**8  # too many to enumerate, yet the k-best programme is cheap
    search = best_paths(G, "product", top_k=2)
    assert search.method == "exhaustive" and search.ea_gap is None and search.ea_matches is None
    for cls in range(3):
        assert [p.nodes for p in search.paths[cls]] == [p.nodes for p in exhaustive_paths(G, cls, "product", 2)]


def test_best_paths_falls_back_to_the_ea_when_the_exact_search_is_too_big():
    G = structured_graph(n_layers=8, n_clusters=10, n_classes=3, n=2000, seed=5)
    assert exact_search_work(G, top_k=1) == 7 * 10 * 1 * 10 + 10 * 1 * 1  # seven 10×10 steps, then the class
    search = best_paths(G, "product", top_k=1, max_work=100, generations=300)
    assert search.method == "evolve" and search.ea_gap is None
    assert set(search.paths) == {0, 1, 2}
    exact = best_paths(G, "product", top_k=1, method="exhaustive")
    for cls in range(3):
        assert search.paths[cls][0].fitness <= exact.paths[cls][0].fitness + 1e-12
    forced = best_paths(G, "product", top_k=1, method="evolve", generations=20)
    assert forced.method == "evolve"


def test_path_to_dict(hand_graph):
    path = exhaustive_paths(hand_graph, 0, top_k=1)[0]
    assert path.to_dict()["nodes"] == ["A:0", "B:0", "class:0"] and path.to_dict()["class"] == 0


def test_bad_search_input(hand_graph):
    with pytest.raises(PathSearchError, match="unknown t-norm 'hamacher'; choose one of einstein"):
        best_paths(hand_graph, "hamacher")
    with pytest.raises(PathSearchError, match=r"class 7 is not in the flow graph; its classes are \['0', '1'\]"):
        exhaustive_paths(hand_graph, 7)
    with pytest.raises(PathSearchError, match="not a flow graph"):
        exhaustive_paths(nx.DiGraph([("a", "b")]), 0)
    with pytest.raises(ValueError, match="top_k"):
        exhaustive_paths(hand_graph, 0, top_k=0)
    with pytest.raises(ValueError, match="mutation"):
        evolve_paths(hand_graph, 0, mutation=1.5)
    with pytest.raises(ValueError, match="method"):
        best_paths(hand_graph, method="beam")

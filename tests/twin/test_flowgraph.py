"""The sequential information system and Pawlak's flow graph, checked number by number on a hand-made SIS."""

from __future__ import annotations

from fractions import Fraction as F

import networkx as nx
import numpy as np
import pytest

from glassbox_jupyter.twin.flowgraph import (
    FlowGraphError,
    PathError,
    flow_graph,
    information_system,
    node_id,
    path_coefficients,
    path_support,
)

# Ten samples, two layers and the predicted class (the row number is the sample):
#
#   sample  0  1  2  3  4  5  6  7  8  9
#   A       0  0  0  0  0  0  1  1  1  1     |A:0| = 6, |A:1| = 4
#   B       0  0  0  1  1  2  1  1  2  2     |B:0| = 3, |B:1| = 4, |B:2| = 3
#   class   0  0  1  1  1  0  1  1  0  1     |class:0| = 4, |class:1| = 6
A = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
B = np.array([0, 0, 0, 1, 1, 2, 1, 1, 2, 2])
CLASS = np.array([0, 0, 1, 1, 1, 0, 1, 1, 0, 1])
TRUE = np.array([0, 1, 1, 1, 1, 0, 1, 0, 0, 1])
N = 10

NODES = {  # node: support
    "A:0": 6,
    "A:1": 4,
    "B:0": 3,
    "B:1": 4,
    "B:2": 3,
    "class:0": 4,
    "class:1": 6,
}

# Edge (u, v): count s, strength s/N, certainty s/|u|, covering s/|v|, confidence 2·cer·cov/(cer + cov).
EDGES = {
    # A → B. A:1 → B:0 never happens (no edge).
    ("A:0", "B:0"): (3, F(3, 10), F(3, 6), F(3, 3), F(2, 3)),  # 2·(1/2)·1/(3/2) = 2/3
    ("A:0", "B:1"): (2, F(2, 10), F(2, 6), F(2, 4), F(2, 5)),  # 2·(1/6)/(5/6) = 2/5
    ("A:0", "B:2"): (1, F(1, 10), F(1, 6), F(1, 3), F(2, 9)),  # 2·(1/18)/(1/2) = 2/9
    ("A:1", "B:1"): (2, F(2, 10), F(2, 4), F(2, 4), F(1, 2)),  # cer = cov = 1/2
    ("A:1", "B:2"): (2, F(2, 10), F(2, 4), F(2, 3), F(4, 7)),  # 2·(1/3)/(7/6) = 4/7
    # B → class. B:1 → class:0 never happens (no edge).
    ("B:0", "class:0"): (2, F(2, 10), F(2, 3), F(2, 4), F(4, 7)),  # 2·(1/3)/(7/6) = 4/7
    ("B:0", "class:1"): (1, F(1, 10), F(1, 3), F(1, 6), F(2, 9)),  # 2·(1/18)/(1/2) = 2/9
    ("B:1", "class:1"): (4, F(4, 10), F(4, 4), F(4, 6), F(4, 5)),  # 2·(2/3)/(5/3) = 4/5
    ("B:2", "class:0"): (2, F(2, 10), F(2, 3), F(2, 4), F(4, 7)),
    ("B:2", "class:1"): (1, F(1, 10), F(1, 3), F(1, 6), F(2, 9)),
}


def exact(value: float, fraction: F) -> bool:
    """``value`` is the float of ``fraction`` and reads back as that exact fraction."""
    return value == pytest.approx(float(fraction), abs=1e-12) and F(value).limit_denominator(1000) == fraction


@pytest.fixture()
def sis():
    return information_system({"A": A, "B": B}, CLASS, true=TRUE)


@pytest.fixture()
def graph(sis):
    return flow_graph(sis)


def test_information_system_columns_follow_the_layer_order(sis):
    assert list(sis.columns) == ["A", "B", "class", "true"]
    assert sis["B"].tolist() == B.tolist() and sis["class"].tolist() == CLASS.tolist()
    assert sis.attrs["layers"] == ["A", "B"]
    reordered = information_system({"B": B, "A": A}, CLASS)
    assert list(reordered.columns) == ["B", "A", "class"]


def test_every_node_count_and_share(graph):
    assert set(graph.nodes) == set(NODES)
    for node, support in NODES.items():
        attrs = graph.nodes[node]
        assert attrs["support"] == support
        assert exact(attrs["share"], F(support, N))
        column, value = node.split(":")
        assert attrs["layer"] == column and attrs["cluster"] == int(value)
        assert attrs["layer_index"] == ["A", "B", "class"].index(column)
    assert graph.graph["columns"] == ["A", "B", "class"] and graph.graph["n_samples"] == N


def test_every_edge_coefficient(graph):
    assert set(graph.edges) == set(EDGES)  # A:1→B:0 and B:1→class:0 are absent; no edge skips a layer
    for (u, v), (count, strength, certainty, covering, confidence) in EDGES.items():
        edge = graph.edges[u, v]
        assert edge["count"] == count
        assert exact(edge["strength"], strength), (u, v)
        assert exact(edge["certainty"], certainty), (u, v)
        assert exact(edge["covering"], covering), (u, v)
        assert exact(edge["confidence"], confidence), (u, v)


def test_flow_is_conserved(graph):
    # Pawlak: a node's share equals its total inflow and its total outflow.
    for node in graph:
        inflow = sum(graph.edges[e]["strength"] for e in graph.in_edges(node))
        outflow = sum(graph.edges[e]["strength"] for e in graph.out_edges(node))
        share = graph.nodes[node]["share"]
        assert inflow == pytest.approx(share) or not graph.in_edges(node)
        assert outflow == pytest.approx(share) or not graph.out_edges(node)


def test_true_labels_are_not_part_of_the_graph(sis, graph):
    assert not any(node.startswith("true:") for node in graph)
    with_truth = flow_graph(sis, columns=["A", "B", "true"])  # asked for explicitly, it is a column like any other
    assert "true:0" in with_truth and "class:0" not in with_truth


@pytest.mark.parametrize(
    ("path", "certainty", "coverage", "strength", "end_share", "observed"),
    [
        # cer = 1/2·2/3 = 1/3; cov = 1·1/2 = 1/2; σ = σ(A:0)·cer = 6/10·1/3 = 1/5 = σ(class:0)·cov = 4/10·1/2
        (["A:0", "B:0", "class:0"], F(1, 3), F(1, 2), F(1, 5), F(4, 10), 2),
        # cer = 1/2·2/3 = 1/3; cov = 2/3·1/2 = 1/3; σ = 4/10·1/3 = 2/15 = σ(class:0)·cov = 4/10·1/3.
        # Only sample 8 really follows it (1/10): Pawlak's strength is a flow estimate, not a count.
        (["A:1", "B:2", "class:0"], F(1, 3), F(1, 3), F(2, 15), F(4, 10), 1),
        # cer = 1/3·1 = 1/3; cov = 1/2·2/3 = 1/3; σ = 6/10·1/3 = 1/5 = σ(class:1)·cov = 6/10·1/3
        (["A:0", "B:1", "class:1"], F(1, 3), F(1, 3), F(1, 5), F(6, 10), 2),
        # one edge: cer = 1/2, cov = 1/2, σ = 4/10·1/2 = 1/5 = the edge's strength
        (["A:1", "B:1"], F(1, 2), F(1, 2), F(1, 5), F(4, 10), 2),
    ],
)
def test_path_coefficients_follow_pawlak(graph, sis, path, certainty, coverage, strength, end_share, observed):
    coefficients = path_coefficients(graph, path)
    assert exact(coefficients["certainty"], certainty)
    assert exact(coefficients["coverage"], coverage)
    assert exact(coefficients["strength"], strength)
    # σ(x…y) = σ(x)·cer(x…y) = σ(y)·cov(x…y)
    assert exact(graph.nodes[path[-1]]["share"] * coefficients["coverage"], strength)
    assert exact(graph.nodes[path[-1]]["share"], end_share)
    assert path_support(graph, sis, path) == observed


def test_single_node_path(graph):
    assert path_coefficients(graph, ["B:1"]) == {"certainty": 1.0, "coverage": 1.0, "strength": 0.4}


def test_missing_edge_is_a_clear_error(graph):
    with pytest.raises(PathError, match=r"no sample goes from 'A:1' to 'B:0'"):
        path_coefficients(graph, ["A:1", "B:0", "class:0"])


def test_path_must_visit_consecutive_layers(graph):
    with pytest.raises(PathError, match="consecutive layers"):
        path_coefficients(graph, ["A:0", "class:0"])
    with pytest.raises(PathError, match="consecutive layers"):
        path_coefficients(graph, ["B:0", "A:0"])


def test_unknown_node_is_a_clear_error(graph):
    with pytest.raises(PathError, match=r"node 'B:7' is not in the flow graph; node ids look like"):
        path_coefficients(graph, ["A:0", "B:7"])
    with pytest.raises(PathError, match="empty"):
        path_coefficients(graph, [])


def test_class_names_label_the_class_nodes():
    sis = information_system({"fc": np.array([0, 1, 1])}, np.array([0, 1, 1]), class_names=["cat", "dog"])
    graph = flow_graph(sis)
    assert sis["class"].tolist() == ["cat", "dog", "dog"]
    assert set(graph.nodes) == {"fc:0", "fc:1", "class:cat", "class:dog"}
    assert graph.nodes["class:dog"]["support"] == 2 and graph.nodes["class:dog"]["cluster"] == "dog"
    assert node_id("class", "dog") == "class:dog" and node_id("fc", np.int64(1)) == "fc:1"


def test_node_labels_are_kept():
    sis = information_system({"conv": np.array([0, 1, 1])}, np.array([0, 1, 1]))
    graph = flow_graph(sis, node_labels={"conv": {0: (2, 0), 1: (1, 3)}})
    assert graph.nodes["conv:1"]["label"] == (1, 3) and "label" not in graph.nodes["class:1"]


def test_torch_predictions_are_accepted():
    import torch

    sis = information_system({"fc": np.array([0, 1])}, torch.tensor([1, 0]))
    assert sis["class"].tolist() == [1, 0]


def test_returns_a_networkx_digraph(graph):
    assert isinstance(graph, nx.DiGraph) and nx.is_directed_acyclic_graph(graph)


@pytest.mark.parametrize(
    ("labels", "predicted", "kwargs", "message"),
    [
        ({"A": A[:9]}, CLASS, {}, "has 9 cluster ids but there are 10 predictions"),
        ({"A": A}, np.eye(10), {}, r"one class per sample .*argmax"),
        ({"class": A}, CLASS, {}, "reserved"),
        ({"A": A.reshape(5, 2)}, CLASS, {}, "1-D"),
        ({}, CLASS, {}, "no layer labels"),
        ({"A": A}, CLASS, {"class_names": ["only one"]}, r"class ids 0\.\.0"),
        ({"A": A}, CLASS, {"true": TRUE[:3]}, "true has 3 labels"),
    ],
)
def test_bad_information_system_input(labels, predicted, kwargs, message):
    with pytest.raises(FlowGraphError, match=message):
        information_system(labels, predicted, **kwargs)


def test_bad_flow_graph_columns(sis):
    with pytest.raises(FlowGraphError, match=r"not in the information system"):
        flow_graph(sis, columns=["A", "nope"])
    with pytest.raises(FlowGraphError, match="at least two columns"):
        flow_graph(sis, columns=["A"])
    with pytest.raises(FlowGraphError, match="repeat"):
        flow_graph(sis, columns=["A", "A"])
    with pytest.raises(FlowGraphError, match="no rows"):
        flow_graph(sis.iloc[:0])

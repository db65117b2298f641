"""readable_twin end to end on the shipped digits CNN: the finding contract, routing, paths, bad input."""

import warnings

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.testing import check_finding
from glassbox_jupyter.twin.build import TwinInputError, readable_twin
from glassbox_jupyter.twin.flowgraph import PathError, flow_graph, path_coefficients
from glassbox_jupyter.twin.paths import exhaustive_paths


@pytest.fixture(scope="module")
def digits():
    teacher = glassbox.demos.load("digits_cnn")
    X, y = glassbox.demos.load_digits_split("all")
    return teacher, X, y


@pytest.fixture(scope="module")
def twin(digits):
    teacher, X, y = digits
    return readable_twin(teacher, X, layers="conv1,conv2,fc1", n_clusters=10, y=y)


def test_the_twin_is_a_finding_with_held_out_fidelity(twin):
    first_best = twin.paths[twin.class_names[0]][0]
    check_finding(twin, selection=list(first_best.nodes[:2]))
    assert twin.fidelity.split == "held-out" and twin.fidelity.n == 449
    # measured 0.991; fc1 needs at least as many clusters as classes (8 clusters give 0.78: a cluster per class)
    assert twin.fidelity.value >= 0.95


def test_information_system_and_graph_describe_the_samples(twin, digits):
    _, X, _y = digits
    sis = twin.sis
    assert list(sis.columns) == ["conv1", "conv2", "fc1", "class", "true"]
    assert len(sis) == len(X) - 449
    G = twin.flow_graph
    assert "true" not in G.graph["columns"]
    rebuilt = flow_graph(sis)  # the finding's graph is exactly the SIS's flow graph
    assert sorted(rebuilt.edges(data="count")) == sorted(G.edges(data="count"))
    for layer in ("conv1", "conv2", "fc1"):
        assert sum(d["support"] for _, d in G.nodes(data=True) if d["layer"] == layer) == len(sis)
    # the predicted-class column is the model's argmax on those rows
    teacher = glassbox.demos.load("digits_cnn")
    rows = twin._parts.fit_rows
    assert (sis["class"].astype(int).to_numpy() == teacher(X[rows]).argmax(1)).all()


def test_best_paths_are_the_exact_optimum_and_carry_pawlak_coefficients(twin):
    for name, paths in twin.paths.items():
        exact = exhaustive_paths(twin.flow_graph, name, "einstein", top_k=1)[0]
        assert paths[0].fitness == pytest.approx(exact.fitness)
        coefficients = path_coefficients(twin.flow_graph, paths[0].nodes)
        assert paths[0].certainty == pytest.approx(coefficients["certainty"])
        assert paths[0].nodes[-1] == f"class:{name}"
    assert twin.path_search.ea_matches is True  # the EA was checked against the optimum and reached it


def test_predict_and_explain_route_inputs_through_clusters(twin, digits):
    teacher, X, _ = digits
    held = twin._parts.held_rows
    predicted = twin.predict(X[held])
    agreement = float(np.mean(predicted.astype(int) == teacher(X[held]).argmax(1)))
    assert agreement == pytest.approx(twin.fidelity.value)
    explained = twin.explain(X[held[0]])
    assert explained["path"][-1] == f"class:{explained['class']}" and len(explained["path"]) == 4
    assert explained["class"] == predicted[0]
    assert explained["coefficients"]["certainty"] == pytest.approx(
        np.prod([e["certainty"] for e in explained["edges"]])
    )
    torch_in = twin.predict(torch.as_tensor(X[held[:5]]))
    assert (torch_in == predicted[:5]).all()


def test_select_path_sets_the_selection_and_refuses_a_broken_path(twin):
    best = twin.paths["7"][0].nodes
    stats = twin.select_path(list(best))
    assert twin.selected_path == list(best) and stats["complete"]
    assert stats["strength"] == pytest.approx(twin.flow_graph.nodes[best[0]]["share"] * stats["certainty"])
    assert twin.selection == list(best) and twin.selection_details() == {"path_stats": stats}
    partial = twin.select_path(list(best[1:3]))
    assert not partial["complete"]
    with pytest.raises(PathError, match="a path must visit consecutive layers left to right") as refused:
        twin.select_path([best[0], best[2]])  # skips a layer
    assert isinstance(refused.value, SelectionError)
    assert f"{best[0]!r} (layer 'conv1') can be followed by a node of layer 'conv2'" in str(refused.value)
    assert twin.selected_path == list(best[1:3])  # a refused path leaves the selection as it was
    twin.select_path([])
    assert twin.selected_path == [] and twin.selected_stats is None


def test_a_click_in_the_flow_graph_explorer_selects_the_path(twin):
    best = list(twin.paths["7"][0].nodes)
    view, other = twin.widget(), twin.widget()
    try:
        reply = view.request_selection(best)  # what four clicks in the browser ask for
        assert reply == {"id": view._request["id"], "error": None}
        assert twin.selected_path == best and view.selected_path == other.selected_path == tuple(best)
        stats = view._selection["details"]["path_stats"]
        assert stats == {**path_coefficients(twin.flow_graph, best), "complete": True}
        assert other._selection == view._selection
        refused = view.request_selection([best[0], best[2]])
        assert "consecutive layers" in refused["error"] and view._selection["value"] == best
        twin.select_path([])  # a change made in Python reaches every view
        assert view._selection == other._selection == {"value": [], "details": {"path_stats": None}}
    finally:
        view.close()
        other.close()


def test_per_filter_nodes_are_tuples_of_filter_clusters(digits):
    teacher, X, _ = digits
    twin = readable_twin(teacher, X[:600], layers=["conv1", "fc1"], n_clusters=3, conv="per_filter")
    labels = [d.get("label") for _, d in twin.flow_graph.nodes(data=True) if d["layer"] == "conv1"]
    assert labels and all(isinstance(label, tuple) and len(label) == 4 for label in labels)


def test_bad_input_is_explained(digits):
    teacher, X, _ = digits
    with pytest.raises(Exception, match="conv9") as info:
        readable_twin(teacher, X, layers="conv9")
    assert "conv1" in str(info.value)  # lists the available names
    with pytest.raises(TwinInputError, match="more samples or fewer clusters"):
        readable_twin(teacher, X[:5], layers="fc1", n_clusters=10)
    with pytest.raises(TwinInputError, match=r"\(1, 8, 8\)"):
        readable_twin(teacher, np.zeros((50, 1, 5, 5), dtype=np.float32), layers="fc1")
    with pytest.raises(TwinInputError, match="nn.Module"):
        readable_twin(lambda x: x, X, layers="fc1")
    with pytest.raises(TwinInputError, match="conv must be"):
        readable_twin(teacher, X, layers="fc1", conv="sideways")


def test_a_constant_layer_is_a_clear_error():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.fill_(1.0)
    X = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    with pytest.raises(Exception, match="constant"):
        readable_twin(model, X, layers=["0"], n_clusters=3)


def test_skip_connections_warn_that_the_given_order_is_followed():
    class Residual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(4, 4)
            self.b = torch.nn.Linear(4, 4)
            self.head = torch.nn.Linear(4, 2)

        def forward(self, x):
            h = torch.relu(self.a(x))
            return self.head(h + torch.relu(self.b(h)))

    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(80, 4)).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        readable_twin(Residual(), X, layers=["b", "a"], n_clusters=3)
    assert any("order" in str(w.message) for w in caught)


def test_clusters_can_be_set_per_layer(digits):
    teacher, X, _ = digits
    twin = readable_twin(teacher, X[:600], layers=["conv1", "fc1"], n_clusters={"conv1": 3, "fc1": 9})
    nodes = twin.flow_graph.nodes(data=True)
    counts = {layer: sum(1 for _, d in nodes if d["layer"] == layer) for layer in twin.layers}
    assert counts == {"conv1": 3, "fc1": 9}
    with pytest.raises(TwinInputError, match="fc1"):
        readable_twin(teacher, X[:600], layers=["conv1", "fc1"], n_clusters={"conv1": 3})

import networkx as nx
import numpy as np
import pytest
import torch

from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.neurons.build import neuron_graph
from glassbox_jupyter.neurons.errors import DegenerateActivationsError, NeuronSelectionError
from glassbox_jupyter.testing import check_finding
from glassbox_jupyter.widgets.svg import chart_to_svg

from .conftest import SENTENCES


@pytest.fixture(scope="module")
def hooked_graph(hooked):
    return neuron_graph(hooked, SENTENCES * 3, layer=1, neurons=20, seed=0)


def test_hooked_transformer_graph_is_a_finding(hooked_graph):
    g = hooked_graph
    assert g.kind == "neuron_graph" and g.layer == "blocks.1.mlp.hook_post"
    assert list(g.precision.index) == g.node_ids and len(g.neuron_ids) == 20
    rho = g.partial_correlations.to_numpy()
    theta = g.precision.to_numpy()
    u, v = next(iter(g.graph.edges))
    i, j = g.node_ids.index(u), g.node_ids.index(v)
    assert g.graph.edges[u, v]["weight"] == pytest.approx(-theta[i, j] / np.sqrt(theta[i, i] * theta[j, j]))
    assert np.allclose(rho, rho.T) and np.allclose(np.diag(rho), 1)
    assert g.graph.number_of_edges() == int(np.count_nonzero(np.triu(theta, 1)))
    assert set().union(*g.communities) == set(g.graph.nodes)
    assert sorted(g.hubs.neuron) == sorted(n for n, d in g.graph.nodes(data=True) if d["hub"]) and len(g.hubs) >= 1
    assert g.hubs.strength.is_monotonic_decreasing
    hub = int(g.hubs.neuron[0])
    near = g.neighbours(hub)
    assert len(near) == g.graph.nodes[hub]["degree"] and near.partial_correlation.abs().is_monotonic_decreasing
    check_finding(g, selection=int(g.hubs.neuron[0]))


def test_top_inputs_and_select_neuron(hooked_graph):
    g = hooked_graph
    neuron = int(g.hubs.neuron[0])
    top = g.top_inputs(neuron, k=5)
    column = g.neuron_ids.index(neuron)
    assert top.activation.tolist() == sorted(g.activations.values[:, column], reverse=True)[:5]
    assert top.label[0].startswith("text[")
    inputs = g.select_neuron(neuron)
    assert g.selected_neuron == neuron and inputs[0]["activation"] == top.activation[0]
    assert g.selection == neuron and g.selection_details() == {"top_inputs": inputs}
    assert [i["activation"] for i in inputs] == sorted(g.activations.values[:, column], reverse=True)[:10]
    svg = g.to_svg()  # the static export shows the final selection and its top inputs
    assert f"selected: #{neuron}" in svg and top.label[0].split(":")[0].replace("'", "&#x27;") in svg
    with pytest.raises(NeuronSelectionError, match="neuron 999 is not in this graph") as refused:
        g.select_neuron(999)
    assert isinstance(refused.value, SelectionError) and g.selected_neuron == neuron
    g.select_neuron(None)
    assert g.selected_neuron is None and "selected: #" not in g.to_svg()
    assert g.selection_details() == {"top_inputs": []}


def test_widget_click_selects_the_neuron(hooked_graph):
    g = hooked_graph
    view = g.widget()
    neuron = int(g.hubs.neuron.iloc[-1])
    reply = view.request_selection(neuron)  # what a click on the neuron asks for
    assert reply == {"id": view._request["id"], "error": None}
    assert g.selected_neuron == neuron and view.selected_neuron == neuron
    assert view._selection == {"value": neuron, "details": {"top_inputs": g._top_input_dicts(neuron)}}
    assert view.request_selection(999)["error"].startswith("neuron 999 is not in this graph")
    assert g.selected_neuron == neuron == view._selection["value"]
    hub = int(g.hubs.neuron[0])
    g.select_neuron(hub)  # a selection made in Python reaches the widget
    assert view._selection["value"] == hub == view.selected_neuron
    assert view._selection["details"]["top_inputs"] == g.selection_details()["top_inputs"]
    view.close()
    g.select_neuron(None)


def test_exports_dot_graphml_heatmap(hooked_graph, tmp_path):
    g = hooked_graph
    dot = g.to_dot(tmp_path / "g.dot")
    assert dot.startswith("graph neuron_graph {") and (tmp_path / "g.dot").read_text() == dot
    assert dot.count(" -- ") == g.graph.number_of_edges()
    g.to_graphml(tmp_path / "g.graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_edges() == g.graph.number_of_edges()
    u, v, d = next(iter(g.graph.edges(data=True)))
    assert float(back.edges[str(u), str(v)]["weight"]) == pytest.approx(d["weight"])
    svg = chart_to_svg(g.heatmap())
    assert svg.count("<path") > 10


def test_minilm_graph_with_real_text(minilm_folder):
    from glassbox_jupyter.demos.topics import load_topics

    texts = load_topics()["astronomy"][:24]
    g = neuron_graph(minilm_folder, texts, layer=3, neurons=24, seed=1)
    assert g.source == "transformers:BertModel" and g.layer == "encoder.layer.3.intermediate"
    assert g.graph.number_of_nodes() == 24 and g.graph.number_of_edges() > 0
    assert 0.0 < g.fidelity.value <= 1.0
    check_finding(g, selection=g.node_ids[0])


def test_sequential_graph_fidelity_and_dead_neurons():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 10), torch.nn.ReLU(), torch.nn.Linear(10, 1))
    with torch.no_grad():
        model[0].bias[[2, 5]] = -100.0  # two dead ReLU units: constant zero
    X = torch.randn(600, 3)
    g = neuron_graph(model, X, layer="1")
    assert g.dropped == [2, 5] and g.actions[0] == "dropped 2 constant neurons: #2, #5"
    assert g.fidelity.value > 0.5  # ten units driven by three inputs predict each other well
    check_finding(g, selection=g.node_ids[0])
    with torch.no_grad():
        model[0].bias[:] = -100.0
    with pytest.raises(DegenerateActivationsError, match="all 10 neurons are constant"):
        neuron_graph(model, X, layer="1")


def test_the_static_drawing_shows_the_strongest_edges_as_the_live_view_does():
    """A dense graph (every pair of 30 neurons linked) is drawn with its 75 strongest edges, and says so."""
    from glassbox_jupyter.neurons.view import default_threshold, edge_budget, network_svg

    nodes = [
        {"id": f"n{i}", "neuron": i, "label": f"#{i}", "community": i % 3, "degree": 29, "strength": 1.0, "hub": False}
        for i in range(30)
    ]
    edges = [
        {"source": f"n{i}", "target": f"n{j}", "weight": 0.01 + 0.001 * (30 * i + j)}
        for i in range(30)
        for j in range(i + 1, 30)
    ]
    assert edge_budget(30) == 75 and edge_budget(4) == 40 and edge_budget(1000) == 300
    threshold = default_threshold([e["weight"] for e in edges], 30, floor=0.05)
    assert sum(abs(e["weight"]) >= threshold for e in edges) == 75
    assert default_threshold([0.5, 0.2], 30, floor=0.05) == 0.05  # few edges: the floor
    svg = network_svg({"title": "dense", "nodes": nodes, "edges": edges, "threshold": 0.05})
    assert svg.count("<line ") == 75 + 2  # the edges and the legend's two swatches
    assert "75 edges shown (the strongest; 360 with |weight|" in svg
    assert "blue: positive partial correlation" in svg and "red: negative partial correlation" in svg


def test_heatmap_text_fits_in_a_browsers_wider_font():
    from tests.circuits.wide_font import clipped_texts
    from tests.examples import neuron_graph_example

    graph, _ = neuron_graph_example()
    assert clipped_texts(graph.heatmap().to_dict()) == []

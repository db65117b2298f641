"""NeuronGraphView on a real NeuronGraphFinding of known activations: a click selects a neuron and sends
the inputs that activate it most; an unknown neuron is refused with the valid ids."""

import json

import numpy as np
import pytest
import torch

from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.neurons.build import neuron_graph
from glassbox_jupyter.neurons.errors import NeuronSelectionError
from glassbox_jupyter.neurons.finding import NeuronGraphFinding
from glassbox_jupyter.testing import check_widget
from glassbox_jupyter.widgets.neuron_graph_view import NeuronGraphView

IDS = [3, 8, 15, 21, 40, 41]  # neuron 41 is an exact duplicate of 40, merged into its node


def _activations(seed: int = 0, n: int = 400) -> np.ndarray:
    """42 units; the chosen ones: a chain 3 → 8 → 15 (8 anti-correlated with 15), 21 alone, 40 = 41."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 42))
    X[:, 8] = X[:, 3] + 0.5 * rng.normal(size=n)
    X[:, 15] = -X[:, 8] + 0.5 * rng.normal(size=n)
    X[:, 41] = X[:, 40]
    return X


@pytest.fixture(scope="module")
def graph() -> NeuronGraphFinding:
    """The neuron graph of an identity layer fed the activations above (so the layer's units are known)."""
    layer = torch.nn.Sequential(torch.nn.Identity())
    return neuron_graph(layer, torch.tensor(_activations(), dtype=torch.float32), layer="0", neurons=IDS, seed=0)


@pytest.fixture()
def view(graph):
    graph.select(None)
    widget = graph.widget()
    yield widget
    widget.close()
    graph.select(None)


def _column(graph: NeuronGraphFinding, neuron: int) -> np.ndarray:
    return graph.activations.values[:, graph.neuron_ids.index(neuron)]


def test_neuron_graph_view_honours_the_widget_contract(view, graph):
    assert isinstance(view, NeuronGraphView) and view.finding is graph
    check_widget(view, selection=8)


def test_a_click_selects_the_neuron_and_sends_its_top_inputs(view, graph):
    reply = view.request_selection(15)  # what a click on neuron #15 asks for
    assert reply == {"id": view._request["id"], "error": None}
    assert graph.selected_neuron == view.selected_neuron == view._selection["value"] == 15
    assert not {"selected_neuron", "top_inputs", "error"} & set(view._data)
    top = view._selection["details"]["top_inputs"]
    activations = [t["activation"] for t in top]
    assert len(top) == 10 and activations == sorted(activations, reverse=True)
    assert activations[0] == pytest.approx(_column(graph, 15).max())
    assert top[0]["label"] == f"row {int(np.argmax(_column(graph, 15)))}"
    assert top == graph.selection_details()["top_inputs"]
    assert activations == pytest.approx(np.sort(_column(graph, 15))[::-1][:10])


def test_a_merged_duplicate_can_be_selected_by_its_own_id(view, graph):
    assert view.request_selection(41)["error"] is None
    assert graph.selected_neuron == 41 == view._selection["value"]
    assert view._selection["details"]["top_inputs"][0]["activation"] == pytest.approx(_column(graph, 40).max())
    node = next(n for n in view._data["nodes"] if n["id"] == "n40")
    assert node["members"] == [40, 41] and "n41" not in {n["id"] for n in view._data["nodes"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**9, "neuron 1000000000 is not in this graph; it has 6 neurons with ids 3–41 (e.g. 3, 8, 15, 21, 40)"),
        (16, "neuron 16 is not in this graph; it has 6 neurons with ids 3–41 (e.g. 3, 8, 15, 21, 40)"),
        (True, "a neuron is chosen by its integer id, not True"),
        ("8", "a neuron is chosen by its integer id, not '8'"),
    ],
)
def test_unknown_neurons_are_refused_with_the_valid_ids(view, graph, value, message):
    assert view.request_selection(3)["error"] is None
    before = dict(view._selection)
    reply = view.request_selection(value)
    assert reply["error"] == message
    assert view.selected_neuron == 3 == graph.selected_neuron and view._selection == before
    with pytest.raises(NeuronSelectionError) as refused:
        graph.select(value)
    assert str(refused.value) == message and isinstance(refused.value, SelectionError)


def test_a_selection_made_in_python_reaches_the_view(view, graph):
    inputs = graph.select_neuron(40)
    assert view._selection == {"value": 40, "details": {"top_inputs": inputs}} and view.selected_neuron == 40
    assert inputs[0]["activation"] == pytest.approx(_column(graph, 40).max())
    graph.select_neuron(None)
    assert view._selection == {"value": None, "details": {"top_inputs": []}}


def test_a_selection_made_before_the_view_is_shown(graph):
    graph.select(3)
    view = graph.widget()
    try:
        assert view._selection["value"] == 3 and view.selected_neuron == 3
        assert view._selection["details"]["top_inputs"][0]["activation"] == pytest.approx(_column(graph, 3).max())
    finally:
        view.close()
        graph.select(None)


def test_selected_neuron_is_read_only(view):
    with pytest.raises(AttributeError):
        view.selected_neuron = 8


def test_synced_state_is_plain_json(view, graph):
    data = json.loads(json.dumps(view._data, allow_nan=False))
    node = next(n for n in data["nodes"] if n["id"] == "n8")
    assert node["neuron"] == 8 and isinstance(node["neuron"], int) and isinstance(node["hub"], bool)
    assert {n["neuron"] for n in data["nodes"]} == {3, 8, 15, 21, 40}
    assert all(e["stability"] is None for e in data["edges"])  # not measured for a single graph
    # the chain: 3 and 8 positively, 8 and 15 negatively partially correlated; 21 and 40 barely linked
    weights = {(e["source"], e["target"]): e["weight"] for e in data["edges"]}
    assert weights[("n3", "n8")] > 0.3 and weights[("n8", "n15")] < -0.3
    assert all(abs(w) < 0.15 for pair, w in weights.items() if "n21" in pair or "n40" in pair)
    assert data["actions"] == ["merged 1 duplicate neuron into #40 (|correlation| > 1 − 1e-8): #41"]
    assert view.request_selection(8)["error"] is None
    json.dumps(view._selection, allow_nan=False)
    assert repr(view) == "NeuronGraphView(NeuronGraphFinding; selection=8)"

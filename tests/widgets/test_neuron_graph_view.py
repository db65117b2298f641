import json

import numpy as np
import pytest
import traitlets

from glassbox_jupyter.testing import check_widget
from glassbox_jupyter.widgets.neuron_graph_view import NeuronGraphView

IDS = [3, 8, 15, 21, 40]  # neuron 41 is an exact duplicate of 40, merged into its node


def _activations(seed: int = 0, n: int = 400) -> np.ndarray:
    """A chain 3 → 8 → 15 (8 anti-correlated with 15), 21 alone, 40 → 41 exact duplicates."""
    rng = np.random.default_rng(seed)
    x3 = rng.normal(size=n)
    x8 = x3 + 0.5 * rng.normal(size=n)
    x15 = -x8 + 0.5 * rng.normal(size=n)
    x21 = rng.normal(size=n)
    x40 = rng.normal(size=n)
    return np.column_stack([x3, x8, x15, x21, x40, x40])


class _TinyNeuronGraph:
    """The smallest finding a NeuronGraphView needs, on a real (tiny) precision matrix (stands in for
    NeuronGraphFinding, which is tested with check_finding in tests/neurons)."""

    def __init__(self) -> None:
        self.X = _activations()
        Z = (self.X[:, :5] - self.X[:, :5].mean(0)) / self.X[:, :5].std(0)
        theta = np.linalg.inv(np.cov(Z, rowvar=False))
        d = np.sqrt(np.diag(theta))
        self.rho = -theta / np.outer(d, d)
        self.selected_neuron: int | None = None
        self.calls = 0
        self._widget = None

    def _column(self, neuron: int) -> int:
        if neuron == 41:
            return 5
        if neuron not in IDS:
            raise ValueError(f"neuron {neuron} is not in the graph")
        return IDS.index(neuron)

    def select_neuron(self, neuron: int) -> list[dict]:
        self.calls += 1
        if neuron == 21:
            raise ValueError("neuron 21 has no samples above zero")
        col = self._column(neuron)
        self.selected_neuron = neuron
        return self.top_inputs(col)

    def top_inputs(self, col: int, k: int = 4) -> list[dict]:
        order = np.argsort(-self.X[:, col], kind="stable")[:k]
        return [{"label": f"row {i}", "activation": self.X[i, col], "topic": None} for i in order]

    def view_data(self) -> dict:
        edges = [
            {"source": f"n{IDS[i]}", "target": f"n{IDS[j]}", "weight": self.rho[i, j], "stability": np.nan}
            for i in range(5)
            for j in range(i + 1, 5)
            if abs(self.rho[i, j]) > 0.05
        ]
        strength = {n: 0.0 for n in IDS}
        degree = {n: 0 for n in IDS}
        for e in edges:
            for end in ("source", "target"):
                strength[int(e[end][1:])] += abs(e["weight"])
                degree[int(e[end][1:])] += 1
        nodes = [
            {
                "id": f"n{n}",
                "neuron": np.int64(n),  # numpy on purpose: the widget makes it JSON
                "label": f"#{n}",
                "community": 0 if n in (3, 8, 15) else IDS.index(n),
                "degree": degree[n],
                "strength": strength[n],
                "hub": np.bool_(n == 8),
                "variance": self.X[:, IDS.index(n)].var(),
                "members": [40, 41] if n == 40 else [n],
            }
            for n in IDS
        ]
        sel = self.selected_neuron
        return {
            "title": "tiny neuron graph",
            "caption": "5 neurons",
            "nodes": nodes,
            "edges": edges,
            "edge_sets": None,
            "edge_set": None,
            "threshold": 0.05,
            "selected_neuron": sel,
            "top_inputs": self.top_inputs(self._column(sel)) if sel is not None else [],
            "actions": ["merged 1 group of exact duplicates: #40 = #41"],
            "error": None,
        }

    def to_svg(self) -> str:
        dots = "".join(f'<circle cx="{20 + 40 * i}" cy="30" r="6"/>' for i in range(5))
        lines = '<line x1="20" y1="30" x2="60" y2="30" stroke="#2166ac"/>'
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="220" height="60">{lines}{dots}</svg>'


@pytest.fixture()
def graph() -> _TinyNeuronGraph:
    return _TinyNeuronGraph()


@pytest.fixture()
def view(graph) -> NeuronGraphView:
    return NeuronGraphView(graph)


def test_neuron_graph_view_honours_the_widget_contract(view):
    check_widget(view, selection=8)


def test_the_view_registers_itself_on_the_finding(view, graph):
    assert graph._widget is view and view.finding is graph


def test_a_click_selects_the_neuron_and_sends_its_top_inputs(view, graph):
    view._select = 15  # what a click on neuron #15 writes
    assert graph.selected_neuron == view.selected_neuron == 15
    data = view._data
    assert data["selected_neuron"] == 15 and data["error"] is None
    activations = [t["activation"] for t in data["top_inputs"]]
    assert activations == sorted(activations, reverse=True)
    assert activations[0] == pytest.approx(graph.X[:, 2].max())
    assert data["top_inputs"][0]["label"] == f"row {int(np.argmax(graph.X[:, 2]))}"


def test_a_merged_duplicate_can_be_selected_by_its_own_id(view, graph):
    view._select = 41
    assert graph.selected_neuron == 41 and view._data["selected_neuron"] == 41
    assert view._data["top_inputs"][0]["activation"] == pytest.approx(graph.X[:, 4].max())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**9, "neuron 1000000000 is not in this graph: it has 6 neurons with ids 3–41 (e.g. 3, 8, 15, …)"),
        (16, "neuron 16 is not in this graph"),
        (True, "it takes a neuron id"),
        ("8", "int"),
    ],
)
def test_unknown_neurons_are_refused_with_the_valid_ids(view, graph, value, message):
    view._select = 3
    calls = graph.calls
    with pytest.raises(traitlets.TraitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        view._select = value
    assert view.selected_neuron == 3 and view._select == 3 and graph.calls == calls


def test_a_refusal_of_the_finding_is_shown_and_keeps_the_selection(view, graph):
    view._select = 8
    inputs = view._data["top_inputs"]
    view._select = 21
    assert view._data["error"] == "neuron 21 has no samples above zero"
    assert graph.selected_neuron == view.selected_neuron == 8
    assert view._data["selected_neuron"] == 8 and view._data["top_inputs"] == inputs
    view._select = None  # the browser clears its click before sending neuron 21 again: no call
    calls = graph.calls
    view._select = 15
    assert graph.calls == calls + 1 and view._data["error"] is None


def test_refresh_sends_a_selection_made_in_python(view, graph):
    graph.select_neuron(40)
    calls = graph.calls
    view.refresh()
    assert view._select == 40 and view._data["selected_neuron"] == 40
    assert view._data["top_inputs"][0]["activation"] == pytest.approx(graph.X[:, 4].max())
    assert graph.calls == calls  # setting _select from the finding does not ask it again


def test_a_selection_made_before_the_view_is_shown(graph):
    graph.select_neuron(3)
    calls = graph.calls
    view = NeuronGraphView(graph)
    assert view._select == 3 and view.selected_neuron == 3 and graph.calls == calls


def test_selected_neuron_is_read_only(view):
    with pytest.raises(AttributeError):
        view.selected_neuron = 8


def test_synced_state_is_plain_json(view, graph):
    data = json.loads(json.dumps(view._data, allow_nan=False))
    node = next(n for n in data["nodes"] if n["id"] == "n8")
    assert node["neuron"] == 8 and isinstance(node["neuron"], int) and node["hub"] is True
    assert data["edges"][0]["stability"] is None  # NaN: not measured
    # the chain: 3 and 8 positively, 8 and 15 negatively partially correlated; 21 and 40 alone
    weights = {(e["source"], e["target"]): e["weight"] for e in data["edges"]}
    assert weights[("n3", "n8")] > 0.3 and weights[("n8", "n15")] < -0.3
    assert not any("n21" in pair or "n40" in pair for pair in weights)
    assert repr(view) == "NeuronGraphView(5 neurons; selected_neuron=None)"


def test_top_inputs_given_as_a_dataframe_are_sent_as_rows(view, graph):
    import pandas as pd

    graph.select_neuron = lambda neuron: pd.DataFrame({"label": ["row 1", "row 2"], "activation": [2.5, np.nan]})
    view._select = 8
    assert view._data["top_inputs"] == [{"label": "row 1", "activation": 2.5}, {"label": "row 2", "activation": None}]

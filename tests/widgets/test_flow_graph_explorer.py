import json

import numpy as np
import pytest
import traitlets

from glassbox_jupyter.testing import check_widget
from glassbox_jupyter.twin.flowgraph import PathError, flow_graph, information_system, path_coefficients
from glassbox_jupyter.widgets.flow_graph_explorer import FlowGraphExplorer

# 20 samples through conv1 {0, 1} → fc1 {0, 1, 2} → predicted class {0, 1}; no sample goes conv1:1 → fc1:0
CONV1 = np.array([0] * 10 + [1] * 10)
FC1 = np.array([0] * 6 + [1] * 4 + [1] * 4 + [2] * 6)
PREDICTED = np.array([0] * 6 + [0, 0, 1, 1] + [1] * 4 + [1] * 6)


class _TinyTwin:
    """The smallest finding a FlowGraphExplorer needs, on a real flow graph (stands in for TwinFinding)."""

    def __init__(self) -> None:
        self.sis = information_system({"conv1": CONV1, "fc1": FC1}, PREDICTED)
        self.flow_graph = flow_graph(self.sis)
        self.selected_path: tuple[str, ...] | None = None
        self.calls = 0

    def select_path(self, ids: list[str]) -> dict | None:
        self.calls += 1
        if not ids:
            self.selected_path = None
            return None
        stats = path_coefficients(self.flow_graph, ids)  # PathError (a ValueError) on a missing edge
        self.selected_path = tuple(ids)
        return {**stats, "complete": len(ids) == len(self.flow_graph.graph["columns"])}

    def view_data(self) -> dict:
        G = self.flow_graph
        nodes = [
            {
                "id": n,
                "column": a["layer"],
                "column_index": a["layer_index"],
                "cluster": a["cluster"],
                "label": f"{a['layer']} #{a['cluster']}",
                "support": a["support"],
                "share": a["share"],
                "thumbnail": np.full((8, 8), a["share"]),  # numpy on purpose: the widget makes it JSON
                "histogram": {"edges": np.linspace(0, 1, 4), "counts": np.array([1, a["support"], 2])},
            }
            for n, a in G.nodes(data=True)
        ]
        edges = [{"source": u, "target": v, **a} for u, v, a in G.edges(data=True)]
        path = list(self.selected_path or [])
        stats = self.select_path(path) if path else None
        return {
            "title": "tiny twin",
            "columns": G.graph["columns"],
            "nodes": nodes,
            "edges": edges,
            "best_paths": [{"class": "0", "nodes": ["conv1:0", "fc1:0", "class:0"], "fitness": np.float64(0.6)}],
            "coefficient": "confidence",
            "threshold": 0.05,
            "selected_path": path,
            "path_stats": stats,
            "error": None,
        }

    def to_svg(self) -> str:
        G = self.flow_graph
        x = {c: 20 + 100 * i for i, c in enumerate(G.graph["columns"])}
        y = {n: 20 + 30 * a["cluster"] for n, a in G.nodes(data=True)}
        lines = "".join(
            f'<line x1="{x[G.nodes[u]["layer"]]}" y1="{y[u]}" x2="{x[G.nodes[v]["layer"]]}" y2="{y[v]}" stroke="#888"/>'
            for u, v in G.edges
        )
        dots = "".join(f'<circle cx="{x[a["layer"]]}" cy="{y[n]}" r="6"/>' for n, a in G.nodes(data=True))
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="260" height="110">{lines}{dots}</svg>'

    def static_html(self) -> str:
        return f"<div>{self.to_svg()}</div>"


@pytest.fixture()
def twin() -> _TinyTwin:
    return _TinyTwin()


@pytest.fixture()
def view(twin) -> FlowGraphExplorer:
    return FlowGraphExplorer(twin)


def test_flow_graph_explorer_honours_the_widget_contract(view):
    check_widget(view, selection=["conv1:0", "fc1:0"])


def test_two_clicks_select_the_path_and_send_its_coefficients(view, twin):
    view._path = ["conv1:0", "fc1:0", "class:0"]  # what three clicks in the browser write
    assert twin.selected_path == view.selected_path == ("conv1:0", "fc1:0", "class:0")
    stats = view._data["path_stats"]
    # by hand: conv1:0 (10 of 20) → fc1:0: 6 samples, cer 6/10, cov 6/6; fc1:0 → class:0: cer 6/6, cov 6/8
    assert stats["certainty"] == pytest.approx(0.6)
    assert stats["coverage"] == pytest.approx(0.75)
    assert stats["strength"] == pytest.approx(0.5 * 0.6)
    assert stats["complete"] is True
    assert view._data["selected_path"] == ["conv1:0", "fc1:0", "class:0"] and view._data["error"] is None
    view._path = ["fc1:1"]  # a partial path may start in any column
    assert view._data["path_stats"] == {"certainty": 1.0, "coverage": 1.0, "strength": 0.4, "complete": False}


def test_a_missing_edge_is_reported_in_the_view_and_keeps_the_old_path(view, twin):
    view._path = ["conv1:0"]
    view._path = ["conv1:1", "fc1:0"]
    assert "no sample goes from 'conv1:1' to 'fc1:0'" in view._data["error"]
    assert view._data["path_stats"] is None
    assert twin.selected_path == ("conv1:0",) and view._data["selected_path"] == ["conv1:0"]
    with pytest.raises(PathError):
        twin.select_path(["conv1:1", "fc1:0"])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (["conv1:9"], "'conv1:9' is not a node of the flow graph; node ids look like 'conv1:0'"),
        (["conv1:0", "class:0"], "'conv1:0' can be followed by a node of column 'fc1', not 'class:0'"),
        (["fc1:0", "conv1:0"], "consecutive columns left to right"),
        (["class:0", "class:1"], "'class:0' is in the last column"),
        (["conv1:0", 3], "_path[1] is 3; a path lists node ids"),
        (10**9, "list"),
    ],
)
def test_bad_paths_are_refused_with_a_clear_message(view, twin, path, message):
    view._path = ["fc1:2"]
    calls = twin.calls
    with pytest.raises(traitlets.TraitError, match=message.replace("[", r"\[").replace("]", r"\]")):
        view._path = path
    assert view.selected_path == ("fc1:2",) and view._path == ["fc1:2"] and twin.calls == calls


def test_clearing_the_path(view, twin):
    view._path = ["conv1:1", "fc1:2"]
    view._path = []  # Escape in the browser
    assert view.selected_path == () and twin.selected_path is None
    assert view._data["selected_path"] == [] and view._data["path_stats"] is None
    view._path = ["conv1:1"]
    view._path = None
    assert view.selected_path == ()


def test_selected_path_is_read_only(view):
    with pytest.raises(AttributeError):
        view.selected_path = ("conv1:0",)


def test_refresh_sends_a_selection_made_in_python(view, twin):
    twin.select_path(["fc1:2", "class:1"])
    calls = twin.calls
    view.refresh()
    assert view._path == ["fc1:2", "class:1"] and view._data["selected_path"] == ["fc1:2", "class:1"]
    assert view._data["path_stats"]["certainty"] == pytest.approx(1.0)
    assert twin.calls == calls + 1  # view_data's own call; setting _path does not ask again


def test_synced_state_is_plain_json(view):
    data = json.loads(json.dumps(view._data, allow_nan=False))
    node = next(n for n in data["nodes"] if n["id"] == "fc1:1")
    assert len(node["thumbnail"]) == 8 and node["thumbnail"][0][0] == pytest.approx(0.4)
    assert node["histogram"] == {"edges": [0.0, 1 / 3, 2 / 3, 1.0], "counts": [1, 8, 2]}
    assert isinstance(data["best_paths"][0]["fitness"], float)
    assert {e["source"] + ">" + e["target"] for e in data["edges"]} >= {"conv1:0>fc1:0", "fc1:2>class:1"}
    assert "conv1:1>fc1:0" not in {e["source"] + ">" + e["target"] for e in data["edges"]}


def test_outside_a_kernel_the_widget_shows_its_static_view(view):
    bundle = view._repr_mimebundle_()
    assert "<svg" in bundle["text/html"] and "application/vnd.jupyter.widget-view+json" not in bundle
    assert repr(view) == "FlowGraphExplorer(selected_path=[])"

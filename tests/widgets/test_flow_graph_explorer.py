"""FlowGraphExplorer on a real readable twin: a click asks the TwinFinding for a path, the finding sends
its coefficients back, and a path that is not a path of the graph is refused with a message naming the fix."""

import itertools
import json

import numpy as np
import pytest

from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.testing import check_widget
from glassbox_jupyter.twin.finding import TwinFinding
from glassbox_jupyter.twin.flowgraph import PathError, path_coefficients
from glassbox_jupyter.widgets.flow_graph_explorer import FlowGraphExplorer
from tests.examples import tiny_image_twin


@pytest.fixture(scope="module")
def twin() -> TwinFinding:
    return tiny_image_twin()


@pytest.fixture()
def view(twin):
    twin.select([])
    widget = twin.widget()
    yield widget
    widget.close()
    twin.select([])


def _missing_edge(twin: TwinFinding) -> tuple[str, str]:
    """A pair of fc1 → fc2 clusters that no sample goes through."""
    G = twin.flow_graph
    fc1 = [n for n, d in G.nodes(data=True) if d["layer"] == "fc1"]
    fc2 = [n for n, d in G.nodes(data=True) if d["layer"] == "fc2"]
    missing = [(u, v) for u in fc1 for v in fc2 if not G.has_edge(u, v)]
    assert missing, "the tiny twin should leave at least one fc1 → fc2 pair without samples"
    return missing[0]


def _by_hand(twin: TwinFinding, path: list[str]) -> dict[str, float]:
    """Pawlak's coefficients of ``path`` counted from the information system's rows (not from the graph)."""
    sis = twin.sis
    rows = [sis[twin.flow_graph.nodes[n]["layer"]].astype(str).to_numpy() == n.split(":", 1)[1] for n in path]
    certainty = coverage = 1.0
    for before, after in itertools.pairwise(rows):
        both = (before & after).sum()
        certainty *= both / before.sum()
        coverage *= both / after.sum()
    return {"certainty": certainty, "coverage": coverage, "strength": rows[0].mean() * certainty}


def test_the_view_is_a_real_flow_graph_explorer(twin, view):
    assert isinstance(view, FlowGraphExplorer) and view.finding is twin
    assert view._data == json.loads(json.dumps(twin.view_data()))
    assert view._selection == {"value": [], "details": {"path_stats": None}}


def test_flow_graph_explorer_honours_the_widget_contract(twin, view):
    best = twin.paths[twin.class_names[0]][0].nodes
    check_widget(view, selection=list(best[:2]))


def test_clicks_select_the_path_and_send_its_coefficients(twin, view):
    best = list(twin.paths[twin.class_names[-1]][0].nodes)  # fc1 → fc2 → class
    reply = view.request_selection(best)  # what three clicks in the browser ask for
    assert reply == {"id": view._request["id"], "error": None}
    assert twin.selected_path == best and view.selected_path == tuple(best) and twin.selection == best
    stats = view._selection["details"]["path_stats"]
    assert view._selection["value"] == best
    expected = path_coefficients(twin.flow_graph, best)
    assert stats == {**expected, "complete": True}
    by_hand = _by_hand(twin, best)  # the graph's numbers are the samples' numbers
    for name in ("certainty", "coverage", "strength"):
        assert stats[name] == pytest.approx(by_hand[name])

    partial = best[1:]  # a partial path may start in any column
    assert view.request_selection(partial)["error"] is None
    assert view._selection["details"]["path_stats"] == {
        **path_coefficients(twin.flow_graph, partial),
        "complete": False,
    }
    one = [best[0]]
    assert view.request_selection(one)["error"] is None
    share = twin.flow_graph.nodes[one[0]]["share"]
    assert view._selection["details"]["path_stats"] == {
        "certainty": 1.0,
        "coverage": 1.0,
        "strength": share,
        "complete": False,
    }


def test_a_missing_edge_is_refused_with_the_message_and_keeps_the_old_path(twin, view):
    u, v = _missing_edge(twin)
    assert view.request_selection([u])["error"] is None
    before = dict(view._selection)
    reply = view.request_selection([u, v])
    assert f"no sample goes from {u!r} to {v!r}" in reply["error"]
    assert twin.selected_path == [u] and view.selected_path == (u,) and view._selection == before
    assert view._selection["details"]["path_stats"] == {**path_coefficients(twin.flow_graph, [u]), "complete": False}
    with pytest.raises(PathError, match="the edge is missing"):
        twin.select_path([u, v])
    with pytest.raises(PathError):
        path_coefficients(twin.flow_graph, [u, v])
    assert twin.selected_path == [u]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (["fc1:9"], "node 'fc1:9' is not in the flow graph; node ids look like 'fc1:0' (layers: fc1, fc2, class)"),
        (["fc1:0", "class:1"], "'fc1:0' (layer 'fc1') can be followed by a node of layer 'fc2', not 'class:1'"),
        (["fc2:0", "fc1:0"], "consecutive layers left to right"),
        (["class:1", "class:0"], "nothing ('class:1' is in the last layer), not 'class:0'"),
        (["fc1:0", 3], "path[1] is 3; a path lists node ids (strings like 'fc1:0')"),
        (10**9, "a path is a list of node ids (strings like 'fc1:0'), not 1000000000"),
        ("fc1:0", "a path is a list of node ids"),
    ],
)
def test_bad_paths_are_refused_with_a_clear_message(twin, view, path, message):
    start = ["fc2:2"]
    assert view.request_selection(start)["error"] is None
    before = dict(view._selection)
    told = []
    unsubscribe = twin.subscribe(told.append)
    try:
        reply = view.request_selection(path)
    finally:
        unsubscribe()
    assert reply["id"] == view._request["id"] and message in reply["error"]
    assert view.selected_path == ("fc2:2",) and twin.selected_path == start and view._selection == before
    assert told == []  # a refused path tells no view anything
    with pytest.raises(SelectionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        twin.select(path)
    assert twin.selected_path == start


def test_clearing_the_path(twin, view):
    assert view.request_selection(["fc1:1", "fc2:0"])["error"] is None
    assert view.request_selection([])["error"] is None  # Escape in the browser
    assert view.selected_path == () and twin.selected_path == [] and twin.selected_stats is None
    assert view._selection == {"value": [], "details": {"path_stats": None}}
    assert view.request_selection(["fc1:1"])["error"] is None
    assert view.request_selection(None)["error"] is None
    assert view.selected_path == () and view._selection["value"] == []
    assert twin.select_path([]) == {}


def test_selected_path_is_read_only(view):
    with pytest.raises(AttributeError):
        view.selected_path = ("fc1:0",)


def test_a_selection_made_in_python_reaches_every_view(twin, view):
    path = list(twin.paths[twin.class_names[0]][0].nodes[1:])
    stats = twin.select_path(path)
    assert stats == {**path_coefficients(twin.flow_graph, path), "complete": False}
    assert view._selection == {"value": path, "details": {"path_stats": stats}} and view.selected_path == tuple(path)
    later = twin.widget()  # a view opened after the selection shows it too
    try:
        assert later._selection == view._selection
    finally:
        later.close()


def test_synced_state_is_plain_json(twin, view):
    data = json.loads(json.dumps(view._data, allow_nan=False))
    assert data["columns"] == ["fc1", "fc2", "class"]
    sis = twin.sis
    for node in data["nodes"]:
        if node["column"] == "class":
            assert node["histogram"] is None
        else:  # the mean 4×4 input of the node's samples, scaled to 0–1, and a histogram of its activation norms
            assert np.shape(node["thumbnail"]) == (4, 4)
            assert min(map(min, node["thumbnail"])) == 0.0 and max(map(max, node["thumbnail"])) == 1.0
            assert sum(node["histogram"]["counts"]) == node["support"]
            assert len(node["histogram"]["edges"]) == len(node["histogram"]["counts"]) + 1
        assert node["support"] == int((sis[node["column"]].astype(str) == node["cluster"]).sum())
    assert all(isinstance(p["fitness"], float) for p in data["best_paths"])
    edges = {e["source"] + ">" + e["target"] for e in data["edges"]}
    assert edges == {f"{u}>{v}" for u, v in twin.flow_graph.edges}
    u, v = _missing_edge(twin)
    assert f"{u}>{v}" not in edges
    json.dumps(view._selection, allow_nan=False)
    assert view.request_selection(list(twin.paths[twin.class_names[0]][0].nodes))["error"] is None
    json.dumps(view._selection, allow_nan=False)


def test_outside_a_kernel_the_widget_shows_its_static_view(twin, view):
    bundle = view._repr_mimebundle_()
    assert "<svg" in bundle["text/html"] and "application/vnd.jupyter.widget-view+json" not in bundle
    assert repr(view) == "FlowGraphExplorer(TwinFinding; selection=[])"
    plain = bundle["text/html"]
    assert view.request_selection(list(twin.paths[twin.class_names[0]][0].nodes))["error"] is None
    assert view._repr_mimebundle_()["text/html"] != plain  # the static view draws the selected path

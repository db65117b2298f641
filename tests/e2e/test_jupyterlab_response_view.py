"""End to end: the ResponseView widget in a real JupyterLab, driven by headless Chromium.

Opens a notebook that displays ``finding.widget()``, checks the heat map and the probe points
are drawn, clicks a probe point and checks the kernel's ``view.selected_input`` follows; a
selection made in Python (``finding.select``) is drawn without a click.
Screenshots land in ``tests/e2e/artifacts/response_view*.png`` (gitignored).

Run: ``python -m pytest tests/e2e -v -s``. Needs Debian's Chromium at /usr/bin/chromium and
the ``playwright`` Python package (no ``playwright install``: the system browser is used).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll

pytestmark = E2E_MARKS

NOTEBOOK = "response_view_e2e.ipynb"
FEATURES = ["x1", "x2", "x3", "x4", "x5"]
RENDER_TIMEOUT = 90.0  # s, cell 0: import torch, probe 400 points, render the widget

SETUP_CELL = """\
%load_ext glassbox
import glassbox
teacher = glassbox.demos.load("friedman_mlp")
probes = %glassbox probe teacher --n 400 --method sobol
finding = glassbox.response(teacher, probes, features=["x1", "x2"])
view = finding.widget()
view"""

SELECTION_CELL = """\
import json
print("SELECTED=" + json.dumps(None if view.selected_input is None else dict(view.selected_input)))
print("OUTPUT=" + json.dumps(view.selected_output))
print("SELECTION=" + json.dumps({"selection": finding.selection, "view_value": view._selection["value"]}))"""

# Cell 2 is written by the test: a selection made in Python.
SCRATCH_CELL = "# written by the test"

# What the widget shows right now.
JS_WIDGET_STATE = """
() => {
  const roots = document.querySelectorAll('.gb-response-view');
  const svg = document.querySelector('.gb-response-view svg');
  const err = document.querySelector('.gb-response-view .gb-error, .gb-response-view .gb-message');
  return {
    roots: roots.length,
    svg: !!svg,
    circles: document.querySelectorAll('.gb-response-view svg circle.gb-probe-point').length,
    cells: document.querySelectorAll('.gb-response-view svg rect.gb-response-cell').length,
    message: err ? err.textContent : null,
  };
}
"""

# A probe circle near the middle of the plot that is the topmost element at its own centre
# (so a real mouse click lands on it), as {index, x, y} in page coordinates; null if none.
JS_PICK_CIRCLE = """
() => {
  const svg = document.querySelector('.gb-response-view svg');
  const plot = svg.querySelector('g.gb-data') || svg;
  const box = plot.getBoundingClientRect();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const found = [];
  for (const c of svg.querySelectorAll('circle.gb-probe-point')) {
    const r = c.getBoundingClientRect();
    const x = r.x + r.width / 2, y = r.y + r.height / 2;
    found.push({c, x, y, d: Math.hypot(x - cx, y - cy)});
  }
  found.sort((a, b) => a.d - b.d);
  for (const f of found.slice(0, 60)) {
    if (document.elementFromPoint(f.x, f.y) === f.c) {
      return {index: Number(f.c.getAttribute('data-index')), x: f.x, y: f.y};
    }
  }
  return null;
}
"""


@pytest.mark.timeout(300)
def test_response_view_renders_and_click_selects_input(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("response_view")
    page = nb.page

    # 1. Open the notebook and wait for an idle kernel.
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, SELECTION_CELL, SCRATCH_CELL])

    # 2. Run the setup cell; wait for the widget to draw the heat map and the probe points.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        widget = page.evaluate(JS_WIDGET_STATE)
        cell = nb.cell_state(0)  # raises on a traceback
        if widget["message"] and not widget["circles"]:
            raise AssertionError(f"the widget shows a message instead of a chart: {widget['message']!r}")
        if widget["circles"] > 0:
            return True, widget
        mimes = [sorted(o.get("data", {})) for o in cell["outputs"]]
        return False, {"widget": widget, "cell 0 count": cell["count"], "output mime types": mimes}

    poll(rendered, RENDER_TIMEOUT, "circle.gb-probe-point in .gb-response-view svg")
    # Let the ResizeObserver's possible re-draw settle, then count again.
    page.wait_for_timeout(300)
    widget = page.evaluate(JS_WIDGET_STATE)
    nb.log(f"widget rendered: {widget}")
    assert widget["roots"] == 1, f"expected one .gb-response-view, found {widget['roots']}"
    assert widget["circles"] > 100, f"only {widget['circles']} probe circles drawn (400 probes)"
    assert widget["cells"] > 100, f"only {widget['cells']} heat-map cells (rect.gb-response-cell)"

    view_root = page.locator(".gb-response-view").first
    view_root.scroll_into_view_if_needed()
    nb.screenshot("before")
    readout = page.locator(".gb-response-view .gb-selection")
    assert readout.count() == 1, "no .gb-selection read-out under the chart"
    assert "click a probe point" in readout.inner_text(), readout.inner_text()

    # 3. Python side before any click: nothing selected.
    before = _selected_input(nb)
    assert before is None, f"view.selected_input should be None before any click, got {before}"

    # 4. Click a probe point near the middle of the plot with the real mouse.
    view_root.scroll_into_view_if_needed()
    pick = page.evaluate(JS_PICK_CIRCLE)
    if pick is not None:
        index = pick["index"]
        page.mouse.click(pick["x"], pick["y"])
        nb.log(f"clicked probe #{index} at ({pick['x']:.0f}, {pick['y']:.0f})")
    else:  # every candidate is covered by another point: dispatch the click instead
        circle = page.locator(".gb-response-view svg circle.gb-probe-point").nth(widget["circles"] // 2)
        index = int(circle.get_attribute("data-index"))
        circle.dispatch_event("click")
        nb.log(f"no uncovered circle near the middle; dispatched a click on probe #{index}")
    page.mouse.move(0, 0)

    selected = page.locator(f'.gb-response-view svg circle.gb-probe-point[data-index="{index}"]')
    try:
        page.wait_for_function(
            "(i) => { const c = document.querySelector("
            '`.gb-response-view svg circle.gb-probe-point[data-index="${i}"]`);'
            " return !!c && c.classList.contains('gb-selected'); }",
            arg=index,
            timeout=10_000,
        )
    except Exception as exc:
        raise AssertionError(
            f"clicked probe #{index} did not get class gb-selected (class={selected.get_attribute('class')!r})"
        ) from exc
    n_selected = page.locator(".gb-response-view svg circle.gb-probe-point.gb-selected").count()
    assert n_selected == 1, f"{n_selected} circles have class gb-selected after one click"
    readout_text = readout.inner_text()
    assert readout_text.startswith(f"probe #{index}:"), (
        f"read-out does not show the clicked probe #{index}: {readout_text!r}"
    )
    nb.log(f"read-out: {readout_text!r}")

    # 5. The kernel's view.selected_input follows the click.
    chosen = _selected_input(nb, want_selection=True)
    assert isinstance(chosen, dict), f"view.selected_input is not a dict after the click: {chosen!r}"
    assert sorted(chosen) == FEATURES, f"selected_input keys {sorted(chosen)} != {FEATURES}"
    for name, value in chosen.items():
        assert isinstance(value, float), f"selected_input[{name!r}] = {value!r} is not a float"
        assert 0.0 <= value <= 1.0, f"selected_input[{name!r}] = {value} is outside [0, 1]"
    for name in ("x1", "x2"):
        m = re.search(rf"\b{name} = (-?[0-9.]+(?:e[-+]?\d+)?)", readout_text)
        assert m, f"read-out {readout_text!r} does not show {name}"
        shown = float(m.group(1))
        assert math.isclose(shown, chosen[name], rel_tol=2e-3, abs_tol=1e-6), (
            f"{name}: widget read-out shows {shown}, kernel's selected_input has {chosen[name]}"
        )

    _assert_kernel_selection(nb, index)

    # 5b. Under the read-out: the model's output at the probe (the selection's details) and its full input.
    output = json.loads(re.search(r"OUTPUT=(.*)", nb.output_text(1, "OUTPUT=")).group(1))
    details = page.locator(".gb-response-view .gb-selection-details")
    details.wait_for(state="visible", timeout=10_000)
    shown_output = details.locator(".gb-selected-output").inner_text()
    m = re.search(r"model output y = (-?[0-9.]+(?:e[-+]?\d+)?)", shown_output)
    assert m and math.isclose(float(m.group(1)), output, rel_tol=2e-3), (
        f"the view shows {shown_output!r}, the kernel's selected_output is {output}"
    )
    assert "partial dependence here" in shown_output, shown_output
    inputs = details.locator(".gb-selected-input").all_inner_texts()
    assert [t.split(" = ")[0] for t in inputs] == ["x1", "x2", "x3", "x4", "x5"], inputs
    nb.log(f"details: {shown_output!r}; {inputs}")

    # 6. Final screenshots; the widget must not be blank.
    view_root.scroll_into_view_if_needed()
    nb.screenshot()
    nb.assert_not_blank(view_root, "widget", min_size=(300, 200), min_colours=50)

    # 7. A selection made in Python is drawn without a click.
    other = (index + widget["circles"] // 3) % widget["circles"]
    nb.run_source(2, f"finding.select({other})")
    try:
        page.wait_for_function(
            "(i) => { const s = [...document.querySelectorAll("
            "'.gb-response-view svg circle.gb-probe-point.gb-selected')];"
            " return s.length === 1 && s[0].getAttribute('data-index') === String(i); }",
            arg=other,
            timeout=10_000,
        )
    except Exception as exc:
        raise AssertionError(f"finding.select({other}) did not move gb-selected to probe #{other}") from exc
    readout_text = readout.inner_text()
    assert readout_text.startswith(f"probe #{other}:"), f"read-out {readout_text!r} after finding.select({other})"
    chosen = _selected_input(nb)
    _assert_kernel_selection(nb, other)
    for name in ("x1", "x2"):
        m = re.search(rf"\b{name} = (-?[0-9.]+(?:e[-+]?\d+)?)", readout_text)
        assert m and math.isclose(float(m.group(1)), chosen[name], rel_tol=2e-3, abs_tol=1e-6), (
            f"{name}: read-out {readout_text!r}, the kernel's selected_input {chosen}"
        )
    view_root.scroll_into_view_if_needed()
    nb.screenshot("python")

    nb.assert_no_page_errors()
    nb.log("done")


def _assert_kernel_selection(nb: NotebookPage, index: int) -> None:
    """``finding.selection`` and the view's ``_selection`` value are probe ``index`` (cell 1 prints them)."""
    text = nb.output_text(1, "SELECTION=")
    m = re.search(r"SELECTION=(.*)", text)
    assert m, f"cell 1 output {text!r} has no SELECTION= line"
    value = json.loads(m.group(1).strip())
    assert value == {"selection": index, "view_value": index}, f"probe #{index} is drawn selected; kernel: {value}"


def _selected_input(nb: NotebookPage, want_selection: bool = False) -> Any:
    """Run cell 1 and return the JSON after ``SELECTED=`` in its output, as read from the page.

    With ``want_selection``, a ``null`` answer is retried a few times: the browser's comm
    message with the new ``_request`` may reach the kernel just after the request.
    """
    value: Any = None
    for attempt in range(3 if want_selection else 1):
        value = nb.run_cell_for_json(1, "SELECTED=")
        nb.log(f"cell 1 (attempt {attempt + 1}): SELECTED={value}")
        if value is not None or not want_selection:
            return value
        nb.page.wait_for_timeout(1000)
    return value

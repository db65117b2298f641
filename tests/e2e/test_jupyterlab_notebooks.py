"""End to end: every shipped notebook, run in a real JupyterLab as a person would, then reopened.

For each notebook in ``notebooks/``: Run All in headless Chromium, then check what a person sees —
no cell raised, no output shows a front-end error ("Error loading script", "model not found", …), the
page asked no other host for anything (charts and widgets work offline), every GlassBox widget drew
something (a screenshot of each, looked at for colour), and no widget that has finished shows a
spinner (shared CSS is loaded once and cannot beat a widget's own rules). Then the notebook is saved,
its kernel shut down and the notebook opened again in a fresh page: the same widgets show from the
state saved in the notebook, instead of "Error displaying widget: model not found". The saved notebook
also exports to offline HTML (what ``glassbox run`` and ``nbconvert --to annex-iv`` build) with a static
SVG for every widget and no script from the web, and running it wrote no file next to it.

A first cell is added to each copy: short symbolic searches (the same settings as
tests/test_notebooks.py), so the whole set runs in minutes. Screenshots land in
``tests/e2e/artifacts/notebook_<name>_*.png``.

Run: ``.venv/bin/pytest tests/e2e/test_jupyterlab_notebooks.py -q -s``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from glassbox_jupyter.report.notebook_html import WIDGET_VIEW, notebook_to_html
from glassbox_jupyter.testing import check_notebook_outputs

from .jupyterlab import E2E_MARKS, NotebookPage, poll

pytestmark = E2E_MARKS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
RUN_TIMEOUT = 540.0  # s, Run All of the longest notebook on a 2-core machine
REOPEN_TIMEOUT = 90.0  # s, for the saved views to show after reopening
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

SHORT_SEARCHES = """\
# added by the browser test: short symbolic searches, as in tests/test_notebooks.py
import os
os.environ["GLASSBOX_TIME_LIMIT"] = "6"
os.environ["GLASSBOX_GENERATIONS"] = "30\""""

# Every GlassBox widget on the page: its title, message, whether a spinner shows, and its model id.
JS_WIDGETS = """
() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .gb-widget')].map((root, i) => {
  root.setAttribute('data-e2e-index', String(i));
  const shown = (e) => !!e && !e.hidden && getComputedStyle(e).display !== 'none';
  const message = root.querySelector('.gb-message');
  const spinner = root.querySelector('.gb-header .gb-spinner');
  const box = root.getBoundingClientRect();
  return {
    index: i,
    kind: [...root.classList].find((c) => c.startsWith('gb-') && c !== 'gb-widget' && !c.startsWith('gb-is-')
                                     && c !== 'gb-running') || null,
    title: (root.querySelector('.gb-header .gb-title') || {}).textContent || '',
    message: shown(message) ? message.textContent : null,
    running: root.classList.contains('gb-running') || root.classList.contains('gb-is-busy'),
    spinner: shown(spinner),
    width: box.width,
    height: box.height,
  };
})
"""


def _copy(notebook: Path, root: Path) -> str:
    """The notebook copied under the server root with the short-search cell first; its path there."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(SHORT_SEARCHES))
    target = root / "shipped" / notebook.stem / notebook.name  # a folder of its own: what it writes shows
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return f"shipped/{notebook.stem}/{notebook.name}"


def _widgets(nb: NotebookPage) -> list[dict[str, Any]]:
    return nb.page.evaluate(JS_WIDGETS)


def _look_at_each_widget(nb: NotebookPage, widgets: list[dict[str, Any]], prefix: str) -> None:
    for w in widgets:
        root = nb.page.locator(f'.gb-widget[data-e2e-index="{w["index"]}"]')
        root.scroll_into_view_if_needed()
        nb.page.wait_for_timeout(300)  # a width observer may redraw once on scroll
        nb.assert_not_blank(root, f"{prefix}{w['index']}_{w['kind']}", min_size=(250, 120), min_colours=25)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_shipped_notebook_runs_in_the_browser_and_reopens(
    notebook: Path, notebook_page: Callable[[str], NotebookPage]
) -> None:
    nb = notebook_page(f"notebook_{notebook.stem}")
    path = _copy(notebook, nb.server.root)
    n_cells = len(nbformat.read(nb.server.root / path, as_version=4).cells)
    nb.open_file(path, n_cells)

    # 1. Run All, as a person would; every code cell runs without a traceback.
    cells = nb.run_all(RUN_TIMEOUT)
    nb.log(f"ran {len(cells)} code cells")

    # 2. Every widget drew something; none shows an error message, none a spinner once finished.
    widgets = poll(lambda: (lambda ws: (all(w["width"] > 0 for w in ws), ws))(_widgets(nb)), 30, "widgets to lay out")
    nb.log(f"{len(widgets)} GlassBox widgets: {[(w['kind'], w['title']) for w in widgets]}")
    for w in widgets:
        assert w["message"] is None or "error" not in w["message"].lower(), f"widget {w}"
        assert not (w["spinner"] and not w["running"]), f"a finished widget still shows its spinner: {w}"
    _look_at_each_widget(nb, widgets, "widget")
    charts = nb.panel.locator(".jp-OutputArea-output[data-mime-type='image/svg+xml']")
    nb.log(f"{charts.count()} SVG chart outputs")
    for i in range(charts.count()):  # altair charts GlassBox returns: SVG drawn in the kernel
        charts.nth(i).scroll_into_view_if_needed()
        nb.assert_not_blank(charts.nth(i), f"chart{i}", min_size=(150, 60), min_colours=8)
    nb.assert_no_page_errors()  # includes: no error text in any output, no request to another host

    # 3. Save; the widgets' state goes into the notebook file.
    nb.save()
    saved = json.loads((nb.server.root / path).read_text(encoding="utf-8"))
    state = saved.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if widgets:
        assert state, "the saved notebook carries no widget state: reopened, its views would be lost"
    nb.server.shutdown_sessions()
    folder = sorted(p.name for p in (nb.server.root / path).parent.iterdir() if p.name != ".ipynb_checkpoints")
    assert folder == [notebook.name], f"running the notebook wrote files next to it: {folder}"

    # The saved run exports to offline HTML: a static SVG for every widget, no script from the web.
    saved_nb = nbformat.read(nb.server.root / path, as_version=4)
    check_notebook_outputs(saved_nb)  # no raw <…Finding …> line under a widget, no printed object repr
    html = notebook_to_html(saved_nb)
    assert html.count("<svg") >= len(widgets), "static views are missing from the export"
    assert not re.search(r"<script[^>]+src=[\"']https?://", html), "the export loads scripts from the web"
    assert WIDGET_VIEW not in html

    # 4. Reopen in a fresh page with a new kernel: the saved views show, not "model not found".
    again = notebook_page(f"notebook_{notebook.stem}_reopened")
    again.open_file(path, n_cells, workspace=f"e2e-reopened-{notebook.stem}")

    def restored() -> tuple[bool, Any]:
        ws = _widgets(again)
        return len(ws) == len(widgets) and all(w["width"] > 0 for w in ws), [(w["kind"], w["title"]) for w in ws]

    reopened = poll(restored, REOPEN_TIMEOUT, f"the {len(widgets)} saved widgets to show again")
    reopened = _widgets(again)
    assert [(w["kind"], w["title"]) for w in reopened] == [(w["kind"], w["title"]) for w in widgets]
    _look_at_each_widget(again, reopened, "widget")
    again.assert_no_page_errors()
    again.log("done")

"""The shipped notebooks run top to bottom, and their HTML export is offline and shows SVG views."""

import re
from pathlib import Path

import nbformat
import pytest

from glassbox_jupyter.cli import main, run_notebook
from glassbox_jupyter.report.notebook_html import WIDGET_VIEW, notebook_to_html, strip_live_widgets
from glassbox_jupyter.testing import check_notebook_outputs


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file under ``folder`` (checkpoints aside)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
def test_glassbox_run_executes_a_notebook_and_exports_it(tmp_path, monkeypatch):
    """``glassbox run`` (nbclient, no browser) on the quickstart. Every shipped notebook is run in
    JupyterLab, saved, reopened and exported by tests/e2e/test_jupyterlab_notebooks.py."""
    notebook = next(p for p in NOTEBOOKS if p.stem == "quickstart")
    monkeypatch.setenv("GLASSBOX_TIME_LIMIT", "6")  # the kernel inherits it: short searches in tests
    monkeypatch.setenv("GLASSBOX_GENERATIONS", "30")
    before = folder_state(notebook.parent)
    executed, html_path = run_notebook(notebook, tmp_path)
    # cells run in the notebooks' folder: a notebook writes its files to a scratch folder, not there
    assert folder_state(notebook.parent) == before, "running the notebook changed files next to it"
    nb = nbformat.read(executed, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    check_notebook_outputs(nb)  # no raw <…Finding …> line under a widget, no printed object repr
    html = html_path.read_text(encoding="utf-8")
    assert html.count("<svg") >= 2, "the static response views are missing from the export"
    assert not re.search(r"<script[^>]+src=[\"']https?://", html), "the export loads scripts from the web"
    assert WIDGET_VIEW not in html


def test_strip_live_widgets_keeps_the_static_fallback():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("view")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={WIDGET_VIEW: {"model_id": "x"}, "text/html": "<svg></svg>", "text/plain": "v"}
        ),
        nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "y"}, "text/plain": "bare"}),
    ]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"state": {}}
    strip_live_widgets(nb)
    assert WIDGET_VIEW not in cell.outputs[0]["data"]
    assert WIDGET_VIEW in cell.outputs[1]["data"]  # no fallback: left alone rather than lost
    assert "widgets" not in nb.metadata
    assert "mathjax" not in notebook_to_html(nb).lower().split("<body")[0].split("</style>")[-1]


def test_cli_reports_a_missing_notebook(tmp_path, capsys):
    assert main(["run", str(tmp_path / "absent.ipynb"), "--output", str(tmp_path)]) == 1
    assert "absent.ipynb" in capsys.readouterr().err


def test_cli_lists_demos(capsys):
    assert main(["demos"]) == 0
    assert "friedman_mlp" in capsys.readouterr().out

"""Report fixtures: real Findings from the shipped demos, and small annotated notebooks."""

from __future__ import annotations

import nbformat
import pytest

import glassbox


@pytest.fixture(scope="module")
def response_finding():
    return glassbox.response(glassbox.demos.load("friedman_mlp"), features=["x4"], n=200, seed=0)


@pytest.fixture(scope="module")
def rule_finding():
    return glassbox.distill(glassbox.demos.load("loan_approval"), mode="logic", n=1500, max_leaves=8)


def annotated_notebook(secret: str = "sk-abcdefghijklmnopqrstuvwxyz123456") -> nbformat.NotebookNode:
    """A notebook annotated by tag and by cell magic, printing an API key by mistake."""
    code, markdown = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        code(
            "%load_ext glassbox\nimport glassbox\n"
            "report = glassbox.AnnexIVReport(model_name='Friedman demo', system_purpose='Regression demo.',\n"
            "                                provider_name='ACME', provider_address='1 Example Street')\n"
            "report.write('9', 'Drift is checked monthly against the held-out probes.')\nreport"
        ),
        markdown("The model was trained on synthetic Friedman #1 data.", metadata={"tags": ["annex-iv:2d"]}),
        code(
            "%%glassbox annex 2b\nteacher = glassbox.demos.load('friedman_mlp')\n"
            "finding = glassbox.response(teacher, features=['x4'], n=200)\nfinding"
        ),
        code(f"%%glassbox annex 2h\nprint('the endpoint key is {secret}')"),
    ]
    return nb

"""No notebook output shows a person a raw object repr (``<SymbolicFinding …>``, ``<… object at 0x…>``)."""

from pathlib import Path

import nbformat
import numpy as np
import pytest
from IPython.utils.capture import capture_output

import glassbox
from glassbox_jupyter.testing import check_notebook_outputs

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_shipped_notebooks_show_no_raw_repr(notebook):
    """The committed outputs (the executed ones are checked by test_notebooks.py's slow run)."""
    check_notebook_outputs(nbformat.read(notebook, as_version=4))


def _notebook(*outputs):
    cell = nbformat.v4.new_code_cell("law")
    cell.outputs = list(outputs)
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize(
    "output",
    [
        nbformat.v4.new_output("execute_result", {"text/plain": "<SymbolicFinding: P = 8.314*T*n/V>"}),
        nbformat.v4.new_output(
            "display_data",
            {"text/plain": "<RuleFinding: 5 rules>", "application/vnd.glassbox.finding+json": {"kind": "rules"}},
        ),
        nbformat.v4.new_output("stream", name="stdout", text="<glassbox.Thing object at 0x7f3e734c8b70>\n"),
    ],
    ids=["execute_result", "json_only", "printed"],
)
def test_a_raw_repr_shown_as_text_is_caught(output):
    with pytest.raises(AssertionError, match="raw object repr"):
        check_notebook_outputs(_notebook(output))


def test_plain_text_behind_a_rich_view_is_fine():
    rich = {"text/plain": "<SymbolicFinding: P = 8.314*T*n/V>", "text/html": "<div>P = 8.314 T n / V</div>"}
    check_notebook_outputs(_notebook(nbformat.v4.new_output("display_data", rich)))
    check_notebook_outputs(_notebook(nbformat.v4.new_output("stream", name="stdout", text="still missing: 1a\n")))


def test_a_live_search_ending_with_the_finding_shows_it_once(ipython, monkeypatch):
    """``law = distill(...)`` then ``law`` in a kernel: the live view, and no second, raw line under it."""
    import glassbox_jupyter.finding.display as display

    monkeypatch.setattr(display, "in_kernel", lambda: True)
    spec = glassbox.InputSpec(names=["n", "T", "V"], low=[0.5, 250, 0.01], high=[2, 350, 0.05])
    ipython.user_ns["gas"] = glassbox.Teacher(lambda X: 8.314 * X[:, 0] * X[:, 1] / X[:, 2], spec)
    cell = "import glassbox\nlaw = glassbox.distill(gas, generations=4, n=400, population_size=200)\nlaw"
    with capture_output() as captured:
        result = ipython.run_cell(cell)
    result.raise_error()
    assert "<SymbolicFinding" not in captured.stdout, captured.stdout
    assert captured.outputs, "the live view was not displayed"
    final = captured.outputs[-1].data  # the live output, updated in place with the final state
    assert "text/html" in final and "application/vnd.glassbox.finding+json" in final
    later = ipython.display_formatter.format(ipython.user_ns["law"])[0]
    assert "text/html" in later  # a later display is the full one
    assert np.isfinite(ipython.user_ns["law"].best.fidelity.value)

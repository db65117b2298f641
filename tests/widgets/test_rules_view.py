import numpy as np
import pytest

import glassbox
from glassbox_jupyter.errors import SelectionError, SelectionIndexError
from glassbox_jupyter.testing import check_widget


@pytest.fixture(scope="module")
def finding():
    spec = glassbox.InputSpec(names=["a", "b"], low=0, high=10, units=["kg", None])
    teacher = glassbox.Teacher(
        lambda X: np.stack([X[:, 0] <= 5, X[:, 0] > 5], 1).astype(float) + 0.1 * (X[:, 1:2] > 7),
        spec,
        task="classification",
        output_names=["low", "high"],
    )
    return glassbox.distill(teacher, mode="logic", max_leaves=6)


def test_rules_view_honours_the_widget_contract(finding):
    check_widget(finding.widget(), selection=0)


def test_a_click_selects_that_rule(finding):
    view = finding.widget()
    last = len(finding.rules) - 1
    reply = view.request_selection(last)  # what a click on the last row asks for
    assert reply == {"id": view._request["id"], "error": None}
    assert finding.selected_rule is finding.rules[-1] and view.selected_rule is finding.selected_rule
    assert view._selection == {"value": last, "details": {}} and finding.selection == last
    assert view.request_selection(None)["error"] is None  # clicking the selected row again clears it
    assert finding.selected_rule is None and view._selection["value"] is None

    refused = view.request_selection(len(finding.rules))
    assert refused["error"] == f"rule {last + 1} is out of range: there are {last + 1} rules (ids 0–{last})"
    assert finding.selected_rule is None and view._selection["value"] is None
    assert "select a rule by its id" in view.request_selection("first")["error"]
    with pytest.raises(SelectionIndexError, match="out of range"):
        finding.select(len(finding.rules))
    with pytest.raises(SelectionError, match=f"select a rule by its id \\(0–{last}\\) or pass None"):
        finding.select(True)


def test_a_rule_picked_in_python_reaches_every_view(finding):
    view, other = finding.widget(), finding.widget()
    assert finding.select(finding.rules[0]) is finding.rules[0]  # by the Rule object, as well as by id
    assert view._selection["value"] == other._selection["value"] == 0 and view.selected_rule is finding.rules[0]
    finding.select(None)
    assert view._selection["value"] is None and view.selected_rule is None


def test_view_data_lists_every_rule(finding):
    data = finding.view_data()
    assert [r["id"] for r in data["rules"]] == list(range(len(finding.rules)))
    assert data["classes"] == ["low", "high"] and data["fidelity"]["metric"] == "agreement"
    assert data["fidelity"] == finding.fidelity.view() and "held-out" in data["fidelity"]["text"]

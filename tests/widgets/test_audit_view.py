"""AuditView: a click on a variable selects it in the finding and sends its flipped pairs to the browser."""

import json

import pytest

from glassbox_jupyter.audit import BlackBoxAuditor
from glassbox_jupyter.audit.errors import UnknownVariableError
from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.testing import check_widget


def biased(prompt: str) -> str:
    return "approve" if "income high" in prompt and "age 70" not in prompt else "deny"


@pytest.fixture()
def finding():
    return BlackBoxAuditor(biased, progress=False).audit(
        "Applicant {name}, age {age}, income {income}. Decision:",
        "approve",
        "deny",
        context_variables={"name": ["A", "B"], "age": [30, 50, 70], "income": ["low", "high"]},
        protected=["age"],
    )


def test_audit_view_honours_the_widget_contract(finding):
    check_widget(finding.widget(), selection="income")


def test_a_click_sends_the_flipped_pairs(finding):
    view = finding.widget()
    assert view._selection == {"value": None, "details": {"flips": None}} and view.selected_variable is None
    assert not {"selected", "flips"} & set(view._data)  # the selection travels in _selection, not the view data
    reply = view.request_selection("age")  # what a click on the "age" row asks for
    assert reply == {"id": view._request["id"], "error": None}
    assert finding.selected_variable == "age" == view.selected_variable == view._selection["value"]
    flips = view._selection["details"]["flips"]
    assert flips["variable"] == "age" and flips["total"] == len(finding.flipped_pairs("age")) > 0
    row = flips["rows"][0]
    assert "age" not in row["context"] and {row["from"], row["to"]} & {70}
    assert row["decision_from"] != row["decision_to"]
    json.dumps(view._selection, allow_nan=False)
    assert view.request_selection("")["error"] is None  # a second click on the row clears it
    assert finding.selected_variable is None and view._selection == {"value": None, "details": {"flips": None}}
    assert view.request_selection(None)["error"] is None and view.selected_variable is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gender", "'gender' is not an audited variable; choose from: name, age, income"),
        (3, "select a variable by its name (name, age, income), not 3"),
    ],
)
def test_unknown_variables_are_refused(finding, value, message):
    view = finding.widget()
    view.request_selection("income")
    before = dict(view._selection)
    reply = view.request_selection(value)
    assert reply["error"] == message
    assert view.selected_variable == "income" == finding.selected_variable and view._selection == before
    with pytest.raises(UnknownVariableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        finding.select(value)
    assert isinstance(UnknownVariableError(""), SelectionError)


def test_selecting_from_python_updates_the_view(finding):
    view = finding.widget()
    finding.select_variable("income")
    assert view._selection["value"] == "income" and view.selected_variable == "income"
    assert view._selection["details"]["flips"]["total"] == len(finding.flipped_pairs("income"))
    assert view._selection["details"] == json.loads(json.dumps(finding.selection_details()))


def test_view_data_lists_variables_and_parity(finding):
    data = finding.view_data()
    assert [v["name"] for v in data["variables"]] == ["name", "age", "income"]
    assert [v["protected"] for v in data["variables"]] == [False, True, False]
    assert data["parity"][0]["variable"] == "age" and len(data["parity"][0]["groups"]) == 3
    assert data["fidelity"]["metric"] == "agreement" and data["complete"] is True

"""AuditView: a click on a variable selects it in the finding and sends its flipped pairs to the browser."""

import json

import pytest
import traitlets

from glassbox_jupyter.audit import BlackBoxAuditor
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
    assert view._data["flips"] is None and view.selected_variable is None
    view._select = "age"
    assert finding.selected_variable == "age" == view.selected_variable
    flips = view._data["flips"]
    assert flips["variable"] == "age" and flips["total"] == len(finding.flipped_pairs("age")) > 0
    row = flips["rows"][0]
    assert "age" not in row["context"] and {row["from"], row["to"]} & {70}
    assert row["decision_from"] != row["decision_to"]
    json.dumps(view._data, allow_nan=False)
    view._select = ""
    assert finding.selected_variable is None and view._data["flips"] is None


def test_unknown_variables_are_refused(finding):
    view = finding.widget()
    view._select = "income"
    with pytest.raises(traitlets.TraitError, match="choose from: name, age, income"):
        view._select = "gender"
    assert view.selected_variable == "income"


def test_selecting_from_python_updates_the_view(finding):
    view = finding.widget()
    finding.select_variable("income")
    assert view._select == "income" and view._data["selected"] == "income"
    assert view._data["flips"]["total"] == len(finding.flipped_pairs("income"))


def test_view_data_lists_variables_and_parity(finding):
    data = finding.view_data()
    assert [v["name"] for v in data["variables"]] == ["name", "age", "income"]
    assert [v["protected"] for v in data["variables"]] == [False, True, False]
    assert data["parity"][0]["variable"] == "age" and len(data["parity"][0]["groups"]) == 3
    assert data["fidelity"]["metric"] == "agreement" and data["complete"] is True
